"""Runs inside the real QGIS main window (``qgis --code desktop_session.py`` under Xvfb), as a user would click.

Driven by tests/desktop/test_desktop.py, which reads what this writes: one JSON file of measurements (sizes in
pixels, overlaps, what was loaded and how it was styled) and the screenshots (Qt's own grabWindow). Each step
records its figures or its traceback; a watchdog ends QGIS if a step hangs. Nothing here asserts: the test does,
with messages a person can act on.

Environment: GWLSTM_DESKTOP_OUT (results.json and the screenshots), GWLSTM_DESKTOP_WORK (data and outputs),
GWLSTM_ROOT (the repository, for tests/helpers).
"""
import faulthandler
import json
import os
import sys
import time
import traceback
from pathlib import Path

from qgis.core import Qgis, QgsApplication, QgsProject, QgsVectorLayer
from qgis.PyQt.QtCore import QTimer, Qt
from qgis.PyQt.QtGui import QTextDocument
from qgis.PyQt.QtWidgets import QApplication, QPushButton, QTextEdit, QToolBar
from qgis.utils import iface, plugins

from groundwater_lstm.processing.compat import QAction  # QtWidgets in Qt5, QtGui in Qt6

OUT = Path(os.environ["GWLSTM_DESKTOP_OUT"])
WORK = Path(os.environ["GWLSTM_DESKTOP_WORK"])
ROOT = Path(os.environ["GWLSTM_ROOT"])
sys.path.insert(0, str(ROOT / "tests" / "helpers"))
from figure_geometry import measure  # noqa: E402

PLUGIN = "groundwater_lstm"
TINY = {"LOOKBACK": 60, "HIDDEN": 8, "EPOCHS": 3, "ENSEMBLE": 1, "SEED": 3, "N_SAMPLES": 16, "DAYS_PER_PERIOD": 8}
WIDTHS = (320, 480)
FLOATING = (1000, 820)
RESULTS = {"qgis": Qgis.QGIS_VERSION, "steps": {}}


def settle(seconds=0.3):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.02)


def shot(name, widget=None):
    """A screenshot: the whole screen (grabWindow) or one widget, under OUT."""
    path = OUT / f"{name}.png"
    pixmap = widget.grab() if widget is not None else QApplication.primaryScreen().grabWindow(0)
    pixmap.save(str(path))
    return path.name


def wait_for(condition, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        QApplication.processEvents()
        if condition():
            return True
        time.sleep(0.05)
    return False


# ---------------------------------------------------------------------------------------------- steps
def step_plugin():
    window = iface.mainWindow()
    window.setGeometry(0, 0, 1600, 1000)
    settle(1)
    action = next((a for a in window.findChildren(QAction) if a.objectName() == "gwlstmWellInspector"), None)
    toolbars = [t.objectName() for t in window.findChildren(QToolBar) if action is not None and action in t.actions()]
    menu = next((a.menu() for a in iface.pluginMenu().actions() if a.menu() is not None
                 and a.menu().title() == "&Groundwater LSTM"), None)
    provider = QgsApplication.processingRegistry().providerById("groundwaterlstm")
    return {"loaded": PLUGIN in plugins, "toolbars": toolbars,
            "menu": [a.text() for a in menu.actions()] if menu is not None else None,
            "algorithms": sorted(a.name() for a in provider.algorithms()) if provider else [],
            "screenshot": shot("main_window")}


def step_sample():
    import processing

    gpkg = WORK / "sample.gpkg"
    processing.run("groundwaterlstm:createsampledata", {
        "WELLS": 3, "YEARS": 4, "SEED": 13, "WELLS_OUTPUT": f"ogr:dbname='{gpkg}' table=wells (geom)",
        "LEVELS_OUTPUT": f"ogr:dbname='{gpkg}' table=levels", "FORCING_OUTPUT": f"ogr:dbname='{gpkg}' table=forcing"})
    return {"gpkg": str(gpkg)}


def step_analyse_dialog():
    """analysewells from its dialog: parameters in, Run clicked, the results loaded and styled by QGIS."""
    import processing

    sample, out = WORK / "sample.gpkg", WORK / "analysis.gpkg"
    params = {"WELLS": f"{sample}|layername=wells", "LEVELS": f"{sample}|layername=levels",
              "FORCING": f"{sample}|layername=forcing", **TINY,
              "OUTPUT": f"ogr:dbname='{out}' table=\"wells\" (geom)",
              "SIMULATION": f"ogr:dbname='{out}' table=\"simulation\"",
              "ATTRIBUTION": f"ogr:dbname='{out}' table=\"attribution\"",
              "PERIODS_OUTPUT": f"ogr:dbname='{out}' table=\"periods\"",
              "MODEL_FOLDER": str(WORK / "models"), "REPORT": str(WORK / "report.html")}
    before = set(QgsProject.instance().mapLayers())
    dialog = processing.createAlgorithmDialog("groundwaterlstm:analysewells", params)
    dialog.resize(900, 760)
    dialog.show()
    settle(1)
    picture = shot("dialog_analysewells", dialog)
    seen = {"log": ""}

    def loaded():  # the run is over once QGIS has loaded its results (the dialog then closes itself)
        try:  # the dialog's log panel (its object name differs between QGIS versions)
            seen["log"] = "\n".join(t.toPlainText() for t in dialog.findChildren(QTextEdit)) or seen["log"]
        except RuntimeError:
            pass
        return any(layer.name() == "Analysed wells" for layer in QgsProject.instance().mapLayers().values())

    run = next(b for b in dialog.findChildren(QPushButton) if b.text().replace("&", "") == "Run")
    run.click()  # as the user does
    finished = wait_for(loaded, 300)
    settle(2)
    try:
        dialog.close()  # still open when the run failed
    except RuntimeError:
        pass  # closed and deleted by QGIS after a good run
    added = [QgsProject.instance().mapLayer(i) for i in set(QgsProject.instance().mapLayers()) - before]
    layers = {}
    for layer in added:
        renderer = layer.renderer() if isinstance(layer, QgsVectorLayer) and layer.isSpatial() else None
        layers[layer.name()] = {
            "source": layer.source(), "features": len(list(layer.getFeatures())),
            "renderer": renderer.type() if renderer else None,
            "class_field": renderer.classAttribute() if renderer and hasattr(renderer, "classAttribute") else None,
            "classes": [c.label() for c in renderer.categories()] if renderer and hasattr(renderer, "categories")
            else []}
    return {"finished": finished, "log": seen["log"][-20000:], "layers": layers, "screenshot": picture,
            "window": shot("main_window_results")}


def _wells_layer():
    return next(layer for layer in QgsProject.instance().mapLayers().values()
                if isinstance(layer, QgsVectorLayer) and layer.isSpatial() and "dyn_type" in layer.fields().names())


def _broken_words(label):
    """Lines of the metrics label that end inside a word, laid out exactly as the label lays them out."""
    doc = QTextDocument()
    doc.setDefaultFont(label.font())
    doc.setHtml(label.text())
    doc.setTextWidth(label.contentsRect().width())
    broken, block = [], doc.begin()
    while block.isValid():
        text, layout = block.text(), block.layout()
        for i in range(layout.lineCount() - 1):
            line = layout.lineAt(i)
            end = line.textStart() + line.textLength()
            if 0 < end < len(text) and text[end - 1] not in " -\u2013" and text[end] != " ":
                broken.append(text)
        block = block.next()
    return broken


def _inspect(dock, name):
    settle(0.6)
    figures = {}
    for key, canvas in (("hydrograph", dock.hydrograph_canvas), ("attribution", dock.attribution_canvas)):
        figures[key] = {"canvas_px": [canvas.width(), canvas.height()], **measure(canvas.figure)}
    return {"dock_px": [dock.width(), dock.height()], "floating": dock.isFloating(), "figures": figures,
            "viewport_px": dock.scroll.viewport().width(),
            "sideways_scroll": dock.scroll.horizontalScrollBar().maximum(),
            "broken_words": _broken_words(dock.metrics_view), "well": dock.well_id,
            "screen": shot(f"desktop_{name}"), "dock": shot(f"inspector_{name}", dock)}


def step_inspector():
    """The toolbar button opens the dock; a selected well is shown; three widths are measured."""
    layer = _wells_layer()
    gui = plugins[PLUGIN].inspector
    gui.action.trigger()  # the toolbar button
    settle(1)
    dock = gui.dock
    opened = {"visible": dock.isVisible(), "checked": gui.action.isChecked()}
    iface.setActiveLayer(layer)
    settle(0.5)
    features = sorted(layer.getFeatures(), key=lambda f: f["well_id"])
    layer.selectByIds([features[-1].id()])  # as the attribute table or the select tool would
    settle(0.5)
    follows_selection = dock.well_id == features[-1]["well_id"]
    dock.well_combo.setCurrentIndex(dock.well_combo.findData(features[0]["well_id"]))  # the dock's own list
    settle(0.5)
    follows_list = (dock.well_id == features[0]["well_id"] and layer.selectedFeatureIds() == [features[0].id()]
                    and features[0]["well_id"] in dock.hydrograph_figure.axes[0].get_title())
    widths = {"default": _inspect(dock, "default")}
    window = iface.mainWindow()
    for width in WIDTHS:
        window.resizeDocks([dock], [width], Qt.Orientation.Horizontal)
        widths[str(width)] = _inspect(dock, f"{width}px")
    dock.setFloating(True)
    dock.setGeometry(200, 60, *FLOATING)
    widths["floating"] = _inspect(dock, f"floating_{FLOATING[0]}px")
    dock.setFloating(False)
    dock.raise_()  # docked back as a tab: bring it to the front as a user clicks its tab
    settle(0.5)
    return {"opened": opened, "checked_when_shown_again": gui.action.isChecked(), "tabbed_with": [d.windowTitle() for d in window.tabifiedDockWidgets(dock)],
            "follows_selection": follows_selection, "follows_list": follows_list, "widths": widths,
            "wells": [f["well_id"] for f in features]}


def step_train_dialog():
    """trainwells' dialog with tables named as in the 2022 challenge: the fields are picked by name."""
    import processing

    (WORK / "heads.csv").write_text("Date,station,head\n2020-01-01,A,1.0\n")
    (WORK / "input_data.csv").write_text("time,station,rr,tg,tn,tx,et\n2020-01-01,A,1,2,3,4,5\n")
    layers = [QgsVectorLayer(f"file://{WORK / n}?type=csv&geomType=none", n, "delimitedtext")
              for n in ("heads.csv", "input_data.csv")]
    QgsProject.instance().addMapLayers(layers)
    dialog = processing.createAlgorithmDialog("groundwaterlstm:trainwells",
                                              {"LEVELS": layers[0].id(), "FORCING": layers[1].id()})
    dialog.resize(900, 760)
    dialog.show()
    settle(1)
    wrappers = dialog.mainWidget().wrappers
    fields = {name: wrappers[name].parameterValue() for name in (
        "LEVEL_ID_FIELD", "LEVEL_DATE_FIELD", "LEVEL_FIELD", "FORCING_ID_FIELD", "FORCING_DATE_FIELD",
        "PRECIP_FIELD", "TEMP_FIELD", "EVAP_FIELD")}
    picture = shot("dialog_trainwells", dialog)
    dialog.close()
    return {"fields": {k: (v if isinstance(v, str) else None) for k, v in fields.items()}, "screenshot": picture}


def step_model_designer():
    from processing.modeler.ModelerDialog import ModelerDialog

    model = QgsApplication.processingRegistry().algorithmById("groundwaterlstm:dynamicsworkflow")
    designer = ModelerDialog.create(model)
    designer.resize(1400, 900)
    designer.show()
    settle(1.5)
    children = designer.model().childAlgorithms()
    items = designer.view().scene().items()
    picture = shot("model_designer", designer)
    result = {"children": sorted(c.algorithmId() for c in children.values()), "scene_items": len(items),
              "screenshot": picture}
    designer.setModified(False) if hasattr(designer, "setModified") else None
    designer.close()
    return result


STEPS = (step_plugin, step_sample, step_analyse_dialog, step_inspector, step_train_dialog, step_model_designer)


def run_steps():
    for step in STEPS:
        name = step.__name__[5:]
        started = time.monotonic()
        try:
            RESULTS["steps"][name] = {"ok": True, **step()}
        except Exception:
            RESULTS["steps"][name] = {"ok": False, "error": traceback.format_exc()}
        RESULTS["steps"][name]["seconds"] = round(time.monotonic() - started, 1)
        write()
    finish()


def write():
    tmp = OUT / "results.json.part"
    tmp.write_text(json.dumps(RESULTS, indent=1, default=str))
    tmp.replace(OUT / "results.json")


def finish(code=0):
    write()
    QgsProject.instance().clear()
    QApplication.instance().exit(code)


def watchdog():
    RESULTS["timed_out"] = True
    finish(3)


OUT.mkdir(parents=True, exist_ok=True)
WORK.mkdir(parents=True, exist_ok=True)
CRASH_LOG = open(OUT / "python_stack_on_crash.txt", "w")  # QGIS's own handler shows no Python frames
faulthandler.enable(CRASH_LOG)
QTimer.singleShot(int(os.environ.get("GWLSTM_DESKTOP_TIMEOUT", "420")) * 1000, watchdog)
QTimer.singleShot(1500, run_steps)  # after QGIS has finished starting (plugins, the Processing toolbox)
