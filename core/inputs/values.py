"""Cell values as the tables give them: dates, numbers and NoData codes.

Inputs come from QGIS layers converted to pandas, so every reader accepts text as well as typed values:

- dates: ``YYYY-MM-DD``, ``DD.MM.YYYY`` or ``YYYY/MM/DD`` text, optionally followed by a time
  (``2010-01-31 12:00``, ``2010-01-31T12:00:00+01:00``: the date as written is kept, the time dropped), or
  date/datetime values (Python, NumPy, pandas, and anything with Qt's ``toPyDateTime``/``toPyDate``);
- numbers: numbers, or text with a decimal point or a decimal comma; a lone comma is read per column (see
  :func:`parse_numbers`); ``'1.234,5'`` and ``'1,234.5'`` are read with the last separator as the decimal mark;
  spaces are ignored; empty cells and ``NA``, ``NaN``, ``NULL``, ``None``, ``N/A`` mean "no value";
- NoData codes (-9999, -999, 9999 unless the caller gives others) are missing values, never values.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Tuple

import numpy as np
import pandas as pd

from ..errors import InputError
from .wording import _quote_list


DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d")
ACCEPTED_DATE_FORMATS = (
    "YYYY-MM-DD, DD.MM.YYYY or YYYY/MM/DD text, optionally followed by a time (2010-01-31 12:00), "
    "or a date/datetime field"
)
NA_TOKENS = frozenset({"", "nan", "na", "n/a", "#n/a", "null", "none", "nat", "<null>"})


# Codes that loggers and databases write for "no value": never a level, a stage or a driver value here.
NODATA_CODES = (-9999.0, -999.0, 9999.0)


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
            "Fix: if one of them is a real value, set the NoData codes (`nodata`) to those your data use.")
