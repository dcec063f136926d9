"""The well inspector on what the real pipeline writes: analysewells on a tiny sample network, no hand-built
fixture in between."""
import sqlite3

import pytest
from qgis.core import QgsApplication, QgsProject, QgsVectorLayer
from qgis.PyQt.QtWidgets import QApplication

TINY = {"LOOKBACK": 60, "HIDDEN": 8, "EPOCHS": 4, "ENSEMBLE": 1, "SEED": 3, "N_SAMPLES": 20,
        "DAYS_PER_PERIOD": 10}


@pytest.fixture(scope="module")
def real_output(qgis_app, qgis_processing, tmp_path_factory):
    import processing

    from groundwater_lstm.processing.provider import GroundwaterLstmProvider

    registry = QgsApplication.processingRegistry()
    provider = registry.providerById("groundwaterlstm")
    added = provider is None
    if added:
        provider = GroundwaterLstmProvider()
        registry.addProvider(provider)
    d = tmp_path_factory.mktemp("real_analysis")
    sample, out = d / "sample.gpkg", d / "analysis.gpkg"
    processing.run("groundwaterlstm:createsampledata", {
        "WELLS": 3, "YEARS": 4, "SEED": 13,
        "WELLS_OUTPUT": f"ogr:dbname='{sample}' table=wells (geom)",
        "LEVELS_OUTPUT": f"ogr:dbname='{sample}' table=levels",
        "FORCING_OUTPUT": f"ogr:dbname='{sample}' table=forcing"})
    processing.run("groundwaterlstm:analysewells", {
        "WELLS": f"{sample}|layername=wells", "LEVELS": f"{sample}|layername=levels",
        "FORCING": f"{sample}|layername=forcing", **TINY,
        "OUTPUT": f"ogr:dbname='{out}' table=wells (geom)",
        "SIMULATION": f"ogr:dbname='{out}' table=simulation",
        "ATTRIBUTION": f"ogr:dbname='{out}' table=attribution",
        "PERIODS_OUTPUT": f"ogr:dbname='{out}' table=periods",
        "MODEL_FOLDER": str(d / "models"), "REPORT": str(d / "report.html")})
    yield out, provider
    if added:  # a provider Python collects loses its algorithms: hand the registry back as we found it
        registry.removeProvider(provider)


def test_inspector_shows_a_well_of_a_real_analysis(real_output, qgis_iface, dock, artifacts_dir):
    gpkg, _provider = real_output
    layer = QgsVectorLayer(f"{gpkg}|layername=wells", "analysed wells", "ogr")
    assert layer.isValid()
    QgsProject.instance().addMapLayer(layer)
    try:
        qgis_iface.setActiveLayer(layer)
        dock.set_layer(layer)
        assert dock.output is not None, dock.message()
        with sqlite3.connect(gpkg) as con:
            fid, wid, nse, dyn = con.execute("select fid, well_id, nse_test, dyn_type from wells limit 1").fetchone()
            n_obs = con.execute("select count(*) from simulation where well_id = ? and observed is not null",
                                (wid,)).fetchone()[0]
            n_rows = con.execute("select count(*) from simulation where well_id = ?", (wid,)).fetchone()[0]
        layer.selectByIds([fid])  # as a user selecting the well on the map
        assert dock.well_id == wid
        (hax,) = dock.hydrograph_figure.axes
        assert wid in hax.get_title()
        lines = {ln.get_label(): ln for ln in hax.get_lines()}
        assert len(lines["observed"].get_xdata()) == n_obs > 0
        assert len(lines["simulated"].get_xdata()) == n_rows
        (aax,) = dock.attribution_figure.axes
        assert wid in aax.get_title() and [p for c in aax.containers for p in c.patches]
        html = dock.metrics_html()
        assert f"{nse:.3f}" in html and dyn in html
        QApplication.processEvents()
        shot = artifacts_dir / "well_inspector_real_output.png"
        assert dock.grab().save(str(shot)) and shot.stat().st_size > 10_000
    finally:
        QgsProject.instance().removeMapLayer(layer.id())
