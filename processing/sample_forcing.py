"""groundwaterlstm:sampleforcing — gridded climate stacks (NetCDF, GeoTIFF, GRIB) sampled at the wells as the
daily forcing table the training expects.

GDAL reads the pixels (one window read per band chunk, far faster than sampling point by point); everything that
decides what a number means (time axes, units, deaccumulation, daily aggregation, interpolation weights) is in
``core/inputs/gridded.py``.
"""
import math

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
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
    QgsProviderRegistry,
)

from ..core.errors import GroundwaterError, InputError
from ..core.inputs.ids import normalise_id
from . import compat
from .algorithm import GroundwaterAlgorithm
from .qgis_io import fields_for, require_fields, to_python, write_frame

ROLE_TEXT = {"precip": "precipitation", "temp": "temperature", "pet": "evaporation", "other": "other driver"}
READ_BYTES = 64 * 1024 * 1024     # pixels read per chunk of bands
BOX_BYTES = 256 * 1024 * 1024     # read one window around all wells when it holds no more than this


class _Grid:
    """One raster: GDAL dataset, geometry, CRS, per-band nodata/scale/offset and time axis."""

    def __init__(self, role, column, layer, param):
        self.role = role
        self.column = column
        self.layer = layer
        self.param = param
        self.name = layer.name()
        self.label = f"{ROLE_TEXT[role]} raster '{self.name}'"
        self.ds = None
        self.crs = None
        self.crs_note = None
        self.axis = None
        self.time_note = None
        self.unit = None
        self.md = None


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
        from ..core.inputs import gridded
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
        from ..core.inputs import gridded

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
        from ..core.inputs import gridded

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
            grids.append(_Grid(role, role, layer, param))
            taken.add(role)
        taken.add("pet")
        for layer in self.parameterAsLayerList(parameters, self.OTHER_RASTERS, context) or []:
            col = gridded.column_name(layer.name(), taken)
            taken.add(col)
            grids.append(_Grid("other", col, layer, self.OTHER_RASTERS))
        for g in grids:
            self._open(g, opts)
        if not opts["from_file"]:
            counts = {g.label: g.ds.RasterCount for g in grids}
            if len(set(counts.values())) > 1:
                raise InputError(
                    "with a start date and step every raster needs the same number of bands, but "
                    + ", ".join(f"{k} has {v}" for k, v in counts.items()),
                    field=self.START_DATE, fix="clip the stacks to the same period")
        gridded.same_axes({g.label: g.axis for g in grids})
        return source, id_field, grids, opts

    def _open(self, g, opts):
        from ..core.inputs import gridded

        layer = g.layer
        if not layer.isValid():
            raise InputError(f"{g.label} cannot be opened", field=g.param, fix="check the file")
        if layer.providerType() != "gdal":
            raise InputError(f"{g.label} comes from the '{layer.providerType()}' provider; only files GDAL reads "
                             f"are supported", field=g.param, fix="save the raster as GeoTIFF or NetCDF first")
        g.source = layer.source()
        # NetCDF variables are read through GDAL's multidimensional API (one read for all time steps, times and
        # packing from the variable's attributes); the classic view then only serves georeferencing and CRS, and
        # is opened with one band: the netCDF driver builds an object per band, seconds for 10 years of hours
        g.md = _netcdf_array(g.source)
        g.ds = _gdal_open(g.source, max_bands=1 if g.md is not None else None)
        if g.ds is None:
            raise InputError(f"{g.label}: GDAL cannot open '{g.source}'", field=g.param,
                             fix="check the path, or pick the NetCDF variable (NETCDF:\"file.nc\":variable)")
        ds = g.ds
        # geometry
        gt = ds.GetGeoTransform(can_return_null=True)
        if gt is None or (gt[1] == 1 and gt[5] == 1 and gt[0] == 0 and gt[3] == 0):
            raise InputError(f"{g.label} has no georeferencing (no geotransform)", field=g.param,
                             fix="use a georeferenced file (NetCDF with latitude/longitude coordinates, GeoTIFF)")
        if gt[2] != 0 or gt[4] != 0:
            raise InputError(f"{g.label} is a rotated grid", field=g.param,
                             fix="warp it to a north-up grid first (Raster > Projections > Warp)")
        g.gt = gt
        g.width, g.height = ds.RasterXSize, ds.RasterYSize
        if g.md is not None and not g.md.fits(ds):
            g.md = None
            g.ds = ds = _gdal_open(g.source)
        g.count = g.md.count if g.md is not None else ds.RasterCount
        # CRS: the layer's (from the file, or set by the user in QGIS), the parameter, or CF latitude/longitude
        md = ds.GetMetadata() or {}
        if layer.crs().isValid():
            g.crs = layer.crs()
        elif ds.GetProjection():
            g.crs = QgsCoordinateReferenceSystem.fromWkt(ds.GetProjection())
        elif opts["grid_crs"].isValid():
            g.crs = opts["grid_crs"]
            g.crs_note = f"has no CRS: using {g.crs.authid()} (CRS of grids without one)"
        elif _cf_latlon(md, gt, g.width, g.height):
            g.crs = QgsCoordinateReferenceSystem("EPSG:4326")
            g.crs_note = "has no CRS but latitude/longitude coordinates: using EPSG:4326"
        else:
            raise InputError(f"{g.label} has no CRS", field=g.param,
                             fix="set the CRS in the advanced parameter 'CRS of grids without one', or assign it "
                                 "(Layer Properties > Source, or gdal_translate -a_srs EPSG:4326)")
        if not g.crs.isValid():
            raise InputError(f"{g.label} has a CRS QGIS cannot use", field=g.param, fix="assign a valid CRS")
        # per-band nodata, packing and time metadata
        n = g.count
        g.nodata = np.full(n, np.nan)
        g.missing = np.full(n, np.nan)
        g.vmin = np.full(n, -np.inf)
        g.vmax = np.full(n, np.inf)
        g.scale = np.ones(n)
        g.offset = np.zeros(n)
        if g.md is not None:
            found = self._netcdf_meta(g)
        else:
            found = self._band_meta(g, md)
        # time axis
        if opts["from_file"]:
            if found is None:
                raise InputError(
                    f"{g.label} carries no time information (no NetCDF time dimension, GRIB valid time or dated "
                    f"band names)", field="TIME_SOURCE",
                    fix="choose 'From the start date and step' and give START_DATE and STEP_HOURS")
            times, g.time_note = found
        else:
            times = gridded.times_from_start(opts["start"], opts["step_hours"], n)
            g.time_note = f"start date {gridded.fmt_time(times[0])} and step {opts['step_hours']:g} h"
        g.axis = gridded.time_axis(times, name=g.name)

    def _netcdf_meta(self, g):
        """Nodata, packing, unit and time stamps of a NetCDF variable from its attributes (one value for all
        steps). Returns (times, note) or None when the time dimension has no CF units."""
        from ..core.inputs import gridded

        m = g.md
        if m.nodata is not None:
            g.nodata[:] = m.nodata
        g.scale[:] = m.scale
        g.offset[:] = m.offset
        mv = _first_number(m.attrs.get("missing_value"))
        if mv is not None:
            g.missing[:] = mv
        vr = _numbers(m.attrs.get("valid_range"))
        if len(vr) == 2:
            g.vmin[:], g.vmax[:] = vr
        if _first_number(m.attrs.get("valid_min")) is not None:
            g.vmin[:] = _first_number(m.attrs.get("valid_min"))
        if _first_number(m.attrs.get("valid_max")) is not None:
            g.vmax[:] = _first_number(m.attrs.get("valid_max"))
        g.unit = m.arr.GetUnit() or m.attrs.get("units")
        if not m.time_units or " since " not in str(m.time_units).lower():
            return None
        times = gridded.times_from_values(m.time_values, m.time_units, m.time_calendar,
                                          field=f"{m.time_name}#units")
        cal = f", calendar {m.time_calendar}" if m.time_calendar else ""
        return times, f"NetCDF time dimension '{m.time_name}' ({m.time_units}{cal})"

    def _band_meta(self, g, md):
        """Nodata, packing, unit and time stamps band by band (GeoTIFF, GRIB, NetCDF the multidimensional API
        cannot read). Returns (times, note) or None when the bands carry no time."""
        from ..core.inputs import gridded

        band_mds, descriptions = [], []
        for i in range(g.count):
            b = g.ds.GetRasterBand(i + 1)
            nd = b.GetNoDataValue()
            if nd is not None:
                g.nodata[i] = nd
            g.scale[i] = b.GetScale() if b.GetScale() not in (None, 0) else 1.0
            g.offset[i] = b.GetOffset() or 0.0
            bmd = b.GetMetadata() or {}
            band_mds.append(bmd)
            descriptions.append(b.GetDescription())
            mv = _first_number(bmd.get("missing_value"))
            if mv is not None:
                g.missing[i] = mv
            vr = _numbers(bmd.get("valid_range"))
            if len(vr) == 2:
                g.vmin[i], g.vmax[i] = vr
            if _first_number(bmd.get("valid_min")) is not None:
                g.vmin[i] = _first_number(bmd.get("valid_min"))
            if _first_number(bmd.get("valid_max")) is not None:
                g.vmax[i] = _first_number(bmd.get("valid_max"))
            if i == 0:
                g.unit = b.GetUnitType() or bmd.get("units") or None
        return gridded.times_from_metadata(md, band_mds, descriptions, name=g.name)

    # -- the run ---------------------------------------------------------------------------------------------------
    def execute(self, parameters, context, feedback):
        from ..core.inputs import gridded
        from ..core.errors import Canceled

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

        # where each well falls in each grid
        weights = {}
        for g in grids:
            if g.crs_note:
                feedback.pushInfo(f"{g.label} {g.crs_note}")
            weights[g.column] = self._weights(g, wells, source.sourceCrs(), opts["method"], context, skipped,
                                              feedback)
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

            raw = self._read(g, weights[g.column], len(ids), prog)
            done += g.count
            try:
                daily, warns = gridded.daily_series(raw, g.axis, conv, opts["utc_offset"])
            except InputError as exc:
                raise InputError(f"{g.label}: {exc.problem}", field=exc.field or g.param, fix=exc.fix) from None
            for w in warns:
                feedback.pushWarning(f"{g.label}: {w}")
            if conv.accumulated and g.axis.step >= gridded.DAY and opts["label"] is None:
                feedback.pushInfo(f"{g.label}: 24-hour values are taken as daily totals, the value stamped 00 UTC "
                                  f"of day d+1 being the total of day d (ECMWF). For totals stamped with their own "
                                  f"day choose 'Start of the interval' under 'Time stamp of flux values'.")
            for w in gridded.plausibility(g.role, daily.values, opts["preset"]):
                feedback.pushWarning(f"{g.label}: {w}")
            if daily.dropped:
                feedback.pushInfo(f"{g.label}: incomplete days at the ends dropped: "
                                  + gridded.format_ranges(gridded.date_ranges(
                                      daily.dropped, np.ones(len(daily.dropped), bool))))
            if daily.incomplete:
                feedback.pushWarning(f"{g.label}: days with missing time steps (NaN for every well): "
                                     + gridded.format_ranges(gridded.date_ranges(
                                         daily.incomplete, np.ones(len(daily.incomplete), bool))))
            dailies[g.column] = daily
            raw_valid[g.column] = np.isfinite(raw).any(axis=0)

        days, trimmed = gridded.common_days(dailies)
        if len(days) == 0:
            raise InputError("no complete day is common to all rasters",
                             fix="give stacks that cover at least one full day in common")
        for col, lost in trimmed.items():
            if lost:
                feedback.pushInfo(f"'{col}': days outside the period common to all rasters dropped: "
                                  + gridded.format_ranges(gridded.date_ranges(lost, np.ones(len(lost), bool))))
        columns = {col: gridded.select_days(d, days) for col, d in dailies.items()}

        # wells with no valid value at all in a raster are skipped; NaN days are reported
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
        for col, arr in columns.items():
            for i in keep:
                miss = ~np.isfinite(arr[:, i])
                if miss.any():
                    feedback.pushWarning(
                        f"Well '{ids[i]}', {col}: no valid value on {int(miss.sum())} day(s): "
                        + gridded.format_ranges(gridded.date_ranges(days, miss)) + " (NaN in the table)")
        order = [c for c in ("precip", "temp", "pet") if c in columns] + \
                [c for c in columns if c not in ("precip", "temp", "pet")]
        frame = gridded.forcing_frame([ids[i] for i in keep], days,
                                      {c: columns[c][:, keep] for c in order})
        fields = fields_for(frame)
        sink, dest = self.create_sink(parameters, self.FORCING_OUTPUT, context, fields, compat.WKB_NO_GEOMETRY)

        def wprog(frac):
            feedback.setProgress(90.0 + 10.0 * frac)

        if not write_frame(frame, sink, fields, feedback, progress=wprog):
            raise Canceled()
        feedback.pushInfo(f"Forcing for {len(keep)} wells, {len(days)} days "
                          f"({gridded.fmt_time(days[0])} to {gridded.fmt_time(days[-1])}), columns "
                          f"{', '.join(order)}; {len(skipped)} wells skipped.")
        return {self.FORCING_OUTPUT: dest}

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

    def _weights(self, g, wells, wells_crs, method, context, skipped, feedback):
        from ..core.inputs import gridded

        transform = None
        if wells_crs != g.crs:
            transform = QgsCoordinateTransform(wells_crs, g.crs, context.transformContext())
        out = []
        x0, dx, _, y0, _, dy = g.gt
        xs = sorted((x0, x0 + dx * g.width))
        ys = sorted((y0, y0 + dy * g.height))
        for wid, pt in wells:
            try:
                p = transform.transform(pt) if transform is not None else pt
            except Exception as exc:  # QgsCsException
                skipped.setdefault(wid, f"its point cannot be transformed to the CRS of {g.label} ({exc})")
                out.append(None)
                continue
            cands = [(p.x(), p.y())]
            if g.crs.isGeographic():  # 0..360 longitudes (global ERA5 grids)
                cands += [(p.x() + 360.0, p.y()), (p.x() - 360.0, p.y())]
            w = None
            for x, y in cands:
                w = gridded.point_weights(g.gt, g.width, g.height, x, y, method)
                if w is not None:
                    break
            if w is None:
                skipped.setdefault(
                    wid, f"it lies outside {g.label} (the well at x={p.x():.4f}, y={p.y():.4f} in "
                         f"{g.crs.authid() or 'the grid CRS'}; the grid covers x {xs[0]:.4f}..{xs[1]:.4f}, "
                         f"y {ys[0]:.4f}..{ys[1]:.4f})")
            out.append(w)
        return out

    def _read(self, g, weights, n_wells, progress):
        """Raw values (n_steps, n_wells), NaN where invalid or the well is not on the grid."""
        from ..core.inputs import gridded

        out = np.full((g.count, n_wells), np.nan)
        live = [i for i, w in enumerate(weights) if w is not None]
        if not live:
            return out
        rows = [r for i in live for r in weights[i].rows]
        cols = [c for i in live for c in weights[i].cols]
        box = (min(rows), max(rows), min(cols), max(cols))
        box_cells = (box[1] - box[0] + 1) * (box[3] - box[2] + 1)
        if g.md is None and box_cells * g.count * 8 <= BOX_BYTES:
            windows = [(box, live)]  # band-by-band reading: one window around all wells
        else:  # NetCDF blocks, or wells far apart on a big grid: one small window per well
            windows = [((min(weights[i].rows), max(weights[i].rows), min(weights[i].cols), max(weights[i].cols)),
                        [i]) for i in live]
        total = len(windows) * g.count
        done = 0
        for (r0, r1, c0, c1), members in windows:
            h, w = r1 - r0 + 1, c1 - c0 + 1
            chunk = max(1, min(g.count, READ_BYTES // (h * w * 8)))
            for b0 in range(0, g.count, chunk):
                b1 = min(g.count, b0 + chunk)
                raw = self._window(g, c0, r0, w, h, b0, b1)
                for i in members:
                    pw = weights[i]
                    cells = raw[:, [r - r0 for r in pw.rows], [c - c0 for c in pw.cols]]  # (n, k), only these
                    vals = _clean(g, cells, b0, b1)
                    out[b0:b1, i] = gridded.sample(vals[:, None, :], [0] * len(pw.rows), range(len(pw.rows)),
                                                   pw.weights)
                done += b1 - b0
                progress(done / total)
        return out

    def _window(self, g, xoff, yoff, w, h, b0, b1):
        """Raw values of bands b0..b1-1 in a window, (n, h, w), in the file's data type."""
        arr = g.md.read(b0, b1, yoff, xoff, h, w) if g.md is not None else None
        if arr is None:
            if g.md is not None:  # the multidimensional view failed: the classic one, with every band
                g.md = None
                g.ds = _gdal_open(g.source)
            arr = g.ds.ReadAsArray(int(xoff), int(yoff), int(w), int(h), band_list=list(range(b0 + 1, b1 + 1)))
            arr = np.asarray(arr).reshape(b1 - b0, h, w)
        return arr


def _clean(g, raw, b0, b1):
    """Raw cell values (n, k) of bands b0..b1-1 as float: nodata, missing_value, outside valid_range and NaN
    become NaN; packed values are unpacked (scale_factor, add_offset)."""
    v = raw.astype(float)
    sl = slice(b0, b1)
    bad = ~np.isfinite(v)
    bad |= _equal_mask(raw, g.nodata[sl])
    bad |= _equal_mask(raw, g.missing[sl])
    bad |= (v < g.vmin[sl][:, None]) | (v > g.vmax[sl][:, None])
    v = v * g.scale[sl][:, None] + g.offset[sl][:, None]
    v[bad] = np.nan
    return v


def _equal_mask(arr, values):
    """arr (n, ...) == values (n,) band by band, compared in the array's own type (float32 fill values)."""
    mask = np.zeros(arr.shape, dtype=bool)
    vals = np.asarray(values, dtype=float)
    for u in np.unique(vals[np.isfinite(vals)]):
        if arr.dtype.kind in "iu":
            info = np.iinfo(arr.dtype)
            if not (float(u).is_integer() and info.min <= u <= info.max):
                continue
        sel = vals == u
        mask[sel] = arr[sel] == arr.dtype.type(u)
    return mask


def _gdal_open(source, max_bands=None):
    """A GDAL dataset or None, without touching GDAL's global exception setting (other plugins rely on it).
    ``max_bands``: show at most that many bands (NetCDF; the georeferencing is all that is needed then)."""
    from osgeo import gdal

    for name in (source, QgsProviderRegistry.instance().decodeUri("gdal", source).get("path")):
        if not name:
            continue
        gdal.PushErrorHandler("CPLQuietErrorHandler")
        # the netCDF driver shows at most 32768 bands unless told otherwise: 3.7 years of hourly ERA5-Land
        previous = gdal.GetThreadLocalConfigOption("GDAL_MAX_BAND_COUNT", None)
        gdal.SetThreadLocalConfigOption("GDAL_MAX_BAND_COUNT", str(max_bands or 100000000))
        try:
            ds = gdal.Open(name)
        except RuntimeError:
            ds = None
        finally:
            gdal.SetThreadLocalConfigOption("GDAL_MAX_BAND_COUNT", previous)
            gdal.PopErrorHandler()
        if ds is not None:
            return ds
    return None


class _NetcdfArray:
    """A NetCDF variable read through GDAL's multidimensional API: (time, y, x) blocks in one call, where the
    classic raster view reads band by band (about 100 times slower for long series). Rows follow the classic
    view (north-up: GDAL flips files stored south-up); checked against the classic band 1 on first use."""

    def __init__(self, mdds, arr, var, path):
        self._keep = mdds  # the dataset must outlive the array
        self.arr, self.var, self.path = arr, var, path
        dims = arr.GetDimensions()
        self.ndim = len(dims)
        self.sizes = [d.GetSize() for d in dims]
        self.y_axis, self.x_axis = self.ndim - 2, self.ndim - 1
        big = [i for i in range(self.ndim - 2) if self.sizes[i] > 1]
        if len(big) > 1:
            raise ValueError("more than one dimension besides y and x")
        self.t_axis = big[0] if big else 0
        self.count = self.sizes[self.t_axis] if self.ndim > 2 else 1
        self.ny, self.nx = self.sizes[-2], self.sizes[-1]
        self.attrs = {a.GetName(): a.Read() for a in (arr.GetAttributes() or [])}
        self.nodata = arr.GetNoDataValueAsDouble() if arr.GetNoDataValueAsRaw() is not None else None
        self.scale = arr.GetScale() or 1.0
        self.offset = arr.GetOffset() or 0.0
        tdim = dims[self.t_axis]
        self.time_name = tdim.GetName()
        tvar = tdim.GetIndexingVariable()
        self.time_values = self.time_units = self.time_calendar = None
        if tvar is not None:
            tattrs = {a.GetName(): a.Read() for a in (tvar.GetAttributes() or [])}
            self.time_units = tvar.GetUnit() or tattrs.get("units")  # GDAL serves CF units as the unit
            self.time_calendar = tattrs.get("calendar")
            self.time_values = np.asarray(tvar.ReadAsArray(), dtype=float).reshape(-1)
        yvar = dims[self.y_axis].GetIndexingVariable()
        self.y_values = np.asarray(yvar.ReadAsArray(), dtype=float).reshape(-1) if yvar is not None else None
        self.flip_y = False
        self.ds = None
        self.checked = False

    def fits(self, ds):
        """Whether this variable is the classic view ``ds`` (same size); sets the row order and keeps ``ds`` for
        the check of the first read."""
        width, height, gt = ds.RasterXSize, ds.RasterYSize, ds.GetGeoTransform()
        if self.ndim < 3 or self.nx != width or self.ny != height:
            return False
        self.ds = ds
        if self.y_values is not None and self.ny > 1:
            self.flip_y = bool((self.y_values[-1] > self.y_values[0]) == (gt[5] < 0))
        return True

    def _raw(self, b0, b1, yoff, xoff, h, w):
        start, count = [0] * self.ndim, [1] * self.ndim
        y0 = self.ny - (yoff + h) if self.flip_y else yoff
        start[self.t_axis], count[self.t_axis] = b0, b1 - b0
        start[self.y_axis], count[self.y_axis] = y0, h
        start[self.x_axis], count[self.x_axis] = xoff, w
        data = np.asarray(self.arr.ReadAsArray(array_start_idx=start, count=count))
        order = [self.t_axis, self.y_axis, self.x_axis]
        rest = [i for i in range(self.ndim) if i not in order]
        data = np.transpose(data, order + rest).reshape(b1 - b0, h, w)
        return data[:, ::-1, :] if self.flip_y else data

    def read(self, b0, b1, yoff, xoff, h, w):
        try:
            data = self._raw(b0, b1, int(yoff), int(xoff), int(h), int(w))
            if not self.checked and b0 == 0 and self.ds is not None:
                classic = np.asarray(self.ds.GetRasterBand(1).ReadAsArray(int(xoff), int(yoff), int(w), int(h)))
                if not np.array_equal(classic, data[0], equal_nan=data.dtype.kind == "f"):
                    raise ValueError("the multidimensional view differs from the raster view")
                self.checked = True
            return data
        except Exception:  # any doubt: the classic band-by-band reading
            return None


def _netcdf_array(source):
    """A _NetcdfArray for the NetCDF variable behind ``source`` (a path or NETCDF:"path":var), else None."""
    try:
        from osgeo import gdal

        var = None
        if source.upper().startswith("NETCDF:"):
            parts = source.split(":")
            var = parts[-1]
            path = ":".join(parts[1:-1]).strip('"')
        else:
            uri = QgsProviderRegistry.instance().decodeUri("gdal", source)
            path = uri.get("path") or source
            var = uri.get("layerName") or None
        if not path.lower().endswith((".nc", ".nc4", ".netcdf", ".cdf", ".h5", ".hdf5")):
            return None
        gdal.PushErrorHandler("CPLQuietErrorHandler")
        try:
            mdds = gdal.OpenEx(path, gdal.OF_MULTIDIM_RASTER, allowed_drivers=["netCDF"])
        finally:
            gdal.PopErrorHandler()
        if mdds is None:
            return None
        rg = mdds.GetRootGroup()
        if var is None:  # a file with one data variable
            names = rg.GetMDArrayNames() or []
            dim_names = {d.GetName() for d in (rg.GetDimensions() or [])}
            data_vars = [n for n in names if n not in dim_names
                         and len(rg.OpenMDArray(n).GetDimensions()) >= 3]
            if len(data_vars) != 1:
                return None
            var = data_vars[0]
        arr = rg.OpenMDArray(var)
        if arr is None:
            return None
        return _NetcdfArray(mdds, arr, var, path)
    except Exception:
        return None


def _numbers(text):
    if text is None:
        return []
    out = []
    for s in str(text).strip().strip("{}[]").replace(",", " ").split():
        try:
            out.append(float(s))
        except ValueError:
            return []
    return out


def _first_number(text):
    n = _numbers(text)
    return n[0] if n else None


def _cf_latlon(md, gt, width, height):
    """True when the NetCDF coordinates are latitude/longitude (CF units or standard names) and the grid's
    extent lies within degrees."""
    keys = {k.lower(): str(v).lower() for k, v in md.items()}
    lat = any(k.endswith("#units") and v in ("degrees_north", "degree_north", "degrees_n", "degree_n")
              for k, v in keys.items()) or any(k.endswith("#standard_name") and v == "latitude"
                                               for k, v in keys.items())
    lon = any(k.endswith("#units") and v in ("degrees_east", "degree_east", "degrees_e", "degree_e")
              for k, v in keys.items()) or any(k.endswith("#standard_name") and v == "longitude"
                                               for k, v in keys.items())
    x0, dx, _, y0, _, dy = gt
    xa, xb = sorted((x0, x0 + dx * width))
    ya, yb = sorted((y0, y0 + dy * height))
    return lat and lon and -180.5 <= xa and xb <= 360.5 and -90.5 <= ya and yb <= 90.5 and not math.isnan(dx)
