"""The field parameters pick the matching field by name: in the algorithm dialog (the name-guessing widget) and
when a field parameter is not given at all (qgis_process, processing.run)."""
import pytest
from qgis.core import QgsApplication, QgsProject, QgsVectorLayer
from qgis.PyQt.QtWidgets import QApplication

CHALLENGE_LEVELS = "Date,station,head\n2020-01-01,A,1.0\n"
CHALLENGE_FORCING = "time,station,rr,tg,tn,tx,et,stage,pump\n2020-01-01,A,1,2,3,4,5,6,7\n"
EXPECTED = {"LEVEL_ID_FIELD": "station", "LEVEL_DATE_FIELD": "Date", "LEVEL_FIELD": "head",
            "FORCING_ID_FIELD": "station", "FORCING_DATE_FIELD": "time", "PRECIP_FIELD": "rr", "TEMP_FIELD": "tg",
            "EVAP_FIELD": "et", "RIVER_FIELD": "stage", "PUMPING_FIELD": "pump"}


@pytest.fixture
def dialog_iface(qgis_iface, monkeypatch):
    """pytest-qgis's iface with the browser model the algorithm dialog asks for (the real window is in
    tests/desktop)."""
    from qgis.gui import QgsBrowserGuiModel

    model = QgsBrowserGuiModel()
    monkeypatch.setattr(qgis_iface, "browserModel", lambda: model, raising=False)
    return qgis_iface


@pytest.fixture
def challenge_layers(tmp_path, dialog_iface):
    layers = []
    for name, text in (("heads", CHALLENGE_LEVELS), ("forcing", CHALLENGE_FORCING)):
        path = tmp_path / f"{name}.csv"
        path.write_text(text)
        layer = QgsVectorLayer(f"file://{path}?type=csv&geomType=none", name, "delimitedtext")
        assert layer.isValid()
        layers.append(layer)
    QgsProject.instance().addMapLayers(layers)
    yield layers
    QgsProject.instance().removeMapLayers([layer.id() for layer in layers])


@pytest.fixture
def provider(qgis_processing):
    from groundwater_lstm.processing.provider import GroundwaterLstmProvider

    registry = QgsApplication.processingRegistry()
    found = registry.providerById("groundwaterlstm")
    if found is not None:
        yield found
        return
    provider = GroundwaterLstmProvider()
    registry.addProvider(provider)
    yield provider
    registry.removeProvider(provider)


def context():
    from qgis.core import QgsProcessingContext

    c = QgsProcessingContext()
    c.setProject(QgsProject.instance())
    return c


def settle():
    for _ in range(5):
        QApplication.processEvents()


def field_values(dialog):
    wrappers = dialog.mainWidget().wrappers
    return {k: wrappers[k].parameterValue() for k in EXPECTED}


def test_the_dialog_picks_challenge_style_fields_by_name(provider, challenge_layers):
    import processing

    levels, forcing = challenge_layers
    dialog = processing.createAlgorithmDialog("groundwaterlstm:trainwells", {})
    try:
        dialog.show()
        settle()
        panel = dialog.mainWidget()
        for name, layer in (("LEVELS", levels), ("FORCING", forcing)):  # as a user choosing the tables
            panel.wrappers[name].setParameterValue(layer.id(), context())
        settle()
        got = field_values(dialog)
        assert {k: got.get(k) for k in EXPECTED} == EXPECTED
        # the user's own choice is kept, and a field the user empties stays empty until the table changes
        panel.wrappers["TEMP_FIELD"].setParameterValue("tx", context())
        panel.wrappers["RIVER_FIELD"].setParameterValue(None, context())
        settle()
        got = field_values(dialog)
        assert got["TEMP_FIELD"] == "tx" and got["RIVER_FIELD"] in (None, "")
    finally:
        dialog.close()
        dialog.deleteLater()
        settle()
