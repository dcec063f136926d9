"""groundwaterlstm:simulatelevels — trained well models on new forcing (scenarios, forecasts)."""
import pandas as pd
from qgis.core import (
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
)

from . import compat
from . import params
from .algorithm import GroundwaterAlgorithm, core_callbacks
from .qgis_io import StreamedTable, require_fields, source_to_frame
from .terms import core_log


class SimulateLevels(GroundwaterAlgorithm):
    NAME = "simulatelevels"
    DISPLAY = "Simulate levels with trained models"
    GROUP = "train"
    REQUIRES = ("numpy", "pandas", "torch")
    HELP = (
        "Runs the models of a model folder (from Train well models) on forcing: new years, a climate or pumping "
        "scenario, a forecast. Every day that the forcing covers after the warm-up (the look-back of training) "
        "gets a simulated level, past the last observation too.\n\n" + params.FORCING_HELP + " The drivers "
        "must be the ones the models were trained with (the column names may differ); a mismatch is refused "
        "with the difference named.\n\nOptional levels (long table) fill the observed column for comparison; "
        "without them, or past the last reading, observed is empty.\n\nOutput: the simulation table (well_id, "
        "date, observed, simulated, lower, upper: the spread of the ensemble members, their 5 and 95 % "
        "quantiles, split, period)."
    )
    MODEL_FOLDER = "MODEL_FOLDER"
    SIMULATION = "SIMULATION"

    def initAlgorithm(self, config=None):  # noqa: N802
        params.add_wells(self)
        self.addParameter(QgsProcessingParameterFile(
            self.MODEL_FOLDER, self.tr("Model folder (from Train well models)"),
            compat.FILE_FOLDER))
        params.add_forcing(self)
        self.addParameter(QgsProcessingParameterFeatureSource(
            "LEVELS", self.tr("Observed levels for comparison (optional)"), [compat.SOURCE_ANY_VECTOR],
            optional=True))
        for name, label, default in (("LEVEL_ID_FIELD", "Levels: well ID field", "well_id"),
                                     ("LEVEL_DATE_FIELD", "Levels: date field", "date"),
                                     ("LEVEL_FIELD", "Levels: level field (m)", "level")):
            self.addParameter(QgsProcessingParameterField(name, self.tr(label), default, "LEVELS", optional=True))
        params.add_cluster(self)
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.SIMULATION, self.tr("Simulated levels"), compat.SOURCE_ANY_VECTOR))

    def execute(self, parameters, context, feedback):
        from ..core.model.training import SIMULATION_COLUMNS

        simulation = StreamedTable(self, parameters, self.SIMULATION, context, feedback)  # written as wells end
        with params.cluster(self, parameters, context, feedback) as executor:
            skipped = self.simulate(parameters, context, feedback, executor, simulation)
        dest = simulation.finish(pd.DataFrame(columns=SIMULATION_COLUMNS))
        feedback.pushInfo(f"Simulated {simulation.wells} wells, {simulation.rows} days in all; {len(skipped)} skipped.")
        return {self.SIMULATION: dest}

    def simulate(self, parameters, context, feedback, executor, simulation):
        from ..core import pipeline

        _source, _id, wells = params.read_wells(self, parameters, context, feedback)
        forcing, roles, f_id, f_date = params.read_forcing(self, parameters, context, feedback)
        levels, level_fields = None, ("well_id", "date", "level")
        if parameters.get("LEVELS"):
            lv = self.parameterAsSource(parameters, "LEVELS", context)
            if lv is not None:
                level_fields = tuple((compat.parameter_as_fields(self, parameters, k, context) or [d])[0] for k, d in
                                     (("LEVEL_ID_FIELD", "well_id"), ("LEVEL_DATE_FIELD", "date"),
                                      ("LEVEL_FIELD", "level")))
                require_fields(lv, level_fields, "Levels")
                levels = source_to_frame(lv, list(dict.fromkeys(level_fields)), feedback)
        folder = self.parameterAsFile(parameters, self.MODEL_FOLDER, context)
        progress, is_canceled = core_callbacks(feedback, 0, 100)
        _empty, skipped = pipeline.simulate(
            folder, wells, forcing, roles, levels=levels, level_fields=level_fields, forcing_id_col=f_id,
            forcing_date_col=f_date, executor=executor, log=core_log(feedback), progress=progress,
            is_canceled=is_canceled, nodata=params.read_nodata(self, parameters, context),
            on_simulation=lambda _well, frame: simulation.write(frame))
        return skipped
