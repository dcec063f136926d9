"""core.inputs.gridded: time axes from NetCDF metadata, unit presets, deaccumulation, daily aggregation, point weights."""
import numpy as np
import pandas as pd
import pytest

from groundwater_lstm.core.inputs import gridded as g
from groundwater_lstm.core.errors import InputError


# -- time units and metadata --------------------------------------------------------------------------------------
@pytest.mark.parametrize("units,cal,seconds,ref", [
    ("hours since 1900-01-01 00:00:00.0", "gregorian", 3600, "1900-01-01T00:00:00"),
    ("days since 1970-1-1", None, 86400, "1970-01-01T00:00:00"),
    ("seconds since 1970-01-01T00:00:00Z", "proleptic_gregorian", 1, "1970-01-01T00:00:00"),
    ("minutes since 2000-01-01 06:30", "standard", 60, "2000-01-01T06:30:00"),
    ("hours since 2000-01-01 00:00:00 +08:00", None, 3600, "1999-12-31T16:00:00"),
    ("Hours Since 1979-01-01 00:00:0.0", "Gregorian", 3600, "1979-01-01T00:00:00"),
])
def test_parse_time_units(units, cal, seconds, ref):
    s, r = g.parse_time_units(units, cal)
    assert s == seconds
    assert r == np.datetime64(ref, "s")


@pytest.mark.parametrize("units,cal,word", [
    ("months since 2000-01-01", None, "months"),
    ("hours after 2000-01-01", None, "<unit> since <date>"),
    ("hours since yesterday", None, "cannot be read"),
    ("hours since 2000-13-01", None, "not a valid date"),
    ("days since 2000-01-01", "noleap", "noleap"),
    ("days since 2000-01-01", "360_day", "360_day"),
    ("hours since 1-1-1 00:00:0.0", "standard", "1582"),
])
def test_bad_time_units_are_refused_with_the_fix(units, cal, word):
    with pytest.raises(InputError) as e:
        g.parse_time_units(units, cal)
    assert word in str(e.value) and "Fix:" in str(e.value)


def test_times_from_values_exact():
    # 2000-01-01 is 36524 days after 1900-01-01
    t = g.times_from_values([876576, 876577.0, 876600], "hours since 1900-01-01 00:00:00.0", "gregorian")
    assert list(t) == [pd.Timestamp("2000-01-01 00:00"), pd.Timestamp("2000-01-01 01:00"),
                       pd.Timestamp("2000-01-02 00:00")]
    t = g.times_from_values([0.5, 1.0], "days since 2000-01-01")  # fractional days to the second
    assert list(t) == [pd.Timestamp("2000-01-01 12:00"), pd.Timestamp("2000-01-02")]
    # a reference before pandas' range is fine with the proleptic calendar
    t = g.times_from_values([730119 * 24], "hours since 0001-01-01 00:00:0.0", "proleptic_gregorian")
    assert t[0] == pd.Timestamp("2000-01-01")
    with pytest.raises(InputError, match="1678-2261"):
        g.times_from_values([1e12], "seconds since 2000-01-01")


def test_times_from_start():
    t = g.times_from_start("2001-03-01", 3, 4)
    assert list(t.hour) == [0, 3, 6, 9]
    with pytest.raises(InputError, match="`step_hours`"):
        g.times_from_start("2001-03-01", 0, 4)


def _nc_md(dim="time", units="hours since 1900-01-01 00:00:00.0", values=(876576, 876577, 876578), extra=None):
    ds = {"NETCDF_DIM_EXTRA": "{" + ",".join([dim] + list(extra or [])) + "}", f"{dim}#units": units,
          f"{dim}#calendar": "gregorian", "NC_GLOBAL#Conventions": "CF-1.6"}
    bands = [{f"NETCDF_DIM_{dim}": str(v), "NETCDF_VARNAME": "tp", "units": "m"} for v in values]
    return ds, bands


def test_times_from_netcdf_metadata():
    ds, bands = _nc_md()
    t, how = g.times_from_metadata(ds, bands, name="tp")
    assert list(t) == list(pd.date_range("2000-01-01", periods=3, freq="h"))
    assert "time" in how and "hours since" in how
    # the new CDS: valid_time in seconds since 1970
    ds, bands = _nc_md("valid_time", "seconds since 1970-01-01", [946684800, 946688400])
    t, _ = g.times_from_metadata(ds, bands)
    assert list(t) == [pd.Timestamp("2000-01-01 00:00"), pd.Timestamp("2000-01-01 01:00")]
    # a GeoTIFF made by gdal_translate keeps the band keys but may lose NETCDF_DIM_EXTRA
    ds, bands = _nc_md()
    del ds["NETCDF_DIM_EXTRA"]
    t, _ = g.times_from_metadata(ds, bands)
    assert t[0] == pd.Timestamp("2000-01-01")


def test_second_dimension_with_several_values_is_refused():
    ds, bands = _nc_md(extra=["number"])
    for i, b in enumerate(bands):
        b["NETCDF_DIM_number"] = str(i % 2)
    with pytest.raises(InputError, match="'number' with 2 values"):
        g.times_from_metadata(ds, bands, name="ens")
    for b in bands:
        b["NETCDF_DIM_number"] = "0"  # one ensemble member: fine
    assert len(g.times_from_metadata(ds, bands)[0]) == 3


def test_times_from_grib_and_band_names_and_none():
    t, how = g.times_from_metadata({}, [{"GRIB_VALID_TIME": "946684800"}, {"GRIB_VALID_TIME": "  946771200 sec UTC"}])
    assert list(t) == [pd.Timestamp("2000-01-01"), pd.Timestamp("2000-01-02")] and "GRIB" in how
    t, how = g.times_from_metadata({}, [{}, {}], ["2000-01-01", "20000102T06"])
    assert list(t) == [pd.Timestamp("2000-01-01"), pd.Timestamp("2000-01-02 06:00")] and "band names" in how
    assert g.times_from_metadata({}, [{}, {}], ["Band 1", "Band 2"]) is None
    assert g.times_from_metadata({"AREA_OR_POINT": "Area"}, [{}, {}]) is None


# -- time axis checks -----------------------------------------------------------------------------------------------
def test_time_axis_step_and_gaps():
    t = pd.DatetimeIndex(list(pd.date_range("2000-01-01", periods=10, freq="3h")) + [pd.Timestamp("2000-01-03")])
    a = g.time_axis(t, "prec")
    assert a.step == pd.Timedelta(hours=3) and a.step_hours == 3
    assert a.gaps == [(pd.Timestamp("2000-01-02 03:00"), pd.Timestamp("2000-01-03"))]
    assert "11 bands" in a.describe() and "3 h" in a.describe()


@pytest.mark.parametrize("times,word", [
    (["2000-01-01", "2000-01-01", "2000-01-02"], "repeats"),
    (["2000-01-02", "2000-01-01"], "backwards"),
    (["2000-01-01 00:00", "2000-01-01 05:00", "2000-01-01 10:00"], "does not divide a day"),
    (["2000-01-01", "2000-01-03", "2000-01-05"], "daily or finer"),
    (["2000-01-01 00:00", "2000-01-01 02:00", "2000-01-01 05:00"], "irregular"),
    (["2000-01-01"], "single band"),
])
def test_bad_time_axes_are_refused(times, word):
    with pytest.raises(InputError, match=word):
        g.time_axis(pd.DatetimeIndex(times), "x")


def test_same_axes_names_both_rasters_with_counts_and_spans():
    a = g.time_axis(pd.date_range("2000-01-01", periods=365, freq="D"))
    b = g.time_axis(pd.date_range("2000-01-01", periods=366, freq="D"))
    g.same_axes({"p": a, "t": a})
    with pytest.raises(InputError) as e:
        g.same_axes({"precipitation raster 'p'": a, "temperature raster 't'": b})
    msg = str(e.value)
    assert "'p'" in msg and "'t'" in msg and "365 bands" in msg and "366 bands" in msg
    assert "2000-12-30" in msg and "2000-12-31" in msg


# -- deaccumulation, units and days ---------------------------------------------------------------------------------
def _era5_land_accumulated(hourly_m, times):
    """ERA5-Land convention: value at t = accumulation since 00 UTC of the day in which the hour (t-1h, t] lies."""
    acc = np.zeros_like(hourly_m)
    run = 0.0
    for i, t in enumerate(times):
        if (t - pd.Timedelta(hours=1)).hour == 0:  # the hour starting 00 UTC restarts the accumulation
            run = 0.0
        run += hourly_m[i]
        acc[i] = run
    return acc


def test_deaccumulate_era5_land_hourly():
    times = pd.date_range("2000-01-01 00:00", "2000-01-04 00:00", freq="h")
    rng = np.random.default_rng(0)
    hourly = rng.gamma(0.3, 0.0004, len(times))
    acc = _era5_land_accumulated(hourly, times)
    amounts = g.deaccumulate(acc[:, None], times, pd.Timedelta(hours=1))[:, 0]
    assert np.isnan(amounts[0])  # 00 UTC of the first day: the previous hour is unknown
    np.testing.assert_allclose(amounts[1:], hourly[1:], rtol=0, atol=1e-15)
    with pytest.raises(InputError, match="00 UTC"):
        g.deaccumulate(acc[:, None], times + pd.Timedelta(minutes=30), pd.Timedelta(hours=1))


def test_era5_land_precip_to_daily_totals():
    times = pd.date_range("2000-01-01 00:00", "2000-01-03 23:00", freq="h")  # as downloaded: 00..23 each day
    hourly = np.zeros(len(times))
    # day 1 (2000-01-01): 1 mm in the hour 00-01 and 2 mm in 23-24 (stamped 2000-01-02 00:00); day 2: 5 mm at 12-13
    hourly[1] = 0.001
    hourly[24] = 0.002
    hourly[24 + 13] = 0.005
    acc = _era5_land_accumulated(hourly, times)
    axis = g.time_axis(times)
    conv = g.conversion("precip", g.ERA5_LAND)
    daily, warns = g.daily_series(acc, axis, conv)
    assert warns == []
    # 2000-01-03 lacks its 00 UTC closing value on 2000-01-04; 1999-12-31 holds only the 00 UTC value
    assert list(daily.days) == [pd.Timestamp("2000-01-01"), pd.Timestamp("2000-01-02")]
    np.testing.assert_allclose(daily.values[:, 0], [3.0, 5.0], rtol=0, atol=1e-12)
    assert pd.Timestamp("1999-12-31") in daily.dropped and pd.Timestamp("2000-01-03") in daily.dropped


def test_era5_land_24h_totals_and_temperature_and_pet():
    times = pd.date_range("2000-01-02", periods=3, freq="D")  # 00 UTC values = totals of the previous day
    axis = g.time_axis(times)
    daily, _ = g.daily_series(np.array([0.001, 0.0, 0.0125]), axis, g.conversion("precip", g.ERA5_LAND))
    assert list(daily.days) == list(pd.date_range("2000-01-01", periods=3, freq="D"))
    np.testing.assert_allclose(daily.values[:, 0], [1.0, 0.0, 12.5], atol=1e-12)
    # start-of-interval override: totals stamped with their own day
    daily, _ = g.daily_series(np.array([0.001, 0.0, 0.0125]), axis, g.conversion("precip", g.ERA5_LAND, "start"))
    assert daily.days[0] == pd.Timestamp("2000-01-02")
    # t2m hourly in K -> daily mean degC over 00..23
    ht = pd.date_range("2000-01-01", "2000-01-02 23:00", freq="h")
    k = 273.15 + np.r_[np.arange(24.0), np.full(24, -5.0)]
    daily, _ = g.daily_series(k, g.time_axis(ht), g.conversion("temp", g.ERA5_LAND))
    np.testing.assert_allclose(daily.values[:, 0], [11.5, -5.0], atol=1e-12)
    # pev: negative = evaporation; daily PET = -sum * 1000, condensation days clipped to 0
    hourly = np.zeros(len(ht))
    hourly[1:25] = -0.0001      # day 1: 24 h of 0.1 mm evaporation = 2.4 mm
    hourly[25:49 - 1] = 0.00005  # day 2: net condensation
    acc = _era5_land_accumulated(hourly, ht)
    times2 = ht.append(pd.DatetimeIndex([pd.Timestamp("2000-01-03")]))
    acc2 = np.r_[acc, acc[-1] + 0.0]
    daily, _ = g.daily_series(acc2, g.time_axis(times2), g.conversion("pet", g.ERA5_LAND))
    np.testing.assert_allclose(daily.values[:, 0], [2.4, 0.0], atol=1e-12)


def test_not_accumulated_precip_is_refused_for_era5_land():
    times = pd.date_range("2000-01-01", periods=72, freq="h")
    hourly = np.tile(np.r_[np.zeros(11), 0.002, 0.0, 0.001, np.zeros(10)], 3)  # ERA5 hourly amounts, not ERA5-Land
    with pytest.raises(InputError, match="accumulated") as e:
        g.daily_series(hourly, g.time_axis(times), g.conversion("precip", g.ERA5_LAND))
    assert g.ERA5 in str(e.value)
    daily, _ = g.daily_series(hourly, g.time_axis(times), g.conversion("precip", g.ERA5))
    # hour amounts stamped at the hour's end: the 00 UTC amount of day 1 belongs to 1999-12-31 (dropped)
    np.testing.assert_allclose(daily.values[:, 0], [3.0, 3.0], atol=1e-12)


def test_cmfd_three_hourly_rates():
    times = pd.date_range("2000-01-01 03:00", periods=16, freq="3h")  # 03..00: two complete days
    rate = np.zeros(16)
    rate[0] = 1.0      # 1 mm/hr over 00-03 on day 1 = 3 mm
    rate[7] = 2.0      # stamped 2000-01-02 00:00: the 3 hours 21-24 of day 1 = 6 mm
    rate[8] = 0.5      # 03:00 of day 2: 1.5 mm
    daily, _ = g.daily_series(rate, g.time_axis(times), g.conversion("precip", g.CMFD))
    assert list(daily.days) == [pd.Timestamp("2000-01-01"), pd.Timestamp("2000-01-02")]
    np.testing.assert_allclose(daily.values[:, 0], [9.0, 1.5], atol=1e-12)
    k = np.full(16, 273.15 + 2.0)
    daily, _ = g.daily_series(k, g.time_axis(times), g.conversion("temp", g.CMFD))
    # instantaneous temperature: 2000-01-01 lacks its 00:00 step -> dropped; 2000-01-02 complete; 01-03 partial
    assert list(daily.days) == [pd.Timestamp("2000-01-02")]
    np.testing.assert_allclose(daily.values[:, 0], [2.0], atol=1e-12)


def test_native_daily_and_utc_offset():
    times = pd.date_range("2000-01-01", periods=4, freq="D")
    v = np.array([[1.0, 10.0], [2.0, 20.0], [np.nan, 30.0], [4.0, 40.0]])
    daily, _ = g.daily_series(v, g.time_axis(times), g.conversion("precip", g.NATIVE))
    assert list(daily.days) == list(times)
    np.testing.assert_array_equal(daily.values, v)
    # hourly rates in mm/day with a +8 h local day: 16:00 UTC starts the local day
    ht = pd.date_range("2000-01-01 16:00", periods=48, freq="h")
    r = np.r_[np.full(24, 2.0), np.full(24, 4.0)]
    daily, _ = g.daily_series(r, g.time_axis(ht), g.conversion("precip", g.NATIVE), utc_offset_hours=8)
    assert list(daily.days) == [pd.Timestamp("2000-01-02"), pd.Timestamp("2000-01-03")]
    np.testing.assert_allclose(daily.values[:, 0], [2.0, 4.0])


def test_to_daily_incomplete_inside_and_nan_steps():
    times = pd.DatetimeIndex(list(pd.date_range("2000-01-01", periods=24, freq="6h")))  # 6 days
    times = times.delete([9, 12, 13, 14, 15])  # a step of day 3 missing; all of day 4 missing
    v = np.ones(len(times))
    v[0] = np.nan  # day 1 has a missing value
    d = g.to_daily(v, times, pd.Timedelta(hours=6), label="start", how="mean")
    assert list(d.days) == list(pd.date_range("2000-01-01", periods=6, freq="D"))
    np.testing.assert_array_equal(d.values[:, 0], [np.nan, 1, np.nan, np.nan, 1, 1])
    assert d.incomplete == [pd.Timestamp("2000-01-03"), pd.Timestamp("2000-01-04")]
    assert g.to_daily(v[:3], times[:3], pd.Timedelta(hours=6)).days.size == 0


def test_units_check_and_plausibility():
    assert g.unit_mismatch(g.conversion("temp", g.ERA5_LAND), "K") is None
    assert "degC" in g.unit_mismatch(g.conversion("temp", g.NATIVE), "K") or \
        "K" in g.unit_mismatch(g.conversion("temp", g.NATIVE), "K")
    assert g.unit_mismatch(g.conversion("precip", g.CMFD), "mm hr-1") is None
    assert g.unit_mismatch(g.conversion("precip", g.NATIVE), None) is None
    assert any("kelvin" in w for w in g.plausibility("temp", np.full(30, 280.0), g.NATIVE))
    assert any("metres" in w for w in g.plausibility("precip", np.full(400, 0.002), g.NATIVE))
    assert any("far too high" in w for w in g.plausibility("precip", np.full(30, 5000.0)))
    assert g.plausibility("temp", np.linspace(-30, 30, 365)) == []
    assert g.plausibility("precip", np.r_[np.zeros(300), np.full(65, 12.0)]) == []


def test_other_drivers_mean_or_sum():
    times = pd.date_range("2000-01-01", periods=8, freq="6h")
    v = np.arange(8.0)
    d, _ = g.daily_series(v, g.time_axis(times), g.conversion("other", g.ERA5_LAND, other_how="mean"))
    np.testing.assert_allclose(d.values[:, 0], [1.5, 5.5])
    d, _ = g.daily_series(v, g.time_axis(times), g.conversion("other", g.ERA5_LAND, other_how="sum"))
    np.testing.assert_allclose(d.values[:, 0], [6.0, 22.0])


# -- sampling -------------------------------------------------------------------------------------------------------
GT = (100.0, 0.5, 0.0, 50.0, 0.0, -0.5)  # 0.5 degree cells, north-up, origin 100E 50N


def _linear_field(a=3.0, b=-2.0, c=7.0, ny=6, nx=8):
    """Values a*x + b*y + c at cell centres."""
    xs = GT[0] + GT[1] * (np.arange(nx) + 0.5)
    ys = GT[3] + GT[5] * (np.arange(ny) + 0.5)
    return a * xs[None, :] + b * ys[:, None] + c


def test_bilinear_is_exact_on_a_linear_field_and_nearest_takes_the_cell():
    field = _linear_field()
    stack = np.stack([field, 2 * field])
    for x, y in ((101.1, 48.3), (102.76, 47.9), (100.75, 49.75), (103.2, 48.0)):
        w = g.point_weights(GT, 8, 6, x, y, "bilinear")
        assert abs(sum(w.weights) - 1) < 1e-12
        got = g.sample(stack, w.rows, w.cols, w.weights)
        np.testing.assert_allclose(got, [3 * x - 2 * y + 7, 2 * (3 * x - 2 * y + 7)], rtol=0, atol=1e-12)
    w = g.point_weights(GT, 8, 6, 101.1, 48.3, "nearest")
    assert (w.rows, w.cols, w.weights) == ((3,), (2,), (1.0,))
    assert g.sample(stack, w.rows, w.cols, w.weights)[0] == field[3, 2]
    # on a cell centre bilinear takes that one cell
    w = g.point_weights(GT, 8, 6, 100.75, 49.75, "bilinear")
    assert w.rows == (0,) and w.cols == (1,)


def test_edges_outside_and_invalid_neighbours():
    # between the grid's edge and the outermost cell centres bilinear is clamped to the edge cells
    w = g.point_weights(GT, 8, 6, 100.1, 49.9, "bilinear")
    assert (w.rows, w.cols, w.weights) == ((0,), (0,), (1.0,))
    assert g.point_weights(GT, 8, 6, 99.9, 49.0) is None
    assert g.point_weights(GT, 8, 6, 101.0, 50.01) is None
    assert g.point_weights(GT, 8, 6, 104.0, 47.0, "nearest") == g.PointWeights((5,), (7,), (1.0,))
    with pytest.raises(InputError, match="rotated"):
        g.point_weights((0, 1, 0.1, 0, 0, -1), 4, 4, 1, -1)
    # an invalid neighbour is left out and the weights of the valid ones renormalised
    vals = np.array([[[1.0, 3.0], [np.nan, 7.0]], [[np.nan, np.nan], [np.nan, np.nan]]])
    got = g.sample(vals, [0, 0, 1, 1], [0, 1, 0, 1], [0.25, 0.25, 0.25, 0.25])
    np.testing.assert_allclose(got[0], (1 + 3 + 7) / 3)
    assert np.isnan(got[1])


# -- the table ------------------------------------------------------------------------------------------------------
def test_forcing_frame_and_ranges_and_names():
    days = pd.date_range("2000-01-01", periods=3, freq="D")
    f = g.forcing_frame(["A", 7], days, {"precip": np.array([[1, 2], [3, 4], [5, 6.0]]),
                                         "temp": np.zeros((3, 2))})
    assert list(f.columns) == ["well_id", "date", "precip", "temp"]
    assert list(f["well_id"]) == ["A", "A", "A", "7", "7", "7"]
    assert list(f["precip"]) == [1, 3, 5, 2, 4, 6]
    assert f["date"].dtype.kind == "M" and f["date"].iloc[3] == days[0]
    mask = np.array([True, True, False, True, False])
    d5 = pd.date_range("2000-01-01", periods=5, freq="D")
    r = g.date_ranges(d5, mask)
    assert r == [(d5[0], d5[1]), (d5[3], d5[3])]
    assert g.format_ranges(r) == "2000-01-01..2000-01-02, 2000-01-04"
    assert g.format_ranges(r * 5, limit=2).endswith("and 8 more ranges")
    assert g.column_name("Snow depth (m)", {"precip"}) == "snow_depth_m"
    assert g.column_name("precip", {"precip"}) == "precip_2"
    assert g.column_name("2m soil T") == "v_2m_soil_t"


def test_common_days():
    a = g.Daily(pd.date_range("2000-01-01", periods=5, freq="D"), np.arange(5.0)[:, None])
    b = g.Daily(pd.date_range("2000-01-02", periods=5, freq="D"), np.arange(5.0)[:, None])
    days, trimmed = g.common_days({"p": a, "t": b})
    assert list(days) == list(pd.date_range("2000-01-02", periods=4, freq="D"))
    assert trimmed["p"] == [pd.Timestamp("2000-01-01")] and trimmed["t"] == [pd.Timestamp("2000-01-06")]
    np.testing.assert_array_equal(g.select_days(a, days)[:, 0], [1, 2, 3, 4])
