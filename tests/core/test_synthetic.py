"""The synthetic freeze-thaw aquifer: water balance, physics, determinism, observations and the truth."""
import numpy as np
import pandas as pd
import pytest

from groundwater_lstm.core import vocabulary
from groundwater_lstm.core.hydrology import periods
from groundwater_lstm.core.hydrology import synthetic
from groundwater_lstm.core.errors import Canceled, InputError
from groundwater_lstm.core.hydrology.synthetic import DRIVERS, TYPES, create_network, simulate_well

PERIOD_FIELDS = synthetic.TRUTH_FIELDS
EXPECTED = {  # the dominant driver each type is built to have, per period
    "infiltration-evaporation": {"freezing": "temp", "thawing": "temp", "unfrozen": "temp"},
    "infiltration-runoff": {"freezing": "river", "thawing": "river", "unfrozen": "river"},
    "extraction": {"freezing": "pumping", "thawing": "pumping", "unfrozen": "pumping"},
}


@pytest.fixture(scope="module")
def net():
    return create_network()  # 24 wells, 12 years, seed 42


def _forcing(net, well):
    return net.forcing[net.forcing["well_id"] == well].reset_index(drop=True)


def _well(net, kind, k=0):
    return net.wells[net.wells["true_type"] == kind].iloc[k]


def _labels(net, well):
    f = _forcing(net, well)
    dates = pd.DatetimeIndex(f["date"])
    cal = periods.freeze_thaw_calendar(pd.Series(f["temp"].to_numpy(), index=dates))
    return periods.label_days(dates, cal).to_numpy()


def _ratios(truth):
    eff = truth.pivot_table(index=["well_id", "period"], columns="driver", values="effect")
    top2 = np.sort(eff.to_numpy(), axis=1)[:, -2:]
    return pd.Series(top2[:, 1] / top2[:, 0], index=eff.index)


# ------------------------------------------------------------------------------------------------- physics
@pytest.mark.parametrize("kind", TYPES)
def test_water_balance_closes(net, kind):
    row = _well(net, kind)
    level, fl = simulate_well(row, _forcing(net, row["well_id"]), return_fluxes=True)
    storage = fl[list(synthetic.STORES)].sum(axis=1).to_numpy()           # mm
    net_in = (fl["precip"] - fl[list(synthetic.OUTFLOWS)].sum(axis=1)).to_numpy()
    resid = np.diff(storage) - net_in[1:]
    assert np.abs(resid).max() < 1e-8
    # and the groundwater store is the level times the specific yield
    assert np.allclose(fl["groundwater"].to_numpy(), 1000 * row["sy"] * level.to_numpy())
    # every flux that must be non-negative is
    for k in ("runoff", "et_soil", "evap_gw", "pumping_flux", "seepage", "frost_uptake", "thaw_return", "recharge"):
        assert fl[k].min() >= -1e-12, k
    # the ice drawn up in winter all comes back: over the record the two nearly cancel
    assert abs(fl["frost_uptake"].sum() - fl["thaw_return"].sum()) <= fl["frost_uptake"].sum() / 10 + 1.0


def test_freezing_lowers_and_thawing_raises_an_evaporation_well(net):
    for _, row in net.wells[net.wells["true_type"] == "infiltration-evaporation"].iterrows():
        f = _forcing(net, row["well_id"])
        level, fl = simulate_well(row, f, return_fluxes=True)
        lab = _labels(net, row["well_id"])
        dh = np.diff(level.to_numpy(), prepend=np.nan)
        frz = np.nanmean(dh[lab == "freezing"])
        thw = np.nanmean(dh[lab == "thawing"])
        assert frz < -0.002 and thw > 0.005, (row["well_id"], frz, thw)   # m/day
        assert fl["frost_uptake"][lab == "freezing"].sum() > 5 * fl["frost_uptake"][lab != "freezing"].sum()
        # without frost (temperature held at its mean) the winter decline disappears
        g = f.copy()
        g["temp"] = g["temp"].mean()
        flat = np.diff(simulate_well(row, g).to_numpy(), prepend=np.nan)
        assert np.nanmean(flat[lab == "freezing"]) > frz + 0.002


def test_pumping_lowers_the_level_in_the_irrigation_season(net):
    for _, row in net.wells[net.wells["true_type"] == "extraction"].iloc[:3].iterrows():
        f = _forcing(net, row["well_id"])
        level = simulate_well(row, f)
        g = f.copy()
        g["pumping"] = 0.0
        drawdown = simulate_well(row, g) - level
        assert (drawdown > 0).all()
        month = drawdown.groupby(drawdown.index.month).mean()
        assert month[8] > month[4] + 0.5, month.round(2).to_dict()     # the season adds half a metre or more
        year = drawdown.groupby(drawdown.index.year).mean()
        assert year.iloc[-3:].mean() > year.iloc[:3].mean() + 0.3       # irrigation grows: a multi-year decline
        # in the irrigation season the level falls, outside it recovers
        dh = level.diff()
        assert dh[dh.index.month.isin([6, 7])].mean() < 0 < dh[dh.index.month.isin([10, 11, 12])].mean()


def test_river_wells_follow_the_river(net):
    for _, row in net.wells[net.wells["true_type"] == "infiltration-runoff"].iterrows():
        f = _forcing(net, row["well_id"])
        level = simulate_well(row, f)
        assert np.corrcoef(level.to_numpy(), f["river"].to_numpy())[0, 1] > 0.8
    for kind in ("infiltration-evaporation", "extraction"):
        row = _well(net, kind)
        f = _forcing(net, row["well_id"])
        g = f.copy()
        g["river"] = g["river"] + 2.0
        assert np.allclose(simulate_well(row, g).to_numpy(), simulate_well(row, f).to_numpy())


def test_simulate_well_reproduces_the_network(net):
    row = _well(net, "extraction", 1)
    level = simulate_well(row.to_dict(), _forcing(net, row["well_id"]))
    sim = net.simulated[net.simulated["well_id"] == row["well_id"]]["level"].to_numpy()
    assert np.allclose(level.to_numpy(), sim, atol=1e-9)
    obs = net.levels[net.levels["well_id"] == row["well_id"]].set_index("date")["level"]
    err = obs - level.reindex(obs.index)
    assert 0.005 < err.std() < 0.025 and abs(err.mean()) < 0.01     # 1-2 cm measurement noise


# ----------------------------------------------------------------------------------------- frames and units
def test_frames_columns_dtypes_and_units(net):
    w, lv, f, tr = net.wells, net.levels, net.forcing, net.truth
    assert net.crs == "EPSG:4326"
    for c in ("well_id", "x", "y", "true_type", "true_frz", "true_thw", "true_unf", "depth_m"):
        assert c in w.columns
    assert all(len(c) <= 10 for c in w.columns)                 # shapefile-safe field names
    assert w["well_id"].is_unique and w["well_id"].map(type).eq(str).all()
    assert w["x"].between(122.5, 127.5).all() and w["y"].between(44.0, 48.5).all()
    assert list(lv.columns) == ["well_id", "date", "level"]
    assert list(f.columns) == ["well_id", "date"] + list(DRIVERS)
    assert list(tr.columns) == ["well_id", "period", "driver", "effect", "dominant"]
    assert lv["date"].dtype == "datetime64[ns]" and f["date"].dtype == "datetime64[ns]"
    assert lv["level"].dtype == float and lv["level"].notna().all()
    # the forcing is complete: every day for every well, no missing value, pumping never constant
    n_days = len(pd.date_range("2008-01-01", "2019-12-31"))
    assert len(f) == 24 * n_days and f.groupby("well_id")["date"].nunique().eq(n_days).all()
    assert f[list(DRIVERS)].notna().all().all()
    assert (f.groupby("well_id")[list(DRIVERS)].std() > 0).all().all()
    # Songnen Plain climate
    year = f["date"].dt.year
    annual = f.groupby(["well_id", year])[["precip", "pet"]].sum().groupby("well_id").mean()
    assert annual["precip"].between(350, 600).all(), annual["precip"].describe()
    assert annual["pet"].between(700, 1100).all(), annual["pet"].describe()
    month = f.groupby(["well_id", f["date"].dt.month])["temp"].mean().unstack()
    assert month[1].between(-22, -14).all() and month[7].between(19, 27).all()
    assert f.groupby("well_id")["temp"].mean().between(2.0, 6.0).all()
    summer = f[f["date"].dt.month.isin([6, 7, 8])].groupby("well_id")["precip"].sum()
    assert (summer / f.groupby("well_id")["precip"].sum()).between(0.5, 0.85).all()
    assert f["precip"].min() >= 0 and f["pet"].min() >= 0 and f["pumping"].min() > 0
    # levels in metres above sea level, below the ground most of the time
    depth = w.set_index("well_id")["ground_m"] - lv.groupby("well_id")["level"].mean()
    assert depth.between(0.3, 20).all()
    assert lv["level"].between(90, 260).all()
    # truth: five drivers x three periods per well, one dominant each, effects in metres
    assert len(tr) == 24 * 3 * 5
    assert tr.groupby(["well_id", "period"])["dominant"].sum().eq(1).all()
    assert tr["effect"].between(0, 10).all()


def test_potential_evaporation_is_separable_from_temperature(net):
    """PET has variation of its own (cloudiness, wind): within a month temperature and wet days explain well
    under the ~90 % that Hargreaves alone gives, and its 30-day anomalies are only loosely tied to those of
    temperature, so the two are separable drivers; the annual total stays 800-1000 mm."""
    f = net.forcing.copy()
    f = f[f["pet"] > 0.2]
    r2 = []
    for _, d in f.groupby(f["date"].dt.month):
        x = np.column_stack([np.ones(len(d)), d["temp"], d["precip"] > 0.5])
        y = np.log(d["pet"].to_numpy())
        res = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
        r2.append(1 - res.var() / y.var())
    assert np.mean(r2) < 0.75, r2
    g = net.forcing.copy()
    roll = g.groupby("well_id")[["pet", "temp"]].transform(lambda s: s.rolling(30).mean())
    roll["doy"] = g["date"].dt.dayofyear
    roll = roll.dropna()
    anom = roll[["pet", "temp"]] - roll.groupby("doy")[["pet", "temp"]].transform("mean")
    assert anom["pet"].corr(anom["temp"]) < 0.6
    annual = g.groupby(["well_id", g["date"].dt.year])["pet"].sum().groupby("well_id").mean()
    assert annual.between(800, 1000).all(), annual.describe()


def test_observations_are_like_a_real_network(net):
    lv, w = net.levels, net.wells.set_index("well_id")
    n = lv.groupby("well_id")["level"].size()
    assert (n >= 300).all(), n.min()
    assert (n == w["n_readings"]).all()
    span = lv.groupby("well_id")["date"].agg(lambda d: (d.max() - d.min()).days)
    assert (span >= 6 * 365).all()
    assert span.nunique() > 5                                      # records of different lengths
    assert set(w["reading"]) == {"daily", "5-day", "weekly"}
    gaps = lv.groupby("well_id")["date"].agg(lambda d: d.diff().dt.days.max())
    assert (gaps >= 14).sum() >= 20                                 # gaps of weeks to months
    weekly = w.index[w["reading"] == "weekly"]
    steps = lv[lv["well_id"] == weekly[0]]["date"].diff().dt.days.dropna()
    assert (steps % 7 == 0).all()
    assert len(lv) < 0.8 * len(net.forcing)


def test_three_types_a_third_each():
    small = create_network(wells=3, years=3, seed=5)
    assert sorted(small.wells["true_type"]) == sorted(TYPES)
    assert len(small.levels.groupby("well_id")) == 3
    with pytest.raises(InputError, match="at least 3 wells"):
        create_network(wells=2, years=4)
    with pytest.raises(InputError, match="at least 3 years"):
        create_network(wells=6, years=2)


def test_types_and_places(net):
    w = net.wells
    assert w["true_type"].value_counts().to_dict() == {t: 8 for t in TYPES}
    for kind, cols in (("infiltration-evaporation", "depth_m"),):
        assert w.loc[w["true_type"] == kind, cols].between(0.5, 3.0).all()
    assert w.loc[w["true_type"] == "extraction", "depth_m"].min() > 5
    river = w[w["true_type"] == "infiltration-runoff"]
    assert (river["river_cond"] > 0).all() and (w.loc[w["true_type"] != "infiltration-runoff", "river_cond"] == 0).all()
    for _, r in river.iterrows():                                   # river wells lie near their river
        name, _, km = synthetic.network._nearest_river(r["x"], r["y"])
        assert km < 6.0 and name == r["river_nm"]


# ---------------------------------------------------------------------------------------------- determinism
def test_same_seed_same_frames_other_seed_other_frames():
    a, b, c = (create_network(wells=6, years=4, seed=s) for s in (11, 11, 12))
    for name in ("wells", "levels", "forcing", "truth"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert not a.levels.equals(c.levels)
    assert not a.forcing.equals(c.forcing)
    assert not a.wells[["x", "y"]].equals(c.wells[["x", "y"]])


def test_progress_and_cancel():
    seen = []
    create_network(wells=3, years=3, seed=1, progress=lambda f, m: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(Canceled):
        create_network(wells=3, years=3, seed=1, is_canceled=lambda: True)


# ---------------------------------------------------------------------------------------------------- truth
def test_truth_comes_from_counterfactual_runs(net):
    tr = net.truth.set_index(["well_id", "period", "driver"])["effect"]
    for kind in TYPES:
        row = _well(net, kind)
        wid = row["well_id"]
        f = _forcing(net, wid)
        base = simulate_well(row, f).to_numpy()
        obs = net.levels[net.levels["well_id"] == wid]["date"]
        in_record = ((f["date"] >= obs.min()) & (f["date"] <= obs.max())).to_numpy()
        lab = _labels(net, wid)
        for driver in DRIVERS:
            g = f.copy()
            g[driver] = g[driver].mean()
            diff = np.abs(base - simulate_well(row, g).to_numpy())
            for period in vocabulary.PERIODS:
                m = in_record & (lab == period)
                assert np.isclose(diff[m].mean(), tr[(wid, period, driver)], rtol=1e-6, atol=1e-9)


def test_truth_matches_the_design_with_clear_margins(net):
    w = net.wells.set_index("well_id")
    for period, col in PERIOD_FIELDS.items():
        dom = net.truth[net.truth["dominant"] & (net.truth["period"] == period)].set_index("well_id")["driver"]
        assert (dom == w[col]).all()
        expected = w["true_type"].map(lambda t: EXPECTED[t][period])
        assert (w[col] == expected).mean() >= 0.95, (period, w[col].value_counts().to_dict())
    ratio = _ratios(net.truth)
    assert ratio.min() > 1.2 and ratio.quantile(0.1) > 1.5 and ratio.median() > 2.5, ratio.describe()


def test_truth_is_stable_across_seeds_and_perturbations():
    patterns = []
    for seed in (3, 4):
        n = create_network(wells=9, years=8, seed=seed)
        w = n.wells
        hits = sum((w[col] == w["true_type"].map(lambda t: EXPECTED[t][p])).sum() for p, col in PERIOD_FIELDS.items())
        assert hits >= 0.9 * 3 * len(w)
        patterns.append(w.groupby("true_type")[list(PERIOD_FIELDS.values())].agg(lambda s: s.mode()[0]))
    pd.testing.assert_frame_equal(patterns[0], patterns[1])
    # a small perturbation of every well (specific yield +5 %, forcing noise) keeps the dominant drivers
    n = create_network(wells=9, years=8, seed=3)
    ids = list(n.wells["well_id"])
    rng = np.random.default_rng(0)
    forc = {d: n.forcing.pivot(index="date", columns="well_id", values=d)[ids].to_numpy() for d in DRIVERS}
    forc["temp"] = forc["temp"] + rng.normal(0, 0.3, forc["temp"].shape)
    forc["precip"] = forc["precip"] * rng.uniform(0.9, 1.1, forc["precip"].shape)
    params = []
    for _, r in n.wells.iterrows():
        p = synthetic.AquiferParams.from_mapping(r)
        p.sy *= 1.05
        params.append(p)
    level, cf = synthetic.counterfactual_runs(forc, params)
    dates = pd.DatetimeIndex(sorted(n.forcing["date"].unique()))
    agree = 0
    for j, wid in enumerate(ids):
        obs = n.levels[n.levels["well_id"] == wid]["date"]
        span = (dates >= obs.min()) & (dates <= obs.max())
        lab = periods.label_days(dates, periods.freeze_thaw_calendar(pd.Series(forc["temp"][:, j], index=dates)))
        for period, col in PERIOD_FIELDS.items():
            m = span & (lab.to_numpy() == period)
            eff = {d: np.abs(level[m, j] - cf[d][m, j]).mean() for d in DRIVERS}
            agree += max(eff, key=eff.get) == n.wells.iloc[j][col]
    assert agree == 3 * len(ids)


def test_drivers_together_share_one_calendar():
    apart = create_network(wells=6, years=6, seed=5)
    together = create_network(wells=6, years=6, seed=5, drivers_together=True)
    # the default network is not touched by the option
    pd.testing.assert_frame_equal(apart.forcing, create_network(wells=6, years=6, seed=5).forcing)

    def pet_beyond_temperature(net):
        # the spread of log PET that temperature does not explain, on the days it evaporates
        f = net.forcing[net.forcing["temp"] > 5]
        x = np.column_stack([np.ones(len(f)), f["temp"], f["temp"] ** 2])
        y = np.log(f["pet"].clip(lower=0.05))
        return float((y - x @ np.linalg.lstsq(x, y, rcond=None)[0]).std())

    # evaporation from temperature and radiation alone: it has no cloudiness of its own any more
    assert pet_beyond_temperature(together) < 0.85 * pet_beyond_temperature(apart)
    f = together.forcing.merge(together.wells[["well_id", "true_type"]], on="well_id")
    ext = f[f["true_type"] == "extraction"].assign(year=lambda d: d["date"].dt.year,
                                                   doy=lambda d: d["date"].dt.dayofyear)
    # irrigation only in the growing season (the supply pumps all year at a sixth of the peak or less)
    winter = ext[(ext["doy"] < 90) | (ext["doy"] > 260)]
    summer = ext[(ext["doy"] > 160) & (ext["doy"] < 220)]
    assert winter["pumping"].mean() < 0.3 * summer["pumping"].mean()
    # and its seasonal total varies from year to year beyond the steady growth of the irrigated area
    totals = summer.groupby(["well_id", "year"])["pumping"].sum().unstack("year")
    growth = totals.div(totals.mean(axis=1), axis=0)
    detrended = growth.diff(axis=1).iloc[:, 1:]
    assert float(detrended.std(axis=1).median()) > 0.1
    # the truth is computed as for the default network
    assert set(together.wells["true_frz"]) <= set(DRIVERS)
