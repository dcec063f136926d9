"""The QGIS face of the plugin: keeps the Processing provider alive, and in the GUI says once what is missing."""
from qgis.core import Qgis, QgsApplication, QgsMessageLog

from ..core import dependencies
from ..processing.provider import GroundwaterLstmProvider


class GroundwaterLstmPlugin:
    def __init__(self, iface):
        self.iface = iface  # None under qgis_process
        self.provider = None

    def initProcessing(self):  # noqa: N802 (QGIS's name)
        # qgis_process calls only this; the provider registers even when torch is missing, so that every
        # algorithm can explain what to install instead of the plugin failing to start.
        self.provider = GroundwaterLstmProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802
        self.initProcessing()
        problems = dependencies.missing()
        if problems:
            text = dependencies.message(problems)
            QgsMessageLog.logMessage(text, "Groundwater LSTM", Qgis.Warning)
            if self.iface is not None:
                self.iface.messageBar().pushMessage("Groundwater LSTM", text, Qgis.Warning, 0)

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
