"""The shipped graphical model under the real qgis_process.bin: run as a .model3 file and as
groundwaterlstm:dynamicsworkflow, on a tiny sample network, with every output checked in the files."""
import csv
import json
import sqlite3
from pathlib import Path

import pytest
from headless_sample import sample_files  # tests/helpers

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "processing" / "models" / "groundwater_dynamics.model3"
ALG_ID = "groundwaterlstm:dynamicsworkflow"
TINY = {"LOOKBACK": 60, "HIDDEN": 8, "EPOCHS": 4, "ENSEMBLE": 1, "SEED": 3, "N_SAMPLES": 20, "DAYS_PER_PERIOD": 10}
OUTPUTS = {"classify:WELLS", "train:SIMULATION", "explain:ATTRIBUTION", "freezethaw:CALENDAR", "train:MODEL_FOLDER"}
TYPES = {"infiltration-evaporation", "infiltration-runoff", "extraction", "undetermined"}


def run_model(qgis_process, target, params, timeout=900):
    """qgis_process --json run <target> -- NAME=value ...; the parsed JSON (exit 0 asserted)."""
    args = ["--json", "run", str(target), "--"] + [f"{k}={v}" for k, v in params.items()]
    proc = qgis_process(*args, timeout=timeout)
    assert proc.returncode == 0, f"{target} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout[proc.stdout.find("{"):])


@pytest.fixture(scope="module")
def sample(qgis_process, tmp_path_factory):
    """The 3-well 4-year sample network: wells in a GeoPackage, levels and forcing as CSV (numbers as text)."""
    return sample_files(qgis_process, tmp_path_factory.mktemp("model_headless_sample"), wells=3, years=4, seed=9)


def _style_of(con, table):
    rows = con.execute("select styleName, useAsDefault, styleQML from layer_styles where f_table_name=?",
                       (table,)).fetchall()
    return {name: (default, qml) for name, default, qml in rows}


def test_model_listed_and_described_by_id(qgis_process):
    listed = qgis_process("list", check=True).stdout
    assert ALG_ID in listed and "Groundwater dynamics workflow" in listed
    text = qgis_process("help", ALG_ID, check=True).stdout
    # the registered instance has its children resolved: inputs and every output are described
    for word in ("WELLS", "LEVELS", "FORCING", "LOOKBACK", "N_SAMPLES", "DAYS_PER_PERIOD", *OUTPUTS):
        assert word in text, word


def test_model_file_runs_under_qgis_process(qgis_process, sample, tmp_path):
    out = tmp_path / "workflow.gpkg"
    result = run_model(qgis_process, MODEL, {
        **sample, **TINY,
        "classify:WELLS": f"ogr:dbname='{out}' table=wells (geom)",
        "train:SIMULATION": f"ogr:dbname='{out}' table=simulation",
        "explain:ATTRIBUTION": f"ogr:dbname='{out}' table=attribution",
        "freezethaw:CALENDAR": f"ogr:dbname='{out}' table=calendar",
        "train:MODEL_FOLDER": tmp_path / "models"})
    assert OUTPUTS <= set(result["results"])
    assert (tmp_path / "models" / "manifest.json").is_file()
    with sqlite3.connect(out) as con:
        names = [r[1] for r in con.execute("pragma table_info(wells)")]
        wells = con.execute("select well_id, status, nse_test, dom_drv, dyn_type from wells").fetchall()
        n_sim = con.execute("select count(*), count(distinct well_id) from simulation").fetchone()
        periods = {r[0] for r in con.execute("select distinct period from attribution")}
        n_att_wells = con.execute("select count(distinct well_id) from attribution").fetchone()[0]
        n_cal = con.execute("select count(*), count(distinct well_id) from calendar").fetchone()
        styles = _style_of(con, "wells")
    for field in ("well_id", "status", "nse_test", "dom_drv", "dyn_type", "dyn_conf", "true_type"):
        assert field in names, field
    assert len(wells) == 3
    for _wid, status, nse, dom, dyn in wells:
        assert status == "ok" and nse is not None and dom and dyn in TYPES
    assert n_sim[0] > 3 * 365 and n_sim[1] == 3
    assert {"freezing", "unfrozen"} <= periods and n_att_wells == 3
    assert n_cal[0] >= 3 and n_cal[1] == 3
    # styled headless: the default style of the wells table is the categorized one on dyn_type
    defaults = [qml for default, qml in styles.values() if default]
    assert len(defaults) == 1 and 'type="categorizedSymbol"' in defaults[0] and 'attr="dyn_type"' in defaults[0]
    assert len(styles) >= 2  # the test-NSE style is stored by name beside it


def test_model_runs_by_id_to_shapefile_and_csv(qgis_process, sample, tmp_path):
    result = run_model(qgis_process, ALG_ID, {
        **sample, **TINY, "WELL_ID_FIELD": "well_id",
        "classify:WELLS": tmp_path / "wells.shp",
        "train:SIMULATION": tmp_path / "simulation.csv",
        "explain:ATTRIBUTION": tmp_path / "attribution.csv",
        "freezethaw:CALENDAR": tmp_path / "calendar.csv",
        "train:MODEL_FOLDER": tmp_path / "models"})
    res = result["results"]
    assert OUTPUTS <= set(res)
    assert Path(res["train:MODEL_FOLDER"]) == tmp_path / "models"
    assert (tmp_path / "models" / "manifest.json").is_file()
    for name in ("wells.shp", "wells.dbf", "simulation.csv", "attribution.csv", "calendar.csv"):
        assert (tmp_path / name).is_file(), name
    # beside a shapefile the dynamics style is <name>.qml (QGIS loads it by default)
    qml = (tmp_path / "wells.qml").read_text()
    assert 'type="categorizedSymbol"' in qml and 'attr="dyn_type"' in qml
    with open(tmp_path / "simulation.csv", newline="") as f:
        sim = list(csv.DictReader(f))
    assert len({r["well_id"] for r in sim}) == 3 and {"observed", "simulated", "split"} <= set(sim[0])
    with open(tmp_path / "attribution.csv", newline="") as f:
        att = list(csv.DictReader(f))
    assert len({r["well_id"] for r in att}) == 3 and {"driver", "share"} <= set(att[0])
    with open(tmp_path / "calendar.csv", newline="") as f:
        cal = list(csv.DictReader(f))
    assert len({r["well_id"] for r in cal}) == 3 and "freeze_start" in cal[0]


def test_model_bad_input_exits_non_zero_and_writes_nothing(qgis_process, tmp_path):
    proc = qgis_process("run", MODEL, "--", f"WELLS={tmp_path / 'missing.gpkg'}",
                        f"LEVELS={tmp_path / 'missing.csv'}", f"FORCING={tmp_path / 'missing.csv'}",
                        f"classify:WELLS={tmp_path / 'o.gpkg'}", f"train:SIMULATION={tmp_path / 's.csv'}",
                        f"explain:ATTRIBUTION={tmp_path / 'a.csv'}", f"freezethaw:CALENDAR={tmp_path / 'c.csv'}",
                        f"train:MODEL_FOLDER={tmp_path / 'models'}")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "missing.gpkg" in out and "Traceback" not in out
    assert not list(tmp_path.iterdir())  # nothing written: refused before the first step


def test_model_outputs_are_required_on_the_command_line(qgis_process, sample, tmp_path):
    # qgis_process gives no temporary default to a model output: it names the ones left out
    proc = qgis_process("run", MODEL, "--", *(f"{k}={v}" for k, v in sample.items()))
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    for name in OUTPUTS:
        assert name in out, name
