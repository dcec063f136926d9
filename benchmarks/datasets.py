"""Loading helpers shared by the benchmark cases (and by tests): the Swiss wells and the synthetic network.

The real data live beside the checkout in ``../shared/data`` (or wherever ``$GWLSTM_SHARED_DATA`` points);
they are never copied into the repository. Everything here returns the long frames of the core contract
(``docs/ARCHITECTURE.md``): levels (well_id, date, level), forcing (well_id, date, one column per driver).
"""
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SWISS = "swiss_collenteur2023"
SWISS_TRAIN_END = "2012-12-31"
SWISS_TEST_START = "2013-01-01"
SWISS_TEST_END = "2020-12-31"
RIVER_GAP_FILL_DAYS = 7


def shared_data_dir():
    """The real data folder, or None when it is absent."""
    env = os.environ.get("GWLSTM_SHARED_DATA")
    path = Path(env) if env else ROOT.parent / "shared" / "data"
    return path if path.is_dir() else None


def swiss_dir():
    base = shared_data_dir()
    if base is None or not (base / SWISS / "heads.csv").is_file():
        return None
    return base / SWISS


def _wide(path):
    df = pd.read_csv(path, index_col=0, parse_dates=True, encoding="utf-8")
    df.index = pd.DatetimeIndex(df.index).normalize()
    df.index.name = "date"
    return df


def _long(wide, name):
    out = wide.stack(future_stack=True).rename(name).reset_index()
    return out.rename(columns={"level_1": "well_id"})


@dataclass
class SwissData:
    """The 28 Swiss wells (Collenteur et al. 2023) in core long form.

    wells: well_id, x (lon), y (lat), lat, z, id, has_river; levels: well_id, date, level (m a.s.l.);
    forcing: well_id, date, precip (mm/d), temp (degC), pet (mm/d, Oudin, DERIVED), river (stage; NaN for the
    wells without a river series and before a series starts; gaps of up to 7 days filled linearly).
    river_wells: wells with a river series. The river series of Oberglatt, Marthalen and Poschiavo are small
    values (0-2; a relative stage or a discharge, see SOURCE.md): used as they are, the LSTM inputs are
    standardised per well anyway.
    """

    wells: pd.DataFrame
    levels: pd.DataFrame
    forcing: pd.DataFrame
    river_wells: list = field(default_factory=list)
    folder: Optional[Path] = None

    @property
    def well_ids(self):
        return list(self.wells["well_id"])

    def latitudes(self):
        return dict(zip(self.wells["well_id"], self.wells["lat"]))


def load_swiss(folder=None, wells=None):
    """Read the Swiss folder into a ``SwissData`` (None when the folder is absent). ``wells``: a subset."""
    folder = Path(folder) if folder else swiss_dir()
    if folder is None or not Path(folder).is_dir():
        return None
    heads = _wide(folder / "heads.csv")
    precip = _wide(folder / "precipitation.csv")
    temp = _wide(folder / "temperature.csv")
    pet = _wide(folder / "evaporation_oudin_DERIVED.csv")
    rivers = _wide(folder / "rivers.csv")
    meta = pd.read_csv(folder / "metadata_heads.csv", index_col=0, encoding="utf-8")
    names = list(heads.columns) if wells is None else [w for w in heads.columns if w in set(wells)]
    rivers = rivers.interpolate(limit=RIVER_GAP_FILL_DAYS, limit_area="inside")
    rivers = rivers.reindex(precip.index)
    levels = _long(heads[names], "level").dropna(subset=["level"])
    forcing = _long(precip[names], "precip")
    for name, wide in (("temp", temp), ("pet", pet)):
        forcing[name] = _long(wide[names], name)[name].to_numpy()
    river = rivers.reindex(columns=names)
    forcing["river"] = _long(river, "river")["river"].to_numpy()
    wells_df = pd.DataFrame({
        "well_id": names,
        "x": meta.loc[names, "lon"].to_numpy(),
        "y": meta.loc[names, "lat"].to_numpy(),
        "lat": meta.loc[names, "lat"].to_numpy(),
        "z": meta.loc[names, "z"].to_numpy(),
        "id": meta.loc[names, "id"].to_numpy(),
        "has_river": [n in rivers.columns for n in names],
    })
    river_wells = [n for n in names if n in rivers.columns]
    levels = levels[["well_id", "date", "level"]].reset_index(drop=True)
    forcing = forcing[["well_id", "date", "precip", "temp", "pet", "river"]].reset_index(drop=True)
    return SwissData(wells_df, levels, forcing, river_wells, Path(folder))


def swiss_groups(data, warmup_days, use_river=True, log=None):
    """[(roles, records, skipped)]: the river wells with roles precip/temp/pet/river and the others with
    precip/temp/pet, each prepared by ``core.inputs.tables.prepare_wells`` (levels to the end of the test span)."""
    from groundwater_lstm.core.inputs.tables import prepare_wells
    from groundwater_lstm.core.inputs.roles import Roles

    levels = data.levels[data.levels["date"] <= pd.Timestamp(SWISS_TEST_END)]
    def prepare(wells, roles):
        fc = data.forcing[data.forcing["well_id"].isin(wells)]
        lv = levels[levels["well_id"].isin(wells)]
        return prepare_wells(lv, fc, roles, wells, warmup_days=warmup_days, forcing_id_col="well_id",
                             latitudes=data.latitudes(), extend_to_forcing_end=False, log=log)

    groups = []
    with_river = [w for w in data.well_ids if use_river and w in data.river_wells]
    without = [w for w in data.well_ids if w not in with_river]
    if with_river:
        roles = Roles(precip="precip", temp="temp", pet="pet", river="river")
        records, skipped = prepare(with_river, roles)
        # a river series with a long gap inside the record: that well goes on without the river
        without = [w for w in data.well_ids if w in set(without) | set(skipped)]
        groups.append((roles, records, {}))
    if without:
        roles = Roles(precip="precip", temp="temp", pet="pet")
        records, skipped = prepare(without, roles)
        groups.append((roles, records, skipped))
    return groups


def synthetic_network(wells=24, years=12, seed=42):
    """``core.hydrology.synthetic.create_network`` (the default sample network)."""
    from groundwater_lstm.core.hydrology.synthetic import create_network

    return create_network(wells=wells, years=years, seed=seed)


def synthetic_roles(net):
    """Roles for the synthetic network's forcing columns (every driver the network has)."""
    from groundwater_lstm.core.inputs.roles import Roles

    cols = set(net.forcing.columns)
    return Roles(**{r: (r if r in cols else None) for r in ("precip", "temp", "pet", "river", "pumping")})


def synthetic_records(net, warmup_days, roles=None, log=None):
    from groundwater_lstm.core.inputs.tables import prepare_wells

    roles = roles or synthetic_roles(net)
    fid = "well_id" if "well_id" in net.forcing.columns else None
    ids = list(net.wells["well_id"]) if "well_id" in net.wells.columns else sorted(net.levels["well_id"].unique())
    lat = None
    if "y" in net.wells.columns and "well_id" in net.wells.columns:
        lat = dict(zip(net.wells["well_id"].astype(str), net.wells["y"]))
    records, skipped = prepare_wells(net.levels, net.forcing, roles, ids, warmup_days=warmup_days,
                                     forcing_id_col=fid, latitudes=lat, log=log)
    return roles, records, skipped
