"""What a training run tells the person who ran it, after the per-well skips: wells without a test score, the
Pastas baseline beside the LSTM, and what tuning chose."""


def run_notes(result, records):
    """The notes of a ``training.NetworkResult``, in order."""
    return [*unscored(result.metrics, records, result.config), *baseline_notes(result), *tuning_notes(result)]


def unscored(metrics, records, config):
    """A note for each trained well without a test score: its test part holds no observation."""
    if not len(metrics) or "nse_test" not in metrics.columns:
        return []
    notes = []
    for _, row in metrics[(metrics["status"] == "ok") & metrics["nse_test"].isna()].iterrows():
        rec = records.get(row["well_id"])
        last = f" (its levels end on {rec.last_obs.date()})" if rec is not None else ""
        why = (f"no observed level on or after the test start {config.test_start}{last}" if config.test_start else
               f"no observed level in the test part{last}: the train and validation fractions take the whole record")
        notes.append(f"Well '{row['well_id']}': trained, but {why}, so it has no test score (nse_test, kge_test, "
                     "rmse_test and bias_test are empty). Fix: set the test start before the well's last levels, "
                     "or leave it empty to test on the last 15 % of each record.")
    return notes


def baseline_notes(result):
    """With the Pastas baseline: a line for each well it could not fit, and where the LSTM wins."""
    m = result.metrics
    if result.config is None or not result.config.baseline or "nse_tfn" not in m.columns:
        return []
    notes = [f"Well '{w}': {p}" for w, p in zip(m["well_id"], m.get("tfn_problem", [])) if isinstance(p, str)]
    both = m.dropna(subset=["nse_test", "nse_tfn"])
    if len(both):
        notes.append(f"Pastas baseline: the LSTM wins on {int((both['lstm_gain'] > 0).sum())} of {len(both)} wells; "
                     f"median test NSE {both['nse_test'].median():.3f} (LSTM) against {both['nse_tfn'].median():.3f} "
                     "(Pastas)")
    return notes


def tuning_notes(result):
    """With tuning: how many wells took settings other than the run's."""
    if result.config is None or not result.config.tune:
        return []
    tunings = [tw.info["tuning"] for tw in result.trained.values() if "tuning" in tw.info]
    moved = sum(t["chosen_trial"] != 0 for t in tunings)
    return [f"Tuning: {moved} of {len(tunings)} wells took settings other than the run's ({result.config.tune_trials} "
            "trials each on the validation part); each well's are in its \"tuned\" field and the model folder"]
