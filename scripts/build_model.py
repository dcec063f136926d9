#!/usr/bin/env python3
"""Build the shipped graphical model ``processing/models/groundwater_dynamics.model3`` with the
QgsProcessingModelAlgorithm API, so that the model is reproducible and every link is reviewable here.

    scripts/with_qgis_env.sh .venv/bin/python -P scripts/build_model.py            # (re)write the .model3
    scripts/with_qgis_env.sh .venv/bin/python -P scripts/build_model.py --check    # fail if the file is stale

The chain: freezethaw -> trainwells -> explaindrivers (PERIODS from freezethaw, WELLS = trainwells OUTPUT,
MODEL_FOLDER = trainwells MODEL_FOLDER) -> classifydynamics (ATTRIBUTION from explaindrivers, SIMULATION from
trainwells) -> stylewells (styles classifydynamics' OUTPUT in its file).

Child algorithms are referenced by id only (``groundwaterlstm:<name>``), so the model needs the plugin's
provider to be registered when it is opened (the script registers it itself). Write it with QGIS 3.22 (the
oldest QGIS the plugin supports) so that the file opens in 3.22 and in every later QGIS.
"""
import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL_PATH = ROOT / "processing" / "models" / "groundwater_dynamics.model3"

MODEL_NAME = "Groundwater dynamics workflow"  # the name in the file (the modeler's title); the toolbox id is
MODEL_GROUP = "Maps and reports"              # set in processing/shipped_models.py, never derived from it

# Input names are those of the child algorithms' parameters: never rename them (the data contract of the model).
NUMBERS = (  # optional integer inputs: (name, description, default, minimum); None: the child algorithm's default
    ("LOOKBACK", "Look-back / warm-up (days; empty: the trainer's default)", None, 7),
    ("HIDDEN", "LSTM hidden units (empty: the trainer's default)", None, 1),
    ("EPOCHS", "Maximum epochs (empty: the trainer's default)", None, 1),
    ("ENSEMBLE", "Ensemble members per well (empty: the trainer's default)", None, 1),
    ("SEED", "Random seed (training and explanation)", 42, 0),
    ("N_SAMPLES", "Expected-gradient draws per period and winter", 200, 1),
    ("DAYS_PER_PERIOD", "Days explained per period and winter (0: all)", 60, 0),
)

# Model outputs: (child id, child output, model output name, description). QGIS names the model's destination
# parameter '<child id>:<model output name>' (classify:WELLS, train:SIMULATION, ...): these are the names on the
# qgis_process command line and in the results, so child ids and output names are part of the contract too.
OUTPUTS = (
    ("classify", "OUTPUT", "WELLS", "Analysed wells (styled by dynamics type)"),
    ("train", "SIMULATION", "SIMULATION", "Simulated levels"),
    ("explain", "ATTRIBUTION", "ATTRIBUTION", "Attribution per well, period and driver"),
    ("freezethaw", "OUTPUT", "CALENDAR", "Freeze-thaw calendar"),
    ("train", "MODEL_FOLDER", "MODEL_FOLDER", "Model folder"),
)

HELP = {
    "ALG_DESC": (
        "The whole analysis as a graphical model that you can open in the Model Designer and change: "
        "Freeze-thaw calendar \u2192 Train well models (LSTM per well) \u2192 Explain drivers (expected gradients "
        "per freezing, thawing and unfrozen period, with the calendar of the first step) \u2192 Classify "
        "dynamics types (with the simulation of the training step) \u2192 Style wells by dynamics type.\n\n"
        "Inputs: the wells (points with a well ID), the levels table (well_id, date, level in m) and the forcing "
        "table (date, precip, temp, pet, river, pumping; optionally well_id for per-well forcing). The field "
        "names are the defaults of the child algorithms; the well ID field may be chosen. Leave the LSTM "
        "settings empty for the trainer's defaults, or set them small for a quick look.\n\n"
        "Outputs: the analysed wells with every field of training, explanation and classification, styled by "
        "dynamics type (in a GeoPackage the style is stored as its default style), the simulated levels, the "
        "attribution table, the freeze-thaw calendar and the model folder.\n\n"
        "The same model file is groundwater_dynamics.model3 in the plugin's processing/models folder: open it "
        "in the Model Designer (Model \u203a Open Model) to adapt it and save your version under a new name "
        "in your own models folder, or run it with qgis_process run <path to the .model3>."),
    "ALG_CREATOR": "Groundwater LSTM",
    "ALG_HELP_CREATOR": "Groundwater LSTM",
    "WELLS": "Monitoring wells (points) with a well ID field.",
    "WELL_ID_FIELD": "The wells' ID field (default well_id); the levels and forcing tables use well_id.",
    "LEVELS": "Groundwater levels in long form: well_id, date, level (m).",
    "FORCING": "Drivers in long form: date, precip, temp, pet, river, pumping, optionally well_id.",
    "LOOKBACK": "Look-back / warm-up of the LSTM in days (empty: the trainer's default).",
    "HIDDEN": "Hidden units of each LSTM (empty: the trainer's default).",
    "EPOCHS": "Maximum training epochs; early stopping on the validation split (empty: the trainer's default).",
    "ENSEMBLE": "Ensemble members per well (empty: the trainer's default).",
    "SEED": "Random seed of training and explanation.",
    "N_SAMPLES": "Expected-gradient draws per period and winter (fewer: faster, noisier).",
    "DAYS_PER_PERIOD": "Days explained per period and winter (0: all; fewer: faster).",
}


def start_qgis():
    """A headless QgsApplication with Processing and the plugin's provider (children are resolved by id)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    plugins = ROOT / "build" / "plugins"
    if str(plugins) not in sys.path:
        sys.path.insert(0, str(plugins))
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append("/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing

    Processing.initialize()
    from groundwater_lstm.processing.provider import GroundwaterLstmProvider

    provider = GroundwaterLstmProvider()
    registry = QgsApplication.processingRegistry()
    if registry.providerById(provider.id()) is None:
        registry.addProvider(provider)
    return app, provider


def build():
    """The model, built link by link."""
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource as Src,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterFeatureSource,
        QgsProcessingParameterField,
        QgsProcessingParameterNumber,
    )
    from qgis.PyQt.QtCore import QPointF

    from groundwater_lstm.processing import compat

    model = QgsProcessingModelAlgorithm(MODEL_NAME, MODEL_GROUP)

    # -- inputs ---------------------------------------------------------------------------------------------
    def add_input(definition, x, y):
        definition.setHelp(HELP.get(definition.name(), ""))  # QGIS copies the help content here on loading
        component = QgsProcessingModelParameter(definition.name())
        component.setDescription(definition.description())
        component.setPosition(QPointF(x, y))
        model.addModelParameter(definition, component)

    add_input(QgsProcessingParameterFeatureSource("WELLS", "Wells (points)", [compat.SOURCE_POINT]),
              120, 60)
    add_input(QgsProcessingParameterField("WELL_ID_FIELD", "Well ID field", "well_id", "WELLS", optional=True),
              120, 130)
    add_input(QgsProcessingParameterFeatureSource(
        "LEVELS", "Groundwater levels (table: well_id, date, level in m)", [compat.SOURCE_ANY_VECTOR]), 340, 60)
    add_input(QgsProcessingParameterFeatureSource(
        "FORCING", "Forcing (drivers table: date, precip, temp, pet, river, pumping)", [compat.SOURCE_ANY_VECTOR]),
        560, 60)
    for i, (name, description, default, minimum) in enumerate(NUMBERS):
        p = QgsProcessingParameterNumber(name, description, compat.NUMBER_INTEGER, default,
                                         optional=True, minValue=minimum)
        compat.advanced(p)
        add_input(p, 800 + 200 * (i % 2), 40 + 50 * i)

    # -- child algorithms -----------------------------------------------------------------------------------
    param = Src.fromModelParameter
    out = Src.fromChildOutput
    outputs = {}
    for child_id, child_output, name, description in OUTPUTS:
        o = QgsProcessingModelOutput(name, description)
        o.setChildId(child_id)
        o.setChildOutputName(child_output)
        o.setMandatory(False)
        outputs.setdefault(child_id, {})[name] = o

    def add_child(child_id, alg_id, description, sources, x, y):
        child = QgsProcessingModelChildAlgorithm(f"groundwaterlstm:{alg_id}")
        child.setChildId(child_id)
        child.setDescription(description)
        child.setPosition(QPointF(x, y))
        for name, source in sources.items():
            child.addParameterSources(name, [source])
        # every other parameter: the child's default as a static value, as the Model Designer sets it
        for definition in child.algorithm().parameterDefinitions():
            if definition.isDestination() or definition.name() in sources:
                continue
            if definition.defaultValue() is not None:
                child.addParameterSources(definition.name(), [Src.fromStaticValue(definition.defaultValue())])
        for i, o in enumerate(outputs.get(child_id, {}).values()):
            o.setPosition(QPointF(x + 260, y + 40 + 35 * i))
        child.setModelOutputs(outputs.get(child_id, {}))
        model.addChildAlgorithm(child)

    add_child("freezethaw", "freezethaw", "Freeze-thaw calendar", {
        "FORCING": param("FORCING"),
        "WELLS": param("WELLS"),
        "WELL_ID_FIELD": param("WELL_ID_FIELD"),
    }, 560, 260)
    add_child("train", "trainwells", "Train well models (LSTM per well)", {
        "WELLS": param("WELLS"),
        "WELL_ID_FIELD": param("WELL_ID_FIELD"),
        "LEVELS": param("LEVELS"),
        "FORCING": param("FORCING"),
        "LOOKBACK": param("LOOKBACK"),
        "HIDDEN": param("HIDDEN"),
        "EPOCHS": param("EPOCHS"),
        "ENSEMBLE": param("ENSEMBLE"),
        "SEED": param("SEED"),
    }, 240, 360)
    add_child("explain", "explaindrivers", "Explain drivers (expected gradients per freeze-thaw period)", {
        "WELLS": out("train", "OUTPUT"),
        "WELL_ID_FIELD": param("WELL_ID_FIELD"),
        "MODEL_FOLDER": out("train", "MODEL_FOLDER"),
        "FORCING": param("FORCING"),
        "PERIODS": out("freezethaw", "OUTPUT"),
        "N_SAMPLES": param("N_SAMPLES"),
        "DAYS_PER_PERIOD": param("DAYS_PER_PERIOD"),
        "SEED": param("SEED"),
    }, 420, 500)
    add_child("classify", "classifydynamics", "Classify dynamics types", {
        "WELLS": out("explain", "OUTPUT"),
        "WELL_ID_FIELD": param("WELL_ID_FIELD"),
        "ATTRIBUTION": out("explain", "ATTRIBUTION"),
        "SIMULATION": out("train", "SIMULATION"),
    }, 240, 640)
    add_child("style", "stylewells", "Style wells by dynamics type", {
        "INPUT": out("classify", "OUTPUT"),
    }, 420, 780)

    model.setHelpContent(HELP)
    order = ["WELLS", "WELL_ID_FIELD", "LEVELS", "FORCING"] + [n[0] for n in NUMBERS]
    if hasattr(model, "setParameterOrder"):
        model.setParameterOrder(order)
    return model


def problems(model):
    """Every validation problem of the model (empty list: valid)."""
    found = []
    if hasattr(model, "validate"):
        ok, issues = model.validate()
        if not ok:
            found += list(issues)
    for child_id in model.childAlgorithms():
        child = model.childAlgorithm(child_id)
        if child.algorithm() is None:
            found.append(f"{child_id}: algorithm {child.algorithmId()} is not available")
            continue
        ok, issues = model.validateChildAlgorithm(child_id)
        if not ok:
            found += [f"{child_id}: {i}" for i in issues]
    return found


def model_text(model):
    """The .model3 text for ``model``: what QGIS writes, with every element's attributes sorted by name.

    QGIS writes a QVariantMap (keys sorted) as XML, but the attribute order inside an element follows a Qt hash
    seeded per process: sorting makes every build of the same model byte-identical, so diffs show real changes.
    """
    import tempfile
    import xml.etree.ElementTree as ET

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.model3"
        if not model.toFile(str(path)):
            raise RuntimeError(f"QGIS could not write {path}")
        text = path.read_text(encoding="utf-8")
    root = ET.fromstring(text)
    for element in root.iter():
        element.attrib = dict(sorted(element.attrib.items()))
    return "<!DOCTYPE model>\n" + ET.tostring(root, encoding="unicode") + "\n"


def source_link(source):
    """('child', child id, output) / ('model', parameter) / ('static', value) for a step's parameter source."""
    from groundwater_lstm.processing import compat

    kind = source.source()
    if kind == compat.MODEL_CHILD_OUTPUT:
        return ("child", source.outputChildId(), source.outputName())
    if kind == compat.MODEL_PARAMETER:
        return ("model", source.parameterName())
    return ("static", source.staticValue())


def describe(model):
    """What ``model`` is, as plain data: its name, group, help, inputs, steps, links and outputs.

    QGIS versions write the same model with other keys and defaults (3.40 adds some), so the shipped file is
    compared with the build by this description: the same on every QGIS that reads the file the same way.
    The model's destination parameters are left out: their names are derived by QGIS, from '<child id>:<output>'
    on 3.22 (and in a file written there, on every version) but from the output's description on a model
    built anew on 3.40+. The outputs themselves are in each step's ``outputs``.
    """
    from groundwater_lstm.processing import compat

    optional = compat.first("Qgis.ProcessingParameterFlag.Optional", "QgsProcessingParameterDefinition.FlagOptional")
    inputs = [(p.name(), p.type(), p.description(), p.defaultValue(), compat.has_flag(p.flags(), optional),
               compat.has_flag(p.flags(), compat.PARAM_ADVANCED))
              for p in model.parameterDefinitions() if not p.isDestination()]
    steps = {}
    for child_id, child in model.childAlgorithms().items():
        steps[child_id] = {
            "algorithm": child.algorithmId(),
            "description": child.description(),
            "sources": {name: [source_link(s) for s in sources] for name, sources in sorted(child.parameterSources().items())},
            "outputs": {name: (o.childOutputName(), o.description()) for name, o in sorted(child.modelOutputs().items())},
        }
    return {"name": model.name(), "group": model.group(), "help": dict(sorted(model.helpContent().items())),
            "inputs": inputs, "steps": steps}


def contract_problem(model):
    """Why ``model`` may not be written as the shipped file: its outputs must be named '<child id>:<output>'
    (classify:WELLS, ...), the names on qgis_process command lines and in results. '' when they are."""
    expected = {f"{child}:{name}" for child, _, name, _ in OUTPUTS}
    names = {o.name() for o in model.outputDefinitions()}
    if names == expected:
        return ""
    return (f"this QGIS names the model's outputs {sorted(names)} instead of {sorted(expected)}: write the file "
            "with QGIS 3.22 (the oldest supported QGIS), which keeps the names on every later version")


def load(path):
    """The model in ``path`` opened as the Model Designer opens it, or None."""
    from qgis.core import QgsProcessingModelAlgorithm

    model = QgsProcessingModelAlgorithm()
    return model if model.fromFile(str(path)) else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 when the file is stale")
    parser.add_argument("--output", default=str(MODEL_PATH), help="where to write the .model3")
    args = parser.parse_args(argv)

    app, provider = start_qgis()  # noqa: F841 (kept alive)
    model = build()
    found = problems(model)
    if found:
        print("The model does not validate:\n  " + "\n  ".join(found), file=sys.stderr)
        return 1
    target = Path(args.output)
    text = model_text(model)
    if args.check:
        shipped = load(target) if target.exists() else None
        if shipped is None or describe(shipped) != describe(model):
            print(f"{target} is stale: rebuild it with scripts/build_model.py", file=sys.stderr)
            return 1
        print(f"{target} is up to date")
        return 0
    problem = contract_problem(model)
    if problem:
        print(f"Not writing {target}: {problem}", file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    reread = load(target)
    if reread is None or problems(reread) or model_text(reread) != text:
        print(f"{target} was written but does not read back the same (or does not validate)", file=sys.stderr)
        return 1
    print(f"wrote {target} ({len(model.childAlgorithms())} steps, "
          f"{len(model.parameterDefinitions())} parameters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
