"""Every well of a network explained: the periods of each well's days, the fan-out over wells, and the tables of
all wells together."""
from __future__ import annotations

import time
from typing import Callable, Optional

import pandas as pd

from ..errors import Canceled, GroundwaterError, InputError, WellInputError
from ..hydrology.periods import label_well, parse_calendar
from ..model.executor import map_wells
from .attribution import _dates, _progress, explain_well, log
from .config import ATTRIBUTION_COLUMNS, LAG_COLUMNS, ExplainConfig, NetworkExplanation
from .shares import wells_table


def explain_network(trained, features, labels=None, *, temperature=None, periods=None, period_config=None,
                    config: Optional[ExplainConfig] = None, executor=None, progress: Optional[Callable] = None,
                    is_canceled: Optional[Callable] = None, on_explained: Optional[Callable] = None
                    ) -> NetworkExplanation:
    """Explain every trained well (a map over wells through ``executor``, as in training).

    trained: {well_id: TrainedWell} or a NetworkResult (its ``trained``). features: {well_id: features_df}.
    Periods per well, first that applies: ``labels[well_id]`` (a Series of period names indexed by date), the
    ``periods`` calendar table (well_id, winter, freeze_start, thaw_start, thaw_end; validated here: inverted
    or overlapping dates raise InputError), ``temperature[well_id]`` (daily air temperature, Series indexed by
    date). Neither for a well: InputError. A well that fails is skipped with its reason; the others go on.
    ``executor``: ``core.model.executor`` SerialExecutor / ProcessExecutor (None: the default, two worker
    processes on two cores); the numbers do not depend on it. ``on_explained(well_id, WellExplanation)``: takes
    each explained well as it ends, in the order of ``trained``, to write it out; the result then keeps each
    explanation without its lags (the bulky part: a row per lag day), and its ``lags`` table is empty.
    """
    config = (config or ExplainConfig()).validate()
    t0 = time.perf_counter()
    trained = dict(getattr(trained, "trained", trained))
    labels = dict(labels or {})
    temperature = dict(temperature or {})
    if periods is not None:
        periods = parse_calendar(periods, check=True)
    missing = [w for w in trained
               if w in features and w not in labels and periods is None and temperature.get(w) is None]
    if missing:
        raise InputError(f"freeze-thaw periods are needed for {len(missing)} well(s) "
                         f"({', '.join(map(str, missing[:5]))}{'...' if len(missing) > 5 else ''}) but there is "
                         f"no temperature role and no `calendar` table", setting="roles.temp",
                         fix="give the air temperature (`roles.temp`) or a `calendar` table")
    wells = list(trained)
    tasks, skipped = _tasks(trained, features, labels, temperature, periods, period_config, config)
    def handed_over(wid, explanation):
        on_explained(wid, explanation)
        explanation.lags = explanation.lags.iloc[0:0]
        return explanation

    explanations, failed = map_wells(tasks, executor=executor, progress=progress, is_canceled=is_canceled,
                                     cancel_message="explanation canceled", done="explained",
                                     notes=lambda e: e.messages, on_well=None if on_explained is None else handed_over)
    skipped = {w: {**skipped, **failed}[w] for w in wells if w in skipped or w in failed}
    for w, reason in skipped.items():
        log.warning("well %s skipped: %s", w, reason)
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


def _tasks(trained, features, labels, temperature, periods, period_config, config):
    """({well: explanation task}, {well: reason} for those that cannot be explained)."""
    tasks, skipped = {}, {}
    for wid in trained:
        try:
            if wid not in features:
                raise WellInputError("no forcing for this well", well=wid, setting="forcing",
                                     fix="give forcing that covers the well")
            lab = labels.get(wid)
            if lab is None:
                lab = label_well(_dates(features[wid]), well_id=wid, temperature=temperature.get(wid),
                                 calendar=periods, config=period_config)
            tasks[wid] = (_explain_task, (wid, trained[wid], features[wid], lab, config))
        except GroundwaterError as exc:
            skipped[wid] = str(exc)
    return tasks, skipped


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
    from ``periods`` (a calendar table) or from the records' temperature (the ``temp`` role)."""
    from ..hydrology.features import derive_features

    trained = dict(getattr(trained, "trained", trained))
    features, temperature = {}, {}
    for wid, tw in trained.items():
        rec = records.get(wid)
        if rec is None:
            continue
        feats, _ = derive_features(rec.frame, roles, lat=rec.lat, config=tw.config.feature_config())
        features[wid] = feats
        if roles.temp and "temp" in rec.frame.columns:
            temperature[wid] = rec.frame["temp"]
    if periods is None and not temperature and trained:
        raise InputError("freeze-thaw periods are needed but there is neither a temperature role nor a `calendar` "
                         "table", setting="roles.temp", fix="give the air temperature (`roles.temp`) or a `calendar` table")
    return explain_network(trained, features, temperature=temperature, periods=periods,
                           period_config=period_config, config=config, executor=executor, progress=progress,
                           is_canceled=is_canceled)


def _concat(frames, columns):
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
