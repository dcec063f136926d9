"""Helpers shared by the benchmark cases: summaries, the executor, timing."""
import json
import os
import sys
import time

import numpy as np

ROOT_ON_PATH = False


def ensure_importable():
    """Make ``groundwater_lstm`` importable (the repository root is the plugin folder)."""
    global ROOT_ON_PATH
    if ROOT_ON_PATH:
        return
    from .datasets import ROOT

    plugins = ROOT / "build" / "plugins"
    link = plugins / "groundwater_lstm"
    if not link.exists():
        plugins.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.join("..", ".."), target_is_directory=True)
    if str(plugins) not in sys.path:
        sys.path.insert(0, str(plugins))
    ROOT_ON_PATH = True


def summary(nse):
    """median_nse_test, share_nse_test_gt_0_7 (over every well asked for: skipped wells count as failures)."""
    v = np.asarray([np.nan if x is None else x for x in nse], dtype=float)
    if len(v) == 0:
        return {"median_nse_test": None, "share_nse_test_gt_0_7": None}
    filled = np.where(np.isfinite(v), v, -np.inf)
    return {"median_nse_test": round(float(np.median(filled)), 4) if np.isfinite(np.median(filled)) else None,
            "share_nse_test_gt_0_7": round(float(np.mean(filled > 0.7)), 4)}


def per_well(result, column="nse_test"):
    """{well: test NSE} (or another metrics ``column``) of a NetworkResult (None for skipped wells)."""
    if column not in result.metrics.columns:
        return {str(w): None for w in result.metrics["well_id"]}
    m = result.metrics.set_index("well_id")[column]
    return {str(w): (None if not np.isfinite(v) else round(float(v), 4)) for w, v in m.items()}


def cpu_seconds(result):
    """Worker CPU seconds per trained well (one torch thread each: the compute a well costs)."""
    return {w: tw.info.get("cpu_seconds") for w, tw in result.trained.items()}


def executor(workers=None):
    from groundwater_lstm.core.model.executor import ProcessExecutor, SerialExecutor, default_workers

    n = workers or default_workers()
    return (ProcessExecutor(n) if n > 1 else SerialExecutor()), n


def emit(obj, stream=None):
    stream = stream or sys.stdout
    stream.write(json.dumps(obj, ensure_ascii=False) + "\n")
    stream.flush()


class Timer:
    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
