"""What every Groundwater LSTM algorithm shares: icon, groups, the dependency check, the check of its outputs
before anything runs (processing/preflight.py), core callbacks, errors, and outputs written completely or not at
all: every file goes to a temporary sibling and moves into place when the run has succeeded
(processing/staging.py), so a cancel or a failure leaves every existing output as it was."""
import gc

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingOutputLayerDefinition,
    QgsProperty,
)
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from . import dependencies
from ..core.errors import Canceled, GroundwaterError, ModelFolderError
from . import compat, preflight
from .provider import ICON
from .terms import in_parameters
from .staging import StagedOutputs

GROUPS = {
    "data": "Sample and input data",
    "train": "Training and simulation",
    "explain": "Explanation and dynamics",
    "report": "Maps and reports",
}


class GroundwaterAlgorithm(QgsProcessingAlgorithm):
    """Base class. Subclasses set NAME (stable lowercase id, never derived from the display name), DISPLAY,
    GROUP (a key of GROUPS), HELP, and REQUIRES (modules that must import before the algorithm may run)."""

    NAME = ""
    DISPLAY = ""
    GROUP = "data"
    HELP = ""
    REQUIRES = ("numpy", "pandas")

    def name(self):
        return self.NAME

    def displayName(self):  # noqa: N802
        return self.tr(self.DISPLAY)

    def group(self):
        return self.tr(GROUPS[self.GROUP])

    def groupId(self):  # noqa: N802
        return self.GROUP

    def shortHelpString(self):  # noqa: N802
        return self.tr(self.HELP)

    def icon(self):
        return QIcon(ICON)

    def svgIconPath(self):  # noqa: N802
        return ICON

    def createInstance(self):  # noqa: N802
        return type(self)()

    def tr(self, text):
        return QCoreApplication.translate("GroundwaterLstm", text)

    # -- dependency check: refuse with the exact fix instead of a traceback ------------------------------------
    def dependency_problem(self):
        return dependencies.message(dependencies.missing(self.REQUIRES))

    def checkParameterValues(self, parameters, context):  # noqa: N802
        problem = self.dependency_problem() or number_problem(self, parameters) or \
            preflight.problem(self, parameters, context)
        if problem:
            return False, problem
        return super().checkParameterValues(parameters, context)

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        # checked again here: a graphical model runs its steps without calling their checkParameterValues
        problem = self.dependency_problem() or preflight.problem(self, parameters, context)
        if problem:
            raise QgsProcessingException(problem)
        self._staged = StagedOutputs()
        self._sinks = []
        self._streams = []  # StreamedTables (qgis_io): they hold their sink until finished
        self._writing = ""  # the output being written, named when writing it fails
        try:
            result = self.execute(parameters, context, feedback)
            if feedback.isCanceled():
                raise Canceled()
            self._commit_outputs(result, context)
            return result
        except Canceled:
            self._discard_outputs()
            feedback.reportError("Canceled: no output was written.")
            raise QgsProcessingException("Canceled by the user; no output was written.")
        except GroundwaterError as exc:
            self._discard_outputs()
            message = in_parameters(str(exc))
            # the core speaks of the model folder, the user chose it as MODEL_FOLDER
            prefix = "MODEL_FOLDER: " if isinstance(exc, ModelFolderError) and "MODEL_FOLDER" not in message else ""
            raise QgsProcessingException(prefix + message) from None
        except QgsProcessingException as exc:
            message = self._failed(str(exc))
            self._discard_outputs()
            raise QgsProcessingException(message) from None
        except Exception:
            self._discard_outputs()
            raise

    def _failed(self, message):
        """A failure's message in the user's paths (not the staged copies'), saying what became of the outputs."""
        message = self._staged.real_of(message)
        if self._writing and not message.startswith(self._writing):
            message = f"{self._writing}: {message}"
        if self._staged.staged and "kept as they were" not in message:  # it failed while writing
            message += " No output was written; the earlier ones are kept as they were."
            if "Fix:" not in message:
                message += " Fix: check that the output paths can be written (free space, file name length)."
        return message

    def execute(self, parameters, context, feedback):
        raise NotImplementedError

    # -- outputs written completely or not at all -------------------------------------------------------------
    def create_sink(self, parameters, name, context, fields, wkb=compat.WKB_NO_GEOMETRY, crs=None):
        """parameterAsSink into a staged copy of the output's file (it moves into place when the run succeeds)."""
        self._writing = name
        dest = self.parameterAsOutputLayer(parameters, name, context)
        path = preflight.file_of(dest)
        if path:
            value = parameters.get(name)
            definition = QgsProcessingOutputLayerDefinition(value) if isinstance(
                value, QgsProcessingOutputLayerDefinition) else QgsProcessingOutputLayerDefinition(dest)
            definition.sink = QgsProperty.fromValue(dest.replace(path, self._staged.stage(path)))
            parameters = {**parameters, name: definition}
        try:
            sink, dest = self.parameterAsSink(parameters, name, context, fields, wkb,
                                              crs or QgsCoordinateReferenceSystem())
        except QgsProcessingException as exc:  # OGR's words name the staged copy: say it with the user's path
            sink, reason = None, self._staged.real_of(str(exc))
        else:
            reason = ""
        if sink is None:
            raise QgsProcessingException(
                f"{name}: the output could not be created{' (' + reason + ')' if reason else ''}; no output was "
                "written and the earlier ones are kept as they were. Fix: choose another file name or folder for "
                f"{name}.")
        self._sinks.append(sink)
        return sink, dest

    def stage_output(self, path, folder=False):
        """Where to write the file (or folder) ``path``: a temporary sibling, moved into place on success."""
        return self._staged.stage(path, folder=folder) if path else path

    def close_sinks(self):
        """Close the writers of every sink made so far (before their files are read back, or removed after a
        cancel: a writer still open there would keep a half-written file on Windows)."""
        for table in getattr(self, "_streams", ()):
            table.sink = None
        if hasattr(self, "_streams"):
            self._streams.clear()  # no cycle left between the algorithm and its tables (nor its context)
        self._sinks.clear()
        gc.collect()  # a sink's file is complete only once its writer is gone

    def _commit_outputs(self, result, context):
        self.close_sinks()
        try:
            self._staged.commit()
        except OSError as exc:
            raise QgsProcessingException(f"The outputs could not be moved into place ({exc}); the earlier ones are "
                                         "kept as they were. Fix: check the output folders' free space and "
                                         "permissions.") from None
        real = self._staged.real_of
        for key, value in list((result or {}).items()):  # in place: postProcessAlgorithm reads the same dict
            result[key] = real(value)
        layers = context.layersToLoadOnCompletion()
        if any(real(k) != k for k in layers):  # QGIS loads the outputs by these ids once the run is over
            context.setLayersToLoadOnCompletion({real(k): v for k, v in layers.items()})

    def _discard_outputs(self):
        self.close_sinks()  # before their files are removed
        staged = getattr(self, "_staged", None)
        if staged is not None:
            staged.discard()


def _number_text(v):
    return f"{v:g}" if isinstance(v, float) else str(v)


def number_problem(alg, parameters):
    """A number parameter given as text that is no number, a fraction for a whole number, or out of its range:
    said with the parameter, the value and the range (QGIS's own check says only "Incorrect parameter value")."""
    for d in alg.parameterDefinitions():
        if d.type() != "number" or d.name() not in parameters:
            continue
        value = parameters[d.name()]
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if not isinstance(value, (int, float, str)) or isinstance(value, bool):
            continue  # an expression or a model's value: QGIS evaluates it
        try:
            number = float(value)
        except ValueError:
            return f"{d.name()}: '{value}' is not a number. Fix: give {d.name()} as a number{_range(d)}."
        whole = d.dataType() == compat.NUMBER_INTEGER
        if whole and not number.is_integer():
            return (f"{d.name()}: {_number_text(number)} is not a whole number. Fix: give a whole number"
                    f"{_range(d)}.")
        low, high = d.minimum(), d.maximum()
        if number < low or number > high:
            return f"{d.name()}: {_number_text(number)} is out of range. Fix: give a value{_range(d)}."
    return ""


def _range(d):
    """' of at least 1', ' from 0 to 1' or '' for a number parameter's limits."""
    limit = 1e300  # QGIS's "no limit" is the largest double
    low, high = d.minimum(), d.maximum()
    text, top = _number_text(float(low)), _number_text(float(high))  # 1.0 -> '1', 1e-06 -> '1e-06'
    if low > -limit and high < limit:
        return f" from {text} to {top}"
    if low > -limit:
        return f" of at least {text}"
    if high < limit:
        return f" of at most {top}"
    return ""


def core_callbacks(feedback, start=0.0, end=100.0):
    """progress(fraction, message) and is_canceled() for core calls, mapped onto [start, end] percent."""

    last = {"msg": None}

    def progress(fraction, message=None):
        feedback.setProgress(start + (end - start) * max(0.0, min(1.0, float(fraction))))
        if message and message != last["msg"]:
            feedback.setProgressText(message)
            last["msg"] = message

    def is_canceled():
        return feedback.isCanceled()

    return progress, is_canceled
