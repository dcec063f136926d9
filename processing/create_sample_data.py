"""groundwaterlstm:createsampledata — the synthetic freeze-thaw aquifer as wells, levels and forcing."""
import dataclasses

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterNumber,
)

from ..core.errors import Canceled
from . import compat
from .algorithm import GroundwaterAlgorithm, core_callbacks
from .qgis_io import fields_for, point_geometry, write_frame


class CreateSampleData(GroundwaterAlgorithm):
    NAME = "createsampledata"
    DISPLAY = "Create sample well network (synthetic freeze-thaw aquifer)"
    GROUP = "data"
    HELP = (
        "Simulates a network of monitoring wells in a seasonally frozen plain like the Songnen Plain (NE China) "
        "with a physically based daily groundwater model: snow and degree-day melt, frozen soil that blocks "
        "infiltration, upward water movement into the frozen layer in winter and its return at thaw, recharge "
        "through a soil store, evaporation from the water table, drainage to a river and irrigation pumping. "
        "The truth is kept so that training and explanation can be checked: each well's true dynamics type "
        "(true_type) and, for the freezing, thawing and unfrozen periods, the dominant driver found by "
        "counterfactual runs (true_frz, true_thw, true_unf: precip, temp, pet, river or pumping).\n\n"
        "Outputs: the wells (points, EPSG:4326, field well_id), the observed levels (table: well_id, date, "
        "level in m, with noise, gaps and weekly readings as real networks have them) and the forcing "
        "(table: well_id, date, precip mm/day, temp degC, pet mm/day, river stage m, pumping m3/day). "
        "Their column names are the defaults of the training algorithms. The wells also carry site, depth_m, "
        "reading (daily, 5-day or weekly), n_readings and ground_m; the simulator's own parameters are left out "
        "(core.hydrology.synthetic.create_network returns them).\n\n"
        "The same seed always gives the same network.\n\n"
        "Drivers that move together (advanced): the hard case of irrigated, seasonally frozen plains, where "
        "pumping follows the growing season and its water deficit (varying from year to year) and potential "
        "evaporation follows temperature and radiation alone, so that pumping, evaporation and frost share one "
        "calendar. The explanation then marks the periods it cannot decide as ambiguous ('pumping|pet')."
    )

    WELLS = "WELLS"
    YEARS = "YEARS"
    SEED = "SEED"
    DRIVERS_TOGETHER = "DRIVERS_TOGETHER"
    WELLS_OUTPUT = "WELLS_OUTPUT"
    LEVELS_OUTPUT = "LEVELS_OUTPUT"
    FORCING_OUTPUT = "FORCING_OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterNumber(
            self.WELLS, self.tr("Number of wells (split evenly over the three dynamics types)"),
            compat.NUMBER_INTEGER, 24, minValue=3, maxValue=1000))
        self.addParameter(QgsProcessingParameterNumber(
            self.YEARS, self.tr("Years of daily data"), compat.NUMBER_INTEGER, 12,
            minValue=3, maxValue=100))
        self.addParameter(QgsProcessingParameterNumber(
            self.SEED, self.tr("Random seed"), compat.NUMBER_INTEGER, 42, minValue=0))
        together = QgsProcessingParameterBoolean(
            self.DRIVERS_TOGETHER, self.tr("Drivers that move together (irrigation on the growing season, "
                                           "evaporation from temperature)"), False)
        compat.advanced(together)
        self.addParameter(together)
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.WELLS_OUTPUT, self.tr("Sample wells"), compat.SOURCE_POINT))
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.LEVELS_OUTPUT, self.tr("Sample groundwater levels"), compat.SOURCE_ANY_VECTOR))
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.FORCING_OUTPUT, self.tr("Sample forcing (drivers)"), compat.SOURCE_ANY_VECTOR))

    def execute(self, parameters, context, feedback):
        from ..core.hydrology import synthetic

        n_wells = self.parameterAsInt(parameters, self.WELLS, context)
        years = self.parameterAsInt(parameters, self.YEARS, context)
        seed = self.parameterAsInt(parameters, self.SEED, context)
        progress, _ = core_callbacks(feedback, 0, 40)
        feedback.setProgressText(f"Simulating {n_wells} wells over {years} years (seed {seed})")
        together = self.parameterAsBoolean(parameters, self.DRIVERS_TOGETHER, context)
        net = synthetic.create_network(wells=n_wells, years=years, seed=seed, drivers_together=together)
        progress(1.0)

        # the simulator's parameters stay in the core (``net.wells``) for study; the layer keeps what a
        # monitoring network has (site, depth, reading interval, ground elevation) and the truth
        simulator = [f.name for f in dataclasses.fields(synthetic.AquiferParams) if f.name != "ground_m"]
        wells = net.wells.drop(columns=["x", "y"] + [c for c in simulator if c in net.wells.columns])
        crs = QgsCoordinateReferenceSystem(net.crs)
        outputs = {}
        w_fields = fields_for(wells)
        sink, outputs[self.WELLS_OUTPUT] = self.create_sink(
            parameters, self.WELLS_OUTPUT, context, w_fields, compat.WKB_POINT, crs)
        geoms = [point_geometry(x, y) for x, y in zip(net.wells["x"], net.wells["y"])]
        write_frame(wells, sink, w_fields, feedback, geometries=geoms)

        for key, frame, lo, hi in ((self.LEVELS_OUTPUT, net.levels, 40, 60),
                                   (self.FORCING_OUTPUT, net.forcing, 60, 100)):
            fields = fields_for(frame)
            sink, outputs[key] = self.create_sink(parameters, key, context, fields)
            step, _ = core_callbacks(feedback, lo, hi)
            if not write_frame(frame, sink, fields, feedback, progress=step):
                raise Canceled()
        feedback.pushInfo(
            f"Created {len(net.wells)} wells ({', '.join(f'{n} {t}' for t, n in net.wells['true_type'].value_counts().sort_index().items())}), "
            f"{len(net.levels)} level readings and {len(net.forcing)} forcing rows.")
        return outputs
