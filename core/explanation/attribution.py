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

Reproducibility: captum draws baselines and path points from NumPy's global generator; each well is explained
with NumPy and torch seeded from ``(seed, well_id)`` (so one well's numbers do not depend on the others, their
order or the executor), and NumPy's and torch's global states are restored afterwards. Same inputs, seed and
chunk size give the same numbers. On a GPU, cuDNN is disabled during attribution (its RNN backward refuses
eval mode); the models stay in eval mode.
"""
from __future__ import annotations

import logging
import time
from typing import Callable, Optional

import numpy as np
import pandas as pd

from ..errors import Canceled, GroundwaterError, InputError, WellInputError
from ..vocabulary import PERIODS, SEASON
from .config import ATTRIBUTION_COLUMNS, LAG_COLUMNS, ExplainConfig, NetworkExplanation, WellExplanation
from .sampling import (
    Accumulator, draws_per_day, driver_matrix, sample_days, split_draws, valid_end_positions, well_seed,
)
from .shares import cosine, dominant_driver, period_weights, shares, weighted, wells_table

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
    import torch
    from captum.attr import GradientShap

    config = (config or ExplainConfig()).validate()
    t0 = time.perf_counter()
    wid = str(well_id if well_id is not None else getattr(trained, "well_id", "?"))
    members = list(trained.members)
    if not members:
        raise WellInputError("the trained well has no ensemble members", well=wid, field="MODEL_FOLDER",
                             fix="train the well again")
    lookback = trained.lookback
    feature_names = list(trained.feature_names)
    weights, drivers = driver_matrix(feature_names, dict(trained.feature_drivers or {}))
    n_drv = len(drivers)
    scale = trained.y_std  # metres per unit of the model output (attributions are differences)

    dates = _dates(features_df)
    if isinstance(labels, pd.Series) and isinstance(labels.index, pd.DatetimeIndex):
        lab = labels.reindex(dates).to_numpy(dtype=object)
    else:
        lab = np.asarray(labels, dtype=object)
        if len(lab) != len(dates):
            raise WellInputError(f"{len(lab)} period labels for {len(dates)} days", well=wid, field="PERIODS",
                                 fix="label every day of the features frame")
    x = np.asarray(trained.scaled_inputs(features_df), dtype=np.float32)
    valid = valid_end_positions(x, lookback)
    bounds = _split_bounds(trained)
    if "train" not in bounds:
        raise WellInputError("the model has no training split to draw baselines from", well=wid,
                             field="MODEL_FOLDER", fix="train the well again")
    in_train = (dates >= bounds["train"][0]) & (dates <= bounds["train"][1])
    if config.span == "test":
        if "test" not in bounds:
            raise WellInputError("the model has no test split", well=wid, field="SPAN",
                                 fix="explain span 'all' instead")
        in_span = (dates >= bounds["test"][0]) & (dates <= bounds["test"][1])
        span_name = f"test span {bounds['test'][0].date()}..{bounds['test'][1].date()}"
    else:
        in_span = np.ones(len(dates), bool)
        span_name = "whole record"
    eligible = valid & np.asarray(in_span)
    base_pos = np.flatnonzero(valid & np.asarray(in_train))
    if len(base_pos) == 0:
        raise WellInputError("no complete training window to draw baselines from", well=wid,
                             field="MODEL_FOLDER", fix="give forcing that covers the training period")
    if not eligible.any():
        raise WellInputError(f"no day with a complete input window in the {span_name}", well=wid,
                             field="SPAN", fix="give forcing that covers the span, or explain span 'all'")

    seed = well_seed(config.seed, wid)
    rng = np.random.default_rng(seed)
    days = sample_days(dates, lab, eligible, config.days_per_period, rng)
    span_counts = {p: int(((lab == p) & eligible).sum()) for p in PERIODS}
    if len(base_pos) > config.baseline_windows:
        base_pos = np.sort(rng.choice(base_pos, size=config.baseline_windows, replace=False))
    n_members = len(members)
    group_size = days.groupby("group")["pos"].transform("size") if len(days) else days["pos"]
    days["k"] = [draws_per_day(config.n_samples, g, n_members) for g in group_size]

    device = next(members[0].parameters()).device
    pool = _windows(trained, x, base_pos).to(device=device, dtype=torch.float32)
    w_t = torch.as_tensor(weights, dtype=torch.float32, device=device)
    acc = {(p, h): Accumulator(n_drv, lookback) for p in PERIODS for h in (0, 1)}
    messages = []

    # chunks: days with the same number of draws, at most chunk_size windows per member and captum call
    chunks = []
    for k, g in days.groupby("k", sort=True):
        per_call = max(1, config.chunk_size // max(split_draws(k, n_members)))
        chunks += [(int(k), g.iloc[i:i + per_call]) for i in range(0, len(g), per_call)]
    total_work = float(sum(k * len(c) for k, c in chunks)) or 1.0

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
        cudnn_off = torch.backends.cudnn.flags(enabled=False) if device.type == "cuda" else _nullcontext()
        with cudnn_off:
            with torch.no_grad():  # E f(baseline): the ensemble mean over the whole baseline pool
                f_base = float(np.mean([_batched_forward(m, pool, config.chunk_size).mean().item()
                                        for m in members]))
            explainers = [GradientShap(_last_step(m)) for m in members]
            done = 0.0
            for k, chunk in chunks:
                _check_cancel(is_canceled)
                xin = _windows(trained, x, chunk["pos"].to_numpy()).to(device=device, dtype=torch.float32)
                with torch.no_grad():
                    fx = np.mean([_batched_forward(m, xin, config.chunk_size).cpu().numpy() for m in members], 0)
                delta = (fx.astype(np.float64) - f_base) * scale
                full = torch.zeros_like(xin)
                for gs, km in zip(explainers, split_draws(k, n_members)):
                    # a member's draws in passes of at most chunk_size windows (captum expands each input km times)
                    step = max(1, config.chunk_size // len(xin))
                    for lo in range(0, km, step):
                        kk = min(step, km - lo)
                        full += gs.attribute(xin, baselines=pool, n_samples=kk, stdevs=0.0).detach() * (kk / km)
                full /= n_members  # the ensemble's attribution is the mean of its members'
                lag_phi = (full @ w_t).double().cpu().numpy()[:, ::-1, :] * scale  # (days, lag, drivers), lag 0 first
                phi = lag_phi.sum(1)
                total = full.sum(dim=(1, 2)).double().cpu().numpy() * scale
                per, half = chunk["period"].to_numpy(), chunk["half"].to_numpy()
                for p in PERIODS:
                    for h in (0, 1):
                        sel = (per == p) & (half == h)
                        if sel.any():
                            acc[(p, h)].add(phi[sel], lag_phi[sel], total[sel], delta[sel])
                done += k * len(chunk)
                _progress(progress, done / total_work, f"well {wid}: explaining {len(days)} days")
    finally:
        np.random.set_state(np_state)
        torch.random.set_rng_state(torch_state)
        for prm, rg in saved_grad:
            prm.requires_grad_(rg)

    # ---- tables
    pooled = {p: acc[(p, 0)].merged(acc[(p, 1)]) for p in PERIODS}
    rows, lag_rows = [], []
    means = {}
    for p in PERIODS:
        a = pooled[p]
        if a.n == 0:
            ms = ma = sh = np.full(n_drv, np.nan)
            if span_counts[p] == 0:
                msg = f"well {wid}: no {p} days in the {span_name}: its {p} shares are empty (NaN), not zero"
            else:
                msg = f"well {wid}: no {p} day could be explained in the {span_name}: its {p} shares are empty"
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
            rows.append((wid, p, d, ms[di], ma[di], sh[di], a.n))
    attribution = pd.DataFrame(rows, columns=ATTRIBUTION_COLUMNS)
    lags = pd.DataFrame(lag_rows, columns=LAG_COLUMNS)

    # overall: the periods weigh equally (shares.py says why)
    weights_p = period_weights({p: pooled[p].n for p in PERIODS})
    o_ms = weighted(weights_p, {p: means[p][0] for p in PERIODS}, n_drv)
    o_ma = weighted(weights_p, {p: means[p][1] for p in PERIODS}, n_drv)
    o_sh = shares(o_ma, drivers)
    overall = {d: {"mean_signed": float(o_ms[di]), "mean_abs": float(o_ma[di]), "share": float(o_sh[di])}
               for di, d in enumerate(drivers)}
    dominant = {}
    for p in PERIODS:
        sub = attribution[attribution["period"] == p]
        dominant[p] = dominant_driver(dict(zip(sub["driver"], sub["share"])))
    dominant["overall"] = dominant_driver({d: v["share"] for d, v in overall.items()})

    # ---- quality: the two random halves of the explained days, each with its own draws, stand for two seeds
    nos = np.array([d != SEASON for d in drivers])
    half_ma = {h: {p: (acc[(p, h)].abs / acc[(p, h)].n if acc[(p, h)].n else np.full(n_drv, np.nan))
                   for p in PERIODS} for h in (0, 1)}
    agreement, stable = {}, {}
    for p in PERIODS:
        a0, a1 = half_ma[0][p], half_ma[1][p]
        agreement[p] = cosine(a0[nos], a1[nos])
        d0 = dominant_driver(dict(zip(drivers, shares(a0, drivers))))
        d1 = dominant_driver(dict(zip(drivers, shares(a1, drivers))))
        stable[p] = (d0 == d1) if d0 is not None and d1 is not None else None
    h0 = weighted(weights_p, half_ma[0], n_drv)
    h1 = weighted(weights_p, half_ma[1], n_drv)
    agreement["overall"] = cosine(h0[nos], h1[nos])
    known = [v for v in stable.values() if v is not None]
    stable["overall"] = float(np.mean(known)) if known else float("nan")

    def _compl(a, daily):
        if a.delta_abs <= 0:
            return float("nan")
        return (a.resid_abs if daily else abs(a.resid)) / a.delta_abs

    all_acc = pooled[PERIODS[0]].merged(pooled[PERIODS[1]]).merged(pooled[PERIODS[2]])
    quality = {
        "n_days": {p: pooled[p].n for p in PERIODS},
        "span_days": span_counts,
        "draws_per_day": {p: (int(days.loc[days["period"] == p, "k"].min()) if pooled[p].n else 0) for p in PERIODS},
        "draws": int(days["k"].sum()) if len(days) else 0,
        "baseline_windows": int(len(base_pos)),
        "completeness_error": {**{p: _compl(pooled[p], False) for p in PERIODS}, "overall": _compl(all_acc, False)},
        "completeness_error_daily": {**{p: _compl(pooled[p], True) for p in PERIODS},
                                     "overall": _compl(all_acc, True)},
        "seed_agreement": agreement,
        "dominant_stable": stable,
        "seconds": time.perf_counter() - t0,
    }
    return WellExplanation(wid, attribution, lags, overall, dominant, quality, messages)


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _last_step(member):
    def forward(x):
        return member(x)[:, -1]

    return forward


def _batched_forward(member, windows, chunk):
    outs = [member(windows[i:i + chunk])[:, -1] for i in range(0, len(windows), chunk)]
    return __import__("torch").cat(outs)


# --------------------------------------------------------------------------------------- periods / labels


def period_labels(dates, *, well_id=None, temperature=None, periods=None, period_config=None, log_fn=None):
    """The period of each day for one well: from a PERIODS table (this well's rows; a table without a
    ``well_id`` column serves every well) or computed from the well's daily air temperature.

    A PERIODS table with no rows for the well means no winter froze there: every day is unfrozen (said in the
    log). Raises InputError when neither a table nor a temperature is given (give TEMP_FIELD or PERIODS).
    """
    from ..hydrology import periods as periods_mod

    dates = pd.DatetimeIndex(pd.to_datetime(dates))
    if periods is not None:
        cal = periods
        if "well_id" in cal.columns:
            cal = cal[cal["well_id"].astype(str) == str(well_id)]
        if cal.empty:
            msg = f"well {well_id}: the PERIODS table has no winter for this well: every day counts as unfrozen"
            log.info(msg)
            if log_fn is not None:
                log_fn(msg)
        out = periods_mod.label_days(dates, cal)
    elif temperature is not None:
        temp = temperature if isinstance(temperature, pd.Series) else pd.Series(np.asarray(temperature), index=dates)
        cal = periods_mod.freeze_thaw_calendar(temp, period_config or periods_mod.PeriodConfig())
        out = periods_mod.label_days(dates, cal)
    else:
        raise InputError("freeze-thaw periods are needed but there is neither a temperature role nor a PERIODS "
                         "table", well=well_id, field="TEMP_FIELD", fix="give TEMP_FIELD or PERIODS")
    return pd.Series(np.asarray(out, dtype=object), index=dates, name="period")


# ---------------------------------------------------------------------------------------- explain_network


def explain_network(trained, features, labels=None, *, temperature=None, periods=None, period_config=None,
                    config: Optional[ExplainConfig] = None, executor=None, progress: Optional[Callable] = None,
                    is_canceled: Optional[Callable] = None) -> NetworkExplanation:
    """Explain every trained well (a map over wells through ``executor``, as in training).

    trained: {well_id: TrainedWell} or a NetworkResult (its ``trained``). features: {well_id: features_df}.
    Periods per well, first that applies: ``labels[well_id]`` (a Series of period names indexed by date), the
    ``periods`` table (PERIODS: well_id, winter, freeze_start, thaw_start, thaw_end; validated here: inverted
    or overlapping dates raise InputError), ``temperature[well_id]`` (daily air temperature, Series indexed by
    date). Neither for a well: InputError (give TEMP_FIELD or PERIODS). A well that fails is skipped with its
    reason; the others go on. ``executor``: ``core.model.executor`` SerialExecutor / ProcessExecutor (None: the
    default, two worker processes on two cores); the numbers do not depend on it.
    """
    from ..model import executor as ex

    config = (config or ExplainConfig()).validate()
    t0 = time.perf_counter()
    trained = dict(getattr(trained, "trained", trained))
    labels = dict(labels or {})
    temperature = dict(temperature or {})
    if periods is not None:
        from ..hydrology import periods as periods_mod

        periods = periods_mod.parse_calendar(periods, check=True)
    missing = [w for w in trained
               if w in features and w not in labels and periods is None and temperature.get(w) is None]
    if missing:
        raise InputError(f"freeze-thaw periods are needed for {len(missing)} well(s) "
                         f"({', '.join(map(str, missing[:5]))}{'...' if len(missing) > 5 else ''}) but there is "
                         f"no temperature role and no PERIODS table", field="TEMP_FIELD",
                         fix="give TEMP_FIELD or PERIODS")
    explanations, skipped = {}, {}
    wells = list(trained)
    tasks = {}
    for wid in wells:
        try:
            if wid not in features:
                raise WellInputError("no forcing for this well", well=wid, field="FORCING",
                                     fix="give forcing that covers the well")
            lab = labels.get(wid)
            if lab is None:
                lab = period_labels(_dates(features[wid]), well_id=wid, temperature=temperature.get(wid),
                                    periods=periods, period_config=period_config)
            tasks[wid] = lab
        except GroundwaterError as exc:
            skipped[wid] = str(exc)
            log.warning("well %s skipped: %s", wid, exc)
    own = executor is None
    if own:
        executor = ex.default_executor(len(tasks))
    fractions = {w: 0.0 for w in tasks}

    def sink(key, frac, msg):
        if key in fractions:
            fractions[key] = max(fractions[key], float(frac))
        if progress is not None and fractions:
            _progress(progress, sum(fractions.values()) / len(fractions), msg)

    reporter = executor.channel(sink, is_canceled)

    def on_result(wid, result):
        kind, value = result
        if kind == "ok":
            explanations[wid] = value
            for m in value.messages:
                sink(wid, 1.0, m)
        else:
            skipped[wid] = value
            log.warning("well %s skipped: %s", wid, value)
        sink(wid, 1.0, f"well {wid}: {'explained' if kind == 'ok' else 'skipped: ' + value}")

    try:
        ex.run_tasks(executor, {wid: (_explain_task, (wid, trained[wid], features[wid], lab, config, reporter))
                                for wid, lab in tasks.items()},
                     on_result, is_canceled, "explanation canceled")
    finally:
        if own:
            executor.shutdown(wait=True)
    explanations = {w: explanations[w] for w in wells if w in explanations}
    skipped = {w: skipped[w] for w in wells if w in skipped}
    _progress(progress, 1.0, f"explained {len(explanations)} well(s), skipped {len(skipped)}")
    return NetworkExplanation(
        explanations=explanations,
        attribution=_concat([e.attribution for e in explanations.values()], ATTRIBUTION_COLUMNS),
        lags=_concat([e.lags for e in explanations.values()], LAG_COLUMNS),
        wells=wells_table(explanations),
        skipped=skipped,
        seconds=time.perf_counter() - t0,
        config=config.to_dict(),
    )


def _explain_task(wid, trained, features_df, labels, config, reporter):
    """Runs in a worker: ('ok', WellExplanation) or ('skipped', reason); Canceled propagates."""
    def progress(frac, msg):
        reporter.progress(wid, frac, msg)

    try:
        return "ok", explain_well(trained, features_df, labels, config, progress, reporter.is_canceled, well_id=wid)
    except Canceled:
        raise
    except GroundwaterError as exc:
        return "skipped", str(exc)
    except Exception as exc:  # one well never sinks the others
        return "skipped", f"{type(exc).__name__}: {exc}"


def explain_records(trained, records, roles, *, periods=None, period_config=None, config=None, executor=None,
                    progress=None, is_canceled=None) -> NetworkExplanation:
    """Explain trained wells on prepared records (``core.inputs.tables`` WellRecord: a daily frame with one column per
    driver): derives each well's features with the model's own feature configuration, and takes the periods
    from ``periods`` (PERIODS table) or from the records' temperature (the ``temp`` role)."""
    from ..hydrology.features import derive_features

    trained = dict(getattr(trained, "trained", trained))
    features, temperature = {}, {}
    for wid, tw in trained.items():
        rec = records.get(wid)
        if rec is None:
            continue
        fc = tw.config.feature_config() if hasattr(tw.config, "feature_config") else None
        feats, _ = derive_features(rec.frame, roles, lat=getattr(rec, "lat", None),
                                   **({"config": fc} if fc is not None else {}))
        features[wid] = feats
        if roles.temp and "temp" in rec.frame.columns:
            temperature[wid] = rec.frame["temp"]
    if periods is None and not temperature and trained:
        raise InputError("freeze-thaw periods are needed but there is neither a temperature role nor a PERIODS "
                         "table", field="TEMP_FIELD", fix="give TEMP_FIELD or PERIODS")
    return explain_network(trained, features, temperature=temperature, periods=periods,
                           period_config=period_config, config=config, executor=executor, progress=progress,
                           is_canceled=is_canceled)


def _concat(frames, columns):
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


