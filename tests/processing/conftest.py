"""Processing tier: real QGIS (pytest-qgis) with the provider registered once for the session."""
import pytest


@pytest.fixture(scope="session")
def provider(qgis_app, qgis_processing):
    from qgis.core import QgsApplication

    from groundwater_lstm.processing.provider import GroundwaterLstmProvider

    registry = QgsApplication.processingRegistry()
    existing = registry.providerById("groundwaterlstm")
    if existing is not None:  # registered by an earlier test module (the plugin tier's real-output test)
        yield existing
        return
    prov = GroundwaterLstmProvider()  # kept referenced for the session: a collected provider loses its algorithms
    assert registry.addProvider(prov)
    yield prov


@pytest.fixture(scope="session")
def run_alg(provider):
    """Run ``groundwaterlstm:<name>`` with real processing; returns the results dict."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    def _run(name, params, feedback=None):
        context = QgsProcessingContext()
        return processing.run(f"groundwaterlstm:{name}", params, context=context,
                              feedback=feedback or QgsProcessingFeedback())

    return _run


@pytest.fixture(scope="session")
def make_sample(run_alg):
    """make_sample(gpkg, wells=3, years=3, seed=5): the sample network's wells, levels and forcing as tables of
    one GeoPackage; returns the WELLS / LEVELS / FORCING parameters that read them."""
    def _make(gpkg, wells=3, years=3, seed=5):
        run_alg("createsampledata", {
            "WELLS": wells, "YEARS": years, "SEED": seed, "WELLS_OUTPUT": f"ogr:dbname='{gpkg}' table=wells (geom)",
            "LEVELS_OUTPUT": f"ogr:dbname='{gpkg}' table=levels",
            "FORCING_OUTPUT": f"ogr:dbname='{gpkg}' table=forcing"})
        return {"WELLS": f"{gpkg}|layername=wells", "LEVELS": f"{gpkg}|layername=levels",
                "FORCING": f"{gpkg}|layername=forcing"}

    return _make
