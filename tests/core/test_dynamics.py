"""Dynamics-type rules and the clustering second opinion, on small hand-made attribution and level tables
(the end-to-end check against the synthetic truth is in test_explain.py, on really trained and explained
wells)."""
import numpy as np
import pandas as pd
import pytest

from groundwater_lstm.core import vocabulary
from groundwater_lstm.core.explanation import dynamics
from groundwater_lstm.core.errors import InputError

DRIVERS = ["precip", "temp", "pet", "river", "pumping"]


def _attribution(well, shares_by_period, season=0.1):
    rows = []
    for period, shares in shares_by_period.items():
        total = sum(shares.values())
        for d in DRIVERS:
            s = shares.get(d, 0.0) / total
            rows.append((well, period, d, -0.1 * s, s, s, 30))
        rows.append((well, period, "season", 0.0, season, season, 30))
    return pd.DataFrame(rows, columns=["well_id", "period", "driver", "mean_signed", "mean_abs", "share", "n_days"])


def _same(shares):
    return {p: shares for p in dynamics.PERIODS}


def _simulation(well, freeze_change, thaw_change, years=6, trend=0.0, sim_trend=None):
    """Daily levels with a given change over each freezing (Nov-Mar) and thawing (Apr-May) stretch."""
    dates = pd.date_range("2010-01-01", periods=365 * years, freq="D")
    period = np.where(dates.month.isin([11, 12, 1, 2, 3]), "freezing",
                      np.where(dates.month.isin([4, 5]), "thawing", "unfrozen"))
    rate = np.where(period == "freezing", freeze_change / 151, np.where(period == "thawing", thaw_change / 61,
                                                                          -(freeze_change + thaw_change) / 153))
    level = np.cumsum(rate)
    years_f = (dates - dates[0]).days / 365.25
    obs = level + trend * years_f
    sim = level + (trend if sim_trend is None else sim_trend) * years_f
    return pd.DataFrame({"well_id": well, "date": dates, "observed": obs, "simulated": sim, "period": period})


def test_rules_give_each_type_with_reasons():
    att = pd.concat([
        _attribution("E", _same({"pet": 0.4, "temp": 0.3, "precip": 0.15, "river": 0.1, "pumping": 0.05})),
        _attribution("R", _same({"river": 0.5, "pet": 0.2, "temp": 0.1, "precip": 0.1, "pumping": 0.1})),
        _attribution("X", _same({"pumping": 0.45, "pet": 0.25, "temp": 0.1, "precip": 0.1, "river": 0.1})),
    ])
    sim = pd.concat([_simulation("E", -0.4, 0.5), _simulation("R", -0.2, 0.3), _simulation("X", 0.3, 0.1)])
    res = dynamics.classify_network(att, sim)
    t = res.table.set_index("well_id")
    assert list(res.table.columns[:6]) == dynamics.RESULT_COLUMNS
    assert t.loc["E", "dyn_type"] == "infiltration-evaporation"
    assert t.loc["R", "dyn_type"] == "infiltration-runoff"
    assert t.loc["X", "dyn_type"] == "extraction"
    assert "freeze-thaw signature" in t.loc["E", "reason"]
    assert "pumping" in t.loc["X", "reason"]
    assert t["dyn_conf"].between(0, 1).all()
    assert t.loc["R", "dyn_conf"] > 0.75  # river 0.5 against 0.2: a clear winner


def test_evaporation_without_signature_is_flagged_with_lower_confidence():
    att = _attribution("E", _same({"pet": 0.4, "temp": 0.3, "precip": 0.15, "river": 0.1, "pumping": 0.05}))
    with_sig = dynamics.classify_network(att, _simulation("E", -0.4, 0.5)).table.iloc[0]
    without = dynamics.classify_network(att, _simulation("E", 0.4, -0.5)).table.iloc[0]
    assert with_sig["dyn_type"] == without["dyn_type"] == "infiltration-evaporation"
    assert without["dyn_conf"] < with_sig["dyn_conf"]
    assert "does not fall in freezing and rise in thawing" in without["reason"]
    no_sim = dynamics.classify_network(att).table.iloc[0]
    assert "could not be checked" in no_sim["reason"]


def test_precipitation_alone_without_signature_is_undetermined():
    att = _attribution("P", _same({"precip": 0.6, "pet": 0.2, "temp": 0.1, "river": 0.05, "pumping": 0.05}))
    row = dynamics.classify_network(att, _simulation("P", 0.3, -0.2)).table.iloc[0]
    assert row["dyn_type"] == "undetermined"
    assert "precipitation dominates" in row["reason"]


def test_extraction_inferred_without_pumping_driver_says_so():
    shares = {"precip": 0.3, "temp": 0.3, "pet": 0.4}
    att = _attribution("D", _same(shares))
    att = att[att["driver"].isin(["precip", "temp", "pet", "season"])]
    # observed level falls 0.3 m/year, the climate-only model does not follow
    sim = _simulation("D", -0.2, 0.3, trend=-0.3, sim_trend=0.0)
    row = dynamics.classify_network(att, sim, drivers=["precip", "temp", "pet"]).table.iloc[0]
    assert row["dyn_type"] == "extraction"
    assert "no pumping driver" in row["reason"] and row["dyn_conf"] <= 0.5
    # the same decline followed by the model (climate explains it): not extraction
    sim2 = _simulation("D", -0.2, 0.3, trend=-0.3, sim_trend=-0.3)
    row2 = dynamics.classify_network(att, sim2, drivers=["precip", "temp", "pet"]).table.iloc[0]
    assert row2["dyn_type"] != "extraction"


def test_empty_period_is_left_out_not_counted_as_zero():
    att = _attribution("E", _same({"pet": 0.4, "temp": 0.3, "precip": 0.15, "river": 0.1, "pumping": 0.05}))
    att.loc[att["period"] == "freezing", ["mean_signed", "mean_abs", "share"]] = np.nan
    sh = dynamics.overall_shares(att, "E")
    assert abs(sh.sum() - 1) < 1e-9 and sh.idxmax() == "pet"


def test_clustering_second_opinion_agrees_on_clear_groups():
    rng = np.random.default_rng(0)
    frames, sims = [], []
    proto = {"E": {"pet": 0.4, "temp": 0.3, "precip": 0.15, "river": 0.1, "pumping": 0.05},
             "R": {"river": 0.5, "pet": 0.2, "temp": 0.1, "precip": 0.1, "pumping": 0.1},
             "X": {"pumping": 0.45, "pet": 0.25, "temp": 0.1, "precip": 0.1, "river": 0.1}}
    for kind, shares in proto.items():
        for i in range(4):
            jitter = {d: v * rng.uniform(0.85, 1.15) for d, v in shares.items()}
            frames.append(_attribution(f"{kind}{i}", _same(jitter)))
            sims.append(_simulation(f"{kind}{i}", -0.4, 0.5))
    res = dynamics.classify_network(pd.concat(frames), pd.concat(sims))
    assert res.agreement == 1.0
    assert res.table["cluster_agrees"].all()
    assert sorted(res.clusters.values()) == sorted(vocabulary.TYPES)
    # deterministic
    again = dynamics.classify_network(pd.concat(frames), pd.concat(sims))
    assert again.table["cluster"].tolist() == res.table["cluster"].tolist()


def test_bad_attribution_table_is_refused():
    with pytest.raises(InputError, match="share"):
        dynamics.classify_network(pd.DataFrame({"well_id": ["a"], "period": ["freezing"], "driver": ["pet"],
                                                "mean_abs": [1.0]}))


def test_a_model_that_misses_the_level_is_not_typed_from_its_attributions():
    shares = _same({"pumping": 0.45, "pet": 0.25, "temp": 0.1, "precip": 0.1, "river": 0.1})
    good = _simulation("X", 0.3, 0.1)
    good["split"] = np.where(good["date"] >= "2014-01-01", "test", "train")
    # the same well, but in the test years the model runs 1.5 m too high: NSE far below 0 there
    bad = good.copy()
    bad.loc[bad["split"] == "test", "simulated"] += 1.5
    res = dynamics.classify_network(pd.concat([_attribution("X", shares), _attribution("Y", shares)]),
                                    pd.concat([good, bad.assign(well_id="Y")])).table.set_index("well_id")
    assert res.loc["X", "dyn_type"] == "extraction" and res.loc["X", "nse"] > 0.99
    assert res.loc["Y", "dyn_type"] == vocabulary.UNDETERMINED and res.loc["Y", "nse"] < 0
    assert "does not follow" in res.loc["Y", "reason"] and "NSE" in res.loc["Y", "reason"]
    assert res.loc["Y", "nse_span"] == "test"
