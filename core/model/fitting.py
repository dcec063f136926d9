"""Fitting the ensemble members of one well on long windows with a warm-up, and early stopping.

Each epoch the training days are tiled by windows of ``lookback + window`` days with a random offset: the first
``lookback`` days of a window are warm-up, the loss is the MSE on every *observed* training day of the ``window``
days after it (gappy and weekly series train as they are; nothing is interpolated). Compared with sliding windows
that predict one day each, every time step is computed about once per epoch instead of ``lookback`` times. Early
stopping watches the validation NSE (the MSE when the validation part is too small).
"""
import math

import numpy as np
import torch

from ..errors import Canceled, WellInputError
from .lstm import WellLSTM


def fit_scaler(values):
    values = np.asarray(values, dtype=np.float64)
    mean = np.nanmean(values, axis=0)
    std = np.nanstd(values, axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0)
    return mean, std


def window_starts(loss_mask, lookback, window, rng):
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


def gather_windows(x, starts, before, after):
    """x[s - before : s + after] for every start, stacked: (N, before + after, F)."""
    idx = torch.as_tensor(starts, dtype=torch.long, device=x.device)[:, None] + torch.arange(
        -before, after, device=x.device)[None, :]
    return x[idx]


def forward_span(member, x, lookback, chunk, lo, hi, batch=64):
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
        y = member(gather_windows(xp, s, lookback, chunk))[:, lookback:]
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
            starts = window_starts(loss_mask, lookback, window, self.rng)
            self.rng.shuffle(starts)
            for b in range(0, len(starts), config.batch_size):
                _check(is_canceled)
                s = starts[b:b + config.batch_size]
                xb = gather_windows(x, s, lookback, window)
                yb = gather_windows(yv[:, None], s, 0, window)[..., 0]
                mb = gather_windows(ymask[:, None], s, 0, window)[..., 0].to(x.dtype)
                pred = model(xb)[:, lookback:]
                loss = (((pred - yb) ** 2) * mb).sum() / mb.sum().clamp_min(1.0)
                if not torch.isfinite(loss):
                    raise WellInputError("training diverged (NaN or infinite loss)", field="level",
                                         fix="check the level and driver values for outliers, or lower `learning_rate`")
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
            return forward_span(self.model, x, lookback, window, lo, hi)

    def state(self):
        return {k: v.detach().to("cpu").clone() for k, v in self.model.state_dict().items()}


def fit_members(x, y, loss_mask, val_mask, config, seeds, n_epochs, early_stop, device, is_canceled, on_epoch):
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
    val = _Validation(y, val_mask, lookback, device)
    if not val.days:
        early_stop = None

    def on_validation(m):
        return val.score(m.predict(x, lookback, window, val.lo, val.hi)[val.idx])

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
                sc = on_validation(m)
                if sc > m.best[0]:
                    m.best = (sc, epoch, m.state())
                if epoch - m.best[1] >= config.patience:
                    m.active = False
            score = max(m.best[0] for m in members)
        elif early_stop == "ensemble":
            sims = torch.stack([m.predict(x, lookback, window, val.lo, val.hi)[val.idx] for m in members])
            score = val.score(sims.mean(0))
            if score > group_best[0]:
                group_best = (score, epoch, [m.state() for m in members])
            if epoch - group_best[1] >= config.patience:
                for m in members:
                    m.active = False
        if on_epoch is not None:
            on_epoch(epoch, max(epochs), score)
    return [_result(k, m, early_stop, group_best) for k, m in enumerate(members)]


class _Validation:
    """The validation days (after the warm-up) and their score: the NSE where there are enough days with some
    spread, else minus the mean squared error; never NaN (a diverged member scores minus infinity)."""

    def __init__(self, y, val_mask, lookback, device):
        pos = np.flatnonzero(val_mask)
        pos = pos[pos >= lookback]
        self.days = len(pos)
        if self.days:
            self.lo, self.hi = int(pos[0]), int(pos[-1]) + 1
            self.idx = torch.as_tensor(pos - self.lo, device=device)
            self.obs = y[torch.as_tensor(pos, device=device)]
            self.use_nse = len(self.idx) >= 5 and float(self.obs.std()) > 0

    def score(self, sim):
        sc = _nse(self.obs, sim) if self.use_nse else -float(((self.obs - sim) ** 2).mean())
        return sc if math.isfinite(sc) else -math.inf


def _result(k, m, early_stop, group_best):
    """(state_dict, epochs used, validation score or None, epochs run) of member ``k``."""
    if early_stop == "ensemble" and group_best[2] is not None:
        return group_best[2][k], group_best[1], group_best[0], m.epochs_run
    if early_stop == "member" and m.best[2] is not None:
        return m.best[2], m.best[1], m.best[0], m.epochs_run
    if m.best[2] is not None:  # stopped at its own epoch count
        return m.best[2], m.best[1], None, m.epochs_run
    return m.state(), m.epochs_run, None, m.epochs_run


def fit_member(x, y, loss_mask, val_mask, config, seed, n_epochs, early_stop, device, is_canceled, on_epoch):
    """One member alone (see ``fit_members``): (state_dict on cpu, epochs used, validation score, info)."""
    (state, used, score, run), = fit_members(x, y, loss_mask, val_mask, config, [seed], n_epochs,
                                              "member" if early_stop else None, device, is_canceled, None)
    return state, used, score, {"epochs_run": run}
