"""Parameter groups that several algorithms share (wells, levels, forcing roles, LSTM settings), declared once.

Names are the data contract of graphical models: never rename them.
"""
from contextlib import contextmanager

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..core.inputs.roles import Roles
from . import compat
from .qgis_io import field_names, require_fields, source_to_frame
from .terms import in_parameters

WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")
ROLE_PARAMS = (  # parameter, role, default column, label with unit
    ("PRECIP_FIELD", "precip", "precip", "Precipitation field (mm/day)"),
    ("TEMP_FIELD", "temp", "temp", "Air temperature field (°C)"),
    ("EVAP_FIELD", "pet", "pet", "Potential evaporation field (mm/day)"),
    ("RIVER_FIELD", "river", "river", "River stage field (m)"),
    ("PUMPING_FIELD", "pumping", "pumping", "Pumping / extraction field (m³/day)"),
)
DEVICES = ["cpu", "cuda"]

FORCING_HELP = (
    "Forcing (drivers): a table in long form with a date column, one numeric column per driver and optionally a "
    "well-ID column (per-well forcing; without it one series serves every well). Tell which column plays which "
    "role: precipitation (mm/day, required), air temperature (°C; gives snow, melt, frost index, the freeze-thaw "
    "calendar, and Oudin evaporation when no evaporation field is given), potential evaporation (mm/day), river "
    "stage (m), pumping (m³/day), and any other drivers (snow depth, soil temperature, ...). A default field the "
    "table lacks is skipped with a log line. Dates may be text or dates; numbers may be text (CSV)."
)


# Field parameters are declared optional even where a value is needed: QGIS 3.22 refuses a non-optional field
# parameter that is left out even when it has a default; the readers fall back to the default instead.
# A field parameter that is not given at all (qgis_process, processing.run) and whose default the table lacks
# takes the field whose name says what it holds (core/inputs/names); the dialog shows the same guess
# (plugin/field_guess.py). Given but empty means "none" (a role left out on purpose).
FIELD_KEYS = {  # field parameter -> what it holds (a key of core.inputs.names.COLUMN_NAMES)
    "WELL_ID_FIELD": "well_id", "LEVEL_ID_FIELD": "well_id", "LEVEL_DATE_FIELD": "date", "LEVEL_FIELD": "level",
    "FORCING_ID_FIELD": "well_id", "FORCING_DATE_FIELD": "date",
    **{name: role for name, role, _default, _label in ROLE_PARAMS},
}


def _field(alg, parameters, context, name, default):
    """The field parameter's one value as the algorithm reads it (its default when left out)."""
    chosen = compat.parameter_as_fields(alg, parameters, name, context)
    return chosen[0] if chosen else default


def _guessed(parameters, name, default, present, what, feedback, taken=()):
    """``default``, or for a parameter that is not given the field of ``present`` named for what it holds."""
    if name in parameters or default in present:
        return default
    from ..core.inputs.names import guess_column

    guess = guess_column(present, FIELD_KEYS[name], taken=taken)
    if guess is None:
        return default
    if feedback is not None:
        feedback.pushInfo(f"{what}: no field '{default}', so '{guess}' is read for it (by its name; set {name} "
                          "to choose another).")
    return guess


def field_widget(alg, param):
    """``param`` with the dialog's name-guessing widget (plugin/field_guess.py) when it is one of FIELD_KEYS."""
    if param.name() in FIELD_KEYS:
        package = __name__.rsplit(".", 2)[0]  # the plugin's folder name, whatever it was installed as
        metadata = param.metadata()
        metadata["widget_wrapper"] = {"class": f"{package}.plugin.field_guess.FieldGuessWrapper"}
        param.setMetadata(metadata)
    alg.addParameter(param)


def add_wells(alg, optional=False):
    alg.addParameter(QgsProcessingParameterFeatureSource(
        "WELLS", alg.tr("Wells (points)"), [compat.SOURCE_POINT], optional=optional))
    field_widget(alg, QgsProcessingParameterField(
        "WELL_ID_FIELD", alg.tr("Well ID field"), "well_id", "WELLS", optional=True))


def add_levels(alg):
    alg.addParameter(QgsProcessingParameterFeatureSource(
        "LEVELS", alg.tr("Groundwater levels (table: well ID, date, level in m)"), [compat.SOURCE_ANY_VECTOR]))
    for name, label, default in (("LEVEL_ID_FIELD", "Levels: well ID field", "well_id"),
                                 ("LEVEL_DATE_FIELD", "Levels: date field", "date"),
                                 ("LEVEL_FIELD", "Levels: level field (m)", "level")):
        field_widget(alg, QgsProcessingParameterField(name, alg.tr(label), default, "LEVELS", optional=True))


def add_forcing_table(alg, id_label="Forcing: well ID field (empty: one series for all wells)"):
    """FORCING with its well-ID and date fields (the driver fields are the caller's)."""
    alg.addParameter(QgsProcessingParameterFeatureSource(
        "FORCING", alg.tr("Forcing (drivers table)"), [compat.SOURCE_ANY_VECTOR]))
    field_widget(alg, QgsProcessingParameterField(
        "FORCING_ID_FIELD", alg.tr(id_label), "well_id", "FORCING", optional=True))
    field_widget(alg, QgsProcessingParameterField(
        "FORCING_DATE_FIELD", alg.tr("Forcing: date field"), "date", "FORCING", optional=True))


def add_forcing(alg):
    add_forcing_table(alg)
    for name, _role, default, label in ROLE_PARAMS:
        field_widget(alg, QgsProcessingParameterField(
            # Any, not Numeric: CSV read through OGR gives numbers as text.
            name, alg.tr(label), default, "FORCING", compat.FIELD_ANY,
            optional=True))
    alg.addParameter(QgsProcessingParameterField(
        "OTHER_FIELDS", alg.tr("Other driver fields"), None, "FORCING", compat.FIELD_ANY,
        allowMultiple=True, optional=True))
    from ..core.inputs.values import NODATA_CODES  # here, not at import: the provider loads without pandas too

    alg.addParameter(compat.advanced(QgsProcessingParameterString(
        "NODATA", alg.tr("NoData codes in levels and drivers (separated by ;, empty: none)"),
        defaultValue=";".join(f"{c:g}" for c in NODATA_CODES), optional=True)))


def read_nodata(alg, parameters, context):
    """The NoData codes (floats) of NODATA; the core's defaults when the parameter is left out."""
    from ..core.inputs.values import NODATA_CODES

    if "NODATA" not in parameters:
        return NODATA_CODES
    text = alg.parameterAsString(parameters, "NODATA", context)
    codes = []
    for part in text.replace(",", ";").split(";"):
        if part.strip():
            try:
                codes.append(float(part))
            except ValueError:
                raise QgsProcessingException(
                    f"NODATA: '{part.strip()}' is not a number. Fix: give the codes as numbers separated by ; "
                    "(for example -9999;-999), or leave it empty for none.") from None
    return tuple(codes)


def add_lstm(alg):
    p = [
        QgsProcessingParameterNumber("LOOKBACK", alg.tr("Look-back / warm-up (days)"),
                                     compat.NUMBER_INTEGER, None, optional=True, minValue=7),
        QgsProcessingParameterNumber("HIDDEN", alg.tr("LSTM hidden units"),
                                     compat.NUMBER_INTEGER, None, optional=True, minValue=1),
        QgsProcessingParameterNumber("EPOCHS", alg.tr("Maximum epochs (early stopping on validation)"),
                                     compat.NUMBER_INTEGER, None, optional=True, minValue=1),
        QgsProcessingParameterNumber("LEARNING_RATE", alg.tr("Learning rate"),
                                     compat.NUMBER_DOUBLE, None, optional=True, minValue=1e-6),
        QgsProcessingParameterNumber("ENSEMBLE", alg.tr("Ensemble members per well"),
                                     compat.NUMBER_INTEGER, None, optional=True, minValue=1),
        QgsProcessingParameterNumber("SEED", alg.tr("Random seed"),
                                     compat.NUMBER_INTEGER, 42, minValue=0),
        QgsProcessingParameterEnum("DEVICE", alg.tr("Device"), DEVICES, defaultValue=0),
        QgsProcessingParameterString("VAL_START", alg.tr("Validation start date (YYYY-MM-DD; empty: by fraction)"),
                                     optional=True),
        QgsProcessingParameterString("TEST_START", alg.tr("Test start date (YYYY-MM-DD; empty: last 15 %)"),
                                     optional=True),
    ]
    for param in p:
        alg.addParameter(compat.advanced(param))


def add_baseline(alg):
    """BASELINE: the Pastas model of each well beside its LSTM (off by default; refused when Pastas is missing)."""
    alg.addParameter(QgsProcessingParameterBoolean(
        "BASELINE", alg.tr("Fit the classical baseline beside each LSTM (Pastas; writes nse_tfn, kge_tfn, lstm_gain)"),
        defaultValue=False, optional=True))


def add_tune(alg):
    """TUNE and TUNE_TRIALS (advanced, off): a per-well search on the validation part before the ensemble."""
    alg.addParameter(compat.advanced(QgsProcessingParameterBoolean(
        "TUNE", alg.tr("Tune each well's settings on its validation part before the ensemble (slower; the test part "
                       "is never used)"), defaultValue=False, optional=True)))
    alg.addParameter(compat.advanced(QgsProcessingParameterNumber(
        "TUNE_TRIALS", alg.tr("Tuning trials per well (the first is the settings above)"), compat.NUMBER_INTEGER, 8,
        optional=True, minValue=1, maxValue=200)))


def add_cluster(alg):
    """DASK_SCHEDULER (advanced): where the wells run; empty is this machine's pool."""
    alg.addParameter(compat.advanced(QgsProcessingParameterString(
        "DASK_SCHEDULER", alg.tr("Dask scheduler address (for example tcp://10.0.0.5:8786; empty: this machine)"),
        optional=True)))


@contextmanager
def cluster(alg, parameters, context, feedback):
    """The executor of a run for the time of a ``with``: None (this machine's pool), or a Dask cluster for
    DASK_SCHEDULER, connected and checked before any layer is read (a bad address is refused at once)."""
    address = (alg.parameterAsString(parameters, "DASK_SCHEDULER", context) or "").strip() \
        if parameters.get("DASK_SCHEDULER") else ""
    if not address:
        yield None
        return
    from ..core.model.cluster import DaskExecutor

    feedback.pushInfo(f"Connecting to the Dask scheduler at {address}")
    executor = DaskExecutor(address)
    feedback.pushInfo(f"Dask cluster at {address}: {executor.workers} worker thread(s), core {executor.version[:12]} "
                      "shipped to every worker")
    try:
        yield executor
    finally:
        executor.shutdown()


def read_wells(alg, parameters, context, feedback):
    """The wells as a frame: well_id (str), lon, lat, and the source (for writing the output layer)."""
    from ..core.inputs.ids import normalise_ids

    source = alg.parameterAsSource(parameters, "WELLS", context)
    if source is None:
        raise QgsProcessingException("Wells: the layer could not be opened. Fix: choose a point layer.")
    id_field = _guessed(parameters, "WELL_ID_FIELD", _field(alg, parameters, context, "WELL_ID_FIELD", "well_id"),
                        field_names(source), "Wells", feedback)
    require_fields(source, [id_field], "Wells")
    if source.featureCount() == 0:
        raise QgsProcessingException("Wells: the layer is empty. Fix: choose a layer with monitoring wells.")
    frame = source_to_frame(source, [id_field], feedback, xy_crs=WGS84, context=context)
    frame = frame.rename(columns={id_field: "well_id", "x": "lon", "y": "lat"})
    frame["well_id"] = normalise_ids(frame["well_id"])  # as the levels' and forcing's IDs: 101.0 is well 101
    if frame["well_id"].isna().any():
        raise QgsProcessingException(
            f"Wells: {int(frame['well_id'].isna().sum())} feature(s) have no value in '{id_field}'. "
            "Fix: give every well an ID.")
    dupes = frame["well_id"][frame["well_id"].duplicated()].unique()
    if len(dupes):
        raise QgsProcessingException(
            f"Wells: field '{id_field}' has duplicate IDs ({', '.join(map(str, dupes[:5]))}). Fix: make IDs unique.")
    return source, id_field, frame


def read_levels(alg, parameters, context, feedback):
    source = alg.parameterAsSource(parameters, "LEVELS", context)
    if source is None:
        raise QgsProcessingException("Levels: the table could not be opened.")
    present, cols = field_names(source), {}
    for k, d in (("LEVEL_ID_FIELD", "well_id"), ("LEVEL_DATE_FIELD", "date"), ("LEVEL_FIELD", "level")):
        cols[k] = _guessed(parameters, k, _field(alg, parameters, context, k, d), present, "Levels", feedback,
                           taken=cols.values())
    require_fields(source, cols.values(), "Levels")
    frame = source_to_frame(source, list(dict.fromkeys(cols.values())), feedback)
    return frame, (cols["LEVEL_ID_FIELD"], cols["LEVEL_DATE_FIELD"], cols["LEVEL_FIELD"])


def read_forcing(alg, parameters, context, feedback):
    """The forcing frame, the Roles and the id/date column names. Missing default role fields are skipped."""
    source = alg.parameterAsSource(parameters, "FORCING", context)
    if source is None:
        raise QgsProcessingException("Forcing: the table could not be opened.")
    present = field_names(source)
    date_col = _guessed(parameters, "FORCING_DATE_FIELD", _field(alg, parameters, context, "FORCING_DATE_FIELD",
                                                                 "date"), present, "Forcing", feedback)
    require_fields(source, [date_col], "Forcing")
    id_col = _guessed(parameters, "FORCING_ID_FIELD", _field(alg, parameters, context, "FORCING_ID_FIELD", None),
                      present, "Forcing", feedback, taken=[date_col])
    if "FORCING_ID_FIELD" in parameters and parameters["FORCING_ID_FIELD"] in ("", [], None):
        id_col = None  # left empty on purpose (QGIS would fill in the default): one series for every well
        feedback.pushInfo("Forcing: no well-ID field chosen, so one forcing series serves every well.")
    if id_col and id_col not in present:
        if parameters.get("FORCING_ID_FIELD") in (None, "well_id"):
            feedback.pushInfo(f"Forcing has no field '{id_col}': one forcing series serves every well.")
            id_col = None
        else:
            require_fields(source, [id_col], "Forcing")
    roles = {}
    for name, role, default, label in ROLE_PARAMS:
        if name in parameters and parameters[name] in ("", [], None) and role != "precip":
            continue  # left empty on purpose: the role is absent
        col = _guessed(parameters, name, _field(alg, parameters, context, name, None), present, "Forcing", feedback,
                       taken=[date_col, id_col, *roles.values()])
        if not col:
            continue
        if col not in present:
            explicit = parameters.get(name) not in (None, default, [default])
            if explicit or role == "precip":
                require_fields(source, [col], f"Forcing ({label})")
            feedback.pushInfo(f"Forcing has no field '{col}': the {role} role is left out.")
            continue
        roles[role] = col
    others = tuple(compat.parameter_as_fields(alg, parameters, "OTHER_FIELDS", context) or ())
    require_fields(source, others, "Forcing (other drivers)")
    roles = Roles(**{r: roles.get(r) for r in ("precip", "temp", "pet", "river", "pumping")}, other=others)
    cols = [c for c in [id_col, date_col, *roles.columns().values()] if c]
    frame = source_to_frame(source, list(dict.fromkeys(cols)), feedback)
    return frame, roles, id_col, date_col


def train_config(alg, parameters, context):
    """A TrainConfig from the LSTM parameters; empty ones keep the core's defaults."""
    from ..core.model.config import TrainConfig

    changes = {}
    for name, key, cast in (("LOOKBACK", "lookback", int), ("HIDDEN", "hidden", int), ("EPOCHS", "epochs", int),
                            ("LEARNING_RATE", "learning_rate", float), ("ENSEMBLE", "ensemble", int),
                            ("SEED", "seed", int)):
        if parameters.get(name) not in (None, ""):
            value = alg.parameterAsDouble(parameters, name, context)
            changes[key] = cast(value)
    if "DEVICE" in parameters:
        changes["device"] = DEVICES[alg.parameterAsEnum(parameters, "DEVICE", context)]
    if parameters.get("BASELINE") not in (None, ""):
        changes["baseline"] = alg.parameterAsBoolean(parameters, "BASELINE", context)
    if parameters.get("TUNE") not in (None, ""):
        changes["tune"] = alg.parameterAsBoolean(parameters, "TUNE", context)
    if parameters.get("TUNE_TRIALS") not in (None, ""):
        changes["tune_trials"] = alg.parameterAsInt(parameters, "TUNE_TRIALS", context)
    for name, key in (("VAL_START", "val_start"), ("TEST_START", "test_start")):
        text = alg.parameterAsString(parameters, name, context).strip()
        if text:
            changes[key] = text
    return TrainConfig().replace(**changes)


def check_lstm(alg, parameters, context):
    """(ok, message) for the LSTM settings that can be judged before a long run starts: the split dates, and a
    GPU that is asked for but not there (never a silent fall-back to the CPU)."""
    ok, message = check_split_dates(alg, parameters, context)
    try:
        read_nodata(alg, parameters, context)
    except QgsProcessingException as exc:
        return False, str(exc)
    if ok and parameters.get("BASELINE") not in (None, "") and alg.parameterAsBoolean(parameters, "BASELINE",
                                                                                     context):
        from ..core.model.tfn import PASTAS_FIX, pastas_version

        if pastas_version() is None:
            return False, ("BASELINE: the Pastas baseline needs the Python package pastas, which this QGIS does not "
                           "have. Fix: " + in_parameters(PASTAS_FIX))
    if ok and "DEVICE" in parameters and DEVICES[alg.parameterAsEnum(parameters, "DEVICE", context)] == "cuda":
        import torch

        if not torch.cuda.is_available():
            return False, (f"DEVICE: cuda was chosen, but this torch ({torch.__version__}) sees no GPU. Fix: choose "
                           "cpu, or install a CUDA build of torch (Plugins \u203a Groundwater LSTM \u203a Install "
                           "Python packages, with the CUDA build ticked).")
    return ok, message


def check_split_dates(alg, parameters, context):
    """(ok, message) for VAL_START / TEST_START before a long run starts."""
    from ..core.inputs.values import date_text

    for name in ("VAL_START", "TEST_START"):
        text = alg.parameterAsString(parameters, name, context).strip()
        if text:
            try:
                date_text(text)  # the reader of the data's own dates
            except ValueError as exc:
                return False, f"{name}: {exc}. Fix: write it as YYYY-MM-DD, or leave it empty."
    return True, ""
