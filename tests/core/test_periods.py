"""The freeze-thaw calendar: dates of a known temperature curve, warm winters, labels, bad PERIODS tables."""
import numpy as np
import pandas as pd
import pytest

from groundwater_lstm.core import vocabulary
from groundwater_lstm.core.hydrology import periods
from groundwater_lstm.core.errors import InputError
from groundwater_lstm.core.hydrology.periods import PeriodConfig, freeze_thaw_calendar, label_days, validate_calendar

MEAN, AMP, COLDEST = 4.0, 21.0, 15  # degC, degC, day of year of the coldest day (15 January)
YEAR = 365.25


def _sinus(start="2010-01-01", end="2014-12-31", mean=MEAN, amp=AMP):
    dates = pd.date_range(start, end, freq="D")
    t = (dates - pd.Timestamp("2010-01-01")).days.to_numpy() + 1.0  # day 1 = 1 January 2010
    return pd.Series(mean - amp * np.cos(2 * np.pi * (t - COLDEST) / YEAR), index=dates)


# numpy 2.0 renamed trapz to trapezoid and 2.4 removed trapz; 1.24 (QGIS 3.22's) has only trapz.
_trapezoid = getattr(np, "trapezoid", None) or getattr(np, "trapz")


def _expected(winter):
    """Analytic dates of the sinusoid: zero crossings and the Stefan thawing end (continuous integrals)."""
    half = np.arccos(MEAN / AMP) * YEAR / (2 * np.pi)          # days from the coldest day to a zero crossing
    coldest = pd.Timestamp(f"{winter + 1}-01-01") + pd.Timedelta(days=COLDEST - 1)
    freeze = coldest - pd.Timedelta(days=half)
    thaw = coldest + pd.Timedelta(days=half)
    s = np.linspace(-half, half, 20001)
    fdd = _trapezoid(AMP * np.cos(2 * np.pi * s / YEAR) - MEAN, s)
    u = np.linspace(0, 200, 200001)
    tdd = np.concatenate(([0], np.cumsum(np.diff(u) * (MEAN - AMP * np.cos(2 * np.pi * (half + u[1:]) / YEAR)))))
    end = thaw + pd.Timedelta(days=float(u[np.argmax(tdd >= 0.35 * fdd)]))
    return freeze, thaw, end, fdd


def test_sinusoid_gives_one_winter_per_year_at_the_expected_dates():
    cal = freeze_thaw_calendar(_sinus())
    # 2009 is cut by the start (frozen on 1 January 2010), 2014 by the end (frozen on 31 December 2014)
    assert list(cal["winter"]) == [2009, 2010, 2011, 2012, 2013, 2014]
    assert cal["winter"].dtype == np.int64
    for c in ("freeze_start", "thaw_start", "thaw_end"):
        assert pd.api.types.is_datetime64_any_dtype(cal[c])
    assert cal["freeze_start"].iloc[0] == pd.Timestamp("2010-01-01")
    assert cal["thaw_start"].iloc[-1] == pd.Timestamp("2015-01-01")  # still frozen: ends after the series
    for _, row in cal.iloc[1:-1].iterrows():
        freeze, thaw, end, fdd = _expected(row["winter"])
        assert abs((row["freeze_start"] - freeze).days) <= 2, (row, freeze)
        assert abs((row["thaw_start"] - thaw).days) <= 2, (row, thaw)
        assert abs((row["thaw_end"] - end).days) <= 3, (row, end)
        assert 1500 < fdd < 2000  # a Songnen-like frost index
        assert 40 < (row["thaw_end"] - row["thaw_start"]).days < 90


def test_thaw_end_follows_the_configuration():
    s = _sinus()
    base = freeze_thaw_calendar(s).iloc[1:-1]
    later = freeze_thaw_calendar(s, PeriodConfig(thaw_factor=0.6)).iloc[1:-1]
    assert (later["thaw_end"] > base["thaw_end"] + pd.Timedelta(days=10)).all()
    assert (later["thaw_start"] == base["thaw_start"]).all()
    fixed = freeze_thaw_calendar(s, PeriodConfig(thaw_days=30)).iloc[1:-1]
    assert ((fixed["thaw_end"] - fixed["thaw_start"]).dt.days == 30).all()
    dd = freeze_thaw_calendar(s, PeriodConfig(thaw_degree_days=100.0)).iloc[1:-1]
    assert ((dd["thaw_end"] - dd["thaw_start"]).dt.days < (base["thaw_end"] - base["thaw_start"]).dt.days).all()
    # a colder threshold shortens the freezing period
    cold = freeze_thaw_calendar(s, PeriodConfig(threshold=-5.0)).iloc[1:-1]
    assert (cold["freeze_start"] > base["freeze_start"]).all() and (cold["thaw_start"] < base["thaw_start"]).all()


def test_warm_winters_give_no_row():
    assert freeze_thaw_calendar(_sinus(mean=12.0, amp=10.0)).empty  # never below 0 degC
    s = _sinus()
    warm = (s.index >= "2011-07-01") & (s.index < "2012-07-01")
    s[warm] = s[warm] + 25.0                                          # one mild winter in the middle
    cal = freeze_thaw_calendar(s)
    assert 2011 not in set(cal["winter"])
    assert {2010, 2012} <= set(cal["winter"])


def test_short_cold_snaps_and_midwinter_thaws_do_not_move_the_dates():
    s = _sinus()
    base = freeze_thaw_calendar(s).set_index("winter")
    snap = s.copy()
    snap["2011-09-20":"2011-09-24"] = -8.0      # five frosty days in September
    snap["2012-01-20":"2012-01-24"] = 6.0       # five thawing days in January
    snap["2012-05-10":"2012-05-13"] = -3.0      # a late frost after the thawing start
    cal = freeze_thaw_calendar(snap).set_index("winter")
    assert cal.loc[2011, "freeze_start"] == base.loc[2011, "freeze_start"]
    assert cal.loc[2011, "thaw_start"] == base.loc[2011, "thaw_start"]
    assert len(cal) == len(base)
    # a cold spell longer than min_days in September does start the freezing period
    long = s.copy()
    long["2011-09-10":"2011-09-30"] = -8.0
    assert freeze_thaw_calendar(long).set_index("winter").loc[2011, "freeze_start"] <= pd.Timestamp("2011-09-12")


def test_labels_follow_the_calendar():
    s = _sinus()
    cal = freeze_thaw_calendar(s)
    lab = label_days(s.index, cal)
    assert set(lab.unique()) == set(vocabulary.PERIODS)
    assert vocabulary.PERIODS == ("freezing", "thawing", "unfrozen")
    row = cal[cal["winter"] == 2011].iloc[0]
    one = pd.Timedelta(days=1)
    assert lab[row["freeze_start"] - one] == "unfrozen"
    assert lab[row["freeze_start"]] == "freezing"
    assert lab[row["thaw_start"] - one] == "freezing"
    assert lab[row["thaw_start"]] == "thawing"
    assert lab[row["thaw_end"] - one] == "thawing"
    assert lab[row["thaw_end"]] == "unfrozen"
    assert lab[pd.Timestamp("2012-01-15")] == "freezing" and lab[pd.Timestamp("2012-07-15")] == "unfrozen"
    n_frz = int((lab == "freezing").sum())
    assert n_frz == sum((r.thaw_start - r.freeze_start).days for r in cal.itertuples() if r.thaw_start <= s.index[-1]) \
        + (s.index[-1] - cal["freeze_start"].iloc[-1]).days + 1
    assert (label_days(s.index, cal.iloc[:0]) == "unfrozen").all()
    text = cal.astype({c: str for c in periods.DATE_COLUMNS})   # an edited table with text dates
    assert (label_days(s.index, text) == lab).all()


def test_network_calendar_per_well_and_regional():
    s = _sinus()
    warm = s + 30.0
    forcing = pd.concat([
        pd.DataFrame({"id": "A", "date": s.index, "t": s.to_numpy()}),
        pd.DataFrame({"id": "B", "date": s.index, "t": warm.to_numpy()}),
    ])
    cal = periods.network_calendar(forcing, "t", "id", ["A", "B"])
    assert list(cal.columns) == ["well_id", "winter", "freeze_start", "thaw_start", "thaw_end"]
    assert set(cal["well_id"]) == {"A"}                      # B never freezes
    regional = periods.network_calendar(forcing[forcing["id"] == "A"], "t", None, ["W1", "W2"])
    assert set(regional["well_id"]) == {"W1", "W2"} and len(regional) == 2 * len(cal)
    validate_calendar(regional)
    with pytest.raises(InputError, match=r"`roles\.temp`"):
        periods.network_calendar(forcing, "air", "id", ["A"])
    with pytest.raises(InputError, match="well 'C'"):
        periods.network_calendar(forcing, "t", "id", ["A", "C"])


def _table():
    return pd.DataFrame({
        "well_id": ["SN01", "SN01", "SN02"],
        "winter": [2010, 2011, 2010],
        "freeze_start": ["2010-11-01", "2011-11-03", "2010-11-05"],
        "thaw_start": ["2011-04-01", "2012-03-28", "2011-04-02"],
        "thaw_end": ["2011-05-25", "2012-05-30", "2011-06-01"],
    })


def test_a_good_table_with_text_dates_passes():
    validate_calendar(_table())
    parsed = periods.parse_calendar(_table())
    assert pd.api.types.is_datetime64_any_dtype(parsed["thaw_end"])
    assert parsed["winter"].dtype == np.int64


@pytest.mark.parametrize("row, col, value, field", [
    (2, "thaw_start", "2010-10-01", "freeze_start"),      # thaw before freeze
    (1, "thaw_end", "2012-03-01", "thaw_end"),            # thaw end before thaw start
    (1, "freeze_start", "2011-05-01", "freeze_start"),    # winter 2011 starts before winter 2010 ends
])
def test_inverted_or_overlapping_tables_are_refused(row, col, value, field):
    t = _table()
    t.loc[row, col] = value
    with pytest.raises(InputError) as e:
        validate_calendar(t)
    msg = str(e.value)
    well = t.loc[row, "well_id"]
    assert f"well '{well}'" in msg and f"field '{field}'" in msg
    assert "winter 201" in msg
    assert "edit the `calendar` table" in msg
    assert e.value.well == well and e.value.field == field


def test_bad_dates_and_missing_columns_are_refused():
    t = _table()
    t.loc[0, "thaw_end"] = "late May"
    with pytest.raises(InputError, match="'late May' is not a date"):
        validate_calendar(t)
    with pytest.raises(InputError, match="thaw_end"):
        validate_calendar(_table().drop(columns=["thaw_end"]))
    with pytest.raises(InputError, match="window"):
        freeze_thaw_calendar(_sinus(), PeriodConfig(window=0))
