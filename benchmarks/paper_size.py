"""Case ``paper_size``: how long a paper-sized network (138 wells, 10 years of daily levels, 5-member
ensembles) takes on this machine, extrapolated from wells measured here.

Measured: a synthetic network of 10-year wells trained with the default configuration (5 members) through
the default executor. Each well's training runs on one torch thread, so its CPU seconds are the compute it
costs; 138 wells on ``workers`` worker processes (one core each) take ``138 * mean CPU seconds / workers``
(``seconds``). ``seconds_from_wall`` scales the measured wall time instead (it includes the load that other
programs put on the machine while measuring)."""
import numpy as np

from . import datasets
from .common import Timer, cpu_seconds, ensure_importable, executor, per_well, summary
from .synthetic import _brief

PAPER_WELLS = 138
PAPER_YEARS = 10
TARGET_SECONDS = 20 * 60


def run(quick=False, wells=None, config=None):
    ensure_importable()
    from groundwater_lstm.core.model.training import train_network
    from groundwater_lstm.core.model.config import TrainConfig

    cfg = config or TrainConfig()
    n = wells or (2 if quick else 8)
    if quick and config is None:
        cfg = cfg.replace(epochs=4)
    # a network of daily wells only, 10 years each after the warm-up year
    net = datasets.synthetic_network(wells=max(3, n * 3), years=PAPER_YEARS + 1, seed=7)
    daily = [w for w, r in zip(net.wells["well_id"], net.wells["reading"]) if r == "daily"][:n]
    roles, records, skipped = datasets.synthetic_records(net, cfg.lookback)
    records = {w: records[w] for w in daily if w in records}
    ex, workers = executor()
    try:
        with Timer() as t:
            res = train_network(records, roles, cfg, executor=ex)
    finally:
        ex.shutdown()
    cpu = np.array([v for v in cpu_seconds(res).values() if v is not None])
    per_well_cpu = float(cpu.mean()) if len(cpu) else float("nan")
    seconds = PAPER_WELLS * per_well_cpu / workers
    nse = per_well(res)
    return {"case": "paper_size", "wells": PAPER_WELLS, "years": PAPER_YEARS, "ensemble": cfg.ensemble,
            "seconds": round(seconds, 1), "target_seconds": TARGET_SECONDS, "within_target": bool(seconds < TARGET_SECONDS),
            "seconds_from_wall": round(PAPER_WELLS * t.seconds / max(1, len(records)), 1),
            "measured_wells": len(records), "measured_seconds": round(t.seconds, 1),
            "cpu_seconds_per_well": round(per_well_cpu, 2), "workers": workers,
            "days_per_well": int(np.mean([len(r.frame) for r in records.values()])) if records else 0,
            **summary(list(nse.values())), "config": _brief(cfg), "nse_test": nse}
