"""groundwaterlstm:explaindrivers — expected gradients per freeze-thaw period, dominant drivers per well."""
from qgis.core import (
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
)

from ..core.errors import Canceled
from . import compat
from . import params
from .algorithm import GroundwaterAlgorithm, core_callbacks
from .qgis_io import StreamedTable, WellsLayout, source_to_frame, write_wells
from .terms import core_log

SPANS = ["test", "all"]
EXPLAIN_HELP = (
    "Explains every well's model with expected gradients (captum's GradientShap with no noise): for sampled "
    "days of each freezing, thawing and unfrozen period, how much each driver moved the simulated level "
    "against baselines drawn from the same well's training windows. Derived inputs count for the driver they "
    "come from: snow store, snowmelt and liquid water input half for precipitation and half for temperature; "
    "frost index and Oudin evaporation for temperature; rolling means for their driver; day of year for "
    "'season' (reported, never dominant).\n\n"
    "Periods come from the PERIODS table (from Freeze-thaw calendar, maybe edited) or, without it, from each "
    "well's air temperature.\n\n"
    "Outputs: the wells with dom_drv (dominant driver overall), dom_frz, dom_thw, dom_unf (per period; a role "
    "name such as precip, temp, pet, river, pumping, or an other driver's field name; empty where the "
    "explained span has no day of that period; two names, as 'pumping|pet', where the period is ambiguous: the "
    "winner leads the runner-up by less than a tenth of its share, or two halves of the explained days name "
    "different winners, so the data cannot tell the two drivers apart), sh_<driver> (each driver's share of "
    "the absolute attribution, 0-1), eg_qual (agreement of two independent halves of the draws, 0-1: near 1 means stable); the "
    "attribution table (well_id, period, driver, mean_signed and mean_abs in m, share, and per period margin "
    "(the winner's lead over the runner-up, 0-1), mbr_agree (the share of ensemble members that name the same "
    "winner) and ambiguous (1 or 0)); and optionally the "
    "attribution by lag day for the report.\n\n"
    "Models trained with BASELINE are checked against their Pastas model, whose contributions are exact: per "
    "period, tfn_stress (the Pastas stress a driver falls in: recharge for precipitation, evaporation and "
    "temperature, river, pumping), tfn_share (that stress's share of the Pastas contributions) and tfn_agree (the "
    "overlap of the two splits, 0-1) on the attribution rows; tfn_agree (mean over the periods) and tfn_differ "
    "(the periods whose dominant stress differs) on the wells.\n\n"
    "N_SAMPLES is the number of draws behind each period-and-winter mean; DAYS_PER_PERIOD the days explained "
    "per period and winter (0: all); SPAN the test split (default) or every day."
)


def add_explain_params(alg):
    alg.addParameter(QgsProcessingParameterFeatureSource(
        "PERIODS", alg.tr("Freeze-thaw calendar (optional; from Freeze-thaw calendar)"),
        [compat.SOURCE_ANY_VECTOR], optional=True))
    for name, label, default, minimum in (("N_SAMPLES", "Expected-gradient draws per period and winter", 200, 1),
                                          ("DAYS_PER_PERIOD", "Days explained per period and winter (0: all)",
                                           60, 0)):
        p = QgsProcessingParameterNumber(name, alg.tr(label), compat.NUMBER_INTEGER, default,
                                         minValue=minimum)
        compat.advanced(p)
        alg.addParameter(p)
    p = QgsProcessingParameterEnum("SPAN", alg.tr("Days to explain"), SPANS, defaultValue=0)
    compat.advanced(p)
    alg.addParameter(p)


def explain_config(alg, parameters, context):
    from ..core.explanation.config import ExplainConfig

    return ExplainConfig(n_samples=alg.parameterAsInt(parameters, "N_SAMPLES", context),
                         days_per_period=alg.parameterAsInt(parameters, "DAYS_PER_PERIOD", context),
                         span=SPANS[alg.parameterAsEnum(parameters, "SPAN", context)],
                         seed=alg.parameterAsInt(parameters, "SEED", context) if "SEED" in parameters else 0)


def read_periods(alg, parameters, context, feedback):
    if not parameters.get("PERIODS"):
        return None
    source = alg.parameterAsSource(parameters, "PERIODS", context)
    if source is None:
        return None
    frame = source_to_frame(source, None, feedback)
    return frame.drop(columns=[c for c in ("fid",) if c in frame.columns])


class ExplainDrivers(GroundwaterAlgorithm):
    NAME = "explaindrivers"
    DISPLAY = "Explain drivers (expected gradients per freeze-thaw period)"
    GROUP = "explain"
    HELP = EXPLAIN_HELP
    REQUIRES = ("numpy", "pandas", "torch", "captum")

    def initAlgorithm(self, config=None):  # noqa: N802
        params.add_wells(self)
        self.addParameter(QgsProcessingParameterFile(
            "MODEL_FOLDER", self.tr("Model folder (from Train well models)"), compat.FILE_FOLDER))
        params.add_forcing(self)
        add_explain_params(self)
        p = QgsProcessingParameterNumber("SEED", self.tr("Random seed"), compat.NUMBER_INTEGER, 0,
                                         minValue=0)
        compat.advanced(p)
        self.addParameter(p)
        params.add_cluster(self)
        add_explain_outputs(self)

    def execute(self, parameters, context, feedback):
        tables = ExplanationTables(self, parameters, context, feedback)
        with params.cluster(self, parameters, context, feedback) as executor:
            source, id_field, wells, result, skipped = self.explain(parameters, context, feedback, executor, tables)
        return write_explanation(self, parameters, context, feedback, source, id_field, wells, result, skipped,
                                 tables)

    def explain(self, parameters, context, feedback, executor, tables):
        from ..core import pipeline

        source, id_field, wells = params.read_wells(self, parameters, context, feedback)
        forcing, roles, f_id, f_date = params.read_forcing(self, parameters, context, feedback)
        calendar = read_periods(self, parameters, context, feedback)
        folder = self.parameterAsFile(parameters, "MODEL_FOLDER", context)
        progress, is_canceled = core_callbacks(feedback, 0, 95)
        result, skipped = pipeline.explain_folder(
            folder, wells, forcing, roles, explain_config(self, parameters, context), forcing_id_col=f_id,
            forcing_date_col=f_date, calendar=calendar, executor=executor, log=core_log(feedback),
            progress=progress, is_canceled=is_canceled, nodata=params.read_nodata(self, parameters, context),
            on_explained=tables.write)
        return source, id_field, wells, result, skipped


def add_explain_outputs(alg):
    alg.addParameter(QgsProcessingParameterFeatureSink(
        "OUTPUT", alg.tr("Wells with dominant drivers"), compat.SOURCE_POINT))
    alg.addParameter(QgsProcessingParameterFeatureSink(
        "ATTRIBUTION", alg.tr("Attribution per well, period and driver"), compat.SOURCE_ANY_VECTOR))
    alg.addParameter(QgsProcessingParameterFeatureSink(
        "LAGS", alg.tr("Attribution by lag day"), compat.SOURCE_ANY_VECTOR, optional=True, createByDefault=False))


def explanation_fields(result, well_ids, skipped):
    """The explanation's well fields for every well (empty where a well was not explained)."""
    import pandas as pd

    table = result.wells.copy()
    missing = [w for w in well_ids if w not in set(table["well_id"])]
    if missing:
        table = pd.concat([table, pd.DataFrame({"well_id": missing})], ignore_index=True)
    return table


class ExplanationTables:
    """The ATTRIBUTION table (and LAGS, when asked for) written a well at a time, as the wells are explained."""

    def __init__(self, alg, parameters, context, feedback):
        self.attribution = StreamedTable(alg, parameters, "ATTRIBUTION", context, feedback)
        self.lags = StreamedTable(alg, parameters, "LAGS", context, feedback) if parameters.get("LAGS") else None

    def write(self, _well, explanation):
        self.attribution.write(explanation.attribution)
        if self.lags is not None:
            self.lags.write(explanation.lags)

    def finish(self):
        """{output: destination} of both tables (LAGS None when it was not asked for)."""
        import pandas as pd

        from ..core.explanation.config import ATTRIBUTION_COLUMNS, LAG_COLUMNS

        return {"ATTRIBUTION": self.attribution.finish(pd.DataFrame(columns=ATTRIBUTION_COLUMNS)),
                "LAGS": None if self.lags is None else self.lags.finish(pd.DataFrame(columns=LAG_COLUMNS))}


def write_explanation(alg, parameters, context, feedback, source, id_field, wells, result, skipped, tables):
    """The wells with their explanation fields; ``tables`` (ExplanationTables) took the attribution tables as
    the wells ended."""
    if feedback.isCanceled():
        raise Canceled()
    outputs = {}
    table = explanation_fields(result, list(wells["well_id"]), skipped)
    layout = WellsLayout(source.fields(), table, log=feedback.pushInfo)
    sink, outputs["OUTPUT"] = alg.create_sink(parameters, "OUTPUT", context, layout.fields, source.wkbType(),
                                              source.sourceCrs())
    if not write_wells(source, id_field, table, sink, layout, feedback):
        raise Canceled()
    outputs.update(tables.finish())
    n = len(result.explanations)
    feedback.pushInfo(f"Explained {n} wells in {result.seconds:.0f} s; {len(skipped)} not explained.")
    if n:
        counts = table["dom_drv"].value_counts()
        feedback.pushInfo("Dominant drivers: " + ", ".join(f"{d} {c}" for d, c in counts.items()))
    return outputs
