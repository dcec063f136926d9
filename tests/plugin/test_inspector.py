"""The well inspector dock on a real analysis output GeoPackage, offscreen."""
import sqlite3

import pytest
from qgis.core import QgsFeature, QgsPointXY, QgsProject, QgsVectorLayer
from qgis.gui import QgsMapMouseEvent
from qgis.PyQt.QtCore import QEvent, QPoint, Qt
from qgis.PyQt.QtWidgets import QApplication

from groundwater_lstm.plugin import analysis_output as ao


def expected(gpkg, well_id):
    """What the files say about one well (read with sqlite3, independent of the inspector's reader)."""
    with sqlite3.connect(gpkg) as con:
        n_rows = con.execute("select count(*) from simulation where well_id = ?", (well_id,)).fetchone()[0]
        n_obs = con.execute("select count(*) from simulation where well_id = ? and observed is not null",
                            (well_id,)).fetchone()[0]
        drivers = {r[0] for r in con.execute("select distinct driver from attribution where well_id = ?",
                                             (well_id,))}
        periods = {r[0] for r in con.execute("select distinct period from attribution where well_id = ?",
                                             (well_id,))}
        fid = con.execute("select fid from wells where well_id = ?", (well_id,)).fetchone()[0]
        nse = con.execute("select nse_test from wells where well_id = ?", (well_id,)).fetchone()[0]
        dyn = con.execute("select dyn_type from wells where well_id = ?", (well_id,)).fetchone()[0]
    return {"rows": n_rows, "obs": n_obs, "drivers": drivers, "periods": periods, "fid": fid, "nse": nse,
            "dyn_type": dyn}


def line(ax, label):
    found = [ln for ln in ax.get_lines() if ln.get_label() == label]
    assert found, f"no line labelled {label!r}: {[ln.get_label() for ln in ax.get_lines()]}"
    return found[0]


def bar_patches(ax):
    return [p for c in ax.containers for p in c.patches]


def assert_drawn(dock, gpkg, well_id):
    exp = expected(gpkg, well_id)
    assert dock.well_id == well_id
    (hax,) = dock.hydrograph_figure.axes
    assert well_id in hax.get_title()
    assert len(line(hax, "observed").get_xdata()) == exp["obs"] > 0
    assert len(line(hax, "simulated").get_xdata()) == exp["rows"]
    assert hax.collections, "the ensemble spread is missing"
    (aax,) = dock.attribution_figure.axes
    assert well_id in aax.get_title()
    assert len(bar_patches(aax)) == len(exp["drivers"]) * len(exp["periods"])
    assert {t.get_text() for t in aax.get_xticklabels()} == exp["drivers"]
    assert {t.get_text() for t in aax.get_legend().get_texts()} - {"lowers the level"} == exp["periods"]
    html = dock.metrics_html()
    assert f"{exp['nse']:.3f}" in html and exp["dyn_type"] in html
    return exp


def test_selecting_a_well_draws_its_data_and_screenshot(dock, wells_layer, analysis_gpkg, artifacts_dir):
    dock.set_layer(wells_layer)
    assert dock.output is not None, dock.message()
    assert [dock.well_combo.itemData(i) for i in range(dock.well_combo.count())] == ["W1", "W2", "W3", "W4"]
    assert "skipped" in dock.well_combo.itemText(3)

    fid = expected(analysis_gpkg, "W3")["fid"]
    wells_layer.selectByIds([fid])  # as a user selecting on the map or in the attribute table
    exp = assert_drawn(dock, analysis_gpkg, "W3")
    assert "pumping" in exp["drivers"]
    assert dock.well_combo.currentData() == "W3"
    # the split bar and the freeze-thaw shading are there
    (hax,) = dock.hydrograph_figure.axes
    assert {t.get_text() for t in hax.texts} >= {"training", "validation", "test"}  # the report's words
    legend = {t.get_text() for t in hax.get_legend().get_texts()}
    assert {"freezing", "thawing", "observed", "simulated", "ensemble spread"} <= legend

    QApplication.processEvents()
    shot = artifacts_dir / "well_inspector.png"
    pixmap = dock.grab()
    assert pixmap.save(str(shot))
    assert shot.stat().st_size > 10_000
    image = pixmap.toImage()
    assert image.width() >= 600 and image.height() >= 800
    colours = {image.pixel(x, y) for x in range(0, image.width(), 23) for y in range(0, image.height(), 23)}
    assert len(colours) > 20, "the screenshot is blank"


def test_well_list_and_active_layer_follow(dock, wells_layer, analysis_gpkg, qgis_iface):
    dock._current_layer_changed(wells_layer)  # what iface.currentLayerChanged delivers
    assert dock.layer is wells_layer and dock.output is not None
    dock.well_combo.setCurrentIndex(dock.well_combo.findData("W2"))
    assert_drawn(dock, analysis_gpkg, "W2")
    # the map and the attribute table follow the list
    assert wells_layer.selectedFeatureIds() == [expected(analysis_gpkg, "W2")["fid"]]
    assert dock.well_id == "W2"


def test_map_tool_click_selects_and_shows(dock, wells_layer, analysis_gpkg, qgis_iface, qgis_canvas):
    dock.set_layer(wells_layer)
    qgis_canvas.resize(600, 400)
    qgis_canvas.setDestinationCrs(wells_layer.crs())
    qgis_canvas.setLayers([wells_layer])
    qgis_canvas.setExtent(wells_layer.extent().buffered(0.2))
    qgis_canvas.refresh()
    dock.pick_button.setChecked(True)
    assert qgis_canvas.mapTool() is dock.pick_tool
    feat = next(f for f in wells_layer.getFeatures() if f["well_id"] == "W1")
    pixel = qgis_canvas.mapSettings().mapToPixel().transform(QgsPointXY(feat.geometry().asPoint()))
    event = QgsMapMouseEvent(qgis_canvas, QEvent.Type.MouseButtonRelease, QPoint(int(pixel.x()), int(pixel.y())),
                             Qt.MouseButton.LeftButton)
    dock.pick_tool.canvasReleaseEvent(event)
    assert wells_layer.selectedFeatureIds() == [feat.id()]
    assert_drawn(dock, analysis_gpkg, "W1")
    dock.pick_button.setChecked(False)
    assert qgis_canvas.mapTool() is not dock.pick_tool


def test_a_skipped_well_says_why(dock, wells_layer):
    dock.set_layer(wells_layer)
    assert dock.show_well("W4")
    (hax,) = dock.hydrograph_figure.axes
    (aax,) = dock.attribution_figure.axes
    assert "W4" in hax.get_title()
    assert "skipped: 12 observations" in hax.texts[0].get_text() and "skipped" in aax.texts[0].get_text()
    assert "skipped: 12 observations" in dock.metrics_html()


def test_a_layer_that_is_not_an_output_gets_an_explanation(dock, wells_layer):
    dock.set_layer(wells_layer)
    plain = QgsVectorLayer("Point?crs=EPSG:4326&field=name:string", "some points", "memory")
    f = QgsFeature(plain.fields())
    f.setAttributes(["a"])
    plain.dataProvider().addFeatures([f])
    QgsProject.instance().addMapLayer(plain)
    try:
        dock.set_layer(plain)
        assert dock.output is None
        assert "not a Groundwater LSTM analysis output" in dock.message()
        assert dock.message_label.isVisible()
        assert dock.well_combo.count() == 0
        assert not dock.hydrograph_figure.axes and not dock.attribution_figure.axes
        plain.selectByIds([f.id() for f in plain.getFeatures()])  # no error, nothing shown
        assert dock.well_id is None
        dock.set_layer(None)
        assert "No layer selected" in dock.message()
    finally:
        QgsProject.instance().removeMapLayer(plain.id())


def test_fields_without_run_record_show_metrics_only(dock, tmp_path, build_output):
    gpkg = build_output(tmp_path / "bare", record_style="none")
    layer = QgsVectorLayer(f"{gpkg}|layername=wells", "bare", "ogr")
    dock.set_layer(layer)
    assert dock.output is not None
    assert "no 'gwlstm_run' record" in dock.message()
    assert dock.show_well("W1")
    (hax,) = dock.hydrograph_figure.axes
    assert "W1" in hax.get_title() and "No hydrograph" in hax.texts[0].get_text()
    assert "NSE test" in dock.metrics_html()


def test_record_that_names_another_well_id_field(tmp_path, build_output):
    gpkg = build_output(tmp_path / "by_code", record_style="id_field")
    layer = QgsVectorLayer(f"{gpkg}|layername=wells", "w", "ogr")
    assert "well_id" not in layer.fields().names()
    out, why = ao.open_output(layer)
    assert out is not None, why
    assert out.well_field == "code" and [w for w, _ in out.well_ids()][:3] == ["W1", "W2", "W3"]
    assert out.model_folder == str(tmp_path / "by_code" / "model")
    with sqlite3.connect(gpkg) as con:
        n_rows = con.execute("select count(*) from simulation where well_id = 'W2'").fetchone()[0]
        drivers = {r[0] for r in con.execute("select distinct driver from attribution where well_id = 'W2'")}
    series = out.simulation("W2")
    assert len(series) == n_rows > 0 and series.dates == sorted(series.dates)
    assert {r.driver for r in out.attribution("W2")} == drivers


def test_period_spans_fall_back_to_the_calendar_table(analysis_gpkg):
    layer = QgsVectorLayer(f"{analysis_gpkg}|layername=wells", "w", "ogr")
    out, _ = ao.open_output(layer)
    series = out.simulation("W1")
    from_column = out.period_spans("W1", series)
    assert from_column[0][0] == "freezing" and from_column[0][1] == series.dates[0]
    series.period = [""] * len(series)
    from_table = out.period_spans("W1", series)
    assert [s[0] for s in from_table[:2]] == ["freezing", "thawing"]
    assert str(from_table[0][1]) == "2016-11-15"


@pytest.mark.parametrize("value, expected_uri", [
    ("simulation", "{gpkg}|layername=simulation"),
    ("other.gpkg|layername=sim", "{dir}/other.gpkg|layername=sim"),
    ("/abs/x.gpkg|layername=sim", "/abs/x.gpkg|layername=sim"),
    ("", ""),
])
def test_table_uri_forms(value, expected_uri):
    got = ao.resolve_table_uri(value, "/data/run", "/data/run/out.gpkg")
    assert got == expected_uri.format(gpkg="/data/run/out.gpkg", dir="/data/run")
