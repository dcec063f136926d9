"""The Processing provider `groundwaterlstm`: one algorithm per module, ids hard-coded in each class."""
from pathlib import Path

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

ICON = str(Path(__file__).resolve().parents[1] / "icon.svg")


def algorithm_classes():
    # Imported here, not at module level: every algorithm module imports only qgis and the light core, so
    # the provider loads even when torch is missing.
    from .analyse_wells import AnalyseWells
    from .classify_dynamics import ClassifyDynamics
    from .create_sample_data import CreateSampleData
    from .explain_drivers import ExplainDrivers
    from .freeze_thaw import FreezeThaw
    from .sample_forcing import SampleForcing
    from .simulate_levels import SimulateLevels
    from .train_wells import TrainWells
    from .style_wells import StyleWells
    from .well_report import WellReport

    return [CreateSampleData, SampleForcing, TrainWells, SimulateLevels, FreezeThaw, ExplainDrivers, ClassifyDynamics, AnalyseWells, StyleWells,
            WellReport]


class GroundwaterLstmProvider(QgsProcessingProvider):
    def id(self):
        return "groundwaterlstm"

    def name(self):
        return "Groundwater LSTM"

    def longName(self):  # noqa: N802
        return "Groundwater LSTM: per-well LSTMs, expected-gradient drivers, dynamics types"

    def icon(self):
        return QIcon(ICON)

    def svgIconPath(self):  # noqa: N802
        return ICON

    def loadAlgorithms(self):  # noqa: N802
        for cls in algorithm_classes():
            self.addAlgorithm(cls())
        from .shipped_models import shipped_models  # the .model3 workflows in processing/models

        for model in shipped_models():
            self.addAlgorithm(model)
