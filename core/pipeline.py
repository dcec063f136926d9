"""The whole analysis as a few calls, for notebooks and for the processing algorithms alike.

    from groundwater_lstm import core
    run = core.train(wells, levels, forcing, core.Roles(precip="precip", temp="temp", pet="pet"))
    run.wells_fields()   # status, n_obs, nse_train, ... per well
    analysis = core.analyse(wells, levels, forcing, roles)   # train, explain, classify
    analysis.wells_table()  # every field of the wells layer

Every step takes ``progress(fraction, message)`` and ``is_canceled()``.
"""
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .inputs import tables as data
from .inputs.values import NODATA_CODES
from .hydrology import periods
from .errors import InputError
from .inputs.ids import normalise_id
from .model.notes import run_notes
from .vocabulary import BASELINE_FIELDS, SCORE_FIELDS, TUNE_FIELDS

WELL_FIELDS = ("status", "n_obs", *SCORE_FIELDS)


def period_labels(records, roles, calendar=None, config=None, log=None):
    """Freezing / thawing / unfrozen label per day, per well: dict well_id -> Series (None without temperature
    and without a calendar). ``calendar``: a `calendar` table (well_id, winter, freeze_start, thaw_start, thaw_end)
    that overrides the one computed from each well's temperature."""
    if calendar is None and not roles.temp:
        return None
    cal = None if calendar is None else periods.parse_calendar(calendar)
    return {w: periods.label_well(rec.frame.index, well_id=w, calendar=cal, config=config, log=log,
                                  temperature=None if cal is not None else rec.frame["temp"])
            for w, rec in records.items()}


def calendars(records, roles, config=None):
    """The freeze-thaw calendar of every well as one table (well_id, winter, freeze_start, thaw_start, thaw_end)."""
    if not roles.temp:
        raise InputError("the freeze-thaw calendar needs air temperature", setting="roles.temp",
                         fix="give the air temperature (`roles.temp`), or a `calendar` table")
    frames = [periods.freeze_thaw_calendar(rec.frame["temp"], config).assign(well_id=w)
              for w, rec in records.items()]
    cols = ["well_id", "winter", "freeze_start", "thaw_start", "thaw_end"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def _latitudes(wells):
    """well_id -> latitude (for Oudin evaporation), or None when the wells frame has no ``lat``."""
    if "lat" not in wells.columns:
        return None
    return {normalise_id(w): (None if pd.isna(v) else float(v)) for w, v in zip(wells["well_id"], wells["lat"])}


def _log_skips(log, reasons):
    """One line per skipped well (the reasons of WellInputError name the well already)."""
    for w, reason in reasons.items():
        if log:
            log(f"Skipped: {reason}" if f"well '{w}'" in reason else f"Skipped well '{w}': {reason}")


def _stored_models(model_folder, wells, forcing, roles):
    """(LoadedNetwork, wells it has a model for, {well: reason} for the others); refuses a model folder that
    does not match the forcing (``store.LoadedNetwork.check_compatible``)."""
    from .model import store

    net = store.load_network(model_folder)
    ids = [normalise_id(w) for w in wells["well_id"]]
    usable = net.check_compatible(roles, list(forcing.columns), ids)
    return net, usable, {w: "no model for this well in the model folder" for w in ids if w not in usable}


@dataclass
class TrainingRun:
    """What ``train`` returns: the core result plus the wells skipped before training and the labels."""

    result: object                      # training.NetworkResult
    skipped: dict = field(default_factory=dict)  # well_id -> reason, from validation and from training
    labels: dict = None                 # well_id -> period label Series
    records: dict = None
    well_ids: list = None

    def wells_fields(self):
        """One row per well (every well asked for): the training fields of the output layer."""
        m = self.result.metrics.set_index("well_id") if len(self.result.metrics) else pd.DataFrame()
        rows = []
        for w in self.well_ids:
            if w in m.index:
                r = m.loc[w]
                row = {"well_id": w, "status": r["status"], "n_obs": r["n_obs"]}
                for s in ("train", "val", "test"):
                    row[f"nse_{s}"] = r.get(f"nse_{s}", np.nan)
                for k in ("kge", "rmse", "bias"):
                    row[f"{k}_test"] = r.get(f"{k}_test", np.nan)
                row.update({k: r.get(k, np.nan) for k in BASELINE_FIELDS})
                row.update({k: r.get(k) for k in TUNE_FIELDS})
            else:
                row = {"well_id": w, "status": f"skipped: {self.skipped.get(w, 'no levels')}", "n_obs": 0}
                row.update({k: np.nan for k in (*WELL_FIELDS[2:], *BASELINE_FIELDS)})
            rows.append(row)
        config = self.result.config
        baseline = BASELINE_FIELDS if config is not None and config.baseline else ()
        tuned = TUNE_FIELDS if config is not None and config.tune else ()
        out = pd.DataFrame(rows, columns=["well_id", *WELL_FIELDS, *baseline, *tuned])
        out["n_obs"] = pd.to_numeric(out["n_obs"], errors="coerce").fillna(0).astype("int64")
        return out

    def simulation(self):
        """The simulation table with the period column (when known)."""
        return self.result.simulation


def train(wells, levels, forcing, roles, config=None, *, level_fields=("well_id", "date", "level"),
          forcing_id_col=None, forcing_date_col="date", calendar=None, period_config=None, executor=None,
          log=None, progress=None, is_canceled=None, nodata=NODATA_CODES, on_simulation=None):
    """Validate, train every well and score it. ``wells``: frame with ``well_id`` and optionally ``lat``.
    ``nodata``: the values that mean "no value" in the levels and every driver. ``executor``: where the wells
    run (``model.executor.executor_for``): None for this machine's pool, a Dask scheduler address
    (``"tcp://host:8786"``) for a cluster, or an executor object. ``on_simulation(well_id, frame)``: takes each
    well's simulation as the well ends, to write it out (``training.train_network``); the run keeps none.

    Progress: 0-5 % validation, 5-100 % training.
    """
    from .model.config import TrainConfig
    from .model.executor import executor_for

    config = (config or TrainConfig()).validate()
    if config.baseline:
        from .model.tfn import require_pastas

        require_pastas()
    well_ids = [normalise_id(w) for w in wells["well_id"]]
    with executor_for(executor, len(well_ids)) as executor:  # a cluster is refused before any data is read
        return _train(well_ids, wells, levels, forcing, roles, config, level_fields, forcing_id_col,
                      forcing_date_col, calendar, period_config, executor, log, progress, is_canceled, nodata,
                      on_simulation)


def _train(well_ids, wells, levels, forcing, roles, config, level_fields, forcing_id_col, forcing_date_col,
           calendar, period_config, executor, log, progress, is_canceled, nodata, on_simulation):
    from .model import training

    lats = _latitudes(wells)
    if progress:
        progress(0.0, "Checking levels and forcing")
    records, skipped = data.prepare_wells(
        levels, forcing, roles, well_ids, warmup_days=config.lookback, level_fields=tuple(level_fields),
        forcing_id_col=forcing_id_col, forcing_date_col=forcing_date_col, latitudes=lats, log=log,
        is_canceled=is_canceled, nodata=nodata)
    labels = period_labels(records, roles, calendar, period_config, log)  # (prepare_wells logged its skips)

    def step(frac, msg=None):
        if progress:
            progress(0.05 + 0.95 * frac, msg)

    result = training.train_network(records, roles, config, executor=executor, progress=step,
                                    is_canceled=is_canceled, periods=labels, on_simulation=on_simulation)
    _log_skips(log, result.skipped)
    for note in run_notes(result, records):
        if log:
            log(note)
    # wells refused by validation are part of the run too (the manifest records every well's status)
    result.skipped = {**skipped, **result.skipped}
    return TrainingRun(result, dict(result.skipped), labels, records, well_ids)


def simulate(model_folder, wells, forcing, roles, *, levels=None, level_fields=("well_id", "date", "level"),
             forcing_id_col=None, forcing_date_col="date", calendar=None, period_config=None, executor=None,
             log=None, progress=None, is_canceled=None, nodata=NODATA_CODES, on_simulation=None):
    """Run stored models on (new) forcing: every day after the warm-up, past the last observation too.

    Returns (simulation DataFrame, skipped dict). Observed levels, when given, are joined for comparison.
    ``executor``: None runs the wells in this process (a simulation takes less than starting workers); an
    executor or a Dask scheduler address spreads them. ``on_simulation``: as in ``train``.
    """
    from .model.executor import SerialExecutor, executor_for

    with executor_for(SerialExecutor() if executor is None else executor) as executor:
        return _simulate(model_folder, wells, forcing, roles, levels, level_fields, forcing_id_col,
                         forcing_date_col, calendar, period_config, executor, log, progress, is_canceled, nodata,
                         on_simulation)


def _simulate(model_folder, wells, forcing, roles, levels, level_fields, forcing_id_col, forcing_date_col,
              calendar, period_config, executor, log, progress, is_canceled, nodata, on_simulation):
    net, usable, skipped = _stored_models(model_folder, wells, forcing, roles)
    lats = _latitudes(wells)
    records, bad = data.prepare_forcing_only(
        forcing, roles, usable, warmup_days=net.config.lookback, levels=levels, level_fields=tuple(level_fields),
        forcing_id_col=forcing_id_col, forcing_date_col=forcing_date_col, latitudes=lats, log=log,
        is_canceled=is_canceled, nodata=nodata)
    labels = period_labels(records, roles, calendar, period_config, log)
    sim, failed = net.simulate(records, progress=progress, is_canceled=is_canceled, periods=labels,
                               executor=executor, on_simulation=on_simulation)
    _log_skips(log, {**skipped, **failed})  # (prepare_forcing_only logged the others)
    return sim, {**skipped, **bad, **failed}


def features_for(records, trained, roles):
    """The model inputs of every trained well: well_id -> features frame (as at training)."""
    from .hydrology.features import derive_features

    out = {}
    for w, rec in records.items():
        tw = trained.get(w)
        if tw is not None:
            out[w], _ = derive_features(rec.frame, roles, lat=rec.lat, config=tw.config.feature_config())
    return out


def explain(trained, records, roles, config=None, *, calendar=None, period_config=None, executor=None, log=None,
            progress=None, is_canceled=None, on_explained=None):
    """Expected gradients per period for every trained well: an ``explanation.config.NetworkExplanation``.

    trained: well_id -> TrainedWell (from ``train(...).result.trained`` or ``store.load_network(...).trained``);
    records: well_id -> data.WellRecord covering the trained span. ``executor``: as in ``train``.
    ``on_explained(well_id, WellExplanation)``: takes each well as it ends, to write it out; the result then
    keeps no lags (``explanation.network.explain_network``).
    """
    from .explanation.network import explain_network
    from .explanation import crosscheck
    from .explanation.shares import share_fields

    labels = period_labels(records, roles, calendar, period_config, log)
    if labels is None:
        raise InputError("the explanation is per freeze-thaw period, and there is no air temperature to find "
                         "the periods from", setting="roles.temp",
                         fix="give the air temperature (`roles.temp`) or a `calendar` table")
    feats = features_for(records, trained, roles)
    result = explain_network({w: t for w, t in trained.items() if w in feats}, feats, labels, config=config,
                             executor=executor, progress=progress, is_canceled=is_canceled, on_explained=on_explained)
    for w, reason in result.skipped.items():
        if log:
            log(f"well '{w}' not explained: {reason}")
    for w, ex in result.explanations.items():
        for msg in ex.messages:
            if log:
                log(f"well '{w}': {msg}")
    checked = crosscheck.summary(result.explanations.values())
    if log and checked:
        log(checked)
    renamed = {d: f for d, f in share_fields(dict.fromkeys(
        d for ex in result.explanations.values() for d in ex.overall)).items() if f != "sh_" + d}
    if log and renamed:  # a shapefile keeps 10 characters: say which field holds which driver
        log("Share fields: " + ", ".join(f"{d} -> {f}" for d, f in renamed.items()))
    return result


def explain_folder(model_folder, wells, forcing, roles, config=None, *, forcing_id_col=None,
                   forcing_date_col="date", calendar=None, period_config=None, executor=None, log=None,
                   progress=None, is_canceled=None, nodata=NODATA_CODES, on_explained=None):
    """``explain`` for a model folder and a forcing table: (NetworkExplanation, skipped dict)."""
    from .model.executor import executor_for

    with executor_for(executor, len(wells)) as executor:  # a cluster is refused before any data is read
        return _explain_folder(model_folder, wells, forcing, roles, config, forcing_id_col, forcing_date_col,
                               calendar, period_config, executor, log, progress, is_canceled, nodata, on_explained)


def _explain_folder(model_folder, wells, forcing, roles, config, forcing_id_col, forcing_date_col, calendar,
                    period_config, executor, log, progress, is_canceled, nodata, on_explained):
    net, usable, skipped = _stored_models(model_folder, wells, forcing, roles)
    lats = _latitudes(wells)
    records, bad = data.prepare_forcing_only(
        forcing, roles, usable, warmup_days=net.config.lookback, forcing_id_col=forcing_id_col,
        forcing_date_col=forcing_date_col, latitudes=lats, log=log, is_canceled=is_canceled, nodata=nodata)
    skipped.update(bad)
    result = explain({w: net.trained[w] for w in records}, records, roles, config, calendar=calendar,
                     period_config=period_config, executor=executor, log=log, progress=progress,
                     is_canceled=is_canceled, on_explained=on_explained)
    skipped.update(result.skipped)
    return result, skipped


def classify(attribution, simulation=None, drivers=None, config=None, log=None, signatures=None):
    """Dynamics type of every explained well: ``dynamics.DynamicsResult`` (table with dyn_type, dyn_conf).
    ``signatures``: well_id -> ``dynamics.well_signature``, for wells whose simulation was written out."""
    from .explanation import dynamics

    result = dynamics.classify_network(attribution, simulation, drivers=drivers, config=config,
                                       signatures=signatures)
    if log and result.agreement == result.agreement:
        log(f"Clustering of the attribution signatures agrees with the rules for "
            f"{result.agreement * 100:.0f} % of wells")
    return result


@dataclass
class Analysis:
    """What ``analyse`` returns: the training run, its explanation, the dynamics types and the calendar."""

    run: TrainingRun
    explanation: object                 # explanation.config.NetworkExplanation
    dynamics: object                    # explanation.dynamics.DynamicsResult
    calendar: pd.DataFrame = None       # freeze-thaw calendar of every well (None without temperature)

    def wells_table(self):
        """One row per well asked for: the training scores, the dominant drivers and shares, the type."""
        return self.run.wells_fields().merge(self.explanation.wells, on="well_id", how="left") \
                                      .merge(self.dynamics.wells_fields(), on="well_id", how="left")

    def simulation(self):
        return self.run.simulation()

    @property
    def skipped(self):
        return self.run.skipped


def analyse(wells, levels, forcing, roles, config=None, explain_config=None, dynamics_config=None, *,
            level_fields=("well_id", "date", "level"), forcing_id_col=None, forcing_date_col="date",
            calendar=None, period_config=None, executor=None, log=None, progress=None, is_canceled=None,
            nodata=NODATA_CODES, on_simulation=None, on_explained=None):
    """Train, explain and classify every well: an ``Analysis``. The explanation draws with the training seed
    unless ``explain_config`` says otherwise. Progress: 0-67 % training, 67-100 % explanation. Both stages
    share one ``executor`` (one pool, or one connection to the cluster). ``on_simulation`` / ``on_explained``:
    as in ``train`` / ``explain``, each well's rows go out as it ends and are not kept (``simulation()`` is then
    empty, the explanation keeps no lags); the dynamics types read the level signature each well's simulation
    gave on its way out (``dynamics.well_signature``)."""
    from .model.executor import executor_for

    streams = {"on_simulation": on_simulation, "on_explained": on_explained}
    with executor_for(executor, len(wells)) as executor:
        return _analyse(wells, levels, forcing, roles, config, explain_config, dynamics_config, level_fields,
                        forcing_id_col, forcing_date_col, calendar, period_config, executor, log, progress,
                        is_canceled, nodata, streams)


def _analyse(wells, levels, forcing, roles, config, explain_config, dynamics_config, level_fields, forcing_id_col,
             forcing_date_col, calendar, period_config, executor, log, progress, is_canceled, nodata, streams):
    from .explanation.config import ExplainConfig
    from .explanation.dynamics import well_signature

    def part(lo, hi):
        return None if progress is None else (lambda frac, msg=None: progress(lo + (hi - lo) * frac, msg))

    signatures = {}

    def take(well_id, frame):
        signatures[well_id] = well_signature(frame, dynamics_config)
        streams["on_simulation"](well_id, frame)

    streamed = streams["on_simulation"] is not None

    run = train(wells, levels, forcing, roles, config, level_fields=level_fields, forcing_id_col=forcing_id_col,
                forcing_date_col=forcing_date_col, calendar=calendar, period_config=period_config,
                executor=executor, log=log, progress=part(0.0, 2 / 3), is_canceled=is_canceled, nodata=nodata,
                on_simulation=take if streamed else None)
    if not run.result.trained:
        raise InputError("no well could be trained: " + "; ".join(
            f"{w}: {r}" for w, r in list(run.skipped.items())[:5]), setting="levels", fix="see each well's reason above")
    if explain_config is None:
        explain_config = ExplainConfig(seed=run.result.config.seed)
    explanation = explain(run.result.trained, run.records, roles, explain_config, calendar=calendar,
                          period_config=period_config, executor=executor, log=log, progress=part(2 / 3, 1.0),
                          is_canceled=is_canceled, on_explained=streams["on_explained"])
    types = classify(explanation.attribution, None if streamed else run.simulation(), drivers=roles.drivers(),
                     config=dynamics_config, log=log, signatures=signatures)
    cal = calendars(run.records, roles, period_config) if roles.temp and calendar is None else calendar
    return Analysis(run, explanation, types, cal)
