"""The map over wells on a real Dask cluster on the loopback: a scheduler and two worker processes started (and
stopped) here; the numbers must equal the local pool's, and an unreachable scheduler is refused with its address."""
import time

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed", reason="Dask distributed is not installed "
                                  "(pip install \"dask[distributed]\"; make setup installs it)")

from groundwater_lstm import core  # noqa: E402
from groundwater_lstm.core.model.cluster import ClusterError, DaskExecutor  # noqa: E402
from groundwater_lstm.core.explanation.config import ExplainConfig  # noqa: E402
from groundwater_lstm.core.model.config import TrainConfig  # noqa: E402
from loopback_dask import LoopbackCluster, free_port  # noqa: E402 - tests/helpers

ROLES = core.Roles(precip="precip", temp="temp", pet="pet", river="river", pumping="pumping")
CONFIG = TrainConfig(epochs=3, ensemble=1, hidden=8, lookback=30, seed=3)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """tcp address of a scheduler with two one-thread workers, all real processes on 127.0.0.1."""
    running = LoopbackCluster(tmp_path_factory.mktemp("dask"), workers=2)
    try:
        yield running.address
    finally:
        running.stop()


def _train(net, executor):
    return core.train(net.wells, net.levels, net.forcing, ROLES, CONFIG, forcing_id_col="well_id", executor=executor)


def test_a_cluster_run_gives_the_local_numbers(cluster):
    net = core.create_network(wells=4, years=4, seed=1)
    flat = net.levels["well_id"] == net.wells["well_id"].iloc[2]
    net.levels.loc[flat, "level"] = 101.0  # a well that fails on a worker is skipped with its reason, as locally
    seen = []
    on_cluster = core.train(net.wells, net.levels, net.forcing, ROLES, CONFIG, forcing_id_col="well_id",
                            executor=cluster, progress=lambda f, m=None: seen.append(f))
    local = _train(net, None)
    status = on_cluster.wells_fields()["status"]
    assert (status == "ok").sum() == 3 and "constant" in status.iloc[2]
    pd.testing.assert_frame_equal(on_cluster.wells_fields(), local.wells_fields())
    pd.testing.assert_frame_equal(on_cluster.simulation(), local.simulation())
    assert seen and max(seen) == pytest.approx(1.0)  # progress came back from the workers
    explain = ExplainConfig(n_samples=16, days_per_period=8, seed=3)
    explained = [core.explain(run.result.trained, run.records, ROLES, explain, executor=where)
                 for run, where in ((on_cluster, cluster), (local, None))]
    assert not explained[0].skipped and len(explained[0].attribution)
    pd.testing.assert_frame_equal(explained[0].attribution, explained[1].attribution)
    pd.testing.assert_frame_equal(explained[0].wells, explained[1].wells)


def test_an_unreachable_scheduler_is_refused_with_its_address():
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    t0 = time.monotonic()
    with pytest.raises(ClusterError) as err:
        DaskExecutor(address, timeout=2)  # (the default waits 10 s; qgis_process's test takes that path)
    assert address in str(err.value) and "dask scheduler" in str(err.value)
    assert time.monotonic() - t0 < 30


def test_cancel_stops_the_cluster_tasks(cluster):
    net = core.create_network(wells=6, years=6, seed=2)
    started = []
    t0 = time.monotonic()
    with pytest.raises(core.Canceled):
        # far more epochs than the 8 s wait can see end on any machine (200 once did, in a full 3.44 run):
        # the cancel, not the run's end, has to stop it
        core.train(net.wells, net.levels, net.forcing, ROLES, CONFIG.replace(epochs=5000, patience=5000),
                   forcing_id_col="well_id", executor=cluster, progress=lambda f, m=None: started.append(f),
                   is_canceled=lambda: bool(started) and time.monotonic() - t0 > 8)
    with distributed.Client(cluster, timeout=30) as client:
        end = time.monotonic() + 30
        while any(client.processing().values()) and time.monotonic() < end:
            time.sleep(0.2)
        assert not any(client.processing().values()), "the cancelled wells still run on the cluster"


def test_a_worker_without_captum_is_refused_naming_it(tmp_path):
    shadow = tmp_path / "shadow" / "captum"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("captum is not installed here")\n')
    running = LoopbackCluster(tmp_path, workers=1, worker_path=tmp_path / "shadow")
    try:
        with pytest.raises(ClusterError) as err:
            _train(core.create_network(wells=3, years=3, seed=1), running.address)
    finally:
        running.stop()
    message = str(err.value)
    assert "lacks captum" in message and "pip install captum" in message and "tcp://127.0.0.1:" in message
