"""groundwaterlstm:wellreport — the self-contained HTML report from existing outputs."""
import json
import os
import time

from qgis.core import (
    QgsDataSourceUri,
    QgsProcessingException,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
)

from . import compat
from .algorithm import GroundwaterAlgorithm, core_callbacks
from .qgis_io import source_to_frame

# the fields each input table must hold (as the other algorithms write them), and what the table is
TABLE_FIELDS = {"SIMULATION": ("well_id", "date", "simulated"),
                "ATTRIBUTION": ("well_id", "period", "driver", "share"),
                "PERIODS": ("winter", "freeze_start", "thaw_start", "thaw_end"),
                "LAGS": ("well_id", "driver", "lag")}
TABLE_OF = {"SIMULATION": "a simulation table", "ATTRIBUTION": "an attribution table",
            "PERIODS": "a freeze-thaw periods table", "LAGS": "an attribution-by-lag table"}

# manifest key (core/model/store.py) -> run_info key of core.outputs.report.write_report
MANIFEST_KEYS = {"inputs": "inputs", "roles": "roles", "parameters": "parameters", "config": "parameters",
                 "seeds": "seeds", "versions": "versions", "time_taken_s": "time_taken_s", "started": "started",
                 "finished": "finished", "created": "model written", "drivers": "drivers"}


def safe_source(layer_or_source):
    """A source string fit to print: passwords removed."""
    try:
        text = layer_or_source.source() if hasattr(layer_or_source, "source") else str(layer_or_source)
    except Exception:
        text = str(layer_or_source)
    try:
        return QgsDataSourceUri.removePassword(text)
    except Exception:  # pragma: no cover
        return text


def read_manifest(folder):
    """(run_info entries, skipped wells) from a model folder's manifest.json (({}, {}) without a folder)."""
    if not folder:
        return {}, {}
    path = os.path.join(folder, "manifest.json")
    if not os.path.isfile(path):
        return {"model folder": folder}, {}
    with open(path, encoding="utf-8") as fh:
        manifest = json.load(fh)
    if not isinstance(manifest, dict):
        raise ValueError(f"{path} is not a model manifest")
    info = {"model folder": folder}
    for key, target in MANIFEST_KEYS.items():
        if key in manifest and target not in info:
            info[target] = manifest[key]
    skipped = manifest.get("skipped") if isinstance(manifest.get("skipped"), dict) else {}
    return info, {str(k): str(v) for k, v in skipped.items()}


def map_png_of(source, feedback=None, title="Wells by dynamics type", size=(1000, 760)):
    """PNG bytes of the wells (a feature source or layer) styled by dynamics type over the offline backdrop;
    None (with a warning) when it cannot be drawn. Safe in a worker thread: renders a private copy."""
    from . import map_image, styling

    try:
        layer = map_image.memory_copy(source)
        if styling.check_fields(layer):
            if feedback is not None:
                feedback.pushWarning("The wells have no field 'dyn_type': the report has no map.")
            return None
        styling.apply_dynamics_style(layer)
        return map_image.render_map_png(layer, None, size=size, title=title)
    except Exception as exc:  # a map is a nice-to-have: the report goes on without it
        if feedback is not None:
            feedback.pushWarning(f"The map image could not be drawn ({exc}); the report has no map.")
        return None


class WellReport(GroundwaterAlgorithm):
    NAME = "wellreport"
    DISPLAY = "Well report (HTML)"
    GROUP = "report"
    REQUIRES = ("numpy", "pandas", "matplotlib")
    HELP = (
        "Writes one self-contained HTML file (images embedded, no internet needed) from the outputs of Analyse "
        "wells (or of Train wells, Explain drivers and Classify dynamics): \n"
        "- the network: a map of the wells styled by dynamics type, the number of wells per type, the "
        "distribution of the test NSE and a sortable table of every well with its metrics (NSE, KGE, RMSE and "
        "bias in m), dominant drivers and type;\n"
        "- each well: observed against simulated levels with the ensemble spread, the training/validation/test "
        "years and the freezing and thawing periods shaded; the attribution per driver and period; the "
        "attribution by lag when a lags table is given;\n"
        "- the run: inputs, driver roles, parameters, versions, seeds and time (read from the model folder's "
        "manifest when given) and every skipped well with its reason.\n\n"
        "Inputs are read as they are written by the other algorithms: wells (well_id, status, n_obs, nse_*, "
        "kge_test, rmse_test, bias_test, dom_*, sh_*, dyn_type, dyn_conf), simulation (well_id, date, observed, "
        "simulated, lower, upper, split, period), attribution (well_id, period, driver, mean_signed, mean_abs, "
        "share), periods (well_id, winter, freeze_start, thaw_start, thaw_end) and lags (well_id, driver, lag in "
        "days, value)."
    )

    WELLS = "WELLS"
    WELL_ID_FIELD = "WELL_ID_FIELD"
    SIMULATION = "SIMULATION"
    ATTRIBUTION = "ATTRIBUTION"
    PERIODS = "PERIODS"
    LAGS = "LAGS"
    MODEL_FOLDER = "MODEL_FOLDER"
    TITLE = "TITLE"
    REPORT = "REPORT"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterVectorLayer(
            self.WELLS, self.tr("Wells (output of Analyse wells or Classify dynamics)"),
            [compat.SOURCE_POINT]))
        self.addParameter(QgsProcessingParameterField(
            self.WELL_ID_FIELD, self.tr("Well ID field"), "well_id", self.WELLS, optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.SIMULATION, self.tr("Simulation table (well_id, date, observed, simulated, lower, upper, split, "
                                     "period)"), [compat.SOURCE_ANY_VECTOR]))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.ATTRIBUTION, self.tr("Attribution table (well_id, period, driver, mean_signed, mean_abs, share)"),
            [compat.SOURCE_ANY_VECTOR]))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.PERIODS, self.tr("Freeze-thaw periods (well_id, winter, freeze_start, thaw_start, thaw_end)"),
            [compat.SOURCE_ANY_VECTOR], optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.LAGS, self.tr("Attribution by lag (well_id, driver, lag, value)"), [compat.SOURCE_ANY_VECTOR],
            optional=True))
        self.addParameter(QgsProcessingParameterFile(
            self.MODEL_FOLDER, self.tr("Model folder (its manifest fills the run section)"),
            behavior=compat.FILE_FOLDER, optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.TITLE, self.tr("Report title"), "Groundwater LSTM report", optional=True))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.REPORT, self.tr("Report"), self.tr("HTML files (*.html)")))

    def execute(self, parameters, context, feedback):
        from ..core.outputs import report

        t0 = time.perf_counter()
        wells_layer = self.parameterAsVectorLayer(parameters, self.WELLS, context)
        wells_source = self.parameterAsSource(parameters, self.WELLS, context)
        if wells_source is None:
            raise QgsProcessingException("The wells layer could not be loaded (WELLS).")
        frames = self._tables(parameters, context, feedback)
        if frames is None:
            return {}
        wells = self._wells(wells_source, parameters, context, feedback)
        feedback.setProgressText("Drawing the map")
        map_png = map_png_of(wells_source, feedback)
        feedback.setProgress(20)
        run_info = {"inputs": {
            "wells": safe_source(wells_layer) if wells_layer is not None else str(parameters.get(self.WELLS)),
            **{key.lower(): safe_source(parameters.get(key)) for key in
               (self.SIMULATION, self.ATTRIBUTION, self.PERIODS, self.LAGS) if parameters.get(key)}}}
        folder = self.parameterAsFile(parameters, self.MODEL_FOLDER, context)
        try:
            manifest, skipped = read_manifest(folder)
        except (OSError, ValueError) as exc:
            feedback.pushWarning(f"The model folder's manifest could not be read ({exc}).")
            manifest, skipped = {"model folder": folder}, {}
        for key, value in manifest.items():
            run_info.setdefault(key, value)
        title = self.parameterAsString(parameters, self.TITLE, context) or "Groundwater LSTM report"
        path = self.parameterAsFileOutput(parameters, self.REPORT, context)
        progress, is_canceled = core_callbacks(feedback, 20, 100)
        summary = report.write_report(
            self.stage_output(path), wells, frames[self.SIMULATION], frames[self.ATTRIBUTION], frames[self.PERIODS],
            frames[self.LAGS], run_info=run_info, map_png=map_png, skipped=skipped, title=title,
            progress=progress, is_canceled=is_canceled)
        feedback.pushInfo(f"Report: {summary['wells']} wells, {summary['figures']} well figures, "
                          f"{summary['bytes'] / 1e6:.1f} MB, written in {time.perf_counter() - t0:.1f} s: {path}")
        return {self.REPORT: path}

    def _tables(self, parameters, context, feedback):
        """The run's tables as frames, checked to be the tables they claim to be; None when canceled."""
        from ..core.inputs.ids import normalise_ids

        frames = {}
        for step, key in enumerate((self.SIMULATION, self.ATTRIBUTION, self.PERIODS, self.LAGS)):
            source = self.parameterAsSource(parameters, key, context)
            if source is None:
                if key in (self.SIMULATION, self.ATTRIBUTION):
                    raise QgsProcessingException(f"The {key.lower()} table could not be loaded ({key}).")
                frames[key] = None
                continue
            feedback.setProgressText(f"Reading the {key.lower()} table")
            frames[key] = source_to_frame(source, feedback=feedback)
            feedback.setProgress(2 + 3 * step)
            if feedback.isCanceled():
                return None
        for key, needed in TABLE_FIELDS.items():
            frame = frames[key]
            if frame is None:
                continue
            missing = [c for c in needed if c not in frame.columns]
            if missing:
                raise QgsProcessingException(
                    f"{key}: the table has no field {', '.join(repr(c) for c in missing)}, so it is not "
                    f"{TABLE_OF[key]}. Fields present: {', '.join(frame.columns) or '(none)'}. Fix: choose the "
                    f"{TABLE_OF[key]} (an output of Analyse wells, Train wells or Explain drivers).")
            if "well_id" in frame.columns:
                frame["well_id"] = normalise_ids(frame["well_id"])
        return frames

    def _wells(self, wells_source, parameters, context, feedback):
        """The wells layer as a frame whose ``well_id`` is the chosen ID field, normalised as every reader does."""
        from ..core.inputs.ids import normalise_ids

        wells = source_to_frame(wells_source, feedback=feedback)
        id_field = (compat.parameter_as_fields(self, parameters, self.WELL_ID_FIELD, context) or ["well_id"])[0]
        if id_field not in wells.columns:
            raise QgsProcessingException(
                f"WELL_ID_FIELD: the wells layer has no field '{id_field}'. Fields present: "
                f"{', '.join(wells.columns) or '(none)'}. Fix: choose the wells' ID field (the one the run that "
                "wrote them was given).")
        if id_field != "well_id":
            wells = wells.drop(columns=["well_id"], errors="ignore").rename(columns={id_field: "well_id"})
        wells["well_id"] = normalise_ids(wells["well_id"])
        return wells
