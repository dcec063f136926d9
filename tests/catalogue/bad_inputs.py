"""The bad-input catalogue: one case per bad, awkward or good input a new user tried (issue #13).

Each case starts from a copy of a small workspace (three sample wells over three years as a GeoPackage and two
CSV tables, one tiny trained run and its explanation), changes one thing, runs one algorithm and asserts:
- the outcome: refused (the run fails, rc 1 under qgis_process) or done (rc 0);
- the message: every text of ``says`` appears in what the run printed (for a refusal: the parameter or field,
  the well where there is one, and ``Fix:``), and no traceback;
- nothing lost: every file that existed before is byte for byte as it was (``changes`` names the outputs a
  successful run may replace), a refused run writes no file at all, and no staged file is left behind.

The processing tier (tests/processing/test_catalogue.py) runs every case in-process; the headless tier
(tests/headless/test_catalogue_headless.py) runs those marked ``headless`` through the real qgis_process.
"""
import hashlib
import io
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Tuple

import pandas as pd

TINY = {"LOOKBACK": 30, "HIDDEN": 4, "EPOCHS": 2, "ENSEMBLE": 1, "SEED": 3}
EXPLAIN_TINY = {"N_SAMPLES": 4, "DAYS_PER_PERIOD": 5, "SEED": 1}
WELL_IDS = ("SN01", "SN02", "SN03")


class Workspace:
    """One case's folder: ``wells.gpkg`` (layer wells), ``levels.csv``, ``forcing.csv``, and the earlier run's
    ``run/`` (wells.gpkg, sim.csv, models/, att.csv)."""

    def __init__(self, folder):
        self.dir = Path(folder)

    def p(self, name):
        return str(self.dir / name)

    @property
    def wells(self):
        return f"{self.dir / 'wells.gpkg'}|layername=wells"

    # -- the CSV tables as text, as a user's spreadsheet holds them
    def table(self, name):
        return pd.read_csv(self.dir / name, dtype=str, keep_default_na=False)

    def write(self, name, frame):
        frame.to_csv(self.dir / name, index=False)

    def edit(self, name, change):
        frame = self.table(name)
        out = change(frame)
        self.write(name, frame if out is None else out)

    def sql(self, gpkg, *statements):
        """Run SQL on a GeoPackage through GDAL (its triggers call GDAL's spatial functions)."""
        from osgeo import gdal

        ds = gdal.OpenEx(str(self.dir / gpkg), gdal.OF_VECTOR | gdal.OF_UPDATE)
        for s in statements:
            ds.ExecuteSQL(s)
        ds = None

    # -- parameters
    def train(self, **kw):
        return {"WELLS": self.wells, "LEVELS": self.p("levels.csv"), "FORCING": self.p("forcing.csv"), **TINY,
                "OUTPUT": self.p("out.gpkg"), "SIMULATION": self.p("sim.csv"), "MODEL_FOLDER": self.p("models"),
                **kw}

    def analyse(self, **kw):
        return {**self.train(), **{k: v for k, v in EXPLAIN_TINY.items() if k != "SEED"},
                "OUTPUT": self.p("explained.gpkg"), "ATTRIBUTION": self.p("attribution.csv"),
                "REPORT": self.p("report.html"), **kw}

    def explain(self, **kw):
        return {"WELLS": self.wells, "FORCING": self.p("forcing.csv"), "MODEL_FOLDER": self.p("run/models"),
                **EXPLAIN_TINY, "OUTPUT": self.p("explained.gpkg"), "ATTRIBUTION": self.p("attribution.csv"), **kw}

    def simulate(self, **kw):
        return {"WELLS": self.wells, "FORCING": self.p("forcing.csv"), "MODEL_FOLDER": self.p("run/models"),
                "SIMULATION": self.p("simulated.csv"), **kw}

    def classify(self, **kw):
        return {"WELLS": self.wells, "ATTRIBUTION": self.p("run/att.csv"), "OUTPUT": self.p("typed.gpkg"), **kw}

    def report(self, **kw):
        return {"WELLS": self.p("run/wells.gpkg"), "SIMULATION": self.p("run/sim.csv"),
                "ATTRIBUTION": self.p("run/att.csv"), "REPORT": self.p("report.html"), **kw}


def build_template(folder, run):
    """The workspace every case copies: ``run(alg, params)`` runs an algorithm (in-process or qgis_process)."""
    ws = Workspace(folder)
    run("createsampledata", {"WELLS": 3, "YEARS": 3, "SEED": 5, "WELLS_OUTPUT": ws.p("wells.gpkg"),
                             "LEVELS_OUTPUT": ws.p("levels.csv"), "FORCING_OUTPUT": ws.p("forcing.csv")})
    (ws.dir / "run").mkdir()
    run("trainwells", ws.train(OUTPUT=ws.p("run/wells.gpkg"), SIMULATION=ws.p("run/sim.csv"),
                               MODEL_FOLDER=ws.p("run/models")))
    run("explaindrivers", ws.explain(OUTPUT=ws.p("run/explained.gpkg"), ATTRIBUTION=ws.p("run/att.csv")))
    return ws


def start(case, template, folder):
    """A copy of the template with the case's change made: (workspace, digest of every file in it)."""
    ws = Workspace(folder)
    shutil.copytree(template.dir, ws.dir)
    if case.prepare is not None:
        case.prepare(ws)
    return ws, digest(ws.dir)


def digest(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


@dataclass(frozen=True)
class Case:
    name: str
    item: str  # where it comes from in issue #13: "bad N", "weak", or "good" (handled well already)
    alg: str
    params: Callable[[Workspace], dict]
    refused: bool
    says: Tuple[str, ...] = ()
    prepare: Optional[Callable[[Workspace], None]] = None
    changes: Tuple[str, ...] = ()  # files or folders a successful run may replace
    check: Optional[Callable[[Workspace, str], None]] = None  # more checks: (workspace, printed text)
    never: Tuple[str, ...] = ()
    headless: bool = False

    def __str__(self):
        return self.name


def verify(case, ws, before, ok, text):
    """The assertions every case shares (see the module docstring)."""
    shown = f"{case.name} ({case.item}): {'done' if ok else 'refused'}:\n{text}"
    assert ok != case.refused, shown
    low = text.lower()
    for s in case.says + (("fix:",) if case.refused else ()):
        assert s.lower() in low, f"'{s}' is not in the message of {shown}"
    for s in case.never + ("Traceback",):
        assert s.lower() not in low, f"'{s}' is in the message of {shown}"
    after = digest(ws.dir)
    staged = [k for k in after if "gwlstm_staged" in k or "gwlstm-old" in k]
    assert not staged, f"{case.name}: staged files left: {staged}"
    if case.refused:
        assert after == before, f"{case.name}: a refused run changed files: " \
                                f"{sorted(set(after.items()) ^ set(before.items()))}"
    else:
        allowed = tuple(case.changes)
        changed = [k for k, v in before.items() if after.get(k) != v and not k.startswith(allowed)]
        assert not changed, f"{case.name}: files that existed were changed: {changed}"
    if case.check is not None:
        case.check(ws, text)


# ---------------------------------------------------------------------------------------------------------
# helpers for the cases
def set_cells(name, column, rows, value):
    """Change ``column`` of the given row positions (or a predicate on the frame) of table ``name``."""
    def change(frame):
        idx = rows(frame) if callable(rows) else list(rows)
        frame.loc[idx, column] = value
    return lambda ws: ws.edit(name, change)


def of_well(well, every=1, n=None):
    def rows(frame):
        idx = frame.index[frame["well_id"] == well][::every]
        return idx if n is None else idx[:n]
    return rows


def keep_rows(name, keep):
    return lambda ws: ws.edit(name, lambda f: f[keep(f)].reset_index(drop=True))


def both(*steps):
    def run(ws):
        for s in steps:
            s(ws)
    return run


def gpkg_rows(path, sql):
    with sqlite3.connect(path) as con:
        return con.execute(sql).fetchall()


def gpkg_columns(path, table):
    with sqlite3.connect(path) as con:
        return [r[1] for r in con.execute(f'pragma table_info("{table}")')]


def first_table(path):
    with sqlite3.connect(path) as con:
        return con.execute("select table_name from gpkg_contents where data_type='features'").fetchone()[0]


def status_of(path):
    """{well_id: status} of an output wells GeoPackage."""
    return dict(gpkg_rows(path, f'select well_id, status from "{first_table(path)}"'))


def sim_rows(path):
    return pd.read_csv(path)


def _status(well, *texts):
    def check(ws, text):
        s = status_of(ws.p("out.gpkg"))
        assert all(t.lower() in str(s[well]).lower() for t in texts), s
        assert any(v == "ok" for w, v in s.items() if w != well), s  # the others go on
    return check


def _nodata_not_observed(ws, text):
    _status("SN01", "ok")(ws, text)
    observed = sim_rows(ws.p("sim.csv"))["observed"].dropna()
    assert len(observed) and (observed > -9000).all(), observed.min()


def shift_dates(frame, well, days):
    """The frame with the readings of ``well`` moved ``days`` later."""
    later = (pd.to_datetime(frame["date"], format="%Y/%m/%d") + pd.Timedelta(days=days)).dt.strftime("%Y/%m/%d")
    return frame.assign(date=frame["date"].where(frame["well_id"] != well, later))


def _utc_levels(ws):
    # the same readings as timestamps in UTC, as loggers export them
    ws.edit("levels.csv", lambda f: f.assign(date=pd.to_datetime(f["date"], format="%Y/%m/%d")
                                             .dt.strftime("%Y-%m-%dT00:00:00Z")))


def _utc_check(ws, text):
    sim = pd.read_csv(ws.p("sim.csv"))
    lev = pd.read_csv(io.StringIO((Path(ws.p("levels.csv")).read_text())))
    observed = sim.dropna(subset=["observed"])
    first_obs = pd.to_datetime(lev["date"].str[:10]).groupby(lev["well_id"]).min()
    got = pd.to_datetime(observed["date"]).groupby(observed["well_id"]).min()
    assert (got.reindex(first_obs.index) >= first_obs).all()
    # every observed day in the simulation is a reading's own day, not the day before
    days = set(zip(lev["well_id"], pd.to_datetime(lev["date"].str[:10])))
    assert all((w, d) in days for w, d in zip(observed["well_id"], pd.to_datetime(observed["date"])))


def _user_fields(ws):
    ws.sql("wells.gpkg", "alter table wells add column status text", "alter table wells add column n_obs integer",
           "update wells set status = 'active', n_obs = 17")


def _user_fields_check(ws, text):
    cols = gpkg_columns(ws.p("out.gpkg"), first_table(ws.p("out.gpkg")))
    assert "status_1" in cols and "n_obs_1" in cols, cols
    rows = gpkg_rows(ws.p("out.gpkg"), f'select status_1, n_obs_1, status from "{first_table(ws.p("out.gpkg"))}"')
    assert all(r[0] == "active" and r[1] == 17 and r[2] == "ok" for r in rows), rows


def _share_fields_check(ws, text):
    cols = gpkg_columns(ws.p("explained.gpkg"), first_table(ws.p("explained.gpkg")))
    shares = [c for c in cols if c.startswith("sh_")]
    assert len(shares) == len(set(shares)) and len([c for c in shares if c.startswith("sh_soil")]) == 2, cols


def _two_soil_temperatures(ws):
    def change(frame):
        t = pd.to_numeric(frame["temp"])
        frame["soil_temp_10cm"] = (t * 0.5 + 2).round(3).astype(str)
        frame["soil_temp_50cm"] = (t.rolling(30, min_periods=1).mean() * 0.3 + 5).round(3).astype(str)
    ws.edit("forcing.csv", change)


def _thousands(spec):
    # the pumping in m3/day with thousands separators, as a spreadsheet exports it: '1,063.4'
    def prepare(ws):
        ws.edit("forcing.csv", lambda f: f.assign(pumping=[f"{x:,{spec}}" for x in
                                                          pd.to_numeric(f["pumping"]) * 100 + 1000]))
    return prepare


def _pumping_read(low):
    """The pumping the models were trained on (its training mean, from the model folder) is in the thousands."""
    def check(ws, text):
        import json

        manifest = json.loads(Path(ws.p("models/manifest.json")).read_text())
        for entry in manifest["wells"].values():
            mean = entry["scalers"]["x_mean"][entry["feature_names"].index("pumping")]
            assert mean > low, (mean, "the pumping was read 1000 times too small")
    return check


def _depths(ws):
    ws.edit("levels.csv", lambda f: f.rename(columns={"level": "depth_bgl"}).assign(
        depth_bgl=(150 - pd.to_numeric(f["level"])).round(3).astype(str)))


def _foreign_model_folder(ws):
    (ws.dir / "models" / "figures").mkdir(parents=True)
    (ws.dir / "models" / "notes.txt").write_text("my notes")
    (ws.dir / "models" / "figures" / "f1.png").write_bytes(b"\x89PNG not really")


def _earlier_outputs(ws):
    # a good earlier run's outputs in place: the new run must keep them when it fails
    shutil.copy(ws.p("run/wells.gpkg"), ws.p("out.gpkg"))
    shutil.copytree(ws.p("run/models"), ws.p("models"))


def _broken_sim(ws):
    _earlier_outputs(ws)
    Path(ws.p("broken.gpkg")).write_bytes(b"this is not a GeoPackage")


def _no_geometry(ws):
    ws.sql("wells.gpkg", "update wells set geom = NULL where well_id = 'SN02'")


def _no_pet(ws):
    ws.edit("forcing.csv", lambda f: f.drop(columns=["pet"]))


def _real_ids(ws):
    ws.sql("wells.gpkg", "alter table wells add column code real", "alter table wells add column num integer",
           "update wells set code = 100 + cast(substr(well_id, 3) as integer), "
           "num = 100 + cast(substr(well_id, 3) as integer)")
    for name in ("levels.csv", "forcing.csv"):
        ws.edit(name, lambda f: f.assign(well_id=f["well_id"].str[2:].astype(int).add(100).astype(str)))


def _mixed_case_ids(ws):
    ws.edit("levels.csv", lambda f: f.assign(well_id=" " + f["well_id"] + " "))


CASES = [
    # ---- the eleven bad ones ---------------------------------------------------------------------------
    Case("output-into-input-wells-table", "bad 1", "trainwells",
         lambda ws: ws.train(OUTPUT=f"ogr:dbname='{ws.p('wells.gpkg')}' table=\"wells\" (geom)"), True,
         ("OUTPUT", "input WELLS"), headless=True),
    Case("output-as-the-inputs-geopackage", "bad 2", "trainwells",
         lambda ws: ws.train(OUTPUT=ws.p("wells.gpkg")), True, ("OUTPUT", "WELLS"), headless=True),
    Case("model-folder-with-users-files", "bad 3", "trainwells", lambda ws: ws.train(), True,
         ("MODEL_FOLDER", "notes.txt"), prepare=_foreign_model_folder, headless=True),
    Case("failed-run-keeps-model-folder-and-output", "bad 4, 5", "trainwells",
         lambda ws: ws.train(SEED=9, SIMULATION=ws.p("s" * 260 + ".csv")), True,
         ("SIMULATION", "Drivers:", "kept as they were"), prepare=_earlier_outputs, headless=True),
    # a file name no file system takes fails only when the file is created, after the training: the earlier
    # outputs and the model folder must come back as they were
    Case("output-file-that-is-no-geopackage", "weak", "trainwells",
         lambda ws: ws.train(SIMULATION=f"ogr:dbname='{ws.p('broken.gpkg')}' table=simulation"), True,
         ("SIMULATION", "broken.gpkg", "not a GeoPackage"), prepare=_broken_sim, never=("Drivers:",)),
    Case("two-extra-drivers-one-share-field", "bad 6", "analysewells",
         lambda ws: ws.analyse(OTHER_FIELDS="soil_temp_10cm;soil_temp_50cm"), False,
         ("soil_temp_10cm", "soil_temp_50cm"), prepare=_two_soil_temperatures, check=_share_fields_check,
         headless=True),
    Case("thousands-separators-in-pumping", "bad 7", "trainwells", lambda ws: ws.train(), False,
         ("Trained 3 of 3",), prepare=_thousands(".1f"), check=_pumping_read(1000), headless=True),
    Case("ambiguous-commas-in-pumping", "bad 7", "trainwells", lambda ws: ws.train(), True,
         ("pumping", "decimal commas", "thousands separator"), prepare=_thousands(".0f")),
    Case("nodata-levels", "bad 8", "trainwells", lambda ws: ws.train(), False,
         ("-9999", "level", "SN01"), prepare=set_cells("levels.csv", "level", of_well("SN01", 5), "-9999"),
         check=_nodata_not_observed, headless=True),
    Case("nodata-river", "bad 9", "trainwells", lambda ws: ws.train(), False, ("-9999", "river"),
         prepare=set_cells("forcing.csv", "river", of_well("SN03", 50, 5), "-9999"),
         check=_status("SN03", "skipped", "river")),
    Case("nodata-pumping", "bad 9", "trainwells", lambda ws: ws.train(), False, ("-9999", "pumping"),
         prepare=set_cells("forcing.csv", "pumping", of_well("SN02", 60, 4), "-9999"),
         check=_status("SN02", "skipped", "pumping"), headless=True),
    Case("test-start-dd-mm-yyyy", "bad 10", "trainwells", lambda ws: ws.train(TEST_START="01.06.2010"), False,
         ("Trained 3 of 3",), check=lambda ws, t: _split_starts(ws, "2010-06-01"), headless=True),
    Case("test-start-ambiguous", "bad 10", "trainwells", lambda ws: ws.train(TEST_START="01/06/2010"), True,
         ("TEST_START", "day and month"), headless=True),
    Case("attribution-of-other-wells", "bad 11", "classifydynamics", lambda ws: ws.classify(), True,
         ("ATTRIBUTION", "SN01"),
         prepare=lambda ws: ws.edit("run/att.csv", lambda f: f.assign(well_id="X" + f["well_id"])), headless=True),
]


def _split_starts(ws, day):
    sim = pd.read_csv(ws.p("sim.csv"))
    first_test = pd.to_datetime(sim.loc[sim["split"] == "test", "date"]).min()
    assert first_test == pd.Timestamp(day), first_test


def _drop_well_levels(well):
    return keep_rows("levels.csv", lambda f: f["well_id"] != well)


def _few_levels(well, n):
    def run(ws):
        def change(f):
            idx = f.index[f["well_id"] == well]
            return f.drop(idx[n:]).reset_index(drop=True)
        ws.edit("levels.csv", change)
    return run


def _forcing_gap(well, start, days):
    def run(ws):
        def change(f):
            d = pd.to_datetime(f["date"], format="%Y/%m/%d")
            first = pd.Timestamp(start)
            gap = (f["well_id"] == well) & (d >= first) & (d < first + pd.Timedelta(days=days))
            return f[~gap].reset_index(drop=True)
        ws.edit("forcing.csv", change)
    return run


def _reformat_dates(name, fmt):
    return lambda ws: ws.edit(name, lambda f: f.assign(
        date=pd.to_datetime(f["date"], format="%Y/%m/%d").dt.strftime(fmt)))


def _scale(name, column, factor, offset=0.0):
    return lambda ws: ws.edit(name, lambda f: f.assign(
        **{column: (pd.to_numeric(f[column]) * factor + offset).round(4).astype(str)}))


def _decimal_commas(name, column):
    return lambda ws: ws.edit(name, lambda f: f.assign(**{column: f[column].str.replace(".", ",", regex=False)}))


def _empty_table(name):
    return lambda ws: ws.edit(name, lambda f: f.iloc[0:0])


def _duplicate_rows(name, well, n):
    return lambda ws: ws.edit(name, lambda f: pd.concat([f, f[f["well_id"] == well].iloc[:n]], ignore_index=True))


def _river_for(wells):
    def run(ws):
        def change(f):
            f.loc[~f["well_id"].isin(wells), "river"] = ""
        ws.edit("forcing.csv", change)
    return run


def _stuck_logger(well, n):
    def run(ws):
        def change(f):
            idx = f.index[f["well_id"] == well][20:20 + n]
            f.loc[idx, "level"] = f.loc[idx[0], "level"]
        ws.edit("levels.csv", change)
    return run


def _one_outlier(ws):
    def change(f):
        idx = f.index[f["well_id"] == "SN03"][300]
        f.loc[idx, "river"] = str(float(f.loc[idx, "river"]) + 80)
    ws.edit("forcing.csv", change)


def _negative_pumping(ws):
    def change(f):
        idx = f.index[f["well_id"] == "SN01"][100:104]
        f.loc[idx, "pumping"] = "-35.5"
    ws.edit("forcing.csv", change)


def _wells_duplicate_id(ws):
    ws.sql("wells.gpkg", "update wells set well_id = 'SN01' where well_id = 'SN02'")


def _wells_null_id(ws):
    ws.sql("wells.gpkg", "update wells set well_id = NULL where well_id = 'SN02'")


def _wells_empty(ws):
    ws.sql("wells.gpkg", "delete from wells")


def _level_text(ws):
    def change(f):
        idx = f.index[f["well_id"] == "SN02"][10:13]
        f.loc[idx, "level"] = "n/a?"
    ws.edit("levels.csv", change)


def _level_units(ws):
    ws.edit("levels.csv", lambda f: f.assign(level=f["level"] + " m"))


def _bad_dates(ws):
    def change(f):
        idx = f.index[f["well_id"] == "SN01"][5:8]
        f.loc[idx, "date"] = "soon"
    ws.edit("levels.csv", change)


def _calendar(rows):
    def run(ws):
        text = "winter,freeze_start,thaw_start,thaw_end\n" + "\n".join(rows) + "\n"
        Path(ws.p("calendar.csv")).write_text(text)
    return run


def _report_check(ws, text):
    html = Path(ws.p("report.html")).read_text()
    assert all(w in html for w in WELL_IDS), "the report lacks a well"


def _wells_with_code_id(ws):
    # the analysis output of a user whose ID field is 'code': well_id is not there
    ws.sql("run/wells.gpkg", f'alter table "{first_table(ws.p("run/wells.gpkg"))}" rename column well_id to code')


def _inputs_and_new_table(ws, text):
    assert len(gpkg_rows(ws.p("wells.gpkg"), "select * from wells")) == 3
    assert len(gpkg_rows(ws.p("wells.gpkg"), "select status from scored where status = 'ok'")) == 3


def _named_after_the_file(ws, text):
    # written first under the same name in a hidden folder: the layer is named after the file, as QGIS names it
    assert first_table(ws.p("new/deeper/w.gpkg")) == "w"
    assert sorted(p.name for p in Path(ws.p("new/deeper")).iterdir()) == ["w.gpkg"]


def _status_kept(well, *texts):
    def check(ws, text):
        s = status_of(ws.p("out.gpkg"))
        assert all(t.lower() in str(s[well]).lower() for t in texts), s
    return check


def _no_test_score(ws, text):
    rows = gpkg_rows(ws.p("out.gpkg"), f'select status, nse_test from "{first_table(ws.p("out.gpkg"))}"')
    assert all(r[0] == "ok" and r[1] is None for r in rows), rows


CASES += [
    # ---- IDs ----------------------------------------------------------------------------------------------
    Case("wells-id-field-missing", "good", "trainwells", lambda ws: ws.train(WELL_ID_FIELD="code"), True,
         ("code",), headless=True),
    Case("levels-of-no-well", "good", "trainwells", lambda ws: ws.train(), True, ("SN01",),
         prepare=lambda ws: ws.edit("levels.csv", lambda f: f.assign(well_id="X" + f["well_id"]))),
    Case("a-well-without-levels", "good", "trainwells", lambda ws: ws.train(), False, ("SN02",),
         prepare=_drop_well_levels("SN02"), check=_status("SN02", "skipped")),
    Case("duplicate-well-ids", "good", "trainwells", lambda ws: ws.train(), True, ("duplicate", "SN01"),
         prepare=_wells_duplicate_id),
    Case("a-well-without-id", "good", "trainwells", lambda ws: ws.train(), True, ("well_id", "no value"),
         prepare=_wells_null_id),
    Case("empty-wells-layer", "good", "trainwells", lambda ws: ws.train(), True, ("empty",), prepare=_wells_empty),
    Case("real-and-integer-id-fields", "weak", "trainwells", lambda ws: ws.train(WELL_ID_FIELD="code"), False,
         ("Trained 3 of 3",), prepare=_real_ids, headless=True),
    Case("integer-id-field", "weak", "trainwells", lambda ws: ws.train(WELL_ID_FIELD="num"), False,
         ("Trained 3 of 3",), prepare=_real_ids),
    Case("ids-with-spaces", "good", "trainwells", lambda ws: ws.train(), False, ("Trained 3 of 3",),
         prepare=_mixed_case_ids),
    # ---- dates --------------------------------------------------------------------------------------------
    Case("dates-dd-mm-yyyy", "good", "trainwells", lambda ws: ws.train(), False, ("Trained 3 of 3",),
         prepare=_reformat_dates("levels.csv", "%d.%m.%Y")),
    Case("dates-iso", "good", "trainwells", lambda ws: ws.train(), False, ("Trained 3 of 3",),
         prepare=both(_reformat_dates("levels.csv", "%Y-%m-%d"), _reformat_dates("forcing.csv", "%Y-%m-%d"))),
    Case("dates-ambiguous-slashes", "good", "trainwells", lambda ws: ws.train(), True, ("date", "21/10/2008"),
         prepare=_reformat_dates("levels.csv", "%d/%m/%Y")),
    Case("dates-unreadable", "good", "trainwells", lambda ws: ws.train(), False, ("soon", "SN01"),
         prepare=_bad_dates),
    Case("utc-timestamps", "weak", "trainwells", lambda ws: ws.train(), False, ("Trained 3 of 3",),
         prepare=_utc_levels, check=_utc_check, headless=True),
    Case("duplicate-level-dates", "good", "trainwells", lambda ws: ws.train(), False, ("SN01",),
         prepare=_duplicate_rows("levels.csv", "SN01", 3)),
    Case("duplicate-forcing-dates", "good", "trainwells", lambda ws: ws.train(), False, ("SN02", "more than once"),
         prepare=_duplicate_rows("forcing.csv", "SN02", 3), check=_status("SN02", "skipped")),
    Case("val-start-after-test-start", "good", "trainwells",
         lambda ws: ws.train(VAL_START="2010-06-01", TEST_START="2010-01-01"), True, ("VAL_START", "TEST_START")),
    Case("test-start-not-a-date", "good", "trainwells", lambda ws: ws.train(TEST_START="next spring"), True,
         ("TEST_START", "next spring")),
    Case("test-start-after-last-reading", "weak", "trainwells", lambda ws: ws.train(TEST_START="2030-01-01"),
         False, ("no test score", "2030-01-01", "SN01"), check=_no_test_score, headless=True),
    Case("test-start-before-first-reading", "good", "trainwells", lambda ws: ws.train(TEST_START="2000-01-01"),
         False, ("no observation before the test start",), check=_status_kept("SN01", "skipped")),
    Case("levels-after-forcing", "good", "trainwells", lambda ws: ws.train(), False, ("SN01", "extend the forcing"),
         prepare=lambda ws: ws.edit("levels.csv", lambda f: shift_dates(f, "SN01", 400)),
         check=_status("SN01", "skipped")),
    Case("forcing-starts-late", "good", "trainwells", lambda ws: ws.train(), False, ("left out", "warm-up"),
         prepare=keep_rows("forcing.csv", lambda f: pd.to_datetime(f["date"], format="%Y/%m/%d")
                           >= pd.Timestamp("2008-06-01"))),
    # ---- units and values -------------------------------------------------------------------------------
    Case("temperature-in-kelvin", "good", "trainwells", lambda ws: ws.train(), True, ("kelvin", "temp"),
         prepare=_scale("forcing.csv", "temp", 1.0, 273.15)),
    Case("precipitation-in-metres", "good", "trainwells", lambda ws: ws.train(), True, ("precip", "m/day"),
         prepare=_scale("forcing.csv", "precip", 0.001)),
    Case("depths-instead-of-heads", "weak", "trainwells",
         lambda ws: ws.train(LEVEL_FIELD="depth_bgl"), False, ("depth_bgl", "head", "positive up"),
         prepare=_depths, headless=True),
    Case("nodata-temperature", "good", "trainwells", lambda ws: ws.train(), False, ("-9999", "temp"),
         prepare=set_cells("forcing.csv", "temp", lambda f: f.index[f["well_id"] == "SN01"][400:520:40], "-9999"),
         check=_status("SN01", "skipped")),
    Case("nodata-own-codes", "good", "trainwells", lambda ws: ws.train(NODATA="-1"), False, ("-1", "level"),
         prepare=set_cells("levels.csv", "level", of_well("SN03", 7), "-1")),
    Case("nodata-not-a-number", "good", "trainwells", lambda ws: ws.train(NODATA="-9999;none"), True,
         ("NODATA", "'none'")),
    Case("negative-pumping", "good", "trainwells", lambda ws: ws.train(), False, ("negative", "pumping", "SN01"),
         prepare=_negative_pumping),
    Case("river-outlier", "good", "trainwells", lambda ws: ws.train(), False, ("river", "SN03", "Fix:"),
         prepare=_one_outlier),
    Case("stuck-logger", "good", "trainwells", lambda ws: ws.train(), False, ("SN02", "in a row"),
         prepare=_stuck_logger("SN02", 70)),
    Case("constant-level", "good", "trainwells", lambda ws: ws.train(), False, ("SN01", "constant"),
         prepare=set_cells("levels.csv", "level", of_well("SN01"), "136.5"), check=_status("SN01", "skipped")),
    # ---- formats ------------------------------------------------------------------------------------------
    Case("decimal-commas-in-levels", "good", "trainwells", lambda ws: ws.train(), False, ("Trained 3 of 3",),
         prepare=_decimal_commas("levels.csv", "level")),
    Case("level-text-values", "good", "trainwells", lambda ws: ws.train(), False, ("n/a?", "SN02"),
         prepare=_level_text),
    Case("levels-with-units", "good", "trainwells", lambda ws: ws.train(), True, ("level", "136"),
         prepare=_level_units),
    Case("empty-levels-table", "good", "trainwells", lambda ws: ws.train(), True, ("levels", "empty"),
         prepare=_empty_table("levels.csv")),
    Case("empty-forcing-table", "good", "trainwells", lambda ws: ws.train(), True, ("forcing", "empty"),
         prepare=_empty_table("forcing.csv")),
    Case("level-field-missing", "good", "trainwells", lambda ws: ws.train(LEVEL_FIELD="head"), True,
         ("head", "Fields present")),
    Case("levels-given-as-forcing", "good", "trainwells", lambda ws: ws.train(FORCING=ws.p("levels.csv")), True,
         ("precip",)),
    # ---- gaps and lengths -------------------------------------------------------------------------------------
    Case("forcing-gap", "good", "trainwells", lambda ws: ws.train(), False, ("SN02", "gap", "2009-03-01"),
         prepare=_forcing_gap("SN02", "2009-03-01", 10), check=_status("SN02", "skipped", "gap")),
    Case("river-for-some-wells-only", "weak", "trainwells", lambda ws: ws.train(), False,
         ("field 'river'", "no river stage value at all", "SN01", "train without it"),
         prepare=_river_for(["SN03"]), never=("precip, temp, pet, river, pumping",),
         check=_status("SN01", "skipped", "river"), headless=True),
    Case("gappy-levels", "good", "trainwells", lambda ws: ws.train(), False, ("Trained 3 of 3",),
         prepare=keep_rows("levels.csv", lambda f: ~((f["well_id"] == "SN02") & f["date"].str.startswith("2009/0")))),
    Case("too-few-levels", "weak", "trainwells", lambda ws: ws.train(), False, ("SN01", "at least"),
         prepare=_few_levels("SN01", 8), check=_status("SN01", "skipped"), never=("min_obs",)),
    Case("lookback-longer-than-forcing", "weak", "trainwells", lambda ws: ws.train(LOOKBACK=2000), True,
         ("look-back (lookback) of 2000 days is longer than the whole forcing", "SN01")),
    # ---- parameters -------------------------------------------------------------------------------------------
    Case("ensemble-not-whole", "weak", "trainwells", lambda ws: ws.train(ENSEMBLE=2.7), True,
         ("ENSEMBLE", "2.7", "whole number"), headless=True),
    Case("epochs-zero", "weak", "trainwells", lambda ws: ws.train(EPOCHS=0), True, ("EPOCHS", "at least 1"),
         headless=True),
    Case("hidden-negative", "weak", "trainwells", lambda ws: ws.train(HIDDEN=-4), True, ("HIDDEN", "at least 1")),
    Case("learning-rate-zero", "weak", "trainwells", lambda ws: ws.train(LEARNING_RATE=0), True,
         ("LEARNING_RATE",)),
    Case("seed-text", "good", "trainwells", lambda ws: ws.train(SEED="abc"), True, ("SEED",)),
    Case("cuda-without-gpu", "weak", "trainwells", lambda ws: ws.train(DEVICE=1), True, ("DEVICE", "GPU")),
    Case("driver-field-missing", "good", "trainwells", lambda ws: ws.train(PRECIP_FIELD="rain"), True,
         ("rain", "Fields present")),
    Case("other-field-missing", "good", "trainwells", lambda ws: ws.train(OTHER_FIELDS="soil_moisture"), True,
         ("soil_moisture",)),
    Case("empty-forcing-id-field", "weak", "trainwells", lambda ws: ws.train(FORCING_ID_FIELD=""), True,
         ("more than once", "well-ID field")),
    Case("wells-without-geometry", "weak", "trainwells", lambda ws: ws.train(), False, ("SN02", "geometry",
                                                                                        "EVAP_FIELD"),
         prepare=both(_no_geometry, _no_pet), check=_status("SN02", "skipped", "geometry")),
    Case("users-own-status-fields", "weak", "trainwells", lambda ws: ws.train(), False, ("status_1", "n_obs_1"),
         prepare=_user_fields, check=_user_fields_check, headless=True),
    Case("rerun-on-own-output", "good", "trainwells", lambda ws: ws.train(WELLS=f"{ws.p('run/wells.gpkg')}"),
         False, ("earlier run",)),
    # ---- outputs ------------------------------------------------------------------------------------------
    Case("new-table-in-inputs-geopackage", "good", "trainwells",
         lambda ws: ws.train(OUTPUT=f"ogr:dbname='{ws.p('wells.gpkg')}' table=scored (geom)"), False,
         ("Trained 3 of 3",), changes=("wells.gpkg",),
         check=_inputs_and_new_table),
    Case("missing-output-folder", "weak", "trainwells",
         lambda ws: ws.train(OUTPUT=ws.p("new/deeper/w.gpkg")), False, ("Trained 3 of 3",),
         check=_named_after_the_file),
    Case("output-folder-is-a-file", "weak", "trainwells", lambda ws: ws.train(OUTPUT=ws.p("levels.csv/w.gpkg")),
         True, ("OUTPUT", "is a file")),
    Case("two-outputs-one-file", "good", "trainwells",
         lambda ws: ws.train(SIMULATION=ws.p("out.gpkg")), True, ("OUTPUT", "SIMULATION")),
    Case("model-folder-holds-an-input", "good", "trainwells", lambda ws: ws.train(MODEL_FOLDER=str(ws.dir)), True,
         ("MODEL_FOLDER", "holds the input")),
    Case("model-folder-is-a-file", "good", "trainwells", lambda ws: ws.train(MODEL_FOLDER=ws.p("notes.txt")), True,
         ("MODEL_FOLDER", "is a file"), prepare=lambda ws: Path(ws.p("notes.txt")).write_text("mine")),
    Case("rerun-replaces-its-own-outputs", "good", "trainwells", lambda ws: ws.train(SEED=8), False,
         ("Trained 3 of 3",), prepare=_earlier_outputs, changes=("out.gpkg", "models", "sim.csv")),
    # ---- the other algorithms -------------------------------------------------------------------------------
    Case("simulate-without-model-folder", "good", "simulatelevels",
         lambda ws: ws.simulate(MODEL_FOLDER=ws.p("nowhere")), True, ("MODEL_FOLDER",)),
    Case("simulate-folder-not-a-model", "good", "simulatelevels",
         lambda ws: ws.simulate(MODEL_FOLDER=ws.p("run")), True, ("MODEL_FOLDER", "manifest")),
    Case("simulate-forcing-missing-a-driver", "good", "simulatelevels", lambda ws: ws.simulate(), True,
         ("river",), prepare=lambda ws: ws.edit("forcing.csv", lambda f: f.drop(columns=["river"]))),
    Case("simulate-good", "good", "simulatelevels", lambda ws: ws.simulate(), False, ("Simulated 3 wells",)),
    Case("explain-with-other-fields-unique-shares", "bad 6", "explaindrivers",
         lambda ws: ws.explain(OTHER_FIELDS="soil_temp_10cm;soil_temp_50cm"), True, ("soil_temp",),
         prepare=_two_soil_temperatures),
    Case("explain-calendar-inverted", "good", "explaindrivers", lambda ws: ws.explain(PERIODS=ws.p("calendar.csv")),
         True, ("PERIODS", "freeze_start"), prepare=_calendar(["2009,2009-04-01,2008-11-15,2009-04-20"])),
    Case("classify-without-attribution-fields", "good", "classifydynamics",
         lambda ws: ws.classify(ATTRIBUTION=ws.p("levels.csv")), True, ("ATTRIBUTION",)),
    Case("classify-good", "good", "classifydynamics", lambda ws: ws.classify(), False, ("Dynamics types",)),
    Case("report-with-own-id-field", "weak", "wellreport", lambda ws: ws.report(WELL_ID_FIELD="code"), False,
         ("Report:",), prepare=_wells_with_code_id, check=_report_check, headless=True),
    Case("report-id-field-missing", "weak", "wellreport", lambda ws: ws.report(), True, ("WELL_ID_FIELD", "code"),
         prepare=_wells_with_code_id),
    Case("report-levels-as-simulation", "weak", "wellreport", lambda ws: ws.report(SIMULATION=ws.p("levels.csv")),
         True, ("SIMULATION", "simulated")),
    Case("report-good", "good", "wellreport", lambda ws: ws.report(), False, ("Report:",), check=_report_check),
    Case("freezethaw-without-temperature", "good", "freezethaw",
         lambda ws: {"FORCING": ws.p("forcing.csv"), "TEMP_FIELD": "nope", "OUTPUT": ws.p("cal.csv")}, True,
         ("nope",)),
]
