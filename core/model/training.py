"""Per-well LSTM training on long windows with a warm-up, early stopping and seeded ensembles.

How one well is trained (``train_well``):

1. Derived features (``features.derive_features``) from the well's clean daily frame; a chronological split
   train / validation / test by fractions of the well's observed span or by explicit dates; mean/std scalers
   fit on the training part only (a std of 0 becomes 1).
2. Each epoch the training days are tiled by windows of ``lookback + window`` days with a random offset: the
   first ``lookback`` days of a window are warm-up, the loss is the MSE on every *observed* training day of
   the ``window`` days after it (gappy and weekly series train as they are; nothing is interpolated).
   Compared with sliding windows that predict one day each, every time step is computed about once per
   epoch instead of ``lookback`` times.
3. Early stopping on the validation NSE (MSE when the validation part is too small), then (``refit``) a fresh
   fit from the same initial weights on train + validation for the number of epochs early stopping chose.
4. ``ensemble`` members with seeds ``seed + k``: simulated = mean of the members, lower/upper = their 5 and
   95 % quantiles.

Simulation of any span runs in chunks of ``window`` days, each preceded by ``lookback`` days of warm-up, so the
prediction for a day always uses at least ``lookback`` earlier days: the first ``lookback`` days of a forcing
series get no simulation.

Everything is seeded: the same inputs, configuration and seed give identical numbers (on the same device and
thread count), whether wells run serially or in worker processes.
"""
import math
import time
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd
import torch

from ..config import Settings
from ..errors import Canceled, InputError, WellInputError
from ..vocabulary import METRIC_NAMES, SPLITS
from .network import WellLSTM

QUANTILES = (0.05, 0.95)


# ----------------------------------------------------------------------------------------------------------
# configuration
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

    def __post_init__(self):
        for name in ("test_start", "val_start"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                setattr(self, name, pd.Timestamp(value).strftime("%Y-%m-%d"))
            elif value:  # the same reader as the data's dates: 01.06.2012 is 1 June
                from ..inputs.tables import date_text

                try:
                    setattr(self, name, date_text(value))
                except ValueError as exc:
                    raise InputError(f"{name}: {exc}", field=name.upper(), fix="write it as YYYY-MM-DD") from None
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
                raise InputError(f"{name}={getattr(self, name)!r} {problem}", field=name.upper(),
                                 fix="use the documented range")
        if self.test_start and self.val_start and pd.Timestamp(self.val_start) >= pd.Timestamp(self.test_start):
            raise InputError("the validation start must be before the test start", field="VAL_START",
                             fix="pick a VAL_START earlier than TEST_START")


def resolve_device(name):
    """'auto' -> cuda when available; 'cuda' without a GPU falls back to cpu."""
    if name == "auto" or str(name).startswith("cuda"):
        if torch.cuda.is_available():
            return torch.device("cuda" if name == "auto" else name)
        return torch.device("cpu")
    return torch.device("cpu")


# ----------------------------------------------------------------------------------------------------------
# splits and scalers
def split_dates(observed_dates, config):
    """Split boundaries for one well: dict of Timestamps train_start, val_start, test_start, end.

    ``observed_dates``: dates with an observed level. train = [train_start, val_start), validation =
    [val_start, test_start), test = [test_start, end]. Fractions apply to the observed span (first to last
    observation); explicit dates override them.
    """
    dates = pd.DatetimeIndex(observed_dates).sort_values()
    if len(dates) == 0:
        raise WellInputError("no observed level", field="level", fix="give the well some observations")
    first, last = dates[0], dates[-1]
    total = config.train_frac + config.val_frac
    if config.test_start:
        test_start = pd.Timestamp(config.test_start)
        before = dates[dates < test_start]
        if len(before) == 0:
            raise WellInputError(f"no observation before the test start {test_start.date()}",
                                 field="TEST_START", fix="pick a later TEST_START or drop the well")
        pre_last = before[-1]
        if config.val_start:
            val_start = pd.Timestamp(config.val_start)
        else:
            span = (pre_last - first).days
            frac = config.train_frac / total if total > 0 else 1.0
            val_start = first + pd.Timedelta(days=int(round(frac * span))) if config.val_frac > 0 else test_start
    else:
        span = (last - first).days
        if config.val_start:
            val_start = pd.Timestamp(config.val_start)
        else:
            val_start = first + pd.Timedelta(days=int(round(config.train_frac * span)))
        if total >= 1:
            test_start = last + pd.Timedelta(days=1)
        else:
            test_start = first + pd.Timedelta(days=int(round(total * span)))
        test_start = max(test_start, val_start)
    val_start = min(val_start, test_start)
    return {"train_start": first, "val_start": val_start, "test_start": test_start, "end": last}


def split_spans(b):
    """Boundaries from ``split_dates`` -> {'train'|'val'|'test': (first day, last day)}, inclusive."""
    day = pd.Timedelta(days=1)
    return {"train": (b["train_start"], b["val_start"] - day), "val": (b["val_start"], b["test_start"] - day),
            "test": (b["test_start"], b["end"])}


def split_labels(dates, splits):
    """'train' / 'val' / 'test' for each date (days before the validation start count as train)."""
    dates = pd.DatetimeIndex(dates)
    lab = np.full(len(dates), "train", dtype=object)
    lab[dates >= splits["val_start"]] = "val"
    lab[dates >= splits["test_start"]] = "test"
    return lab


def _fit_scaler(values):
    values = np.asarray(values, dtype=np.float64)
    mean = np.nanmean(values, axis=0)
    std = np.nanstd(values, axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0)
    return mean, std


# ----------------------------------------------------------------------------------------------------------
# windows and forward passes
def _window_starts(loss_mask, lookback, window, rng):
    """Start positions (first loss day) of the windows that tile the loss days with a random offset."""
    pos = np.flatnonzero(loss_mask)
    n = len(loss_mask)
    if len(pos) == 0:
        return np.zeros(0, dtype=np.int64)
    lo, hi = pos[0], pos[-1] + 1
    offset = int(rng.integers(window)) if window > 1 else 0
    starts = np.arange(lo - offset, hi, window)
    starts = np.clip(starts, lookback, n - window)
    starts = np.unique(starts)
    csum = np.concatenate([[0], np.cumsum(loss_mask)])
    keep = (csum[starts + window] - csum[starts]) > 0
    return starts[keep]


def _gather(x, starts, before, after):
    """x[s - before : s + after] for every start, stacked: (N, before + after, F)."""
    idx = torch.as_tensor(starts, dtype=torch.long, device=x.device)[:, None] + torch.arange(
        -before, after, device=x.device)[None, :]
    return x[idx]


def _forward_span(member, x, lookback, chunk, lo, hi, batch=64):
    """Scaled predictions for positions [lo, hi) (lo >= lookback), chunks of ``chunk`` days after a warm-up."""
    n = x.shape[0]
    starts = np.arange(lo, hi, chunk)
    out = torch.empty(hi - lo, device=x.device)
    # pad at the end so that every chunk has the same length; the LSTM is causal, padding changes nothing before
    pad = max(0, int(starts[-1]) + chunk - n) if len(starts) else 0
    xp = torch.cat([x, x.new_zeros(pad, x.shape[1])]) if pad else x
    steps = torch.arange(chunk, device=x.device)
    for b in range(0, len(starts), batch):
        s = starts[b:b + batch]
        y = member(_gather(xp, s, lookback, chunk))[:, lookback:]
        pos = torch.as_tensor(s - lo, device=x.device)[:, None] + steps[None, :]
        keep = pos < (hi - lo)
        out[pos[keep]] = y[keep]
    return out


def _nse(obs, sim):
    den = float(((obs - obs.mean()) ** 2).sum())
    if den <= 0:
        return float("nan")
    return 1.0 - float(((obs - sim) ** 2).sum()) / den


def _check(is_canceled):
    if is_canceled is not None and is_canceled():
        raise Canceled("training was cancelled")


class _Member:
    """One ensemble member in training: its network, optimiser and random streams (window offsets and order
    from NumPy, dropout from torch's generator, kept per member so members can train in lockstep)."""

    def __init__(self, n_features, config, seed, device):
        self.seed = int(seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.torch_state = torch.get_rng_state()
        self.model = WellLSTM(n_features, config.hidden, config.dropout, seed=self.seed).to(device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=config.learning_rate,
                                    weight_decay=config.weight_decay)
        self.rng = np.random.default_rng([self.seed, 7])
        self.active = True
        self.best = (-math.inf, 0, None)
        self.epochs_run = 0

    def train_epoch(self, data, loss_mask, config, window, is_canceled):
        x, yv, ymask = data
        lookback = config.lookback
        model = self.model
        with torch.random.fork_rng(devices=[]):
            torch.set_rng_state(self.torch_state)
            model.train()
            starts = _window_starts(loss_mask, lookback, window, self.rng)
            self.rng.shuffle(starts)
            for b in range(0, len(starts), config.batch_size):
                _check(is_canceled)
                s = starts[b:b + config.batch_size]
                xb = _gather(x, s, lookback, window)
                yb = _gather(yv[:, None], s, 0, window)[..., 0]
                mb = _gather(ymask[:, None], s, 0, window)[..., 0].to(x.dtype)
                pred = model(xb)[:, lookback:]
                loss = (((pred - yb) ** 2) * mb).sum() / mb.sum().clamp_min(1.0)
                if not torch.isfinite(loss):
                    raise WellInputError("training diverged (NaN or infinite loss)", field="level",
                                         fix="check the level and driver values for outliers, or lower LEARNING_RATE")
                self.opt.zero_grad(set_to_none=True)
                loss.backward()
                if config.grad_clip:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                self.opt.step()
            self.torch_state = torch.get_rng_state()
        self.epochs_run += 1

    def predict(self, x, lookback, window, lo, hi):
        self.model.eval()
        with torch.no_grad():
            return _forward_span(self.model, x, lookback, window, lo, hi)

    def state(self):
        return {k: v.detach().to("cpu").clone() for k, v in self.model.state_dict().items()}


def _fit_members(x, y, loss_mask, val_mask, config, seeds, n_epochs, early_stop, device, is_canceled, on_epoch):
    """Train members (one per seed) in lockstep, epoch by epoch.

    n_epochs: an int (every member) or a list (one per member: a refit for the epochs early stopping chose).
    early_stop: None, 'member' (each member stops on its own validation score) or 'ensemble' (one epoch count
    for all members, where the validation score of the ensemble mean is best: a much less noisy curve than a
    single member's). Returns [(state_dict on cpu, epochs used, validation score or None, epochs run)].
    """
    lookback = config.lookback
    n = x.shape[0]
    window = max(1, min(config.window, n - lookback))
    epochs = list(n_epochs) if isinstance(n_epochs, (list, tuple)) else [int(n_epochs)] * len(seeds)
    members = [_Member(x.shape[1], config, s, device) for s in seeds]
    data = (x, torch.nan_to_num(y), torch.as_tensor(loss_mask, device=device))
    val_pos = np.flatnonzero(val_mask)
    val_pos = val_pos[val_pos >= lookback]
    if early_stop and len(val_pos) > 0:
        v_lo, v_hi = int(val_pos[0]), int(val_pos[-1]) + 1
        v_idx = torch.as_tensor(val_pos - v_lo, device=device)
        v_obs = y[torch.as_tensor(val_pos, device=device)]
        use_nse = len(v_idx) >= 5 and float(v_obs.std()) > 0
    else:
        early_stop = None

    def score_of(sim):
        sc = _nse(v_obs, sim) if use_nse else -float(((v_obs - sim) ** 2).mean())
        return sc if math.isfinite(sc) else -math.inf

    group_best = (-math.inf, 0, None)
    for epoch in range(1, max(epochs) + 1):
        for m, e in zip(members, epochs):
            if m.active and epoch > e:
                m.active = False
                m.best = (None, e, m.state())
        active = [m for m in members if m.active]
        if not active:
            break
        for m in active:
            m.train_epoch(data, loss_mask, config, window, is_canceled)
        score = None
        if early_stop == "member":
            for m in active:
                sc = score_of(m.predict(x, lookback, window, v_lo, v_hi)[v_idx])
                if sc > m.best[0]:
                    m.best = (sc, epoch, m.state())
                if epoch - m.best[1] >= config.patience:
                    m.active = False
            score = max(m.best[0] for m in members)
        elif early_stop == "ensemble":
            sims = torch.stack([m.predict(x, lookback, window, v_lo, v_hi)[v_idx] for m in members])
            score = score_of(sims.mean(0))
            if score > group_best[0]:
                group_best = (score, epoch, [m.state() for m in members])
            if epoch - group_best[1] >= config.patience:
                for m in members:
                    m.active = False
        if on_epoch is not None:
            on_epoch(epoch, max(epochs), score)
    out = []
    for k, m in enumerate(members):
        if early_stop == "ensemble" and group_best[2] is not None:
            out.append((group_best[2][k], group_best[1], group_best[0], m.epochs_run))
        elif early_stop == "member" and m.best[2] is not None:
            out.append((m.best[2], m.best[1], m.best[0], m.epochs_run))
        elif m.best[2] is not None:  # stopped at its own epoch count
            out.append((m.best[2], m.best[1], None, m.epochs_run))
        else:
            out.append((m.state(), m.epochs_run, None, m.epochs_run))
    return out


def _fit_member(x, y, loss_mask, val_mask, config, seed, n_epochs, early_stop, device, is_canceled, on_epoch):
    """One member alone (see ``_fit_members``): (state_dict on cpu, epochs used, validation score, info)."""
    (state, used, score, run), = _fit_members(x, y, loss_mask, val_mask, config, [seed], n_epochs,
                                              "member" if early_stop else None, device, is_canceled, None)
    return state, used, score, {"epochs_run": run}


# ----------------------------------------------------------------------------------------------------------
# a trained well
class TrainedWell:
    """The ensemble of one well with everything needed to simulate new forcing.

    Attributes: well_id, members (list of ``WellLSTM`` in eval mode, on cpu), feature_names,
    feature_drivers (feature -> {driver: weight}), scalers ({'x_mean', 'x_std': lists per feature,
    'y_mean', 'y_std': floats}), splits ({'train'|'val'|'test': (first day, last day)} Timestamps, inclusive;
    the test part runs to the last observation, an empty validation part has its last day before its first),
    config
    (``TrainConfig``), metrics ({split: {nse, kge, r, alpha, beta, rmse, mae, bias}}), period_metrics
    ({split: {period: {...}}}), status ('ok'), info (epochs per member, seconds, device), simulation (the
    DataFrame from training, date/observed/simulated/lower/upper/split; None after loading from a folder).
    """

    def __init__(self, well_id, members, feature_names, feature_drivers, scalers, splits, config,
                 metrics=None, period_metrics=None, status="ok", info=None, simulation=None, n_obs=None):
        self.well_id = well_id
        self.members = list(members)
        for m in self.members:
            m.eval()
        self.feature_names = list(feature_names)
        self.feature_drivers = {k: dict(v) for k, v in (feature_drivers or {}).items()}
        self.scalers = scalers
        self.splits = {k: (pd.Timestamp(v[0]), pd.Timestamp(v[1])) for k, v in splits.items()}
        self.config = config
        self.metrics = metrics or {}
        self.period_metrics = period_metrics or {}
        self.status = status
        self.info = info or {}
        self.simulation = simulation
        self.n_obs = n_obs

    def __repr__(self):
        nse = self.metrics.get("test", {}).get("nse")
        return f"TrainedWell({self.well_id!r}, members={len(self.members)}, test NSE={nse})"

    @property
    def lookback(self):
        return int(self.config.lookback)

    @property
    def y_std(self):
        """Metres per unit of the scaled level (the model output)."""
        return float(self.scalers["y_std"])

    @property
    def boundaries(self):
        """{'train_start', 'val_start', 'test_start', 'end'} Timestamps (see ``split_dates``)."""
        return {"train_start": self.splits["train"][0], "val_start": self.splits["val"][0],
                "test_start": self.splits["test"][0], "end": self.splits["test"][1]}

    # --- inputs
    def scaled_inputs(self, features_df):
        """The features of ``features_df`` (columns ``feature_names``), scaled: (T, F) float32."""
        missing = [c for c in self.feature_names if c not in features_df.columns]
        if missing:
            raise InputError(f"the inputs lack the feature(s) {missing} that the model was trained on",
                             well=self.well_id, field=missing[0],
                             fix="give the same drivers (roles) as for training")
        x = features_df[self.feature_names].to_numpy(dtype=np.float64)
        x = (x - np.asarray(self.scalers["x_mean"])) / np.asarray(self.scalers["x_std"])
        return np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)

    def windows(self, x_scaled, end_positions):
        """Model input whose last step is the prediction for each position: (N, lookback, F) float32 tensor.

        Window i holds the ``lookback`` days that end at ``end_positions[i]`` (inclusive); the prediction of a
        member for that day is ``member(windows)[:, -1]`` (scaled; see ``unscale``). Positions below
        ``lookback - 1`` have no full window and raise.
        """
        x = torch.as_tensor(np.asarray(x_scaled, dtype=np.float32))
        ends = np.asarray(end_positions, dtype=np.int64)
        if len(ends) and (ends.min() < self.lookback - 1 or ends.max() >= len(x)):
            raise InputError(f"window end positions must lie in [{self.lookback - 1}, {len(x) - 1}]",
                             well=self.well_id, field="end_positions", fix="explain days after the warm-up")
        return _gather(x, ends + 1, self.lookback, 0) if len(ends) else x.new_zeros((0, self.lookback, x.shape[1]))

    def predict_windows(self, member, windows):
        """Level in metres predicted by ``member`` for the last day of each window: (N,) numpy array."""
        with torch.no_grad():
            y = member(torch.as_tensor(windows, dtype=torch.float32))[:, -1]
        return self.unscale(y.numpy())

    def unscale(self, y_scaled):
        """Scaled level -> metres."""
        return np.asarray(y_scaled, dtype=np.float64) * self.scalers["y_std"] + self.scalers["y_mean"]

    # --- simulation
    def simulate_members(self, features_df):
        """(dates, array (members, days)) in metres for every day after the first ``lookback`` days."""
        x = torch.as_tensor(self.scaled_inputs(features_df))
        n = x.shape[0]
        dates = pd.DatetimeIndex(features_df.index)
        if n <= self.lookback:
            return dates[:0], np.zeros((len(self.members), 0))
        chunk = max(1, int(self.config.window))
        sims = []
        with torch.no_grad():
            for m in self.members:
                sims.append(_forward_span(m, x, self.lookback, chunk, self.lookback, n).numpy())
        return dates[self.lookback:], self.unscale(np.stack(sims))

    def simulate(self, features_df):
        """DataFrame(date, simulated, lower, upper) in metres: ensemble mean and the spread of its members
        (their 5 and 95 % quantiles: with a few members, nearly their lowest and highest, not an interval).

        ``features_df`` has a daily DatetimeIndex and the columns ``feature_names``; its first ``lookback`` days
        are warm-up and get no row.
        """
        dates, sims = self.simulate_members(features_df)
        return pd.DataFrame({
            "date": dates,
            "simulated": sims.mean(axis=0),
            "lower": np.quantile(sims, QUANTILES[0], axis=0),
            "upper": np.quantile(sims, QUANTILES[1], axis=0),
        })


# ----------------------------------------------------------------------------------------------------------
# metrics
def _metrics(obs, sim):
    from ..evaluation.metrics import all_metrics

    obs = np.asarray(obs, dtype=float)
    sim = np.asarray(sim, dtype=float)
    ok = np.isfinite(obs) & np.isfinite(sim)
    if ok.sum() < 2:
        return {k: float("nan") for k in METRIC_NAMES}
    out = all_metrics(obs[ok], sim[ok])
    return {k: float(out[k]) if out.get(k) is not None else float("nan") for k in METRIC_NAMES}


def _split_metrics(sim_df):
    return {s: _metrics(g["observed"], g["simulated"]) for s, g in
            ((s, sim_df[sim_df["split"] == s]) for s in SPLITS)}


def _period_labels(periods, well_id, dates):
    """Period label per date from a periods labelling (DataFrame with date/period and optional well_id,
    a Series indexed by date, a dict well_id -> Series, or a callable(well_id, dates))."""
    if periods is None:
        return None
    if callable(periods):
        lab = periods(well_id, dates)
        return None if lab is None else pd.Series(np.asarray(lab, dtype=object), index=dates)
    if isinstance(periods, dict):
        ser = periods.get(well_id)
    elif isinstance(periods, pd.Series):
        ser = periods
    elif isinstance(periods, pd.DataFrame):
        df = periods
        if "well_id" in df.columns:
            df = df[df["well_id"].astype(str) == str(well_id)]
        if df.empty:
            return None
        ser = pd.Series(df["period"].to_numpy(), index=pd.DatetimeIndex(df["date"]))
    else:
        raise InputError("periods must be a DataFrame (well_id, date, period), a Series or a dict",
                         field="periods", fix="pass the labelling from core.hydrology.periods")
    if ser is None:
        return None
    ser = ser[~ser.index.duplicated()]
    return ser.reindex(pd.DatetimeIndex(dates))


def _period_metrics(sim_df):
    out = {}
    if "period" not in sim_df:
        return out
    for s in SPLITS:
        g = sim_df[sim_df["split"] == s]
        per = {}
        for p, gp in g.groupby("period"):
            per[str(p)] = _metrics(gp["observed"], gp["simulated"])
        if per:
            out[s] = per
    return out


# ----------------------------------------------------------------------------------------------------------
# one well
def prepare_arrays(record, config, roles):
    """Features, splits and scalers of one well (no training): a dict used by ``train_well``."""
    from ..hydrology.features import derive_features

    frame = record.frame
    feats, drivers = derive_features(frame, roles, lat=getattr(record, "lat", None), config=config.feature_config())
    feats = feats.reindex(frame.index)
    names = [c for c in feats.columns]
    level = frame["level"].astype(float)
    observed = level.notna().to_numpy()
    dates = pd.DatetimeIndex(frame.index)
    splits = split_dates(dates[observed], config)
    labels = split_labels(dates, splits)
    in_train = dates < splits["val_start"]
    x_mean, x_std = _fit_scaler(feats.to_numpy(dtype=np.float64)[in_train])
    train_obs = observed & (labels == "train")
    y_train = level.to_numpy()[train_obs]
    if len(y_train) < config.min_train_obs:
        raise WellInputError(f"only {len(y_train)} observed days in the training part (at least "
                             f"{config.min_train_obs} needed)", well=record.well_id, field="level",
                             fix="give a longer record, or lower TRAIN_FRAC / move VAL_START later")
    y_mean, y_std = float(np.mean(y_train)), float(np.std(y_train))
    if not y_std > 1e-9:
        raise WellInputError("the level is constant in the training part: nothing to learn", well=record.well_id,
                             field="level", fix="check the level column of this well")
    scalers = {"x_mean": [float(v) for v in x_mean], "x_std": [float(v) for v in x_std],
               "y_mean": y_mean, "y_std": y_std}
    return {"features": feats, "feature_names": names, "feature_drivers": drivers, "level": level,
            "observed": observed, "labels": labels, "splits": splits, "scalers": scalers, "dates": dates}


def train_well(record, config, roles, progress=None, is_canceled=None, periods=None):
    """Train the ensemble of one well. ``record``: a ``data.WellRecord``. Returns a ``TrainedWell``.

    Raises ``WellInputError`` when the well cannot be trained (too few observations, constant level, diverging
    loss) and ``Canceled`` (checked between batches) when ``is_canceled()`` becomes true.
    ``progress(fraction, message)`` is called after every epoch.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    config = config.validate().resolved()
    prep = prepare_arrays(record, config, roles)
    tw = TrainedWell(record.well_id, [], prep["feature_names"], prep["feature_drivers"], prep["scalers"],
                     split_spans(prep["splits"]), config)
    device = resolve_device(config.device)
    lookback = config.lookback
    n = len(prep["dates"])
    if n <= lookback + 1:
        raise WellInputError(f"the record has {n} days, not more than the lookback of {lookback} days",
                             well=record.well_id, field="LOOKBACK", fix="lower LOOKBACK or give longer forcing")
    x_np = tw.scaled_inputs(prep["features"])
    y_np = ((prep["level"].to_numpy() - tw.scalers["y_mean"]) / tw.scalers["y_std"]).astype(np.float32)
    has_hist = np.arange(n) >= lookback
    train_mask = prep["observed"] & (prep["labels"] == "train") & has_hist
    val_mask = prep["observed"] & (prep["labels"] == "val") & has_hist
    if train_mask.sum() < config.min_train_obs:
        raise WellInputError(f"only {int(train_mask.sum())} observed training days after the {lookback}-day "
                             f"warm-up (at least {config.min_train_obs} needed)", well=record.well_id,
                             field="LOOKBACK", fix="give forcing that starts earlier, or lower LOOKBACK")
    x = torch.as_tensor(x_np, device=device)
    y = torch.as_tensor(y_np, device=device)
    refit = config.refit and val_mask.any()
    n_members = config.ensemble
    seeds = [int(config.seed) + k for k in range(n_members)]
    phases = 2 if refit else 1

    def phase_progress(phase):
        def cb(epoch, total, score):
            if progress is not None:
                frac = (phase + epoch / max(1, total)) / phases
                what = "refit on train + validation" if phase else "training"
                progress(min(1.0, frac), f"well {record.well_id}: {what}, epoch {epoch}")
        return cb

    mode = None if config.early_stopping == "none" else config.early_stopping
    fits = _fit_members(x, y, train_mask, val_mask, config, seeds, config.epochs, mode, device, is_canceled,
                        phase_progress(0))
    epochs_used = [f[1] for f in fits]
    val_scores = [None if f[2] is None else float(f[2]) for f in fits]
    epochs_run = [f[3] for f in fits]
    states = [f[0] for f in fits]
    if refit:
        refits = _fit_members(x, y, train_mask | val_mask, val_mask, config, seeds, epochs_used, None, device,
                              is_canceled, phase_progress(1))
        states = [f[0] for f in refits]
        epochs_run = [a + f[3] for a, f in zip(epochs_run, refits)]
    members = []
    for state in states:
        m = WellLSTM(x.shape[1], config.hidden, config.dropout)
        m.load_state_dict(state)
        m.eval()
        members.append(m)
    tw.members = members
    tw.info = {"epochs": epochs_used, "epochs_run": epochs_run, "val_score_early_stopping": val_scores,
               "refit": bool(refit),
               "device": str(device), "seeds": seeds, "early_stopping": config.early_stopping}
    # simulation over the whole record and metrics
    dates, sims = tw.simulate_members(prep["features"])
    sim = pd.DataFrame({"date": dates, "observed": prep["level"].to_numpy()[lookback:],
                        "simulated": sims.mean(axis=0),
                        "lower": np.quantile(sims, QUANTILES[0], axis=0),
                        "upper": np.quantile(sims, QUANTILES[1], axis=0),
                        "split": prep["labels"][lookback:]})
    lab = _period_labels(periods, record.well_id, dates)
    if lab is not None:
        sim["period"] = lab.to_numpy()
    if not np.isfinite(sim["simulated"]).all():
        raise WellInputError("the simulation holds NaN values", well=record.well_id, field="level",
                             fix="check the drivers for gaps")
    tw.simulation = sim
    tw.metrics = _split_metrics(sim)
    tw.period_metrics = _period_metrics(sim)
    tw.n_obs = int(prep["observed"].sum())
    tw.info["seconds"] = round(time.perf_counter() - t0, 3)
    tw.info["cpu_seconds"] = round(time.process_time() - c0, 3)
    if progress is not None:
        progress(1.0, f"well {record.well_id}: done")
    return tw


# ----------------------------------------------------------------------------------------------------------
# the network
@dataclass
class NetworkResult:
    """trained: well_id -> TrainedWell; skipped: well_id -> reason; simulation: long DataFrame (well_id, date,
    observed, simulated, lower, upper, split[, period]); metrics: one row per well (status, n_obs, <metric>_<split>
    and, with periods, <metric>_<split>_<period>)."""

    trained: dict
    skipped: dict
    simulation: pd.DataFrame
    metrics: pd.DataFrame
    config: Optional[TrainConfig] = None
    seconds: float = 0.0


def _train_task(record, config, roles, reporter, periods):
    """Runs in a worker: ('ok', TrainedWell) or ('skipped', reason); Canceled propagates."""
    def progress(frac, msg):
        reporter.progress(record.well_id, frac, msg)

    try:
        return "ok", train_well(record, config, roles, progress=progress, is_canceled=reporter.is_canceled,
                                periods=periods)
    except Canceled:
        raise
    except WellInputError as exc:
        return "skipped", exc.problem
    except Exception as exc:  # one well never sinks the others
        return "skipped", f"{type(exc).__name__}: {exc}"


def _metrics_row(well_id, tw=None, reason=None, n_obs=None):
    row = {"well_id": well_id, "status": "ok" if tw is not None else f"skipped: {reason}",
           "n_obs": tw.n_obs if tw is not None else n_obs}
    for s in SPLITS:
        for k in METRIC_NAMES:
            row[f"{k}_{s}"] = tw.metrics.get(s, {}).get(k, np.nan) if tw is not None else np.nan
    if tw is not None:
        for s, per in tw.period_metrics.items():
            for p, vals in per.items():
                for k in METRIC_NAMES:
                    row[f"{k}_{s}_{p}"] = vals.get(k, np.nan)
    return row


def train_network(records, roles, config, executor=None, progress=None, is_canceled=None, periods=None):
    """Train every well (a map over wells through ``executor``). Returns a ``NetworkResult``.

    records: dict well_id -> ``data.WellRecord`` (or a list of them). A well that fails becomes ``skipped``
    with its reason; ``Canceled`` is raised within about a second of ``is_canceled()`` turning true.
    executor: ``executor.SerialExecutor`` / ``ProcessExecutor`` or anything with the same interface; None picks
    ``executor.default_executor`` (and shuts it down at the end).
    """
    from . import executor as ex

    t0 = time.perf_counter()
    config = config.validate().resolved()
    if not isinstance(records, dict):
        records = {r.well_id: r for r in records}
    well_ids = list(records)
    own = executor is None
    if own:
        executor = ex.default_executor(len(well_ids))
    fractions = {w: 0.0 for w in well_ids}
    last = [0.0]

    def sink(key, frac, msg):
        if key in fractions:
            fractions[key] = max(fractions[key], float(frac))
        if progress is not None and well_ids:
            overall = sum(fractions.values()) / len(well_ids)
            if overall >= last[0]:
                last[0] = overall
                progress(min(1.0, overall), msg)

    reporter = executor.channel(sink, is_canceled)
    trained, skipped = {}, {}

    def on_result(w, result):
        kind, value = result
        (trained if kind == "ok" else skipped)[w] = value
        sink(w, 1.0, f"well {w}: {'done' if kind == 'ok' else 'skipped: ' + value}")

    try:
        ex.run_tasks(executor, {w: (_train_task, (records[w], config, roles, reporter, periods)) for w in well_ids},
                     on_result, is_canceled, "training was cancelled")
    finally:
        if own:
            executor.shutdown(wait=True)
    trained = {w: trained[w] for w in well_ids if w in trained}
    skipped = {w: skipped[w] for w in well_ids if w in skipped}
    sims = []
    for w, tw in trained.items():
        s = tw.simulation.copy()
        s.insert(0, "well_id", w)
        sims.append(s)
    cols = ["well_id", "date", "observed", "simulated", "lower", "upper", "split"]
    simulation = pd.concat(sims, ignore_index=True) if sims else pd.DataFrame(columns=cols)
    rows = [_metrics_row(w, tw=trained.get(w), reason=skipped.get(w),
                         n_obs=int(records[w].frame["level"].notna().sum()) if w in skipped else None)
            for w in well_ids]
    metrics = pd.DataFrame(rows)
    return NetworkResult(trained, skipped, simulation, metrics, config, round(time.perf_counter() - t0, 3))


# ----------------------------------------------------------------------------------------------------------
# simulation with trained wells (new forcing, scenarios, forecasts)
def simulate_record(trained_well, record, roles, periods=None):
    """Simulate one ``data.WellRecord`` (any span) with a trained well: DataFrame(date, observed, simulated,
    lower, upper, split[, period]); ``observed`` is NaN where the record has no level (e.g. in the future)."""
    from ..hydrology.features import derive_features

    tw = trained_well
    feats, _ = derive_features(record.frame, roles, lat=getattr(record, "lat", None),
                               config=tw.config.feature_config())
    sim = tw.simulate(feats)
    level = record.frame["level"] if "level" in record.frame else pd.Series(np.nan, index=record.frame.index)
    sim.insert(1, "observed", level.reindex(pd.DatetimeIndex(sim["date"])).to_numpy(dtype=float))
    sim["split"] = split_labels(sim["date"], tw.boundaries)
    lab = _period_labels(periods, tw.well_id, pd.DatetimeIndex(sim["date"]))
    if lab is not None:
        sim["period"] = lab.to_numpy()
    return sim


def simulate_network(trained, records, roles, progress=None, is_canceled=None, periods=None):
    """Simulate every record that has a trained well. Returns (simulation DataFrame with ``well_id`` first,
    skipped dict well_id -> reason). Days within the first ``lookback`` days of each record are warm-up."""
    if not isinstance(records, dict):
        records = {r.well_id: r for r in records}
    sims, skipped = [], {}
    n = max(1, len(records))
    for i, (w, rec) in enumerate(records.items()):
        _check(is_canceled)
        tw = trained.get(w)
        if tw is None:
            skipped[w] = "no trained model for this well in the model folder"
            continue
        try:
            s = simulate_record(tw, rec, roles, periods=periods)
        except Canceled:
            raise
        except Exception as exc:  # one well never sinks the others
            skipped[w] = getattr(exc, "problem", None) or f"{type(exc).__name__}: {exc}"
            continue
        if len(s) == 0:
            skipped[w] = f"the forcing is not longer than the {tw.lookback}-day warm-up"
            continue
        s.insert(0, "well_id", w)
        sims.append(s)
        if progress is not None:
            progress((i + 1) / n, f"simulated well {w}")
    cols = ["well_id", "date", "observed", "simulated", "lower", "upper", "split"]
    out = pd.concat(sims, ignore_index=True) if sims else pd.DataFrame(columns=cols)
    return out, skipped
