"""groundwaterlstm:classifydynamics — each well's dynamics type from its attribution signature."""
from qgis.core import (
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
)

from ..core.errors import Canceled
from . import compat
from . import params
from .algorithm import GroundwaterAlgorithm
from .qgis_io import WellsLayout, source_to_frame, write_wells
from .terms import core_log

CLASSIFY_HELP = (
    "Classifies every explained well's groundwater dynamics type from its attribution signature: "
    "'extraction' where pumping carries the level (or, without a pumping driver, a sustained decline no climate "
    "driver explains: then the confidence is capped and the note says so); 'infiltration-runoff' where river "
    "stage (drainage) dominates; 'infiltration-evaporation' where evaporation and temperature dominate, with "
    "the level falling in the freezing period and rising in the thawing period; 'undetermined' with the "
    "reason otherwise, and for every well whose model does not follow its level (test NSE below 0: its "
    "attributions describe the model, not the well). A clustering of the signatures (scikit-learn) gives a "
    "second opinion: cluster_ok says whether it agrees.\n\n"
    "Inputs: the wells, the attribution table of Explain drivers, and (recommended) the simulation table of "
    "Train well models for the freeze-thaw level signature and trends.\n\n"
    "Outputs: the wells with dyn_type, dyn_conf (0-1), dyn_note (the evidence or the reason) and cluster_ok."
)


def read_table(alg, parameters, name, context, feedback):
    source = alg.parameterAsSource(parameters, name, context)
    if source is None:
        return None
    frame = source_to_frame(source, None, feedback)
    return frame.drop(columns=[c for c in ("fid",) if c in frame.columns])


def numeric(frame, cols):
    import pandas as pd

    for c in cols:
        if c in frame.columns:
            frame[c] = pd.to_numeric(frame[c], errors="coerce")
    return frame


class ClassifyDynamics(GroundwaterAlgorithm):
    NAME = "classifydynamics"
    DISPLAY = "Classify dynamics types"
    GROUP = "explain"
    HELP = CLASSIFY_HELP
    REQUIRES = ("numpy", "pandas", "sklearn")

    def initAlgorithm(self, config=None):  # noqa: N802
        params.add_wells(self)
        self.addParameter(QgsProcessingParameterFeatureSource(
            "ATTRIBUTION", self.tr("Attribution table (from Explain drivers)"), [compat.SOURCE_ANY_VECTOR]))
        self.addParameter(QgsProcessingParameterFeatureSource(
            "SIMULATION", self.tr("Simulation table (from Train well models; recommended)"),
            [compat.SOURCE_ANY_VECTOR], optional=True))
        self.addParameter(QgsProcessingParameterFeatureSink(
            "OUTPUT", self.tr("Wells with dynamics types"), compat.SOURCE_POINT))
        self.addOutput(QgsProcessingOutputNumber("AGREEMENT", self.tr("Agreement of rules and clustering")))

    def execute(self, parameters, context, feedback):
        import pandas as pd

        from ..core import pipeline
        from ..core.inputs.ids import normalise_id, normalise_ids
        from ..core.inputs.values import parse_dates

        source, id_field, wells = params.read_wells(self, parameters, context, feedback)
        att = numeric(read_table(self, parameters, "ATTRIBUTION", context, feedback),
                      ("mean_signed", "mean_abs", "share", "n_days"))
        att["well_id"] = normalise_ids(att["well_id"])

        known = {normalise_id(w) for w in wells["well_id"]}
        matched = set(att["well_id"].dropna()) & known
        if not matched:
            from ..core.errors import InputError

            raise InputError(
                f"none of the attribution's {att['well_id'].nunique()} well IDs (e.g. "
                f"{', '.join(map(str, list(att['well_id'].dropna().unique())[:3]))}) is a well of the layer (e.g. "
                f"{', '.join(sorted(known)[:3])})", field="ATTRIBUTION",
                fix="give the attribution table of these wells (from Explain drivers), or the right WELL_ID_FIELD")
        unmatched = known - matched
        if unmatched:
            feedback.pushWarning(f"{len(unmatched)} well(s) have no attribution and stay undetermined: "
                                 f"{', '.join(sorted(unmatched)[:5])}")
        sim = None
        if parameters.get("SIMULATION"):
            sim = read_table(self, parameters, "SIMULATION", context, feedback)
            if sim is not None:
                sim = numeric(sim, ("observed", "simulated", "lower", "upper"))
                sim["date"] = parse_dates(sim["date"])
                sim["well_id"] = normalise_ids(sim["well_id"])
        result = pipeline.classify(att, sim, log=core_log(feedback))
        table = result.wells_fields()
        layout = WellsLayout(source.fields(), table, log=feedback.pushInfo)
        sink, dest = self.create_sink(parameters, "OUTPUT", context, layout.fields, source.wkbType(),
                                      source.sourceCrs())
        if not write_wells(source, id_field, table, sink, layout, feedback):
            raise Canceled()
        counts = table["dyn_type"].value_counts()
        feedback.pushInfo("Dynamics types: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
        agreement = float(result.agreement) if pd.notna(result.agreement) else None
        return {"OUTPUT": dest, "AGREEMENT": agreement}
