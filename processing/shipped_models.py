"""Graphical models (.model3) shipped with the plugin, offered as algorithms of the ``groundwaterlstm`` provider.

Each model is a file in ``processing/models/`` (built by ``scripts/build_model.py``; open it in the Model
Designer to read or adapt it). Here it becomes a QgsProcessingModelAlgorithm subclass with a stable lowercase
id (``name()``, never derived from the model's title), the plugin's group and icon.

The models reference their child algorithms by id only (``groundwaterlstm:trainwells`` ...), so loading one
imports nothing heavy: the provider loads when torch is missing, and the children say what to install.

QGIS resolves a model's children through the processing registry, which does not hold this provider yet
while the provider loads its algorithms (``QgsProcessingRegistry.addProvider`` calls ``load()`` first and
registers the provider afterwards). So the registered instances are re-read once the provider is registered
(``providerAdded``); every instance that runs is a fresh ``createInstance()`` copy, read when the registry
holds the provider, so running never depends on that hook.
"""
from pathlib import Path

from qgis.core import QgsApplication, QgsProcessingModelAlgorithm
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from . import compat
from .algorithm import GROUPS
from .provider import ICON

MODELS_DIR = Path(__file__).resolve().parent / "models"


class ShippedModel(QgsProcessingModelAlgorithm):
    """A .model3 from ``processing/models`` with a fixed id. Subclasses set FILE, NAME (stable lowercase id),
    DISPLAY and GROUP (a key of processing.algorithm.GROUPS)."""

    FILE = ""
    NAME = ""
    DISPLAY = ""
    GROUP = "report"

    def __init__(self, definition=None):
        super().__init__()
        self.path = str(MODELS_DIR / self.FILE)
        if definition is not None:  # a copy of a loaded model (createInstance), as QGIS copies its own models
            self.loaded = bool(self.loadVariant(definition))
        else:
            self.loaded = bool(self.fromFile(self.path))
        self.setSourceFilePath(self.path)

    # -- identity: fixed here, never taken from the title inside the file -------------------------------------
    def name(self):
        return self.NAME

    def displayName(self):  # noqa: N802
        return QCoreApplication.translate("GroundwaterLstm", self.DISPLAY)

    def group(self):
        return QCoreApplication.translate("GroundwaterLstm", GROUPS[self.GROUP])

    def groupId(self):  # noqa: N802
        return self.GROUP

    def icon(self):
        return QIcon(ICON)

    def svgIconPath(self):  # noqa: N802
        return ICON

    def createInstance(self):  # noqa: N802
        # Processing runs copies (createAlgorithmById -> create -> createInstance): keep the subclass, so that
        # the copy keeps the id; its children are resolved now that the registry holds the provider.
        return type(self)(self.toVariant())

    # -- children -------------------------------------------------------------------------------------------
    def unresolved_children(self):
        """Ids of child algorithms the registry could not give (their provider was not registered yet)."""
        return [cid for cid in self.childAlgorithms() if self.childAlgorithm(cid).algorithm() is None]

    def resolve_children(self):
        """Re-read the model when some children are unresolved; True when every child is resolved now."""
        if self.unresolved_children():
            self.loadVariant(self.toVariant())
        return not self.unresolved_children()

    def checkParameterValues(self, parameters, context):  # noqa: N802
        # Refuse before the first step runs when a step lacks a package (torch, captum, scikit-learn): the
        # children say exactly what to install. A model on its own would run freezethaw and fail in training.
        missing = self.unresolved_children()
        if missing:
            return False, ("This model needs the algorithms " + ", ".join(
                self.childAlgorithm(c).algorithmId() for c in missing) + ", which are not available. Fix: enable "
                "the Groundwater LSTM plugin (Plugins \u203a Manage and Install Plugins).")
        for cid in self.childAlgorithms():
            child = self.childAlgorithm(cid).algorithm()
            check = getattr(child, "dependency_problem", None)
            problem = check() if callable(check) else ""
            if problem:
                return False, problem
        return super().checkParameterValues(parameters, context)


class DynamicsWorkflow(ShippedModel):
    FILE = "groundwater_dynamics.model3"
    NAME = "dynamicsworkflow"
    DISPLAY = "Groundwater dynamics workflow"
    GROUP = "report"


MODEL_CLASSES = (DynamicsWorkflow,)


def shipped_models():
    """One instance of every shipped model whose file loads (a broken file is left out, never fatal)."""
    _watch_registry()
    models = []
    for cls in MODEL_CLASSES:
        model = cls()
        if model.loaded:
            models.append(model)
        else:
            from qgis.core import QgsMessageLog

            QgsMessageLog.logMessage(f"Could not read the shipped model {model.path}", "Groundwater LSTM",
                                     compat.MESSAGE_WARNING)
    return models


_WATCHING = []


def _on_provider_added(provider_id):
    provider = QgsApplication.processingRegistry().providerById(provider_id)
    if provider is None:
        return
    for alg in provider.algorithms():
        if isinstance(alg, ShippedModel):
            alg.resolve_children()


def _watch_registry():
    """Connect once: re-read shipped models when their provider has been registered (see the module doc)."""
    if not _WATCHING:
        QgsApplication.processingRegistry().providerAdded.connect(_on_provider_added)
        _WATCHING.append(True)
