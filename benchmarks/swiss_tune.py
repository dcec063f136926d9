"""Case ``swiss_tune``: case ``swiss`` with the defaults and with per-well tuning (TrainConfig.tune, 8 trials),
both in the same run: the two medians, on how many wells tuning is at least as good as the defaults, and what
it costs in time."""
from . import swiss


def run(quick=False):
    from groundwater_lstm.core.model.config import TrainConfig

    base = TrainConfig().replace(ensemble=1, epochs=4) if quick else TrainConfig()
    defaults = swiss.run(quick=quick, config=base)
    if defaults.get("skipped"):
        return {**defaults, "case": "swiss_tune"}
    tuned = swiss.run(quick=quick, config=base.replace(tune=True, tune_trials=3 if quick else base.tune_trials))
    pairs = [(tuned["nse_test"][w], d) for w, d in defaults["nse_test"].items()
             if d is not None and tuned["nse_test"].get(w) is not None]
    return {**tuned, "case": "swiss_tune", "tune_trials": 3 if quick else base.tune_trials,
            "median_nse_test_defaults": defaults["median_nse_test"],
            "share_nse_test_gt_0_7_defaults": defaults["share_nse_test_gt_0_7"],
            "at_least_defaults": sum(t >= d for t, d in pairs), "compared": len(pairs),
            "wells_moved": len(tuned["tuned"]), "seconds_defaults": defaults["seconds"],
            "time_ratio": round(tuned["seconds"] / defaults["seconds"], 2) if defaults["seconds"] else None,
            "nse_test_defaults": defaults["nse_test"]}
