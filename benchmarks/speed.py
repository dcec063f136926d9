"""Case ``speed``: our training (long windows: a warm-up of ``lookback`` days, then a loss on every following
day) against the usual practice of published groundwater LSTMs (sliding windows of ``lookback`` days that
predict one day each, batch 64), on the same wells in the same run, with the same model, inputs, scalers,
early stopping (validation NSE, patience), refit and one ensemble member each.

The sliding-window practice is the same code with ``window=1, batch_size=64``: every training day is the last
day of its own window, shuffled into batches of 64."""
import numpy as np

from . import datasets
from .common import Timer, cpu_seconds, ensure_importable, executor, per_well, summary
from .synthetic import _brief

WELLS = ("Ermensee", "Gossau", "Davos", "Kestenholz", "Maienfeld", "Trub")
QUICK_WELLS = ("Ermensee", "Gossau")


def _groups(quick, lookback, wells):
    data = datasets.load_swiss(wells=QUICK_WELLS if quick else wells)
    if data is not None:
        return "swiss", datasets.SWISS_TEST_START, datasets.swiss_groups(data, lookback), len(data.well_ids)
    net = datasets.synthetic_network(wells=3 if quick else 6, years=6 if quick else 10)
    return "synthetic", None, [datasets.synthetic_records(net, lookback)], len(net.wells)


def _train(groups, cfg, ex):
    from groundwater_lstm.core.model.training import train_network

    nse, cpu, epochs = {}, [], []
    with Timer() as t:
        for roles, records, skipped in groups:
            res = train_network(records, roles, cfg, executor=ex)
            nse.update(per_well(res))
            nse.update({w: None for w in skipped})
            cpu += [v for v in cpu_seconds(res).values() if v is not None]
            epochs += [tw.info.get("epochs_run", [None])[0] for tw in res.trained.values()]
    return t.seconds, nse, cpu, epochs


def _equal_skill(groups, ours, ex, target, s_ours, a, max_members):
    """The smallest ensemble of ours whose median test NSE reaches ``target`` (the sliding-window median):
    (members, seconds, median) or (None, None, best median) when ``max_members`` do not reach it."""
    k, seconds, median = 1, s_ours, a["median_nse_test"]
    while median is not None and target is not None and median < target and k < max_members:
        k += 1
        seconds, nse, _, _ = _train(groups, ours.replace(ensemble=k), ex)
        median = summary(list(nse.values()))["median_nse_test"]
    if median is None or target is None or median < target:
        return None, None, median
    return k, seconds, median


def run(quick=False, config=None, wells=WELLS):
    """``wells``: the Swiss wells to compare on (None: all 28, about 45 min of sliding windows on 2 cores).

    One member each is the like-for-like comparison; with a single member the seed alone moves a median by about
    0.05, so the case also reports the equal-skill point: the fewest members of ours (up to the configured
    ensemble) whose median test NSE reaches the sliding-window median, and how much faster that still is."""
    ensure_importable()
    from groundwater_lstm.core.model.config import TrainConfig

    base = config or TrainConfig()
    ours = base.replace(ensemble=1)
    if quick and config is None:
        ours = ours.replace(epochs=3)
    sliding = ours.replace(window=1, batch_size=64)
    data, test_start, groups, n = _groups(quick, ours.lookback, wells)
    if test_start:
        ours, sliding = ours.replace(test_start=test_start), sliding.replace(test_start=test_start)
    ex, workers = executor()
    try:
        s_ours, nse_ours, cpu_ours, ep_ours = _train(groups, ours, ex)
        s_slide, nse_slide, cpu_slide, ep_slide = _train(groups, sliding, ex)
        a, b = summary(list(nse_ours.values())), summary(list(nse_slide.values()))
        k, s_equal, m_equal = _equal_skill(groups, ours, ex, b["median_nse_test"], s_ours, a,
                                           1 if quick else base.ensemble)
    finally:
        ex.shutdown()
    per_epoch_ours = np.sum(cpu_ours) / max(1, np.sum(ep_ours))
    per_epoch_slide = np.sum(cpu_slide) / max(1, np.sum(ep_slide))
    return {"case": "speed", "data": data, "wells": n, "seconds": round(s_ours, 1), **a,
            "sliding_seconds": round(s_slide, 1), "speedup": round(s_slide / s_ours, 2),
            "cpu_seconds": round(float(np.sum(cpu_ours)), 1), "sliding_cpu_seconds": round(float(np.sum(cpu_slide)), 1),
            "cpu_speedup": round(float(np.sum(cpu_slide) / max(1e-9, np.sum(cpu_ours))), 2),
            "per_epoch_speedup": round(float(per_epoch_slide / per_epoch_ours), 1),
            "epochs_run": ep_ours, "sliding_epochs_run": ep_slide,
            "sliding_median_nse_test": b["median_nse_test"],
            "sliding_share_nse_test_gt_0_7": b["share_nse_test_gt_0_7"],
            "equal_skill_members": k, "equal_skill_seconds": None if k is None else round(s_equal, 1),
            "equal_skill_median_nse_test": m_equal,
            "equal_skill_speedup": None if k is None else round(s_slide / s_equal, 2),
            "workers": workers, "config": _brief(ours), "nse_test": nse_ours, "sliding_nse_test": nse_slide}
