"""Case ``swiss``: the 28 real Swiss wells (Collenteur et al. 2023), drivers precipitation, temperature, the
derived Oudin evaporation and river stage where the well has a usable series; trained to 2012-12-31 (the
validation part is the end of that span), tested 2013-01-01..2020-12-31. Skipped when the data are absent."""
import numpy as np

from . import datasets
from .common import Timer, cpu_seconds, ensure_importable, executor, per_well, summary
from .synthetic import _brief

QUICK_WELLS = ("Ermensee", "Gossau", "Davos")


def run(quick=False, wells=None, config=None):
    ensure_importable()
    from groundwater_lstm.core.model.training import train_network
    from groundwater_lstm.core.model.config import TrainConfig

    data = datasets.load_swiss(wells=wells or (QUICK_WELLS if quick else None))
    if data is None:
        return {"case": "swiss", "skipped": "the real data folder is absent (../shared/data/swiss_collenteur2023 "
                "beside the checkout, or set GWLSTM_SHARED_DATA)", "wells": 0, "seconds": None,
                "median_nse_test": None, "share_nse_test_gt_0_7": None}
    cfg = (config or TrainConfig()).replace(test_start=datasets.SWISS_TEST_START, val_start=None)
    if quick and config is None:
        cfg = cfg.replace(ensemble=1, epochs=4)
    ex, workers = executor()
    nse, cpu, n_trained, river, tfn, tuned = {}, [], 0, [], {}, {}
    try:
        with Timer() as t:
            for roles, records, skipped in datasets.swiss_groups(data, cfg.lookback):
                res = train_network(records, roles, cfg, executor=ex)
                nse.update(per_well(res))
                nse.update({w: None for w in skipped})
                if cfg.baseline:
                    tfn.update(per_well(res, "nse_tfn"))
                tuned.update({w: tw.info["tuning"]["chosen"] for w, tw in res.trained.items()
                              if tw.info["tuning"]["chosen_trial"]} if cfg.tune else {})
                cpu += [v for v in cpu_seconds(res).values() if v is not None]
                n_trained += len(res.trained)
                if roles.river:
                    river += list(records)
    finally:
        ex.shutdown()
    nse = {w: nse.get(w) for w in data.well_ids}
    out = {"case": "swiss", "wells": len(data.well_ids), "seconds": round(t.seconds, 1),
            **summary(list(nse.values())), "trained": n_trained, "with_river": len(river),
            "median_nse_test_river": summary([nse[w] for w in river])["median_nse_test"],
            "median_nse_test_no_river": summary([v for w, v in nse.items() if w not in river])["median_nse_test"],
            "workers": workers, "ensemble": cfg.ensemble,
            "cpu_seconds_per_well": round(float(np.mean(cpu)), 2) if cpu else None,
            "test": f"{datasets.SWISS_TEST_START}..{datasets.SWISS_TEST_END}", "config": _brief(cfg),
            "nse_test": nse}
    if cfg.tune:
        out["tuned"] = tuned  # the wells that took settings other than the defaults, and which
    if cfg.baseline:
        pairs = [(nse[w], tfn.get(w)) for w in data.well_ids if nse[w] is not None and tfn.get(w) is not None]
        out.update({"case": "swiss_baseline", "pastas": _pastas_version(),
                    "median_nse_test_pastas": summary([tfn.get(w) for w in data.well_ids])["median_nse_test"],
                    "lstm_wins": sum(a > b for a, b in pairs), "compared": len(pairs), "nse_test_pastas": tfn})
    return out


def _pastas_version():
    from groundwater_lstm.core.model.tfn import pastas_version

    return pastas_version()
