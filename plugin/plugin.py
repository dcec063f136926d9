"""The QGIS face of the plugin: keeps the Processing provider alive, and in the GUI says once what is missing."""
from qgis.core import QgsApplication, QgsMessageLog

from ..processing import dependencies
from ..processing.provider import GroundwaterLstmProvider
from ..processing import compat
from . import installer


class GroundwaterLstmPlugin:
    def __init__(self, iface):
        self.iface = iface  # None under qgis_process
        self.provider = None
        self.inspector = None
        installer.use_dependencies_dir()  # packages the installer put into the profile come first on sys.path

    def initProcessing(self):  # noqa: N802 (QGIS's name)
        # qgis_process calls only this; the provider registers even when torch is missing, so that every
        # algorithm can explain what to install instead of the plugin failing to start.
        self.provider = GroundwaterLstmProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802
        self.initProcessing()
        if self.iface is not None:
            from .inspector import InspectorGui

            self.inspector = InspectorGui(self.iface)  # toolbar button + menu entries
            self.inspector.init_gui()
        problems = dependencies.missing()
        if problems:
            text = dependencies.message(problems)
            QgsMessageLog.logMessage(text, "Groundwater LSTM", compat.MESSAGE_WARNING)
            if self.iface is not None:
                installer.push_missing_message(self.iface, text, problems)  # with an "Install packages…" button

    def unload(self):
        if self.inspector is not None:
            self.inspector.unload()
            self.inspector = None
        installer.close_installer()
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
