"""The well inspector: a dock panel that shows one analysed well's hydrograph, drivers and metrics.

It only reads what a run wrote (plugin/analysis_output.py); it never trains. A well is chosen from the list
of the layer's wells, with the map tool (click a well on the map), or by selecting a feature of the output
layer anywhere in QGIS (attribute table, select tools): the panel follows the active layer and its selection.
"""
from qgis.core import QgsFeature, QgsProject, QgsVectorLayer
from qgis.gui import QgsDockWidget, QgsMapLayerComboBox, QgsMapToolIdentifyFeature
from qgis.PyQt.QtCore import QSize, Qt
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..processing import compat
from ..processing.compat import QAction
from ..processing.provider import ICON
from . import analysis_output as ao

MENU = "&Groundwater LSTM"
# Below these sizes a hydrograph can't be read: the panel scrolls instead of squeezing the figures.
MIN_FIGURE_WIDTH = 260
HYDROGRAPH_HEIGHT, ATTRIBUTION_HEIGHT = 300, 260

try:  # matplotlib ships with QGIS on Windows/macOS; on Linux it is python3-matplotlib
    try:  # the binding QGIS runs (Qt5 or Qt6; matplotlib 3.5+)
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg as FigureCanvas
    except ImportError:
        from matplotlib.backends.backend_qt5agg import FigureCanvasQTAgg as FigureCanvas
    from matplotlib.figure import Figure

    from . import inspector_figures as figures

    MATPLOTLIB = ""
except Exception as exc:  # pragma: no cover - depends on the installation
    FigureCanvas = Figure = figures = None
    MATPLOTLIB = f"matplotlib does not import ({exc}); plots are not shown"


def _escape(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class WellPickTool(QgsMapToolIdentifyFeature):
    """Click a well on the map: selects it in the output layer (the panel follows the selection)."""

    def __init__(self, canvas, on_feature):
        super().__init__(canvas)
        self._on_feature = on_feature
        self.featureIdentified[QgsFeature].connect(self._identified)

    def _identified(self, feature):
        self._on_feature(feature)


class WellInspectorDock(QgsDockWidget):
    """The panel. Public API: :meth:`set_layer`, :meth:`show_well`, :attr:`output`, :attr:`well_id`,
    :attr:`hydrograph_figure`, :attr:`attribution_figure`, :meth:`message`, :meth:`metrics_html`."""

    def __init__(self, iface, parent=None):
        super().__init__("Well inspector", parent)
        self.setObjectName("GroundwaterLstmWellInspector")
        self.iface = iface
        self.layer = None
        self.output = None
        self.well_id = None
        self.series = None
        self.attribution_rows = []
        self._updating = False
        self.canvas = iface.mapCanvas() if iface is not None else None
        self.pick_tool = WellPickTool(self.canvas, self._picked) if self.canvas is not None else None
        self._build()
        if iface is not None:
            iface.currentLayerChanged.connect(self._current_layer_changed)
        if self.pick_tool is not None:
            self.pick_tool.deactivated.connect(lambda: self.pick_button.setChecked(False))
        self.visibilityChanged.connect(lambda visible: visible or self.pick_button.setChecked(False))
        active = iface.activeLayer() if iface is not None else None
        self.layer_combo.setLayer(active if isinstance(active, QgsVectorLayer) else None)
        self.set_layer(self.layer_combo.currentLayer())

    # ------------------------------------------------------------------------------------------ widgets
    def _build(self):
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QGridLayout()  # the layer on its own line, so that the well list stays readable in a narrow dock
        self.layer_combo = QgsMapLayerComboBox(body)
        self.layer_combo.setFilters(compat.FILTER_VECTOR_LAYER)
        self.layer_combo.setAllowEmptyLayer(True)
        self.layer_combo.setToolTip("The wells layer written by 'Analyse wells'")
        self.layer_combo.layerChanged.connect(self._combo_layer_changed)
        row.addWidget(self.layer_combo, 0, 0, 1, 2)
        self.well_combo = QComboBox(body)
        self.well_combo.setObjectName("wellCombo")
        self.well_combo.setToolTip("The analysed wells of the layer")
        self.well_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.well_combo.setMinimumContentsLength(10)
        self.well_combo.currentIndexChanged.connect(self._combo_well_changed)
        row.addWidget(self.well_combo, 1, 0)
        self.pick_button = QToolButton(body)
        self.pick_button.setCheckable(True)
        self.pick_button.setIcon(QIcon(":/images/themes/default/mActionIdentify.svg"))
        self.pick_button.setText("Pick")
        self.pick_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.pick_button.setToolTip("Pick a well on the map")
        self.pick_button.toggled.connect(self._pick_toggled)
        row.addWidget(self.pick_button, 1, 1)
        row.setColumnStretch(0, 1)
        layout.addLayout(row)

        self.message_label = QLabel(body)
        self.message_label.setObjectName("message")
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout.addWidget(self.message_label)

        # The figures and the metrics stack in a scroll area: a short or narrow dock scrolls, it never squeezes.
        self.scroll = QScrollArea(body)
        self.scroll.setObjectName("panels")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        panels = QWidget(self.scroll)
        stack = QVBoxLayout(panels)
        stack.setContentsMargins(0, 0, 0, 0)
        self.hydrograph_figure = self.attribution_figure = None
        self.hydrograph_canvas = self.attribution_canvas = None
        if FigureCanvas is not None:
            self.hydrograph_figure, self.hydrograph_canvas = self._figure(panels, HYDROGRAPH_HEIGHT)
            self.attribution_figure, self.attribution_canvas = self._figure(panels, ATTRIBUTION_HEIGHT)
            stack.addWidget(self.hydrograph_canvas, 3)
            stack.addWidget(self.attribution_canvas, 2)
        self.metrics_view = QLabel(panels)
        self.metrics_view.setObjectName("metrics")
        self.metrics_view.setTextFormat(Qt.TextFormat.RichText)
        self.metrics_view.setWordWrap(True)
        self.metrics_view.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.metrics_view.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        stack.addWidget(self.metrics_view)
        stack.addStretch(0)
        self.scroll.setWidget(panels)
        layout.addWidget(self.scroll, 1)
        self.setWidget(body)

    @staticmethod
    def _figure(parent, height):
        fig = Figure(figsize=(6, height / 90), dpi=90, layout="constrained")
        canvas = FigureCanvas(fig)
        canvas.setParent(parent)
        canvas.setMinimumSize(MIN_FIGURE_WIDTH, height)
        canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        canvas.mpl_connect("resize_event", lambda _event: figures.fit(fig))  # before the canvas redraws
        return fig, canvas

    def sizeHint(self):  # noqa: N802
        return QSize(560, 760)

    # ------------------------------------------------------------------------------------------ layer
    def _current_layer_changed(self, layer=None):
        """Follow the active layer of the Layers panel."""
        if isinstance(layer, QgsVectorLayer):  # a raster or mesh becoming active leaves the panel as it is
            self.layer_combo.setLayer(layer)  # -> set_layer

    def _combo_layer_changed(self, layer):
        if not self._updating:
            self.set_layer(layer)

    def set_layer(self, layer):
        """Inspect ``layer``: the wells of an analysis output, or the explanation why it is not one."""
        if self.layer is not None:
            try:
                self.layer.selectionChanged.disconnect(self._selection_changed)
                self.layer.willBeDeleted.disconnect(self._layer_deleted)
            except (TypeError, RuntimeError):
                pass
        self.layer = layer if isinstance(layer, QgsVectorLayer) else None
        self._updating = True
        try:
            if self.layer_combo.currentLayer() is not layer and (layer is None or QgsProject.instance().mapLayer(
                    layer.id()) is not None):
                self.layer_combo.setLayer(layer)
        finally:
            self._updating = False
        self.output, explanation = ao.open_output(layer)
        if self.layer is not None:
            self.layer.selectionChanged.connect(self._selection_changed)
            self.layer.willBeDeleted.connect(self._layer_deleted)
        if self.pick_tool is not None:
            self.pick_tool.setLayer(self.layer if self.output is not None else None)
        self._fill_wells()
        if self.output is None:
            self._clear(explanation)
            return
        self.set_message("; ".join(self.output.notes))
        selected = self.layer.selectedFeatureIds()
        if selected:
            self._show_feature_id(selected[-1])
        elif self.well_combo.count():
            self.show_well(self.well_combo.itemData(0))
        else:
            self._clear(f"'{self.layer.name()}' has no wells.")

    def _layer_deleted(self):
        self.layer = None
        self.set_layer(None)

    def _fill_wells(self):
        self._updating = True
        try:
            self.well_combo.clear()
            if self.output is not None:
                for wid, status in self.output.well_ids():
                    label = wid if not status or status == "ok" else f"{wid}  ({status})"
                    self.well_combo.addItem(label, wid)
        finally:
            self._updating = False

    # ------------------------------------------------------------------------------------------ picking
    def _selection_changed(self, selected, deselected, clear_and_select):
        if self.output is None or self._updating:
            return
        ids = list(selected) or self.layer.selectedFeatureIds()
        if ids:
            self._show_feature_id(ids[-1])

    def _show_feature_id(self, fid):
        feature = self.layer.getFeature(fid)
        if feature.isValid():
            wid = self.output.well_of_feature(feature)
            if wid:
                self.show_well(wid)

    def _picked(self, feature):
        if self.layer is None or self.output is None:
            return
        self.layer.selectByIds([feature.id()])  # -> _selection_changed -> show_well
        if self.well_id != self.output.well_of_feature(feature):
            self.show_well(self.output.well_of_feature(feature))

    def _pick_toggled(self, on):
        if self.canvas is None or self.pick_tool is None:
            return
        if on:
            if self.output is None:
                self.pick_button.setChecked(False)
                return
            self.canvas.setMapTool(self.pick_tool)
        elif self.canvas.mapTool() is self.pick_tool:
            self.canvas.unsetMapTool(self.pick_tool)

    def _combo_well_changed(self, index):
        if self._updating or index < 0:
            return
        well_id = self.well_combo.itemData(index)
        self.show_well(well_id)
        # the map and the attribute table show the well the list shows
        ids = self.output.feature_ids(well_id) if self.output is not None and self.layer is not None else []
        if ids and set(ids) != set(self.layer.selectedFeatureIds()):
            self._updating = True
            try:
                self.layer.selectByIds(ids)
            finally:
                self._updating = False

    # ------------------------------------------------------------------------------------------ showing
    def set_message(self, text):
        self.message_label.setText(text or "")
        self.message_label.setVisible(bool(text))

    def message(self):
        return self.message_label.text()

    def metrics_html(self):
        return self.metrics_view.text()

    def _clear(self, explanation):
        self.well_id = None
        self.series = None
        self.attribution_rows = []
        self.set_message(explanation)
        for fig, canvas in ((self.hydrograph_figure, self.hydrograph_canvas),
                            (self.attribution_figure, self.attribution_canvas)):
            if fig is not None:
                fig.clear()
                canvas.draw()
        self.metrics_view.setText(f"<p>{_escape(explanation)}</p>" if explanation else "")

    def show_well(self, well_id):
        """Draw ``well_id`` of the current output: hydrograph, attribution, metrics. False when impossible."""
        if self.output is None or well_id is None:
            return False
        well_id = ao.well_key(well_id)
        self.well_id = well_id
        self._updating = True
        try:
            i = self.well_combo.findData(well_id)
            if i >= 0:
                self.well_combo.setCurrentIndex(i)
        finally:
            self._updating = False
        self.series = self.output.simulation(well_id)
        self.attribution_rows = self.output.attribution(well_id)
        attrs = self.output.attributes(well_id)
        notes = list(self.output.notes)
        if MATPLOTLIB:
            notes.append(MATPLOTLIB)
        self.set_message("; ".join(dict.fromkeys(notes)))
        status = ao.well_key(attrs.get("status"))
        skipped = f"the run reports '{status}' for this well" if status and status != "ok" else ""
        if self.hydrograph_figure is not None:
            self.draw_hydrograph(well_id, self.series, self.output.period_spans(well_id, self.series), skipped)
            self.draw_attribution(well_id, self.attribution_rows, skipped)
        self.metrics_view.setText(figures.metrics_html(well_id, attrs) if figures else _escape(attrs))
        return True

    # -- figures (inspector_figures draws; the dock says why a panel is empty)
    def draw_hydrograph(self, well_id, series, spans, skipped=""):
        why = skipped or ("no simulation table was recorded by the run" if not self.output.uris.get("simulation")
                          else "the simulation table has no rows for this well")
        ax = figures.draw_hydrograph(self.hydrograph_figure, well_id, series, spans, why)
        self._redraw(self.hydrograph_canvas)
        return ax

    def draw_attribution(self, well_id, rows, skipped=""):
        why = skipped or ("no attribution table was recorded by the run (run 'Explain drivers')"
                          if not self.output.uris.get("attribution") else "the attribution table has no rows for this well")
        ax = figures.draw_attribution(self.attribution_figure, well_id, rows, why)
        self._redraw(self.attribution_canvas)
        return ax

    @staticmethod
    def _redraw(canvas):
        figures.fit(canvas.figure)
        canvas.draw()

    # ------------------------------------------------------------------------------------------ closing
    def cleanup(self):
        """Disconnect from QGIS (the plugin calls this on unload)."""
        if self.iface is not None:
            try:
                self.iface.currentLayerChanged.disconnect(self._current_layer_changed)
            except (TypeError, RuntimeError):
                pass
        if self.layer is not None:
            try:
                self.layer.selectionChanged.disconnect(self._selection_changed)
                self.layer.willBeDeleted.disconnect(self._layer_deleted)
            except (TypeError, RuntimeError):
                pass
            self.layer = None
        if self.canvas is not None and self.pick_tool is not None and self.canvas.mapTool() is self.pick_tool:
            self.canvas.unsetMapTool(self.pick_tool)


class InspectorGui:
    """The plugin's toolbar button and menu entry that open the inspector dock (created on first use)."""

    def __init__(self, iface):
        self.iface = iface
        self.action = None
        self.installer_action = None
        self.dock = None

    def init_gui(self):
        window = self.iface.mainWindow()
        self.action = QAction(QIcon(ICON), "Well inspector", window)
        self.action.setObjectName("gwlstmWellInspector")
        self.action.setCheckable(True)
        self.action.setToolTip("Groundwater LSTM: inspect an analysed well (hydrograph, drivers, type)")
        self.action.toggled.connect(self.toggle)
        self.iface.addToolBarIcon(self.action)
        self.iface.addPluginToMenu(MENU, self.action)
        self.installer_action = QAction("Install Python packages…", window)
        self.installer_action.setObjectName("gwlstmInstaller")
        self.installer_action.triggered.connect(self._open_installer)
        self.iface.addPluginToMenu(MENU, self.installer_action)

    def _open_installer(self):
        from .installer import open_installer

        open_installer(self.iface.mainWindow())

    def open(self):
        if self.dock is None:
            self.dock = WellInspectorDock(self.iface, self.iface.mainWindow())
            self.dock.visibilityChanged.connect(self._visibility)
            self._add_dock(self.dock)
        self.dock.show()
        self.dock.raise_()
        if self.action is not None and not self.action.isChecked():
            self.action.setChecked(True)
        return self.dock

    def _add_dock(self, dock):
        """Into the right dock area, as a tab of the panels already there: stacked below them it would get a
        third of the window's height, too little for its figures."""
        window = self.iface.mainWindow()
        area = Qt.DockWidgetArea.RightDockWidgetArea
        beside = [d.objectName() for d in window.findChildren(QDockWidget) if d is not dock and d.isVisible()
                  and not d.isFloating() and d.objectName() and window.dockWidgetArea(d) == area]
        if beside and hasattr(self.iface, "addTabifiedDockWidget"):
            self.iface.addTabifiedDockWidget(area, dock, beside, True)
        else:
            self.iface.addDockWidget(area, dock)

    def toggle(self, on):
        if on:
            self.open()
        elif self.dock is not None:
            self.dock.hide()

    def _visibility(self, visible):
        if self.action is not None and self.action.isChecked() != visible:
            self.action.blockSignals(True)
            self.action.setChecked(visible)
            self.action.blockSignals(False)

    def unload(self):
        for action in (self.action, self.installer_action):
            if action is not None:
                self.iface.removePluginMenu(MENU, action)
                self.iface.removeToolBarIcon(action)
                action.deleteLater()
        self.action = self.installer_action = None
        if self.dock is not None:
            self.dock.cleanup()
            self.iface.removeDockWidget(self.dock)
            self.dock.setParent(None)
            self.dock.deleteLater()
            self.dock = None
