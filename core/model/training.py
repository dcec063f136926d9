"""Per-well LSTM training on long windows with a warm-up, early stopping and seeded ensembles.

How one well is trained (``train_well``):

1. Derived features (``features.derive_features``) from the well's clean daily frame; a chronological split
   (``splits``); mean/std scalers fit on the training part only (a std of 0 becomes 1).
   With ``tune``, a seeded search of the well's own settings on its validation part first (``tuning``; the test
   levels are taken out before it starts).
2. ``ensemble`` members with seeds ``seed + k`` fit on long windows with early stopping (``fitting``), then
   (``refit``) a fresh fit from the same initial weights on train + validation for the epochs early stopping chose.
3. The members' simulation of the whole record and its scores per split and period (``trained.TrainedWell``).

Everything is seeded: the same inputs, configuration and seed give identical numbers (on the same device and
thread count), whether wells run serially or in worker processes.
"""
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd
import torch

from ..errors import Canceled, InputError, WellInputError
from ..vocabulary import METRIC_NAMES, SPLITS
from .lstm import WellLSTM
from .config import resolve_device, TrainConfig
from .splits import split_dates, split_labels, split_spans
from .fitting import fit_members, fit_scaler
from .trained import _period_labels, _period_metrics, _split_metrics, periods_of, TrainedWell


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
    x_mean, x_std = fit_scaler(feats.to_numpy(dtype=np.float64)[in_train])
    train_obs = observed & (labels == "train")
    y_train = level.to_numpy()[train_obs]
    if len(y_train) < config.min_train_obs:
        raise WellInputError(f"only {len(y_train)} observed days in the training part (at least "
                             f"{config.min_train_obs} needed)", well=record.well_id, field="level",
                             fix="give a longer record, or lower `train_frac` / move `val_start` later")
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
    tuning = None
    if config.tune:
        tuning, progress = _tune(tw, prep, config, device, progress, is_canceled)
        config = tw.config = config.replace(**tuning["chosen"])
    x, y, train_mask, val_mask = _tensors(tw, prep, config, record.well_id, device)
    tw.members, tw.info = _fit_ensemble(x, y, train_mask, val_mask, config, device, record.well_id, progress,
                                        is_canceled)
    if tuning is not None:
        tw.info["tuning"] = tuning
    _score(tw, prep, periods, config.lookback)
    if config.baseline:
        _baseline(tw, record, roles, prep["splits"], config)
    tw.info["seconds"] = round(time.perf_counter() - t0, 3)
    tw.info["cpu_seconds"] = round(time.process_time() - c0, 3)
    if progress is not None:
        progress(1.0, f"well {record.well_id}: done")
    return tw


def _tune(tw, prep, config, device, progress, is_canceled):
    """The tuning trials of the well on its blinded arrays (no test levels), as the first half of its progress;
    returns the tuning record and the progress callback for the rest."""
    from .tuning import blind, tune_well

    seen = blind(prep)

    def part(lo):
        return None if progress is None else (lambda f, msg: progress(lo + 0.5 * f, msg))

    tuning = tune_well(lambda cfg: _tensors(tw, seen, cfg, tw.well_id, device), config, tw.well_id, device,
                       is_canceled, part(0.0))
    return tuning, part(0.5)


def _tensors(tw, prep, config, well_id, device):
    """Scaled inputs and target as tensors, and the days each part trains on (observed, after the warm-up)."""
    lookback = config.lookback
    n = len(prep["dates"])
    if n <= lookback + 1:
        raise WellInputError(f"the record has {n} days, not more than the lookback of {lookback} days",
                             well=well_id, setting="lookback", fix="lower `lookback` or give longer forcing")
    x_np = tw.scaled_inputs(prep["features"])
    y_np = ((prep["level"].to_numpy() - tw.scalers["y_mean"]) / tw.scalers["y_std"]).astype(np.float32)
    has_hist = np.arange(n) >= lookback
    train_mask = prep["observed"] & (prep["labels"] == "train") & has_hist
    val_mask = prep["observed"] & (prep["labels"] == "val") & has_hist
    if train_mask.sum() < config.min_train_obs:
        raise WellInputError(f"only {int(train_mask.sum())} observed training days after the {lookback}-day "
                             f"warm-up (at least {config.min_train_obs} needed)", well=well_id,
                             setting="lookback", fix="give forcing that starts earlier, or lower `lookback`")
    return torch.as_tensor(x_np, device=device), torch.as_tensor(y_np, device=device), train_mask, val_mask


def _fit_ensemble(x, y, train_mask, val_mask, config, device, well_id, progress, is_canceled):
    """The members (early stopping on the validation part, then, with ``refit``, the same number of epochs on
    training + validation) and what the fit recorded."""
    refit = bool(config.refit and val_mask.any())
    seeds = [int(config.seed) + k for k in range(config.ensemble)]
    phases = 2 if refit else 1

    def phase_progress(phase):
        def cb(epoch, total, score):
            if progress is not None:
                what = "refit on train + validation" if phase else "training"
                progress(min(1.0, (phase + epoch / max(1, total)) / phases), f"well {well_id}: {what}, epoch {epoch}")
        return cb

    mode = None if config.early_stopping == "none" else config.early_stopping
    fits = fit_members(x, y, train_mask, val_mask, config, seeds, config.epochs, mode, device, is_canceled,
                       phase_progress(0))
    epochs_used = [f[1] for f in fits]
    epochs_run = [f[3] for f in fits]
    states = [f[0] for f in fits]
    if refit:
        refits = fit_members(x, y, train_mask | val_mask, val_mask, config, seeds, epochs_used, None, device,
                             is_canceled, phase_progress(1))
        states = [f[0] for f in refits]
        epochs_run = [a + f[3] for a, f in zip(epochs_run, refits)]
    members = []
    for state in states:
        m = WellLSTM(x.shape[1], config.hidden, config.dropout)
        m.load_state_dict(state)
        m.eval()
        members.append(m)
    info = {"epochs": epochs_used, "epochs_run": epochs_run,
            "val_score_early_stopping": [None if f[2] is None else float(f[2]) for f in fits], "refit": refit,
            "device": str(device), "seeds": seeds, "early_stopping": config.early_stopping}
    return members, info


def _score(tw, prep, periods, lookback):
    """The simulation over the whole record, labelled by split and period, and its metrics, onto ``tw``."""
    sim = tw.simulate(prep["features"])
    sim.insert(1, "observed", prep["level"].to_numpy()[lookback:])
    sim["split"] = prep["labels"][lookback:]
    lab = _period_labels(periods, tw.well_id, pd.DatetimeIndex(sim["date"]))
    if lab is not None:
        sim["period"] = lab.to_numpy()
    if not np.isfinite(sim["simulated"]).all():
        raise WellInputError("the simulation holds NaN values", well=tw.well_id, field="level",
                             fix="check the drivers for gaps")
    tw.simulation = sim
    tw.metrics = _split_metrics(sim)
    tw.period_metrics = _period_metrics(sim)
    tw.n_obs = int(prep["observed"].sum())


def _baseline(tw, record, roles, splits, config):
    """The Pastas baseline of the well (``tfn``) beside the LSTM: its simulation as the ``tfn`` column and its
    scores per split in ``info['baseline']``; a well Pastas cannot fit keeps its LSTM and says why there."""
    from . import tfn

    try:
        sim, contributions = tfn.fit_well(record, roles, splits, config.feature_config(), config.lookback)
    except InputError as exc:  # also a (cluster) worker without pastas: the LSTM stays, the reason is logged
        tw.info["baseline"] = {"pastas": tfn.pastas_version(), "problem": getattr(exc, "problem", str(exc))}
        return
    tw.simulation["tfn"] = sim.reindex(pd.DatetimeIndex(tw.simulation["date"])).to_numpy(float)
    scores = _split_metrics(tw.simulation.assign(simulated=tw.simulation["tfn"]))
    tw.info["baseline"] = {"pastas": tfn.pastas_version(), "metrics": scores}
    if "period" in tw.simulation:  # each stress's share per period, for the explanation's cross-check
        dates = pd.DatetimeIndex(tw.simulation["date"])
        tw.info["baseline"]["shares"] = tfn.contribution_shares(contributions.reindex(dates),
                                                                tw.simulation["split"], tw.simulation["period"])


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


def _train_task(record, config, roles, periods, reporter):
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
    if tw is not None and "baseline" in tw.info:
        test = tw.info["baseline"].get("metrics", {}).get("test", {})
        row["nse_tfn"], row["kge_tfn"] = test.get("nse", np.nan), test.get("kge", np.nan)
        row["lstm_gain"] = row["nse_test"] - row["nse_tfn"]
        row["tfn_problem"] = tw.info["baseline"].get("problem")
    if tw is not None and "tuning" in tw.info:
        from .tuning import describe

        row["tuned"] = describe(tw.info["tuning"])
    if tw is not None:
        for s, per in tw.period_metrics.items():
            for p, vals in per.items():
                for k in METRIC_NAMES:
                    row[f"{k}_{s}_{p}"] = vals.get(k, np.nan)
    return row


SIMULATION_COLUMNS = ["well_id", "date", "observed", "simulated", "lower", "upper", "split"]  # [, period]


def with_well_id(well_id, simulation):
    """A well's simulation frame with ``well_id`` as its first column (the network's long form)."""
    return simulation.assign(well_id=well_id)[["well_id", *[c for c in simulation.columns if c != "well_id"]]]


def train_network(records, roles, config, executor=None, progress=None, is_canceled=None, periods=None,
                  on_simulation=None):
    """Train every well (a map over wells through ``executor``). Returns a ``NetworkResult``.

    records: dict well_id -> ``data.WellRecord`` (or a list of them). A well that fails becomes ``skipped``
    with its reason; ``Canceled`` is raised within about a second of ``is_canceled()`` turning true.
    executor: ``executor.SerialExecutor`` / ``ProcessExecutor`` or anything with the same interface; None picks
    ``executor.default_executor`` (and shuts it down at the end).
    on_simulation(well_id, frame): takes each trained well's simulation (``well_id`` first) as the well ends, in
    the order of ``records``; the result then keeps none (its ``simulation`` is empty), so that a network's
    memory does not grow with its simulations.
    """
    from .executor import map_wells

    t0 = time.perf_counter()
    config = config.validate().resolved()
    if not isinstance(records, dict):
        records = {r.well_id: r for r in records}
    well_ids = list(records)

    def handed_over(well_id, tw):
        on_simulation(well_id, with_well_id(well_id, tw.simulation))
        tw.simulation = None
        return tw

    trained, skipped = map_wells({w: (_train_task, (records[w], config, roles, periods_of(periods, w)))
                                  for w in well_ids},
                                 executor=executor, progress=progress, is_canceled=is_canceled,
                                 cancel_message="training was cancelled",
                                 on_well=None if on_simulation is None else handed_over)
    sims = [with_well_id(w, tw.simulation) for w, tw in trained.items() if tw.simulation is not None]
    simulation = pd.concat(sims, ignore_index=True) if sims else pd.DataFrame(columns=SIMULATION_COLUMNS)
    rows = [_metrics_row(w, tw=trained.get(w), reason=skipped.get(w),
                         n_obs=int(records[w].frame["level"].notna().sum()) if w in skipped else None)
            for w in well_ids]
    metrics = pd.DataFrame(rows)
    return NetworkResult(trained, skipped, simulation, metrics, config, round(time.perf_counter() - t0, 3))


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


def _simulate_task(trained_well, record, roles, periods, reporter):
    """Runs in a worker: ('ok', simulation) or ('skipped', reason)."""
    try:
        sim = simulate_record(trained_well, record, roles, periods=periods)
    except Canceled:
        raise
    except Exception as exc:  # one well never sinks the others
        return "skipped", getattr(exc, "problem", None) or f"{type(exc).__name__}: {exc}"
    if len(sim) == 0:
        return "skipped", f"the forcing is not longer than the {trained_well.lookback}-day warm-up"
    return "ok", sim


def simulate_network(trained, records, roles, progress=None, is_canceled=None, periods=None, executor=None,
                     on_simulation=None):
    """Simulate every record that has a trained well (a map over wells, in this process unless ``executor``
    says otherwise). Returns (simulation DataFrame with ``well_id`` first, skipped dict well_id -> reason).
    Days within the first ``lookback`` days of each record are warm-up. ``on_simulation``: as in
    ``train_network`` (the returned frame is then empty)."""
    from .executor import SerialExecutor, map_wells

    if not isinstance(records, dict):
        records = {r.well_id: r for r in records}
    skipped = {w: "no trained model for this well in the model folder" for w in records if w not in trained}
    tasks = {w: (_simulate_task, (trained[w], rec, roles, periods_of(periods, w)))
             for w, rec in records.items() if w in trained}
    def handed_over(well_id, sim):
        on_simulation(well_id, with_well_id(well_id, sim))

    sims, failed = map_wells(tasks, executor=SerialExecutor() if executor is None else executor,
                             progress=progress, is_canceled=is_canceled, cancel_message="simulation was cancelled",
                             done="simulated", on_well=None if on_simulation is None else handed_over)
    skipped.update(failed)
    frames = [with_well_id(w, s) for w, s in sims.items() if s is not None]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=SIMULATION_COLUMNS)
    return out, {w: skipped[w] for w in records if w in skipped}
