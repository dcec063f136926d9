"""Per-well tuning (``TrainConfig.tune``): a seeded random search on the validation split, before the ensemble.

Trial 0 is the run's own settings; the other ``tune_trials - 1`` draw lookback, hidden size, dropout, learning
rate and window from ``SPACE`` (seeded by the run's seed and the well id, so a well draws the same trials
whatever the network around it). Each trial trains a small ensemble (``TRIAL_MEMBERS``, seeds as the run's) on
the training part with early stopping on the validation part, as the run itself does, and is scored by the
validation NSE of the ensemble mean at its best epoch. One member's best epoch is a poor judge: the best of a
noisy curve favours the noisiest settings (a first version that scored one member chose other settings for 26
of 28 Swiss wells and lost 0.07 of median test NSE). The run's settings stay unless a trial beats them by more
than the noise: ``MARGIN``, or the spread of the run's own members' validation scores where that is larger.
The test part is never read: the caller hands a target whose test days are NaN (``blind``), and a test proves
that changing the test levels changes nothing here. Even so, on the Swiss wells it does not pay (bench case
``swiss_tune``: median test NSE 0.518 against 0.580 with the defaults, README).

Random search rather than a Bayesian one: with 8 trials on 5 coarse settings a surrogate model has too little to
learn from, and a seeded draw needs no extra package and is the same on every machine.
"""
import math
import zlib

import numpy as np
import torch

from ..errors import WellInputError
from .fitting import fit_members

SPACE = {
    "lookback": (180, 365, 540),
    "hidden": (16, 32, 64),
    "dropout": (0.0, 0.1, 0.25),
    "learning_rate": (1e-3, 3e-3, 1e-2),
    "window": (180, 365),
}
MARGIN = 0.02
TRIAL_MEMBERS = 2
NO_VALIDATION = "no observed validation days after the warm-up"


def trial_settings(config, well_id):
    """The settings of every trial of one well: trial 0 the run's own, then distinct draws from ``SPACE``."""
    base = {k: getattr(config, k) for k in SPACE}
    rng = np.random.default_rng([int(config.seed) & 0xFFFFFFFF, zlib.crc32(str(well_id).encode())])
    trials, seen = [base], {tuple(base.values())}
    n_distinct = math.prod(len(v) for v in SPACE.values())
    while len(trials) < min(int(config.tune_trials), n_distinct + 1):
        cand = {k: v[int(rng.integers(len(v)))] for k, v in SPACE.items()}
        key = tuple(cand.values())
        if key not in seen:
            seen.add(key)
            trials.append(cand)
    return trials


def blind(prep):
    """``prep`` (``training.prepare_arrays``) with the test part's levels removed: what tuning may see."""
    return dict(prep, level=prep["level"].where(prep["labels"] != "test"))


def tune_well(tensors, config, well_id, device, is_canceled=None, progress=None):
    """Run the trials of one well. ``tensors(trial_config)`` -> (x, y, train_mask, val_mask) of the blinded
    well (``training._tensors``). Returns ``{"chosen": {setting: value}, "chosen_trial": k, "margin": the lead
    a rival needed, "trials": [...]}``, each trial with its settings, ``val_nse`` (None when it could not run, with
    its ``problem``), ``epochs`` and ``member_spread``."""
    trials = trial_settings(config, well_id)
    results = []
    for k, settings in enumerate(trials):
        if progress is not None:
            progress(k / len(trials), f"well {well_id}: tuning, trial {k + 1} of {len(trials)}")
        results.append({**settings, **_run_trial(tensors, config.replace(**settings), device, is_canceled,
                                                 first=k == 0)})
        if k == 0 and results[0].get("problem") == NO_VALIDATION:
            return {"chosen": trials[0], "chosen_trial": 0, "trials": results,
                    "note": "no validation days to tune on: the run's settings are kept"}
    best = max(range(len(results)), key=lambda i: _score(results[i]))
    needed = max(MARGIN, results[0].get("member_spread") or 0.0)
    chosen = best if _score(results[best]) > _score(results[0]) + needed else 0
    return {"chosen": trials[chosen], "chosen_trial": chosen, "margin": round(needed, 6), "trials": results}


def describe(tuning):
    """One line for the well's ``tuned`` field: the settings it took, or that it kept the run's."""
    trials = tuning["trials"]
    k = tuning["chosen_trial"]
    if k == 0:
        return f"kept the run's settings (best of {len(trials)} trials)"
    own = ", ".join(f"{name}={value:g}" for name, value in tuning["chosen"].items()
                    if value != trials[0][name])
    base = trials[0]["val_nse"]
    return (f"{own} (validation NSE {trials[k]['val_nse']:.3f}, "
            f"{'none' if base is None else format(base, '.3f')} with the run's settings)")


def _score(result):
    return -math.inf if result["val_nse"] is None else result["val_nse"]


def _run_trial(tensors, config, device, is_canceled, first):
    """A small ensemble trained with early stopping on the validation part: its best validation score and epochs.
    A trial whose settings cannot work for this well (a lookback longer than its record, a learning rate that
    diverges) scores nothing and says why; the run's own settings (``first``) failing is the well's own error
    and propagates."""
    try:
        x, y, train_mask, val_mask = tensors(config)
        if not val_mask.any():
            return {"val_nse": None, "epochs": 0, "problem": NO_VALIDATION}
        seeds = [int(config.seed) + k for k in range(min(TRIAL_MEMBERS, int(config.ensemble)))]
        fits = fit_members(x, y, train_mask, val_mask, config, seeds, config.epochs, "ensemble", device,
                           is_canceled, None)
        (_, used, score, _) = fits[0]
    except WellInputError as exc:
        if first:
            raise
        return {"val_nse": None, "epochs": 0, "problem": exc.problem}
    ok = score is not None and math.isfinite(score)
    out = {"val_nse": round(float(score), 6) if ok else None, "epochs": int(used)}
    if ok and len(fits) > 1:
        out["member_spread"] = round(_member_spread(fits, x, y, val_mask, config, device), 6)
    return out


def _member_spread(fits, x, y, val_mask, config, device):
    """How far the members' own validation scores lie apart (the range): what the same settings score from
    another seed, so the noise a rival's lead has to exceed."""
    from .fitting import _Validation, forward_span
    from .lstm import WellLSTM

    val = _Validation(y, val_mask, config.lookback, device)
    window = max(1, min(config.window, x.shape[0] - config.lookback))
    scores = []
    for state, *_ in fits:
        member = WellLSTM(x.shape[1], config.hidden, config.dropout).to(device)
        member.load_state_dict(state)
        member.eval()
        with torch.no_grad():
            scores.append(val.score(forward_span(member, x, config.lookback, window, val.lo, val.hi)[val.idx]))
    finite = [s for s in scores if math.isfinite(s)]
    return max(finite) - min(finite) if len(finite) > 1 else 0.0
