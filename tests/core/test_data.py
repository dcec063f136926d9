"""Validation of levels and forcing into one clean daily frame per well.

Every bad-input test checks that the message names the well (when it is a per-well problem), the field and
the fix. The last tests read the real Swiss and Seppe data (skipped when ../shared/data is absent).
"""
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from groundwater_lstm.core import InputError, Roles, WellInputError
from groundwater_lstm.core.inputs import tables as data
from groundwater_lstm.core.inputs.forcing import read_forcing
from groundwater_lstm.core.inputs.ids import normalise_ids
from groundwater_lstm.core.inputs.levels import read_levels
from groundwater_lstm.core.inputs.values import parse_dates, parse_numbers
from groundwater_lstm.core.inputs.wording import compress_dates

PT = Roles(precip="precip", temp="temp")
START = pd.Timestamp("2010-01-01")
DAYS = 1000
WARMUP = 365


def forcing_table(days=DAYS, start=START, seed=0, as_text=True):
    """One daily series: gamma precipitation (~880 mm/year) and seasonal temperature, as a CSV gives it."""
    dates = pd.date_range(start, periods=days, freq="D")
    rng = np.random.default_rng(seed)
    doy = dates.dayofyear.to_numpy()
    precip = rng.gamma(0.6, 4.0, days).round(2)
    temp = (8 + 10 * np.sin(2 * np.pi * (doy - 110) / 365.25) + rng.normal(0, 2, days)).round(2)
    if as_text:
        return pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "precip": precip.astype(str),
                             "temp": temp.astype(str)})
    return pd.DataFrame({"date": dates, "precip": precip, "temp": temp})


def level_rows(well, first=START + pd.Timedelta(days=400), last=START + pd.Timedelta(days=DAYS - 1), every=3):
    dates = pd.date_range(first, last, freq=f"{every}D")
    level = 100 + np.sin(np.arange(len(dates)) / 20.0)
    return pd.DataFrame({"well_id": well, "date": dates.strftime("%Y-%m-%d"), "level": level})


def levels_table(wells=("A", "B"), **kw):
    return pd.concat([level_rows(w, **kw) for w in wells], ignore_index=True)


def prepare(levels, forcing, wells=("A", "B"), **kw):
    logs = []
    kw.setdefault("warmup_days", WARMUP)
    kw.setdefault("min_obs", 50)
    kw.setdefault("log", logs.append)
    records, skipped = data.prepare_wells(levels, forcing, kw.pop("roles", PT), list(wells), **kw)
    return records, skipped, logs


def assert_names(message, well, field, fix_words):
    """The message names the well (or not, when None), the field and a fix containing ``fix_words``."""
    if well is not None:
        assert f"well '{well}'" in message, message
    assert f"field '{field}'" in message, message
    assert "Fix:" in message, message
    fix = message.split("Fix:", 1)[1]
    for w in fix_words:
        assert w in fix, message


# ------------------------------------------------------------------------------------------------ good input
def test_clean_frames_from_text_tables():
    levels, forcing = levels_table(), forcing_table()
    records, skipped, logs = prepare(levels, forcing)
    assert skipped == {} and list(records) == ["A", "B"]
    rec = records["A"]
    obs = level_rows("A")
    first, last = pd.Timestamp(obs.date.iloc[0]), pd.Timestamp(obs.date.iloc[-1])
    assert (rec.first_obs, rec.last_obs, rec.n_obs) == (first, last, len(obs))
    f = rec.frame
    assert f.index.name == "date" and isinstance(f.index, pd.DatetimeIndex)
    assert list(f.columns) == ["level", "precip", "temp"]
    assert f.index[0] == first - pd.Timedelta(days=WARMUP)
    assert f.index[-1] == START + pd.Timedelta(days=DAYS - 1)  # extended to the end of the forcing
    assert (np.diff(f.index.values).astype("timedelta64[D]").astype(int) == 1).all()
    assert f[["precip", "temp"]].notna().all().all()
    assert all(f[c].dtype == float for c in f.columns)
    # levels on observed days only, never interpolated
    assert f["level"].notna().sum() == len(obs)
    assert np.isnan(f.loc[first + pd.Timedelta(days=1), "level"])
    np.testing.assert_allclose(f.loc[pd.to_datetime(obs.date), "level"].to_numpy(), obs.level.to_numpy())
    np.testing.assert_allclose(f.loc[f.index[0], "precip"],
                               float(forcing.set_index("date").loc[_d(f.index[0]), "precip"]))
    assert rec.lat is None

    short, _, _ = prepare(levels, forcing, extend_to_forcing_end=False)
    assert short["A"].frame.index[-1] == last


def _d(ts):
    return pd.Timestamp(ts).strftime("%Y-%m-%d")


def test_mixed_date_formats_decimal_commas_and_int_ids():
    obs = level_rows(7)
    dates = pd.to_datetime(obs.date)
    raw = []
    for i, d in enumerate(dates):  # every accepted way of writing a date, mixed in one column
        raw.append([d.strftime("%Y-%m-%d"), d.strftime("%d.%m.%Y"), d.strftime("%Y/%m/%d"),
                    d.strftime("%Y-%m-%d 12:30:00"), d.strftime("%Y-%m-%dT08:00:00+01:00"), d.date(),
                    d.to_pydatetime().replace(hour=23)][i % 7])
    levels = pd.DataFrame({"ID": [7] * len(obs), "Datum": pd.Series(raw, dtype=object),
                           "Stand": [f"{v:.3f}".replace(".", ",") for v in obs.level]})
    forcing = forcing_table(as_text=False)
    forcing["precip"] = [f"{v:.2f}".replace(".", ",") for v in forcing.precip]  # decimal commas from a CSV
    records, skipped, _ = prepare(levels, forcing, wells=[7.0, " 7 "], level_fields=("ID", "Datum", "Stand"))
    assert skipped == {} and list(records) == ["7"]
    rec = records["7"]
    assert rec.well_id == "7" and rec.n_obs == len(obs)
    np.testing.assert_allclose(rec.frame.loc[dates, "level"].to_numpy(), obs.level.round(3).to_numpy())
    np.testing.assert_allclose(rec.frame["precip"].iloc[:5].to_numpy(),
                               forcing.set_index("date").loc[rec.frame.index[:5], "precip"]
                               .str.replace(",", ".").astype(float).to_numpy())


def test_helpers():
    assert compress_dates(list(pd.date_range("2012-03-01", "2012-03-09")) + [pd.Timestamp("2012-04-02")]) \
        == "2012-03-01..2012-03-09 (9 days), 2012-04-02"
    many = [pd.Timestamp("2012-01-01") + pd.Timedelta(days=3 * i) for i in range(8)]
    assert compress_dates(many, max_ranges=5).endswith("... and 3 more ranges (8 days in all)")
    assert normalise_ids([101, 101.0, " a ", None, float("nan"), "Zu\u0308rich", 1.5]).tolist() == \
        ["101", "101", "a", None, None, "Zürich", "1.5"]
    values, bad = parse_numbers(pd.Series(["1,5", "1.234,5", "1,234.5", " 2 ", "NA", "", "abc", None, 3, "inf"],
                                               dtype=object))
    np.testing.assert_allclose(values.to_numpy(), [1.5, 1234.5, 1234.5, 2, np.nan, np.nan, np.nan, np.nan, 3, np.nan])
    assert bad.tolist() == [False] * 6 + [True, False, False, True]
    parsed = parse_dates(pd.Series(["2010-01-31", "31.01.2010", "2010/01/31", "2010-01-31 23:59",
                                         dt.date(2010, 1, 31), "31/01/2010", "2010-02-30", None], dtype=object))
    assert parsed.iloc[:5].tolist() == [pd.Timestamp("2010-01-31")] * 5
    assert parsed.iloc[5:].isna().all()  # DD/MM/YYYY is ambiguous and refused; 30 February does not exist
    tz = pd.Series(pd.to_datetime(["2010-01-31 23:00"]).tz_localize("Europe/Zurich"))
    assert parse_dates(tz).tolist() == [pd.Timestamp("2010-01-31")]


# ------------------------------------------------------------------------------------------------- bad levels
def test_unparseable_dates_skip_the_well():
    levels = levels_table()
    b_rows = levels.index[levels.well_id == "B"]
    levels.loc[b_rows[3], "date"] = "yesterday"
    levels.loc[b_rows[10], "date"] = "2011-13-45"
    records, skipped, logs = prepare(levels, forcing_table())
    assert list(records) == ["A"] and list(skipped) == ["B"]
    msg = skipped["B"]
    assert_names(msg, "B", "date", ["2010-01-31"])
    assert "'yesterday'" in msg and "'2011-13-45'" in msg
    assert f"row {b_rows[3] + 1} " in msg  # the row as the user sees it (1 = first row)
    assert "YYYY-MM-DD" in msg and "DD.MM.YYYY" in msg and "YYYY/MM/DD" in msg
    assert any("'B'" in line and "yesterday" in line for line in logs)
    # every date unreadable: a table-wide error naming the field
    levels["date"] = "31/01/2010"
    with pytest.raises(InputError) as e:
        prepare(levels, forcing_table())
    assert_names(str(e.value), None, "date", ["dates"])


def test_non_numeric_levels_skip_the_well():
    levels = levels_table().astype({"level": object})
    a_rows = levels.index[levels.well_id == "A"]
    levels.loc[a_rows[5], "level"] = "dry"
    levels.loc[a_rows[6], "level"] = "<99.1"
    levels.loc[a_rows[7], "level"] = ""  # empty: an unobserved day, not an error
    records, skipped, _ = prepare(levels, forcing_table())
    assert list(records) == ["B"]
    msg = skipped["A"]
    assert_names(msg, "A", "level", ["numbers"])
    assert "'dry'" in msg and "'<99.1'" in msg and f"row {a_rows[5] + 1} " in msg and "2 levels are" in msg


def test_duplicate_days_are_not_averaged():
    levels = levels_table()
    a = levels[levels.well_id == "A"]
    extra = a.iloc[[4, 9]].copy()
    extra["level"] += 0.5
    levels = pd.concat([levels, extra, a.iloc[[9]]], ignore_index=True)
    records, skipped, _ = prepare(levels, forcing_table())
    assert list(records) == ["B"]
    msg = skipped["A"]
    assert_names(msg, "A", "date", ["daily means", "remove the duplicate"])
    assert "5 rows share 2 dates" in msg and "1 of them exact copies" in msg
    assert f"first on {a.date.iloc[4]}, {a.date.iloc[9]}" in msg


def test_too_few_observations():
    levels = pd.concat([level_rows("A"), level_rows("B").iloc[:12]], ignore_index=True)
    records, skipped, logs = prepare(levels, forcing_table(), min_obs=50)
    assert list(records) == ["A"]
    msg = skipped["B"]
    assert_names(msg, "B", "level", ["add observations (at least 50)"])
    assert "only 12 observed levels" in msg and "at least 50" in msg
    assert any(line.startswith("Skipped: well 'B'") for line in logs)


def test_level_ids_not_in_wells_and_wells_without_levels():
    levels = levels_table(wells=("A", "B", "X1", "X2"))
    records, skipped, logs = prepare(levels, forcing_table(), wells=("A", "B", "C"))
    assert list(records) == ["A", "B"]
    assert_names(skipped["C"], "C", "well_id", ["IDs match"])
    assert "no levels" in skipped["C"]
    assert any("'X1', 'X2'" in line and "ignored" in line for line in logs)
    with pytest.raises(InputError) as e:  # the wrong ID field: nothing matches
        prepare(levels, forcing_table(), wells=("101", "102"))
    assert_names(str(e.value), None, "well_id", ["same IDs"])
    assert "'101'" in str(e.value) and "'A'" in str(e.value)


def test_every_well_skipped_raises():
    levels = levels_table().astype({"level": object})
    levels.loc[[0, len(levels) - 1], "level"] = "n.a."
    with pytest.raises(InputError) as e:
        prepare(levels, forcing_table())
    msg = str(e.value)
    assert "all 2 were skipped" in msg and "well 'A', field 'level'" in msg and "well 'B', field 'level'" in msg


# ------------------------------------------------------------------------------------------------- bad forcing
def test_forcing_that_ends_before_the_levels():
    forcing = forcing_table().iloc[:900]  # ends 2012-06-18
    levels = pd.concat([level_rows("A"), level_rows("B", last=pd.Timestamp("2012-06-01"))], ignore_index=True)
    records, skipped, _ = prepare(levels, forcing)
    assert list(records) == ["B"] and records["B"].frame.index[-1] == pd.Timestamp("2012-06-18")
    msg = skipped["A"]
    last_obs = level_rows("A").date.iloc[-1]
    assert_names(msg, "A", "date", [f"extend the forcing to {last_obs}", "remove the levels after 2012-06-18"])
    first_needed = _d(pd.Timestamp(level_rows("A").date.iloc[0]) - pd.Timedelta(days=WARMUP))
    assert f"needed from {first_needed} to {last_obs}" in msg and "available 2010-01-01..2012-06-18" in msg


def test_forcing_starting_late_trims_the_record():
    forcing = forcing_table().iloc[200:].reset_index(drop=True)  # starts 2010-07-20
    levels = levels_table(wells=("A",), first=START)  # levels from 2010-01-01
    records, skipped, logs = prepare(levels, forcing, wells=("A",))
    rec = records["A"]
    earliest = pd.Timestamp("2010-07-20") + pd.Timedelta(days=WARMUP)
    assert earliest <= rec.first_obs < earliest + pd.Timedelta(days=3)
    assert rec.frame.index[0] == rec.first_obs - pd.Timedelta(days=WARMUP) >= pd.Timestamp("2010-07-20")
    all_obs = pd.to_datetime(levels.date)
    assert rec.n_obs == int((all_obs >= earliest).sum()) < len(levels)
    assert any("left out" in line and "'A'" in line for line in logs)
    # too few left after trimming: skipped, and the status says why
    with pytest.raises(InputError) as e:
        prepare(levels, forcing, wells=("A",), min_obs=250)
    assert_names(str(e.value), "A", "level", ["add observations (at least 250)", "look-back"])
    assert "after dropping" in str(e.value) and "at least 250" in str(e.value)
    # the forcing starts after the whole record
    with pytest.raises(InputError) as e:
        prepare(levels_table(wells=("A",), first=START, last=pd.Timestamp("2010-12-31")), forcing, wells=("A",),
                min_obs=10)
    assert_names(str(e.value), "A", "date", ["extend the forcing back to"])


def test_forcing_gaps_name_the_dates():
    forcing = forcing_table()
    forcing.loc[700:708, "precip"] = ""  # 9 days without precipitation: 2011-12-02..2011-12-10
    forcing = forcing.drop(index=[750, 751])  # two missing rows: 2012-01-21, 2012-01-22
    forcing.loc[990, "temp"] = None  # 2012-09-17, after B's last level
    levels = pd.concat([level_rows("A"),
                        level_rows("B", first=pd.Timestamp("2012-02-25"), last=pd.Timestamp("2012-09-10"), every=1)],
                       ignore_index=True)
    records, skipped, logs = prepare(levels, forcing, warmup_days=30)
    assert list(records) == ["B"]
    msg = skipped["A"]
    assert_names(msg, "A", "date, precip, temp", ["fill these forcing gaps"])
    assert "no forcing row on 2012-01-21..2012-01-22 (2 days)" in msg
    assert "no precipitation value on 2011-12-02..2011-12-10 (9 days)" in msg
    assert "no air temperature value on 2012-09-17" in msg
    # B starts after the gaps, warm-up included; the gap after its record only shortens the frame
    f = records["B"].frame
    assert f.index[0] == pd.Timestamp("2012-01-26") and f.index[-1] == pd.Timestamp("2012-09-16")
    assert f[["precip", "temp"]].notna().all().all()
    assert any("ends on 2012-09-16" in line for line in logs)


def test_forcing_units_are_checked():
    levels = levels_table()
    forcing = forcing_table(as_text=False)
    m_per_day = forcing.assign(precip=forcing.precip / 1000)
    with pytest.raises(InputError) as e:
        prepare(levels, m_per_day)
    assert_names(str(e.value), None, "precip", ["multiply by 1000", "mm/day"])
    assert "mm/year" in str(e.value)
    negative = forcing.copy()
    negative.loc[[20, 30], "precip"] = [-1.0, -3.5]
    with pytest.raises(InputError) as e:
        prepare(levels, negative)
    assert_names(str(e.value), None, "precip", ["cannot be negative"])
    assert "2 negative" in str(e.value) and "-3.5" in str(e.value) and "2010-01-21" in str(e.value)
    huge = forcing.assign(precip=forcing.precip * 100)
    with pytest.raises(InputError) as e:
        prepare(levels, huge)
    assert_names(str(e.value), None, "precip", ["mm/day"])
    assert "over 10000 mm/year" in str(e.value)
    kelvin = forcing.assign(temp=forcing.temp + 273.15)
    with pytest.raises(InputError) as e:
        prepare(levels, kelvin)
    assert_names(str(e.value), None, "temp", ["subtract 273.15"])
    assert "kelvin" in str(e.value)
    pet = forcing.assign(evap=np.clip(2 + np.sin(np.arange(len(forcing)) / 58.0), 0, None) / 1000)
    with pytest.raises(InputError) as e:
        prepare(levels, pet, roles=Roles(precip="precip", temp="temp", pet="evap"))
    assert_names(str(e.value), None, "evap", ["multiply by 1000"])
    assert "potential evaporation" in str(e.value)
    text = forcing.astype({"temp": object})
    text.loc[3, "temp"] = "missing!"
    with pytest.raises(InputError) as e:
        prepare(levels, text)
    assert_names(str(e.value), None, "temp", ["numbers"])
    assert "row 4 ('missing!')" in str(e.value)


def test_per_well_forcing_with_an_id_column():
    base = forcing_table(as_text=False)
    parts = []
    for fid, scale in ((1, 1.0), (2, 0.001), (3, 1.0)):  # well 2's rain is in m/day
        part = base.assign(station=fid, precip=base.precip * scale)
        parts.append(part)
    forcing = pd.concat(parts, ignore_index=True)
    levels = levels_table(wells=("1", "2", "4"))
    records, skipped, logs = prepare(levels, forcing, wells=("1", "2", "4"), forcing_id_col="station")
    assert list(records) == ["1"]
    assert_names(skipped["2"], "2", "precip", ["multiply by 1000"])
    assert_names(skipped["4"], "4", "station", ["forcing IDs match"])
    assert any("'3'" in line and "ignored" in line for line in logs)
    np.testing.assert_allclose(records["1"].frame["precip"].to_numpy(),
                               base.set_index("date").loc[records["1"].frame.index, "precip"].to_numpy())
    # per-well duplicates concern that well only
    dup = pd.concat([forcing, forcing[forcing.station == 3].iloc[[5]]], ignore_index=True)
    levels3 = levels_table(wells=("1", "3"))
    records, skipped, _ = prepare(levels3, dup, wells=("1", "3"), forcing_id_col="station")
    assert list(records) == ["1"]
    assert_names(skipped["3"], "3", "date", ["one forcing row per well and day"])


def test_one_series_with_repeated_dates_hints_at_the_id_field():
    forcing = pd.concat([forcing_table(), forcing_table()], ignore_index=True)
    with pytest.raises(InputError) as e:
        prepare(levels_table(), forcing)
    assert_names(str(e.value), None, "date", ["well-ID field"])
    assert "1000 dates appear more than once" in str(e.value)


def test_empty_tables_and_missing_columns():
    levels, forcing = levels_table(), forcing_table()
    with pytest.raises(InputError) as e:
        prepare(levels.iloc[:0], forcing)
    assert "levels table is empty" in str(e.value) and "Fix:" in str(e.value)
    with pytest.raises(InputError) as e:
        prepare(levels, forcing.iloc[:0])
    assert "forcing table is empty" in str(e.value)
    with pytest.raises(InputError) as e:
        prepare(levels.rename(columns={"level": "Level"}), forcing)
    msg = str(e.value)
    assert_names(msg, None, "level", ["water level"])
    assert "did you mean 'Level'" in msg and "'well_id', 'date', 'Level'" in msg
    with pytest.raises(InputError) as e:
        prepare(levels, forcing, roles=Roles(precip="precip", temp="tmean"))
    assert_names(str(e.value), None, "tmean", ["air temperature"])
    assert "'date', 'precip', 'temp'" in str(e.value)
    with pytest.raises(InputError, match="wells layer is empty"):
        prepare(levels, forcing, wells=[])
    with pytest.raises(InputError) as e:
        prepare(levels.assign(level=None), forcing)
    assert_names(str(e.value), None, "level", ["water levels"])


def test_latitudes():
    levels, forcing = levels_table(), forcing_table()
    records, skipped, _ = prepare(levels, forcing, latitudes={"A": 46.5, "B": float("nan")})
    # B has no location and its evaporation would come from temperature at a guessed latitude: skipped, said why
    assert records["A"].lat == 46.5 and "B" not in records
    assert_names(skipped["B"], "B", "geometry", ["`roles.pet`"])
    records, _, _ = prepare(levels, forcing)  # no coordinates at all (a notebook call): the default latitude
    assert records["B"].lat is None
    records, skipped, _ = prepare(levels, forcing, latitudes={"A": 1281190.0, "B": 46.6})  # LV95, not degrees
    assert list(records) == ["B"]
    assert_names(skipped["A"], "A", "latitude", ["EPSG:4326"])
    # not needed when potential evaporation is given: ignored with a log line
    with_pet = forcing.assign(pet="1.5")
    records, skipped, logs = prepare(levels, with_pet, latitudes={"A": 1281190.0},
                                     roles=Roles(precip="precip", temp="temp", pet="pet"))
    assert records["A"].lat is None and skipped == {}
    assert any("not in degrees" in line for line in logs)


def test_forcing_only_for_simulation():
    forcing = forcing_table().iloc[:500]
    records, skipped = data.prepare_forcing_only(forcing, PT, ["A", "B"], warmup_days=WARMUP)
    assert skipped == {}
    rec = records["A"]
    assert rec.frame["level"].isna().all() and rec.n_obs == 0 and pd.isna(rec.first_obs)
    assert rec.frame.index[0] == START and len(rec.frame) == 500
    # with levels to compare: only those inside the forcing are kept
    levels = levels_table()
    logs = []
    records, skipped = data.prepare_forcing_only(forcing, PT, ["A"], warmup_days=WARMUP, levels=levels,
                                                 log=logs.append)
    inside = pd.to_datetime(level_rows("A").date) <= START + pd.Timedelta(days=499)
    assert records["A"].n_obs == int(inside.sum()) > 0
    assert any("not compared" in line for line in logs)
    # too short for the warm-up
    with pytest.raises(InputError) as e:
        data.prepare_forcing_only(forcing.iloc[:200], PT, ["A"], warmup_days=WARMUP)
    assert_names(str(e.value), "A", "date", ["at least 366 days"])
    holed = forcing.copy()
    holed.loc[420:421, "temp"] = ""
    with pytest.raises(InputError) as e:
        data.prepare_forcing_only(holed, PT, ["A"], warmup_days=WARMUP)
    assert "2011-02-25..2011-02-26 (2 days)" in str(e.value)
    assert_names(str(e.value), "A", "temp", ["fill these forcing gaps"])


def test_public_readers():
    levels = levels_table().astype({"level": object})
    levels.loc[0, "level"] = "oops"
    with pytest.raises(WellInputError) as e:
        read_levels(levels)
    assert e.value.well == "A" and e.value.field == "level"
    skipped = {}
    frame = read_levels(levels, skipped=skipped)
    assert list(skipped) == ["A"] and set(frame.well_id) == {"B"}
    assert list(frame.columns) == ["well_id", "date", "level"]
    assert frame["date"].dtype == "datetime64[ns]" and frame["level"].dtype == float
    fc = read_forcing(forcing_table(), Roles(precip="precip", temp="temp"))
    assert list(fc.columns) == ["date", "precip", "temp"] and fc["precip"].dtype == float
    fc = read_forcing(forcing_table().rename(columns={"precip": "RR"}), Roles(precip="RR"))
    assert list(fc.columns) == ["date", "precip"]


# ------------------------------------------------------------------------------------------------- real data
def _wide_to_long(path, wells, value):
    wide = pd.read_csv(path, index_col=0, encoding="utf-8")
    long = wide[list(wells)].rename_axis("date").reset_index().melt(id_vars="date", var_name="well_id",
                                                                     value_name=value)
    return long


def test_real_swiss_wells(shared_data):
    folder = shared_data / "swiss_collenteur2023"
    wells = ["Davos", "Zürich", "Crêtelongue"]
    levels = _wide_to_long(folder / "heads.csv", wells, "head")  # dates as text, as a CSV layer gives them
    precip = _wide_to_long(folder / "precipitation.csv", wells, "prec")
    temp = _wide_to_long(folder / "temperature.csv", wells, "tmean")
    forcing = precip.merge(temp, on=["date", "well_id"]).rename(columns={"well_id": "name"})
    meta = pd.read_csv(folder / "metadata_heads.csv", index_col=0, encoding="utf-8")
    logs = []
    records, skipped = data.prepare_wells(
        levels, forcing, Roles(precip="prec", temp="tmean"), wells + ["Nowhere"], warmup_days=365,
        level_fields=("well_id", "date", "head"), forcing_id_col="name",
        latitudes=meta["lat"].to_dict(), log=logs.append)
    assert list(records) == wells  # accents kept, nothing mangled
    assert list(skipped) == ["Nowhere"]
    heads = pd.read_csv(folder / "heads.csv", index_col=0, parse_dates=True, encoding="utf-8")
    ptable = pd.read_csv(folder / "precipitation.csv", index_col=0, parse_dates=True, encoding="utf-8")
    for w in wells:
        rec = records[w]
        assert rec.lat == pytest.approx(meta.loc[w, "lat"])
        # the forcing starts on 1990-01-01 like the heads: the first year of levels makes the warm-up
        observed = heads[w].dropna()
        kept = observed[observed.index >= pd.Timestamp("1991-01-01")]
        assert rec.first_obs == kept.index[0] and rec.last_obs == kept.index[-1] == pd.Timestamp("2020-12-31")
        assert rec.n_obs == len(kept)
        assert rec.frame.index[-1] == pd.Timestamp("2021-07-31")
        np.testing.assert_allclose(rec.frame.loc[kept.index, "level"].to_numpy(), kept.to_numpy())
        np.testing.assert_allclose(rec.frame["precip"].to_numpy(), ptable.loc[rec.frame.index, w].to_numpy())
        assert rec.frame[["precip", "temp"]].notna().all().all()
    assert records["Davos"].frame["temp"].mean() < 4 < records["Zürich"].frame["temp"].mean()
    assert any("left out" in line and "'Davos'" in line for line in logs)


def test_real_seppe_rain_in_metres_is_refused(shared_data):
    folder = shared_data / "pastas_seppe_network"
    heads = pd.read_csv(folder / "heads_daily_mean.csv", index_col=0, encoding="utf-8")
    levels = heads[["B49F0232_1", "B49F0232_2"]].rename_axis("date").reset_index().melt(
        id_vars="date", var_name="well_id", value_name="level")
    rain = pd.read_csv(folder / "rain.csv", encoding="utf-8")  # date, Oudenbosch (m/day)
    with pytest.raises(InputError) as e:
        data.prepare_wells(levels, rain, Roles(precip="Oudenbosch"), ["B49F0232_1", "B49F0232_2"], warmup_days=365)
    msg = str(e.value)
    assert_names(msg, None, "Oudenbosch", ["multiply by 1000"])
    assert "metres per day" in msg and "all wells" in msg
    # and in mm/day it goes through
    rain["Oudenbosch"] *= 1000
    records, skipped = data.prepare_wells(levels, rain, Roles(precip="Oudenbosch"), ["B49F0232_1", "B49F0232_2"],
                                          warmup_days=365)
    assert set(records) == {"B49F0232_1", "B49F0232_2"}


def test_progress_and_cancel():
    from groundwater_lstm.core import Canceled

    seen = []
    data.prepare_wells(levels_table(), forcing_table(), PT, ["A", "B"], warmup_days=WARMUP, min_obs=50,
                       progress=lambda f, m: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and len(seen) == 3
    with pytest.raises(Canceled):
        data.prepare_wells(levels_table(), forcing_table(), PT, ["A", "B"], warmup_days=WARMUP, min_obs=50,
                           is_canceled=lambda: True)
