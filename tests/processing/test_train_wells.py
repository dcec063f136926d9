"""trainwells through real Processing: a tiny sample network, tiny LSTMs, real files."""
import json
import math
from pathlib import Path
import sqlite3

import pytest
from qgis.core import NULL, QgsProcessingException, QgsProcessingFeedback, QgsVectorLayer

TINY = {"LOOKBACK": 60, "HIDDEN": 8, "EPOCHS": 4, "ENSEMBLE": 2, "SEED": 3}


@pytest.fixture(scope="module")
def sample(tmp_path_factory, run_alg):
    d = tmp_path_factory.mktemp("sample")
    gpkg = d / "sample.gpkg"
    run_alg("createsampledata", {
        "WELLS": 3, "YEARS": 4, "SEED": 5,
        "WELLS_OUTPUT": f"ogr:dbname='{gpkg}' table=wells (geom)",
        "LEVELS_OUTPUT": f"ogr:dbname='{gpkg}' table=levels",
        "FORCING_OUTPUT": f"ogr:dbname='{gpkg}' table=forcing"})
    return {"WELLS": f"{gpkg}|layername=wells", "LEVELS": f"{gpkg}|layername=levels",
            "FORCING": f"{gpkg}|layername=forcing"}


def test_trainwells_writes_scores_simulation_and_models(run_alg, sample, tmp_path):
    out = tmp_path / "out.gpkg"
    folder = tmp_path / "models"
    res = run_alg("trainwells", {**sample, **TINY,
                                 "OUTPUT": f"ogr:dbname='{out}' table=wells (geom)",
                                 "SIMULATION": f"ogr:dbname='{out}' table=simulation",
                                 "MODEL_FOLDER": str(folder)})
    assert {"OUTPUT", "SIMULATION", "MODEL_FOLDER", "TRAINED"} <= set(res)
    assert res["TRAINED"] == 3
    wells = QgsVectorLayer(f"{out}|layername=wells", "w", "ogr")
    names = wells.fields().names()
    for f in ("well_id", "true_type", "status", "n_obs", "nse_train", "nse_val", "nse_test", "kge_test",
              "rmse_test", "bias_test"):
        assert f in names, f
    feats = list(wells.getFeatures())
    assert len(feats) == 3
    for f in feats:
        assert f["status"] == "ok"
        assert f["n_obs"] > 100
        # four epochs of a tiny LSTM: the scores are real numbers, not good ones (skill is in make bench)
        assert math.isfinite(f["nse_test"]) and f["nse_test"] <= 1 and f["rmse_test"] > 0
    with sqlite3.connect(out) as con:
        cols = [r[1] for r in con.execute("pragma table_info(simulation)")]
        n = con.execute("select count(*) from simulation").fetchone()[0]
        splits = {r[0] for r in con.execute("select distinct split from simulation")}
        periods = {r[0] for r in con.execute("select distinct period from simulation")}
    assert {"well_id", "date", "observed", "simulated", "lower", "upper", "split", "period"} <= set(cols)
    assert n > 3 * 365 * 3
    assert splits == {"train", "val", "test"}
    assert {"freezing", "thawing", "unfrozen"} <= periods
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["wells"]) == {f["well_id"] for f in feats}
    metadata = (Path(__file__).resolve().parents[2] / "metadata.txt").read_text(encoding="utf-8")
    assert f"version={manifest['versions']['plugin']}\n" in metadata  # the plugin that made the folder


def test_well_without_enough_levels_is_skipped_not_fatal(run_alg, sample, tmp_path):
    levels = QgsVectorLayer(sample["LEVELS"], "l", "ogr")
    first = next(levels.getFeatures())["well_id"]
    # a levels table where one well has only three readings
    from qgis.core import QgsFeature, QgsVectorLayer as VL
    mem = VL("None?field=well_id:string&field=date:date&field=level:double", "levels", "memory")
    feats = []
    for f in levels.getFeatures():
        if f["well_id"] == first and len([x for x in feats if x["well_id"] == first]) >= 3:
            continue
        g = QgsFeature(mem.fields())
        g.setAttributes([f["well_id"], f["date"], f["level"]])
        feats.append(g)
    mem.dataProvider().addFeatures(feats)
    res = run_alg("trainwells", {**sample, **TINY, "LEVELS": mem, "ENSEMBLE": 1,
                                 "OUTPUT": "memory:", "SIMULATION": "memory:",
                                 "MODEL_FOLDER": str(tmp_path / "m")})
    status = {f["well_id"]: f["status"] for f in res["OUTPUT"].getFeatures()}
    assert status[first].startswith("skipped:") and first in status[first]
    assert sum(s == "ok" for s in status.values()) == 2


def test_baseline_writes_the_pastas_scores_beside_the_lstm(run_alg, sample, tmp_path):
    pytest.importorskip("pastas", reason="Pastas is not installed (make setup installs it)")
    out = tmp_path / "out.gpkg"
    run_alg("trainwells", {**sample, **TINY, "ENSEMBLE": 1, "BASELINE": True,
                           "OUTPUT": f"ogr:dbname='{out}' table=wells (geom)",
                           "SIMULATION": f"ogr:dbname='{out}' table=simulation", "MODEL_FOLDER": str(tmp_path / "m")})
    with sqlite3.connect(out) as con:
        wells = con.execute("select nse_test, nse_tfn, kge_tfn, lstm_gain from wells").fetchall()
        tfn = con.execute("select count(*), count(tfn) from simulation").fetchone()
    assert len(wells) == 3
    for nse, nse_tfn, kge_tfn, gain in wells:
        assert math.isfinite(nse_tfn) and math.isfinite(kge_tfn) and gain == pytest.approx(nse - nse_tfn)
    assert tfn[0] == tfn[1] > 0  # the Pastas simulation on every simulated day
    # the explanation of that model folder is checked against the Pastas contributions
    run_alg("explaindrivers", {"WELLS": sample["WELLS"], "MODEL_FOLDER": str(tmp_path / "m"),
                               "FORCING": sample["FORCING"], "N_SAMPLES": 8, "DAYS_PER_PERIOD": 5,
                               "OUTPUT": f"ogr:dbname='{out}' table=explained (geom)",
                               "ATTRIBUTION": f"ogr:dbname='{out}' table=attribution"})
    with sqlite3.connect(out) as con:
        agree = con.execute("select tfn_agree, tfn_differ from explained").fetchall()
        rows = con.execute("select driver, tfn_stress, tfn_share, tfn_agree from attribution").fetchall()
    assert len(agree) == 3 and all(0 <= a <= 1 and isinstance(d, str) for a, d in agree), agree
    assert {(d, s) for d, s, _, _ in rows} >= {("precip", "recharge"), ("river", "river"), ("pumping", "pumping")}
    assert any(share is not None and 0 <= share <= 1 for _, _, share, _ in rows)


def test_tune_chooses_each_wells_settings_and_keeps_them(run_alg, sample, tmp_path):
    out = tmp_path / "out.gpkg"
    folder = tmp_path / "m"
    run_alg("trainwells", {**sample, **TINY, "ENSEMBLE": 1, "TUNE": True, "TUNE_TRIALS": 2,
                           "OUTPUT": f"ogr:dbname='{out}' table=wells (geom)", "SIMULATION": "memory:",
                           "MODEL_FOLDER": str(folder)})
    with sqlite3.connect(out) as con:
        tuned = dict(con.execute("select well_id, tuned from wells").fetchall())
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["config"]["tune"] is True and manifest["config"]["tune_trials"] == 2
    assert len(tuned) == 3
    for w, entry in manifest["wells"].items():
        trials = entry["info"]["tuning"]["trials"]
        assert len(trials) == 2 and trials[0]["lookback"] == TINY["LOOKBACK"]
        assert set(entry["tuned"]) == {"lookback", "hidden", "dropout", "learning_rate", "window"}
        kept = entry["info"]["tuning"]["chosen_trial"] == 0
        assert tuned[w].startswith("kept the run's settings") == kept, tuned[w]


def test_baseline_without_pastas_is_refused_naming_the_fix(run_alg, sample, tmp_path, monkeypatch):
    from hidden_package import hide_package  # tests/helpers

    hide_package(monkeypatch, "pastas")
    with pytest.raises(QgsProcessingException, match=r"BASELINE.*pastas.*Fix: .*pip install"):
        run_alg("trainwells", {**sample, **TINY, "BASELINE": True, "OUTPUT": "memory:", "SIMULATION": "memory:",
                               "MODEL_FOLDER": str(tmp_path / "m")})
    assert not (tmp_path / "m").exists()


def test_bad_dates_refused_before_running(run_alg, sample, tmp_path):
    with pytest.raises(QgsProcessingException):
        run_alg("trainwells", {**sample, **TINY, "TEST_START": "not a date", "OUTPUT": "memory:",
                               "SIMULATION": "memory:", "MODEL_FOLDER": str(tmp_path / "m")})
    assert not (tmp_path / "m").exists()


def test_cancel_leaves_no_output(run_alg, sample, tmp_path):
    class CancelSoon(QgsProcessingFeedback):
        def setProgress(self, p):  # noqa: N802
            super().setProgress(p)
            if p > 10:
                self.cancel()

    out = tmp_path / "c.gpkg"
    with pytest.raises(QgsProcessingException, match="[Cc]ancel"):
        run_alg("trainwells", {**sample, **TINY, "EPOCHS": 50, "OUTPUT": str(out), "SIMULATION": "memory:",
                               "MODEL_FOLDER": str(tmp_path / "m")}, feedback=CancelSoon())
    assert not out.exists()
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").iterdir())


def test_simulatelevels_past_last_observation(run_alg, sample, tmp_path):
    folder = tmp_path / "models"
    run_alg("trainwells", {**sample, **TINY, "ENSEMBLE": 1, "OUTPUT": "memory:", "SIMULATION": "memory:",
                           "MODEL_FOLDER": str(folder)})
    res = run_alg("simulatelevels", {"WELLS": sample["WELLS"], "FORCING": sample["FORCING"],
                                     "MODEL_FOLDER": str(folder), "LEVELS": sample["LEVELS"],
                                     "SIMULATION": "memory:"})
    sim = res["SIMULATION"]
    rows = [(f["well_id"], f["date"], f["observed"], f["simulated"]) for f in sim.getFeatures()]
    assert {r[0] for r in rows} == {f["well_id"] for f in QgsVectorLayer(sample["WELLS"], "w", "ogr").getFeatures()}
    # every forcing day after the 60-day warm-up is simulated, observed only where a reading exists
    per_well = {}
    for w, d, o, s in rows:
        per_well.setdefault(w, []).append((d, o, s))
    for w, days in per_well.items():
        assert len(days) >= 4 * 365 - 60 - 5
        assert all(s is not None for _, _, s in days)
        assert any(o is None or o == NULL for _, o, _ in days)  # days without a reading stay empty


def test_simulatelevels_refuses_other_drivers(run_alg, sample, tmp_path):
    folder = tmp_path / "models"
    run_alg("trainwells", {**sample, **TINY, "ENSEMBLE": 1, "OUTPUT": "memory:", "SIMULATION": "memory:",
                           "MODEL_FOLDER": str(folder)})
    with pytest.raises(QgsProcessingException, match="river"):
        run_alg("simulatelevels", {"WELLS": sample["WELLS"], "FORCING": sample["FORCING"], "RIVER_FIELD": "",
                                   "MODEL_FOLDER": str(folder), "SIMULATION": "memory:"})


def test_freezethaw_calendar(run_alg, sample):
    res = run_alg("freezethaw", {"FORCING": sample["FORCING"], "OUTPUT": "memory:"})
    rows = list(res["OUTPUT"].getFeatures())
    assert {"well_id", "winter", "freeze_start", "thaw_start", "thaw_end"} <= set(res["OUTPUT"].fields().names())
    assert len(rows) >= 3 * 3  # three wells, at least three winters each in four years
    for f in rows:
        fs, ts, te = (f[k].toPyDate() if hasattr(f[k], "toPyDate") else f[k]
                      for k in ("freeze_start", "thaw_start", "thaw_end"))
        assert fs < ts <= te
        if (fs.month, fs.day) == (1, 1) or (ts.month, ts.day) == (1, 1):
            continue  # a winter cut by the start or the end of the record
        assert fs.month in (10, 11, 12) and ts.month in (2, 3, 4)


def _numbered(sample, wells_type, levels_type, forcing_type):
    """The sample network with numeric well IDs (101, 102, ...): the wells, levels and forcing layers each with
    their own ID field type (double, integer or string), as when one table comes from a spreadsheet."""
    from qgis.core import QgsFeature, QgsVectorLayer as VL

    src = {k: QgsVectorLayer(v, k, "ogr") for k, v in sample.items()}
    number = {w: 101 + i for i, w in enumerate(sorted({f["well_id"] for f in src["WELLS"].getFeatures()}))}
    as_type = {"double": float, "integer": int, "string": str}

    def copy(layer, geometry, id_type):
        keep = [f for f in layer.fields() if f.name() not in ("fid", "well_id")]
        spec = "&".join(f"field={f.name()}:{'date' if f.typeName().lower().startswith('date') else 'double'}"
                        if f.typeName().lower() not in ("string", "text") else f"field={f.name()}:string"
                        for f in keep)
        mem = VL(f"{geometry}?crs=EPSG:4326&field=well_id:{id_type}&{spec}", layer.name(), "memory")
        feats = []
        for f in layer.getFeatures():
            g = QgsFeature(mem.fields())
            g.setAttributes([as_type[id_type](number[f["well_id"]]), *[f[k.name()] for k in keep]])
            if geometry != "None":
                g.setGeometry(f.geometry())
            feats.append(g)
        mem.dataProvider().addFeatures(feats)
        return mem

    return {"WELLS": copy(src["WELLS"], "Point", wells_type), "LEVELS": copy(src["LEVELS"], "None", levels_type),
            "FORCING": copy(src["FORCING"], "None", forcing_type)}, sorted(number.values())


@pytest.mark.parametrize("wells_type, levels_type, forcing_type", [
    ("double", "integer", "string"),   # a Real ID field (101.0) joins levels with 101 and forcing with '101'
    ("integer", "double", "integer"),
])
def test_numeric_well_ids_of_any_field_type_join(run_alg, sample, tmp_path, wells_type, levels_type, forcing_type):
    layers, numbers = _numbered(sample, wells_type, levels_type, forcing_type)
    res = run_alg("trainwells", {**layers, **TINY, "ENSEMBLE": 1, "EPOCHS": 2, "OUTPUT": "memory:",
                                 "SIMULATION": "memory:", "MODEL_FOLDER": str(tmp_path / "m")})
    out = {f["well_id"]: f["status"] for f in res["OUTPUT"].getFeatures()}
    assert sorted(int(w) for w in out) == numbers and set(out.values()) == {"ok"}, out
    sim_ids = {f["well_id"] for f in res["SIMULATION"].getFeatures()}
    assert sim_ids == {str(n) for n in numbers}  # '101', never '101.0'
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert sorted(manifest["wells"]) == [str(n) for n in numbers]
    cal = run_alg("freezethaw", {"FORCING": layers["FORCING"], "TEMP_FIELD": "temp", "WELLS": layers["WELLS"],
                                 "OUTPUT": "memory:"})
    assert {f["well_id"] for f in cal["OUTPUT"].getFeatures()} == {str(n) for n in numbers}


def test_challenge_style_column_names_need_no_field_parameters(run_alg, sample, tmp_path):
    """Tables named as in the 2022 groundwater modelling challenge (Date/head, time/rr/tg/et): trainwells finds
    every field by its name when no field parameter is given, and says which field it read for what."""
    import pandas as pd

    gpkg = sample["LEVELS"].split("|")[0]
    with sqlite3.connect(gpkg) as con:
        levels = pd.read_sql("select well_id, date, level from levels", con)
        forcing = pd.read_sql("select * from forcing", con).drop(columns=["fid"])
    levels.rename(columns={"well_id": "station", "date": "Date", "level": "head"}).to_csv(
        tmp_path / "heads.csv", index=False)
    names = {"well_id": "station", "date": "time", "precip": "rr", "temp": "tg", "pet": "et", "river": "stage",
             "pumping": "pump"}
    assert set(names) <= set(forcing.columns), forcing.columns
    forcing.rename(columns=names).to_csv(tmp_path / "input_data.csv", index=False)

    feedback = LogFeedback()
    res = run_alg("trainwells", {"WELLS": sample["WELLS"], "LEVELS": str(tmp_path / "heads.csv"),
                                 "FORCING": str(tmp_path / "input_data.csv"), **TINY, "ENSEMBLE": 1, "EPOCHS": 2,
                                 "OUTPUT": "memory:", "SIMULATION": "memory:", "MODEL_FOLDER": str(tmp_path / "m")},
                  feedback)
    assert {f["status"] for f in res["OUTPUT"].getFeatures()} == {"ok"}
    roles = json.loads((tmp_path / "m" / "manifest.json").read_text())["roles"]
    assert {k: roles[k] for k in ("precip", "temp", "pet", "river", "pumping")} == {
        "precip": "rr", "temp": "tg", "pet": "et", "river": "stage", "pumping": "pump"}
    log = "\n".join(feedback.lines)
    for read in ("'head'", "'Date'", "'station'", "'time'", "'rr'", "'tg'"):
        assert f"so {read} is read for it" in log, log


class LogFeedback(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.lines = []

    def pushInfo(self, info):  # noqa: N802 (QGIS's name)
        self.lines.append(info)
        super().pushInfo(info)
