"""Case ``synthetic``: the default sample network (24 wells x 12 years, daily / 5-day / weekly readings),
split 70/15/15 by each well's observed span, trained with the default configuration."""
import numpy as np

from . import datasets
from .common import Timer, cpu_seconds, ensure_importable, executor, per_well, summary


def run(quick=False, wells=None, years=None, config=None):
    ensure_importable()
    from groundwater_lstm.core.model.training import train_network
    from groundwater_lstm.core.model.config import TrainConfig

    cfg = config or TrainConfig()
    wells = wells or (4 if quick else 24)
    years = years or (6 if quick else 12)
    if quick and config is None:
        cfg = cfg.replace(ensemble=1, epochs=4)
    net = datasets.synthetic_network(wells=wells, years=years)
    roles, records, skipped = datasets.synthetic_records(net, cfg.lookback)
    ex, workers = executor()
    try:
        with Timer() as t:
            res = train_network(records, roles, cfg, executor=ex)
    finally:
        ex.shutdown()
    nse = per_well(res)
    nse.update({w: None for w in skipped})
    cpu = [v for v in cpu_seconds(res).values() if v is not None]
    return {"case": "synthetic", "wells": wells, "years": years, "seconds": round(t.seconds, 1),
            **summary(list(nse.values())), "trained": len(res.trained), "skipped": len(res.skipped) + len(skipped),
            "workers": workers, "ensemble": cfg.ensemble, "cpu_seconds_per_well": round(float(np.mean(cpu)), 2)
            if cpu else None, "config": _brief(cfg), "nse_test": nse}


def _brief(cfg):
    return {k: getattr(cfg, k) for k in ("lookback", "hidden", "window", "batch_size", "epochs", "patience",
                                         "learning_rate", "ensemble", "refit", "dropout")}
