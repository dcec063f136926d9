"""The settings of a training run (checked when made, saved whole in the model folder) and the device it runs on."""
from dataclasses import dataclass, field
from typing import Optional

import pandas as pd

from ..config import Settings
from ..errors import InputError


@dataclass
class TrainConfig(Settings):
    """Everything that describes a training run; saved with the model folder (``to_dict``/``from_dict``).

    lookback: days of history before each predicted day (warm-up of every training window and simulation chunk).
    hidden: LSTM units. dropout: on the LSTM output before the head.
    epochs: maximum epochs (one epoch = every training day once). patience: epochs without a better
    validation score before stopping. early_stopping: 'ensemble' (one epoch count for all members, where the
    validation NSE of the ensemble mean is best), 'member' (each member on its own) or 'none'.
    refit: refit on train + validation for the chosen number of epochs.
    window: days with a loss after the warm-up, per training window (also the simulation chunk).
    batch_size: windows per gradient step. learning_rate: Adam's.
    ensemble: members per well. seed: base seed (member k uses seed + k).
    device: 'cpu', 'cuda' (falls back to cpu when not available) or 'auto'.
    train_frac / val_frac: fractions of each well's observed span; test_start / val_start ('YYYY-MM-DD'):
    explicit split dates that override the fractions (validation then taken from the span before test_start).
    min_train_obs: fewer observed training days than this skips the well.
    features: keyword arguments of ``features.FeatureConfig``.
    baseline: also fit the Pastas transfer-function-noise model of each well on the same split and drivers
    (``tfn``; needs the optional package pastas).
    tune: before the ensemble, search each well's lookback, hidden, dropout, learning_rate and window on its
    validation part (``tuning``; ``tune_trials`` trials, the first being these settings); the chosen settings are
    that well's, and the model folder keeps them per well.
    """

    lookback: int = 365
    hidden: int = 32
    dropout: float = 0.0
    epochs: int = 60
    patience: int = 8
    early_stopping: str = "ensemble"
    refit: bool = True
    window: int = 180
    batch_size: int = 2
    learning_rate: float = 3e-3
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    ensemble: int = 5
    seed: int = 42
    device: str = "cpu"
    train_frac: float = 0.7
    val_frac: float = 0.15
    test_start: Optional[str] = None
    val_start: Optional[str] = None
    min_train_obs: int = 20
    features: dict = field(default_factory=dict)
    baseline: bool = False
    tune: bool = False
    tune_trials: int = 8

    def __post_init__(self):
        for name in ("test_start", "val_start"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                setattr(self, name, pd.Timestamp(value).strftime("%Y-%m-%d"))
            elif value:  # the same reader as the data's dates: 01.06.2012 is 1 June
                from ..inputs.values import date_text

                try:
                    setattr(self, name, date_text(value))
                except ValueError as exc:
                    raise InputError(f"{name}: {exc}", setting=name, fix="write it as YYYY-MM-DD") from None
        self.features = dict(self.features or {})
        super().__post_init__()

    def feature_config(self):
        from ..hydrology.features import FeatureConfig

        return FeatureConfig.from_dict(self.features)

    def resolved(self):
        """A copy whose ``features`` spell out every feature parameter (what a model folder stores)."""
        return self.replace(features=self.feature_config().to_dict())

    def check(self):
        """Raise InputError naming the parameter when a value cannot work."""
        checks = [
            ("lookback", self.lookback >= 1, "must be at least 1 day"),
            ("hidden", self.hidden >= 1, "must be at least 1"),
            ("epochs", self.epochs >= 1, "must be at least 1"),
            ("patience", self.patience >= 1, "must be at least 1"),
            ("window", self.window >= 1, "must be at least 1 day"),
            ("batch_size", self.batch_size >= 1, "must be at least 1"),
            ("ensemble", self.ensemble >= 1, "must be at least 1"),
            ("tune_trials", self.tune_trials >= 1, "must be at least 1 (the first trial is the run's settings)"),
            ("learning_rate", self.learning_rate > 0, "must be positive"),
            ("dropout", 0 <= self.dropout < 1, "must be in [0, 1)"),
            ("train_frac", 0 < self.train_frac <= 1, "must be in (0, 1]"),
            ("val_frac", 0 <= self.val_frac < 1 and self.train_frac + self.val_frac <= 1,
             "must be in [0, 1) with train_frac + val_frac <= 1"),
            ("early_stopping", self.early_stopping in ("ensemble", "member", "none"),
             "must be 'ensemble', 'member' or 'none'"),
            ("device", self.device in ("cpu", "cuda", "auto") or self.device.startswith("cuda:"),
             "must be 'cpu', 'cuda' or 'auto'"),
        ]
        for name, ok, problem in checks:
            if not ok:
                raise InputError(f"{name}={getattr(self, name)!r} {problem}", setting=name,
                                 fix="use the documented range")
        if self.test_start and self.val_start and pd.Timestamp(self.val_start) >= pd.Timestamp(self.test_start):
            raise InputError("the validation start must be before the test start", setting="val_start",
                             fix="pick a `val_start` earlier than `test_start`")


def resolve_device(name):
    """'auto' -> cuda when available; 'cuda' without a GPU falls back to cpu."""
    import torch  # here, so that the settings (and the Pastas baseline's bench) load without torch

    if name == "auto" or str(name).startswith("cuda"):
        if torch.cuda.is_available():
            return torch.device("cuda" if name == "auto" else name)
        return torch.device("cpu")
    return torch.device("cpu")
