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

from ..core import dependencies
from ..core.errors import Canceled, GroundwaterError
from . import compat, preflight
from .provider import ICON
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
        problem = self.dependency_problem() or preflight.problem(self, parameters, context)
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
            raise QgsProcessingException(str(exc)) from None
        except Exception:
            self._discard_outputs()
            raise

    def execute(self, parameters, context, feedback):
        raise NotImplementedError

    # -- outputs written completely or not at all -------------------------------------------------------------
    def create_sink(self, parameters, name, context, fields, wkb=compat.WKB_NO_GEOMETRY, crs=None):
        """parameterAsSink into a staged copy of the output's file (it moves into place when the run succeeds)."""
        dest = self.parameterAsOutputLayer(parameters, name, context)
        path = preflight.file_of(dest)
        if path:
            value = parameters.get(name)
            definition = QgsProcessingOutputLayerDefinition(value) if isinstance(
                value, QgsProcessingOutputLayerDefinition) else QgsProcessingOutputLayerDefinition(dest)
            definition.sink = QgsProperty.fromValue(dest.replace(path, self._staged.stage(path)))
            parameters = {**parameters, name: definition}
        sink, dest = self.parameterAsSink(parameters, name, context, fields, wkb,
                                          crs or QgsCoordinateReferenceSystem())
        if sink is None:
            raise QgsProcessingException(f"Could not create the output '{name}'. Fix: choose a writable path.")
        self._sinks.append(sink)
        return sink, dest

    def stage_output(self, path, folder=False):
        """Where to write the file (or folder) ``path``: a temporary sibling, moved into place on success."""
        return self._staged.stage(path, folder=folder) if path else path

    def close_sinks(self):
        """Close the writers of every sink made so far (before their files are read back)."""
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
