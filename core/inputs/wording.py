"""How the input checks write what they found: days, ranges of days, rows and lists, in one style."""
from __future__ import annotations

import math
from typing import Callable, Optional

import numpy as np
import pandas as pd

from ..runs import runs


LogFn = Optional[Callable[[str], None]]


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
    starts, ends = runs(days - np.arange(len(days)))  # consecutive days share day - position
    parts = []
    for s, e in zip(starts, ends):
        n = int(e - s + 1)
        parts.append(_day(idx[s]) if n == 1 else f"{_day(idx[s])}..{_day(idx[e])} ({n} days)")
    if len(parts) > max_ranges:
        return ", ".join(parts[:max_ranges]) + f" ... and {len(parts) - max_ranges} more ranges ({len(idx)} days in all)"
    return ", ".join(parts)


def _dates_text(dates, n=3):
    dates = list(dates)
    return ", ".join(_day(d) for d in dates[:n]) + (f" and {len(dates) - n} more" if len(dates) > n else "")
