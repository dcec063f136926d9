"""groundwaterlstm:trainwells — one LSTM per well, scored, written back to the wells, models kept."""
import pandas as pd
from qgis.core import (
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFolderDestination,
)

from ..core.errors import Canceled
from . import compat, dependencies
from . import params
from .algorithm import GroundwaterAlgorithm, core_callbacks
from .qgis_io import StreamedTable, WellsLayout, write_wells
from .terms import core_log

TRAIN_HELP = (
    "Trains one LSTM per well that simulates its daily groundwater level from the drivers, and scores it.\n\n"
    "Levels: a table in long form (well ID, date, level in m). A level is a head: metres above a datum "
    "(sea level or the well's own), positive up; depths below ground must be turned into heads first. Gappy and weekly series are normal: the loss uses "
    "observed days only; targets are never interpolated.\n\n" + params.FORCING_HELP + "\n\n"
    "Each well's observed span is split in time into train / validation (early stopping) / test (70/15/15 %, or "
    "from the dates VAL_START and TEST_START). Scalers are fit on the training part only. An ensemble of "
    "ENSEMBLE members gives the simulated level (mean) and the spread of the members (lower, upper: their 5 "
    "and 95 % quantiles; with 5 members nearly their lowest and highest).\n\n"
    "Outputs: the wells with every input field plus status ('ok' or 'skipped: reason'), n_obs (observed days), "
    "nse_train, nse_val, nse_test (Nash-Sutcliffe efficiency), kge_test (Kling-Gupta efficiency), rmse_test (m), "
    "bias_test (m, simulated minus observed); the simulation table (well_id, date, observed, simulated, lower, "
    "upper, split, period); and the model folder for explanation and for new forcing (Simulate levels).\n\n"
    "BASELINE fits the Pastas model of each well beside it (nse_tfn, kge_tfn, lstm_gain, and a tfn column in the "
    "simulation). TUNE (advanced) first searches each well's lookback, hidden size, dropout, learning rate and "
    "window on its validation part (TUNE_TRIALS trials, the first being the settings given; the test part is "
    "never used) and trains the ensemble with what it chose: the tuned field says what, and the model folder "
    "keeps each well's settings. About 3 times the time (3.15x on the Swiss wells), and it did not gain there.\n\n"
    "A well that cannot be trained is skipped and its status says why; the others go on."
)


def training_inputs(alg, parameters, context, feedback):
    """The training inputs of ``alg`` (trainwells or analysewells): (wells source, id field, the core's
    arguments as a dict: wells, levels, forcing, roles, config and the table layouts)."""
    source, id_field, wells = params.read_wells(alg, parameters, context, feedback)
    levels, level_fields = params.read_levels(alg, parameters, context, feedback)
    forcing, roles, f_id, f_date = params.read_forcing(alg, parameters, context, feedback)
    config = params.train_config(alg, parameters, context)
    feedback.pushInfo(f"Drivers: {', '.join(f'{d} <- {c}' for d, c in roles.columns().items())}; "
                      f"{len(wells)} wells; lookback {config.lookback} d, {config.ensemble} members, "
                      f"seed {config.seed}")
    return source, id_field, dict(wells=wells, levels=levels, forcing=forcing, roles=roles, config=config,
                                  level_fields=level_fields, forcing_id_col=f_id, forcing_date_col=f_date,
                                  nodata=params.read_nodata(alg, parameters, context))


def train_from_parameters(alg, parameters, context, feedback, lo=0.0, hi=100.0, on_simulation=None):
    """Read the training inputs of ``alg`` and train: (wells source, id field, roles, TrainingRun, config).
    ``on_simulation``: see ``core.train``."""
    from ..core import pipeline

    with params.cluster(alg, parameters, context, feedback) as executor:
        source, id_field, inputs = training_inputs(alg, parameters, context, feedback)
        progress, is_canceled = core_callbacks(feedback, lo, hi)
        run = pipeline.train(**inputs, executor=executor, log=core_log(feedback), progress=progress,
                             is_canceled=is_canceled, on_simulation=on_simulation)
    return source, id_field, inputs["roles"], run, inputs["config"]


class TrainWells(GroundwaterAlgorithm):
    NAME = "trainwells"
    DISPLAY = "Train well models (LSTM per well)"
    GROUP = "train"
    HELP = TRAIN_HELP
    REQUIRES = ("numpy", "pandas", "torch")

    OUTPUT = "OUTPUT"
    SIMULATION = "SIMULATION"
    MODEL_FOLDER = "MODEL_FOLDER"

    def initAlgorithm(self, config=None):  # noqa: N802
        params.add_wells(self)
        params.add_levels(self)
        params.add_forcing(self)
        params.add_lstm(self)
        params.add_baseline(self)
        params.add_tune(self)
        params.add_cluster(self)
        self.add_outputs()

    def checkParameterValues(self, parameters, context):  # noqa: N802
        ok, msg = super().checkParameterValues(parameters, context)
        return (ok, msg) if not ok else params.check_lstm(self, parameters, context)

    def add_outputs(self):
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT, self.tr("Wells with scores"), compat.SOURCE_POINT))
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.SIMULATION, self.tr("Simulated levels"), compat.SOURCE_ANY_VECTOR))
        self.addParameter(QgsProcessingParameterFolderDestination(self.MODEL_FOLDER, self.tr("Model folder")))
        self.addOutput(QgsProcessingOutputNumber("TRAINED", self.tr("Wells trained")))

    def write_training(self, parameters, context, feedback, source, id_field, run, roles, config, folder,
                       simulation):
        """The model folder and the wells; ``simulation`` (a StreamedTable) took each well's simulation as it
        ended."""
        from ..core.model import store
        from ..core.model.training import SIMULATION_COLUMNS

        if feedback.isCanceled():
            raise Canceled()
        store.save_network(self.stage_output(folder, folder=True), run.result, roles, config,
                           made_by=dependencies.made_by())
        outputs = {self.MODEL_FOLDER: folder}
        extra = run.wells_fields()
        layout = WellsLayout(source.fields(), extra, log=feedback.pushInfo)
        sink, outputs[self.OUTPUT] = self.create_sink(parameters, self.OUTPUT, context, layout.fields,
                                                      source.wkbType(), source.sourceCrs())
        if not write_wells(source, id_field, extra, sink, layout, feedback):
            raise Canceled()
        outputs[self.SIMULATION] = simulation.finish(pd.DataFrame(columns=SIMULATION_COLUMNS))
        ok = int((extra["status"] == "ok").sum())
        outputs["TRAINED"] = ok
        nse = extra["nse_test"].dropna()
        feedback.pushInfo(
            f"Trained {ok} of {len(extra)} wells; median test NSE {nse.median():.3f}, "
            f"{(nse > 0.7).mean() * 100:.0f} % of trained wells above 0.7" if len(nse) else
            f"Trained {ok} of {len(extra)} wells.")
        return outputs

    def execute(self, parameters, context, feedback):
        simulation = StreamedTable(self, parameters, self.SIMULATION, context, feedback)
        source, id_field, roles, run, config = train_from_parameters(
            self, parameters, context, feedback, 0, 95, on_simulation=lambda _well, frame: simulation.write(frame))
        folder = self.parameterAsString(parameters, self.MODEL_FOLDER, context)
        return self.write_training(parameters, context, feedback, source, id_field, run, roles, config, folder,
                                   simulation)
