"""Case ``crosscheck``: the synthetic sample network (as case ``explain``) trained with the Pastas baseline, and
the explanation checked against it (``core.explanation.crosscheck``): per period, on how many wells the dominant
stress of the expected gradients and of the TFN contributions agree, which of the two the truth backs where they
do not (``eg_right``, ``tfn_right``), the median agreement of the shares, and every disagreeing pair."""
from .explain_case import synthetic_case


def run(quick=False):
    from groundwater_lstm.core.model.config import TrainConfig
    from groundwater_lstm.core.model.tfn import pastas_version

    if pastas_version() is None:
        return {"case": "crosscheck", "skipped": "Pastas is not installed (make setup installs it)", "wells": 0,
                "seconds": None, "median_nse_test": None, "share_nse_test_gt_0_7": None}
    cfg = TrainConfig(ensemble=2, epochs=20, patience=4) if quick else TrainConfig()
    return synthetic_case(quick, train_config=cfg.replace(baseline=True))
