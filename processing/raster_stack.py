"""One forcing raster stack as sampleforcing reads it: opened and checked (georeferencing, CRS, per-band values,
time axis), located at the wells (weights per well), and read as raw series (n_steps, n_wells).

What the numbers mean (CF attributes, units, time axes, interpolation weights) is decided in
``core/inputs/gridded``; the reading itself is GDAL's (gdal_stack.py).
"""
import numpy as np
from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform

from ..core.errors import InputError
from ..core.inputs import gridded
from ..core.inputs.gridded.cf import BandValues, is_latlon
from .gdal_stack import gdal_open, netcdf_array

ROLE_TEXT = {"precip": "precipitation", "temp": "temperature", "pet": "evaporation", "other": "other driver"}
READ_BYTES = 64 * 1024 * 1024     # pixels read per chunk of bands
BOX_BYTES = 256 * 1024 * 1024     # read one window around all wells when it holds no more than this


class RasterStack:
    """One raster: GDAL dataset, geometry, CRS, per-band values (nodata, packing) and time axis."""

    def __init__(self, role, column, layer, param):
        self.role = role
        self.column = column
        self.layer = layer
        self.param = param
        self.name = layer.name()
        self.label = f"{ROLE_TEXT[role]} raster '{self.name}'"
        self.ds = self.md = self.crs = self.crs_note = self.axis = self.time_note = self.unit = None

    # -- opening ---------------------------------------------------------------------------------------------------
    def open(self, opts):
        """Open and check the stack; ``opts``: the algorithm's options (time source, grid CRS)."""
        layer = self.layer
        if not layer.isValid():
            raise InputError(f"{self.label} cannot be opened", field=self.param, fix="check the file")
        if layer.providerType() != "gdal":
            raise InputError(f"{self.label} comes from the '{layer.providerType()}' provider; only files GDAL reads "
                             f"are supported", field=self.param, fix="save the raster as GeoTIFF or NetCDF first")
        self.source = layer.source()
        # NetCDF variables are read through GDAL's multidimensional API (one read for all time steps, times and
        # packing from the variable's attributes); the classic view then only serves georeferencing and CRS, and
        # is opened with one band: the netCDF driver builds an object per band, seconds for 10 years of hours
        self.md = netcdf_array(self.source)
        self.ds = gdal_open(self.source, max_bands=1 if self.md is not None else None)
        if self.ds is None:
            raise InputError(f"{self.label}: GDAL cannot open '{self.source}'", field=self.param,
                             fix="check the path, or pick the NetCDF variable (NETCDF:\"file.nc\":variable)")
        self._georeference()
        if self.md is not None and not self.md.fits(self.ds):
            self.md = None
            self.ds = gdal_open(self.source)
        self.count = self.md.count if self.md is not None else self.ds.RasterCount
        md = self.ds.GetMetadata() or {}
        self._choose_crs(md, opts["grid_crs"])
        self.values = BandValues(self.count)
        found = self._netcdf_meta() if self.md is not None else self._band_meta(md)
        self._time_axis(found, opts)

    def _georeference(self):
        gt = self.ds.GetGeoTransform(can_return_null=True)
        if gt is None or (gt[1] == 1 and gt[5] == 1 and gt[0] == 0 and gt[3] == 0):
            raise InputError(f"{self.label} has no georeferencing (no geotransform)", field=self.param,
                             fix="use a georeferenced file (NetCDF with latitude/longitude coordinates, GeoTIFF)")
        if gt[2] != 0 or gt[4] != 0:
            raise InputError(f"{self.label} is a rotated grid", field=self.param,
                             fix="warp it to a north-up grid first (Raster > Projections > Warp)")
        self.gt = gt
        self.width, self.height = self.ds.RasterXSize, self.ds.RasterYSize

    def _choose_crs(self, md, grid_crs):
        """The layer's CRS (from the file, or set by the user in QGIS), the parameter, or CF latitude/longitude."""
        if self.layer.crs().isValid():
            self.crs = self.layer.crs()
        elif self.ds.GetProjection():
            self.crs = QgsCoordinateReferenceSystem.fromWkt(self.ds.GetProjection())
        elif grid_crs.isValid():
            self.crs = grid_crs
            self.crs_note = f"has no CRS: using {self.crs.authid()} (CRS of grids without one)"
        elif is_latlon(md, self.gt, self.width, self.height):
            self.crs = QgsCoordinateReferenceSystem("EPSG:4326")
            self.crs_note = "has no CRS but latitude/longitude coordinates: using EPSG:4326"
        else:
            raise InputError(f"{self.label} has no CRS", field=self.param,
                             fix="set the CRS in the advanced parameter 'CRS of grids without one', or assign it "
                                 "(Layer Properties > Source, or gdal_translate -a_srs EPSG:4326)")
        if not self.crs.isValid():
            raise InputError(f"{self.label} has a CRS QGIS cannot use", field=self.param, fix="assign a valid CRS")

    def _time_axis(self, found, opts):
        if opts["from_file"]:
            if found is None:
                raise InputError(
                    f"{self.label} carries no time information (no NetCDF time dimension, GRIB valid time or "
                    f"dated band names)", field="TIME_SOURCE",
                    fix="choose 'From the start date and step' and give START_DATE and STEP_HOURS")
            times, self.time_note = found
        else:
            times = gridded.times_from_start(opts["start"], opts["step_hours"], self.count)
            self.time_note = f"start date {gridded.fmt_time(times[0])} and step {opts['step_hours']:g} h"
        self.axis = gridded.time_axis(times, name=self.name)

    def _netcdf_meta(self):
        """Band values, unit and time stamps of a NetCDF variable from its attributes (one value for all
        steps). Returns (times, note) or None when the time dimension has no CF units."""
        m = self.md
        self.values.set(slice(None), m.attrs, nodata=m.nodata, scale=m.scale, offset=m.offset)
        self.unit = m.arr.GetUnit() or m.attrs.get("units")
        if not m.time_units or " since " not in str(m.time_units).lower():
            return None
        times = gridded.times_from_values(m.time_values, m.time_units, m.time_calendar,
                                          field=f"{m.time_name}#units")
        cal = f", calendar {m.time_calendar}" if m.time_calendar else ""
        return times, f"NetCDF time dimension '{m.time_name}' ({m.time_units}{cal})"

    def _band_meta(self, md):
        """Band values, unit and time stamps band by band (GeoTIFF, GRIB, NetCDF the multidimensional API
        cannot read). Returns (times, note) or None when the bands carry no time."""
        band_mds, descriptions = [], []
        for i in range(self.count):
            b = self.ds.GetRasterBand(i + 1)
            bmd = b.GetMetadata() or {}
            self.values.set(i, bmd, nodata=b.GetNoDataValue(), scale=b.GetScale(), offset=b.GetOffset())
            band_mds.append(bmd)
            descriptions.append(b.GetDescription())
            if i == 0:
                self.unit = b.GetUnitType() or bmd.get("units") or None
        return gridded.times_from_metadata(md, band_mds, descriptions, name=self.name)

    # -- the wells on the grid -------------------------------------------------------------------------------------
    def weights(self, wells, wells_crs, method, context, skipped):
        """The sampling weights of each well ([PointWeights or None]); a well off the grid is named in ``skipped``."""
        transform = None
        if wells_crs != self.crs:
            transform = QgsCoordinateTransform(wells_crs, self.crs, context.transformContext())
        out = []
        for wid, pt in wells:
            try:
                p = transform.transform(pt) if transform is not None else pt
            except Exception as exc:  # QgsCsException
                skipped.setdefault(wid, f"its point cannot be transformed to the CRS of {self.label} ({exc})")
                out.append(None)
                continue
            w = self._point_weights(p.x(), p.y(), method)
            if w is None:
                skipped.setdefault(wid, self._outside(p))
            out.append(w)
        return out

    def _point_weights(self, x, y, method):
        cands = [(x, y)]
        if self.crs.isGeographic():  # 0..360 longitudes (global ERA5 grids)
            cands += [(x + 360.0, y), (x - 360.0, y)]
        for cx, cy in cands:
            w = gridded.point_weights(self.gt, self.width, self.height, cx, cy, method)
            if w is not None:
                return w
        return None

    def _outside(self, p):
        x0, dx, _, y0, _, dy = self.gt
        xs = sorted((x0, x0 + dx * self.width))
        ys = sorted((y0, y0 + dy * self.height))
        return (f"it lies outside {self.label} (the well at x={p.x():.4f}, y={p.y():.4f} in "
                f"{self.crs.authid() or 'the grid CRS'}; the grid covers x {xs[0]:.4f}..{xs[1]:.4f}, "
                f"y {ys[0]:.4f}..{ys[1]:.4f})")

    # -- reading ---------------------------------------------------------------------------------------------------
    def read(self, weights, n_wells, progress):
        """Raw values (n_steps, n_wells), NaN where invalid or the well is not on the grid."""
        out = np.full((self.count, n_wells), np.nan)
        live = [i for i, w in enumerate(weights) if w is not None]
        if not live:
            return out
        windows = self._windows(weights, live)
        total = len(windows) * self.count
        done = 0
        for (r0, r1, c0, c1), members in windows:
            h, w = r1 - r0 + 1, c1 - c0 + 1
            chunk = max(1, min(self.count, READ_BYTES // (h * w * 8)))
            for b0 in range(0, self.count, chunk):
                b1 = min(self.count, b0 + chunk)
                raw = self._window(c0, r0, w, h, b0, b1)
                for i in members:
                    pw = weights[i]
                    cells = raw[:, [r - r0 for r in pw.rows], [c - c0 for c in pw.cols]]  # (n, k), only these
                    vals = self.values.clean(cells, b0, b1)
                    out[b0:b1, i] = gridded.sample(vals[:, None, :], [0] * len(pw.rows), range(len(pw.rows)),
                                                   pw.weights)
                done += b1 - b0
                progress(done / total)
        return out

    def _windows(self, weights, live):
        """[((row0, row1, col0, col1), wells)]: one window around all wells when it is small enough and read band
        by band, else (NetCDF blocks, or wells far apart on a big grid) one small window per well."""
        rows = [r for i in live for r in weights[i].rows]
        cols = [c for i in live for c in weights[i].cols]
        box = (min(rows), max(rows), min(cols), max(cols))
        box_cells = (box[1] - box[0] + 1) * (box[3] - box[2] + 1)
        if self.md is None and box_cells * self.count * 8 <= BOX_BYTES:
            return [(box, live)]
        return [((min(weights[i].rows), max(weights[i].rows), min(weights[i].cols), max(weights[i].cols)), [i])
                for i in live]

    def _window(self, xoff, yoff, w, h, b0, b1):
        """Raw values of bands b0..b1-1 in a window, (n, h, w), in the file's data type."""
        arr = self.md.read(b0, b1, yoff, xoff, h, w) if self.md is not None else None
        if arr is None:
            if self.md is not None:  # the multidimensional view failed: the classic one, with every band
                self.md = None
                self.ds = gdal_open(self.source)
            arr = self.ds.ReadAsArray(int(xoff), int(yoff), int(w), int(h), band_list=list(range(b0 + 1, b1 + 1)))
            arr = np.asarray(arr).reshape(b1 - b0, h, w)
        return arr
