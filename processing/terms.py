"""The core's settings under the names the algorithms give them: the one place where a core message (which
writes a setting in backticks, as `lookback`) becomes the user's (LOOKBACK)."""
import re

PARAMETERS = {
    "lookback": "LOOKBACK", "learning_rate": "LEARNING_RATE", "test_start": "TEST_START", "val_start": "VAL_START",
    "model_folder": "MODEL_FOLDER", "nodata": "NODATA", "calendar": "PERIODS", "levels": "LEVELS",
    "forcing": "FORCING", "wells": "WELLS", "years": "YEARS",
    "roles.precip": "PRECIP_FIELD", "roles.temp": "TEMP_FIELD", "roles.pet": "EVAP_FIELD",
    "roles.river": "RIVER_FIELD", "roles.pumping": "PUMPING_FIELD",
    "n_samples": "N_SAMPLES", "days_per_period": "DAYS_PER_PERIOD", "span": "SPAN",
    "start": "START_DATE", "step_hours": "STEP_HOURS", "preset": "UNITS", "other_how": "OTHER_AGGREGATION",
    "label": "FLUX_LABEL", "method": "INTERPOLATION", "attribution": "ATTRIBUTION",
    "executor": "DASK_SCHEDULER", "baseline": "BASELINE",
    "tune": "TUNE", "tune_trials": "TUNE_TRIALS",
}
_SETTING = re.compile(r"`([A-Za-z_][\w.]*)`")


def in_parameters(text):
    """A core message with its settings named as the algorithms' parameters."""
    if not isinstance(text, str) or "`" not in text:
        return text
    return _SETTING.sub(lambda m: PARAMETERS.get(m.group(1), m.group(1)), text)


def core_log(feedback):
    """The ``log`` callback for core calls: each line in the parameters' words, into the algorithm's log."""
    return lambda message: feedback.pushInfo(in_parameters(message))
