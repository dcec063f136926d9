"""Time axes of gridded files: CF time units ('hours since 1900-01-01'), band metadata (NetCDF, GRIB, band
descriptions), or a start and a step given by the user; all as UTC times without a time zone."""
import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import List, Tuple

import numpy as np
import pandas as pd

from ...errors import InputError


DAY = pd.Timedelta(days=1)
_DATE_RE = re.compile(r"^\s*(\d{4})-?(\d{2})-?(\d{2})(?:[ T_]?(\d{2})(?::?(\d{2})(?::?(\d{2}))?)?)?\s*Z?\s*$")


# -- time axes ----------------------------------------------------------------------------------------------------
_UNIT_SECONDS = {
    "second": 1, "seconds": 1, "sec": 1, "secs": 1, "s": 1,
    "minute": 60, "minutes": 60, "min": 60, "mins": 60,
    "hour": 3600, "hours": 3600, "hr": 3600, "hrs": 3600, "h": 3600,
    "day": 86400, "days": 86400, "d": 86400,
}
_CALENDARS_OK = ("", "standard", "gregorian", "proleptic_gregorian", "none")
_REF = re.compile(
    r"^(?P<y>-?\d{1,4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{1,2})(?::(?P<S>\d{1,2}(?:\.\d*)?))?)?"
    r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{1,2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)


def parse_time_units(units, calendar=None, field="time#units"):
    """'hours since 1900-01-01 00:00:00.0' -> (seconds per unit, reference as numpy datetime64[s], UTC).

    Calendars standard, gregorian and proleptic_gregorian (or none) are accepted; they agree after 1582-10-15.
    """
    cal = (calendar or "").strip().lower()
    if cal not in _CALENDARS_OK:
        raise InputError(
            f"the time axis uses the '{calendar}' calendar (climate-model dates without real leap years)",
            field=field.split("#")[0] + "#calendar",
            fix="convert the file to the standard calendar first (for example with CDO or xarray), or give "
                "`start` and `step_hours`")
    m = re.match(r"^\s*([A-Za-z]+)\s+since\s+(.+?)\s*$", str(units or ""), re.IGNORECASE)
    if not m:
        raise InputError(f"time units '{units}' are not of the form '<unit> since <date>'", field=field,
                         fix="give `start` and `step_hours` instead")
    unit = m.group(1).lower()
    if unit not in _UNIT_SECONDS:
        raise InputError(f"time unit '{m.group(1)}' cannot be used (months and years have no fixed length)",
                         field=field, fix="give `start` and `step_hours` instead")
    ref = _REF.match(m.group(2).strip())
    if not ref:
        raise InputError(f"reference date '{m.group(2)}' cannot be read", field=field,
                         fix="give `start` and `step_hours` instead")
    g = ref.groupdict()
    sec = float(g["S"] or 0)
    try:
        y, mo, d, hh, mi = int(g["y"]), int(g["m"]), int(g["d"]), int(g["H"] or 0), int(g["M"] or 0)
        _dt.datetime(max(y, 1), mo, d, hh, mi, int(sec))  # validates the fields
        ts = np.datetime64(f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mi:02d}:{int(sec):02d}", "s")
        ts = ts + np.timedelta64(int(round(sec - int(sec))), "s")
    except (ValueError, OverflowError) as exc:
        raise InputError(f"reference date '{m.group(2)}' is not a valid date ({exc})", field=field,
                         fix="give `start` and `step_hours` instead") from None
    tz = (g["tz"] or "").upper()
    if tz and tz not in ("Z", "UTC", "GMT"):
        sign = -1 if tz[0] == "-" else 1
        hhmm = tz[1:].replace(":", "")
        hours = int(hhmm[:-2]) if len(hhmm) > 2 else int(hhmm)
        minutes = int(hhmm[-2:]) if len(hhmm) > 2 else 0
        ts = ts - sign * np.timedelta64(hours * 3600 + minutes * 60, "s")
    if cal in ("standard", "gregorian") and ts < np.datetime64("1582-10-15", "s"):
        raise InputError(f"the reference date {str(ts)[:10]} lies before 1582-10-15 in the mixed Julian/Gregorian "
                         f"'{calendar}' calendar", field=field,
                         fix="rewrite the time axis with a later reference date (cdo setreftime), or give "
                             "`start` and `step_hours`")
    return _UNIT_SECONDS[unit], ts


def ns_index(times):
    """``times`` as a DatetimeIndex counted in nanoseconds: pandas 3 infers the unit (s, ms, us) where 2.x always
    used ns, and the step and gap arithmetic here reads ``asi8`` as nanoseconds."""
    return pd.DatetimeIndex(times).astype("datetime64[ns]")


def times_from_values(values, units, calendar=None, field="time#units"):
    """Time stamps of NetCDF time coordinate ``values`` with CF ``units`` and ``calendar`` (rounded to seconds)."""
    seconds, ref = parse_time_units(units, calendar, field)
    v = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(v)):
        raise InputError("the time coordinate holds missing values", field=field,
                         fix="give `start` and `step_hours` instead")
    offsets = np.round(v * seconds).astype("int64")
    lo, hi = np.datetime64("1678-01-01", "s"), np.datetime64("2261-12-31", "s")
    if v.size and ((offsets.max() > (hi - ref).astype("int64")) or (offsets.min() < (lo - ref).astype("int64"))):
        raise InputError(f"the time values ({v.min():g} to {v.max():g} {units}) fall outside the years 1678-2261",
                         field=field, fix="check the time units, or give `start` and `step_hours`")
    stamps = ref + offsets.astype("timedelta64[s]")
    return ns_index(stamps.astype("datetime64[ns]"))


def times_from_start(start, step_hours, n):
    """``n`` time stamps from ``start`` every ``step_hours`` hours."""
    if step_hours is None or not step_hours > 0:
        raise InputError(f"the step must be a positive number of hours, not {step_hours}", setting="step_hours",
                         fix="give the time between two bands in hours (24 for daily, 1 for hourly grids)")
    step = pd.Timedelta(seconds=round(float(step_hours) * 3600))
    return ns_index(pd.Timestamp(start) + step * np.arange(int(n)))


def _parse_band_date(text):
    m = _DATE_RE.match(str(text or ""))
    if not m:
        return None
    y, mo, d, hh, mi, ss = (int(x) if x else 0 for x in m.groups())
    try:
        return pd.Timestamp(y, mo, d, hh, mi, ss)
    except ValueError:
        return None


def _braced(text):
    return [s.strip() for s in str(text or "").strip().strip("{}").split(",") if s.strip()]


def _netcdf_times(d, dims, dataset_md, band_mds, name):
    """The band times along the NetCDF time dimension ``d``: (DatetimeIndex, description)."""
    units = _md_get(dataset_md, f"{d}#units")
    calendar = _md_get(dataset_md, f"{d}#calendar")
    if not units:
        raise InputError(f"raster '{name}' has a time dimension '{d}' without units", field=f"{d}#units",
                         fix="give `start` and `step_hours` instead")
    raw = [m.get(f"NETCDF_DIM_{d}") for m in band_mds]
    if any(v is None for v in raw):
        raise InputError(f"raster '{name}': some bands do not say their '{d}' value", field=f"NETCDF_DIM_{d}",
                         fix="give `start` and `step_hours` instead")
    for other in dims:
        if other == d:
            continue
        seen = {m.get(f"NETCDF_DIM_{other}") for m in band_mds}
        if len(seen) > 1:
            raise InputError(
                f"raster '{name}' has a second dimension '{other}' with {len(seen)} values besides time "
                f"(bands mix {other} and time)", field=f"NETCDF_DIM_{other}",
                fix=f"keep one '{other}' value (for example gdal_translate with the matching bands, or cdo "
                    f"sellevidx/selvar) so that there is one band per time step")
    try:
        values = [float(v) for v in raw]
    except ValueError:
        raise InputError(f"raster '{name}': time values {raw[:3]}... are not numbers",
                         field=f"NETCDF_DIM_{d}", fix="give `start` and `step_hours` instead") from None
    return times_from_values(values, units, calendar, field=f"{d}#units"), \
        f"NetCDF time dimension '{d}' ({units}{', calendar ' + calendar if calendar else ''})"


def times_from_metadata(dataset_md, band_mds, band_descriptions=None, name="raster"):
    """The time stamp of every band from GDAL metadata, or None when the raster carries no time information.

    Looks, in this order, for the NetCDF time dimension (``NETCDF_DIM_EXTRA``, ``<dim>#units``,
    ``<dim>#calendar`` and each band's ``NETCDF_DIM_<dim>``; also what ``gdal_translate`` copies into a GeoTIFF),
    GRIB's ``GRIB_VALID_TIME`` of each band, and band descriptions that are all dates (2000-01-31, 20000131,
    2000-01-31T06:00). Returns ``(DatetimeIndex, description of the source)``.
    """
    dataset_md = {str(k): v for k, v in (dataset_md or {}).items()}
    band_mds = [dict(m or {}) for m in band_mds]
    n = len(band_mds)
    # 1. NetCDF dimensions: named in NETCDF_DIM_EXTRA, or found on the bands
    dims = _braced(dataset_md.get("NETCDF_DIM_EXTRA"))
    if not dims and band_mds:
        dims = [k[len("NETCDF_DIM_"):] for k in band_mds[0] if k.startswith("NETCDF_DIM_")
                and not k.endswith(("_DEF", "_VALUES"))]
    time_dims = [d for d in dims if " since " in str(_md_get(dataset_md, f"{d}#units") or "").lower()]
    if not time_dims:
        time_dims = [d for d in dims if d.lower() in ("time", "valid_time", "t")]
    if time_dims:
        return _netcdf_times(time_dims[0], dims, dataset_md, band_mds, name)
    # 2. GRIB valid time (seconds since 1970-01-01 UTC)
    if n and all("GRIB_VALID_TIME" in m for m in band_mds):
        try:
            secs = [int(float(str(m["GRIB_VALID_TIME"]).split()[0])) for m in band_mds]
        except (ValueError, IndexError):
            secs = None
        if secs is not None:
            return pd.DatetimeIndex(pd.to_datetime(secs, unit="s")), "GRIB_VALID_TIME of each band"
    # 3. band descriptions that are dates
    if band_descriptions and len(band_descriptions) == n and n:
        parsed = [_parse_band_date(t) for t in band_descriptions]
        if all(p is not None for p in parsed):
            return pd.DatetimeIndex(parsed), "band names (dates)"
    return None


def _md_get(dataset_md, key):
    if key in dataset_md:
        return dataset_md[key]
    for k, v in dataset_md.items():  # some drivers prefix the keys (NC_GLOBAL#..., a subdataset's variable)
        if k.endswith("#" + key) or k.lower() == key.lower():
            return v
    return None


@dataclass
class TimeAxis:
    times: pd.DatetimeIndex
    step: pd.Timedelta
    gaps: List[Tuple[pd.Timestamp, pd.Timestamp]] = field(default_factory=list)

    @property
    def step_hours(self):
        return self.step / pd.Timedelta(hours=1)

    def describe(self):
        return (f"{len(self.times)} bands, {fmt_time(self.times[0])} to {fmt_time(self.times[-1])}, "
                f"step {fmt_step(self.step)}" + (f", {len(self.gaps)} gaps" if self.gaps else ""))


def fmt_time(t):
    t = pd.Timestamp(t)
    return str(t.date()) if t == t.normalize() else t.strftime("%Y-%m-%d %H:%M")


def fmt_step(step):
    h = step / pd.Timedelta(hours=1)
    if h % 24 == 0:
        return f"{int(h // 24)} day" + ("s" if h != 24 else "")
    return f"{h:g} h"


def time_axis(times, name="raster"):
    """Check a time axis: sorted, no duplicates, one step (gaps allowed) that divides a day. Returns TimeAxis."""
    t = ns_index(times)
    if len(t) == 0:
        raise InputError(f"raster '{name}' has no bands", fix="choose a raster with one band per time step")
    if len(t) == 1:
        raise InputError(f"raster '{name}' has a single band ({fmt_time(t[0])}): a time series needs one band per "
                         f"time step", fix="choose the multi-band stack (or the NetCDF variable) holding the series")
    d = np.diff(t.asi8)
    bad = np.nonzero(d <= 0)[0]
    if len(bad):
        i = bad[0]
        what = "repeats" if d[i] == 0 else "goes backwards"
        raise InputError(f"raster '{name}': the time axis {what} at bands {i + 1} and {i + 2} "
                         f"({fmt_time(t[i])}, {fmt_time(t[i + 1])})",
                         fix="use a file with one band per time step in time order (for example cdo mergetime)")
    step_ns = int(d.min())
    step = pd.Timedelta(step_ns, unit="ns")
    if DAY.value % step_ns != 0:
        if step > DAY:
            fix = "forcing must be daily or finer; use daily grids"
        else:
            fix = "use a step that divides a day (1, 2, 3, 4, 6, 8, 12 or 24 hours)"
        raise InputError(f"raster '{name}' has a time step of {fmt_step(step)}, which does not divide a day",
                         fix=fix)
    off = np.nonzero(d % step_ns != 0)[0]
    if len(off):
        i = off[0]
        raise InputError(f"raster '{name}': the time axis is irregular between bands {i + 1} and {i + 2} "
                         f"({fmt_time(t[i])} to {fmt_time(t[i + 1])}, the step is {fmt_step(step)})",
                         fix="use a file with a regular time axis")
    gaps = [(t[i], t[i + 1]) for i in np.nonzero(d > step_ns)[0]]
    return TimeAxis(t, step, gaps)


def same_axes(axes):
    """Refuse time axes that differ across rasters. ``axes``: {raster label: TimeAxis}."""
    items = list(axes.items())
    if not items:
        return
    name0, a0 = items[0]
    for name, a in items[1:]:
        if len(a.times) != len(a0.times) or not np.array_equal(a.times.asi8, a0.times.asi8):
            raise InputError(
                f"rasters '{name0}' ({a0.describe()}) and '{name}' ({a.describe()}) have different time axes",
                fix="give every role the same period and time step (clip or resample the files, e.g. with cdo "
                    "seldate/mergetime), so that band i is the same time in every raster")
