"""The plugin's GUI hooks with pytest-qgis's iface: toolbar button and menu entries in, and out again."""
from unittest import mock

import pytest
from qgis.core import QgsApplication


@pytest.fixture
def spy_iface(qgis_iface, monkeypatch):
    for name in ("addToolBarIcon", "removeToolBarIcon", "addPluginToMenu", "removePluginMenu",
                 "addDockWidget", "removeDockWidget"):
        monkeypatch.setattr(qgis_iface, name, mock.Mock(name=name))
    return qgis_iface


def test_init_gui_adds_and_unload_removes(spy_iface):
    from groundwater_lstm import classFactory

    plugin = classFactory(spy_iface)
    # provider registration is the processing tier's business; a second registration here would remove the
    # session provider (removeProvider goes by id) when this test runs after the processing tests
    plugin.initProcessing = lambda: None
    registry = QgsApplication.processingRegistry()
    had = registry.providerById("groundwaterlstm")
    plugin.initGui()
    try:
        gui = plugin.inspector
        assert gui is not None and gui.action is not None
        spy_iface.addToolBarIcon.assert_called_once_with(gui.action)
        menu_actions = [c.args[1] for c in spy_iface.addPluginToMenu.call_args_list]
        assert menu_actions == [gui.action, gui.installer_action]
        assert all(c.args[0] == "&Groundwater LSTM" for c in spy_iface.addPluginToMenu.call_args_list)
        assert not gui.action.icon().isNull() and gui.action.text() == "Well inspector"

        gui.action.trigger()  # the toolbar button opens the dock
        assert gui.dock is not None and not gui.dock.isHidden() and gui.action.isChecked()
        spy_iface.addDockWidget.assert_called_once()
        gui.action.trigger()
        assert gui.dock.isHidden() and not gui.action.isChecked()
        action = gui.action
    finally:
        plugin.unload()
    assert plugin.inspector is None
    spy_iface.removeToolBarIcon.assert_any_call(action)
    removed = [c.args[1] for c in spy_iface.removePluginMenu.call_args_list]
    assert action in removed and len(removed) == 2
    spy_iface.removeDockWidget.assert_called_once()
    assert registry.providerById("groundwaterlstm") is had  # untouched
