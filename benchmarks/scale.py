"""Case ``scale``: how cost grows with the network. Training and explanation of the synthetic network at several
sizes (1 member, a fixed small epoch budget), each size on this machine's pool and on a Dask ``LocalCluster``
with the same number of one-thread workers, every run in a fresh Python process so that its peak memory is its
own. The simulation and the attribution are written to CSV files as the wells end (as the algorithms write their
sinks), so the calling process holds no well's results for long.

One line per size: seconds per well on each executor (the pool's start is part of every local run; the Dask
cluster's start is given apart, as an agency's cluster is up already), their ratio (local / Dask), the peak RSS
of the calling process during the run and how much of it the run added over the loaded inputs (the inputs
themselves grow with the network).

    python -m benchmarks --case scale --sizes 24,96,384       # the default
    python -m benchmarks --case scale --sizes 5000            # where there is a machine for it
"""
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

SIZES = (24, 96, 384)
QUICK_SIZES = (6, 12)
YEARS = 5
TRAIN = dict(ensemble=1, epochs=4, patience=10, hidden=16, lookback=120, seed=42)  # patience > epochs: fixed budget
EXPLAIN = dict(n_samples=16, days_per_period=8, seed=42)


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


def _rss_mb():
    """This process's resident memory now (Linux /proc; elsewhere its peak so far)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20
    except (OSError, ValueError):
        return _peak_mb()


class _PeakDuring:
    """The highest resident memory of this process while the ``with`` runs (sampled every 20 ms)."""

    def __enter__(self):
        import threading

        self.peak, self._stop = _rss_mb(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


def _one(wells, where, workers):
    """Runs in a fresh process: train and explain ``wells`` wells on ``where`` ('local' or 'dask')."""
    from .common import ensure_importable

    ensure_importable()
    import torch

    torch.set_num_threads(1)
    from groundwater_lstm import core
    from groundwater_lstm.core.explanation.config import ExplainConfig
    from groundwater_lstm.core.model.config import TrainConfig

    from .datasets import synthetic_network, synthetic_roles

    net = synthetic_network(wells=wells, years=YEARS, seed=42)
    roles = synthetic_roles(net)
    cluster, start_s = None, 0.0
    if where == "dask":
        from distributed import LocalCluster

        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        start_s = time.perf_counter() - t0
    inputs_mb = _rss_mb()
    out = tempfile.mkdtemp(prefix="gwlstm-scale-")
    files = {name: open(os.path.join(out, f"{name}.csv"), "w", encoding="utf-8")
             for name in ("simulation", "attribution", "lags")}

    def write(name, frame):
        frame.to_csv(files[name], header=files[name].tell() == 0, index=False)

    try:
        from groundwater_lstm.core.model.executor import executor_for

        t0 = time.perf_counter()
        with _PeakDuring() as peak, executor_for(cluster.scheduler_address if cluster else None, wells) as executor:
            run = core.train(net.wells, net.levels, net.forcing, roles, TrainConfig(**TRAIN),
                             forcing_id_col="well_id", executor=executor,
                             on_simulation=lambda w, f: write("simulation", f))
            t_train = time.perf_counter() - t0
            explained = core.explain(run.result.trained, run.records, roles, ExplainConfig(**EXPLAIN),
                                     executor=executor, on_explained=lambda w, e: (write("attribution", e.attribution),
                                                                                   write("lags", e.lags)))
        seconds = time.perf_counter() - t0
        written = sum(fh.tell() for fh in files.values()) / 2 ** 20
    finally:
        for fh in files.values():
            fh.close()
        for name in files:
            os.remove(os.path.join(out, f"{name}.csv"))
        os.rmdir(out)
        if cluster is not None:
            cluster.close()
    trained = sum(run.wells_fields()["status"] == "ok")
    return {"wells": wells, "where": where, "trained": int(trained), "explained": len(explained.explanations),
            "seconds": round(seconds, 2), "train_seconds": round(t_train, 2), "start_seconds": round(start_s, 2),
            "peak_rss_mb": round(peak.peak, 1), "inputs_rss_mb": round(inputs_mb, 1),
            "written_mb": round(written, 1)}


def _measure(wells, where, workers):
    proc = subprocess.run([sys.executable, "-m", "benchmarks.scale", str(wells), where, str(workers)],
                          capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"the {where} run of {wells} wells failed:\n{proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def run(quick=False, sizes=None):
    from groundwater_lstm.core.model.executor import default_workers

    try:
        import distributed  # noqa: F401
    except ImportError:
        distributed = None
    workers = default_workers()
    lines = []
    for n in sizes or (QUICK_SIZES if quick else SIZES):
        local = _measure(n, "local", workers)
        dask = _measure(n, "dask", workers) if distributed is not None else None
        line = {"case": "scale", "wells": n, "workers": workers, "seconds": local["seconds"],
                "median_nse_test": None, "share_nse_test_gt_0_7": None,
                "s_per_well_local": round(local["seconds"] / n, 3),
                "peak_rss_mb_local": local["peak_rss_mb"],
                "run_rss_mb_local": round(local["peak_rss_mb"] - local["inputs_rss_mb"], 1),
                "written_mb": local["written_mb"], "trained": local["trained"], "explained": local["explained"]}
        if dask is not None:
            line.update({"s_per_well_dask": round(dask["seconds"] / n, 3),
                         "dask_cluster_start_s": dask["start_seconds"],
                         "local_to_dask": round(local["seconds"] / dask["seconds"], 3),
                         "peak_rss_mb_dask": dask["peak_rss_mb"],
                         "run_rss_mb_dask": round(dask["peak_rss_mb"] - dask["inputs_rss_mb"], 1),
                         "same_wells": dask["trained"] == local["trained"] and dask["explained"] == local["explained"]})
        else:
            line["dask"] = "not installed (pip install \"dask[distributed]\")"
        lines.append(line)
    return lines


if __name__ == "__main__":
    print(json.dumps(_one(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]))))
