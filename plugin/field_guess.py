"""Field parameters that pick the matching field by name when the user chooses a table in the dialog.

QGIS's own field widget keeps a field only when the new table has the parameter's default name ('level');
a table with 'head' or 'gwl' leaves it empty and the user sets ten fields by hand. This wrapper is QGIS's own
widget (the registry's, so the dialog, the batch dialog and the Model Designer look and behave as usual) plus
one rule in the algorithm dialog: after the parent table changes, an empty field takes the field whose name
says what it holds (core/inputs/names, the same guess the algorithms make when a field is not given).
Parameters point at it through their ``widget_wrapper`` metadata (processing/params.field_widget).
"""
from qgis.core import QgsProcessingContext, QgsProject
from qgis.gui import QgsFieldComboBox, QgsGui, QgsProcessingGui
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QObject, QTimer

from ..core.inputs.names import guess_column

DIALOG_TYPES = {"AlgorithmDialog": QgsProcessingGui.WidgetType.Standard,
                "BatchAlgorithmDialog": QgsProcessingGui.WidgetType.Batch}


class FieldGuessWrapper:
    """Called by Processing's WidgetWrapperFactory like a wrapper class; returns QGIS's own wrapper."""

    def __new__(cls, param, dialog, row=0, col=0, **_kwargs):
        registry = QgsGui.processingGuiRegistry()
        kind = type(dialog).__name__
        if kind == "ModelerParametersDialog":
            return registry.createModelerParameterWidget(dialog.model, dialog.childId, param, dialog.context)
        dialog_type = DIALOG_TYPES.get(kind, QgsProcessingGui.WidgetType.Standard)
        wrapper = registry.createParameterWidgetWrapper(param, dialog_type)
        if wrapper is None:
            return None
        wrapper.setDialog(dialog)
        if dialog_type == QgsProcessingGui.WidgetType.Standard:
            # The combo box exists once the panel has built the dialog: attach on the next turn of the event loop.
            guess = _NameGuess(wrapper, dialog)
            QTimer.singleShot(0, guess.attach)
        return wrapper


class _NameGuess(QObject):
    """Fills the wrapper's field combo box by name whenever its table changes and the field is empty."""

    def __init__(self, wrapper, dialog):
        super().__init__(wrapper)  # lives and dies with the wrapper
        self.wrapper = wrapper
        self.dialog = dialog
        self.key = _key(wrapper.parameterDefinition().name())
        self.combo = None

    def attach(self):
        combo = self.wrapper.wrappedWidget()
        if combo is None or not combo.inherits("QgsFieldComboBox") or self.key is None:
            return  # a multiple-field panel, or a QGIS whose field widget is something else: QGIS's behaviour
        self.combo = combo = sip.cast(combo, QgsFieldComboBox)  # SIP hands it over as a plain QComboBox
        # QGIS refills the combo (the model resets) and then applies its default: guess after both.
        combo.model().modelReset.connect(lambda: QTimer.singleShot(0, self.fill))
        self.fill()

    def fill(self):
        combo = self.combo
        if combo is None or combo.layer() is None or combo.currentField():
            return
        names = [f.name() for f in combo.layer().fields()]
        taken = [w.parameterValue() for w in _siblings(self.wrapper, self.dialog)]
        name = guess_column(names, self.key, taken=[t for t in taken if isinstance(t, str) and t])
        if name is not None:
            context = QgsProcessingContext()
            context.setProject(QgsProject.instance())
            self.wrapper.setParameterValue(name, context)


def _key(parameter_name):
    from ..processing.params import FIELD_KEYS

    return FIELD_KEYS.get(parameter_name)


def _siblings(wrapper, dialog):
    """The other field wrappers of the same table in the dialog (so two parameters never take one field)."""
    panel = getattr(dialog, "mainWidget", lambda: None)()
    parent = wrapper.parameterDefinition().parentLayerParameterName()
    out = []
    for other in getattr(panel, "wrappers", {}).values():
        definition = other.parameterDefinition()
        if other is not wrapper and definition.type() == "field" and definition.parentLayerParameterName() == parent:
            out.append(other)
    return out
