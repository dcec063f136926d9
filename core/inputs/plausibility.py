"""Values that are possible but suspicious (outliers, a stuck logger, depths given as heads), and drivers in
impossible units (precipitation in m/day, temperature in kelvin): notes for the log, or problems that skip a well."""
from __future__ import annotations

import re

import numpy as np

from ..runs import runs
from .wording import _dates_text, _day


# Unit sanity limits (long-term means, only judged on at least MIN_DAYS_FOR_UNITS days of values).
MIN_DAYS_FOR_UNITS = 365
PRECIP_MIN_MM_YEAR = 10.0
PRECIP_MAX_MM_YEAR = 10000.0
PET_MIN_MM_YEAR = 10.0
PET_MAX_MM_YEAR = 5000.0
KELVIN_MEAN = 200.0
ROBUST_Z = 8.0        # |value - median| / (1.4826 MAD) beyond this is worth a look
RARE = 0.002          # ... when at most this share of the values (or 3) are so far out
STUCK_READINGS = 60   # this many equal readings in a row: a logger that stopped


def plausibility_notes(values, dates, what, well=None, field=None, negative=False):
    """Warnings (text) for values that look wrong but may be right: robust outliers, a long run of one value,
    negative values where ``negative`` says they cannot be. Each names the well, the field, dates and a fix."""
    v = np.asarray(values, dtype=float)
    d = np.asarray(dates)
    ok = np.isfinite(v)
    v, d = v[ok], d[ok]
    where = (f"well '{well}', " if well is not None else "") + f"field '{field}'"
    notes = []
    if len(v) < 10:
        return notes
    if negative and (v < 0).any():
        neg = v < 0
        notes.append(f"{where}: {int(neg.sum())} negative {what} values (on {_dates_text(d[neg])}). "
                     f"Fix: give {what} as positive amounts, or leave those days empty.")
    med = np.median(v)
    mad = 1.4826 * np.median(np.abs(v - med))
    if mad > 0:
        out = np.abs(v - med) / mad > ROBUST_Z
        # only a few isolated values: many far values are the series' own shape (seasonal pumping), not errors
        if out.any() and out.sum() <= max(3, RARE * len(v)):
            notes.append(f"{where}: {int(out.sum())} {what} values lie far from the rest (robust z above "
                         f"{ROBUST_Z:g}; on {_dates_text(d[out])}, e.g. {v[out][0]:g} against a median of {med:g}). "
                         "Fix: check them for typing errors, unit changes or depths mixed with heads.")
    starts, ends = runs(v)
    lengths = ends - starts + 1
    if len(lengths) and lengths.max() >= STUCK_READINGS and what == "level":
        longest = int(np.argmax(lengths))
        start, end = starts[longest], ends[longest]
        notes.append(f"{where}: {int(lengths.max())} readings in a row are {v[end]:g} ({_day(d[start])}.."
                     f"{_day(d[end])}), as a logger that stopped writes. Fix: remove that stretch if the logger "
                     "failed.")
    return notes


# words in a field name that say it holds a depth below ground, not a head (English, German, French, Dutch)
_DEPTH_NAME = re.compile(r"depth|dtw|bgl|bgs|below|tiefe|flurab|profond|diepte", re.IGNORECASE)


def depth_note(level_col):
    """A note when the level field's name says depth: the model reads a level as a head, positive up."""
    if not _DEPTH_NAME.search(str(level_col)):
        return None
    return (f"Levels: field '{level_col}' looks like a depth below ground, but a level is read as a head (m above a "
            "datum, positive up): with depths, a rising water table reads as falling, and the signs of the "
            "attributions and the dynamics types turn over. Fix: give heads (ground elevation minus depth), or "
            "ignore this note if the field holds heads.")


def _annual_sum_problems(annual, name, low, high, high_fix):
    """[(problem, fix)] when a daily driver's annual sum (mm/year) is implausibly low (metres per day?) or high."""
    if annual < low:
        fix = (f"give {name} in mm/day: if it is in m/day, multiply by 1000 (that gives {annual * 1000:.0f} "
               f"mm/year)" if annual * 1000 >= low else f"check that the field holds daily {name} in mm/day")
        return [(f"{name} sums to only {annual:.3g} mm/year on average (expected mm/day; under {low:g} mm/year "
                 f"looks like metres per day)", fix)]
    if annual > high:
        return [(f"{name} sums to {annual:.0f} mm/year on average (over {high:g} mm/year)", high_fix)]
    return []


def _unit_problems(driver, values, dates):
    """[(problem, fix)] for a driver series in obviously wrong units (precip mm/day, temp degC, pet mm/day)."""
    v = values[np.isfinite(values)]
    out = []
    if len(v) == 0:
        return out
    long_enough = len(v) >= MIN_DAYS_FOR_UNITS
    mean = float(v.mean())
    if driver == "precip":
        neg = values < 0
        if neg.any():
            first = dates[np.flatnonzero(neg)[0]]
            out.append((f"{int(neg.sum())} negative precipitation values (lowest {float(values[neg].min()):.4g}, "
                        f"first on {_day(first)})",
                        "precipitation cannot be negative: correct or blank these values "
                        "(and check that the field holds precipitation in mm/day)"))
        elif long_enough:
            out += _annual_sum_problems(mean * 365.25, "precipitation", PRECIP_MIN_MM_YEAR, PRECIP_MAX_MM_YEAR,
                                        "give daily totals in mm/day (tenths of a millimetre: divide by 10; "
                                        "not cumulative totals)")
    elif driver == "pet":
        if mean < 0:
            out.append((f"potential evaporation is negative on average ({mean:.3g} mm/day)",
                        "give potential evaporation as a positive loss in mm/day"))
        elif long_enough:
            out += _annual_sum_problems(mean * 365.25, "potential evaporation", PET_MIN_MM_YEAR, PET_MAX_MM_YEAR,
                                        "give daily totals in mm/day")
    elif driver == "temp":
        if mean > KELVIN_MEAN:
            out.append((f"air temperature averages {mean:.1f} (expected degC; over {KELVIN_MEAN:g} looks like kelvin)",
                        "give degC: subtract 273.15 from the values"))
        elif mean > 45:
            out.append((f"air temperature averages {mean:.1f} (expected degC; this looks like degF)",
                        "give degC: (F - 32) * 5 / 9"))
        else:
            lo, hi = float(v.min()), float(v.max())
            if lo < -90 or hi > 60:
                out.append((f"air temperatures from {lo:.1f} to {hi:.1f} are not plausible daily means in degC",
                            "give daily mean air temperature in degC"))
    return out
