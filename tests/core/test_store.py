"""The model folder: round trip, atomic writes, and refusals with clear messages. Real (tiny) trained models."""
import json
import os

import numpy as np
import pandas as pd
import pytest
import torch

from groundwater_lstm.core import Canceled, ModelFolderError, Roles
from groundwater_lstm.core.inputs import tables as D
from groundwater_lstm.core.model import store as S
from groundwater_lstm.core.model import training as T
from groundwater_lstm.core.model.config import TrainConfig
from groundwater_lstm.core.model.executor import SerialExecutor

torch.set_num_threads(1)

ROLES = Roles(precip="rain", temp="t")
WELLS = ("Zürich/Öst 1", "a b", "flat")  # an accent, a slash, a space, and a well that gets skipped
CFG = TrainConfig(lookback=40, hidden=6, epochs=3, patience=3, window=100, batch_size=2, ensemble=2,
                    features={"windows": [30]})


def _tables(days=900, extra=120):
    n = days + extra
    dates = pd.date_range("2010-01-01", periods=n, freq="D")
    lv, fc = [], []
    for i, w in enumerate(WELLS):
        rng = np.random.default_rng(i)
        p = rng.gamma(0.6, 5.0, n) * (rng.random(n) < 0.45)
        t = 8 + 10 * np.sin(2 * np.pi * (dates.dayofyear.to_numpy() - 110) / 365.25) + rng.normal(0, 2, n)
        level = 300 + 0.02 * pd.Series(p).ewm(alpha=1 / 20).mean().to_numpy()
        if w == "flat":
            level[:] = 7.0
        lv.append(pd.DataFrame({"well_id": w, "date": dates[:days], "level": level[:days]}))
        fc.append(pd.DataFrame({"well_id": w, "date": dates, "rain": p, "t": t}))
    return pd.concat(lv, ignore_index=True), pd.concat(fc, ignore_index=True)


@pytest.fixture(scope="module")
def trained():
    lv, fc = _tables()
    recs, _ = D.prepare_wells(lv, fc, ROLES, list(WELLS), warmup_days=CFG.lookback, forcing_id_col="well_id",
                              latitudes={w: 47.0 for w in WELLS}, min_obs=50)
    res = T.train_network(recs, ROLES, CFG, executor=SerialExecutor())
    assert list(res.skipped) == ["flat"]
    return recs, res


def _feats(rec, tw):
    return T.prepare_arrays(rec, tw.config, ROLES)["features"]


def test_round_trip_simulates_the_same(trained, tmp_path):
    recs, res = trained
    folder = S.save_network(tmp_path / "model", res, ROLES, res.config, made_by={"plugin": "9.9.9"})
    assert sorted(os.listdir(tmp_path)) == ["model"]  # no temporary sibling left
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert man["format_version"] == S.FORMAT_VERSION
    assert set(man["versions"]) >= {"torch", "numpy", "pandas", "python", "plugin"}
    assert man["versions"]["plugin"] == "9.9.9"  # the caller's; the core does not read the plugin's files
    assert man["roles"]["precip"] == "rain" and man["drivers"] == ["precip", "temp"]
    assert man["feature_config"]["windows"] == [30]
    assert man["skipped"]["flat"].startswith("the level is constant") or "constant" in man["skipped"]["flat"]
    assert set(man["wells"]) == {"Zürich/Öst 1", "a b"}
    files = sorted(os.listdir(folder / "weights"))
    assert files == ["w0000_m0.pt", "w0000_m1.pt", "w0001_m0.pt", "w0001_m1.pt"]  # safe names via the index
    entry = man["wells"]["Zürich/Öst 1"]
    assert entry["seeds"] == [42, 43] and len(entry["epochs"]) == 2
    assert entry["metrics"]["test"]["nse"] == pytest.approx(res.trained["Zürich/Öst 1"].metrics["test"]["nse"])

    net = S.load_network(folder)
    assert net.roles == ROLES and net.config == res.config
    assert list(net.trained) == list(res.trained)
    for w, tw in res.trained.items():
        lt = net.trained[w]
        assert lt.feature_names == tw.feature_names and lt.splits == tw.splits
        feats = _feats(recs[w], tw)
        pd.testing.assert_frame_equal(lt.simulate(feats), tw.simulate(feats))
        assert lt.metrics["test"]["nse"] == pytest.approx(tw.metrics["test"]["nse"])
    assert net.check_compatible(ROLES, columns=["well_id", "date", "rain", "t"], well_ids=["a b", "other"]) == ["a b"]


def test_simulate_new_forcing_from_the_loaded_folder(trained, tmp_path):
    recs, res = trained
    folder = S.save_network(tmp_path / "m", res, ROLES, res.config)
    net = S.load_network(folder)
    lv, fc = _tables()
    new, skipped = D.prepare_forcing_only(fc, ROLES, list(res.trained), warmup_days=CFG.lookback,
                                          forcing_id_col="well_id", latitudes={w: 47.0 for w in WELLS})
    sim, sk = net.simulate(new)
    assert not sk
    one = sim[sim["well_id"] == "a b"]
    assert one["date"].iloc[0] == pd.Timestamp("2010-01-01") + pd.Timedelta(days=CFG.lookback)
    assert one["date"].iloc[-1] == pd.Timestamp("2010-01-01") + pd.Timedelta(days=1019)
    assert one["observed"].isna().all() and np.isfinite(one["simulated"]).all()
    ref = res.trained["a b"].simulation.set_index("date")["simulated"]
    np.testing.assert_allclose(one.set_index("date")["simulated"].reindex(ref.index), ref, atol=1e-9)


def test_load_refuses_other_drivers_and_roles(trained, tmp_path):
    _, res = trained
    net = S.load_network(S.save_network(tmp_path / "m", res, ROLES, res.config))
    with pytest.raises(ModelFolderError, match=r"lack the driver\(s\) temp"):
        net.check_compatible(Roles(precip="rain"))
    with pytest.raises(ModelFolderError, match=r"add the driver\(s\) river"):
        net.check_compatible(Roles(precip="rain", temp="t", river="stage"))
    with pytest.raises(ModelFolderError, match="pet"):
        net.check_compatible(Roles(precip="rain", pet="t"))
    with pytest.raises(ModelFolderError, match=r"lacks the column\(s\) t \(temp\)"):
        net.check_compatible(ROLES, columns=["date", "rain"])
    with pytest.raises(ModelFolderError, match="models for other wells"):
        net.check_compatible(ROLES, well_ids=["X1", "X2"])


def test_load_refuses_missing_weights_and_unknown_versions(trained, tmp_path):
    _, res = trained
    folder = S.save_network(tmp_path / "m", res, ROLES, res.config)
    (folder / "weights" / "w0001_m1.pt").unlink()
    with pytest.raises(ModelFolderError, match="lacks the weights file 'weights/w0001_m1.pt' of well 'a b'"):
        S.load_network(folder)
    folder = S.save_network(tmp_path / "m2", res, ROLES, res.config)
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    man["format_version"] = 99
    (folder / "manifest.json").write_text(json.dumps(man), encoding="utf-8")
    with pytest.raises(ModelFolderError, match="format version 99"):
        S.load_network(folder)
    with pytest.raises(ModelFolderError, match="no model folder"):
        S.load_network(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFolderError, match="manifest.json"):
        S.load_network(tmp_path / "empty")


def test_save_is_all_or_nothing(trained, tmp_path):
    _, res = trained
    calls = []

    def cancel_on_second():
        calls.append(1)
        return len(calls) >= 2

    with pytest.raises(Canceled):
        S.save_network(tmp_path / "m", res, ROLES, res.config, is_canceled=cancel_on_second)
    assert os.listdir(tmp_path) == []
    # an existing model folder is replaced whole; a folder that is not a model folder is refused
    S.save_network(tmp_path / "m", res, ROLES, res.config)
    (tmp_path / "m" / "stale.txt").write_text("x")
    S.save_network(tmp_path / "m", res, ROLES, res.config)
    assert not (tmp_path / "m" / "stale.txt").exists()
    assert sorted(os.listdir(tmp_path)) == ["m"]
    other = tmp_path / "photos"
    other.mkdir()
    (other / "a.jpg").write_text("x")
    with pytest.raises(ModelFolderError, match="not a model folder"):
        S.save_network(other, res, ROLES, res.config)
    assert os.listdir(other) == ["a.jpg"]


def test_a_folder_with_a_setting_this_version_does_not_know_is_refused(trained, tmp_path):
    _, res = trained
    folder = S.save_network(tmp_path / "model", res, ROLES, res.config)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["config"]["attention_heads"] = 4  # written by a newer plugin
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelFolderError, match="attention_heads.*Fix: train the wells again"):
        S.load_network(folder)
