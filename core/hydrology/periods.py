"""Freeze-thaw calendar from daily air temperature (pure numpy/pandas).

Every winter of a seasonally frozen plain is split into three periods:

``freezing``  from the freezing start to the thawing start: the ground freezes from the top, water moves up
              from a shallow water table into the frozen layer, infiltration is blocked.
``thawing``   from the thawing start to the thawing end: the frozen layer thaws and gives its water back.
``unfrozen``  every other day.

How the dates are found (all thresholds are :class:`PeriodConfig` fields):

1. The running mean of air temperature over ``window`` days (centred on the day; default 5 days, the usual
   "five-day sliding mean" of climatology) is compared with ``threshold`` (default 0 degC).
2. The series is cut into cold seasons that begin on the first day of ``season_start_month`` (default July,
   northern hemisphere). The winter is labelled by the year in which its season begins (the winter 2008/09
   is ``winter`` 2008).
3. Runs of consecutive days with the running mean below the threshold are found. A run counts as frost only
   when it lasts at least ``min_days`` days (default 10): shorter cold snaps in autumn and late-spring
   frosts are ignored, and so are short mid-winter thaws (they stay inside the freezing period).
   **Freezing start** = the first day of the first such run in the season: from it on, the running mean stays
   below the threshold for at least ``min_days`` days. **Thawing start** = the day after the last such run:
   after it the running mean never again stays below the threshold for ``min_days`` days in that season
   ("rises above and stays"). A season without any run of ``min_days`` cold days has no row (a warm winter).
4. **Thawing end**: the frozen layer has thawed. By Stefan's relation the frost depth grows with the square
   root of the freezing degree-days, ``z_f = a_f * sqrt(FDD)``, and the thaw depth with the square root of
   the thawing degree-days since the thawing start, ``z_t = a_t * sqrt(TDD)``; the layer is gone when
   ``z_t = z_f``, that is when ``TDD >= thaw_factor * FDD`` with ``thaw_factor = (a_f / a_t)**2``. FDD is the
   winter's frost index (degree-days below the threshold from the freezing start to the thawing start), TDD
   sums degree-days above the threshold from the thawing start. The default ``thaw_factor`` 0.35 reflects that
   seasonal frost also thaws from below (geothermal heat) and that the thawed top soil conducts heat well:
   on the Songnen Plain a winter of about 1800 freezing degree-days thaws out in late May, about 600-700
   thawing degree-days after a thawing start around the end of March. Instead of the Stefan relation a user
   can give ``thaw_degree_days`` (a fixed TDD) or ``thaw_days`` (a fixed number of days).

Edges of the series: a winter already frozen on the first day starts on the first day (its frost index, and so
its thawing end, counts only the days in the series); a winter still frozen (or thawing) on the last day ends
the day after the last day.

The calendar is a table ``winter``, ``freeze_start``, ``thaw_start``, ``thaw_end`` (plus ``well_id`` for a
network) that a person may edit (for example from soil temperature records) and hand back:
:func:`validate_calendar` checks such a table, :func:`parse_calendar` returns it with proper dates.
"""
import warnings
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from ..config import Settings
from ..errors import InputError
from ..inputs.ids import normalise_id, normalise_ids
from ..runs import true_runs
from ..vocabulary import WINTER_START_MONTH

CALENDAR_COLUMNS = ("winter", "freeze_start", "thaw_start", "thaw_end")
DATE_COLUMNS = ("freeze_start", "thaw_start", "thaw_end")
_FIX = ("edit the `calendar` table so that, for each well, freeze_start < thaw_start <= thaw_end and every "
        "winter ends (thaw_end) on or before the next winter's freeze_start, or give no `calendar` to compute "
        "the calendar from air temperature")


@dataclass
class PeriodConfig(Settings):
    """Thresholds of the freeze-thaw calendar (see the module docstring).

    window: days of the centred running mean of air temperature.
    threshold: degC; the running mean below it is cold, above it warm; also the base of the degree-days.
    min_days: a cold run must last at least this many days to start (or keep) the freezing period.
    thaw_factor: thawing end when thawing degree-days reach thaw_factor x the winter's freezing degree-days
        (Stefan: (a_f / a_t) ** 2).
    thaw_degree_days: if given, a fixed number of thawing degree-days instead of the Stefan relation.
    thaw_days: if given, the thawing period lasts this many days (overrides both above).
    season_start_month: the month in which a winter's season begins (7 = July, northern hemisphere).
    """

    window: int = 5
    threshold: float = 0.0
    thaw_factor: float = 0.35
    min_days: int = 10
    thaw_degree_days: Optional[float] = None
    thaw_days: Optional[int] = None
    season_start_month: int = WINTER_START_MONTH

    def check(self):
        if int(self.window) < 1:
            raise InputError(f"the running-mean window must be at least 1 day, not {self.window}",
                             field="window", fix="give a window of 1 day or more (default 5)")
        if int(self.min_days) < 1:
            raise InputError(f"min_days must be at least 1, not {self.min_days}", field="min_days",
                             fix="give 1 day or more (default 10)")
        if not self.thaw_factor > 0:
            raise InputError(f"thaw_factor must be positive, not {self.thaw_factor}", field="thaw_factor",
                             fix="give a positive factor (default 0.35)")
        if self.thaw_degree_days is not None and not self.thaw_degree_days > 0:
            raise InputError(f"thaw_degree_days must be positive, not {self.thaw_degree_days}",
                             field="thaw_degree_days", fix="give a positive number or leave it empty")
        if self.thaw_days is not None and int(self.thaw_days) < 0:
            raise InputError(f"thaw_days must not be negative, not {self.thaw_days}", field="thaw_days",
                             fix="give 0 or more days, or leave it empty")
        if not 1 <= int(self.season_start_month) <= 12:
            raise InputError(f"season_start_month must be 1..12, not {self.season_start_month}",
                             field="season_start_month", fix="give a month number (7 = July)")


def _daily_series(temp, well=None):
    if not isinstance(temp, pd.Series):
        raise InputError("air temperature must be a pandas Series with a DatetimeIndex", well=well,
                         field="temp", fix="pass one daily temperature series per well")
    if not isinstance(temp.index, pd.DatetimeIndex):
        raise InputError("air temperature has no date index", well=well, field="temp",
                         fix="index the temperature series by date")
    s = pd.to_numeric(temp, errors="coerce").astype(float)
    s.index = s.index.normalize()
    s = s[~s.index.duplicated(keep="first")].sort_index()
    if s.empty or s.notna().sum() == 0:
        raise InputError("air temperature is empty", well=well, field="temp",
                         fix="give daily air temperature in degC")
    full = pd.date_range(s.index[0], s.index[-1], freq="D")
    s = s.reindex(full)
    if s.isna().any():  # short gaps: linear in time; the calendar needs every day
        s = s.interpolate(limit_direction="both")
    return s


def winter_of(dates, start_month=WINTER_START_MONTH):
    """The winter each day belongs to, named by the year it starts in (1 July to 30 June by default)."""
    dates = pd.DatetimeIndex(dates)
    return np.where(dates.month >= int(start_month), dates.year, dates.year - 1).astype(int)


def freeze_thaw_calendar(temp: pd.Series, config: PeriodConfig = None) -> pd.DataFrame:
    """One row per winter with freezing: ``winter``, ``freeze_start``, ``thaw_start``, ``thaw_end``.

    ``temp`` is daily air temperature (degC) indexed by date; short gaps are interpolated.
    """
    config = config or PeriodConfig()
    config.check()
    s = _daily_series(temp)
    dates = s.index
    t = s.to_numpy()
    w = int(config.window)
    rm = s.rolling(w, center=True, min_periods=1).mean().to_numpy()
    cold = rm < config.threshold
    thr = float(config.threshold)

    # season of each day: the year in which its cold season began
    month0 = int(config.season_start_month)
    season = winter_of(dates, month0)
    season = np.asarray(season)
    rows = []
    after_end = dates[-1] + pd.Timedelta(days=1)
    for y in np.unique(season):
        idx = np.flatnonzero(season == y)
        i0, i1 = idx[0], idx[-1] + 1
        starts, ends = true_runs(cold[i0:i1])
        long = (ends - starts) >= int(config.min_days)
        if not long.any():
            continue
        starts, ends = starts[long] + i0, ends[long] + i0
        fs, ts = starts[0], ends[-1]          # freezing start index, thawing start index (first warm day)
        fdd = float(np.clip(thr - t[fs:ts], 0, None).sum())
        if ts >= len(t):                       # still frozen at the end of the series
            rows.append((int(y), dates[fs], after_end, after_end))
            continue
        if config.thaw_days is not None:
            te = ts + int(config.thaw_days)
        else:
            need = (float(config.thaw_degree_days) if config.thaw_degree_days is not None
                    else config.thaw_factor * fdd)
            tdd = np.cumsum(np.clip(t[ts:] - thr, 0, None))
            k = np.flatnonzero(tdd >= need)
            te = ts + int(k[0]) + 1 if k.size else len(t)   # thaw_end is the first unfrozen day
        thaw_end = dates[te] if te < len(t) else after_end
        rows.append((int(y), dates[fs], dates[ts], thaw_end))
    cal = pd.DataFrame(rows, columns=list(CALENDAR_COLUMNS))
    cal["winter"] = cal["winter"].astype("int64")
    for c in DATE_COLUMNS:
        cal[c] = pd.to_datetime(cal[c])
    # a thawing period must not run into the next winter's freezing start
    if len(cal) > 1:
        nxt = cal["freeze_start"].shift(-1)
        clip = nxt.notna() & (cal["thaw_end"] > nxt)
        cal.loc[clip, "thaw_end"] = nxt[clip]
    return cal


def label_days(dates, calendar: pd.DataFrame) -> pd.Series:
    """Label each date 'freezing' (freeze_start <= d < thaw_start), 'thawing' (thaw_start <= d < thaw_end)
    or 'unfrozen' (every other day). ``calendar`` holds one well's winters. Returns a Series indexed by the
    dates."""
    idx = pd.DatetimeIndex(pd.to_datetime(dates)).normalize()
    lab = np.full(len(idx), "unfrozen", dtype=object)
    if calendar is not None and len(calendar):
        cal = parse_calendar(calendar, check=False)
        d = idx.values
        for fs, ts, te in zip(cal["freeze_start"].values, cal["thaw_start"].values, cal["thaw_end"].values):
            lab[(d >= fs) & (d < ts)] = "freezing"
            lab[(d >= ts) & (d < te)] = "thawing"
    return pd.Series(lab, index=idx, name="period")


def label_well(dates, *, well_id=None, temperature=None, calendar=None, config: PeriodConfig = None, log=None):
    """The period of each day for one well: from a ``calendar`` table (this well's rows; a table without a
    ``well_id`` column serves every well) or computed from the well's daily air ``temperature``.

    A calendar with no rows for the well means no winter froze there: every day is unfrozen (said in the log).
    Raises InputError when neither a calendar nor a temperature is given.
    """
    dates = pd.DatetimeIndex(pd.to_datetime(dates))
    if calendar is not None:
        cal = calendar
        if "well_id" in cal.columns:
            cal = cal[normalise_ids(cal["well_id"]) == normalise_id(well_id)]
        if cal.empty and log is not None:
            log(f"well '{well_id}': no winter in the `calendar` table: every day counts as unfrozen")
    elif temperature is not None:
        temp = temperature if isinstance(temperature, pd.Series) else pd.Series(np.asarray(temperature), index=dates)
        cal = freeze_thaw_calendar(temp, config or PeriodConfig())
    else:
        raise InputError("freeze-thaw periods are needed but there is neither a temperature role nor a `calendar` "
                         "table", well=well_id, setting="roles.temp",
                         fix="give the air temperature (`roles.temp`) or a `calendar` table")
    return pd.Series(np.asarray(label_days(dates, cal), dtype=object), index=dates, name="period")


def network_calendar(forcing_long: pd.DataFrame, temp_col: str, id_col=None, well_ids=None,
                     config: PeriodConfig = None) -> pd.DataFrame:
    """The calendar of every well: ``well_id``, ``winter``, ``freeze_start``, ``thaw_start``, ``thaw_end``.

    With ``id_col`` the temperature of each well is its own (rows of that well); without it the table holds one
    regional series (one row per date) and every well in ``well_ids`` gets the same calendar.
    """
    config = config or PeriodConfig()
    if temp_col not in forcing_long.columns:
        raise InputError(f"the forcing table has no column '{temp_col}'", field=temp_col,
                         fix="choose the air temperature field (`roles.temp`) or give a `calendar` table")
    if "date" not in forcing_long.columns:
        raise InputError("the forcing table has no 'date' column", field="date",
                         fix="give a date column in the forcing table")
    frames = []
    if id_col is None:
        f = forcing_long.groupby(pd.to_datetime(forcing_long["date"]).dt.normalize())[temp_col].mean()
        cal = freeze_thaw_calendar(f, config)
        ids = list(well_ids) if well_ids is not None else []
        for w in ids:
            frames.append(cal.assign(well_id=str(w)))
    else:
        if id_col not in forcing_long.columns:
            raise InputError(f"the forcing table has no column '{id_col}'", field=id_col,
                             fix="choose the well-ID field of the forcing table, or none for one regional series")
        keys = forcing_long[id_col].astype(str)
        ids = [str(w) for w in well_ids] if well_ids is not None else sorted(keys.unique())
        for w in ids:
            sub = forcing_long[keys == w]
            if sub.empty:
                raise InputError("no air temperature for this well in the forcing table", well=w,
                                 field=temp_col, fix="add the well's rows to the forcing table or give a `calendar` table")
            series = pd.Series(sub[temp_col].to_numpy(), index=pd.to_datetime(sub["date"]))
            try:
                cal = freeze_thaw_calendar(series, config)
            except InputError as e:
                raise InputError(e.problem, well=w, field=e.field, fix=e.fix) from e
            frames.append(cal.assign(well_id=w))
    cols = ["well_id"] + list(CALENDAR_COLUMNS)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c in DATE_COLUMNS else
                                          ("int64" if c == "winter" else object)) for c in cols})
    return pd.concat(frames, ignore_index=True)[cols]


def _to_dates(values):
    """Dates from dates or text (any unambiguous format, rows may differ); what cannot be read becomes NaT."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.Series(values)
    with warnings.catch_warnings():  # mixed text formats are parsed one by one, which is what we want here
        warnings.simplefilter("ignore", UserWarning)
        return pd.to_datetime(pd.Series(values), errors="coerce")


def parse_calendar(df: pd.DataFrame, check: bool = True) -> pd.DataFrame:
    """A copy of a calendar table with real dates (text dates are parsed) and an int ``winter``; validated
    when ``check``."""
    if check:
        validate_calendar(df)
    out = df.copy()
    for c in DATE_COLUMNS:
        out[c] = _to_dates(out[c]).dt.normalize()
    if "winter" in out.columns:
        out["winter"] = pd.to_numeric(out["winter"]).astype("int64")
    if "well_id" in out.columns:
        out["well_id"] = normalise_ids(out["well_id"])
    return out


def validate_calendar(df: pd.DataFrame) -> None:
    """Raise :class:`InputError` for a calendar that cannot be used: missing columns, dates that are not
    dates, inverted dates (freeze_start >= thaw_start or thaw_start > thaw_end) or overlapping winters. The
    message names the well, the winter and the field, and says how to fix the table."""
    missing = [c for c in DATE_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"the `calendar` table lacks the column(s) {', '.join(missing)}", field=missing[0],
                         fix="give a table with well_id, winter, freeze_start, thaw_start, thaw_end (as the "
                             "freeze-thaw algorithm writes it)")
    has_well = "well_id" in df.columns
    has_winter = "winter" in df.columns
    dates = {}
    for c in DATE_COLUMNS:
        parsed = _to_dates(df[c])
        bad = parsed.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            row = df.iloc[i]
            raise InputError(
                f"winter {row['winter'] if has_winter else '?'}: '{row[c]}' is not a date",
                well=row["well_id"] if has_well else None, field=c,
                fix="write dates as YYYY-MM-DD; " + _FIX)
        dates[c] = parsed.dt.normalize()
    fs, ts, te = dates["freeze_start"], dates["thaw_start"], dates["thaw_end"]
    wells = df["well_id"].astype(str) if has_well else pd.Series("", index=df.index)

    def _where(i):
        row = df.iloc[i]
        return (str(row["well_id"]) if has_well else None,
                f"winter {row['winter']}" if has_winter else f"row {i + 1}")

    for i in range(len(df)):
        well, win = _where(i)
        if fs.iloc[i] >= ts.iloc[i]:
            raise InputError(
                f"{win}: freeze_start {fs.iloc[i].date()} is not before thaw_start {ts.iloc[i].date()} "
                f"(inverted dates)", well=well, field="freeze_start", fix=_FIX)
        if ts.iloc[i] > te.iloc[i]:
            raise InputError(
                f"{win}: thaw_start {ts.iloc[i].date()} is after thaw_end {te.iloc[i].date()} (inverted dates)",
                well=well, field="thaw_end", fix=_FIX)
    order = pd.DataFrame({"w": wells.to_numpy(), "fs": fs.to_numpy(), "te": te.to_numpy(),
                          "i": np.arange(len(df))}).sort_values(["w", "fs"], kind="stable")
    for _, g in order.groupby("w", sort=False):
        if len(g) < 2:
            continue
        prev_end = g["te"].to_numpy()[:-1]
        next_start = g["fs"].to_numpy()[1:]
        over = np.flatnonzero(next_start < prev_end)
        if over.size:
            a, b = int(g["i"].iloc[over[0]]), int(g["i"].iloc[over[0] + 1])
            well, win_a = _where(a)
            _, win_b = _where(b)
            raise InputError(
                f"{win_a} (thaw_end {te.iloc[a].date()}) overlaps {win_b} (freeze_start {fs.iloc[b].date()})",
                well=well, field="freeze_start", fix=_FIX)
