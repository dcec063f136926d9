"""groundwaterlstm:freezethaw — the freeze-thaw calendar (freezing, thawing, unfrozen) from air temperature."""
from qgis.core import (
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
)

from ..core.errors import Canceled
from ..core.inputs.ids import normalise_ids
from . import compat
from . import params
from .algorithm import GroundwaterAlgorithm
from .qgis_io import fields_for, require_fields, source_to_frame, write_frame


class FreezeThaw(GroundwaterAlgorithm):
    NAME = "freezethaw"
    DISPLAY = "Freeze-thaw calendar"
    GROUP = "explain"
    HELP = (
        "For every winter of every well: the freezing start (the running mean of air temperature over WINDOW "
        "days falls below THRESHOLD °C and stays there for at least MIN_DAYS days), the thawing start (it rises "
        "above the threshold and stays) and the thawing end (the thawing degree-days since the thawing start "
        "reach THAW_FACTOR times the winter's freezing degree-days, after Stefan's relation; or a fixed "
        "THAW_DAYS). Every other day is unfrozen.\n\n"
        "Input: the forcing table (date, air temperature in °C, optionally a well-ID field for per-well "
        "temperature; without it one regional calendar serves all wells, which then need the WELLS layer).\n\n"
        "Output: a table well_id, winter (the year the winter starts), freeze_start, thaw_start, thaw_end that "
        "you may edit (for example from soil-temperature records) and hand to Explain drivers as PERIODS."
    )
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        params.add_forcing_table(self, "Forcing: well ID field (empty: one regional series)")
        self.addParameter(QgsProcessingParameterField(
            "TEMP_FIELD", self.tr("Air temperature field (°C)"), "temp", "FORCING", optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            "WELLS", self.tr("Wells (needed with one regional series)"), [compat.SOURCE_POINT],
            optional=True))
        self.addParameter(QgsProcessingParameterField(
            "WELL_ID_FIELD", self.tr("Well ID field"), "well_id", "WELLS", optional=True))
        for name, label, kind, default, minimum in (
                ("WINDOW", "Running-mean window (days)", compat.NUMBER_INTEGER, 5, 1),
                ("THRESHOLD", "Threshold air temperature (°C)", compat.NUMBER_DOUBLE, 0.0, -50),
                ("MIN_DAYS", "Minimum length of a cold spell (days)", compat.NUMBER_INTEGER, 10, 1),
                ("THAW_FACTOR", "Thawing end: thawing / freezing degree-days", compat.NUMBER_DOUBLE,
                 0.35, 0.0001)):
            p = QgsProcessingParameterNumber(name, self.tr(label), kind, default, minValue=minimum)
            compat.advanced(p)
            self.addParameter(p)
        p = QgsProcessingParameterNumber("THAW_DAYS", self.tr("Thawing period length in days (overrides the "
                                                             "degree-day rule)"),
                                         compat.NUMBER_INTEGER, None, optional=True, minValue=0)
        compat.advanced(p)
        self.addParameter(p)
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT, self.tr("Freeze-thaw calendar"), compat.SOURCE_ANY_VECTOR))

    def execute(self, parameters, context, feedback):
        from ..core.hydrology import periods

        source = self.parameterAsSource(parameters, "FORCING", context)
        cols = {k: (compat.parameter_as_fields(self, parameters, k, context) or [d])[0] for k, d in
                (("FORCING_DATE_FIELD", "date"), ("TEMP_FIELD", "temp"))}
        require_fields(source, cols.values(), "Forcing")
        id_col = (compat.parameter_as_fields(self, parameters, "FORCING_ID_FIELD", context) or [None])[0]
        if id_col and id_col not in source.fields().names():
            if parameters.get("FORCING_ID_FIELD") not in (None, "well_id"):
                require_fields(source, [id_col], "Forcing")
            id_col = None
        frame = source_to_frame(source, [c for c in (id_col, cols["FORCING_DATE_FIELD"], cols["TEMP_FIELD"]) if c],
                                feedback)
        frame = frame.rename(columns={cols["FORCING_DATE_FIELD"]: "date"})
        from ..core.inputs.values import parse_dates, parse_numbers

        frame["date"] = parse_dates(frame["date"])
        frame[cols["TEMP_FIELD"]], _bad = parse_numbers(frame[cols["TEMP_FIELD"]])
        well_ids = None
        if id_col is None:
            wells = self.parameterAsSource(parameters, "WELLS", context)
            if wells is None:
                from ..core.errors import InputError
                raise InputError("one regional temperature series needs the wells to give it to", field="WELLS",
                                 fix="choose the wells layer, or the forcing's well-ID field")
            wid = (compat.parameter_as_fields(self, parameters, "WELL_ID_FIELD", context) or ["well_id"])[0]
            require_fields(wells, [wid], "Wells")
            well_ids = list(normalise_ids(source_to_frame(wells, [wid])[wid]))
        thaw_days = parameters.get("THAW_DAYS")
        config = periods.PeriodConfig(
            window=self.parameterAsInt(parameters, "WINDOW", context),
            threshold=self.parameterAsDouble(parameters, "THRESHOLD", context),
            min_days=self.parameterAsInt(parameters, "MIN_DAYS", context),
            thaw_factor=self.parameterAsDouble(parameters, "THAW_FACTOR", context),
            thaw_days=None if thaw_days in (None, "") else self.parameterAsInt(parameters, "THAW_DAYS", context))
        config.check()
        cal = periods.network_calendar(frame, cols["TEMP_FIELD"], id_col, well_ids, config)
        fields = fields_for(cal)
        sink, dest = self.create_sink(parameters, self.OUTPUT, context, fields)
        if not write_frame(cal, sink, fields, feedback):
            raise Canceled()
        feedback.pushInfo(f"{len(cal)} winters for {cal['well_id'].nunique() if len(cal) else 0} wells.")
        return {self.OUTPUT: dest}
