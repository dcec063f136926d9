"""Styles on real files: the GeoPackage default style, the named NSE style, shapefile .qml, stylewells, map PNG."""
import gc
import sqlite3

import pytest
from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsExpressionContext,
    QgsGraduatedSymbolRenderer,
    QgsPointXY,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProject,
    QgsVectorFileWriter,
    QgsVectorLayer,
)
from qgis.PyQt.QtGui import QColor, QImage

from groundwater_lstm.core import vocabulary
from groundwater_lstm.processing import map_image, styling
from groundwater_lstm.processing.qgis_io import fields_for, point_geometry, to_python, write_frame
from groundwater_lstm.processing import compat
from report_frames import demo_frames


def wells_frame(n=8):
    wells = demo_frames(n_wells=n, years=1, seed=5, lags=False)["wells"]
    wells["x"] = [123.0 + 0.35 * i for i in range(len(wells))]
    wells["y"] = [45.0 + 0.25 * (i % 5) for i in range(len(wells))]
    return wells


def memory_wells(frame, crs="EPSG:4326"):
    attrs = frame.drop(columns=["x", "y"])
    layer = QgsVectorLayer(f"Point?crs={crs}", "wells", "memory")
    fields = fields_for(attrs)
    layer.dataProvider().addAttributes(fields.toList())
    layer.updateFields()
    write_frame(attrs, layer.dataProvider(), fields,
                geometries=[point_geometry(x, y) for x, y in zip(frame["x"], frame["y"])])
    layer.updateExtents()
    return layer


def save(layer, path, driver="GPKG", layer_name="wells"):
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = driver
    options.layerName = layer_name
    err = compat.write_vector(layer, str(path), options)
    assert not err, err
    return path


@pytest.fixture
def wells_gpkg(qgis_app, tmp_path):
    return save(memory_wells(wells_frame()), tmp_path / "wells.gpkg")


def _types_and_colours(renderer):
    return {c.value(): c.symbol().color().name() for c in renderer.categories()}


def test_geopackage_default_style_is_the_dynamics_style(wells_gpkg):
    result = styling.apply_and_persist(str(wells_gpkg))
    assert result["storage"] == "database"
    result["layer"] = None
    styling.apply_and_persist(str(wells_gpkg))  # twice: replaces (QGIS 3.22 would ask in a modal dialog)

    fresh = QgsVectorLayer(f"{wells_gpkg}|layername=wells", "fresh", "ogr")
    assert fresh.isValid()
    renderer = fresh.renderer()
    assert isinstance(renderer, QgsCategorizedSymbolRenderer)
    assert renderer.classAttribute() == "dyn_type"
    colours = _types_and_colours(renderer)
    for t in vocabulary.TYPE_VALUES:
        assert colours[t] == vocabulary.TYPE_COLOURS[t].lower()
    labels = {c.value(): c.label() for c in renderer.categories()}
    assert labels["infiltration-evaporation"] == "Precipitation infiltration\u2013evaporation"
    assert labels["extraction"] == "Extraction (pumping)" and labels["undetermined"] == "Undetermined"
    assert "" in labels  # the catch-all for skipped wells
    assert len(set(colours.values())) == len(colours)
    # labels with the well id, size from nse_test
    assert fresh.labelsEnabled()
    assert fresh.labeling().settings().fieldName == "well_id"
    symbol = next(c.symbol().clone() for c in renderer.categories() if c.value() == "extraction")
    prop = symbol.dataDefinedSize()
    assert prop.isActive() and "nse_test" in prop.referencedFields(QgsExpressionContext())
    sizes = {}
    for feat in fresh.getFeatures():
        ctx = QgsExpressionContext()
        ctx.setFeature(feat)
        ctx.setFields(fresh.fields())
        nse = to_python(feat["nse_test"])
        sizes[feat["well_id"]] = (nse, prop.valueAsDouble(ctx, -1.0)[0])
    by_nse = sorted((n, s) for n, s in sizes.values() if n is not None)
    assert by_nse[0][1] <= by_nse[-1][1] and by_nse[-1][1] > styling.MIN_SIZE
    assert [s for n, s in sizes.values() if n is None] == [styling.NULL_SIZE]  # the skipped well

    # the NSE style is stored by name, not as default; exactly one row per name after two runs
    count, ids, names, descriptions, error = fresh.listStylesInDatabase()
    assert not error
    assert sorted(names[:count]) == sorted([styling.DYNAMICS_STYLE_NAME, styling.NSE_STYLE_NAME])
    with sqlite3.connect(wells_gpkg) as con:
        rows = dict(con.execute("select styleName, useAsDefault from layer_styles").fetchall())
        nse_qml = con.execute("select styleQML from layer_styles where styleName=?",
                              (styling.NSE_STYLE_NAME,)).fetchone()[0]
    assert rows[styling.DYNAMICS_STYLE_NAME] == 1 and rows[styling.NSE_STYLE_NAME] == 0
    assert 'type="graduatedSymbol"' in nse_qml and 'attr="nse_test"' in nse_qml
    # and it loads back as the graduated renderer
    nse_id = ids[names.index(styling.NSE_STYLE_NAME)]
    qml = fresh.getStyleFromDatabase(str(nse_id))
    qml = qml[0] if isinstance(qml, tuple) else qml
    from qgis.PyQt.QtXml import QDomDocument

    doc = QDomDocument()
    doc.setContent(qml)
    fresh.importNamedStyle(doc)
    assert isinstance(fresh.renderer(), QgsGraduatedSymbolRenderer)
    assert fresh.renderer().classAttribute() == "nse_test"
    assert len(fresh.renderer().ranges()) == len(styling.NSE_CLASSES)


def test_shapefile_gets_qml_files(qgis_app, tmp_path):
    shp = save(memory_wells(wells_frame()), tmp_path / "wells.shp", driver="ESRI Shapefile")
    result = styling.apply_and_persist(str(shp))
    assert result["storage"] == "qml"
    assert (tmp_path / "wells.qml").is_file() and (tmp_path / "wells_nse.qml").is_file()
    result["layer"] = None
    fresh = QgsVectorLayer(str(shp), "fresh", "ogr")
    assert isinstance(fresh.renderer(), QgsCategorizedSymbolRenderer)
    assert fresh.renderer().classAttribute() == "dyn_type"
    assert 'attr="nse_test"' in (tmp_path / "wells_nse.qml").read_text()


def test_memory_layer_is_styled_without_saving(qgis_app):
    layer = memory_wells(wells_frame(4))
    result = styling.apply_and_persist(layer)
    assert result["storage"] == "none"
    assert isinstance(layer.renderer(), QgsCategorizedSymbolRenderer)
    assert styling.NSE_STYLE_NAME in layer.styleManager().styles()


def test_temporary_output_by_layer_id_through_the_context(qgis_app):
    layer = memory_wells(wells_frame(3))
    context = QgsProcessingContext()
    context.temporaryLayerStore().addMapLayer(layer)
    result = styling.apply_and_persist(layer.id(), context=context)
    assert result["layer"] is layer and result["storage"] == "none"
    assert isinstance(layer.renderer(), QgsCategorizedSymbolRenderer)


def test_missing_dyn_type_says_what_to_run(qgis_app):
    layer = memory_wells(wells_frame(3).drop(columns=["dyn_type"]))
    with pytest.raises(ValueError, match="Classify dynamics"):
        styling.apply_and_persist(layer)


def test_post_processor_styles_the_loaded_layer_and_survives_gc(qgis_app):
    layer = memory_wells(wells_frame(4))
    QgsProject.instance().addMapLayer(layer, False)
    try:
        context = QgsProcessingContext()
        context.setProject(QgsProject.instance())
        context.addLayerToLoadOnCompletion(layer.id(), QgsProcessingContext.LayerDetails(
            "wells", QgsProject.instance(), "OUTPUT"))
        assert styling.attach_post_processor(context, layer.id())
        gc.collect()
        post = context.layerToLoadOnCompletionDetails(layer.id()).postProcessor()
        assert post is not None
        post.postProcessLayer(layer, context, QgsProcessingFeedback())
        assert isinstance(layer.renderer(), QgsCategorizedSymbolRenderer)
        assert not styling.attach_post_processor(QgsProcessingContext(), "no-such-layer")
    finally:
        QgsProject.instance().removeMapLayer(layer.id())


def test_stylewells_algorithm(run_alg, wells_gpkg):
    res = run_alg("stylewells", {"INPUT": str(wells_gpkg)})
    assert set(res) == {"OUTPUT"}
    assert str(wells_gpkg) in res["OUTPUT"]
    fresh = QgsVectorLayer(str(wells_gpkg), "fresh", "ogr")
    assert isinstance(fresh.renderer(), QgsCategorizedSymbolRenderer)
    assert set(_types_and_colours(fresh.renderer())) >= set(vocabulary.TYPE_VALUES)


def test_stylewells_refuses_a_layer_without_types(run_alg, tmp_path):
    path = save(memory_wells(wells_frame(3).drop(columns=["dyn_type"])), tmp_path / "raw.gpkg")
    with pytest.raises(QgsProcessingException, match="Classify dynamics"):
        run_alg("stylewells", {"INPUT": str(path)})


def test_map_png_headless(qgis_app, tmp_path, artifacts_dir):
    frame = wells_frame()
    layer = memory_wells(frame)
    styling.apply_dynamics_style(layer)
    path = tmp_path / "map.png"
    png = map_image.render_map_png(layer, str(path), size=(800, 600), title="Wells by dynamics type")
    assert path.read_bytes() == png and png[:8] == b"\x89PNG\r\n\x1a\n"
    (artifacts_dir / "map_headless.png").write_bytes(png)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (800, 600)
    colours = {}
    for y in range(0, 600, 2):
        for x in range(0, 800, 2):
            c = image.pixel(x, y) & 0xFFFFFF
            colours[c] = colours.get(c, 0) + 1
    assert len(colours) > 20
    assert max(colours.values()) < 0.9 * sum(colours.values())  # not one colour
    # each type present on the map shows its colour somewhere (symbol centres are exact colours)
    for t in set(frame["dyn_type"].dropna()):
        target = QColor(vocabulary.TYPE_COLOURS[t]).rgb() & 0xFFFFFF
        assert any(_close(c, target) for c in colours), t
    # the backdrop is there: land colour of the world map
    assert any(_close(c, QColor(map_image.LAND).rgb() & 0xFFFFFF) for c in colours)


def test_map_of_a_single_well_and_of_a_projected_layer(qgis_app):
    frame = wells_frame(1)
    layer = memory_wells(frame)  # one point: a zero-size extent
    styling.apply_dynamics_style(layer)
    image = QImage.fromData(map_image.render_map_png(layer, None, size=(400, 300), legend=False))
    assert (image.width(), image.height()) == (400, 300)
    assert map_image.world_map_path() is not None

    utm = QgsCoordinateReferenceSystem("EPSG:32651")
    frame = wells_frame(5)
    tr = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), utm, QgsProject.instance())
    pts = [tr.transform(QgsPointXY(x, y)) for x, y in zip(frame["x"], frame["y"])]
    frame["x"], frame["y"] = [p.x() for p in pts], [p.y() for p in pts]
    layer = memory_wells(frame, crs="EPSG:32651")
    copy = map_image.memory_copy(layer)
    assert copy.featureCount() == 5 and copy.crs().authid() == "EPSG:32651"
    assert copy.wkbType() in (compat.WKB_POINT, compat.WKB_POINT_Z)
    styling.apply_dynamics_style(copy)
    image = QImage.fromData(map_image.render_map_png(copy, None, size=(500, 400)))
    colours = {image.pixel(x, y) & 0xFFFFFF for y in range(0, 400, 3) for x in range(0, 500, 3)}
    assert len(colours) > 10


def _close(a, b, tol=6):
    return all(abs(((a >> s) & 0xFF) - ((b >> s) & 0xFF)) <= tol for s in (0, 8, 16))


def test_where_the_lstm_wins_style_beside_the_others(qgis_app, tmp_path, artifacts_dir):
    frame = wells_frame()
    frame["lstm_gain"] = [-0.45, -0.1, 0.0, 0.02, 0.1, 0.3, 0.6, None]  # every class, and a well without baseline
    gpkg = save(memory_wells(frame), tmp_path / "wells.gpkg")
    result = styling.apply_and_persist(str(gpkg))
    assert result["gain"] == styling.GAIN_STYLE_NAME and result["default"] == styling.DYNAMICS_STYLE_NAME
    with sqlite3.connect(gpkg) as con:
        rows = dict(con.execute("select styleName, useAsDefault from layer_styles").fetchall())
        qml = con.execute("select styleQML from layer_styles where styleName=?",
                          (styling.GAIN_STYLE_NAME,)).fetchone()[0]
    assert rows == {styling.DYNAMICS_STYLE_NAME: 1, styling.NSE_STYLE_NAME: 0, styling.GAIN_STYLE_NAME: 0}
    assert 'type="graduatedSymbol"' in qml and 'attr="lstm_gain"' in qml
    assert styling.GAIN_STYLE_NAME in result["layer"].styleManager().styles()
    # drawn: every class colour on the map, the legend saying who wins
    layer = memory_wells(frame)
    styling.apply_gain_style(layer)
    labels = [item.label() for item in layer.renderer().legendSymbolItems()]
    assert labels[0].startswith("Pastas better") and labels[-1].startswith("LSTM better") and len(labels) == 5
    png = map_image.render_map_png(layer, None, size=(800, 600), title="Where does the LSTM win?")
    (artifacts_dir / "map_lstm_gain.png").write_bytes(png)
    image = QImage.fromData(png)
    colours = {image.pixel(x, y) & 0xFFFFFF for y in range(0, 600, 2) for x in range(0, 800, 2)}
    for _lo, _hi, colour, label in styling.GAIN_CLASSES:
        assert any(_close(c, QColor(colour).rgb() & 0xFFFFFF) for c in colours), label
    shp = save(memory_wells(frame), tmp_path / "wells.shp", driver="ESRI Shapefile")
    assert styling.apply_and_persist(str(shp))["gain"] == str(tmp_path / "wells_gain.qml")
    assert 'attr="lstm_gain"' in (tmp_path / "wells_gain.qml").read_text()
