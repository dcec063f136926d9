"""The levels table (well ID, date, level) read into one long frame, with its problems per well."""
from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np
import pandas as pd

from ..errors import InputError, WellInputError
from .ids import normalise_ids
from .wording import _day, LogFn, _n, _quote_list, _rows_text, _say
from .values import (
    ACCEPTED_DATE_FORMATS, drop_nodata, NODATA_CODES, _nodata_note, parse_dates, parse_numbers,
)
from .plausibility import depth_note, plausibility_notes


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


def _read_levels(levels, id_col, date_col, level_col, log, nodata=NODATA_CODES):
    """(frame well_id/date/level of usable rows, problems well_id -> [WellInputError])."""
    _check_table(levels, "levels", [id_col, date_col, level_col],
                 {id_col: "the well ID", date_col: "the date of each reading", level_col: "the water level (m)"})
    note = depth_note(level_col)
    if note:
        _say(log, note)
    raw = levels[[id_col, date_col, level_col]].reset_index(drop=True)
    raw.columns = ["id", "date", "level"]
    ids, values, observed, bad_num = _level_values(raw, id_col, level_col, log, nodata)
    dates = parse_dates(raw["date"])
    bad_date = observed & dates.isna()
    bad_num = observed & bad_num
    _refuse_unreadable_table(raw, observed, bad_date, bad_num, date_col, level_col)
    problems = _unreadable_cells(raw, ids, bad_date, bad_num, date_col, level_col)
    good = observed & ~bad_date & ~bad_num
    frame = pd.DataFrame({"well_id": ids[good].values, "date": dates[good].values, "level": values[good].values})
    _duplicate_days(frame, date_col, problems)
    if problems:
        frame = frame[~frame["well_id"].isin(list(problems))]
    frame = frame.sort_values(["well_id", "date"], kind="mergesort").reset_index(drop=True)
    if log:
        for w, g in frame.groupby("well_id", sort=False):
            for note in plausibility_notes(g["level"].to_numpy(), g["date"].to_numpy(), "level", w, level_col):
                _say(log, "Levels: " + note)
    return frame, problems


def _level_values(raw, id_col, level_col, log, nodata):
    """(ids, levels, observed rows, rows whose level is no number); refuses a table without IDs or levels."""
    ids = normalise_ids(raw["id"])
    values, bad_num = parse_numbers(raw["level"], field=level_col, ambiguous="decimal")
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
    return ids, values, observed, bad_num


def _refuse_unreadable_table(raw, observed, bad_date, bad_num, date_col, level_col):
    """No readable date, or no readable level, anywhere: the wrong field was chosen (a table-wide error)."""
    if bad_date.sum() == observed.sum():
        pos = np.flatnonzero(bad_date.values)
        raise InputError(
            f"no value of the levels table's date field is a date in an accepted format: "
            f"{_rows_text(pos, raw['date'].iloc[pos])}; accepted: {ACCEPTED_DATE_FORMATS}",
            field=date_col, fix="choose the field that holds the dates, or write them as YYYY-MM-DD")
    if bad_num.sum() == observed.sum():
        pos = np.flatnonzero(bad_num.values)
        raise InputError(
            f"no value of the levels table's level field is a number: {_rows_text(pos, raw['level'].iloc[pos])}",
            field=level_col, fix="choose the field that holds the water levels (numbers in m)")


def _unreadable_cells(raw, ids, bad_date, bad_num, date_col, level_col) -> Dict[str, List[WellInputError]]:
    """well -> problems for the dates and levels of that well that cannot be read (the well is skipped)."""
    problems: Dict[str, List[WellInputError]] = {}
    for w in pd.unique(ids[bad_date]):
        pos = np.flatnonzero((bad_date & (ids == w)).values)
        problems.setdefault(w, []).append(WellInputError(
            f"{_n(len(pos), 'date is', 'dates are')} not in an accepted format: "
            f"{_rows_text(pos, raw['date'].iloc[pos])}; accepted: {ACCEPTED_DATE_FORMATS}",
            well=w, field=date_col, fix="correct these dates (for example as 2010-01-31) or remove the rows"))
    for w in pd.unique(ids[bad_num]):
        pos = np.flatnonzero((bad_num & (ids == w)).values)
        problems.setdefault(w, []).append(WellInputError(
            f"{_n(len(pos), 'level is', 'levels are')} not a number: {_rows_text(pos, raw['level'].iloc[pos])}",
            well=w, field=level_col,
            fix="write levels as numbers in m (decimal point or comma), leave unobserved days empty"))
    return problems


def _duplicate_days(frame, date_col, problems):
    """Adds a problem for each well with more than one level on a day (never averaged silently)."""
    dup = frame.duplicated(["well_id", "date"], keep=False)
    for w, g in frame[dup].groupby("well_id", sort=False):
        n_dates = g["date"].nunique()
        identical = int(g.duplicated(["date", "level"]).sum())
        first = ", ".join(_day(d) for d in sorted(g["date"].unique())[:3])
        same = f", {identical} of them exact copies" if identical else ""
        problems.setdefault(w, []).append(WellInputError(
            f"{len(g)} rows share {_n(n_dates, 'date', 'dates')} (more than one level on the same day{same}; "
            f"first on {first}); levels are not averaged silently",
            well=w, field=date_col,
            fix="aggregate the readings to daily means, or remove the duplicate rows"))


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
