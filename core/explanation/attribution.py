"""Expected gradients per freeze-thaw period: which driver moves each well's level, and how much.

Method
------
captum's ``GradientShap`` with ``stdevs=0`` is the expected-gradients estimator (Erion et al. 2021): for an
explained day with input window ``x``, each draw picks a baseline window ``b`` from the well's own training
windows and a point ``a ~ U(0, 1)`` on the straight path, and contributes ``(x - b) * grad f(b + a (x - b))``.
The mean over draws converges to attributions that add up to ``f(x) - E[f(b)]`` (completeness).

- **What f is.** The prediction for day t is ``member(window)[:, -1]`` (a window of ``lookback`` days ending
  on t); the ensemble prediction is the mean of the members, and expected gradients are linear in f, so the
  ensemble's attribution is the mean of the members' attributions. The draws of each day are spread over the
  members round-robin (every member at least one draw per day) and the members' estimates averaged.
- **What n_samples means (read this).** ``n_samples`` (default 200) is the number of draws behind each
  (period, winter) mean, not behind each single day: a group of D explained days gets
  ``max(members, ceil(n_samples / D))`` draws per day. What the outputs report are means over many days, and
  a period mean over D days with k draws each rests on D x k draws: for the *signed* means that is the
  precision of one day explained with D x k draws. The *absolute* means (and so the shares) carry an upward
  bias from per-day noise (``|noise|`` does not average out; the per-draw terms are heavy-tailed on an
  LSTM); measured on the sample network, going from 5 to 40 and 160 draws per day moved the shares by at most
  about 0.06 and changed no dominant driver. Per-day attributions are never reported. With 200 draws per
  single day (captum's usual meaning) the default sample network would take more than ten times as long to
  explain as to train (about 95 s for 24 wells at 5 draws per day against 220-440 s of training, serial,
  2 shared cores); the issue asks for no longer than training.
- **Which days.** The explained span (default: the test split; ``span='all'``: every day with a full
  lookback window). Days are labelled freezing / thawing / unfrozen and grouped by winter (a winter runs from
  1 July to 30 June and is named by the year it starts in, as in ``core.hydrology.periods``); ``days_per_period`` days
  of each (period, winter) group are drawn at random (0: all days). Period means weight every explained day
  equally; the ``overall`` figures weigh the periods with explained days equally (``shares``: one definition
  for the map and the dynamics types). Processing runs in chunks of at most ``chunk_size`` windows per captum call.
- **Baselines.** ``baseline_windows`` windows ending on training days of the same well, drawn once per well
  with the well's seed; ``E f(b)`` for the completeness check is the ensemble mean over exactly that pool.
- **Features to drivers.** Attributions are summed over the lookback per input feature, then handed to
  drivers with the weights of ``feature_drivers`` (``core.hydrology.features``: snow store, snowmelt and liquid input
  and their rolling means count half for precipitation and half for temperature; frost index and Oudin
  evaporation for temperature; rolling means for their driver). Per day, the driver's attribution is the
  signed sum over its features and lags; ``mean_abs`` is the mean of its absolute value over the days.
  Day-of-year inputs map to ``season``: reported in their own rows, never in the share denominator and never
  dominant.
- **Shares.** ``share = mean_abs / sum of mean_abs over the drivers`` (season excluded from the sum, so the
  drivers' shares add up to 1 and season's share says how large the calendar's part is next to them).
- **Lags.** ``lags`` holds the mean signed and mean absolute attribution per lag day (0 = the explained day)
  and driver; the absolute profile has the per-day noise floor described above, the signed one does not.
- **Units.** Metres: model outputs times the trained well's ``y_std`` (attributions are differences, so the
  offset drops out).

Quality figures (``WellExplanation.quality``)
- ``completeness_error``: ``|sum over days of (sum of attributions - (f(x) - E f(b)))| / sum over days of
  |f(x) - E f(b)|`` per period and overall: do the period's attributions add up (0 = exactly);
  ``completeness_error_daily`` uses ``|...|`` per day instead (it includes the per-day Monte-Carlo noise).
- ``seed_agreement``: the explained days of every (period, winter) group are split at random into two halves,
  each explained with its own draws, and the figure is the cosine between the two halves' per-driver
  mean-abs vectors (season left out) per period and overall. This stands in for two full runs with different
  seeds at no extra cost (a full second run changes both the day sample and the draws; each half has half the
  days, so the figure is conservative). ``dominant_stable``: whether both halves name the same dominant driver.
  ``seed_agreement(a, b)`` compares two full runs.
- per period: ``runner_up`` (the second driver), ``margin`` (the winner's lead over it, as a share of the
  winner's share) and ``member_agreement`` (the fraction of ensemble members whose own attribution names the
  same winner); see ``shares.contest`` (quality.py).

Reproducibility: captum draws baselines and path points from NumPy's global generator; each well is explained
with NumPy and torch seeded from ``(seed, well_id)`` (so one well's numbers do not depend on the others, their
order or the executor), and NumPy's and torch's global states are restored afterwards. Same inputs, seed and
chunk size give the same numbers. On a GPU, cuDNN is disabled during attribution (its RNN backward refuses
eval mode); the models stay in eval mode.
"""
from __future__ import annotations

import contextlib
import logging
import time
from typing import Callable, Optional

import numpy as np
import pandas as pd

from ..errors import Canceled, WellInputError
from ..vocabulary import PERIODS
from .config import ATTRIBUTION_COLUMNS, LAG_COLUMNS, ExplainConfig, WellExplanation
from .quality import quality as well_quality
from .sampling import (
    Accumulator, draws_per_day, driver_matrix, sample_days, split_draws, valid_end_positions, well_seed,
)
from .shares import dominant_driver, period_weights, shares, weighted

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------- helpers


def _progress(progress, frac, msg):
    if progress is not None:
        progress(float(min(max(frac, 0.0), 1.0)), msg)


def _check_cancel(is_canceled):
    if is_canceled is not None and is_canceled():
        raise Canceled("explanation canceled")


def _dates(features_df):
    if "date" in features_df.columns:
        return pd.DatetimeIndex(pd.to_datetime(features_df["date"]))
    return pd.DatetimeIndex(pd.to_datetime(features_df.index))


def _split_bounds(trained):
    """{'train': (start, end), 'val': ..., 'test': ...} as Timestamps (inclusive), from ``TrainedWell.splits``."""
    return {k: (pd.Timestamp(v[0]), pd.Timestamp(v[1])) for k, v in trained.splits.items() if v is not None}


def _windows(trained, x, positions):
    return trained.windows(x, np.asarray(positions))  # (N, lookback, F) float32 tensor


# ------------------------------------------------------------------------------------------ explain_well


def explain_well(trained, features_df, labels, config: Optional[ExplainConfig] = None,
                 progress: Optional[Callable] = None, is_canceled: Optional[Callable] = None,
                 well_id: Optional[str] = None) -> WellExplanation:
    """Expected gradients for one trained well, per freeze-thaw period.

    trained: a TrainedWell (members, feature_names, feature_drivers, config.lookback, split dates,
        scaled_inputs, windows). features_df: the well's derived inputs (the frame the model was trained on,
        or the same features on the same forcing). labels: the period of each day (Series indexed by date, or
        an array aligned with features_df).
    """
    config = (config or ExplainConfig()).validate()
    t0 = time.perf_counter()
    wid = str(well_id if well_id is not None else getattr(trained, "well_id", "?"))
    if not list(trained.members):
        raise WellInputError("the trained well has no ensemble members", well=wid, setting="model_folder",
                             fix="train the well again")
    weights, drivers = driver_matrix(list(trained.feature_names), dict(trained.feature_drivers or {}))
    plan = _plan(trained, features_df, labels, config, wid)
    acc = _attribute(trained, plan, weights, config, wid, progress, is_canceled)
    pooled = {p: acc[(p, 0)].merged(acc[(p, 1)]) for p in PERIODS}
    attribution, lags, means, messages = _period_tables(pooled, drivers, trained.lookback, wid, plan)
    overall, dominant = _overall(pooled, means, attribution, drivers)
    quality = well_quality(acc, pooled, drivers, plan, config.ambiguity_margin)
    _mark_contests(attribution, quality)
    explanation = WellExplanation(wid, attribution, lags, overall, dominant, quality, messages)
    baseline = (getattr(trained, "info", None) or {}).get("baseline")
    if baseline is not None:  # trained with the Pastas baseline: the explanation checked against it
        from .crosscheck import annotate

        annotate(explanation, (baseline.get("shares") or {}).get(config.span))
    quality["seconds"] = time.perf_counter() - t0
    return explanation


class _Plan:
    """What one well's explanation works on: the scaled inputs, the days to explain (with their period, winter
    group, half and draws) and the baseline windows, drawn once with the well's seed."""

    def __init__(self, x, days, base_pos, span_counts, span_name, seed):
        self.x, self.days, self.base_pos = x, days, base_pos
        self.span_counts, self.span_name, self.seed = span_counts, span_name, seed


def _plan(trained, features_df, labels, config, wid):
    dates = _dates(features_df)
    lab = _day_labels(labels, dates, wid)
    x = np.asarray(trained.scaled_inputs(features_df), dtype=np.float32)
    valid = valid_end_positions(x, trained.lookback)
    in_train, in_span, span_name = _spans(trained, dates, config, wid)
    eligible = valid & in_span
    base_pos = np.flatnonzero(valid & in_train)
    if len(base_pos) == 0:
        raise WellInputError("no complete training window to draw baselines from", well=wid,
                             setting="model_folder", fix="give forcing that covers the training period")
    if not eligible.any():
        raise WellInputError(f"no day with a complete input window in the {span_name}", well=wid,
                             setting="span", fix="give forcing that covers the span, or explain span 'all'")
    seed = well_seed(config.seed, wid)
    rng = np.random.default_rng(seed)
    days = sample_days(dates, lab, eligible, config.days_per_period, rng)
    span_counts = {p: int(((lab == p) & eligible).sum()) for p in PERIODS}
    if len(base_pos) > config.baseline_windows:
        base_pos = np.sort(rng.choice(base_pos, size=config.baseline_windows, replace=False))
    group_size = days.groupby("group")["pos"].transform("size") if len(days) else days["pos"]
    days["k"] = [draws_per_day(config.n_samples, g, len(trained.members)) for g in group_size]
    return _Plan(x, days, base_pos, span_counts, span_name, seed)


def _day_labels(labels, dates, wid):
    """The period of each day as an array aligned with ``dates``."""
    if isinstance(labels, pd.Series) and isinstance(labels.index, pd.DatetimeIndex):
        return labels.reindex(dates).to_numpy(dtype=object)
    lab = np.asarray(labels, dtype=object)
    if len(lab) != len(dates):
        raise WellInputError(f"{len(lab)} period labels for {len(dates)} days", well=wid, setting="calendar",
                             fix="label every day of the features frame")
    return lab


def _spans(trained, dates, config, wid):
    """(training days, days of the explained span, the span's name) from the trained well's splits."""
    bounds = _split_bounds(trained)
    if "train" not in bounds:
        raise WellInputError("the model has no training split to draw baselines from", well=wid,
                             setting="model_folder", fix="train the well again")
    in_train = np.asarray((dates >= bounds["train"][0]) & (dates <= bounds["train"][1]))
    if config.span != "test":
        return in_train, np.ones(len(dates), bool), "whole record"
    if "test" not in bounds:
        raise WellInputError("the model has no test split", well=wid, setting="span", fix="explain span 'all' instead")
    in_span = np.asarray((dates >= bounds["test"][0]) & (dates <= bounds["test"][1]))
    return in_train, in_span, f"test span {bounds['test'][0].date()}..{bounds['test'][1].date()}"


def _chunks(days, config, n_members):
    """Days with the same number of draws, at most ``chunk_size`` windows per member and captum call."""
    chunks = []
    for k, g in days.groupby("k", sort=True):
        per_call = max(1, config.chunk_size // max(split_draws(k, n_members)))
        chunks += [(int(k), g.iloc[i:i + per_call]) for i in range(0, len(g), per_call)]
    return chunks


def _attribute(trained, plan, weights, config, wid, progress, is_canceled):
    """Accumulated attributions per (period, half of the days): captum's GradientShap over the ensemble, with
    NumPy and torch seeded for the well and their global states restored afterwards."""
    import torch
    from captum.attr import GradientShap

    members = list(trained.members)
    device = next(members[0].parameters()).device
    pool = _windows(trained, plan.x, plan.base_pos).to(device=device, dtype=torch.float32)
    w_t = torch.as_tensor(weights, dtype=torch.float32, device=device)
    acc = {(p, h): Accumulator(weights.shape[1], trained.lookback, len(members)) for p in PERIODS for h in (0, 1)}
    chunks = _chunks(plan.days, config, len(members))
    total_work = float(sum(k * len(c) for k, c in chunks)) or 1.0
    with _seeded(plan.seed, members), _no_cudnn(device):
        with torch.no_grad():  # E f(baseline): the ensemble mean over the whole baseline pool
            f_base = float(np.mean([_batched_forward(m, pool, config.chunk_size).mean().item() for m in members]))
        explainers = [GradientShap(_last_step(m)) for m in members]
        done = 0.0
        for k, chunk in chunks:
            _check_cancel(is_canceled)
            xin = _windows(trained, plan.x, chunk["pos"].to_numpy()).to(device=device, dtype=torch.float32)
            with torch.no_grad():
                fx = np.mean([_batched_forward(m, xin, config.chunk_size).cpu().numpy() for m in members], 0)
            delta = (fx.astype(np.float64) - f_base) * trained.y_std
            full, each = _ensemble_attribution(explainers, xin, pool, k, config.chunk_size)
            # metres per unit of the model output (attributions are differences, so the offset drops out)
            lag_phi = (full @ w_t).double().cpu().numpy()[:, ::-1, :] * trained.y_std  # (days, lag, drivers)
            member_phi = np.stack([(m @ w_t).sum(1).double().cpu().numpy() for m in each]) * trained.y_std
            total = full.sum(dim=(1, 2)).double().cpu().numpy() * trained.y_std
            per, half = chunk["period"].to_numpy(), chunk["half"].to_numpy()
            for p in PERIODS:
                for h in (0, 1):
                    sel = (per == p) & (half == h)
                    if sel.any():
                        acc[(p, h)].add(lag_phi[sel].sum(1), lag_phi[sel], total[sel], delta[sel],
                                        member_phi[:, sel])
            done += k * len(chunk)
            _progress(progress, done / total_work, f"well {wid}: explaining {len(plan.days)} days")
    return acc


def _ensemble_attribution(explainers, xin, pool, k, chunk_size):
    """The ensemble's attribution of windows ``xin`` with ``k`` draws per day spread over the members (the mean
    of the members' attributions, since expected gradients are linear in the model), and each member's own."""
    import torch

    each = []
    for gs, km in zip(explainers, split_draws(k, len(explainers))):
        # a member's draws in passes of at most chunk_size windows (captum expands each input km times)
        own = torch.zeros_like(xin)
        step = max(1, chunk_size // len(xin))
        for lo in range(0, km, step):
            kk = min(step, km - lo)
            own += gs.attribute(xin, baselines=pool, n_samples=kk, stdevs=0.0).detach() * (kk / km)
        each.append(own)
    full = torch.zeros_like(xin)
    for own in each:
        full += own
    return full / len(explainers), each


@contextlib.contextmanager
def _seeded(seed, members):
    """NumPy and torch seeded for one well (captum draws from NumPy's global generator), members in eval mode
    without parameter gradients; everything as it was afterwards."""
    import torch

    np_state = np.random.get_state()
    torch_state = torch.random.get_rng_state()
    saved_grad = []
    try:
        np.random.seed(seed)
        torch.manual_seed(seed)
        for m in members:
            m.eval()  # never train mode (dropout); the parameters need no gradient here
            for prm in m.parameters():
                saved_grad.append((prm, prm.requires_grad))
                prm.requires_grad_(False)
        yield
    finally:
        np.random.set_state(np_state)
        torch.random.set_rng_state(torch_state)
        for prm, rg in saved_grad:
            prm.requires_grad_(rg)


def _no_cudnn(device):
    """cuDNN off on a GPU: its RNN backward refuses eval mode."""
    import torch

    return torch.backends.cudnn.flags(enabled=False) if device.type == "cuda" else contextlib.nullcontext()


def _period_tables(pooled, drivers, lookback, wid, plan):
    """(attribution table, lag table, period -> (mean signed, mean abs), messages for empty periods)."""
    n_drv = len(drivers)
    rows, lag_rows, means, messages = [], [], {}, []
    for p in PERIODS:
        a = pooled[p]
        if a.n == 0:
            ms = ma = sh = np.full(n_drv, np.nan)
            if plan.span_counts[p] == 0:
                msg = f"well {wid}: no {p} days in the {plan.span_name}: its {p} shares are empty (NaN), not zero"
            else:
                msg = f"well {wid}: no {p} day could be explained in the {plan.span_name}: its {p} shares are empty"
            messages.append(msg)
            log.info(msg)
        else:
            ms, ma = a.signed / a.n, a.abs / a.n
            sh = shares(ma, drivers)
            for li in range(lookback):
                for di, d in enumerate(drivers):
                    lag_rows.append((wid, p, d, li, a.lag_signed[li, di] / a.n, a.lag_abs[li, di] / a.n))
        means[p] = (ms, ma)
        for di, d in enumerate(drivers):
            rows.append((wid, p, d, ms[di], ma[di], sh[di], a.n, np.nan, np.nan, 0))
    return (pd.DataFrame(rows, columns=ATTRIBUTION_COLUMNS), pd.DataFrame(lag_rows, columns=LAG_COLUMNS),
            means, messages)


def _mark_contests(attribution, quality):
    """Each period's margin, member agreement and ambiguity on its rows of the attribution table."""
    for p in PERIODS:
        rows = attribution["period"] == p
        attribution.loc[rows, "margin"] = quality["margin"][p]
        attribution.loc[rows, "mbr_agree"] = quality["member_agreement"][p]
        attribution.loc[rows, "ambiguous"] = int(quality["ambiguous"][p])


def _overall(pooled, means, attribution, drivers):
    """(driver -> overall mean signed, mean abs and share; period and 'overall' -> dominant driver). The
    periods with explained days weigh equally (``shares`` says why)."""
    weights_p = period_weights({p: pooled[p].n for p in PERIODS})
    o_ms = weighted(weights_p, {p: means[p][0] for p in PERIODS}, len(drivers))
    o_ma = weighted(weights_p, {p: means[p][1] for p in PERIODS}, len(drivers))
    o_sh = shares(o_ma, drivers)
    overall = {d: {"mean_signed": float(o_ms[di]), "mean_abs": float(o_ma[di]), "share": float(o_sh[di])}
               for di, d in enumerate(drivers)}
    dominant = {}
    for p in PERIODS:
        sub = attribution[attribution["period"] == p]
        dominant[p] = dominant_driver(dict(zip(sub["driver"], sub["share"])))
    dominant["overall"] = dominant_driver({d: v["share"] for d, v in overall.items()})
    return overall, dominant


def _last_step(member):
    def forward(x):
        return member(x)[:, -1]

    return forward


def _batched_forward(member, windows, chunk):
    outs = [member(windows[i:i + chunk])[:, -1] for i in range(0, len(windows), chunk)]
    return __import__("torch").cat(outs)
