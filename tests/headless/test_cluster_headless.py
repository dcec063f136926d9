"""trainwells and explaindrivers under the real qgis_process.bin on a real Dask cluster on the loopback (a
scheduler and two worker processes started and stopped here): the outputs equal the local run's, a worker killed
mid-run costs time and not results, and an unreachable scheduler is refused before anything is read or written."""
import json
import os
import sqlite3
import threading
import time

import pytest

pytestmark = pytest.mark.skipif(os.environ.get("GWLSTM_CLUSTER") == "core",
                                reason="GWLSTM_CLUSTER=core: the qgis_process cluster tests run on the host tier")
pytest.importorskip("distributed", reason="Dask distributed is not installed (pip install \"dask[distributed]\"; "
                    "make setup installs it)")

from headless_sample import sample_files  # noqa: E402 - tests/helpers
from loopback_dask import LoopbackCluster, free_port  # noqa: E402 - tests/helpers

TINY = {"LOOKBACK": 60, "HIDDEN": 8, "EPOCHS": 6, "ENSEMBLE": 1, "SEED": 3}
EXPLAIN = {"N_SAMPLES": 16, "DAYS_PER_PERIOD": 8, "SEED": 3}
TIMING = ("seconds", "cpu_seconds")  # how long a well took: the one thing a cluster may change


@pytest.fixture(scope="module")
def sample(qgis_process, tmp_path_factory):
    return sample_files(qgis_process, tmp_path_factory.mktemp("cluster_sample"), wells=4, years=4, seed=5)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = LoopbackCluster(tmp_path_factory.mktemp("dask"), workers=2)
    try:
        yield running
    finally:
        running.stop()


def _train(qgis_process, sample, out, scheduler=None):
    params = {**sample, **TINY, "OUTPUT": out / "wells.gpkg", "SIMULATION": out / "simulation.csv",
              "MODEL_FOLDER": out / "models"}
    if scheduler:
        params["DASK_SCHEDULER"] = scheduler
    return qgis_process.run_json("trainwells", params)


def _explain(qgis_process, sample, out, scheduler=None):
    params = {"WELLS": sample["WELLS"], "FORCING": sample["FORCING"], "MODEL_FOLDER": out / "models", **EXPLAIN,
              "OUTPUT": out / "explained.gpkg", "ATTRIBUTION": out / "attribution.csv"}
    if scheduler:
        params["DASK_SCHEDULER"] = scheduler
    return qgis_process.run_json("explaindrivers", params)


@pytest.fixture(scope="module")
def local(qgis_process, sample, tmp_path_factory):
    """The local run (this machine's pool): what every cluster run must equal."""
    out = tmp_path_factory.mktemp("local")
    _train(qgis_process, sample, out)
    _explain(qgis_process, sample, out)
    return out


def _wells(gpkg):
    with sqlite3.connect(gpkg) as con:
        table = con.execute("select table_name from gpkg_contents where data_type='features'").fetchone()[0]
        cur = con.execute(f'select * from "{table}" order by well_id')
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


def _model_folder(folder):
    """The manifest without the run's timestamps and timings, and the weight files' bytes."""
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.pop("created")
    for entry in manifest["wells"].values():
        for key in TIMING:
            entry["info"].pop(key)
    weights = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.pt"))}
    return manifest, weights


def _same_training(a, b):
    assert _wells(a / "wells.gpkg") == _wells(b / "wells.gpkg")
    assert (a / "simulation.csv").read_text() == (b / "simulation.csv").read_text()
    manifest_a, weights_a = _model_folder(a / "models")
    manifest_b, weights_b = _model_folder(b / "models")
    assert manifest_a == manifest_b
    assert weights_a.keys() == weights_b.keys() and len(weights_a) == 4
    assert weights_a == weights_b


def test_trainwells_and_explaindrivers_on_the_cluster_equal_the_local_run(qgis_process, sample, cluster, local,
                                                                         tmp_path):
    result = _train(qgis_process, sample, tmp_path, cluster.address)
    assert result["results"]["TRAINED"] == 4
    _same_training(tmp_path, local)
    _explain(qgis_process, sample, tmp_path, cluster.address)
    assert _wells(tmp_path / "explained.gpkg") == _wells(local / "explained.gpkg")
    assert (tmp_path / "attribution.csv").read_text() == (local / "attribution.csv").read_text()


def test_a_worker_killed_mid_run_costs_time_not_results(qgis_process, sample, cluster, local, tmp_path):
    killed = {}

    def kill_the_first_busy_worker():
        address = cluster.wait_for_busy_worker(timeout=300)
        proc = cluster.worker_process(address) if address else None
        if proc is not None:
            cluster.kill_worker(proc)
            killed["worker"], killed["at"] = address, time.monotonic()

    killer = threading.Thread(target=kill_the_first_busy_worker, daemon=True)
    killer.start()
    result = _train(qgis_process, sample, tmp_path, cluster.address)
    killer.join(timeout=60)
    assert killed, "no worker was busy to be killed"
    assert result["results"]["TRAINED"] == 4  # its wells ran again on the other worker
    _same_training(tmp_path, local)


def test_an_unreachable_scheduler_is_refused_before_anything_is_written(qgis_process, sample, tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    args = ["run", "groundwaterlstm:trainwells", "--", *[f"{k}={v}" for k, v in {**sample, **TINY}.items()],
            f"DASK_SCHEDULER={address}", f"OUTPUT={tmp_path / 'wells.gpkg'}",
            f"SIMULATION={tmp_path / 'simulation.csv'}", f"MODEL_FOLDER={tmp_path / 'models'}"]
    proc = qgis_process(*args, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert address in out and "dask scheduler" in out and "Fix:" in out and "DASK_SCHEDULER" in out, out
    assert "Traceback" not in out and "Drivers:" not in out, out  # refused before the layers were read
    assert not list(tmp_path.iterdir())

