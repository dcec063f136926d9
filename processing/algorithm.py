"""What every Groundwater LSTM algorithm shares: icon, groups, the dependency check, core callbacks, errors,
and sinks that are removed again when a run is cancelled or fails (outputs complete or not at all)."""
import os
import re
import shutil

from qgis.core import QgsCoordinateReferenceSystem, QgsProcessingAlgorithm, QgsProcessingException
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from ..core import dependencies
from ..core.errors import Canceled, GroundwaterError
from . import compat
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
        self._new_files = []
        self._sinks = []
        try:
            result = self.execute(parameters, context, feedback)
            if feedback.isCanceled():
                raise Canceled()
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
        """parameterAsSink that remembers a file it creates, so that a cancel or failure removes it again."""
        path = _file_of(self.parameterAsOutputLayer(parameters, name, context))
        if path and not os.path.exists(path):
            self._new_files.append(path)
        sink, dest = self.parameterAsSink(parameters, name, context, fields, wkb,
                                          crs or QgsCoordinateReferenceSystem())
        if sink is None:
            raise QgsProcessingException(f"Could not create the output '{name}'. Fix: choose a writable path.")
        self._sinks.append(sink)
        return sink, dest

    def new_output(self, path):
        """Remember a file or folder this run is about to create (removed again on cancel or failure)."""
        if path and not os.path.exists(path):
            self._new_files.append(path)

    def close_sinks(self):
        """Close the writers of every sink made so far (before their files are read back)."""
        self._sinks.clear()

    def _discard_outputs(self):
        self.close_sinks()  # before their files are removed
        for path in getattr(self, "_new_files", []):
            try:
                if os.path.isdir(path):
                    shutil.rmtree(path)
                elif os.path.exists(path):
                    os.remove(path)
                    for ext in (".shx", ".dbf", ".prj", ".cpg", ".qml", "-wal", "-shm"):
                        base = os.path.splitext(path)[0] if ext.startswith(".") else path
                        if os.path.exists(base + ext):
                            os.remove(base + ext)
            except OSError:
                pass



def _file_of(destination):
    """The file behind an output destination ('memory:' and database URIs without a file give None)."""
    if not destination or destination.startswith("memory:"):
        return None
    m = re.match(r"^ogr:dbname='([^']+)'", destination)
    if m:
        return m.group(1)
    if ":" in destination.split("/")[0] and not os.path.isabs(destination):
        return None  # postgres:, spatialite: ...
    return destination.split("|")[0]


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
