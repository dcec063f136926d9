"""QGIS entry point. Imports nothing heavy: no torch, no qgis at module level."""


def classFactory(iface):  # noqa: N802 (QGIS's name)
    from .plugin.plugin import GroundwaterLstmPlugin

    return GroundwaterLstmPlugin(iface)
