"""groundwaterlstm:sampleforcing — gridded climate stacks (NetCDF, GeoTIFF, GRIB) sampled at the wells as the
daily forcing table the training expects.

The algorithm only: its parameters, the checks before the run and the steps of the run. Each raster is a
RasterStack (raster_stack.py: opened, located at the wells, read with GDAL); everything that decides what a number
means (CF attributes, time axes, units, deaccumulation, daily aggregation, interpolation weights) is in
``core/inputs/gridded``.
"""
import numpy as np
from qgis.core import (
    QgsFeatureRequest,
    QgsPointXY,
    QgsProcessingException,
    QgsProcessingParameterCrs,
    QgsProcessingParameterDateTime,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
)

from ..core.errors import Canceled, GroundwaterError, InputError
from ..core.inputs import gridded
from ..core.inputs.ids import normalise_id
from . import compat
from .algorithm import GroundwaterAlgorithm
from .qgis_io import fields_for, require_fields, to_python, write_frame
from .raster_stack import ROLE_TEXT, RasterStack


class SampleForcing(GroundwaterAlgorithm):
    NAME = "sampleforcing"
    DISPLAY = "Sample gridded forcing at wells (ERA5-Land, CMFD, NetCDF/GeoTIFF stacks)"
    GROUP = "data"
    HELP = (
        "Turns gridded climate data into the daily forcing table the training expects: for every well and day, "
        "precip (mm/day), temp (degC), pet (mm/day, when an evaporation raster is given) and one column per "
        "other driver.\n\n"
        "Each raster is a stack with one band per time step (a NetCDF variable such as NETCDF:\"era5.nc\":tp, a "
        "multi-band GeoTIFF, a GRIB file). The time of each band is read from the file (the NetCDF time "
        "dimension with its units and calendar as GDAL reports them, also kept in GeoTIFFs made with "
        "gdal_translate; GRIB valid times; band names that are dates) or given as a start date and a step in "
        "hours. All rasters must share the same time axis (band i is the same time everywhere); join monthly or "
        "yearly downloads into one file first (cdo mergetime). Time stamps are UTC; a UTC offset (advanced) "
        "shifts the day boundaries to local time (e.g. +8 for China). In qgis_process and scripts QGIS 3.22 "
        "opens a NetCDF file by its path only when it holds one variable: extract the variable first "
        "(gdal_translate -of netCDF NETCDF:\"era5.nc\":tp tp.nc), or pass a layer loaded in the project.\n\n"
        "Unit presets (each states exactly what it assumes):\n"
        "- ERA5-Land (hourly product 'reanalysis-era5-land'): tp and pev in metres of water ACCUMULATED SINCE "
        "00 UTC; the value stamped 00 UTC closes the previous day. Sub-daily steps are differenced back to "
        "step amounts (the accumulation restarts after 00 UTC), each step is assigned to the day in which it "
        "starts, and the day's amounts are summed and x1000 to mm. 24-hour steps are taken as daily totals "
        "in metres, the 00 UTC value of day d+1 being the total of day d (ECMWF's rule). pev is negative for "
        "evaporation: PET = -pev x 1000 mm/day, daily values below 0 (condensation) set to 0. t2m in K: "
        "degC = K - 273.15, daily mean of the steps 00..23.\n"
        "- ERA5 hourly (single levels): tp and pev in metres over the hour ending at the time stamp (not "
        "accumulated); otherwise as ERA5-Land.\n"
        "- CMFD: prec in mm/hr, the mean rate over the 3 hours ending at the time stamp; daily total = mean "
        "rate x 24 (= sum of rate x step hours). An evaporation raster is taken the same way (mm/hr). temp in "
        "K, instantaneous: daily mean - 273.15.\n"
        "- mm/day and degC: no conversion; fluxes are rates in mm/day stamped with the start of their "
        "interval (a daily grid's band for day d is day d); sub-daily rates are averaged.\n"
        "Sub-daily steps become days: fluxes summed (as amounts), temperature averaged. A day needs all of its "
        "steps: incomplete days at either end are dropped (logged), missing steps inside make the day NaN. "
        "The 'Time stamp of flux values' option overrides a preset's convention. Other drivers keep their own "
        "units (daily mean, or sum when chosen). The log warns when values look like the wrong unit "
        "(kelvin as degC, metres as mm) or when the file's units attribute disagrees with the preset.\n\n"
        "Sampling: nearest cell, or bilinear between the four surrounding cell centres. Fill values and nodata "
        "(_FillValue, missing_value, valid_range, NaN) are never used as data: bilinear uses the valid "
        "neighbours only; a day without any valid value is NaN and the log lists those date ranges per well. "
        "Packed values (scale_factor, add_offset) are unpacked. Wells in another CRS are transformed to each "
        "grid's CRS; a grid without a CRS takes the 'CRS of grids without one' (advanced), or EPSG:4326 when "
        "its NetCDF coordinates are latitude/longitude (degrees_north/degrees_east, as in ERA5 and CMFD files). "
        "A well outside a grid, or whose cells hold no valid value at all (e.g. sea cells of ERA5-Land), is "
        "skipped and named; the others go on.\n\n"
        "Output: a table without geometry: well_id, date, precip, temp[, pet][, other drivers], ready for "
        "'Train well models' (trainwells) with its default field names, also inside a graphical model."
    )

    WELLS = "WELLS"
    WELL_ID_FIELD = "WELL_ID_FIELD"
    PRECIP_RASTER = "PRECIP_RASTER"
    TEMP_RASTER = "TEMP_RASTER"
    EVAP_RASTER = "EVAP_RASTER"
    OTHER_RASTERS = "OTHER_RASTERS"
    UNITS = "UNITS"
    TIME_SOURCE = "TIME_SOURCE"
    START_DATE = "START_DATE"
    STEP_HOURS = "STEP_HOURS"
    INTERPOLATION = "INTERPOLATION"
    UTC_OFFSET = "UTC_OFFSET"
    FLUX_LABEL = "FLUX_LABEL"
    OTHER_AGGREGATION = "OTHER_AGGREGATION"
    GRID_CRS = "GRID_CRS"
    FORCING_OUTPUT = "FORCING_OUTPUT"

    UNIT_OPTIONS = ("ERA5-Land (tp, pev in m accumulated since 00 UTC; t2m in K)",
                    "ERA5 hourly single levels (tp, pev in m per hour; t2m in K)",
                    "CMFD (prec in mm/hr; temp in K)",
                    "mm/day and degC (no conversion)")
    TIME_OPTIONS = ("From the file (NetCDF time dimension, GRIB valid time, dated band names)",
                    "From the start date and step below")
    INTERP_OPTIONS = ("Nearest cell", "Bilinear (valid neighbours only)")
    LABEL_OPTIONS = ("As the unit preset says", "End of the interval (ECMWF, CMFD)", "Start of the interval")
    AGG_OPTIONS = ("Daily mean", "Daily sum")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.WELLS, self.tr("Wells"), [compat.SOURCE_POINT]))
        self.addParameter(QgsProcessingParameterField(
            self.WELL_ID_FIELD, self.tr("Well ID field"), "well_id", self.WELLS, optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.PRECIP_RASTER, self.tr("Precipitation stack (one band per time step)")))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.TEMP_RASTER, self.tr("Air temperature stack")))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.EVAP_RASTER, self.tr("Potential evaporation stack [optional]"), optional=True))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.OTHER_RASTERS, self.tr("Other driver stacks (a column named after each layer) [optional]"),
            compat.SOURCE_RASTER, optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            self.UNITS, self.tr("Units of the grids"), list(self.UNIT_OPTIONS), defaultValue=0))
        assert len(self.UNIT_OPTIONS) == len(gridded.PRESETS)
        self.addParameter(QgsProcessingParameterEnum(
            self.TIME_SOURCE, self.tr("Time of each band"), list(self.TIME_OPTIONS), defaultValue=0))
        self.addParameter(QgsProcessingParameterDateTime(
            self.START_DATE, self.tr("Time of the first band (UTC) [when not read from the file]"),
            compat.DATETIME_DATETIME, optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.STEP_HOURS, self.tr("Hours between bands [when not read from the file]"),
            compat.NUMBER_DOUBLE, 24.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterEnum(
            self.INTERPOLATION, self.tr("Interpolation"), list(self.INTERP_OPTIONS), defaultValue=1))
        advanced = [
            QgsProcessingParameterNumber(
                self.UTC_OFFSET, self.tr("UTC offset of the local day, hours (e.g. 8 for Beijing time)"),
                compat.NUMBER_DOUBLE, 0.0, minValue=-14.0, maxValue=14.0),
            QgsProcessingParameterEnum(
                self.FLUX_LABEL, self.tr("Time stamp of flux values (precipitation, evaporation)"),
                list(self.LABEL_OPTIONS), defaultValue=0),
            QgsProcessingParameterEnum(
                self.OTHER_AGGREGATION, self.tr("Other drivers: sub-daily steps to days by"),
                list(self.AGG_OPTIONS), defaultValue=0),
            QgsProcessingParameterCrs(
                self.GRID_CRS, self.tr("CRS of grids without one"), optional=True),
        ]
        for p in advanced:
            compat.advanced(p)
            self.addParameter(p)
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.FORCING_OUTPUT, self.tr("Forcing table (well_id, date, precip, temp, pet, ...)"),
            compat.SOURCE_ANY_VECTOR))

    # -- checks before the run -------------------------------------------------------------------------------------
    def checkParameterValues(self, parameters, context):  # noqa: N802
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        try:
            self._prepare(parameters, context)
        except (GroundwaterError, QgsProcessingException) as exc:
            return False, str(exc)
        return True, ""

    def _options(self, parameters, context):
        opts = {
            "preset": gridded.PRESETS[self.parameterAsEnum(parameters, self.UNITS, context)],
            "from_file": self.parameterAsEnum(parameters, self.TIME_SOURCE, context) == 0,
            "method": ("nearest", "bilinear")[self.parameterAsEnum(parameters, self.INTERPOLATION, context)],
            "utc_offset": self.parameterAsDouble(parameters, self.UTC_OFFSET, context),
            "label": (None, "end", "start")[self.parameterAsEnum(parameters, self.FLUX_LABEL, context)],
            "other_how": ("mean", "sum")[self.parameterAsEnum(parameters, self.OTHER_AGGREGATION, context)],
            "step_hours": self.parameterAsDouble(parameters, self.STEP_HOURS, context),
            "start": None,
            "grid_crs": self.parameterAsCrs(parameters, self.GRID_CRS, context),
        }
        if not opts["from_file"]:
            start = self.parameterAsDateTime(parameters, self.START_DATE, context)
            if start is None or not start.isValid():
                raise InputError("the time source is 'start date and step' but no start date is given",
                                 field=self.START_DATE,
                                 fix="give the time of the first band (for example 2000-01-01T00:00:00), or read "
                                     "the time from the file")
            opts["start"] = start.toPyDateTime().replace(tzinfo=None)
            if not opts["step_hours"] > 0:
                raise InputError("the step between bands must be more than 0 hours", field=self.STEP_HOURS,
                                 fix="24 for daily grids, 1 for hourly, 3 for CMFD")
        return opts

    def _prepare(self, parameters, context):
        """Everything that needs no pixel: wells field, rasters readable, CRSs, time axes, one axis for all."""
        source = self.parameterAsSource(parameters, self.WELLS, context)
        if source is None:
            raise QgsProcessingException("The wells layer cannot be read. Fix: choose a point layer.")
        id_field = (compat.parameter_as_fields(self, parameters, self.WELL_ID_FIELD, context) or ["well_id"])[0]
        require_fields(source, [id_field], "Wells")
        if not source.sourceCrs().isValid():
            raise InputError("the wells layer has no CRS", field=self.WELLS,
                             fix="set the layer's CRS (Layer Properties > Source) or save it with one")
        opts = self._options(parameters, context)
        grids = []
        taken = {"well_id", "date"}
        for role, param in (("precip", self.PRECIP_RASTER), ("temp", self.TEMP_RASTER),
                            ("pet", self.EVAP_RASTER)):
            layer = self.parameterAsRasterLayer(parameters, param, context)
            if layer is None:
                if role == "pet":
                    continue
                raise InputError(f"no {ROLE_TEXT[role]} raster is given", field=param,
                                 fix="choose the raster stack (or NetCDF variable) holding it")
            grids.append(RasterStack(role, role, layer, param))
            taken.add(role)
        taken.add("pet")
        for layer in self.parameterAsLayerList(parameters, self.OTHER_RASTERS, context) or []:
            col = gridded.column_name(layer.name(), taken)
            taken.add(col)
            grids.append(RasterStack("other", col, layer, self.OTHER_RASTERS))
        for g in grids:
            g.open(opts)
        if not opts["from_file"]:
            counts = {g.label: g.ds.RasterCount for g in grids}
            if len(set(counts.values())) > 1:
                raise InputError(
                    "with a start date and step every raster needs the same number of bands, but "
                    + ", ".join(f"{k} has {v}" for k, v in counts.items()),
                    field=self.START_DATE, fix="clip the stacks to the same period")
        gridded.same_axes({g.label: g.axis for g in grids})
        return source, id_field, grids, opts

    # -- the run ---------------------------------------------------------------------------------------------------
    def execute(self, parameters, context, feedback):
        source, id_field, grids, opts = self._prepare(parameters, context)
        wells = self._read_wells(source, id_field, feedback)
        if not wells:
            raise InputError("the wells layer has no usable well", field=self.WELLS,
                             fix="choose a layer with point features and well IDs")
        ids = [w[0] for w in wells]
        skipped = {}  # well -> reason
        axis = grids[0].axis
        feedback.pushInfo(f"{len(ids)} wells; time axis: {axis.describe()} (from {grids[0].time_note}); "
                          f"unit preset '{opts['preset']}', {opts['method']} interpolation")
        if axis.gaps:
            feedback.pushWarning("The time axis has gaps (days with missing steps become NaN): " + ", ".join(
                f"{gridded.fmt_time(a)} to {gridded.fmt_time(b)}" for a, b in axis.gaps[:8]))
        weights = {}  # where each well falls in each grid
        for g in grids:
            if g.crs_note:
                feedback.pushInfo(f"{g.label} {g.crs_note}")
            weights[g.column] = g.weights(wells, source.sourceCrs(), opts["method"], context, skipped)
        dailies, raw_valid = self._daily(grids, weights, len(ids), opts, feedback)
        days, columns = self._common_days(dailies, feedback)
        keep = self._wells_with_values(ids, grids, columns, raw_valid, opts, skipped, feedback)
        for col, arr in columns.items():
            for i in keep:
                miss = ~np.isfinite(arr[:, i])
                if miss.any():
                    feedback.pushWarning(
                        f"Well '{ids[i]}', {col}: no valid value on {int(miss.sum())} day(s): "
                        + gridded.format_ranges(gridded.date_ranges(days, miss)) + " (NaN in the table)")
        order = [c for c in ("precip", "temp", "pet") if c in columns] + \
                [c for c in columns if c not in ("precip", "temp", "pet")]
        frame = gridded.forcing_frame([ids[i] for i in keep], days, {c: columns[c][:, keep] for c in order})
        fields = fields_for(frame)
        sink, dest = self.create_sink(parameters, self.FORCING_OUTPUT, context, fields, compat.WKB_NO_GEOMETRY)
        if not write_frame(frame, sink, fields, feedback, progress=lambda f: feedback.setProgress(90.0 + 10.0 * f)):
            raise Canceled()
        feedback.pushInfo(f"Forcing for {len(keep)} wells, {len(days)} days "
                          f"({gridded.fmt_time(days[0])} to {gridded.fmt_time(days[-1])}), columns "
                          f"{', '.join(order)}; {len(skipped)} wells skipped.")
        return {self.FORCING_OUTPUT: dest}

    def _daily(self, grids, weights, n_wells, opts, feedback):
        """Each stack read at the wells and turned into days: ({column: Daily}, {column: wells with a value})."""
        n_steps_total = sum(g.count for g in grids)
        done = 0
        dailies, raw_valid = {}, {}
        for g in grids:
            conv = gridded.conversion(g.role, opts["preset"], opts["label"], opts["other_how"])
            warn = gridded.unit_mismatch(conv, g.unit)
            if warn:
                feedback.pushWarning(f"{g.label}: {warn}. Check the unit preset.")
            feedback.pushInfo(f"{g.label} -> {g.column}: {conv.describe()} -> {conv.target} "
                              f"(time from {g.time_note}; CRS {g.crs.authid() or g.crs.description()})")

            def prog(frac, _base=done, _n=g.count):
                feedback.setProgress(90.0 * (_base + frac * _n) / n_steps_total)
                if feedback.isCanceled():
                    raise Canceled()

            raw = g.read(weights[g.column], n_wells, prog)
            done += g.count
            try:
                daily, warns = gridded.daily_series(raw, g.axis, conv, opts["utc_offset"])
            except InputError as exc:
                raise InputError(f"{g.label}: {exc.problem}", field=exc.field or g.param, fix=exc.fix) from None
            for w in warns + gridded.plausibility(g.role, daily.values, opts["preset"]):
                feedback.pushWarning(f"{g.label}: {w}")
            self._report_days(g, conv, daily, opts, feedback)
            dailies[g.column] = daily
            raw_valid[g.column] = np.isfinite(raw).any(axis=0)
        return dailies, raw_valid

    @staticmethod
    def _report_days(g, conv, daily, opts, feedback):
        if conv.accumulated and g.axis.step >= gridded.DAY and opts["label"] is None:
            feedback.pushInfo(f"{g.label}: 24-hour values are taken as daily totals, the value stamped 00 UTC "
                              f"of day d+1 being the total of day d (ECMWF). For totals stamped with their own "
                              f"day choose 'Start of the interval' under 'Time stamp of flux values'.")
        if daily.dropped:
            feedback.pushInfo(f"{g.label}: incomplete days at the ends dropped: " + gridded.format_ranges(
                gridded.date_ranges(daily.dropped, np.ones(len(daily.dropped), bool))))
        if daily.incomplete:
            feedback.pushWarning(f"{g.label}: days with missing time steps (NaN for every well): "
                                 + gridded.format_ranges(gridded.date_ranges(
                                     daily.incomplete, np.ones(len(daily.incomplete), bool))))

    @staticmethod
    def _common_days(dailies, feedback):
        """The days every stack has, and each column on them (n_days, n_wells)."""
        days, trimmed = gridded.common_days(dailies)
        if len(days) == 0:
            raise InputError("no complete day is common to all rasters",
                             fix="give stacks that cover at least one full day in common")
        for col, lost in trimmed.items():
            if lost:
                feedback.pushInfo(f"'{col}': days outside the period common to all rasters dropped: "
                                  + gridded.format_ranges(gridded.date_ranges(lost, np.ones(len(lost), bool))))
        return days, {col: gridded.select_days(d, days) for col, d in dailies.items()}

    def _wells_with_values(self, ids, grids, columns, raw_valid, opts, skipped, feedback):
        """The wells kept: a well with no valid value at all in a raster is skipped (named, with the reason)."""
        for wi, wid in enumerate(ids):
            if wid in skipped:
                continue
            for g in grids:
                if not raw_valid[g.column][wi] or not np.isfinite(columns[g.column][:, wi]).any():
                    hint = (" or use bilinear interpolation (it takes the valid neighbours)"
                            if opts["method"] == "nearest" else "")
                    skipped[wid] = (f"its cells in {g.label} hold no valid value on any day (nodata or fill "
                                    f"values, e.g. sea cells); move the well onto valid cells{hint}")
                    break
        keep = [i for i, w in enumerate(ids) if w not in skipped]
        for wid, why in skipped.items():
            feedback.pushWarning(f"Well '{wid}' skipped: {why}")
        if not keep:
            raise InputError("every well was skipped (see the log): " + "; ".join(
                f"'{w}': {r}" for w, r in list(skipped.items())[:5]), field=self.WELLS,
                fix="check that the wells lie on the grids and the grids' CRS")
        return keep

    def _read_wells(self, source, id_field, feedback):
        """[(well_id, QgsPointXY in the layer CRS) ...]; wells without ID or point are named and left out."""
        idx = source.fields().lookupField(id_field)
        req = QgsFeatureRequest().setSubsetOfAttributes([idx])
        out, seen, dup = [], set(), []
        for feat in source.getFeatures(req):
            wid = normalise_id(to_python(feat.attributes()[idx]))  # as every reader does, so that the tables join
            if wid is None:
                feedback.pushWarning(f"Feature {feat.id()} has no {id_field}: skipped")
                continue
            geom = feat.geometry()
            if geom is None or geom.isEmpty():
                feedback.pushWarning(f"Well '{wid}' has no geometry: skipped")
                continue
            if wid in seen:
                dup.append(wid)
                continue
            seen.add(wid)
            out.append((wid, QgsPointXY(geom.centroid().asPoint())))
        if dup:
            raise InputError(f"well IDs occur more than once: {', '.join(sorted(set(dup))[:10])}",
                             field=id_field, fix="give every well a unique ID (or pick another ID field)")
        return out
