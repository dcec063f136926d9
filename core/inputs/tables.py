"""Validation of long tables into one clean daily frame per well.

Inputs come from QGIS layers converted to pandas, so every reader accepts text as well as typed values:

- dates: ``YYYY-MM-DD``, ``DD.MM.YYYY`` or ``YYYY/MM/DD`` text, optionally followed by a time
  (``2010-01-31 12:00``, ``2010-01-31T12:00:00+01:00``: the date as written is kept, the time dropped), or
  date/datetime values (Python, NumPy, pandas, and anything with Qt's ``toPyDateTime``/``toPyDate``);
- numbers: numbers, or text with a decimal point or a decimal comma (``'1,5'``; a lone comma is always a
  decimal comma, so ``'1,234'`` is 1.234); ``'1.234,5'`` and ``'1,234.5'`` are read with the last separator
  as the decimal mark; spaces are ignored; empty cells and ``NA``, ``NaN``,
  ``NULL``, ``None``, ``N/A`` mean "no value";
- well IDs: int, float (``101.0`` -> ``'101'``) or text; always compared as stripped, NFC-normalised text
  (see :func:`normalise_id`: the processing layer must use it too when joining results back to features).

Levels are never interpolated: a day without an observation has ``level`` NaN. Forcing is never filled:
a gap inside the span a well needs skips that well with the dates of the gap.

Per-well problems skip the well with a reason (``str(WellInputError(...))``, naming the well, the field,
the problem and the fix); the other wells go on. Table-wide problems, and the case where every well is
skipped, raise :class:`~.errors.InputError`.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Tuple

import numpy as np
import pandas as pd

from ..errors import Canceled, InputError, WellInputError
from ..vocabulary import DRIVER_LABELS
from .ids import normalise_ids
from .roles import Roles

DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d")
ACCEPTED_DATE_FORMATS = (
    "YYYY-MM-DD, DD.MM.YYYY or YYYY/MM/DD text, optionally followed by a time (2010-01-31 12:00), "
    "or a date/datetime field"
)
NA_TOKENS = frozenset({"", "nan", "na", "n/a", "#n/a", "null", "none", "nat", "<null>"})
DEFAULT_MIN_OBS = 100
# Codes that loggers and databases write for "no value": never a level, a stage or a driver value here.
NODATA_CODES = (-9999.0, -999.0, 9999.0)

# Unit sanity limits (long-term means, only judged on at least MIN_DAYS_FOR_UNITS days of values).
MIN_DAYS_FOR_UNITS = 365
PRECIP_MIN_MM_YEAR = 10.0
PRECIP_MAX_MM_YEAR = 10000.0
PET_MIN_MM_YEAR = 10.0
PET_MAX_MM_YEAR = 5000.0
KELVIN_MEAN = 200.0

LogFn = Optional[Callable[[str], None]]


@dataclass
class WellRecord:
    """One well, ready for features and training.

    ``frame``: DatetimeIndex named ``date``, daily and gap-free; column ``level`` (float, NaN on unobserved
    days, never interpolated) then one float column per driver name (``Roles.drivers()``), without NaN.
    ``first_obs``/``last_obs`` are NaT and ``n_obs`` 0 when the frame holds no observation
    (:func:`prepare_forcing_only`). ``lat``: latitude in degrees, or None when unknown.
    """

    well_id: str
    frame: pd.DataFrame
    first_obs: pd.Timestamp
    last_obs: pd.Timestamp
    n_obs: int
    lat: Optional[float] = None


# --------------------------------------------------------------------------------------------- small helpers
def _say(log, message):
    if log is not None:
        log(message)


def _day(ts):
    return "" if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime("%Y-%m-%d")


def _quote_list(values, n=5):
    values = list(values)
    shown = ", ".join(f"'{v}'" for v in values[:n])
    return shown + (f" and {len(values) - n} more" if len(values) > n else "")


def _n(n, one, many):
    """'1 date is' / '3 dates are'."""
    return f"{n} {one if n == 1 else many}"


def _value_text(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "(empty)"
    text = str(v)
    if len(text) > 30:
        text = text[:27] + "..."
    return f"'{text}'"


def _rows_text(positions, values, n=3):
    """``row 3 ('2010-13-01'), row 17 ('x') and 4 more rows``; rows count data rows from 1."""
    positions = list(positions)
    values = list(values)
    parts = [f"row {p + 1} ({_value_text(v)})" for p, v in zip(positions[:n], values[:n])]
    more = f" and {len(positions) - n} more rows" if len(positions) > n else ""
    return ", ".join(parts) + more


def compress_dates(dates, max_ranges=5):
    """Days as ranges: ``'2012-03-01..2012-03-09 (9 days), 2012-04-02'``; more than ``max_ranges`` runs
    end with ``'... and N more ranges (M days in all)'``."""
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Series(list(dates)))).normalize().unique().sort_values()
    if len(idx) == 0:
        return ""
    days = idx.values.astype("datetime64[D]").astype(np.int64)
    breaks = np.flatnonzero(np.diff(days) != 1) + 1
    starts = np.r_[0, breaks]
    ends = np.r_[breaks - 1, len(days) - 1]
    parts = []
    for s, e in zip(starts, ends):
        n = int(e - s + 1)
        parts.append(_day(idx[s]) if n == 1 else f"{_day(idx[s])}..{_day(idx[e])} ({n} days)")
    if len(parts) > max_ranges:
        return ", ".join(parts[:max_ranges]) + f" ... and {len(parts) - max_ranges} more ranges ({len(idx)} days in all)"
    return ", ".join(parts)


def _object_to_timestamp(v):
    """A date-like object (not text) to a naive Timestamp, or NaT."""
    try:
        if hasattr(v, "toPyDateTime"):  # QDateTime (duck-typed: core never imports Qt)
            if hasattr(v, "isValid") and not v.isValid():
                return pd.NaT
            v = v.toPyDateTime()
        elif hasattr(v, "toPyDate"):  # QDate
            if hasattr(v, "isValid") and not v.isValid():
                return pd.NaT
            v = v.toPyDate()
        if isinstance(v, _dt.datetime):
            if v.tzinfo is not None:
                v = v.replace(tzinfo=None)
            return pd.Timestamp(v)
        if isinstance(v, (_dt.date, np.datetime64)):
            return pd.Timestamp(v)
    except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return pd.NaT
    return pd.NaT


def parse_dates(values) -> pd.Series:
    """Dates (see the module docstring for the formats) as a ``datetime64[ns]`` Series normalised to days;
    NaT where a value is empty or not a date in an accepted format."""
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        return s.dt.normalize().astype("datetime64[ns]")
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    uniq = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    out = pd.Series(pd.NaT, index=uniq.index, dtype="datetime64[ns]")
    is_str = uniq.map(lambda v: isinstance(v, str)).astype(bool)
    if is_str.any():
        text = uniq[is_str].str.strip().str.split(r"[T\s]", n=1, regex=True).str[0]
        for fmt in DATE_FORMATS:
            todo = out[is_str].isna()
            if not todo.any():
                break
            sub = text[todo.values]
            parsed = pd.to_datetime(sub, format=fmt, errors="coerce")
            out.loc[parsed.index] = out.loc[parsed.index].fillna(parsed)
    other = ~is_str
    if other.any():
        out.loc[other] = [_object_to_timestamp(v) for v in uniq[other]]
    out = out.dt.normalize()
    arr = np.append(out.values, np.datetime64("NaT", "ns"))
    return pd.Series(arr[codes], index=s.index, dtype="datetime64[ns]")


def date_text(text):
    """One date written as the data may be written (the formats of ``parse_dates``) as 'YYYY-MM-DD'.

    ValueError for anything else: '01/06/2012' is refused, because day and month cannot be told apart.
    """
    value = parse_dates([str(text).strip()]).iloc[0]
    if pd.isna(value):
        raise ValueError(f"'{text}' is not a date in an accepted format ({ACCEPTED_DATE_FORMATS}; "
                         "01/06/2012 is refused: day and month cannot be told apart)")
    return value.strftime("%Y-%m-%d")


_SPACES = re.compile(r"[\s\u00a0\u202f']")


_GROUPED = re.compile(r"^[+-]?\d{1,3},\d{3}$")  # '1,063': 1.063 with a decimal comma, or 1063 grouped


def _comma_meaning(texts):
    """How a column writes a lone comma: 'decimal', 'thousands', or None when its values cannot tell.

    '1,5' or '0,25' can only be decimal commas; a decimal point elsewhere ('12.5') makes the commas thousands
    separators; a column of values like '1,063' alone is ambiguous (None)."""
    lone = [t for t in texts if t.count(",") == 1 and "." not in t]
    if not lone or not all(_GROUPED.match(t) for t in lone):
        return "decimal"
    if any("." in t and "," not in t for t in texts) or any(t.count(",") > 1 for t in texts):
        return "thousands"
    return None


def _text_to_float(text, comma="decimal"):
    """(value, state): state 'ok', 'empty' or 'bad'. ``comma``: what a lone comma is (see _comma_meaning)."""
    t = text.strip()
    if t.lower() in NA_TOKENS:
        return math.nan, "empty"
    t = _SPACES.sub("", t)
    if "," in t and "." in t:
        t = t.replace(".", "").replace(",", ".") if t.rfind(",") > t.rfind(".") else t.replace(",", "")
    elif "," in t:
        t = t.replace(",", ".") if t.count(",") == 1 and comma == "decimal" else t.replace(",", "")
    try:
        v = float(t)
    except ValueError:
        return math.nan, "bad"
    return (v, "ok") if math.isfinite(v) else (math.nan, "bad")


def _one_to_float(v, comma="decimal"):
    if v is None:
        return math.nan, "empty"
    if isinstance(v, str):
        return _text_to_float(v, comma)
    if isinstance(v, (bool, np.bool_)):
        return math.nan, "bad"
    if isinstance(v, (int, float, np.integer, np.floating)) or type(v).__name__ == "Decimal":
        f = float(v)
        if math.isnan(f):
            return math.nan, "empty"
        return (f, "ok") if math.isfinite(f) else (math.nan, "bad")
    if hasattr(v, "isNull") and v.isNull():  # a QVariant NULL that slipped through
        return math.nan, "empty"
    return math.nan, "bad"


# Where a column's commas could be either, the quantity decides: '100,050' m of head or river stage, mm of
# rain or evaporation, or degrees C can only be decimal commas (100050 m, 1063 mm/day, 1063 degC cannot be);
# a pumping rate or a driver of unknown kind can be either, so there the column is refused.
DECIMAL_WHEN_AMBIGUOUS = frozenset({"level", "precip", "temp", "pet", "river"})


def parse_numbers(values, field=None, ambiguous="refuse") -> Tuple[pd.Series, pd.Series]:
    """(float Series with NaN where empty or bad, boolean Series True where a value is present but is not a
    finite number). A lone comma is read per column (decimal comma or thousands separator, see
    _comma_meaning); where the column cannot tell, ``ambiguous='decimal'`` reads decimal commas and 'refuse'
    raises InputError naming ``field``."""
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if pd.api.types.is_bool_dtype(s.dtype):
        return pd.Series(np.nan, index=s.index), pd.Series(True, index=s.index)
    if pd.api.types.is_numeric_dtype(s.dtype):
        f = s.astype(float)
        bad = np.isinf(f)
        return f.where(~bad), pd.Series(bad, index=s.index)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    texts = [_SPACES.sub("", u.strip()) for u in uniques if isinstance(u, str)]
    comma = _comma_meaning(texts)
    if comma is None and ambiguous == "decimal":
        comma = "decimal"
    if comma is None:
        examples = [t for t in texts if _GROUPED.match(t)][:3]
        raise InputError(
            f"values such as {_quote_list(examples)} can be read as decimal commas ({examples[0].replace(',', '.')}) "
            f"or with a thousands separator ({examples[0].replace(',', '')}), and nothing in the column tells which",
            field=field, fix="write the numbers without thousands separators and with a decimal point "
                             "(1063 or 1.063)")
    res = [_one_to_float(u, comma) for u in uniques]
    vals = np.array([r[0] for r in res] + [math.nan], dtype=float)
    bad = np.array([r[1] == "bad" for r in res] + [False], dtype=bool)
    return pd.Series(vals[codes], index=s.index), pd.Series(bad[codes], index=s.index)


def drop_nodata(values, codes=NODATA_CODES):
    """(values with NaN where a value is a NoData code, boolean Series True there)."""
    hit = values.isin(list(codes)) if len(codes) else pd.Series(False, index=values.index)
    return values.where(~hit), hit


def _nodata_note(what, field, hit, codes, ids=None):
    """The log line for NoData codes taken as missing values (where, how many, which wells)."""
    wells = f" (wells {_quote_list(pd.unique(ids[hit]))})" if ids is not None else ""
    return (f"{what}: {int(hit.sum())} values of field '{field}' are NoData codes "
            f"({', '.join(f'{c:g}' for c in codes)}){wells} and are taken as missing, never as values. "
            "Fix: if one of them is a real value, set the NoData codes (NODATA) to those your data use.")


ROBUST_Z = 8.0        # |value - median| / (1.4826 MAD) beyond this is worth a look
RARE = 0.002          # ... when at most this share of the values (or 3) are so far out
STUCK_READINGS = 60   # this many equal readings in a row: a logger that stopped


def _dates_text(dates, n=3):
    dates = list(dates)
    return ", ".join(_day(d) for d in dates[:n]) + (f" and {len(dates) - n} more" if len(dates) > n else "")


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
    change = np.flatnonzero(np.diff(v) != 0)
    runs = np.diff(np.concatenate(([-1], change, [len(v) - 1])))
    if len(runs) and runs.max() >= STUCK_READINGS and what == "level":
        end = np.concatenate((change, [len(v) - 1]))[int(np.argmax(runs))]
        start = end - runs.max() + 1
        notes.append(f"{where}: {int(runs.max())} readings in a row are {v[end]:g} ({_day(d[start])}.."
                     f"{_day(d[end])}), as a logger that stopped writes. Fix: remove that stretch if the logger "
                     "failed.")
    return notes


def _check_table(table, what, columns, hints):
    """Table-wide checks: a DataFrame, not empty, every named column present (with a near-match hint)."""
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"the {what} table is a {type(table).__name__}, not a table",
                         fix=f"pass the {what} as a pandas DataFrame")
    present = [str(c) for c in table.columns]
    for col in columns:
        if col not in table.columns:
            near = [c for c in present if c.strip().lower() == str(col).strip().lower()]
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            raise InputError(
                f"the {what} table has no column '{col}'{hint}; its columns are {_quote_list(present, 20) or 'none'}",
                field=col, fix=f"choose the field of the {what} table that holds {hints.get(col, 'this value')}")
    if len(table) == 0:
        raise InputError(f"the {what} table is empty (no rows)",
                         fix=f"choose a {what} table with rows, or check its filter/selection")


# ------------------------------------------------------------------------------------------------ levels
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


def _read_levels(levels, id_col, date_col, level_col, log, nodata=NODATA_CODES):
    """(frame well_id/date/level of usable rows, problems well_id -> reason)."""
    _check_table(levels, "levels", [id_col, date_col, level_col],
                 {id_col: "the well ID", date_col: "the date of each reading", level_col: "the water level (m)"})
    note = depth_note(level_col)
    if note:
        _say(log, note)
    ids = normalise_ids(levels[id_col]).reset_index(drop=True)
    raw_dates = levels[date_col].reset_index(drop=True)
    raw_levels = levels[level_col].reset_index(drop=True)
    values, bad_num = parse_numbers(raw_levels, field=level_col, ambiguous="decimal")
    values, is_nodata = drop_nodata(values, nodata)
    no_id = ids.isna()
    if (is_nodata & ~no_id).any():
        _say(log, _nodata_note("Levels", level_col, is_nodata & ~no_id, nodata, ids))
    if no_id.all():
        raise InputError("every row of the levels table has an empty well ID", field=id_col,
                         fix="choose the field that holds the well IDs")
    if no_id.any():
        _say(log, f"Levels: {int(no_id.sum())} rows with an empty well ID in field '{id_col}' are ignored "
                  f"(rows {', '.join(str(p + 1) for p in np.flatnonzero(no_id.values)[:5])}"
                  f"{' ...' if no_id.sum() > 5 else ''}).")
    observed = (values.notna() | bad_num) & ~no_id
    if not observed.any():
        raise InputError(f"the levels table has no level values (every '{level_col}' is empty)", field=level_col,
                         fix="choose the field that holds the water levels")
    n_empty = int((~observed & ~no_id).sum())
    if n_empty:
        _say(log, f"Levels: {n_empty} rows with an empty level are taken as days without observation.")
    dates = parse_dates(raw_dates)
    bad_date = observed & dates.isna()
    bad_num = observed & bad_num
    if bad_date.sum() == observed.sum():
        pos = np.flatnonzero(bad_date.values)
        raise InputError(
            f"no value of the levels table's date field is a date in an accepted format: "
            f"{_rows_text(pos, raw_dates.iloc[pos])}; accepted: {ACCEPTED_DATE_FORMATS}",
            field=date_col, fix="choose the field that holds the dates, or write them as YYYY-MM-DD")
    if bad_num.sum() == observed.sum():
        pos = np.flatnonzero(bad_num.values)
        raise InputError(
            f"no value of the levels table's level field is a number: {_rows_text(pos, raw_levels.iloc[pos])}",
            field=level_col, fix="choose the field that holds the water levels (numbers in m)")
    problems: Dict[str, List[WellInputError]] = {}
    for w in pd.unique(ids[bad_date]):
        pos = np.flatnonzero((bad_date & (ids == w)).values)
        problems.setdefault(w, []).append(WellInputError(
            f"{_n(len(pos), 'date is', 'dates are')} not in an accepted format: {_rows_text(pos, raw_dates.iloc[pos])}; "
            f"accepted: {ACCEPTED_DATE_FORMATS}",
            well=w, field=date_col, fix="correct these dates (for example as 2010-01-31) or remove the rows"))
    for w in pd.unique(ids[bad_num]):
        pos = np.flatnonzero((bad_num & (ids == w)).values)
        problems.setdefault(w, []).append(WellInputError(
            f"{_n(len(pos), 'level is', 'levels are')} not a number: {_rows_text(pos, raw_levels.iloc[pos])}",
            well=w, field=level_col,
            fix="write levels as numbers in m (decimal point or comma), leave unobserved days empty"))
    good = observed & ~bad_date & ~bad_num
    frame = pd.DataFrame({"well_id": ids[good].values, "date": dates[good].values, "level": values[good].values})
    dup = frame.duplicated(["well_id", "date"], keep=False)
    if dup.any():
        dups = frame[dup]
        for w, g in dups.groupby("well_id", sort=False):
            n_dates = g["date"].nunique()
            identical = int(g.duplicated(["date", "level"]).sum())
            first = ", ".join(_day(d) for d in sorted(g["date"].unique())[:3])
            same = f", {identical} of them exact copies" if identical else ""
            problems.setdefault(w, []).append(WellInputError(
                f"{len(g)} rows share {_n(n_dates, 'date', 'dates')} (more than one level on the same day{same}; "
                f"first on {first}); levels are not averaged silently",
                well=w, field=date_col,
                fix="aggregate the readings to daily means, or remove the duplicate rows"))
    if problems:
        frame = frame[~frame["well_id"].isin(list(problems))]
    frame = frame.sort_values(["well_id", "date"], kind="mergesort").reset_index(drop=True)
    if log:
        for w, g in frame.groupby("well_id", sort=False):
            for note in plausibility_notes(g["level"].to_numpy(), g["date"].to_numpy(), "level", w, level_col):
                _say(log, "Levels: " + note)
    return frame, problems


def read_levels(levels: pd.DataFrame, id_col="well_id", date_col="date", level_col="level", *,
                skipped: Optional[dict] = None, log: LogFn = None, nodata=NODATA_CODES) -> pd.DataFrame:
    """The levels table as a normalised long frame: ``well_id`` (str), ``date`` (datetime64[ns], day),
    ``level`` (float); rows with an empty level (unobserved days) are dropped, sorted by well and date.

    Table-wide problems (not a table, empty, a missing column, no usable value at all) raise InputError.
    Per-well problems (bad dates, non-numeric levels, duplicate days) drop that well's rows and are written
    into ``skipped`` (well_id -> reason) when a dict is given; without it the first one raises WellInputError.
    """
    frame, problems = _read_levels(levels, id_col, date_col, level_col, log, nodata)
    return _per_well(frame, problems, skipped)


def _per_well(frame, problems, skipped):
    if problems and skipped is None:
        raise next(iter(problems.values()))[0]
    if skipped is not None:
        skipped.update(_reasons(problems))
    return frame


def _reasons(problems):
    """well -> list of WellInputError  ->  well -> one reason string."""
    return {w: "; ".join(str(e) for e in errs) for w, errs in problems.items()}


# ------------------------------------------------------------------------------------------------ forcing


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


def _read_forcing(forcing, roles, date_col, id_col, log, nodata=NODATA_CODES):
    """(frame date [+ well_id] + drivers with NaN where a value is missing, problems forcing_id -> reason)."""
    if not isinstance(roles, Roles):
        raise InputError(f"roles must be a Roles object, not {type(roles).__name__}", fix="pass core.inputs.roles.Roles(...)")
    columns = roles.columns()
    if not columns:
        raise InputError("no driver field is chosen", field="precip",
                         fix="choose at least the precipitation field of the forcing table")
    needed = [date_col] + ([id_col] if id_col else []) + list(columns.values())
    hints = {date_col: "the dates", **({id_col: "the well ID of each series"} if id_col else {})}
    for drv, col in columns.items():
        hints[col] = f"{DRIVER_LABELS.get(drv, drv)} (the driver '{drv}')"
    _check_table(forcing, "forcing", needed, hints)
    raw_dates = forcing[date_col].reset_index(drop=True)
    data = {}
    any_value = pd.Series(False, index=raw_dates.index)
    for drv, col in columns.items():
        raw = forcing[col].reset_index(drop=True)
        vals, bad = parse_numbers(raw, field=col,
                                  ambiguous="decimal" if drv in DECIMAL_WHEN_AMBIGUOUS else "refuse")
        vals, is_nodata = drop_nodata(vals, nodata)
        if is_nodata.any():
            _say(log, _nodata_note(f"Forcing ({DRIVER_LABELS.get(drv, drv)})", col, is_nodata, nodata,
                                   normalise_ids(forcing[id_col]).reset_index(drop=True) if id_col else None))
        if bad.any():
            pos = np.flatnonzero(bad.values)
            raise InputError(f"{DRIVER_LABELS.get(drv, drv)} is not a number in {_n(len(pos), 'row', 'rows')}: "
                             f"{_rows_text(pos, raw.iloc[pos])}", field=col,
                             fix="write the values as numbers (decimal point or comma) and leave missing days empty")
        if vals.isna().all():
            raise InputError(f"the forcing field for {DRIVER_LABELS.get(drv, drv)} has no values", field=col,
                             fix="choose the field that holds this driver, or leave the role empty")
        data[drv] = vals.values
        any_value |= vals.notna()
    dates = parse_dates(raw_dates)
    bad_date = dates.isna() & any_value
    if bad_date.any():
        pos = np.flatnonzero(bad_date.values)
        raise InputError(f"{_n(len(pos), 'forcing date is', 'forcing dates are')} not in an accepted format: "
                         f"{_rows_text(pos, raw_dates.iloc[pos])}; accepted: {ACCEPTED_DATE_FORMATS}",
                         field=date_col, fix="correct these dates (for example as 2010-01-31) or remove the rows")
    keep = dates.notna().values
    frame = pd.DataFrame({"date": dates.values, **data})
    if id_col:
        frame.insert(0, "well_id", normalise_ids(forcing[id_col]).values)
        no_id = frame["well_id"].isna() & keep
        if no_id.all():
            raise InputError("every row of the forcing table has an empty well ID", field=id_col,
                             fix="choose the field that holds the well IDs, or no forcing ID field for one series")
        if no_id.any():
            _say(log, f"Forcing: {int(no_id.sum())} rows with an empty well ID in field '{id_col}' are ignored.")
        keep &= ~no_id.values
    frame = frame[keep].reset_index(drop=True)
    keys = ["well_id", "date"] if id_col else ["date"]
    dup = frame.duplicated(keys, keep=False)
    problems: Dict[str, List[WellInputError]] = {}
    if dup.any():
        if not id_col:
            d = frame.loc[dup, "date"]
            first = ", ".join(_day(x) for x in sorted(d.unique())[:3])
            raise InputError(
                f"{d.nunique()} dates appear more than once in the forcing table ({len(d)} rows; first on {first})",
                field=date_col,
                fix="if the table holds one series per well, choose its well-ID field (forcing ID field); "
                    "otherwise aggregate to one row per day")
        for w, g in frame[dup].groupby("well_id", sort=False):
            first = ", ".join(_day(x) for x in sorted(g["date"].unique())[:3])
            problems.setdefault(w, []).append(WellInputError(
                f"the forcing has {len(g)} rows on {g['date'].nunique()} dates that appear more than once "
                f"(first on {first})", well=w, field=date_col,
                fix="keep one forcing row per well and day (aggregate to daily values)"))
    frame = frame.sort_values(keys, kind="mergesort").reset_index(drop=True)
    unit_drivers = [d for d in ("precip", "temp", "pet") if d in columns]
    groups = frame.groupby("well_id", sort=False) if id_col else [(None, frame)]
    for w, g in groups:
        for drv in (d for d in ("river", "pumping") if d in columns and log):
            for note in plausibility_notes(g[drv].to_numpy(), g["date"].to_numpy(), DRIVER_LABELS.get(drv, drv),
                                           w, columns[drv], negative=drv == "pumping"):
                _say(log, "Forcing: " + note)
        for drv in unit_drivers:
            for problem, fix in _unit_problems(drv, g[drv].to_numpy(float), g["date"].to_numpy()):
                if id_col:
                    problems.setdefault(w, []).append(WellInputError(problem, well=w, field=columns[drv],
                                                                         fix=fix))
                else:
                    raise InputError("the forcing series of all wells: " + problem,
                                     field=columns[drv], fix=fix)
    return frame, problems


def read_forcing(forcing: pd.DataFrame, roles: Roles, date_col="date", id_col=None, *,
                 skipped: Optional[dict] = None, log: LogFn = None, nodata=NODATA_CODES) -> pd.DataFrame:
    """The forcing table as a normalised long frame: ``date`` (datetime64[ns], day), ``well_id`` (str, only
    with ``id_col``), then one float column per driver name (``roles.drivers()``: role names and other-driver
    names), sorted; empty values stay NaN (judged per well later, inside the span each well needs).

    Table-wide problems raise InputError: missing columns, an empty table, text that is not a number, bad
    dates, duplicate dates in a single series, and (single series) obviously wrong units: precipitation under
    10 or over 10000 mm/year or negative, temperature in kelvin, potential evaporation in m/day. With
    ``id_col`` a duplicate or unit problem concerns one well's series: it goes into ``skipped``
    (forcing id -> reason) when a dict is given, else the first one raises WellInputError.
    """
    frame, problems = _read_forcing(forcing, roles, date_col, id_col, log, nodata)
    return _per_well(frame, problems, skipped)


# ------------------------------------------------------------------------------------------- per-well frames
class _Series:
    """One forcing series on a gap-free daily index, with the span where every driver has a value."""

    def __init__(self, frame, drivers):
        if len(frame) == 0:
            self.daily = pd.DataFrame(columns=drivers, dtype=float)
            self.complete = np.zeros(0, dtype=bool)
            self.present_row = np.zeros(0, dtype=bool)
            self.first = self.last = pd.NaT
            return
        f = frame.set_index("date")[drivers]
        idx = pd.date_range(f.index.min(), f.index.max(), freq="D", name="date")
        self.present_row = idx.isin(f.index)
        self.daily = f.reindex(idx).astype(float)
        self.complete = self.daily.notna().all(axis=1).to_numpy()
        ok = np.flatnonzero(self.complete)
        self.first = idx[ok[0]] if len(ok) else pd.NaT
        self.last = idx[ok[-1]] if len(ok) else pd.NaT

    def span_text(self):
        return f"{_day(self.first)}..{_day(self.last)}"

    def gaps(self, start, end):
        """Days in [start, end] without a complete forcing row."""
        sl = self.daily.index.slice_indexer(start, end)
        return self.daily.index[sl][~self.complete[sl]]

    def gap_problem(self, start, end, columns, date_col):
        """(problem text, fields) for the gaps in [start, end], or None."""
        sl = self.daily.index.slice_indexer(start, end)
        idx = self.daily.index[sl]
        missing = ~self.complete[sl]
        if not missing.any():
            return None
        parts, fields = [], []
        no_row = ~self.present_row[sl]
        if no_row.any():
            parts.append(f"no forcing row on {compress_dates(idx[no_row])}")
            fields.append(date_col)
        for drv, col in columns.items():
            nan = self.daily[drv].to_numpy()[sl]
            nan = np.isnan(nan) & self.present_row[sl]
            if nan.any():
                parts.append(f"no {DRIVER_LABELS.get(drv, drv)} value on {compress_dates(idx[nan])}")
                fields.append(col)
        return "; ".join(parts), ", ".join(fields)


def _latitude(well, latitudes, needed, log):
    """(lat or None, problem or None). ``latitudes`` None: the wells have no coordinates at all (a notebook
    call), and the features' default latitude is used; a well missing from them has no location."""
    if latitudes is None:
        return None, None
    lat = latitudes.get(well)
    try:
        lat = None if lat is None else float(lat)
    except (TypeError, ValueError):
        lat = math.inf
    if lat is None or math.isnan(lat):
        if needed:  # Oudin's radiation term depends on latitude: a guessed one biases every evaporation day
            return None, str(WellInputError(
                "no location (no point geometry), and the potential evaporation is derived from temperature, "
                "which needs the latitude", well=well, field="geometry",
                fix="give the well a point geometry, or give a potential-evaporation field (PET_FIELD)"))
        return None, None
    if -90.0 <= lat <= 90.0:
        return lat, None
    if needed:
        return None, str(WellInputError(
            f"latitude {lat:g} is not in degrees (needed for the potential evaporation derived from temperature)",
            well=well, field="latitude", fix="give the wells in (or reproject them to) EPSG:4326"))
    _say(log, f"Well '{well}': latitude {lat:g} is not in degrees; ignored (not needed with these drivers).")
    return None, None


def _make_frame(series, start, end, drivers, obs):
    frame = series.daily.loc[start:end, drivers].astype(float).copy()
    frame.index.name = "date"
    level = pd.Series(np.nan, index=frame.index)
    if obs is not None and len(obs):
        level.loc[obs["date"].values] = obs["level"].values
    frame.insert(0, "level", level.values)
    return frame


def _no_forcing_day(well, cols, series=None):
    """Why a well has no day with every driver: the drivers it has no value of at all, when that is it."""
    empty = [d for d in cols if series is not None and d in series.daily.columns and
             len(series.daily) and series.daily[d].isna().all()]
    if empty:
        names = ", ".join(cols[d] for d in empty)
        labels = ", ".join(DRIVER_LABELS.get(d, d) for d in empty)
        return str(WellInputError(
            f"the forcing has no {labels} value at all for this well, and every well is trained with every driver",
            well=well, field=names,
            fix=f"give the {labels} for this well, or train without it (leave that driver's field empty) if only "
                "some wells have one"))
    return str(WellInputError("the forcing has no day on which every driver has a value", well=well,
                              field=", ".join(cols.values()), fix="fill the forcing fields for this well"))


def _well_record(well, obs, series, roles, *, warmup, min_obs, extend, lat, cols, date_col, level_col, log):
    """(WellRecord, None) or (None, reason) for training: observations with warm-up forcing before them."""
    drivers = roles.drivers()
    warm = pd.Timedelta(days=int(warmup))
    n_all = len(obs)
    first0, last0 = obs["date"].iloc[0], obs["date"].iloc[-1]

    def too_few(n, first, last, note=""):
        return str(WellInputError(
            f"only {n} observed levels ({_day(first)}..{_day(last)}){note}; at least {min_obs} are needed to train "
            f"and score a model with a {warmup}-day warm-up", well=well, field=level_col,
            fix=f"add observations (at least {min_obs}), or shorten the look-back (warm-up) if the forcing starts "
                "late"))

    if n_all < min_obs:
        return None, too_few(n_all, first0, last0)
    if pd.isna(series.first):
        return None, _no_forcing_day(well, cols, series)
    need_text = f"{_day(first0 - warm)}..{_day(last0)}"
    earliest = series.first + warm
    forcing_days = int((series.last - series.first).days) + 1
    if forcing_days <= warmup:  # the look-back, not the data, is what does not fit
        return None, str(WellInputError(
            f"the look-back (lookback) of {warmup} days is longer than the whole forcing ({forcing_days} days, "
            f"{series.span_text()}), so no level has the {warmup} days of forcing before it that the model reads",
            well=well, field=date_col,
            fix=f"shorten the look-back (lookback) to well under {forcing_days} days (365 is usual), or extend the "
                f"forcing back to {_day(first0 - warm)}"))
    note = ""
    if first0 < earliest:
        keep = obs["date"] >= earliest
        dropped = int((~keep).sum())
        obs = obs[keep]
        if len(obs) == 0:
            return None, str(WellInputError(
                f"the forcing ({series.span_text()}) starts after the level record ({_day(first0)}..{_day(last0)}) "
                f"and its {warmup}-day warm-up: the forcing must cover {need_text}",
                well=well, field=date_col,
                fix=f"extend the forcing back to {_day(first0 - warm)}, or give levels observed after {_day(earliest)}"))
        note = (f" after dropping {dropped} observations before {_day(earliest)} (the forcing starts on "
                f"{_day(series.first)} and the model needs {warmup} days of forcing before the first level)")
        _say(log, f"Well '{well}': the forcing starts on {_day(series.first)}, so {dropped} levels before "
                  f"{_day(earliest)} are left out to keep a {warmup}-day warm-up; the record now starts on "
                  f"{_day(obs['date'].iloc[0])}.")
    first, last = obs["date"].iloc[0], obs["date"].iloc[-1]
    if last > series.last:
        return None, str(WellInputError(
            f"the forcing does not cover the level record: it is needed from {_day(first - warm)} to {_day(last)} "
            f"(the levels run to {_day(last)}), but is available {series.span_text()}",
            well=well, field=date_col,
            fix=f"extend the forcing to {_day(last)}, or remove the levels after {_day(series.last)}"))
    if len(obs) < min_obs:
        return None, too_few(len(obs), first, last, note)
    start = first - warm
    gap = series.gap_problem(start, last, cols, date_col)
    if gap:
        text, fields = gap
        return None, str(WellInputError(
            f"the forcing has gaps inside the span this well needs ({_day(start)}..{_day(last)}): {text}",
            well=well, field=fields,
            fix="fill these forcing gaps (for example from a nearby station), or remove the levels up to the last "
                f"gap so that the record starts {warmup} days after it"))
    end = last
    if extend and series.last > last:
        after = series.gaps(last, series.last)
        end = series.last if len(after) == 0 else after[0] - pd.Timedelta(days=1)
        if len(after):
            _say(log, f"Well '{well}': the forcing after the last level has a gap from {_day(after[0])}; "
                      f"the frame ends on {_day(end)}.")
    frame = _make_frame(series, start, end, drivers, obs)
    return WellRecord(well, frame, first, last, int(len(obs)), lat), None


def _forcing_record(well, obs, series, roles, *, warmup, lat, cols, date_col, log):
    """(WellRecord, None) or (None, reason) for simulation over the whole forcing."""
    drivers = roles.drivers()
    if pd.isna(series.first):
        return None, _no_forcing_day(well, cols, series)
    n_days = int((series.last - series.first).days) + 1
    if n_days <= warmup:
        return None, str(WellInputError(
            f"the forcing covers only {n_days} days ({series.span_text()}); the model needs {warmup} warm-up days "
            f"before the first simulated day", well=well, field=date_col,
            fix=f"give at least {warmup + 1} days of forcing (the {warmup} days before the first day to simulate)"))
    gap = series.gap_problem(series.first, series.last, cols, date_col)
    if gap:
        text, fields = gap
        return None, str(WellInputError(f"the forcing has gaps inside {series.span_text()}: {text}", well=well,
                                        field=fields, fix="fill these forcing gaps, or give a forcing without gaps"))
    if obs is not None and len(obs):
        inside = (obs["date"] >= series.first) & (obs["date"] <= series.last)
        if (~inside).any():
            _say(log, f"Well '{well}': {int((~inside).sum())} levels outside the forcing ({series.span_text()}) "
                      f"are not compared.")
        obs = obs[inside]
    frame = _make_frame(series, series.first, series.last, drivers, obs)
    if obs is not None and len(obs):
        first, last, n = obs["date"].iloc[0], obs["date"].iloc[-1], len(obs)
    else:
        first, last, n = pd.NaT, pd.NaT, 0
    return WellRecord(well, frame, first, last, int(n), lat), None


def _well_list(well_ids):
    wells = []
    seen = set()
    for w in normalise_ids(pd.Series(list(well_ids), dtype=object)):
        if w is None or w in seen:
            continue
        seen.add(w)
        wells.append(w)
    if not wells:
        raise InputError("the wells layer is empty (no well with an ID)", field="well_id",
                         fix="choose a wells layer with features and the field that holds their IDs")
    return wells


def _all_skipped(skipped):
    items = list(skipped.values())
    shown = " | ".join(items[:3])
    more = f" | ... and {len(items) - 3} more" if len(items) > 3 else ""
    return InputError(f"no well can be used, all {len(items)} were skipped: {shown}{more}",
                      fix="fix the problems named above (each gives the well, the field and the fix)")


def _forcing_series(fc, roles, wells, id_col, fc_problems, log):
    """well -> _Series (or a shared one under key None)."""
    drivers = roles.drivers()
    if not id_col:
        return {None: _Series(fc, drivers)}
    ids = set(fc["well_id"].unique())
    if not ids & set(wells):
        raise InputError(
            f"no forcing well ID matches a well: the forcing has {_quote_list(sorted(ids))}, the wells "
            f"{_quote_list(wells)}", field=id_col,
            fix="choose the forcing field that holds the same IDs as the wells layer, or no forcing ID field "
                "when one series serves all wells")
    extra = sorted(ids - set(wells))
    if extra:
        _say(log, f"Forcing: series for {len(extra)} IDs that are not in the wells layer are ignored: "
                  f"{_quote_list(extra)}.")
    out = {}
    for w, g in fc.groupby("well_id", sort=False):
        if w in fc_problems or w not in wells:
            continue
        out[w] = _Series(g, drivers)
    return out


def _check_cancel(is_canceled):
    if is_canceled is not None and is_canceled():
        raise Canceled("cancelled while preparing the well data")


def prepare_wells(levels: pd.DataFrame, forcing: pd.DataFrame, roles: Roles, well_ids: Iterable, *, warmup_days: int,
                  min_obs: int = DEFAULT_MIN_OBS, level_fields=("well_id", "date", "level"),
                  forcing_id_col: Optional[str] = None, forcing_date_col: str = "date",
                  latitudes: Optional[dict] = None, extend_to_forcing_end: bool = True, log: LogFn = None,
                  progress=None, is_canceled=None, nodata=NODATA_CODES) -> Tuple[Dict[str, WellRecord], Dict[str, str]]:
    """Validate levels + forcing into one clean daily frame per well, for training.

    Returns ``(records, skipped)``: ``records`` well_id -> :class:`WellRecord` for every usable well (in the
    order of ``well_ids``); ``skipped`` well_id -> reason (the well's ``status`` is ``skipped: <reason>``).
    Each frame runs from ``first_obs - warmup_days`` to the end of the forcing (``extend_to_forcing_end``,
    stopping before a forcing gap after the last level) or to ``last_obs``. When the forcing starts too late
    for the warm-up, the first levels are left out (logged) rather than the well skipped. Raises InputError for
    table-wide problems or when every well is skipped.
    """
    id_col, date_col, level_col = level_fields
    warmup = int(warmup_days)
    if warmup < 0:
        raise InputError(f"warm-up of {warmup} days", field="warmup_days", fix="give 0 or more days")
    wells = _well_list(well_ids)
    lv, lv_problems = _read_levels(levels, id_col, date_col, level_col, log, nodata)
    fc, fc_problems = _read_forcing(forcing, roles, forcing_date_col, forcing_id_col, log, nodata)
    lv_problems, fc_problems = _reasons(lv_problems), _reasons(fc_problems)
    level_ids = set(lv["well_id"].unique()) | set(lv_problems)
    if not level_ids & set(wells):
        raise InputError(
            f"no level well ID matches a well: the levels have {_quote_list(sorted(level_ids))}, the wells "
            f"{_quote_list(wells)}", field=id_col,
            fix="choose the levels field that holds the same IDs as the wells layer's ID field")
    extra = sorted(level_ids - set(wells))
    if extra:
        _say(log, f"Levels: {len(extra)} well IDs are not in the wells layer and are ignored: {_quote_list(extra)}.")
    series = _forcing_series(fc, roles, wells, forcing_id_col, fc_problems, log)
    cols = roles.columns()
    needs_lat = bool(roles.temp) and not roles.pet
    obs_by_well = {w: g[["date", "level"]].reset_index(drop=True) for w, g in lv.groupby("well_id", sort=False)}
    records, skipped = {}, {}
    for i, w in enumerate(wells):
        _check_cancel(is_canceled)
        if progress is not None:
            progress(i / len(wells), f"checking well {w}")
        reason = None
        if w in lv_problems:
            reason = lv_problems[w]
        elif w not in obs_by_well:
            reason = str(WellInputError("no levels", well=w, field=id_col,
                                        fix="add level rows with this well ID, or check that the IDs match"))
        elif forcing_id_col and w in fc_problems:
            reason = fc_problems[w]
        elif forcing_id_col and w not in series:
            reason = str(WellInputError("no forcing rows with this well ID", well=w, field=forcing_id_col,
                                        fix="add forcing for this well, or check that the forcing IDs match"))
        if reason is None:
            lat, reason = _latitude(w, latitudes, needs_lat, log)
        if reason is None:
            rec, reason = _well_record(
                w, obs_by_well[w], series[w if forcing_id_col else None], roles, warmup=warmup, min_obs=int(min_obs),
                extend=extend_to_forcing_end, lat=lat, cols=cols, date_col=forcing_date_col, level_col=level_col,
                log=log)
        if reason is None:
            records[w] = rec
        else:
            skipped[w] = reason
            _say(log, f"Skipped: {reason}")
    if progress is not None:
        progress(1.0, f"{len(records)} wells ready, {len(skipped)} skipped")
    if not records:
        raise _all_skipped(skipped)
    return records, skipped


def prepare_forcing_only(forcing: pd.DataFrame, roles: Roles, well_ids: Iterable, *, warmup_days: int,
                         levels: Optional[pd.DataFrame] = None, level_fields=("well_id", "date", "level"),
                         forcing_id_col: Optional[str] = None, forcing_date_col: str = "date",
                         latitudes: Optional[dict] = None, log: LogFn = None, progress=None,
                         is_canceled=None, nodata=NODATA_CODES) -> Tuple[Dict[str, WellRecord], Dict[str, str]]:
    """Validate forcing (and optional levels) for simulation on new forcing: one frame per well over the
    whole span where every driver has a value (which must be longer than ``warmup_days`` and gap-free),
    ``level`` NaN except on observed days inside it (levels are optional, for comparison only; a well without
    levels is fine and has ``first_obs``/``last_obs`` NaT and ``n_obs`` 0). Returns ``(records, skipped)`` as
    :func:`prepare_wells`; raises InputError for table-wide problems or when every well is skipped.
    """
    warmup = int(warmup_days)
    wells = _well_list(well_ids)
    fc, fc_problems = _read_forcing(forcing, roles, forcing_date_col, forcing_id_col, log, nodata)
    fc_problems = _reasons(fc_problems)
    lv_problems, obs_by_well = {}, {}
    id_col, date_col, level_col = level_fields
    if levels is not None:
        lv, lv_problems = _read_levels(levels, id_col, date_col, level_col, log, nodata)
        lv_problems = _reasons(lv_problems)
        extra = sorted((set(lv["well_id"].unique()) | set(lv_problems)) - set(wells))
        if extra:
            _say(log, f"Levels: {len(extra)} well IDs are not in the wells layer and are ignored: "
                      f"{_quote_list(extra)}.")
        obs_by_well = {w: g[["date", "level"]].reset_index(drop=True) for w, g in lv.groupby("well_id", sort=False)}
    series = _forcing_series(fc, roles, wells, forcing_id_col, fc_problems, log)
    cols = roles.columns()
    needs_lat = bool(roles.temp) and not roles.pet
    records, skipped = {}, {}
    for i, w in enumerate(wells):
        _check_cancel(is_canceled)
        if progress is not None:
            progress(i / len(wells), f"checking forcing for well {w}")
        reason = lv_problems.get(w)
        if reason is None and forcing_id_col and w in fc_problems:
            reason = fc_problems[w]
        elif reason is None and forcing_id_col and w not in series:
            reason = str(WellInputError("no forcing rows with this well ID", well=w, field=forcing_id_col,
                                        fix="add forcing for this well, or check that the forcing IDs match"))
        if reason is None:
            lat, reason = _latitude(w, latitudes, needs_lat, log)
        if reason is None:
            rec, reason = _forcing_record(w, obs_by_well.get(w), series[w if forcing_id_col else None], roles,
                                          warmup=warmup, lat=lat, cols=cols, date_col=forcing_date_col, log=log)
        if reason is None:
            records[w] = rec
        else:
            skipped[w] = reason
            _say(log, f"Skipped: {reason}")
    if progress is not None:
        progress(1.0, f"{len(records)} wells ready, {len(skipped)} skipped")
    if not records:
        raise _all_skipped(skipped)
    return records, skipped
