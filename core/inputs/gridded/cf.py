"""What the CF conventions (and GDAL's view of them) say about a raster's numbers: fill and missing values, the
valid range, packing, and whether the coordinates are latitude/longitude. Pure numpy: the reader (GDAL, in
``processing/``) hands the attributes in."""
import math

import numpy as np

LAT_UNITS = ("degrees_north", "degree_north", "degrees_n", "degree_n")
LON_UNITS = ("degrees_east", "degree_east", "degrees_e", "degree_e")


def numbers(text):
    """The numbers of an attribute value (``'{0,100}'``, ``'0 100'``, ``[0, 100]``); [] when it holds other text."""
    if text is None:
        return []
    out = []
    for s in str(text).strip().strip("{}[]").replace(",", " ").split():
        try:
            out.append(float(s))
        except ValueError:
            return []
    return out


def first_number(text):
    n = numbers(text)
    return n[0] if n else None


def value_limits(attrs):
    """``(missing_value, valid_min, valid_max)`` from a variable's or band's attributes: NaN, -inf and inf where
    the attribute is absent; ``valid_min``/``valid_max`` override ``valid_range``."""
    missing = first_number(attrs.get("missing_value"))
    vmin, vmax = -math.inf, math.inf
    valid = numbers(attrs.get("valid_range"))
    if len(valid) == 2:
        vmin, vmax = valid
    if first_number(attrs.get("valid_min")) is not None:
        vmin = first_number(attrs.get("valid_min"))
    if first_number(attrs.get("valid_max")) is not None:
        vmax = first_number(attrs.get("valid_max"))
    return (math.nan if missing is None else missing), vmin, vmax


def is_latlon(md, gt, width, height):
    """True when the NetCDF coordinates are latitude/longitude (CF units or standard names) and the grid's
    extent lies within degrees."""
    keys = {k.lower(): str(v).lower() for k, v in md.items()}

    def named(units, standard_name):
        return any(k.endswith("#units") and v in units for k, v in keys.items()) or any(
            k.endswith("#standard_name") and v == standard_name for k, v in keys.items())

    x0, dx, _, y0, _, dy = gt
    xa, xb = sorted((x0, x0 + dx * width))
    ya, yb = sorted((y0, y0 + dy * height))
    return (named(LAT_UNITS, "latitude") and named(LON_UNITS, "longitude") and -180.5 <= xa and xb <= 360.5
            and -90.5 <= ya and yb <= 90.5 and not math.isnan(dx))


class BandValues:
    """Per band (time step) of a stack: nodata, missing_value, valid range and packing, and the cleaning of raw
    cell values with them."""

    def __init__(self, n):
        self.nodata = np.full(n, np.nan)
        self.missing = np.full(n, np.nan)
        self.vmin = np.full(n, -np.inf)
        self.vmax = np.full(n, np.inf)
        self.scale = np.ones(n)
        self.offset = np.zeros(n)

    def set(self, where, attrs, nodata=None, scale=None, offset=None):
        """The attributes of bands ``where`` (an index or a slice)."""
        if nodata is not None:
            self.nodata[where] = nodata
        self.scale[where] = scale if scale not in (None, 0) else 1.0
        self.offset[where] = offset or 0.0
        self.missing[where], self.vmin[where], self.vmax[where] = value_limits(attrs)

    def clean(self, raw, b0, b1):
        """Raw cell values (n, k) of bands b0..b1-1 as float: nodata, missing_value, outside valid_range and NaN
        become NaN; packed values are unpacked (scale_factor, add_offset)."""
        v = raw.astype(float)
        sl = slice(b0, b1)
        bad = ~np.isfinite(v)
        bad |= equal_mask(raw, self.nodata[sl])
        bad |= equal_mask(raw, self.missing[sl])
        bad |= (v < self.vmin[sl][:, None]) | (v > self.vmax[sl][:, None])
        v = v * self.scale[sl][:, None] + self.offset[sl][:, None]
        v[bad] = np.nan
        return v


def equal_mask(arr, values):
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
