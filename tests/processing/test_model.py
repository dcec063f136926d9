"""The shipped graphical model (processing/models/groundwater_dynamics.model3) as the toolbox algorithm
``groundwaterlstm:dynamicsworkflow``: the file, its links, its registration, and a real run on a tiny network."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from qgis.core import (
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingModelAlgorithm,
    QgsVectorLayer,
)

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "processing" / "models" / "groundwater_dynamics.model3"
ALG_ID = "groundwaterlstm:dynamicsworkflow"
INPUTS = ["WELLS", "WELL_ID_FIELD", "LEVELS", "FORCING", "LOOKBACK", "HIDDEN", "EPOCHS", "ENSEMBLE", "SEED",
          "N_SAMPLES", "DAYS_PER_PERIOD"]
OUTPUTS = {"classify:WELLS", "train:SIMULATION", "explain:ATTRIBUTION", "freezethaw:CALENDAR", "train:MODEL_FOLDER"}
TINY = {"LOOKBACK": 60, "HIDDEN": 8, "EPOCHS": 4, "ENSEMBLE": 1, "SEED": 3, "N_SAMPLES": 20, "DAYS_PER_PERIOD": 10}
TYPES = {"infiltration-evaporation", "infiltration-runoff", "extraction", "undetermined"}


def _sources(model, child_id, param):
    return model.childAlgorithm(child_id).parameterSources()[param]


def _build_model():
    """scripts/build_model.py as a module (it builds the shipped model and describes models as data)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import build_model
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    return build_model


def _link(source):
    return _build_model().source_link(source)


# -- the file ------------------------------------------------------------------------------------------------------

def test_model_file_opens_in_the_modeler_api_and_validates(provider):
    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(str(MODEL)), f"{MODEL} does not open"
    assert model.name() == "Groundwater dynamics workflow"
    children = model.childAlgorithms()
    assert {cid: c.algorithmId() for cid, c in children.items()} == {
        "freezethaw": "groundwaterlstm:freezethaw", "train": "groundwaterlstm:trainwells",
        "explain": "groundwaterlstm:explaindrivers", "classify": "groundwaterlstm:classifydynamics",
        "style": "groundwaterlstm:stylewells"}
    for cid in children:
        assert model.childAlgorithm(cid).algorithm() is not None, f"{cid} is not resolved"
        ok, issues = model.validateChildAlgorithm(cid)
        assert ok, f"{cid}: {issues}"
    ok, issues = model.validate()
    assert ok, issues
    assert [p.name() for p in model.parameterDefinitions() if not p.isDestination()] == INPUTS
    assert {p.name() for p in model.destinationParameterDefinitions()} == OUTPUTS
    assert {o.name() for o in model.outputDefinitions()} == OUTPUTS
    ok, message = model.checkParameterValues({}, QgsProcessingContext())
    assert not ok and "WELLS" in message  # the model's own check runs and asks for the wells


def test_model_links_the_steps(provider):
    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(str(MODEL))
    expected = {
        ("freezethaw", "FORCING"): ("model", "FORCING"),
        ("freezethaw", "WELLS"): ("model", "WELLS"),
        ("train", "WELLS"): ("model", "WELLS"),
        ("train", "WELL_ID_FIELD"): ("model", "WELL_ID_FIELD"),
        ("train", "LEVELS"): ("model", "LEVELS"),
        ("train", "FORCING"): ("model", "FORCING"),
        ("explain", "PERIODS"): ("child", "freezethaw", "OUTPUT"),
        ("explain", "WELLS"): ("child", "train", "OUTPUT"),
        ("explain", "MODEL_FOLDER"): ("child", "train", "MODEL_FOLDER"),
        ("explain", "FORCING"): ("model", "FORCING"),
        ("classify", "WELLS"): ("child", "explain", "OUTPUT"),
        ("classify", "ATTRIBUTION"): ("child", "explain", "ATTRIBUTION"),
        ("classify", "SIMULATION"): ("child", "train", "SIMULATION"),
        ("style", "INPUT"): ("child", "classify", "OUTPUT"),
    }
    for name in ("LOOKBACK", "HIDDEN", "EPOCHS", "ENSEMBLE", "SEED"):
        expected[("train", name)] = ("model", name)
    for name in ("N_SAMPLES", "DAYS_PER_PERIOD", "SEED"):
        expected[("explain", name)] = ("model", name)
    for (child, param), link in expected.items():
        assert [_link(s) for s in _sources(model, child, param)] == [link], (child, param)
    # the field names are the children's defaults, written into the model
    assert _link(_sources(model, "train", "PRECIP_FIELD")[0]) == ("static", "precip")
    assert _link(_sources(model, "train", "LEVEL_FIELD")[0]) == ("static", "level")
    # the intermediate wells layers are not model outputs; explain's optional LAGS is not created
    assert set(model.childAlgorithm("train").modelOutputs()) == {"SIMULATION", "MODEL_FOLDER"}
    assert set(model.childAlgorithm("explain").modelOutputs()) == {"ATTRIBUTION"}


def test_model_file_is_what_the_build_script_writes(provider):
    build_model = _build_model()
    built = build_model.build()
    assert build_model.problems(built) == []
    shipped = build_model.load(MODEL)
    assert shipped is not None
    # compared as data: each QGIS writes the same model with its own extra keys
    assert build_model.describe(built) == build_model.describe(shipped), (
        "processing/models/groundwater_dynamics.model3 is stale: run "
        "scripts/with_qgis_env.sh .venv/bin/python -P scripts/build_model.py")
    assert build_model.describe(built)["steps"]["style"]["sources"]["INPUT"] == [("child", "classify", "OUTPUT")]


# -- the toolbox algorithm -----------------------------------------------------------------------------------------

def test_model_is_an_algorithm_of_the_provider(provider):
    from groundwater_lstm.processing.shipped_models import DynamicsWorkflow

    alg = QgsApplication.processingRegistry().algorithmById(ALG_ID)
    assert alg is not None and provider.algorithm("dynamicsworkflow") is not None
    assert isinstance(alg, DynamicsWorkflow)
    assert alg.id() == ALG_ID and alg.name() == "dynamicsworkflow"
    assert alg.displayName() == "Groundwater dynamics workflow"
    assert (alg.groupId(), alg.group()) == ("report", "Maps and reports")
    assert alg.provider() is provider
    assert not alg.icon().isNull() and "Freeze-thaw calendar" in alg.shortHelpString()
    # the registered instance was re-read once the provider was registered: children and outputs are there
    assert alg.unresolved_children() == []
    assert {o.name() for o in alg.outputDefinitions()} == OUTPUTS
    assert [p.name() for p in alg.parameterDefinitions() if not p.isDestination()] == INPUTS


def test_create_instance_keeps_the_id(provider):
    # Processing runs copies: createAlgorithmById -> create() -> createInstance()
    alg = QgsApplication.processingRegistry().createAlgorithmById(ALG_ID)
    assert alg is not None and alg.id() == ALG_ID and alg.displayName() == "Groundwater dynamics workflow"
    assert alg.provider() is provider
    copy = alg.create()
    assert copy.id() == ALG_ID and type(copy) is type(alg)
    assert {o.name() for o in copy.outputDefinitions()} == OUTPUTS
    assert copy.sourceFilePath() == str(MODEL)
    assert copy.unresolved_children() == []
    assert copy.canExecute()[0]


def test_model_refuses_before_the_first_step_when_a_package_is_missing(provider, run_alg, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "captum", None)  # import captum now fails
    out = tmp_path / "out.gpkg"
    with pytest.raises(QgsProcessingException, match="captum"):
        run_alg("dynamicsworkflow", {"WELLS": "nowhere.gpkg", "LEVELS": "nowhere.csv", "FORCING": "nowhere.csv",
                                     "freezethaw:CALENDAR": f"ogr:dbname='{out}' table=calendar"})
    assert not out.exists()


PROBE_WITHOUT_TORCH = r"""
import json, sys
for name in ("torch", "captum"):
    sys.modules[name] = None  # 'import torch' raises ImportError, as on a machine without it
sys.path.insert(0, sys.argv[1])
from qgis.core import QgsApplication, QgsProcessingContext
app = QgsApplication([], False)
app.initQgis()
from groundwater_lstm.processing.provider import GroundwaterLstmProvider
provider = GroundwaterLstmProvider()
registry = QgsApplication.processingRegistry()
added = registry.addProvider(provider)
alg = registry.createAlgorithmById("groundwaterlstm:dynamicsworkflow")
ok, message = alg.checkParameterValues({}, QgsProcessingContext())
print(json.dumps({"added": added, "ids": sorted(a.name() for a in provider.algorithms()),
                  "outputs": sorted(o.name() for o in alg.outputDefinitions()), "ok": ok, "message": message,
                  "torch": "torch" in sys.modules and sys.modules["torch"] is not None}))
"""


def test_provider_loads_the_model_when_torch_is_missing():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-P", "-c", PROBE_WITHOUT_TORCH, str(ROOT / "build" / "plugins")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["added"] and not result["torch"]
    assert "dynamicsworkflow" in result["ids"] and "trainwells" in result["ids"]
    assert set(result["outputs"]) == OUTPUTS
    assert not result["ok"] and "torch" in result["message"] and "pip install" in result["message"]


# -- a real run on a tiny network ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(tmp_path_factory, run_alg):
    d = tmp_path_factory.mktemp("model_sample")
    gpkg = d / "sample.gpkg"
    run_alg("createsampledata", {
        "WELLS": 3, "YEARS": 4, "SEED": 9,
        "WELLS_OUTPUT": f"ogr:dbname='{gpkg}' table=wells (geom)",
        "LEVELS_OUTPUT": f"ogr:dbname='{gpkg}' table=levels",
        "FORCING_OUTPUT": f"ogr:dbname='{gpkg}' table=forcing"})
    return {"WELLS": f"{gpkg}|layername=wells", "LEVELS": f"{gpkg}|layername=levels",
            "FORCING": f"{gpkg}|layername=forcing"}


class Progress(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.values, self.texts = [], []
        self.progressChanged.connect(self.values.append)

    def pushInfo(self, info):  # noqa: N802
        self.texts.append(info)
        super().pushInfo(info)


@pytest.fixture(scope="module")
def model_run(tmp_path_factory, run_alg, sample):
    d = tmp_path_factory.mktemp("model_run")
    out = d / "workflow.gpkg"
    feedback = Progress()
    res = run_alg("dynamicsworkflow", {
        **sample, **TINY,
        "classify:WELLS": f"ogr:dbname='{out}' table=wells (geom)",
        "train:SIMULATION": f"ogr:dbname='{out}' table=simulation",
        "explain:ATTRIBUTION": f"ogr:dbname='{out}' table=attribution",
        "freezethaw:CALENDAR": f"ogr:dbname='{out}' table=calendar",
        "train:MODEL_FOLDER": str(d / "models")}, feedback=feedback)
    return {"res": res, "out": out, "dir": d, "feedback": feedback}


def test_model_run_returns_every_output(model_run):
    res, out, d = model_run["res"], model_run["out"], model_run["dir"]
    assert OUTPUTS <= set(res)
    for name in OUTPUTS - {"train:MODEL_FOLDER"}:
        assert str(out) in str(res[name]), (name, res[name])
    assert Path(res["train:MODEL_FOLDER"]) == d / "models"
    assert (d / "models" / "manifest.json").is_file()
    assert any((d / "models" / "weights").iterdir())


def test_model_run_wells_carry_every_step(model_run):
    wells = QgsVectorLayer(f"{model_run['out']}|layername=wells", "w", "ogr")
    assert wells.isValid() and wells.featureCount() == 3
    names = wells.fields().names()
    for f in ("well_id", "true_type", "status", "nse_test", "dom_drv", "dom_frz", "eg_qual", "dyn_type",
              "dyn_conf", "dyn_note"):
        assert f in names, f
    for f in wells.getFeatures():
        assert f["status"] == "ok"
        assert f["nse_test"] is not None
        assert f["dom_drv"] in {"precip", "temp", "pet", "river", "pumping"}
        assert f["dyn_type"] in TYPES


def test_model_run_tables(model_run):
    out = model_run["out"]
    sim = QgsVectorLayer(f"{out}|layername=simulation", "s", "ogr")
    assert sim.isValid() and sim.featureCount() > 3 * 365
    assert {"well_id", "date", "observed", "simulated", "lower", "upper", "split", "period"} <= set(
        sim.fields().names())
    assert len({f["well_id"] for f in sim.getFeatures()}) == 3
    att = QgsVectorLayer(f"{out}|layername=attribution", "a", "ogr")
    rows = list(att.getFeatures())
    assert {"well_id", "period", "driver", "mean_signed", "mean_abs", "share"} <= set(att.fields().names())
    assert len({r["well_id"] for r in rows}) == 3 and {r["period"] for r in rows} >= {"freezing", "unfrozen"}
    cal = QgsVectorLayer(f"{out}|layername=calendar", "c", "ogr")
    assert {"well_id", "winter", "freeze_start", "thaw_start", "thaw_end"} <= set(cal.fields().names())
    assert cal.featureCount() >= 3 and len({f["well_id"] for f in cal.getFeatures()}) == 3


def test_model_run_wells_open_styled_from_the_geopackage(model_run):
    # a fresh layer from the file: its default style is the categorized one that stylewells saved
    wells = QgsVectorLayer(f"{model_run['out']}|layername=wells", "fresh", "ogr")
    renderer = wells.renderer()
    assert renderer.type() == "categorizedSymbol", renderer.type()
    assert renderer.classAttribute() == "dyn_type"
    assert TYPES <= {c.value() for c in renderer.categories()}
    assert wells.labelsEnabled()


def test_model_run_reports_progress_from_every_step(model_run):
    feedback = model_run["feedback"]
    text = "\n".join(feedback.texts)
    for expected in ("Trained 3 of 3 wells", "winters for 3 wells", "Explained 3 wells", "Dynamics types:",
                     "Styled"):
        assert expected in text, expected
    assert feedback.values and max(feedback.values) >= 80


def test_model_run_and_load_results_with_temporary_outputs(provider, sample, monkeypatch):
    # the toolbox path: temporary outputs (memory layers) loaded into the project; the wells come styled
    import processing
    from processing.gui import Postprocessing
    from qgis.core import QgsLayerTreeModel, QgsProject
    from qgis.gui import QgsLayerTreeView

    project = QgsProject.instance()
    # QGIS 3.44 hands iface.layerTreeView() to C++: give pytest-qgis' stand-in iface a real layer tree view
    view = QgsLayerTreeView()
    view.setModel(QgsLayerTreeModel(project.layerTreeRoot(), view))
    stand_in = getattr(Postprocessing, "iface", None)  # QGIS 3.22 loads results without iface
    if stand_in is not None:
        monkeypatch.setattr(stand_in, "layerTreeView", lambda: view)
    before = set(project.mapLayers())
    smallest = {"LOOKBACK": 30, "HIDDEN": 4, "EPOCHS": 1, "ENSEMBLE": 1, "SEED": 3, "N_SAMPLES": 4,
                "DAYS_PER_PERIOD": 3}
    try:
        res = processing.runAndLoadResults(ALG_ID, {**sample, **smallest, **{name: "TEMPORARY_OUTPUT"
                                                                            for name in OUTPUTS}})
        assert OUTPUTS <= set(res)
        added = [project.mapLayer(i) for i in set(project.mapLayers()) - before]
        by_name = {layer.name(): layer for layer in added}
        assert {"WELLS", "SIMULATION", "ATTRIBUTION", "CALENDAR"} <= set(by_name), sorted(by_name)
        wells = by_name["WELLS"]
        assert wells.featureCount() == 3 and "dyn_type" in wells.fields().names()
        assert wells.renderer().type() == "categorizedSymbol" and wells.renderer().classAttribute() == "dyn_type"
        assert Path(res["train:MODEL_FOLDER"], "manifest.json").is_file()
    finally:
        project.removeMapLayers(list(set(project.mapLayers()) - before))
