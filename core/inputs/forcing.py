"""The forcing table (date, optional well ID, one field per driver) read into one long frame, and one well's
forcing series on a daily index with its gaps."""
from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np
import pandas as pd

from ..errors import InputError, WellInputError
from ..vocabulary import DRIVER_LABELS
from .ids import normalise_ids
from .roles import Roles
from .wording import compress_dates, _day, LogFn, _n, _rows_text, _say
from .values import (
    ACCEPTED_DATE_FORMATS, DECIMAL_WHEN_AMBIGUOUS, drop_nodata, NODATA_CODES, _nodata_note, parse_dates,
    parse_numbers,
)
from .plausibility import plausibility_notes, _unit_problems
from .levels import _check_table, _per_well


def _read_forcing(forcing, roles, date_col, id_col, log, nodata=NODATA_CODES):
    """(frame date [+ well_id] + drivers with NaN where a value is missing, problems forcing_id -> reason)."""
    if not isinstance(roles, Roles):
        raise InputError(f"roles must be a Roles object, not {type(roles).__name__}", fix="pass core.Roles(...)")
    columns = roles.columns()
    if not columns:
        raise InputError("no driver field is chosen", field="precip",
                         fix="choose at least the precipitation field of the forcing table")
    needed = [date_col] + ([id_col] if id_col else []) + list(columns.values())
    hints = {date_col: "the dates", **({id_col: "the well ID of each series"} if id_col else {})}
    for drv, col in columns.items():
        hints[col] = f"{DRIVER_LABELS.get(drv, drv)} (the driver '{drv}')"
    _check_table(forcing, "forcing", needed, hints)
    ids = normalise_ids(forcing[id_col]).reset_index(drop=True) if id_col else None
    data, any_value = _driver_values(forcing, columns, ids, log, nodata)
    raw_dates = forcing[date_col].reset_index(drop=True)
    dates = parse_dates(raw_dates)
    bad_date = dates.isna() & any_value
    if bad_date.any():
        pos = np.flatnonzero(bad_date.values)
        raise InputError(f"{_n(len(pos), 'forcing date is', 'forcing dates are')} not in an accepted format: "
                         f"{_rows_text(pos, raw_dates.iloc[pos])}; accepted: {ACCEPTED_DATE_FORMATS}",
                         field=date_col, fix="correct these dates (for example as 2010-01-31) or remove the rows")
    keep = dates.notna().to_numpy(copy=True)  # writable: pandas 3 hands out read-only views
    frame = pd.DataFrame({"date": dates.values, **data})
    if id_col:
        frame.insert(0, "well_id", ids.values)
        no_id = frame["well_id"].isna() & keep
        if no_id.all():
            raise InputError("every row of the forcing table has an empty well ID", field=id_col,
                             fix="choose the field that holds the well IDs, or no forcing ID field for one series")
        if no_id.any():
            _say(log, f"Forcing: {int(no_id.sum())} rows with an empty well ID in field '{id_col}' are ignored.")
        keep &= ~no_id.values
    frame = frame[keep].reset_index(drop=True)
    keys = ["well_id", "date"] if id_col else ["date"]
    problems = _duplicate_days(frame, keys, date_col)
    frame = frame.sort_values(keys, kind="mergesort").reset_index(drop=True)
    _judge_series(frame, columns, id_col, problems, log)
    return frame, problems


def _driver_values(forcing, columns, ids, log, nodata):
    """(driver -> float values, rows with any value); refuses text that is no number and empty fields."""
    data = {}
    any_value = pd.Series(False, index=pd.RangeIndex(len(forcing)))
    for drv, col in columns.items():
        raw = forcing[col].reset_index(drop=True)
        vals, bad = parse_numbers(raw, field=col,
                                  ambiguous="decimal" if drv in DECIMAL_WHEN_AMBIGUOUS else "refuse")
        vals, is_nodata = drop_nodata(vals, nodata)
        if is_nodata.any():
            _say(log, _nodata_note(f"Forcing ({DRIVER_LABELS.get(drv, drv)})", col, is_nodata, nodata, ids))
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
    return data, any_value


def _duplicate_days(frame, keys, date_col) -> Dict[str, List[WellInputError]]:
    """Series -> problems for days given twice; a single series with them is refused (a table-wide error)."""
    dup = frame.duplicated(keys, keep=False)
    problems: Dict[str, List[WellInputError]] = {}
    if not dup.any():
        return problems
    if "well_id" not in keys:
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
    return problems


def _judge_series(frame, columns, id_col, problems, log):
    """Per series: plausibility notes for river and pumping, and impossible units (a problem per well, or a
    table-wide error for a single series)."""
    unit_drivers = [d for d in ("precip", "temp", "pet") if d in columns]
    groups = frame.groupby("well_id", sort=False) if id_col else [(None, frame)]
    for w, g in groups:
        for drv in (d for d in ("river", "pumping") if d in columns and log):
            for note in plausibility_notes(g[drv].to_numpy(), g["date"].to_numpy(), DRIVER_LABELS.get(drv, drv),
                                           w, columns[drv], negative=drv == "pumping"):
                _say(log, "Forcing: " + note)
        for drv in unit_drivers:
            for problem, fix in _unit_problems(drv, g[drv].to_numpy(float), g["date"].to_numpy()):
                if not id_col:
                    raise InputError("the forcing series of all wells: " + problem, field=columns[drv], fix=fix)
                problems.setdefault(w, []).append(WellInputError(problem, well=w, field=columns[drv], fix=fix))


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
