"""Step values of gridded drivers to daily values: deaccumulation, the day each step belongs to, daily sums and
means (a day needs every one of its steps), plausibility of the result, and the days every driver shares."""
from dataclasses import dataclass, field
from typing import List

import numpy as np
import pandas as pd

from ...errors import InputError
from .times import DAY, fmt_step, fmt_time, ns_index
from .units import ERA5


# -- step values to daily values ----------------------------------------------------------------------------------
def deaccumulate(acc, times, step):
    """Step amounts from values accumulated since 00 UTC (ERA5-Land): amount(t) = acc(t) - acc(t - step), except
    right after 00 UTC, where the accumulation restarts (the 00 UTC value closes the previous day).

    ``acc``: (n_steps, n_points). A step whose previous value is missing (first band, a gap, NaN) is NaN unless it
    starts a new accumulation. Times must sit on the step grid counted from 00 UTC.
    """
    acc = np.asarray(acc, dtype=float)
    t = ns_index(times)
    tod = (t - t.normalize()).asi8
    if np.any(tod % step.value != 0):
        raise InputError(
            f"accumulated values need time stamps on the {fmt_step(step)} grid from 00 UTC; the first is "
            f"{fmt_time(t[0])}", setting="preset",
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
    t = ns_index(times)
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
    uniq_days = ns_index(uniq)
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
                f"negative", setting="preset",
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
    idx = ((ns_index(days).asi8 - daily.days[0].value) // DAY.value).astype(int)
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
    days = ns_index(days)
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
