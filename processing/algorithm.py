"""What every Groundwater LSTM algorithm shares: icon, groups, the dependency check, core callbacks, errors."""
from qgis.core import QgsProcessingAlgorithm, QgsProcessingException
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from ..core import dependencies
from ..core.errors import Canceled, GroundwaterError
from .provider import ICON

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
        problem = self.dependency_problem()
        if problem:
            return False, problem
        return super().checkParameterValues(parameters, context)

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        problem = self.dependency_problem()
        if problem:
            raise QgsProcessingException(problem)
        try:
            return self.run(parameters, context, feedback)
        except Canceled:
            feedback.reportError("Canceled: nothing was written.")
            raise QgsProcessingException("Canceled by the user; no output was written.")
        except GroundwaterError as exc:
            raise QgsProcessingException(str(exc)) from None

    def run(self, parameters, context, feedback):
        raise NotImplementedError


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
