"""Per-well tuning (TrainConfig.tune): seeded trials on the validation part, blind to the test part, and the
chosen settings kept per well in the model folder."""
import numpy as np
import pandas as pd
import pytest

from groundwater_lstm import core
from groundwater_lstm.core.model import store, tuning
from groundwater_lstm.core.model.config import TrainConfig
from groundwater_lstm.core.model.executor import SerialExecutor

ROLES = core.Roles(precip="precip", temp="temp", pet="pet", river="river", pumping="pumping")
CONFIG = TrainConfig(epochs=3, patience=2, ensemble=2, hidden=8, lookback=60, window=60, seed=3, tune=True,
                     tune_trials=4)


@pytest.fixture(scope="module")
def network():
    return core.create_network(wells=3, years=4, seed=11)


def _train(net, levels=None, config=CONFIG, log=None):
    return core.train(net.wells, net.levels if levels is None else levels, net.forcing, ROLES, config,
                      forcing_id_col="well_id", executor=SerialExecutor(), log=log)


@pytest.fixture(scope="module")
def first(network):
    lines = []
    return _train(network, log=lines.append), lines


def test_trials_start_with_the_runs_settings_and_are_seeded_per_well():
    a = tuning.trial_settings(CONFIG, "W1")
    assert a[0] == {k: getattr(CONFIG, k) for k in tuning.SPACE}
    assert len(a) == 4 and len({tuple(t.values()) for t in a}) == 4  # distinct
    assert a == tuning.trial_settings(CONFIG, "W1")
    assert a[1:] != tuning.trial_settings(CONFIG, "W2")[1:]  # each well its own draw
    assert a[1:] != tuning.trial_settings(CONFIG.replace(seed=4), "W1")[1:]
    assert all(t[k] in tuning.SPACE[k] for t in a[1:] for k in tuning.SPACE)
    assert tuning.trial_settings(CONFIG.replace(tune_trials=1), "W1") == a[:1]


def test_every_well_is_tuned_and_trained_with_what_it_chose(first):
    run, lines = first
    assert len(run.result.trained) == 3
    for w, tw in run.result.trained.items():
        t = tw.info["tuning"]
        assert len(t["trials"]) == 4
        assert np.isfinite(t["trials"][0]["val_nse"])
        # a trial that cannot run for this well (a warm-up longer than its training part) says why
        assert all(np.isfinite(r["val_nse"]) if r["val_nse"] is not None else "warm-up" in r["problem"]
                   for r in t["trials"]), t
        best = max(r["val_nse"] for r in t["trials"] if r["val_nse"] is not None)
        k = t["chosen_trial"]
        assert t["chosen"] == {s: t["trials"][k][s] for s in tuning.SPACE}
        # the run's settings stay unless a trial beats them by more than the noise: the margin, or the spread of
        # the run's own members' validation scores
        assert t["margin"] == max(tuning.MARGIN, t["trials"][0]["member_spread"]) >= tuning.MARGIN
        assert (k == 0) == (best <= t["trials"][0]["val_nse"] + t["margin"])
        for s, v in t["chosen"].items():
            assert getattr(tw.config, s) == v
        assert tw.members[0].spec()["hidden"] == t["chosen"]["hidden"]
        first_day = pd.Timestamp(tw.simulation["date"].iloc[0])
        assert (first_day - run.records[w].frame.index[0]).days == t["chosen"]["lookback"]
    fields = run.wells_fields()
    assert fields.columns[-1] == "tuned" and fields["tuned"].str.len().gt(0).all(), fields
    assert any(line.startswith("Tuning: ") and "of 3 wells" in line for line in lines), lines


def test_tuning_never_sees_the_test_part(network, first):
    first, _ = first
    changed = network.levels.copy()
    for w, tw in first.result.trained.items():
        start = tw.splits["test"][0]
        in_test = (changed["well_id"] == w) & (pd.to_datetime(changed["date"]) >= start)
        assert in_test.sum() > 20
        changed.loc[in_test, "level"] += 25.0  # test heads far off: a search that read them would move
    second = _train(network, changed)
    for w, tw in first.result.trained.items():
        assert second.result.trained[w].info["tuning"] == tw.info["tuning"]
    # but the test part is there: it is scored on it
    assert (first.wells_fields()["nse_test"] != second.wells_fields()["nse_test"]).all()


def test_each_wells_settings_come_back_from_the_model_folder(first, network, tmp_path):
    run, _ = first
    folder = store.save_network(tmp_path / "models", run.result, ROLES, run.result.config)
    net = store.load_network(folder)
    for w, tw in run.result.trained.items():
        assert net.manifest["wells"][w]["tuned"] == tw.info["tuning"]["chosen"]
        for s in tuning.SPACE:
            assert getattr(net.trained[w].config, s) == getattr(tw.config, s)
    sim, skipped = net.simulate(run.records)
    assert not skipped
    for w, tw in run.result.trained.items():
        np.testing.assert_allclose(sim.loc[sim["well_id"] == w, "simulated"].to_numpy(),
                                   tw.simulation["simulated"].to_numpy(), rtol=1e-5, atol=1e-5)


def test_without_a_validation_part_the_runs_settings_are_kept(network):
    config = CONFIG.replace(val_frac=0.0, tune_trials=3)
    run = _train(network, config=config)
    for tw in run.result.trained.values():
        t = tw.info["tuning"]
        assert t["chosen_trial"] == 0 and "no validation days" in t["note"]
    assert TrainConfig().tune is False and TrainConfig().tune_trials == 8
    with pytest.raises(core.InputError, match="tune_trials"):
        TrainConfig(tune_trials=0)


def test_a_tuned_setting_this_plugin_does_not_know_is_refused_naming_the_well(first, tmp_path):
    import json

    run, _ = first
    folder = store.save_network(tmp_path / "models", run.result, ROLES, run.result.config)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    well = next(iter(manifest["wells"]))
    manifest["wells"][well]["tuned"]["layers"] = 3  # as a newer plugin might tune
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(core.ModelFolderError, match=rf"well '{well}'.*layers.*Fix: train the wells again"):
        store.load_network(folder)
