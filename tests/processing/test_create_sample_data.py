from qgis.core import QgsProcessingException, QgsVectorLayer
import pytest
from groundwater_lstm.processing import compat


def test_to_geopackage(run_alg, tmp_path):
    gpkg = tmp_path / "sample.gpkg"
    res = run_alg("createsampledata", {
        "WELLS": 6, "YEARS": 4, "SEED": 7,
        "WELLS_OUTPUT": f"ogr:dbname='{gpkg}' table=wells (geom)",
        "LEVELS_OUTPUT": f"ogr:dbname='{gpkg}' table=levels",
        "FORCING_OUTPUT": f"ogr:dbname='{gpkg}' table=forcing",
    })
    assert set(res) == {"WELLS_OUTPUT", "LEVELS_OUTPUT", "FORCING_OUTPUT"}
    wells = QgsVectorLayer(f"{gpkg}|layername=wells", "w", "ogr")
    assert wells.isValid() and wells.featureCount() == 6
    assert wells.wkbType() in (compat.WKB_POINT, compat.WKB_POINT_Z, compat.WKB_MULTI_POINT)
    assert wells.crs().authid() == "EPSG:4326"
    names = wells.fields().names()
    for f in ("well_id", "true_type", "true_frz", "true_thw", "true_unf"):
        assert f in names
    types = {f["true_type"] for f in wells.getFeatures()}
    assert types == {"infiltration-evaporation", "infiltration-runoff", "extraction"}
    for f in wells.getFeatures():
        p = f.geometry().asPoint()
        assert 121 < p.x() < 128 and 43 < p.y() < 49  # the Songnen Plain
        assert f["true_frz"] in ("precip", "temp", "pet", "river", "pumping")
    levels = QgsVectorLayer(f"{gpkg}|layername=levels", "l", "ogr")
    forcing = QgsVectorLayer(f"{gpkg}|layername=forcing", "f", "ogr")
    assert levels.isValid() and forcing.isValid()
    assert {"well_id", "date", "level"} <= set(levels.fields().names())
    assert {"well_id", "date", "precip", "temp", "pet", "river", "pumping"} <= set(forcing.fields().names())
    assert forcing.featureCount() >= 6 * 4 * 365
    assert 0 < levels.featureCount() < forcing.featureCount()  # gaps and weekly readings


def test_to_memory_is_deterministic(run_alg):
    def values(seed, together=False):
        res = run_alg("createsampledata", {"WELLS": 3, "YEARS": 3, "SEED": seed, "DRIVERS_TOGETHER": together,
                                           "WELLS_OUTPUT": "memory:", "LEVELS_OUTPUT": "memory:",
                                           "FORCING_OUTPUT": "memory:"})
        from qgis.core import QgsProcessingUtils
        layer = res["LEVELS_OUTPUT"]
        if isinstance(layer, str):
            from qgis.core import QgsProject
            layer = QgsProcessingUtils.mapLayerFromString(layer, None) or QgsProject.instance().mapLayer(layer)
        return [(f["well_id"], f["date"], f["level"]) for f in layer.getFeatures()]

    a, b, c, d = values(1), values(1), values(2), values(1, together=True)
    assert len(a) > 100
    assert a == b
    assert a != c
    assert a != d  # the hard case is another network from the same seed


def test_bad_parameter_is_refused(run_alg):
    with pytest.raises(QgsProcessingException):
        run_alg("createsampledata", {"WELLS": 1, "YEARS": 4, "SEED": 1, "WELLS_OUTPUT": "memory:",
                                     "LEVELS_OUTPUT": "memory:", "FORCING_OUTPUT": "memory:"})
