"""groundwaterlstm:stylewells — the dynamics-type map style (and the test-NSE style) on a wells layer."""
from qgis.core import (
    QgsProcessingException,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterVectorLayer,
)

from . import compat
from . import styling
from .algorithm import GroundwaterAlgorithm


class StyleWells(GroundwaterAlgorithm):
    NAME = "stylewells"
    DISPLAY = "Style wells by dynamics type"
    GROUP = "report"
    HELP = (
        "Styles a wells layer that carries the fields of Classify dynamics (or Analyse wells): one colour per "
        "groundwater dynamics type (dyn_type; colour-blind safe: blue precipitation infiltration\u2013evaporation, "
        "bluish green precipitation infiltration\u2013runoff, vermillion extraction, grey undetermined, light grey "
        "for skipped wells), the symbol growing with the test NSE (nse_test, 0 to 1) and the well id (well_id) as "
        "label. A second style, graduated by the test NSE, is stored beside it, and where the wells carry "
        "lstm_gain (trained with BASELINE) a third, \"where does the LSTM win\": diverging colours by the LSTM's "
        "test NSE minus that of the Pastas model (purple: LSTM better, orange: Pastas better, white: within 0.05; "
        "<name>_gain.qml beside a shapefile).\n\n"
        "The styles are also saved into the layer's file, so the layer opens styled anywhere: in a GeoPackage "
        "the dynamics style becomes the table's default style and the NSE style is stored by name (Layer "
        "Properties \u203a Style \u203a Load Style \u203a From database); beside a shapefile as <name>.qml (loaded by "
        "default) and <name>_nse.qml. A memory layer is styled but nothing is saved.\n\n"
        "Output: the same layer, styled."
    )

    INPUT = "INPUT"
    OUTPUT = "OUTPUT"

    def flags(self):
        # the layer may be one of the project's: change its renderer in the main thread only
        return super().flags() | compat.ALG_NO_THREADING

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterVectorLayer(
            self.INPUT, self.tr("Wells with dynamics types (field dyn_type; nse_test and well_id are used when "
                                "present)"), [compat.SOURCE_POINT]))
        self.addOutput(QgsProcessingOutputVectorLayer(self.OUTPUT, self.tr("Styled wells")))

    def checkParameterValues(self, parameters, context):  # noqa: N802
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        layer = self.parameterAsVectorLayer(parameters, self.INPUT, context)
        if layer is not None:
            problem = styling.check_fields(layer)
            if problem:
                return False, problem
        return True, ""

    def execute(self, parameters, context, feedback):
        layer = self.parameterAsVectorLayer(parameters, self.INPUT, context)
        if layer is None:
            raise QgsProcessingException("The wells layer could not be loaded (INPUT).")
        problem = styling.check_fields(layer)
        if problem:
            raise QgsProcessingException(problem)
        feedback.setProgress(10)
        try:
            result = styling.apply_and_persist(layer, feedback)
        except ValueError as exc:
            raise QgsProcessingException(str(exc)) from None
        feedback.setProgress(100)
        value = layer.source() if result["storage"] in ("database", "qml") else layer.id()
        return {self.OUTPUT: value}
