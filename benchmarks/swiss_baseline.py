"""Case ``swiss_baseline``: case ``swiss`` with the Pastas baseline fitted beside every LSTM (TrainConfig.baseline):
the Pastas median test NSE (to compare with ``make bench-pastas``) and on how many wells the LSTM wins."""
from . import swiss


def run(quick=False):
    from groundwater_lstm.core.model.config import TrainConfig
    from groundwater_lstm.core.model.tfn import pastas_version

    if pastas_version() is None:
        return {"case": "swiss_baseline", "skipped": "Pastas is not installed (make setup installs it)", "wells": 0,
                "seconds": None, "median_nse_test": None, "share_nse_test_gt_0_7": None}
    config = TrainConfig(baseline=True)
    return swiss.run(quick=quick, config=config.replace(ensemble=1, epochs=4) if quick else config)
