"""GDAL's two views of a raster stack: the classic one (band by band, any format GDAL reads) and, for NetCDF, the
multidimensional one (a (time, y, x) block in one call). GDAL's global settings are never changed."""
import numpy as np
from qgis.core import QgsProviderRegistry


def gdal_open(source, max_bands=None):
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


class NetcdfArray:
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


def netcdf_array(source):
    """A NetcdfArray for the NetCDF variable behind ``source`` (a path or NETCDF:"path":var), else None."""
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
        return NetcdfArray(mdds, arr, var, path)
    except Exception:
        return None
