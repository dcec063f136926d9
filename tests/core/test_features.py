"""Derived features: hand-computed snow, frost and Oudin values, the real Swiss Oudin PET, the driver map."""
import numpy as np
import pandas as pd
import pytest

from groundwater_lstm.core import InputError, Roles
from groundwater_lstm.core.hydrology import features as F

PT = Roles(precip="precip", temp="temp")


def _frame(days=400, start="2015-01-01", seed=1, river=False, pumping=False, pet=False):
    idx = pd.date_range(start, periods=days, freq="D", name="date")
    rng = np.random.default_rng(seed)
    doy = idx.dayofyear.to_numpy()
    df = pd.DataFrame({
        "level": np.nan,
        "precip": rng.gamma(0.6, 4.0, days),
        "temp": 5 + 12 * np.sin(2 * np.pi * (doy - 110) / 365.25) + rng.normal(0, 2, days),
    }, index=idx)
    if pet:
        df["pet"] = np.clip(1.5 + 1.5 * np.sin(2 * np.pi * (doy - 110) / 365.25), 0, None)
    if river:
        df["river"] = 400 + np.sin(doy / 30.0)
    if pumping:
        df["pumping"] = 1000.0 * (doy > 150)
    return df


def test_snow_model_by_hand():
    p = [10.0, 10.0, 0.0, 0.0, 0.0, 4.0]
    t = [-5.0, -2.0, 2.0, 5.0, 1.0, 3.0]
    store, melt, rain = F.degree_day_snow(p, t, F.FeatureConfig(melt_factor=3.0))
    # day 3 melts 3*2 = 6; day 4 could melt 15 but only 14 is left; day 6 rains 4
    np.testing.assert_allclose(store, [10, 20, 14, 0, 0, 0])
    np.testing.assert_allclose(melt, [0, 0, 6, 14, 0, 0])
    np.testing.assert_allclose(rain, [0, 0, 0, 0, 0, 4])


def test_frost_index_by_hand():
    fi = F.frost_index([-2.0, -3.0, 1.0, 5.0, -1.0], decay=0.97)
    np.testing.assert_allclose(fi, [2.0, 0.97 * 2 + 3, 0.97 * 4.94 - 1, 0.0, 1.0])


def test_extraterrestrial_radiation_fao56_example_8():
    # FAO-56 example 8: 20 degrees south on 3 September (day 246): Ra = 32.2 MJ m-2 day-1
    assert F.extraterrestrial_radiation(246, -20.0) == pytest.approx(32.2, abs=0.05)
    # polar night gives 0, not NaN
    assert F.extraterrestrial_radiation(355, 80.0) == 0.0


def test_oudin_matches_the_swiss_derived_evaporation(shared_data):
    folder = shared_data / "swiss_collenteur2023"
    temp = pd.read_csv(folder / "temperature.csv", index_col=0, parse_dates=True, encoding="utf-8")
    ref = pd.read_csv(folder / "evaporation_oudin_DERIVED.csv", index_col=0, parse_dates=True, encoding="utf-8")
    meta = pd.read_csv(folder / "metadata_heads.csv", index_col=0, encoding="utf-8")
    for well in ("Davos", "Zürich", "Samedan B"):
        frame = pd.DataFrame({"temp": temp[well]}, index=temp.index.rename("date"))
        feats, drivers = F.derive_features(frame, Roles(precip=None, temp="temp"), lat=meta.loc[well, "lat"])
        np.testing.assert_allclose(feats["pet_oudin"].to_numpy(), ref[well].reindex(temp.index).to_numpy(),
                                   atol=6e-5)  # the file is rounded to 4 decimals
        assert drivers["pet_oudin"] == {"temp": 1.0}
        assert feats.attrs["notes"] == []
    # the alpine well has long spells at T <= -5 where Oudin gives 0
    assert (feats["pet_oudin"] == 0).mean() > 0.1


def test_features_precip_temp_full_set():
    frame = _frame(days=500)
    notes = []
    feats, drivers = F.derive_features(frame, PT, lat=None, log=notes.append)
    names = F.feature_names(PT, F.FeatureConfig(), has_lat=False)
    assert list(feats.columns) == names == list(drivers)
    assert names[:2] == ["precip", "temp"]
    for expected in ("snow_store", "snowmelt", "liquid_input", "frost_index", "pet_oudin", "doy_sin", "doy_cos",
                     "liquid_input_mean30", "liquid_input_mean365", "pet_oudin_mean90"):
        assert expected in names
    assert "precip_mean30" not in names  # with temperature the rolling input is rain + melt
    assert feats.index.equals(frame.index)
    assert np.isfinite(feats.to_numpy()).all()
    assert np.isfinite(feats.to_numpy(dtype=np.float32)).all()
    for name, weights in drivers.items():
        assert sum(weights.values()) == pytest.approx(1.0), name
    assert drivers["snowmelt"] == {"precip": 0.5, "temp": 0.5} == drivers["liquid_input_mean90"]
    assert drivers["frost_index"] == {"temp": 1.0} == drivers["pet_oudin_mean30"]
    assert drivers["doy_sin"] == {"season": 1.0}
    # no latitude: 45 degrees, and said so
    assert any("45" in n for n in notes) and feats.attrs["notes"] == notes
    lat45, _ = F.derive_features(frame, PT, lat=45.0)
    np.testing.assert_allclose(feats["pet_oudin"], lat45["pet_oudin"])
    north, _ = F.derive_features(frame, PT, lat=65.0)
    assert north["pet_oudin"].sum() < lat45["pet_oudin"].sum()
    # water balance: rain + melt + what is still stored = precipitation
    assert feats["liquid_input"].sum() + feats["snow_store"].iloc[-1] == pytest.approx(frame["precip"].sum())
    # expanding windows at the start, full windows later
    assert feats["liquid_input_mean30"].iloc[0] == pytest.approx(feats["liquid_input"].iloc[0])
    assert feats["liquid_input_mean30"].iloc[9] == pytest.approx(feats["liquid_input"].iloc[:10].mean())
    assert feats["liquid_input_mean30"].iloc[200] == pytest.approx(feats["liquid_input"].iloc[171:201].mean())
    # day of year on the unit circle
    np.testing.assert_allclose(feats["doy_sin"] ** 2 + feats["doy_cos"] ** 2, 1.0)
    # snow in winter, none in high summer at this temperature
    assert feats.loc["2015-01-01":"2015-03-01", "snow_store"].max() > 0
    assert feats.loc["2015-07-15":"2015-08-15", "snow_store"].max() == 0


def test_precip_only_pet_river_pumping_and_other():
    frame = _frame(pet=True, river=True, pumping=True)
    frame["soil_t"] = 3.0
    roles = Roles(precip="precip", pet="pet", river="river", pumping="pumping", other=("soil_t",))
    cfg = F.FeatureConfig(windows=(7, 60), doy=False)
    feats, drivers = F.derive_features(frame, roles, config=cfg)
    assert list(feats.columns) == F.feature_names(roles, cfg, has_lat=False) == [
        "precip", "pet", "river", "pumping", "soil_t", "precip_mean7", "precip_mean60", "pet_mean7", "pet_mean60",
        "river_mean30", "pumping_mean30", "pumping_mean90", "pumping_mean180", "pumping_mean365"]
    assert drivers["precip_mean60"] == {"precip": 1.0} and drivers["pet_mean7"] == {"pet": 1.0}
    assert drivers["river_mean30"] == {"river": 1.0} and drivers["soil_t"] == {"soil_t": 1.0}
    np.testing.assert_allclose(feats["pumping_mean30"].iloc[200], frame["pumping"].iloc[171:201].mean())
    # the long memory of pumping: expanding until full, then the last N days; all belong to pumping
    np.testing.assert_allclose(feats["pumping_mean365"].iloc[200], frame["pumping"].iloc[:201].mean())
    np.testing.assert_allclose(feats["pumping_mean90"].iloc[300], frame["pumping"].iloc[211:301].mean())
    assert all(drivers[f"pumping_mean{w}"] == {"pumping": 1.0} for w in (90, 180, 365))
    # a long window equal to the 30-day window is not repeated; none without a pumping role
    cfg30 = F.FeatureConfig(windows=(7,), doy=False, pumping_windows=(30, 90))
    assert [n for n in F.feature_names(roles, cfg30) if n.startswith("pumping_mean")] == ["pumping_mean30",
                                                                                           "pumping_mean90"]
    assert not any(n.startswith("pumping_mean") for n in F.feature_names(PT))
    # temp given as well as pet: no Oudin
    roles2 = Roles(precip="precip", temp="temp", pet="pet")
    assert "pet_oudin" not in F.feature_names(roles2)
    assert "pet_mean30" in F.feature_names(roles2)


def test_frozen_thickness_by_hand():
    # 4 days at -25: FDD 100, depth 0.04 * 10 = 0.4 m; then thaw at +5/day: thaw_factor 0.25 needs TDD 25
    t = [-25.0] * 4 + [5.0] * 6
    z = F.frozen_thickness(t, frost_a=0.04, thaw_factor=0.25)
    fdd = np.array([25, 50, 75, 100.0])
    np.testing.assert_allclose(z[:4], 0.04 * np.sqrt(fdd))
    tdd = np.array([5, 10, 15, 20, 25.0])
    np.testing.assert_allclose(z[4:9], 0.4 * (1 - np.minimum(1, np.sqrt(tdd / 25.0))))
    assert z[8] == 0.0 and z[9] == 0.0     # thawed through: the winter's frost is gone
    # a cold day after a partial thaw first refreezes the thawed top: TDD 10 -> 4, FDD unchanged
    z2 = F.frozen_thickness([-25.0] * 4 + [5.0, 5.0, -6.0], frost_a=0.04, thaw_factor=0.25)
    assert z2[-1] == pytest.approx(0.4 * (1 - np.sqrt(4 / 25.0)))
    # longer than the decaying frost index: frost still in the ground weeks into the thaw
    assert (F.frozen_thickness([-10.0] * 100 + [2.0] * 40) > 0).sum() == 140


def test_frozen_ground_feature_belongs_to_temperature():
    frame = _frame(days=500)
    feats, drivers = F.derive_features(frame, PT)
    assert drivers["frozen_thickness"] == {"temp": 1.0}
    np.testing.assert_allclose(feats["frozen_thickness"], F.frozen_thickness(frame["temp"].to_numpy()))
    assert "frozen_thickness" not in F.feature_names(PT, F.FeatureConfig(frozen_ground=False))
    assert "frozen_thickness" not in F.feature_names(Roles(precip="precip"))


def test_config_of_an_older_model_keeps_its_inputs():
    old = {k: v for k, v in F.FeatureConfig().to_dict().items() if k in F._OLD_FIELDS}
    cfg = F.FeatureConfig.from_dict(old)
    roles = Roles(precip="precip", temp="temp", pumping="pumping")
    names = F.feature_names(roles, cfg)
    assert "frozen_thickness" not in names and "pumping_mean365" not in names and "pumping_mean30" in names
    # a partial dict (keyword arguments) gets the current defaults
    assert "frozen_thickness" in F.feature_names(roles, F.FeatureConfig.from_dict({"melt_factor": 2.0}))


def test_config_round_trip_and_checks():
    cfg = F.FeatureConfig(melt_factor=2.5, windows=[10, 20], doy=False)
    d = cfg.to_dict()
    assert d["windows"] == [10, 20] and d["pumping_windows"] == [90, 180, 365]
    assert F.FeatureConfig.from_dict(d) == cfg
    with pytest.raises(InputError, match="unknown_future_key"):  # a setting this version cannot honour
        F.FeatureConfig.from_dict({**d, "unknown_future_key": 1})
    with pytest.raises(InputError, match="melt_factor"):
        F.FeatureConfig(melt_factor=-1)
    with pytest.raises(InputError, match="windows"):
        F.FeatureConfig(windows=(0, 30))


def test_bad_frames_are_refused():
    frame = _frame(days=60)
    with pytest.raises(InputError) as e:
        F.derive_features(frame.drop(columns="temp"), PT)
    assert "field 'temp'" in str(e.value) and "Fix:" in str(e.value)
    holed = frame.copy()
    holed.iloc[5, holed.columns.get_loc("precip")] = np.nan
    with pytest.raises(InputError, match="2015-01-06"):
        F.derive_features(holed, PT)
    with pytest.raises(InputError, match="daily and gap-free"):
        F.derive_features(frame.drop(frame.index[10]), PT)
    with pytest.raises(InputError, match="snow_store"):
        F.feature_names(Roles(precip="precip", temp="temp", other=("snow_store",)))
