"""Expected gradients per freeze-thaw period, checked on really trained wells of the synthetic network (whose
counterfactual truth is known), plus the mechanics: reproducibility, seeds, completeness, empty periods, bad
input, cancelling.

The full bar (>= 90 % of (well, period) pairs, >= 90 % of types, 24 wells x 12 years) is the benchmark
(``benchmarks/explain_case.py``); here a quick network (6 wells x 10 years, 3 ensemble members, 30 epochs)
holds a smaller one:

- dynamics types: at least 5 of 6 right;
- dominant drivers of the river wells (every period) and of the extraction wells' unfrozen period (the
  pumping season): at least 85 % right;
- every (well, period) pair: at least 50 % right (a regression floor), and the full 90 % bar of the issue.

Once the gap was that the synthetic PET followed temperature (Hargreaves) and the inputs had no long memory of
pumping and no frozen-ground state, so the model read the season from ``pet`` (71 % agreement on the 24 x 12
network). Since PET carries weather of its own and the features hold the frozen-ground thickness and 90/180/365-day
pumping means, the full network reaches 94 % (``make bench``, case ``explain``).
"""
import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("captum")

from groundwater_lstm.core import vocabulary
from groundwater_lstm.core.explanation import dynamics
from groundwater_lstm.core.explanation import attribution as explain
from groundwater_lstm.core.explanation.config import ExplainConfig
from groundwater_lstm.core.explanation.network import explain_network
from groundwater_lstm.core.hydrology.periods import label_well
from groundwater_lstm.core.explanation import shares
from groundwater_lstm.core.hydrology import periods
from groundwater_lstm.core.hydrology import synthetic
from groundwater_lstm.core.model import training  # noqa: E402
from groundwater_lstm.core.model.config import TrainConfig  # noqa: E402
from groundwater_lstm.core.inputs.tables import prepare_wells  # noqa: E402
from groundwater_lstm.core.errors import Canceled, InputError  # noqa: E402
from groundwater_lstm.core.model.executor import SerialExecutor  # noqa: E402
from groundwater_lstm.core.hydrology.features import derive_features  # noqa: E402
from groundwater_lstm.core.inputs.roles import Roles  # noqa: E402

QUICK = TrainConfig(ensemble=3, epochs=30, patience=5)
MIN_TYPE_ACCURACY = 5 / 6
MIN_ROBUST_AGREEMENT = 0.85
MIN_PAIR_FLOOR = 0.5
FULL_BAR = 0.9
# the quick models (3 members, 30 epochs) leave more periods undecided than the full ones: the bench's
# 24-well network holds the bar of 15 % (measured 10 %); here 4 of 18 pairs were measured
MAX_AMBIGUOUS_QUICK = 0.25


@pytest.fixture(scope="module")
def quick():
    torch.set_num_threads(1)
    net = synthetic.create_network(wells=6, years=10, seed=42)
    roles = Roles(precip="precip", temp="temp", pet="pet", river="river", pumping="pumping")
    lat = dict(zip(net.wells["well_id"], net.wells["y"]))
    records, skipped = prepare_wells(net.levels, net.forcing, roles, list(net.wells["well_id"]),
                                     warmup_days=QUICK.lookback, forcing_id_col="well_id", latitudes=lat)
    assert not skipped
    result = training.train_network(records, roles, QUICK, executor=SerialExecutor())
    assert not result.skipped
    features = {w: derive_features(r.frame, roles, lat=r.lat, config=QUICK.feature_config())[0]
                for w, r in records.items()}
    temps = {w: r.frame["temp"] for w, r in records.items()}
    return {"net": net, "roles": roles, "records": records, "result": result, "features": features,
            "temps": temps}


@pytest.fixture(scope="module")
def network_explanation(quick):
    return explain_network(quick["result"], quick["features"], temperature=quick["temps"],
                                   config=ExplainConfig(), executor=SerialExecutor())


def _one(quick, well=None):
    well = well or next(iter(quick["result"].trained))
    tw = quick["result"].trained[well]
    feats = quick["features"][well]
    lab = label_well(feats.index, well_id=well, temperature=quick["temps"][well])
    return well, tw, feats, lab


# ------------------------------------------------------------------------------------------- the truth


def _pairs(quick, ne):
    truth = quick["net"].wells.set_index("well_id")
    pairs = []
    for wid, e in ne.explanations.items():
        for period, field in synthetic.TRUTH_FIELDS.items():
            if e.dominant[period] is not None:
                pairs.append((wid, truth.loc[wid, "true_type"], period, truth.loc[wid, field], e.dominant[period]))
    return pairs


def test_dominant_drivers_and_types_agree_with_the_synthetic_truth(quick, network_explanation):
    ne = network_explanation
    assert not ne.skipped
    pairs = _pairs(quick, ne)
    robust = [p for p in pairs if p[1] == "infiltration-runoff" or (p[1] == "extraction" and p[2] == "unfrozen")]
    assert len(robust) >= 4
    robust_agree = np.mean([p[3] == p[4] for p in robust])
    assert robust_agree >= MIN_ROBUST_AGREEMENT, [p for p in robust if p[3] != p[4]]
    agree = np.mean([p[3] == p[4] for p in pairs])
    assert agree >= MIN_PAIR_FLOOR, [p for p in pairs if p[3] != p[4]]

    truth = quick["net"].wells.set_index("well_id")
    labels = {w: label_well(quick["features"][w].index, well_id=w, temperature=quick["temps"][w])
              for w in ne.explanations}
    res = dynamics.classify_network(ne.attribution, quick["result"].simulation, periods=labels)
    got = res.table.set_index("well_id")["dyn_type"]
    acc = float((got == truth.loc[got.index, "true_type"]).mean())
    assert acc >= MIN_TYPE_ACCURACY, res.table[["well_id", "dyn_type", "reason"]].to_string()
    assert res.table["dyn_conf"].between(0, 1).all()


def test_full_bar_of_dominant_drivers(quick, network_explanation):
    pairs = _pairs(quick, network_explanation)
    agree = np.mean([p[3] == p[4] for p in pairs])
    assert agree >= FULL_BAR, f"{agree:.2f}: " + ", ".join(f"{w} {p}: {g} (truth {t})" for w, _, p, t, g in pairs
                                                         if t != g)


def test_the_map_and_the_dynamics_types_read_the_same_overall_shares(network_explanation):
    # one answer to "which driver moves this well": dom_drv and sh_* (the map) and the shares the dynamics
    # rules type the well by are the same numbers (they once weighted the periods differently)
    ne = network_explanation
    fields = shares.share_fields(dict.fromkeys(d for e in ne.explanations.values() for d in e.overall))
    for _, row in ne.wells.iterrows():
        typed_by = dynamics.overall_shares(ne.attribution, row["well_id"])
        assert row["dom_drv"] == typed_by.idxmax(), (row["well_id"], typed_by.to_dict())
        for driver, share in typed_by.items():
            assert row[fields[driver]] == pytest.approx(share, rel=1e-9), (row["well_id"], driver)


def test_network_tables_follow_the_contract(quick, network_explanation):
    ne = network_explanation
    att = ne.attribution
    assert list(att.columns[:6]) == ["well_id", "period", "driver", "mean_signed", "mean_abs", "share"]
    assert set(att["period"]) == set(vocabulary.PERIODS)
    for (w, p), g in att.groupby(["well_id", "period"]):
        drivers = g[g["driver"] != vocabulary.SEASON]
        assert drivers["share"].sum() == pytest.approx(1.0)
        assert (g["mean_abs"] >= g["mean_signed"].abs() - 1e-12).all()
    assert "season" in set(att["driver"])  # day of year is reported, never dominant
    wells = ne.wells
    assert {"well_id", "dom_drv", "dom_frz", "dom_thw", "dom_unf", "eg_qual", "eg_compl"} <= set(wells.columns)
    assert all(len(c) <= 10 for c in wells.columns)
    assert "season" not in set(wells[["dom_drv", "dom_frz", "dom_thw", "dom_unf"]].stack())
    # each period says how clearly its winner leads, and the map marks the ones the data cannot decide
    assert att["margin"].between(0, 1).all() and att["mbr_agree"].between(0, 1).all()
    assert set(att["ambiguous"]) <= {0, 1}
    for _, row in wells.iterrows():
        e = ne.explanations[row["well_id"]]
        for p, f in vocabulary.PERIOD_FIELDS.items():
            q = e.quality
            assert row[f] == (f"{e.dominant[p]}|{q['runner_up'][p]}" if q["ambiguous"][p] else e.dominant[p])
            assert q["ambiguous"][p] == (q["margin"][p] < ExplainConfig().ambiguity_margin
                                         or q["dominant_stable"][p] is False)
            assert att[(att["well_id"] == row["well_id"]) & (att["period"] == p)]["ambiguous"].eq(
                int(q["ambiguous"][p])).all()
    lags = ne.lags
    assert set(lags["lag"]) == set(range(QUICK.lookback))
    # quality: the two random halves of the days agree, the period attributions add up
    for e in ne.explanations.values():
        assert e.quality["seed_agreement"]["overall"] > 0.9
        # the per-draw terms are heavy-tailed on an LSTM (one draw can be 15x the mean), so with the default
        # draws the period sums add up only roughly (measured 0.01-0.36); many draws: see the next test
        assert e.quality["completeness_error"]["overall"] < 0.6


# ------------------------------------------------------------------------------------------- mechanics


def test_same_seed_same_numbers_and_numpy_state_restored(quick):
    well, tw, feats, lab = _one(quick)
    cfg = ExplainConfig(n_samples=20, days_per_period=8, seed=11)
    np.random.seed(123)
    expected_next = np.random.rand()
    np.random.seed(123)
    a = explain.explain_well(tw, feats, lab, cfg, well_id=well)
    assert np.random.rand() == expected_next  # the global NumPy state is left as it was
    b = explain.explain_well(tw, feats, lab, cfg, well_id=well)
    pd.testing.assert_frame_equal(a.attribution, b.attribution)
    pd.testing.assert_frame_equal(a.lags, b.lags)


def test_two_seeds_agree(quick):
    well, tw, feats, lab = _one(quick)
    a = explain.explain_well(tw, feats, lab, ExplainConfig(days_per_period=20, seed=1), well_id=well)
    b = explain.explain_well(tw, feats, lab, ExplainConfig(days_per_period=20, seed=2), well_id=well)
    assert not a.attribution["mean_abs"].equals(b.attribution["mean_abs"])
    agreement = shares.seed_agreement(a, b)
    assert agreement["overall"] > 0.95, agreement


def test_completeness_with_many_draws(quick):
    well, tw, feats, lab = _one(quick)
    e = explain.explain_well(tw, feats, lab, ExplainConfig(n_samples=800, days_per_period=1),
                             well_id=well)
    assert min(e.quality["draws_per_day"].values()) >= 400
    assert e.quality["completeness_error"]["overall"] < 0.25, e.quality  # measured 0.03-0.13
    # small chunks give the same kind of result (bounded memory)
    small = explain.explain_well(tw, feats, lab, ExplainConfig(n_samples=20, days_per_period=1,
                                                                       chunk_size=8), well_id=well)
    assert small.attribution.shape == e.attribution.shape


def test_a_period_without_days_is_empty_not_zero(quick):
    well, tw, feats, lab = _one(quick)
    no_freezing = lab.replace("freezing", "unfrozen")
    e = explain.explain_well(tw, feats, no_freezing, ExplainConfig(n_samples=10, days_per_period=5),
                             well_id=well)
    frz = e.attribution[e.attribution["period"] == "freezing"]
    assert frz["share"].isna().all() and frz["mean_abs"].isna().all()
    assert (frz["n_days"] == 0).all()
    assert e.dominant["freezing"] is None and e.dominant["unfrozen"] is not None
    assert any("no freezing days" in m and "empty" in m for m in e.messages)
    assert np.isfinite(e.quality["seed_agreement"]["overall"])


def test_periods_table_gives_the_same_explanation_as_temperature(quick):
    well, tw, feats, lab = _one(quick)
    cal = periods.freeze_thaw_calendar(quick["temps"][well]).assign(well_id=well)
    cfg = ExplainConfig(n_samples=10, days_per_period=5)
    trained = {well: tw}
    by_table = explain_network(trained, {well: feats}, periods=cal, config=cfg, executor=SerialExecutor())
    by_temp = explain_network(trained, {well: feats}, temperature={well: quick["temps"][well]},
                                      config=cfg, executor=SerialExecutor())
    pd.testing.assert_frame_equal(by_table.attribution, by_temp.attribution)


def test_explained_wells_are_handed_over_in_order_and_their_lags_not_kept(quick):
    wells = list(quick["result"].trained)[:3]
    trained = {w: quick["result"].trained[w] for w in wells}
    cfg = ExplainConfig(n_samples=10, days_per_period=5)
    handed = []
    streamed = explain_network(trained, quick["features"], temperature=quick["temps"], config=cfg,
                               executor=SerialExecutor(),
                               on_explained=lambda w, e: handed.append((w, e.attribution.copy(), e.lags.copy())))
    kept = explain_network(trained, quick["features"], temperature=quick["temps"], config=cfg,
                           executor=SerialExecutor())
    assert [w for w, _, _ in handed] == wells
    pd.testing.assert_frame_equal(pd.concat([a for _, a, _ in handed], ignore_index=True), kept.attribution)
    pd.testing.assert_frame_equal(pd.concat([lg for _, _, lg in handed], ignore_index=True), kept.lags)
    assert len(kept.lags) and len(streamed.lags) == 0
    pd.testing.assert_frame_equal(streamed.attribution, kept.attribution)  # the small table stays for the map
    pd.testing.assert_frame_equal(streamed.wells, kept.wells)


def test_bad_input(quick):
    well, tw, feats, lab = _one(quick)
    trained = {well: tw}
    with pytest.raises(InputError, match=r"`roles\.temp`\) or a `calendar` table"):
        explain_network(trained, {well: feats}, executor=SerialExecutor())
    cal = periods.freeze_thaw_calendar(quick["temps"][well]).assign(well_id=well)
    bad = cal.copy()
    bad.loc[bad.index[0], "thaw_start"] = bad.loc[bad.index[0], "freeze_start"] - pd.Timedelta(days=3)
    with pytest.raises(InputError, match="inverted"):
        explain_network(trained, {well: feats}, periods=bad, executor=SerialExecutor())
    with pytest.raises(InputError, match="span"):
        ExplainConfig(span="train").validate()
    # a well without forcing is skipped with its reason, the others go on
    res = explain_network({well: tw, "nowhere": tw}, {well: feats}, temperature=quick["temps"],
                                  config=ExplainConfig(n_samples=10, days_per_period=3),
                                  executor=SerialExecutor())
    assert well in res.explanations and "nowhere" in res.skipped and "forcing" in res.skipped["nowhere"]


def test_cancel(quick):
    well, tw, feats, lab = _one(quick)
    with pytest.raises(Canceled):
        explain.explain_well(tw, feats, lab, ExplainConfig(n_samples=10, days_per_period=3),
                             is_canceled=lambda: True, well_id=well)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU here")
def test_gpu_attribution_in_eval_mode(quick):
    import copy

    well, tw, feats, lab = _one(quick)
    gpu = copy.copy(tw)
    gpu.members = [copy.deepcopy(m).cuda().eval() for m in tw.members]
    cfg = ExplainConfig(n_samples=20, days_per_period=5)
    e = explain.explain_well(gpu, feats, lab, cfg, well_id=well)
    assert all(not m.training for m in gpu.members)
    cpu = explain.explain_well(tw, feats, lab, cfg, well_id=well)
    assert shares.seed_agreement(e, cpu)["overall"] > 0.99


# ----------------------------------------------------------------------------- drivers that move together


@pytest.fixture(scope="module")
def together():
    """A small network of the hard case: irrigation on the growing season, evaporation from temperature."""
    torch.set_num_threads(1)
    net = synthetic.create_network(wells=6, years=10, seed=42, drivers_together=True)
    roles = Roles(precip="precip", temp="temp", pet="pet", river="river", pumping="pumping")
    lat = dict(zip(net.wells["well_id"], net.wells["y"]))
    records, _ = prepare_wells(net.levels, net.forcing, roles, list(net.wells["well_id"]),
                               warmup_days=QUICK.lookback, forcing_id_col="well_id", latitudes=lat)
    result = training.train_network(records, roles, QUICK)  # the default pool: both cores
    features = {w: derive_features(r.frame, roles, lat=r.lat, config=QUICK.feature_config())[0]
                for w, r in records.items()}
    ne = explain_network(result, features, temperature={w: r.frame["temp"] for w, r in records.items()},
                         config=ExplainConfig())
    return {"net": net, "ne": ne}


def test_drivers_together_clear_pairs_agree_and_few_are_ambiguous(together):
    pairs = _pairs(together, together["ne"])
    quality = {w: e.quality for w, e in together["ne"].explanations.items()}
    clear = [p for p in pairs if not quality[p[0]]["ambiguous"][p[2]]]
    ambiguous = [p for p in pairs if quality[p[0]]["ambiguous"][p[2]]]
    assert len(pairs) >= 15
    assert np.mean([t == g for _, _, _, t, g in clear]) >= FULL_BAR, [p for p in clear if p[3] != p[4]]
    assert len(ambiguous) / len(pairs) <= MAX_AMBIGUOUS_QUICK, ambiguous


def test_contest_margin_and_member_vote():
    drivers = ["precip", "pet", "pumping", "season"]
    winner, rival, margin, agree = shares.contest({"precip": 0.2, "pet": 0.35, "pumping": 0.45, "season": 0.9},
                                                  [[1, 2, 3, 9], [1, 3, 2, 9], [1, 2, 4, 9], [0, 0, 0, 0]], drivers)
    assert (winner, rival) == ("pumping", "pet")  # season is never a winner or a rival
    assert margin == pytest.approx((0.45 - 0.35) / 0.45)
    assert agree == pytest.approx(2 / 3)  # the member with no attribution has no vote
    assert shares.contest({"pet": 0.5, "pumping": 0.5}, [[1, 1]], ["pet", "pumping"])[2] == 0.0
    assert shares.contest({}, [], [])[0] is None
