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
