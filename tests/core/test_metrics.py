"""Skill scores against hand-computed values."""
import math

import numpy as np
import pandas as pd
import pytest

from groundwater_lstm.core.evaluation import metrics

OBS = [1.0, 2.0, 3.0, 4.0, 5.0]
# errors 1, 1, 0, 1, 0: SSE 3, sum((obs-3)^2) = 10, mean(sim) 3.6, std(sim) 1.2 (population), cov 1.6
SIM = [2.0, 3.0, 3.0, 5.0, 5.0]


def test_hand_computed_example():
    m = metrics.all_metrics(OBS, SIM)
    assert m["nse"] == pytest.approx(1 - 3 / 10)
    assert m["rmse"] == pytest.approx(math.sqrt(3 / 5))
    assert m["mae"] == pytest.approx(3 / 5)
    assert m["bias"] == pytest.approx(0.6)
    r = 1.6 / (math.sqrt(2) * 1.2)  # = 2*sqrt(2)/3
    alpha = 1.2 / math.sqrt(2)
    beta = 3.6 / 3.0
    assert m["r"] == pytest.approx(r) == pytest.approx(0.9428090)
    assert m["alpha"] == pytest.approx(alpha)
    assert m["beta"] == pytest.approx(beta)
    assert m["kge"] == pytest.approx(1 - math.sqrt((r - 1) ** 2 + (alpha - 1) ** 2 + (beta - 1) ** 2))
    assert m["kge"] == pytest.approx(0.742678, abs=1e-6)
    assert m["n"] == 5
    assert set(m) == set(metrics.METRIC_COLUMNS)


def test_perfect_and_mean_simulation():
    obs = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
    perfect = metrics.all_metrics(obs, obs.copy())
    assert perfect["nse"] == pytest.approx(1.0)
    assert perfect["kge"] == pytest.approx(1.0)
    assert (perfect["r"], perfect["alpha"], perfect["beta"]) == pytest.approx((1.0, 1.0, 1.0))
    assert perfect["rmse"] == perfect["mae"] == perfect["bias"] == 0.0
    mean_sim = np.full_like(obs, obs.mean())
    assert metrics.nse(obs, mean_sim) == pytest.approx(0.0, abs=1e-12)
    k = metrics.kge(obs, mean_sim)  # constant simulation: r taken as 0, the mean-flow benchmark 1 - sqrt(2)
    assert k["r"] == 0.0 and k["alpha"] == 0.0 and k["beta"] == pytest.approx(1.0)
    assert k["kge"] == pytest.approx(1 - math.sqrt(2))
    assert metrics.bias(obs, obs + 0.25) == pytest.approx(0.25)
    assert metrics.bias(obs, obs - 1.0) == pytest.approx(-1.0)


def test_nan_pairs_are_ignored_not_filled():
    obs = [1.0, np.nan, 2.0, 3.0, 4.0, 5.0, None]
    sim = [2.0, 100.0, 3.0, np.nan, 5.0, 5.0, 7.0]
    m = metrics.all_metrics(obs, sim)
    # pairs used: (1,2), (2,3), (4,5), (5,5)
    o, s = np.array([1.0, 2.0, 4.0, 5.0]), np.array([2.0, 3.0, 5.0, 5.0])
    assert m["n"] == 4
    assert m["nse"] == pytest.approx(1 - np.sum((s - o) ** 2) / np.sum((o - o.mean()) ** 2))
    assert m["rmse"] == pytest.approx(np.sqrt(np.mean((s - o) ** 2)))
    assert m["bias"] == pytest.approx(0.75)


def test_nan_only_with_a_reason():
    m = metrics.all_metrics([1.0, np.nan], [1.0, 2.0])
    assert m["n"] == 1
    assert all(math.isnan(m[k]) for k in metrics.METRIC_COLUMNS if k != "n")
    assert "fewer than 2" in metrics.nan_reason([1.0, np.nan], [1.0, 2.0])
    assert metrics.nan_reason(OBS, SIM) is None
    assert "constant" in metrics.nan_reason([2.0, 2.0, 2.0], [1.0, 2.0, 3.0])
    assert math.isnan(metrics.nse([2.0, 2.0, 2.0], [1.0, 2.0, 3.0]))
    # two pairs are enough for every score
    two = metrics.all_metrics([1.0, 2.0], [1.5, 2.5])
    assert not any(math.isnan(two[k]) for k in metrics.METRIC_COLUMNS)
    with pytest.raises(ValueError, match="length"):
        metrics.nse([1.0, 2.0], [1.0])


def test_metrics_by_group():
    df = pd.DataFrame({
        "split": ["train"] * 5 + ["test"] * 5 + ["test"],
        "period": ["unfrozen"] * 10 + [None],
        "observed": OBS + OBS + [np.nan],
        "simulated": OBS + SIM + [1.0],
    })
    out = metrics.metrics_by_group(df, "observed", "simulated", by=["split", "period"])
    assert list(out.columns[:2]) == ["split", "period"]
    assert len(out) == 3
    train = out[(out.split == "train")].iloc[0]
    assert train["nse"] == pytest.approx(1.0) and train["n"] == 5
    test = out[(out.split == "test") & (out.period == "unfrozen")].iloc[0]
    assert test["nse"] == pytest.approx(0.7) and test["kge"] == pytest.approx(0.742678, abs=1e-6)
    missing = out[(out.split == "test") & out.period.isna()].iloc[0]
    assert missing["n"] == 0 and math.isnan(missing["nse"])
    one = metrics.metrics_by_group(df, "observed", "simulated", by="split")
    assert set(one.split) == {"train", "test"}
    with pytest.raises(KeyError, match="nope"):
        metrics.metrics_by_group(df, "observed", "simulated", by=["nope"])
