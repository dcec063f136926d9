"""The classical baseline: Pastas (Collenteur et al. 2019) on the Swiss wells, same split as case ``swiss``.

Not one of ``make bench``'s cases: Pastas 2 needs a newer numpy than QGIS 3.22 ships, so ``make bench-pastas`` runs
this module in the newest-releases venv (``.venv-latest``): ``python -m benchmarks.pastas_swiss``.
Prints one JSON line per model structure (``pastas_flex``, ``pastas_linear``) with the keys of the other cases, and
a third, ``pastas_plugin_inputs``: the plugin's own baseline code (``core.model.tfn``) on the records the LSTMs
train on, so that case ``swiss_baseline`` (QGIS's Pastas 1.x) and this venv's Pastas 2 differ by the release only.

Per well: head ~ constant + recharge (precipitation, the derived Oudin evaporation; Gamma response) + river stage
(Exponential response) where the well has a river series. ``flex``: the non-linear FlexModel recharge with its
snow bucket (temperature); ``linear``: P - f E. Calibrated by least squares from the first observation (for river
wells from the first river day) to 2012-12-31, scored on 2013-01-01..2020-12-31 like the LSTMs.
"""
import json
import sys
import time
import warnings

import numpy as np
import pandas as pd

from . import datasets
from .common import summary

RIVER_GAP_FILL_DAYS = 30


def _river(series, first_head):
    """(river stress without NaN and centred on its calibration mean, calibration start, days to leave out)."""
    r = series.astype(float)
    gap = r.isna()
    run = gap.groupby((gap != gap.shift()).cumsum()).transform("sum")
    filled = r.interpolate(method="time", limit_area="inside")
    filled[gap & (run > RIVER_GAP_FILL_DAYS)] = np.nan
    start = max(first_head, filled.first_valid_index())
    inner = filled[start:filled.last_valid_index()]
    skip = inner.index[inner.isna()]  # long gaps: the stress is bridged, the heads there are not fitted
    stress = r.interpolate(method="time", limit_area="inside").dropna()
    # centred: stages of hundreds of metres a.s.l. make the river gain and the constant trade off
    stress = stress - stress[start:datasets.SWISS_TRAIN_END].mean()
    return stress.rename("river"), start, skip


def _nse(obs, sim):
    sim = sim.reindex(obs.index)
    keep = sim.notna()
    o, s = obs[keep], sim[keep]
    return float(1.0 - ((o - s) ** 2).sum() / ((o - o.mean()) ** 2).sum())


def fit_well(ps, name, heads, precip, evap, temp, river, structure):
    """Calibrate one well; returns its test NSE."""
    head = heads[name].dropna().rename(name)
    start, skip = head.index[0], []
    stress = None
    if river is not None and name in river.columns:
        stress, start, skip = _river(river[name], head.index[0])
    calib = head.drop(head.index.intersection(skip))
    ml = ps.Model(calib, name=name)
    kw = dict(model=ml, prec=precip[name].rename("prec"), evap=evap[name].rename("evap"), rfunc=ps.Gamma(),
              name="recharge")
    if structure == "flex":
        kw.update(recharge=ps.rch.FlexModel(snow=True), temp=temp[name].rename("temp"))
    else:
        kw.update(recharge=ps.rch.Linear())
    ps.RechargeModel(**kw)
    if stress is not None:
        ps.StressModel(model=ml, stress=stress, rfunc=ps.Exponential(), name="river", settings="waterlevel")
    end = pd.Timestamp(datasets.SWISS_TRAIN_END)
    ml.solve(tmin=start, tmax=end, report=False)
    if structure == "flex":  # a second pass from the optimum, as Pastas advises for non-linear recharge
        ml.solve(tmin=start, tmax=end, report=False, initial=False)
    test = head[datasets.SWISS_TEST_START:datasets.SWISS_TEST_END]
    return _nse(test, ml.simulate(tmin=datasets.SWISS_TEST_START, tmax=datasets.SWISS_TEST_END))


def run_plugin_inputs(data):
    """The plugin's baseline (``core.model.tfn.fit_well``) on the LSTM's records and split: what case
    ``swiss_baseline`` fits, here under this venv's Pastas. Its records start where every driver does (for river
    wells, the river) and the stresses before are Pastas' fill, where the standalone fit above reads the whole
    precipitation history (and calibrates from its first river day): on Massongex and Worben the two differ by more
    than 0.5 of test NSE, while their medians agree within 0.01."""
    from .common import ensure_importable

    ensure_importable()
    from groundwater_lstm.core.model import tfn
    from groundwater_lstm.core.model.config import TrainConfig
    from groundwater_lstm.core.model.splits import split_dates

    cfg = TrainConfig().replace(test_start=datasets.SWISS_TEST_START, val_start=None)
    nse, failed, t0 = {}, {}, time.perf_counter()
    for roles, records, skipped in datasets.swiss_groups(data, cfg.lookback):
        failed.update({w: str(why) for w, why in skipped.items()})
        for well, record in records.items():
            level = record.frame["level"]
            bounds = split_dates(level.dropna().index, cfg)
            try:
                sim, _ = tfn.fit_well(record, roles, bounds, cfg.feature_config(), cfg.lookback)
            except Exception as exc:  # a well Pastas cannot fit counts as a failure, the others go on
                nse[well], failed[well] = None, f"{type(exc).__name__}: {exc}"
                continue
            nse[well] = round(_nse(level[bounds["test_start"]:bounds["end"]].dropna(), sim), 4)
    nse = {w: nse.get(w) for w in data.well_ids}
    return {"case": "pastas_plugin_inputs", "wells": len(nse), "seconds": round(time.perf_counter() - t0, 1),
            **summary(list(nse.values())), "failed": failed, "nse_test": nse}


def run(structures=("flex", "linear")):
    folder = datasets.swiss_dir()
    if folder is None:
        return [{"case": f"pastas_{s}", "skipped": "the real data folder is absent", "wells": 0, "seconds": None,
                 "median_nse_test": None, "share_nse_test_gt_0_7": None} for s in structures]
    import pastas as ps

    warnings.filterwarnings("ignore")
    ps.set_log_level("ERROR")
    heads, precip = datasets._wide(folder / "heads.csv"), datasets._wide(folder / "precipitation.csv")
    evap, temp = datasets._wide(folder / "evaporation_oudin_DERIVED.csv"), datasets._wide(folder / "temperature.csv")
    river = datasets._wide(folder / "rivers.csv")
    out = []
    for structure in structures:
        nse, failed, t0 = {}, {}, time.perf_counter()
        for name in heads.columns:
            try:
                nse[name] = round(fit_well(ps, name, heads, precip, evap, temp, river, structure), 4)
            except Exception as exc:  # a well Pastas cannot fit counts as a failure, the others go on
                nse[name], failed[name] = None, f"{type(exc).__name__}: {exc}"
        out.append({"case": f"pastas_{structure}", "wells": len(nse), "seconds": round(time.perf_counter() - t0, 1),
                    **summary(list(nse.values())),
                    "pastas_version": ps.__version__,
                    "test": f"{datasets.SWISS_TEST_START}..{datasets.SWISS_TEST_END}",
                    "failed": failed, "nse_test": nse})
    out.append({**run_plugin_inputs(datasets.load_swiss(folder)), "pastas_version": ps.__version__})
    return out


if __name__ == "__main__":
    for line in run():
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
