"""The well inspector: a dock panel that shows one analysed well's hydrograph, drivers and metrics.

It only reads what a run wrote (plugin/analysis_output.py); it never trains. A well is chosen from the list
of the layer's wells, with the map tool (click a well on the map), or by selecting a feature of the output
layer anywhere in QGIS (attribute table, select tools): the panel follows the active layer and its selection.
"""
import datetime as _dt
import math

from qgis.core import QgsFeature, QgsProject, QgsVectorLayer
from qgis.gui import QgsDockWidget, QgsMapLayerComboBox, QgsMapToolIdentifyFeature
from qgis.PyQt.QtCore import QSize, Qt
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSplitter,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..processing import compat
from ..processing.compat import QAction
from ..processing.provider import ICON
from ..core.vocabulary import PERIOD_COLOURS, PERIODS, SERIES_COLOURS, SPLIT_COLOURS, SPLIT_LABELS
from . import analysis_output as ao

MENU = "&Groundwater LSTM"

try:  # matplotlib ships with QGIS on Windows/macOS; on Linux it is python3-matplotlib
    try:  # the binding QGIS runs (Qt5 or Qt6; matplotlib 3.5+)
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg as FigureCanvas
    except ImportError:
        from matplotlib.backends.backend_qt5agg import FigureCanvasQTAgg as FigureCanvas
    from matplotlib.figure import Figure
    import matplotlib.dates as mdates
    from matplotlib.patches import Patch

    MATPLOTLIB = ""
except Exception as exc:  # pragma: no cover - depends on the installation
    FigureCanvas = Figure = mdates = Patch = None
    MATPLOTLIB = f"matplotlib does not import ({exc}); plots are not shown"


def _fmt(value, digits=2):
    value = ao.to_python(value)
    if value is None or value == "":
        return "–"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        return f"{value:.{digits}f}"
    return str(value)


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
        row = QHBoxLayout()
        self.layer_combo = QgsMapLayerComboBox(body)
        self.layer_combo.setFilters(compat.FILTER_VECTOR_LAYER)
        self.layer_combo.setAllowEmptyLayer(True)
        self.layer_combo.setToolTip("The wells layer written by 'Analyse wells'")
        self.layer_combo.layerChanged.connect(self._combo_layer_changed)
        row.addWidget(self.layer_combo, 2)
        self.well_combo = QComboBox(body)
        self.well_combo.setObjectName("wellCombo")
        self.well_combo.setToolTip("The analysed wells of the layer")
        self.well_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.well_combo.setMinimumContentsLength(10)
        self.well_combo.currentIndexChanged.connect(self._combo_well_changed)
        row.addWidget(self.well_combo, 2)
        self.pick_button = QToolButton(body)
        self.pick_button.setCheckable(True)
        self.pick_button.setIcon(QIcon(":/images/themes/default/mActionIdentify.svg"))
        self.pick_button.setText("Pick")
        self.pick_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.pick_button.setToolTip("Pick a well on the map")
        self.pick_button.toggled.connect(self._pick_toggled)
        row.addWidget(self.pick_button)
        layout.addLayout(row)

        self.message_label = QLabel(body)
        self.message_label.setObjectName("message")
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout.addWidget(self.message_label)

        self.splitter = QSplitter(Qt.Orientation.Vertical, body)
        if FigureCanvas is not None:
            self.hydrograph_figure = Figure(figsize=(7, 3.2), dpi=90, layout="constrained")
            self.hydrograph_canvas = FigureCanvas(self.hydrograph_figure)
            self.hydrograph_canvas.setMinimumHeight(220)
            self.attribution_figure = Figure(figsize=(7, 2.6), dpi=90, layout="constrained")
            self.attribution_canvas = FigureCanvas(self.attribution_figure)
            self.attribution_canvas.setMinimumHeight(180)
            self.splitter.addWidget(self.hydrograph_canvas)
            self.splitter.addWidget(self.attribution_canvas)
        else:
            self.hydrograph_figure = self.attribution_figure = None
            self.hydrograph_canvas = self.attribution_canvas = None
        self.metrics_view = QTextBrowser(body)
        self.metrics_view.setObjectName("metrics")
        self.metrics_view.setOpenExternalLinks(False)
        self.metrics_view.setMinimumHeight(120)
        self.splitter.addWidget(self.metrics_view)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setStretchFactor(self.splitter.count() - 1, 1)
        self.splitter.setSizes([340, 250, 170][-self.splitter.count():])
        layout.addWidget(self.splitter, 1)
        self.setWidget(body)

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
        self.show_well(self.well_combo.itemData(index))

    # ------------------------------------------------------------------------------------------ showing
    def set_message(self, text):
        self.message_label.setText(text or "")
        self.message_label.setVisible(bool(text))

    def message(self):
        return self.message_label.text()

    def metrics_html(self):
        return self.metrics_view.toHtml()

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
        self.metrics_view.setHtml(f"<p>{_escape(explanation)}</p>" if explanation else "")

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
        self.metrics_view.setHtml(self._metrics(well_id, attrs))
        return True

    # -- hydrograph
    def draw_hydrograph(self, well_id, series, spans, skipped=""):
        fig = self.hydrograph_figure
        fig.clear()
        ax = fig.add_subplot(111)
        ax.set_title(f"Well {well_id}: observed and simulated groundwater level", fontsize=10)
        if not len(series):
            why = skipped or ("no simulation table was recorded by the run" if not self.output.uris.get("simulation")
                              else "the simulation table has no rows for this well")
            ax.text(0.5, 0.5, f"No hydrograph: {why}.", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
            self.hydrograph_canvas.draw()
            return ax
        day = _dt.timedelta(days=1)
        seen = set()
        for period, start, end in spans:
            label = period if period not in seen else None
            seen.add(period)
            ax.axvspan(start, end + day, color=PERIOD_COLOURS.get(period, "#cccccc"), alpha=0.14, lw=0,
                       label=label, zorder=0)
        if series.has_band():
            ax.fill_between(series.dates, series.lower, series.upper, color=SERIES_COLOURS["spread"], alpha=0.28, lw=0,
                            label="ensemble spread", zorder=1)
        ax.plot(series.dates, series.simulated, color=SERIES_COLOURS["simulated"], lw=1.1, label="simulated", zorder=3)
        od, ov = series.observed_points()
        ax.plot(od, ov, ls="none", marker="o", ms=2.2, color=SERIES_COLOURS["observed"], label="observed", zorder=4)
        for i, (split, start, end) in enumerate(ao.runs(series.dates, series.split)):
            ax.axvspan(start, end + day, ymin=0.965, ymax=1.0, color=SPLIT_COLOURS.get(split, "#999999"), lw=0,
                       zorder=5)
            mid = start + (end - start) / 2
            ax.text(mid, 0.93, SPLIT_LABELS.get(split, split), transform=ax.get_xaxis_transform(), ha="center",
                    va="top", fontsize=7, color="#444444", zorder=6)
            if i:
                ax.axvline(start, color="#666666", lw=0.7, ls="--", zorder=2)
        ax.set_ylabel("level (m)")
        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.legend(loc="lower left", fontsize=7, ncol=5, frameon=True, framealpha=0.85, edgecolor="none")
        ax.margins(x=0.01)
        self.hydrograph_canvas.draw()
        return ax

    # -- attribution
    def draw_attribution(self, well_id, rows, skipped=""):
        fig = self.attribution_figure
        fig.clear()
        ax = fig.add_subplot(111)
        ax.set_title(f"Well {well_id}: drivers by freeze-thaw period (expected gradients)", fontsize=10)
        if not rows:
            why = skipped or ("no attribution table was recorded by the run (run 'Explain drivers')"
                              if not self.output.uris.get("attribution")
                              else "the attribution table has no rows for this well")
            ax.text(0.5, 0.5, f"No attribution: {why}.", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
            self.attribution_canvas.draw()
            return ax
        order = [p for p in PERIODS if any(r.period == p for r in rows)]
        order += sorted({r.period for r in rows} - set(order))
        values, signs = {}, {}
        for r in rows:
            share = r.share
            values[(r.period, r.driver)] = share
            signs[(r.period, r.driver)] = r.mean_signed
        # shares missing: normalise mean_abs per period
        for p in order:
            if all(math.isnan(values[(q, d)]) for (q, d) in values if q == p):
                total = sum(r.mean_abs for r in rows if r.period == p and not math.isnan(r.mean_abs))
                for r in rows:
                    if r.period == p and total > 0:
                        values[(p, r.driver)] = r.mean_abs / total
        drivers = sorted({r.driver for r in rows},
                         key=lambda d: -max((values.get((p, d), math.nan) for p in order),
                                            key=lambda v: -math.inf if math.isnan(v) else v))
        width = 0.8 / max(len(order), 1)
        negative = False
        for i, p in enumerate(order):
            xs = [j + (i - (len(order) - 1) / 2) * width for j in range(len(drivers))]
            hs = [values.get((p, d), math.nan) for d in drivers]
            hs = [0.0 if math.isnan(h) else h for h in hs]
            bars = ax.bar(xs, hs, width * 0.95, label=p, color=PERIOD_COLOURS.get(p, "#999999"),
                          edgecolor="white", lw=0.4)
            for bar, d in zip(bars, drivers):
                s = signs.get((p, d), math.nan)
                if not math.isnan(s) and s < 0:
                    bar.set_hatch("///")
                    negative = True
        ax.set_xticks(range(len(drivers)))
        ax.set_xticklabels(drivers, rotation=25, ha="right", fontsize=8)
        ax.set_ylabel("share of |attribution|")
        top = max([v for v in values.values() if not math.isnan(v)] or [1.0])
        ax.set_ylim(0, max(top, 1e-9) * 1.18)
        handles = [Patch(facecolor=PERIOD_COLOURS.get(p, "#999999"), label=p) for p in order]
        if negative:
            handles.append(Patch(facecolor="white", edgecolor="#555555", hatch="///", label="lowers the level"))
        ax.legend(handles=handles, fontsize=7, ncol=len(handles), loc="upper right", frameon=False)
        self.attribution_canvas.draw()
        return ax

    # -- metrics
    def _metrics(self, well_id, attrs):
        if not attrs:
            return f"<p>Well <b>{_escape(well_id)}</b> is not a feature of this layer.</p>"
        left = [("Status", attrs.get("status"), 2), ("Observations", attrs.get("n_obs"), 0)]
        for name, key in (("NSE train", "nse_train"), ("NSE validation", "nse_val"), ("NSE test", "nse_test"),
                          ("KGE test", "kge_test"), ("RMSE test (m)", "rmse_test"), ("Bias test (m)", "bias_test")):
            if key in attrs:
                left.append((name, attrs.get(key), 3))
        right = []
        if "dyn_type" in attrs:
            right += [("Dynamics type", attrs.get("dyn_type"), 2), ("Type confidence", attrs.get("dyn_conf"), 2)]
        for name, key in (("Dominant driver", "dom_drv"), ("… freezing", "dom_frz"), ("… thawing", "dom_thw"),
                          ("… unfrozen", "dom_unf"), ("Attribution quality", "eg_qual")):
            if key in attrs:
                right.append((name, attrs.get(key), 2))
        cells = []
        for i in range(max(len(left), len(right))):
            tds = []
            for col in (left, right):
                if i < len(col):
                    name, value, digits = col[i]
                    tds.append(f"<td>{_escape(name)}</td><td><b>{_escape(_fmt(value, digits))}</b></td>")
                else:
                    tds.append("<td></td><td></td>")
            cells.append(f"<tr>{tds[0]}<td width='18'></td>{tds[1]}</tr>")
        shares = [(k[3:], ao.to_float(v)) for k, v in attrs.items() if k.startswith("sh_")]
        shares = sorted([kv for kv in shares if not math.isnan(kv[1])], key=lambda kv: -kv[1])
        html = [f"<div style='font-size:9pt'><b>Well {_escape(well_id)}</b>",
                "<table cellspacing='0' cellpadding='1'>", *cells, "</table>"]
        if shares:
            html.append("Driver shares: " + ", ".join(f"{_escape(d)} {_fmt(v, 2)}" for d, v in shares))
        html.append("</div>")
        return "".join(html)

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
            self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.show()
        self.dock.raise_()
        if self.action is not None and not self.action.isChecked():
            self.action.setChecked(True)
        return self.dock

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
