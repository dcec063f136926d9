"""groundwaterlstm:analysewells — the main job: train, explain, classify, style and report in one run."""
import time

from qgis.core import (
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
)

from ..core.errors import Canceled
from . import compat, dependencies
from . import params
from .algorithm import GroundwaterAlgorithm, core_callbacks
from .explain_drivers import add_explain_params, explain_config
from .qgis_io import StreamedTable, WellsLayout, fields_for, write_frame, write_wells
from .train_wells import TRAIN_HELP, training_inputs
from .terms import core_log

# progress: training 0-60 %, explanation 60-90 %, classification and writing 90-95 %, report 95-100 %
STEPS = {"train": (0, 60), "explain": (60, 90), "write": (90, 95), "report": (95, 100)}


class AnalyseWells(GroundwaterAlgorithm):
    NAME = "analysewells"
    DISPLAY = "Analyse wells (train, explain, classify, map, report)"
    GROUP = "report"
    REQUIRES = ("numpy", "pandas", "torch", "captum", "sklearn", "matplotlib")
    HELP = (
        "The main job, in one run: trains an LSTM for every well, explains it with expected gradients per "
        "freezing, thawing and unfrozen period, classifies each well's dynamics type, styles the wells by type "
        "on the map and writes an HTML report.\n\n"
        "Inputs are those of Train well models: " + TRAIN_HELP.split("\n\n", 1)[1].split("Outputs:")[0] +
        "Outputs: the wells with every field of the three steps (status, n_obs, nse_*, kge_test, rmse_test, "
        "bias_test, dom_drv, dom_frz, dom_thw, dom_unf, sh_<driver>, eg_qual, dyn_type, dyn_conf, dyn_note), "
        "styled by dynamics type (in a GeoPackage the style is its default style; beside a shapefile a .qml); the "
        "simulation table, the attribution table, the freeze-thaw calendar, the model folder and the report "
        "(one HTML file that opens offline)."
    )

    def initAlgorithm(self, config=None):  # noqa: N802
        params.add_wells(self)
        params.add_levels(self)
        params.add_forcing(self)
        params.add_lstm(self)
        params.add_baseline(self)
        params.add_tune(self)
        add_explain_params(self)
        params.add_cluster(self)
        self.addParameter(QgsProcessingParameterFeatureSink(
            "OUTPUT", self.tr("Analysed wells"), compat.SOURCE_POINT))
        self.addParameter(QgsProcessingParameterFeatureSink(
            "SIMULATION", self.tr("Simulated levels"), compat.SOURCE_ANY_VECTOR))
        self.addParameter(QgsProcessingParameterFeatureSink(
            "ATTRIBUTION", self.tr("Attribution per well, period and driver"), compat.SOURCE_ANY_VECTOR))
        self.addParameter(QgsProcessingParameterFeatureSink(
            "PERIODS_OUTPUT", self.tr("Freeze-thaw calendar"), compat.SOURCE_ANY_VECTOR, optional=True))
        self.addParameter(QgsProcessingParameterFeatureSink(
            "LAGS", self.tr("Attribution by lag day"), compat.SOURCE_ANY_VECTOR, optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterFolderDestination("MODEL_FOLDER", self.tr("Model folder")))
        self.addParameter(QgsProcessingParameterFileDestination(
            "REPORT", self.tr("Report"), self.tr("HTML files (*.html)")))
        self.addParameter(QgsProcessingParameterFileDestination(
            "MAP_IMAGE", self.tr("Map image of the wells by dynamics type"), self.tr("PNG files (*.png)"),
            optional=True, createByDefault=False))
        self.addOutput(QgsProcessingOutputNumber("TRAINED", self.tr("Wells trained")))

    def checkParameterValues(self, parameters, context):  # noqa: N802
        ok, msg = super().checkParameterValues(parameters, context)
        return (ok, msg) if not ok else params.check_lstm(self, parameters, context)

    def execute(self, parameters, context, feedback):
        from ..core import pipeline

        t0 = time.perf_counter()
        tables = AnalysisTables(self, parameters, context, feedback)
        with params.cluster(self, parameters, context, feedback) as executor:
            source, id_field, inputs = training_inputs(self, parameters, context, feedback)
            ex_config = explain_config(self, parameters, context)  # its seed is the training's SEED
            progress, is_canceled = core_callbacks(feedback, STEPS["train"][0], STEPS["explain"][1])
            analysis = pipeline.analyse(**inputs, explain_config=ex_config, executor=executor,
                                        log=core_log(feedback), progress=progress, is_canceled=is_canceled,
                                        on_simulation=tables.simulated, on_explained=tables.explained)
        self._tables = tables
        feedback.setProgress(STEPS["write"][0])
        if feedback.isCanceled():
            raise Canceled()
        table = analysis.wells_table()  # every field of the three steps, for every well
        outputs = self._write_outputs(parameters, context, feedback, source, id_field, inputs, analysis, table)
        self.close_sinks()  # the report and the post-processing step read the files
        outputs.update(self._write_report(parameters, context, feedback, inputs, analysis, table, ex_config, t0))
        self._tables = None  # the report's rows go with the run
        outputs["MODEL_FOLDER"] = self.parameterAsString(parameters, "MODEL_FOLDER", context)
        counts = table["dyn_type"].value_counts()
        feedback.pushInfo("Dynamics types: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
        feedback.pushInfo(f"Analysis of {len(table)} wells done in {time.perf_counter() - t0:.0f} s.")
        self._results, self._id_field = outputs, id_field
        return outputs

    def _write_outputs(self, parameters, context, feedback, source, id_field, inputs, analysis, table):
        """The model folder, the wells layer and the tables (staged: complete or not at all)."""
        from ..core.model import store

        run, explanation = analysis.run, analysis.explanation
        folder = self.parameterAsString(parameters, "MODEL_FOLDER", context)
        store.save_network(self.stage_output(folder, folder=True), run.result, inputs["roles"], inputs["config"],
                           made_by=dependencies.made_by())
        outputs = {"TRAINED": len(run.result.trained)}
        layout = WellsLayout(source.fields(), table, log=feedback.pushInfo)
        sink, outputs["OUTPUT"] = self.create_sink(parameters, "OUTPUT", context, layout.fields, source.wkbType(),
                                                   source.sourceCrs())
        if not write_wells(source, id_field, table, sink, layout, feedback):
            raise Canceled()
        outputs.update(self._tables.finish())
        for key, frame in (("ATTRIBUTION", explanation.attribution), ("PERIODS_OUTPUT", analysis.calendar)):
            if frame is None or (key == "PERIODS_OUTPUT" and not parameters.get(key)):
                outputs[key] = None
                continue
            f = fields_for(frame)
            sink, outputs[key] = self.create_sink(parameters, key, context, f)
            if not write_frame(frame, sink, f, feedback):
                raise Canceled()
        return outputs

    def _write_report(self, parameters, context, feedback, inputs, analysis, table, ex_config, t0):
        """The map image and the HTML report."""
        from ..core.model import store
        from ..core.outputs import report
        from .map_image import frame_layer
        from .well_report import map_png_of

        feedback.setProgressText("Writing the report")
        config, explanation = inputs["config"], analysis.explanation
        geo = inputs["wells"][["well_id", "lon", "lat"]].merge(table, on="well_id", how="left")
        map_png = map_png_of(frame_layer(geo, "EPSG:4326", x="lon", y="lat"), feedback)
        map_path = self.parameterAsFileOutput(parameters, "MAP_IMAGE", context) if parameters.get("MAP_IMAGE") else None
        if map_path and map_png:
            with open(self.stage_output(map_path), "wb") as fh:
                fh.write(map_png)
        report_path = self.parameterAsFileOutput(parameters, "REPORT", context)
        run_info = {
            "inputs": {k: str(parameters.get(k)) for k in ("WELLS", "LEVELS", "FORCING")},
            "roles": inputs["roles"].columns(), "parameters": {**config.to_dict(), **ex_config.to_dict()},
            "seeds": {"training": [config.seed + k for k in range(config.ensemble)], "explanation": ex_config.seed},
            "versions": store.package_versions(**dependencies.made_by()),
            "model folder": self.parameterAsString(parameters, "MODEL_FOLDER", context),
            "time_taken_s": round(time.perf_counter() - t0, 1),
        }
        rp, rc = core_callbacks(feedback, *STEPS["report"])
        report.write_report(self.stage_output(report_path), table, self._tables.drawn("simulation"),
                            explanation.attribution, analysis.calendar, self._tables.drawn("lags"),
                            run_info=run_info, map_png=map_png,
                            skipped=analysis.run.skipped, title="Groundwater LSTM analysis", progress=rp,
                            is_canceled=rc)
        return {"MAP_IMAGE": map_path if map_png else None, "REPORT": report_path}

    def postProcessAlgorithm(self, context, feedback):  # noqa: N802
        # Headless runs load nothing, so the style goes into the output file itself (main thread, file closed).
        from . import styling
        from .run_record import gpkg_of, write_run_record

        outputs = getattr(self, "_results", None) or {}
        dest = outputs.get("OUTPUT")
        if dest:
            # Here, not in execute: the dialog runs execute in a worker thread, and a post-processor made there
            # crashed QGIS when the dialog loaded the results (seen on 3.22 in the real window, tests/desktop).
            styling.attach_post_processor(context, dest)
            try:
                styling.apply_and_persist(dest, feedback, context)
            except Exception as exc:  # the data are written; a style problem must not hide them
                feedback.pushWarning(f"The wells could not be styled: {exc}")
            gpkg = gpkg_of(dest)
            if gpkg:
                record = {"model_folder": outputs.get("MODEL_FOLDER"), "simulation": outputs.get("SIMULATION"),
                          "attribution": outputs.get("ATTRIBUTION"), "periods": outputs.get("PERIODS_OUTPUT"),
                          "wells": dest.split("layername=")[-1] if "layername=" in dest else None,
                          "well_id_field": getattr(self, "_id_field", None)}
                err = write_run_record(gpkg, record)
                if err:
                    feedback.pushWarning(f"The run record for the well inspector could not be written: {err}")
        return outputs


class AnalysisTables:
    """SIMULATION and LAGS written a well at a time as the wells end; only the wells the report draws (the first
    ``report.MAX_WELL_FIGURES``) keep their rows for it, so a network of thousands is never held at once."""

    def __init__(self, alg, parameters, context, feedback):
        from ..core.outputs.report import MAX_WELL_FIGURES

        self.simulation = StreamedTable(alg, parameters, "SIMULATION", context, feedback)
        self.lags = StreamedTable(alg, parameters, "LAGS", context, feedback) if parameters.get("LAGS") else None
        self.limit = MAX_WELL_FIGURES
        self._kept = {"simulation": {}, "lags": {}}

    def simulated(self, well_id, frame):
        self.simulation.write(frame)
        if len(self._kept["simulation"]) < self.limit:
            self._kept["simulation"][well_id] = frame

    def explained(self, well_id, explanation):
        if self.lags is not None:
            self.lags.write(explanation.lags)
        if well_id in self._kept["simulation"]:
            self._kept["lags"][well_id] = explanation.lags

    def drawn(self, what):
        """The kept rows of ``what`` ('simulation' or 'lags') for the report (lags: None when there are none)."""
        import pandas as pd

        from ..core.model.training import SIMULATION_COLUMNS

        frames = list(self._kept[what].values())
        if frames:
            return pd.concat(frames, ignore_index=True)
        return pd.DataFrame(columns=SIMULATION_COLUMNS) if what == "simulation" else None

    def finish(self):
        import pandas as pd

        from ..core.explanation.config import LAG_COLUMNS
        from ..core.model.training import SIMULATION_COLUMNS

        return {"SIMULATION": self.simulation.finish(pd.DataFrame(columns=SIMULATION_COLUMNS)),
                "LAGS": None if self.lags is None else self.lags.finish(pd.DataFrame(columns=LAG_COLUMNS))}
