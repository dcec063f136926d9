"""Gridded climate forcing to daily driver series: time axes, unit presets, deaccumulation, daily sums and means,
and the weights that sample a grid at a point (nearest cell or bilinear over valid neighbours).

Pure numpy/pandas: the reading of rasters (GDAL) lives in ``processing/sample_forcing.py``; everything that decides
what a number means lives here, so a notebook can do the same without QGIS.

Conventions
-----------
- Raw series are arrays ``(n_steps, n_points)``; NaN marks a missing value (nodata, fill value, outside data).
- A time axis is a sorted ``pandas.DatetimeIndex`` in UTC without a time zone (as NetCDF files hold it).
- Fluxes (precipitation, evaporation) are turned into a rate in mm/day for every step, then averaged over the
  steps of each day, which equals the daily total (sum of the step amounts) for a complete day. Temperature and
  other states are averaged. A day needs every one of its steps: a day that misses a step or a value is NaN.
"""
import datetime as _dt
import math
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np
import pandas as pd

from ..errors import InputError

DAY = pd.Timedelta(days=1)
KELVIN = 273.15

# -- unit presets -----------------------------------------------------------------------------------------------
ERA5_LAND = "ERA5-Land"
ERA5 = "ERA5 hourly (single levels)"
CMFD = "CMFD"
NATIVE = "mm/day and degC"
PRESETS = (ERA5_LAND, ERA5, CMFD, NATIVE)
FORCING_ROLES = ("precip", "temp", "pet")


@dataclass(frozen=True)
class Conversion:
    """How one gridded variable becomes a daily driver.

    ``value * scale + offset`` is the value in the target unit; with ``amount`` the value is an amount over its
    step (metres in the step), turned into a rate per day (x 1 day / step). ``accumulated``: ERA5-Land style
    accumulation since 00 UTC, differenced back to step amounts first (sub-daily steps only). ``flux``: the value
    belongs to a time interval whose end or start (``label``) is the time stamp; otherwise it is an
    instantaneous state, belonging to the day of its time stamp. ``how``: daily mean of the rates (equal to the
    daily total for fluxes) or daily sum of the values. ``clip_min`` is applied to the daily value.
    ``nonnegative``: a flux that cannot be negative (precipitation): accumulations that decrease are refused,
    tiny negative step amounts (packing noise) set to 0.
    """

    unit: str
    units_seen: Tuple[str, ...] = ()
    scale: float = 1.0
    offset: float = 0.0
    amount: bool = False
    accumulated: bool = False
    flux: bool = True
    label: str = "end"
    how: str = "mean"
    clip_min: Optional[float] = None
    nonnegative: bool = False
    target: str = "mm/day"

    def describe(self):
        parts = [self.unit]
        if self.accumulated:
            parts.append("accumulated since 00 UTC, differenced to step amounts")
        if self.flux:
            parts.append(f"time stamp at the {self.label} of its interval")
        return "; ".join(parts)


_M = ("m", "metre", "metres", "meter", "meters", "mofwaterequivalent", "m_of_water_equivalent")
_K = ("k", "kelvin", "degk", "degreesk")
_MM_DAY = ("mm/day", "mm/d", "mmd-1", "mmday-1", "mm", "kgm-2d-1", "kgm-2day-1", "mm/24h")
_MM_HR = ("mm/hr", "mm/h", "mmhr-1", "mmh-1", "kgm-2h-1", "mm/hour")
_DEGC = ("degc", "c", "°c", "celsius", "degreec", "degreesc", "degree_celsius", "degrees_celsius", "deg_c")

PRESET_CONVERSIONS: Dict[str, Dict[str, Conversion]] = {
    ERA5_LAND: {
        "precip": Conversion("tp in m of water, accumulated since 00 UTC (hourly product) or daily totals in m",
                             _M, scale=1000.0, amount=True, accumulated=True, label="end", clip_min=0.0,
                             nonnegative=True),
        "temp": Conversion("t2m in K (instantaneous)", _K, offset=-KELVIN, flux=False, target="degC"),
        "pet": Conversion("pev in m of water, negative = evaporation, accumulated since 00 UTC",
                          _M, scale=-1000.0, amount=True, accumulated=True, label="end", clip_min=0.0),
    },
    ERA5: {
        "precip": Conversion("tp in m of water over the hour ending at the time stamp", _M, scale=1000.0,
                             amount=True, label="end", clip_min=0.0, nonnegative=True),
        "temp": Conversion("t2m in K (instantaneous)", _K, offset=-KELVIN, flux=False, target="degC"),
        "pet": Conversion("pev in m of water over the step, negative = evaporation", _M, scale=-1000.0,
                          amount=True, label="end", clip_min=0.0),
    },
    CMFD: {
        "precip": Conversion("prec in mm/hr, mean rate over the step ending at the time stamp", _MM_HR,
                             scale=24.0, label="end", clip_min=0.0),
        "temp": Conversion("temp in K (instantaneous)", _K, offset=-KELVIN, flux=False, target="degC"),
        "pet": Conversion("evaporation in mm/hr, mean rate over the step ending at the time stamp", _MM_HR,
                          scale=24.0, label="end", clip_min=0.0),
    },
    NATIVE: {
        "precip": Conversion("precipitation in mm/day, stamped with the start of its interval (its own day)",
                             _MM_DAY, label="start"),
        "temp": Conversion("temperature in degC", _DEGC, flux=False, target="degC"),
        "pet": Conversion("potential evaporation in mm/day, stamped with its own day", _MM_DAY, label="start"),
    },
}


def conversion(role, preset, label=None, other_how="mean"):
    """The Conversion of ``role`` ('precip', 'temp', 'pet' or 'other') under ``preset``.

    ``label`` ('end'/'start') overrides the preset's time stamp convention for fluxes. Other drivers are taken
    in their own units: daily mean (states: snow depth, soil temperature, soil moisture) or daily sum.
    """
    if preset not in PRESET_CONVERSIONS:
        raise InputError(f"unknown unit preset '{preset}'", field="UNITS", fix=f"choose one of {', '.join(PRESETS)}")
    if role == "other":
        if other_how not in ("mean", "sum"):
            raise InputError(f"unknown daily aggregation '{other_how}'", field="OTHER_AGGREGATION",
                             fix="choose mean or sum")
        conv = Conversion("taken as it is", flux=False, how=other_how, target="as in the file")
    else:
        conv = PRESET_CONVERSIONS[preset][role]
    if label is not None and conv.flux:
        if label not in ("end", "start"):
            raise InputError(f"unknown time stamp convention '{label}'", field="FLUX_LABEL", fix="end or start")
        conv = _replace(conv, label=label)
    return conv


def _replace(conv, **kw):
    d = dict(conv.__dict__)
    d.update(kw)
    return Conversion(**d)


def _norm_unit(u):
    return re.sub(r"[\s\*\^]", "", str(u).strip().lower()).replace("per", "/")


def unit_mismatch(conv, unit):
    """A warning when the file's ``units`` attribute does not match what the preset assumes (None when fine)."""
    if not unit or not conv.units_seen:
        return None
    if _norm_unit(unit) in {_norm_unit(u) for u in conv.units_seen}:
        return None
    return f"the file says its unit is '{unit}', but the preset assumes {conv.unit}"


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
                "START_DATE and STEP_HOURS")
    m = re.match(r"^\s*([A-Za-z]+)\s+since\s+(.+?)\s*$", str(units or ""), re.IGNORECASE)
    if not m:
        raise InputError(f"time units '{units}' are not of the form '<unit> since <date>'", field=field,
                         fix="give START_DATE and STEP_HOURS instead")
    unit = m.group(1).lower()
    if unit not in _UNIT_SECONDS:
        raise InputError(f"time unit '{m.group(1)}' cannot be used (months and years have no fixed length)",
                         field=field, fix="give START_DATE and STEP_HOURS instead")
    ref = _REF.match(m.group(2).strip())
    if not ref:
        raise InputError(f"reference date '{m.group(2)}' cannot be read", field=field,
                         fix="give START_DATE and STEP_HOURS instead")
    g = ref.groupdict()
    sec = float(g["S"] or 0)
    try:
        y, mo, d, hh, mi = int(g["y"]), int(g["m"]), int(g["d"]), int(g["H"] or 0), int(g["M"] or 0)
        _dt.datetime(max(y, 1), mo, d, hh, mi, int(sec))  # validates the fields
        ts = np.datetime64(f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mi:02d}:{int(sec):02d}", "s")
        ts = ts + np.timedelta64(int(round(sec - int(sec))), "s")
    except (ValueError, OverflowError) as exc:
        raise InputError(f"reference date '{m.group(2)}' is not a valid date ({exc})", field=field,
                         fix="give START_DATE and STEP_HOURS instead") from None
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
                             "START_DATE and STEP_HOURS")
    return _UNIT_SECONDS[unit], ts


def times_from_values(values, units, calendar=None, field="time#units"):
    """Time stamps of NetCDF time coordinate ``values`` with CF ``units`` and ``calendar`` (rounded to seconds)."""
    seconds, ref = parse_time_units(units, calendar, field)
    v = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(v)):
        raise InputError("the time coordinate holds missing values", field=field,
                         fix="give START_DATE and STEP_HOURS instead")
    offsets = np.round(v * seconds).astype("int64")
    lo, hi = np.datetime64("1678-01-01", "s"), np.datetime64("2261-12-31", "s")
    if v.size and ((offsets.max() > (hi - ref).astype("int64")) or (offsets.min() < (lo - ref).astype("int64"))):
        raise InputError(f"the time values ({v.min():g} to {v.max():g} {units}) fall outside the years 1678-2261",
                         field=field, fix="check the time units, or give START_DATE and STEP_HOURS")
    stamps = ref + offsets.astype("timedelta64[s]")
    return pd.DatetimeIndex(stamps.astype("datetime64[ns]"))


def times_from_start(start, step_hours, n):
    """``n`` time stamps from ``start`` every ``step_hours`` hours."""
    if step_hours is None or not step_hours > 0:
        raise InputError(f"the step must be a positive number of hours, not {step_hours}", field="STEP_HOURS",
                         fix="give the time between two bands in hours (24 for daily, 1 for hourly grids)")
    step = pd.Timedelta(seconds=round(float(step_hours) * 3600))
    return pd.DatetimeIndex(pd.Timestamp(start) + step * np.arange(int(n)))


_DATE_RE = re.compile(r"^\s*(\d{4})-?(\d{2})-?(\d{2})(?:[ T_]?(\d{2})(?::?(\d{2})(?::?(\d{2}))?)?)?\s*Z?\s*$")


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
        d = time_dims[0]
        units = _md_get(dataset_md, f"{d}#units")
        calendar = _md_get(dataset_md, f"{d}#calendar")
        if not units:
            raise InputError(f"raster '{name}' has a time dimension '{d}' without units", field=f"{d}#units",
                             fix="give START_DATE and STEP_HOURS instead")
        raw = [m.get(f"NETCDF_DIM_{d}") for m in band_mds]
        if any(v is None for v in raw):
            raise InputError(f"raster '{name}': some bands do not say their '{d}' value", field=f"NETCDF_DIM_{d}",
                             fix="give START_DATE and STEP_HOURS instead")
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
                             field=f"NETCDF_DIM_{d}", fix="give START_DATE and STEP_HOURS instead") from None
        return times_from_values(values, units, calendar, field=f"{d}#units"), \
            f"NetCDF time dimension '{d}' ({units}{', calendar ' + calendar if calendar else ''})"
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
    t = pd.DatetimeIndex(times)
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


# -- step values to daily values ----------------------------------------------------------------------------------
def deaccumulate(acc, times, step):
    """Step amounts from values accumulated since 00 UTC (ERA5-Land): amount(t) = acc(t) - acc(t - step), except
    right after 00 UTC, where the accumulation restarts (the 00 UTC value closes the previous day).

    ``acc``: (n_steps, n_points). A step whose previous value is missing (first band, a gap, NaN) is NaN unless it
    starts a new accumulation. Times must sit on the step grid counted from 00 UTC.
    """
    acc = np.asarray(acc, dtype=float)
    t = pd.DatetimeIndex(times)
    tod = (t - t.normalize()).asi8
    if np.any(tod % step.value != 0):
        raise InputError(
            f"accumulated values need time stamps on the {fmt_step(step)} grid from 00 UTC; the first is "
            f"{fmt_time(t[0])}", field="UNITS",
            fix="use the hourly ERA5-Land time steps as downloaded (00:00 ... 23:00)")
    prev_start = (t - step)
    restart = (prev_start - prev_start.normalize()).asi8 == 0  # the step starts at 00 UTC
    prev_ok = np.zeros(len(t), dtype=bool)
    prev_ok[1:] = (t.asi8[1:] - t.asi8[:-1]) == step.value
    prev = np.full_like(acc, np.nan)
    prev[1:] = acc[:-1]
    prev[~prev_ok] = np.nan
    prev[restart] = 0.0
    return acc - prev


def negative_share(amounts, tolerance):
    """Share of finite step amounts below -tolerance (a sign that the values were not accumulated)."""
    a = np.asarray(amounts, dtype=float)
    fin = np.isfinite(a)
    if not fin.any():
        return 0.0
    return float(np.count_nonzero(a[fin] < -tolerance)) / float(fin.sum())


def step_days(times, step, label, utc_offset_hours=0.0, flux=True):
    """The calendar day each step belongs to: the day of the interval's start for fluxes stamped at its end, the
    day of the time stamp otherwise; in local time when ``utc_offset_hours`` is given."""
    t = pd.DatetimeIndex(times)
    if flux and label == "end":
        t = t - step
    if utc_offset_hours:
        t = t + pd.Timedelta(hours=float(utc_offset_hours))
    return t.normalize()


@dataclass
class Daily:
    """Daily values of one driver: ``values`` (n_days, n_points) on ``days``; what was dropped or is missing."""

    days: pd.DatetimeIndex
    values: np.ndarray
    dropped: List[pd.Timestamp] = field(default_factory=list)
    incomplete: List[pd.Timestamp] = field(default_factory=list)


def to_daily(rates, times, step, label="end", how="mean", utc_offset_hours=0.0, flux=True):
    """Aggregate step values to calendar days (mean or sum). A day is complete when all its 1 day / step steps are
    on the axis; incomplete days at either end are dropped, those inside (gaps) become NaN; a day with any NaN
    step is NaN. The days run without holes from the first to the last complete day."""
    v = np.asarray(rates, dtype=float)
    if v.ndim == 1:
        v = v[:, None]
    per_day = int(DAY / step)
    days = step_days(times, step, label, utc_offset_hours, flux)
    codes = days.asi8
    uniq, first, counts = np.unique(codes, return_index=True, return_counts=True)
    sums = np.add.reduceat(v, first, axis=0) if len(v) else np.zeros((0, v.shape[1]))
    complete = counts == per_day
    uniq_days = pd.DatetimeIndex(uniq)
    if not complete.any():
        return Daily(pd.DatetimeIndex([]), np.zeros((0, v.shape[1])), list(uniq_days), [])
    lo, hi = np.nonzero(complete)[0][[0, -1]]
    dropped = list(uniq_days[:lo]) + list(uniq_days[hi + 1:])
    all_days = pd.date_range(uniq_days[lo], uniq_days[hi], freq="D")
    out = np.full((len(all_days), v.shape[1]), np.nan)
    pos = ((uniq[lo:hi + 1] - uniq[lo]) // DAY.value).astype(int)
    agg = sums[lo:hi + 1] / (per_day if how == "mean" else 1.0)
    ok = complete[lo:hi + 1]
    out[pos[ok]] = agg[ok]
    incomplete = sorted(set(all_days) - set(uniq_days[lo:hi + 1][ok]))
    return Daily(all_days, out, dropped, list(incomplete))


def daily_series(raw, axis, conv, utc_offset_hours=0.0):
    """Raw step values (n_steps, n_points) of one raster -> Daily in the target unit, and a list of warnings."""
    raw = np.asarray(raw, dtype=float)
    if raw.ndim == 1:
        raw = raw[:, None]
    warnings = []
    step = axis.step
    values = raw
    if conv.accumulated and step < DAY:
        values = deaccumulate(raw, axis.times, step)
        share = negative_share(values, tolerance=1e-5)
        if share > 0.05 and conv.nonnegative:
            raise InputError(
                f"the values do not look accumulated since 00 UTC: {share:.0%} of the step differences are "
                f"negative", field="UNITS",
                fix="for ERA5 (not ERA5-Land) hourly data, or values already per step, choose the preset "
                    f"'{ERA5}'")
        if conv.nonnegative:  # packing noise: tiny negative increments of a non-negative flux
            values = np.where(values < 0, 0.0, values)
    elif conv.accumulated and step == DAY:
        tod = (axis.times - axis.times.normalize()).asi8
        if np.any(tod != 0):
            warnings.append("24-hour accumulated values are not stamped 00 UTC: a value at another hour holds "
                            "only the accumulation since 00 UTC of that day")
    rate = values * conv.scale + conv.offset
    if conv.amount:
        rate = rate * (DAY / step)
    daily = to_daily(rate, axis.times, step, conv.label, conv.how, utc_offset_hours, conv.flux)
    if conv.clip_min is not None:
        with np.errstate(invalid="ignore"):
            daily.values = np.where(daily.values < conv.clip_min, conv.clip_min, daily.values)
    return daily, warnings


def plausibility(role, values, preset=None):
    """Warnings when daily values look like the wrong unit (kelvin as degC, metres as mm, ...)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return []
    out = []
    hint = f" (unit preset '{preset}')" if preset else ""
    if role == "temp":
        med = float(np.median(v))
        if med > 150:
            out.append(f"daily temperatures around {med:.0f} degC look like kelvin{hint}: choose a preset that "
                       f"converts K (ERA5-Land, ERA5, CMFD)")
        elif med < -150:
            out.append(f"daily temperatures around {med:.0f} degC: the values were converted from kelvin twice"
                       f"{hint}; choose 'mm/day and degC'")
        elif v.min() < -90 or v.max() > 65:
            out.append(f"daily temperatures from {v.min():.1f} to {v.max():.1f} degC are beyond Earth's records")
    elif role in ("precip", "pet"):
        what = "precipitation" if role == "precip" else "potential evaporation"
        limit = 1000.0 if role == "precip" else 40.0
        if v.max() > limit:
            out.append(f"daily {what} up to {v.max():.0f} mm/day is far too high{hint}: check the unit preset "
                       f"(mm/hr rates taken as mm/day, or mm taken as m)")
        if v.min() < -0.01:
            out.append(f"negative daily {what} (down to {v.min():.2f} mm/day)")
        if v.size >= 365 and 0 < v.max() < 0.3:
            out.append(f"daily {what} never exceeds {v.max():.3f} mm/day: the values look like metres{hint}; "
                       f"choose a preset that converts m (ERA5-Land, ERA5)")
    return out


# -- combining drivers into the forcing table ---------------------------------------------------------------------
def common_days(dailies):
    """The days every driver has: {name: Daily} -> (DatetimeIndex, {name: days dropped from that driver})."""
    if not dailies:
        return pd.DatetimeIndex([]), {}
    starts = [d.days[0] for d in dailies.values() if len(d.days)]
    ends = [d.days[-1] for d in dailies.values() if len(d.days)]
    if len(starts) < len(dailies):
        return pd.DatetimeIndex([]), {}
    lo, hi = max(starts), min(ends)
    if lo > hi:
        return pd.DatetimeIndex([]), {}
    days = pd.date_range(lo, hi, freq="D")
    trimmed = {k: list(d.days[(d.days < lo) | (d.days > hi)]) for k, d in dailies.items()}
    return days, trimmed


def select_days(daily, days):
    """Values of ``daily`` on ``days`` (a sub-range of its days)."""
    idx = ((days.asi8 - daily.days[0].value) // DAY.value).astype(int)
    return daily.values[idx]


def forcing_frame(well_ids, days, columns):
    """The long forcing table: ``well_id``, ``date``, one column per driver; ``columns`` {name: (n_days, n_wells)}."""
    n_w, n_d = len(well_ids), len(days)
    frame = pd.DataFrame({
        "well_id": np.repeat(np.asarray([str(w) for w in well_ids], dtype=object), n_d),
        "date": np.tile(pd.DatetimeIndex(days).values, n_w),
    })
    for name, arr in columns.items():
        arr = np.asarray(arr, dtype=float).reshape(n_d, n_w)
        frame[name] = arr.T.reshape(-1)
    return frame


def date_ranges(days, mask):
    """Runs of consecutive days where ``mask`` is true: [(first, last), ...]."""
    days = pd.DatetimeIndex(days)
    m = np.asarray(mask, dtype=bool)
    out = []
    i, n = 0, len(m)
    while i < n:
        if m[i]:
            j = i
            while j + 1 < n and m[j + 1] and (days[j + 1] - days[j]) == DAY:
                j += 1
            out.append((days[i], days[j]))
            i = j + 1
        else:
            i += 1
    return out


def format_ranges(ranges, limit=8):
    """'2001-01-03..2001-01-05, 2001-02-01 and 3 more ranges'."""
    parts = [fmt_time(a) if a == b else f"{fmt_time(a)}..{fmt_time(b)}" for a, b in ranges[:limit]]
    more = len(ranges) - limit
    return ", ".join(parts) + (f" and {more} more range{'s' if more > 1 else ''}" if more > 0 else "")


# -- sampling a grid at points ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PointWeights:
    """Cells (rows, cols) around one point and their weights (sum 1)."""

    rows: Tuple[int, ...]
    cols: Tuple[int, ...]
    weights: Tuple[float, ...]


def point_weights(geotransform, width, height, x, y, method="bilinear"):
    """Cells and weights that sample a north-up grid at (x, y) in the grid's CRS; None when outside the grid.

    ``nearest``: the cell holding the point. ``bilinear``: the four cell centres around the point (clamped at the
    grid's edge); cells with zero weight are left out, so a point on a cell centre takes that cell exactly.
    """
    x0, dx, rx, y0, ry, dy = (float(g) for g in geotransform)
    if rx != 0 or ry != 0:
        raise InputError("the grid is rotated (its geotransform has rotation terms)",
                         fix="warp the raster to a north-up grid first (Raster > Projections > Warp)")
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    px = (x - x0) / dx
    py = (y - y0) / dy
    eps = 1e-9
    if not (-eps <= px <= width + eps and -eps <= py <= height + eps):
        return None
    if method == "nearest":
        c = min(max(int(math.floor(px)), 0), width - 1)
        r = min(max(int(math.floor(py)), 0), height - 1)
        return PointWeights((r,), (c,), (1.0,))
    if method != "bilinear":
        raise InputError(f"unknown interpolation '{method}'", field="INTERPOLATION", fix="nearest or bilinear")
    fx, fy = px - 0.5, py - 0.5
    c0, r0 = int(math.floor(fx)), int(math.floor(fy))
    tx, ty = fx - c0, fy - r0
    cells = {}
    for r, wy in ((r0, 1 - ty), (r0 + 1, ty)):
        for c, wx in ((c0, 1 - tx), (c0 + 1, tx)):
            w = wx * wy
            if w <= 1e-12:
                continue
            key = (min(max(r, 0), height - 1), min(max(c, 0), width - 1))
            cells[key] = cells.get(key, 0.0) + w
    total = sum(cells.values())
    keys = sorted(cells)
    return PointWeights(tuple(k[0] for k in keys), tuple(k[1] for k in keys),
                        tuple(cells[k] / total for k in keys))


def sample(values, rows, cols, weights):
    """Weighted value over valid cells only, for every step: ``values`` (n_steps, n_rows, n_cols) with NaN for
    invalid cells; ``rows``/``cols`` index into it. NaN where no listed cell is valid."""
    v = np.asarray(values, dtype=float)[:, np.asarray(rows, dtype=int), np.asarray(cols, dtype=int)]
    w = np.asarray(weights, dtype=float)
    valid = np.isfinite(v)
    num = np.where(valid, v, 0.0) @ w
    den = valid.astype(float) @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    out[den <= 0] = np.nan
    return out


def column_name(layer_name, taken=()):
    """A forcing column name from a layer name: lower case, letters, digits and underscores, unique."""
    base = re.sub(r"[^0-9a-z_]+", "_", str(layer_name).strip().lower()).strip("_") or "driver"
    if base[0].isdigit():
        base = "v_" + base
    name, k = base, 2
    while name in taken:
        name = f"{base}_{k}"
        k += 1
    return name

