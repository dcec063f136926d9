"""Validation of long tables into one clean daily frame per well.

The cells are read by :mod:`.values`, the levels and forcing tables by :mod:`.levels` and :mod:`.forcing`;
well IDs are compared as :func:`.ids.normalise_id` writes them (``101.0`` and ``101`` are one well).

Levels are never interpolated: a day without an observation has ``level`` NaN. Forcing is never filled:
a gap inside the span a well needs skips that well with the dates of the gap.

Per-well problems skip the well with a reason (``str(WellInputError(...))``, naming the well, the field,
the problem and the fix); the other wells go on. Table-wide problems, and the case where every well is
skipped, raise :class:`~.errors.InputError`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Iterable, Optional, Tuple

import numpy as np
import pandas as pd

from ..errors import Canceled, InputError, WellInputError
from ..vocabulary import DRIVER_LABELS
from .ids import normalise_ids
from .roles import Roles
from .wording import _day, LogFn, _quote_list, _say
from .values import NODATA_CODES
from .levels import _read_levels, _reasons
from .forcing import _read_forcing, _Series

DEFAULT_MIN_OBS = 100


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


# ------------------------------------------------------------------------------------------- per-well frames
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
                fix="give the well a point geometry, or give a potential-evaporation field (`roles.pet`)"))
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
    warm = pd.Timedelta(days=int(warmup))

    def too_few(n, first, last, note=""):
        return str(WellInputError(
            f"only {n} observed levels ({_day(first)}..{_day(last)}){note}; at least {min_obs} are needed to train "
            f"and score a model with a {warmup}-day warm-up", well=well, field=level_col,
            fix=f"add observations (at least {min_obs}), or shorten the look-back (`lookback`) if the forcing "
                "starts late"))

    if len(obs) < min_obs:
        return None, too_few(len(obs), obs["date"].iloc[0], obs["date"].iloc[-1])
    if pd.isna(series.first):
        return None, _no_forcing_day(well, cols, series)
    obs, note, reason = _after_warmup(well, obs, series, warmup, date_col, log)
    if reason:
        return None, reason
    first, last = obs["date"].iloc[0], obs["date"].iloc[-1]
    if last > series.last:
        return None, str(WellInputError(
            f"the forcing does not cover the level record: it is needed from {_day(first - warm)} to {_day(last)} "
            f"(the levels run to {_day(last)}), but is available {series.span_text()}",
            well=well, field=date_col,
            fix=f"extend the forcing to {_day(last)}, or remove the levels after {_day(series.last)}"))
    if len(obs) < min_obs:
        return None, too_few(len(obs), first, last, note)
    gap = series.gap_problem(first - warm, last, cols, date_col)
    if gap:
        text, fields = gap
        return None, str(WellInputError(
            f"the forcing has gaps inside the span this well needs ({_day(first - warm)}..{_day(last)}): {text}",
            well=well, field=fields,
            fix="fill these forcing gaps (for example from a nearby station), or remove the levels up to the last "
                f"gap so that the record starts {warmup} days after it"))
    end = _frame_end(well, series, last, log) if extend else last
    frame = _make_frame(series, first - warm, end, roles.drivers(), obs)
    return WellRecord(well, frame, first, last, int(len(obs)), lat), None


def _after_warmup(well, obs, series, warmup, date_col, log):
    """(observations that have ``warmup`` days of forcing before them, a note on those left out, reason or None).

    Levels before the forcing's start plus the warm-up are left out (and logged) rather than the well skipped."""
    warm = pd.Timedelta(days=int(warmup))
    first0, last0 = obs["date"].iloc[0], obs["date"].iloc[-1]
    earliest = series.first + warm
    forcing_days = int((series.last - series.first).days) + 1
    if forcing_days <= warmup:  # the look-back, not the data, is what does not fit
        return obs, "", str(WellInputError(
            f"the look-back (`lookback`) of {warmup} days is longer than the whole forcing ({forcing_days} days, "
            f"{series.span_text()}), so no level has the {warmup} days of forcing before it that the model reads",
            well=well, field=date_col,
            fix=f"shorten the look-back (`lookback`) to well under {forcing_days} days (365 is usual), or extend "
                f"the forcing back to {_day(first0 - warm)}"))
    if first0 >= earliest:
        return obs, "", None
    keep = obs["date"] >= earliest
    dropped = int((~keep).sum())
    obs = obs[keep]
    if len(obs) == 0:
        return obs, "", str(WellInputError(
            f"the forcing ({series.span_text()}) starts after the level record ({_day(first0)}..{_day(last0)}) "
            f"and its {warmup}-day warm-up: the forcing must cover {_day(first0 - warm)}..{_day(last0)}",
            well=well, field=date_col,
            fix=f"extend the forcing back to {_day(first0 - warm)}, or give levels observed after {_day(earliest)}"))
    _say(log, f"Well '{well}': the forcing starts on {_day(series.first)}, so {dropped} levels before "
              f"{_day(earliest)} are left out to keep a {warmup}-day warm-up; the record now starts on "
              f"{_day(obs['date'].iloc[0])}.")
    note = (f" after dropping {dropped} observations before {_day(earliest)} (the forcing starts on "
            f"{_day(series.first)} and the model needs {warmup} days of forcing before the first level)")
    return obs, note, None


def _frame_end(well, series, last, log):
    """The frame runs on to the forcing's end (for simulation past the record), stopping before a gap."""
    if series.last <= last:
        return last
    after = series.gaps(last, series.last)
    if len(after):
        _say(log, f"Well '{well}': the forcing after the last level has a gap from {_day(after[0])}; "
                  f"the frame ends on {_day(after[0] - pd.Timedelta(days=1))}.")
        return after[0] - pd.Timedelta(days=1)
    return series.last


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
    obs_by_well = _levels_of_wells(lv, lv_problems, wells, id_col, log, required=True)
    series = _forcing_series(fc, roles, wells, forcing_id_col, fc_problems, log)
    cols = roles.columns()
    needs_lat = bool(roles.temp) and not roles.pet

    def check(w):
        reason = lv_problems.get(w)
        if reason is None and w not in obs_by_well:
            reason = str(WellInputError("no levels", well=w, field=id_col,
                                        fix="add level rows with this well ID, or check that the IDs match"))
        reason = reason or _forcing_reason(w, series, fc_problems, forcing_id_col)
        lat, reason = (None, reason) if reason else _latitude(w, latitudes, needs_lat, log)
        if reason:
            return None, reason
        return _well_record(
            w, obs_by_well[w], series[w if forcing_id_col else None], roles, warmup=warmup, min_obs=int(min_obs),
            extend=extend_to_forcing_end, lat=lat, cols=cols, date_col=forcing_date_col, level_col=level_col,
            log=log)

    return _each_well(wells, check, "checking well", progress, is_canceled, log)


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
        obs_by_well = _levels_of_wells(lv, lv_problems, wells, id_col, log, required=False)
    series = _forcing_series(fc, roles, wells, forcing_id_col, fc_problems, log)
    cols = roles.columns()
    needs_lat = bool(roles.temp) and not roles.pet

    def check(w):
        reason = lv_problems.get(w) or _forcing_reason(w, series, fc_problems, forcing_id_col)
        lat, reason = (None, reason) if reason else _latitude(w, latitudes, needs_lat, log)
        if reason:
            return None, reason
        return _forcing_record(w, obs_by_well.get(w), series[w if forcing_id_col else None], roles,
                               warmup=warmup, lat=lat, cols=cols, date_col=forcing_date_col, log=log)

    return _each_well(wells, check, "checking forcing for well", progress, is_canceled, log)


def _levels_of_wells(lv, lv_problems, wells, id_col, log, required):
    """well -> its observations (date, level); levels of IDs not in the wells layer are logged and left out.
    ``required``: no level ID matching a well is a table-wide error (the wrong ID field was chosen)."""
    level_ids = set(lv["well_id"].unique()) | set(lv_problems)
    if required and not level_ids & set(wells):
        raise InputError(
            f"no level well ID matches a well: the levels have {_quote_list(sorted(level_ids))}, the wells "
            f"{_quote_list(wells)}", field=id_col,
            fix="choose the levels field that holds the same IDs as the wells layer's ID field")
    extra = sorted(level_ids - set(wells))
    if extra:
        _say(log, f"Levels: {len(extra)} well IDs are not in the wells layer and are ignored: {_quote_list(extra)}.")
    return {w: g[["date", "level"]].reset_index(drop=True) for w, g in lv.groupby("well_id", sort=False)}


def _forcing_reason(well, series, fc_problems, forcing_id_col):
    """Why a well has no forcing series of its own (one series per well), or None."""
    if not forcing_id_col:
        return None
    if well in fc_problems:
        return fc_problems[well]
    if well not in series:
        return str(WellInputError("no forcing rows with this well ID", well=well, field=forcing_id_col,
                                  fix="add forcing for this well, or check that the forcing IDs match"))
    return None


def _each_well(wells, check, doing, progress, is_canceled, log):
    """(records, skipped): ``check(well)`` -> (record, None) or (None, reason) for each well, with progress and
    cancel; every well skipped is an error that repeats the first reasons."""
    records, skipped = {}, {}
    for i, w in enumerate(wells):
        _check_cancel(is_canceled)
        if progress is not None:
            progress(i / len(wells), f"{doing} {w}")
        record, reason = check(w)
        if reason is None:
            records[w] = record
        else:
            skipped[w] = reason
            _say(log, f"Skipped: {reason}")
    if progress is not None:
        progress(1.0, f"{len(records)} wells ready, {len(skipped)} skipped")
    if not records:
        raise _all_skipped(skipped)
    return records, skipped
