"""Per-well training: real (tiny) LSTMs on short synthetic series with a known relation; no mocks.

Each test trains in a second or two on one thread: level = a smoothed precipitation (an exponential store),
which the LSTM must learn from the raw precipitation and its rolling means.
"""
import time

import numpy as np
import pandas as pd
import pytest
import torch

from groundwater_lstm.core import Canceled, InputError, Roles
from groundwater_lstm.core.inputs import tables as D
from groundwater_lstm.core.model import training as T
from groundwater_lstm.core.model.fitting import fit_member
from groundwater_lstm.core.model.splits import split_spans
from groundwater_lstm.core.model.trained import TrainedWell
from groundwater_lstm.core.model.config import TrainConfig
from groundwater_lstm.core.model.executor import ProcessExecutor, SerialExecutor

torch.set_num_threads(1)

ROLES = Roles(precip="precip")
FAST = dict(lookback=60, hidden=8, epochs=40, patience=8, window=120, batch_size=2, ensemble=1,
            learning_rate=1e-2, features={"windows": [30], "doy": False})


def tables(wells=("A",), days=1200, extra_days=0, seed=0, every=1, gap=None, tau=25.0, const=None):
    """Long levels + forcing: precipitation per well, level = 50 + 0.05 * exponential store of precipitation.

    every: observe every n-th day (7 = weekly readings); gap: (start, stop) positions with no observation;
    extra_days: forcing beyond the last observation; const: a well whose level never changes.
    """
    lv, fc = [], []
    n = days + extra_days
    dates = pd.date_range("2001-01-01", periods=n, freq="D")
    for i, w in enumerate(wells):
        rng = np.random.default_rng(seed + 17 * i)
        p = rng.gamma(0.6, 5.0, n) * (rng.random(n) < 0.45)
        store = np.zeros(n)
        for t in range(1, n):
            store[t] = store[t - 1] + (p[t] - store[t - 1]) / tau
        level = 50.0 + 0.5 * store
        if w == const:
            level = np.full(n, 42.0)
        obs = np.zeros(n, dtype=bool)
        obs[:days:every] = True
        if gap is not None:
            obs[gap[0]:gap[1]] = False
        lv.append(pd.DataFrame({"well_id": w, "date": dates[obs], "level": level[obs]}))
        fc.append(pd.DataFrame({"well_id": w, "date": dates, "precip": p}))
    return pd.concat(lv, ignore_index=True), pd.concat(fc, ignore_index=True)


def records(wells=("A",), warmup=60, **kw):
    lv, fc = tables(wells, **kw)
    recs, skipped = D.prepare_wells(lv, fc, ROLES, list(wells), warmup_days=warmup, forcing_id_col="well_id",
                                    min_obs=50)
    return recs, skipped


@pytest.fixture(scope="module")
def pool():
    """One pool of two worker processes for the tests that need one (starting workers costs seconds)."""
    with ProcessExecutor(2) as ex:
        yield ex


def config(**kw):
    return TrainConfig(**{**FAST, **kw})


def test_learns_smoothed_precipitation():
    recs, _ = records()
    tw = T.train_well(recs["A"], config(), ROLES)  # (how quickly is measured by make bench, not here)
    assert tw.metrics["test"]["nse"] > 0.9, tw.metrics
    assert tw.metrics["val"]["nse"] > 0.9
    assert set(tw.metrics["test"]) >= {"nse", "kge", "r", "alpha", "beta", "rmse", "mae", "bias"}
    # the chronological split: train < val < test, by fractions of the observed span
    (tr0, tr1), (va0, va1), (te0, te1) = tw.splits["train"], tw.splits["val"], tw.splits["test"]
    assert tr0 == recs["A"].first_obs and te1 == recs["A"].last_obs
    assert tr1 < va0 <= va1 < te0 <= te1
    span = (te1 - tr0).days
    assert abs((va0 - tr0).days - 0.7 * span) <= 1 and abs((te0 - tr0).days - 0.85 * span) <= 1


def test_weekly_and_gappy_targets_train_without_interpolation():
    recs, _ = records(every=7, gap=(300, 520))
    rec = recs["A"]
    assert rec.frame["level"].notna().sum() == rec.n_obs < len(rec.frame) / 6
    tw = T.train_well(rec, config(epochs=60), ROLES)
    assert tw.metrics["test"]["nse"] > 0.8, tw.metrics
    sim = tw.simulation
    # a simulated value on every day, observed only on reading days
    assert sim["simulated"].notna().all()
    assert sim["observed"].notna().sum() == rec.frame["level"].iloc[60:].notna().sum()


def test_loss_counts_only_observed_days():
    """Target values on days outside the loss mask never reach the weights."""
    recs, _ = records()
    cfg = config(epochs=3)
    prep = T.prepare_arrays(recs["A"], cfg.resolved(), ROLES)
    tw = TrainedWell("A", [], prep["feature_names"], {}, prep["scalers"], split_spans(prep["splits"]), cfg)
    x = torch.as_tensor(tw.scaled_inputs(prep["features"]))
    y = torch.as_tensor(((prep["level"].to_numpy() - prep["scalers"]["y_mean"]) / prep["scalers"]["y_std"])
                        .astype(np.float32))
    n = len(y)
    mask = np.zeros(n, dtype=bool)
    mask[60::5] = True  # every fifth day observed
    mask[400:600] = False
    y2 = y.clone()
    y2[torch.as_tensor(~mask)] = torch.randn(int((~mask).sum())) * 50  # change every unobserved target
    no_val = np.zeros(n, dtype=bool)
    s1, *_ = fit_member(x, y, mask, no_val, cfg, 7, 3, False, torch.device("cpu"), None, None)
    s2, *_ = fit_member(x, y2, mask, no_val, cfg, 7, 3, False, torch.device("cpu"), None, None)
    for k in s1:
        assert torch.equal(s1[k], s2[k]), k
    # and a changed observed target does change them
    y3 = y.clone()
    y3[int(np.flatnonzero(mask)[3])] += 5.0
    s3, *_ = fit_member(x, y3, mask, no_val, cfg, 7, 3, False, torch.device("cpu"), None, None)
    assert any(not torch.equal(s1[k], s3[k]) for k in s1)


def test_test_period_levels_do_not_reach_the_weights():
    lv, fc = tables()
    recs, _ = D.prepare_wells(lv, fc, ROLES, ["A"], warmup_days=60, forcing_id_col="well_id")
    cut = recs["A"].first_obs + pd.Timedelta(days=int(0.9 * (recs["A"].last_obs - recs["A"].first_obs).days))
    lv2 = lv.copy()
    lv2.loc[lv2["date"] >= cut, "level"] += 3.0  # a different test period only (the split stays the same)
    recs2, _ = D.prepare_wells(lv2, fc, ROLES, ["A"], warmup_days=60, forcing_id_col="well_id")
    cfg = config(epochs=4, ensemble=2)
    a, b = T.train_well(recs["A"], cfg, ROLES), T.train_well(recs2["A"], cfg, ROLES)
    assert a.splits == b.splits
    for ma, mb in zip(a.members, b.members):
        for k, v in ma.state_dict().items():
            assert torch.equal(v, mb.state_dict()[k])
    assert a.metrics["test"]["nse"] != b.metrics["test"]["nse"]


def test_same_seed_same_numbers_other_seed_other_numbers():
    recs, _ = records()
    cfg = config(epochs=5, ensemble=2)
    a = T.train_well(recs["A"], cfg, ROLES)
    b = T.train_well(recs["A"], cfg, ROLES)
    c = T.train_well(recs["A"], cfg.replace(seed=7), ROLES)
    pd.testing.assert_frame_equal(a.simulation, b.simulation)
    assert a.info["epochs"] == b.info["epochs"]
    assert not np.allclose(a.simulation["simulated"], c.simulation["simulated"])
    # members differ from each other (different seeds) and make a band around the mean
    assert not np.allclose(a.simulation["lower"], a.simulation["upper"])
    assert (a.simulation["lower"] <= a.simulation["simulated"] + 1e-9).all()
    assert (a.simulation["simulated"] <= a.simulation["upper"] + 1e-9).all()


def test_serial_and_parallel_give_identical_results(pool):
    recs, _ = records(wells=("A", "B", "C"))
    cfg = config(epochs=4)
    serial = T.train_network(recs, ROLES, cfg, executor=SerialExecutor())
    parallel = T.train_network(recs, ROLES, cfg, executor=pool)
    pd.testing.assert_frame_equal(serial.simulation, parallel.simulation)
    pd.testing.assert_frame_equal(serial.metrics, parallel.metrics)
    assert list(parallel.trained) == ["A", "B", "C"]


def test_simulations_are_handed_over_in_well_order_as_wells_end_and_not_kept(pool):
    # A's record is long, so on two workers B and C end before it: the hand-over waits for A
    recs = {**records(wells=("A",), days=6000)[0], **records(wells=("B", "C"), days=700, seed=5)[0]}
    cfg = config(epochs=4)
    handed, messages = [], []
    streamed = T.train_network(recs, ROLES, cfg, executor=pool, progress=lambda f, m: messages.append(m),
                               on_simulation=lambda w, frame: handed.append((w, frame)))
    kept = T.train_network(recs, ROLES, cfg, executor=SerialExecutor())
    assert messages.index("well C: done") < messages.index("well A: done")  # they did end out of order
    assert [w for w, _ in handed] == ["A", "B", "C"]
    pd.testing.assert_frame_equal(pd.concat([f for _, f in handed], ignore_index=True), kept.simulation)
    assert len(streamed.simulation) == 0 and all(tw.simulation is None for tw in streamed.trained.values())
    pd.testing.assert_frame_equal(streamed.metrics, kept.metrics)


def test_network_result_skips_a_failing_well_and_goes_on():
    recs, skipped = records(wells=("A", "flat", "B"), const="flat")
    assert not skipped
    events = []
    res = T.train_network(recs, ROLES, config(epochs=4), executor=SerialExecutor(),
                          progress=lambda f, m: events.append(f))
    assert list(res.trained) == ["A", "B"]
    assert "constant" in res.skipped["flat"]
    row = res.metrics.set_index("well_id").loc["flat"]
    assert row["status"].startswith("skipped: ") and np.isnan(row["nse_test"])
    assert set(res.simulation["well_id"]) == {"A", "B"}
    assert list(res.simulation.columns[:7]) == ["well_id", "date", "observed", "simulated", "lower", "upper",
                                                "split"]
    assert set(res.simulation["split"]) == {"train", "val", "test"}
    # progress moves during training (per epoch), never backwards, and ends at 1
    assert len(set(events)) > 10 and events == sorted(events) and events[-1] == pytest.approx(1.0)


def test_cancel_raises_within_a_second_or_two():
    recs, _ = records(wells=("A", "B"))
    cfg = config(epochs=100000, patience=100000)
    t0 = time.perf_counter()
    with pytest.raises(Canceled):
        T.train_network(recs, ROLES, cfg, executor=SerialExecutor(), is_canceled=lambda: time.perf_counter() - t0 > 1.0)
    assert time.perf_counter() - t0 < 3.0


def test_cancel_stops_worker_processes_too(pool):
    recs, _ = records(wells=("A", "B"))
    cfg = config(epochs=100000, patience=100000)
    ex = pool
    if True:
        seen, asked = [], []

        def is_canceled():
            if seen and not asked:
                asked.append(time.perf_counter())  # the first question after training has started
            return bool(asked)

        with pytest.raises(Canceled):
            T.train_network(recs, ROLES, cfg, executor=ex, progress=lambda f, m: seen.append(f),
                            is_canceled=is_canceled)
        assert time.perf_counter() - asked[0] < 2.0
        assert 0 < max(seen) < 1
        # the workers stopped: the pool takes a new task at once
        t1 = time.perf_counter()
        assert ex.submit(abs, -2).result(timeout=10) == 2
        assert time.perf_counter() - t1 < 3.0


def test_simulation_past_the_last_observation_and_warm_up():
    recs, _ = records(extra_days=200)
    rec = recs["A"]
    tw = T.train_well(rec, config(epochs=5), ROLES)
    sim = tw.simulation
    after = sim[sim["date"] > rec.last_obs]
    assert len(after) == 200
    assert after["observed"].isna().all() and np.isfinite(after["simulated"]).all()
    assert (after["split"] == "test").all()
    # the first `lookback` days of the frame are warm-up without simulation
    assert sim["date"].iloc[0] == rec.frame.index[60]
    feats, _ = T.prepare_arrays(rec, tw.config, ROLES)["features"], None
    again = tw.simulate(feats)
    np.testing.assert_allclose(again["simulated"].to_numpy(), sim["simulated"].to_numpy(), rtol=0, atol=1e-6)
    # a simulation of a later span alone (new forcing) starts after its own warm-up
    part = tw.simulate(feats.iloc[500:])
    assert part["date"].iloc[0] == feats.index[560]
    np.testing.assert_allclose(part["simulated"].to_numpy()[-100:], sim["simulated"].to_numpy()[-100:], atol=0.02)


def test_windows_feed_the_prediction_of_their_last_day():
    recs, _ = records()
    tw = T.train_well(recs["A"], config(epochs=5), ROLES)
    feats = T.prepare_arrays(recs["A"], tw.config, ROLES)["features"]
    x = tw.scaled_inputs(feats)
    assert x.dtype == np.float32 and x.shape == (len(feats), len(tw.feature_names))
    ends = np.array([59, 300, len(x) - 1])
    w = tw.windows(x, ends)
    assert tuple(w.shape) == (3, 60, x.shape[1])
    np.testing.assert_array_equal(w[1].numpy(), x[241:301])
    y = tw.predict_windows(tw.members[0], w)
    m0 = tw.members[0](w)[:, -1].detach().numpy()
    np.testing.assert_allclose(y, tw.unscale(m0), rtol=1e-6)
    # close to the simulation, which sees more history than the window
    sim = tw.simulation.set_index("date")["simulated"]
    assert abs(y[2] - sim.iloc[-1]) < 0.1 * tw.y_std + 0.05
    with pytest.raises(InputError, match=r"window end positions must lie in \[59, "):
        tw.windows(x, [10])  # no full window before day 60


def test_explicit_split_dates_and_config_round_trip():
    recs, _ = records(days=1500)
    cfg = config(epochs=3, test_start="2004-06-01", val_start="2003-09-01")
    d = cfg.to_dict()
    import json

    assert TrainConfig.from_dict(json.loads(json.dumps(d))) == cfg
    tw = T.train_well(recs["A"], cfg, ROLES)
    assert tw.splits["val"][0] == pd.Timestamp("2003-09-01")
    assert tw.splits["test"][0] == pd.Timestamp("2004-06-01")
    assert tw.splits["train"][1] == pd.Timestamp("2003-08-31")
    lab = tw.simulation.set_index("date")["split"]
    assert lab.loc["2003-08-31"] == "train" and lab.loc["2003-09-01"] == "val" and lab.loc["2004-06-01"] == "test"
    # test start without a validation start: validation is the end of the span before the test start
    tw2 = T.train_well(recs["A"], config(epochs=3, test_start="2004-06-01"), ROLES)
    assert tw2.splits["train"][0] < tw2.splits["val"][0] < pd.Timestamp("2004-06-01")


def test_scalers_fit_on_the_training_part_only():
    recs, _ = records()
    rec = recs["A"]
    prep = T.prepare_arrays(rec, config().resolved(), ROLES)
    train = rec.frame.loc[rec.frame.index < prep["splits"]["val_start"], "level"].dropna()
    assert prep["scalers"]["y_mean"] == pytest.approx(train.mean())
    assert prep["scalers"]["y_std"] == pytest.approx(train.std(ddof=0))
    feats = prep["features"]
    x_train = feats[feats.index < prep["splits"]["val_start"]]
    np.testing.assert_allclose(prep["scalers"]["x_mean"], x_train.mean().to_numpy(), rtol=1e-9)


def test_bad_config_is_refused_with_the_parameter_named():
    with pytest.raises(InputError, match="`lookback`"):
        TrainConfig(lookback=0).validate()
    with pytest.raises(InputError, match="`val_start`"):
        TrainConfig(test_start="2004-01-01", val_start="2005-01-01").validate()
