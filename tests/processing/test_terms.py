"""The core names its settings in its own words (`lookback`, `calendar`); the algorithms say them as their
parameters (LOOKBACK, PERIODS), mapped once in processing/terms.py."""
import ast
import re
from pathlib import Path

import groundwater_lstm.core as core
from groundwater_lstm.processing.terms import PARAMETERS, in_parameters

CORE = Path(core.__file__).resolve().parent
# settings a notebook user has and the algorithms do not offer (the algorithms keep the default)
CORE_ONLY = {"chunk_size", "baseline_windows", "train_frac", "ambiguity_margin"}
# parameter names that are also plain words or data columns in the core's text
PLAIN = {"INPUT", "OUTPUT", "SEED", "TITLE", "REPORT", "WELLS", "LEVELS", "FORCING"}
_BACKTICKED = re.compile(r"(?<!`)`([A-Za-z_][\w.]*)`(?!`)")


def _parameter_names(provider):
    return {d.name() for alg in provider.algorithms() for d in alg.parameterDefinitions()}


def _core_strings():
    for path in sorted(CORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield path.relative_to(CORE).as_posix(), node.value


def _settings_raised():
    for path in sorted(CORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "setting" and isinstance(node.value, ast.Constant):
                yield path.relative_to(CORE).as_posix(), node.value.value


def test_every_mapped_parameter_exists(provider):
    assert set(PARAMETERS.values()) <= _parameter_names(provider), set(PARAMETERS.values()) - _parameter_names(provider)


def test_the_core_names_no_parameter_of_the_algorithms(provider):
    names = sorted(_parameter_names(provider) - PLAIN, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(names) + r")\b")
    hits = [(where, m.group(1)) for where, text in _core_strings() for m in [pattern.search(text)] if m]
    assert hits == [], hits


def test_every_setting_the_core_names_is_mapped():
    named = {word for _, text in _core_strings() for word in _BACKTICKED.findall(text)
             if word in PARAMETERS or word in CORE_ONLY or word.startswith("roles.")}
    raised = {value for _, value in _settings_raised()}
    assert raised, "no error names a setting: the scan is broken"
    unmapped = {s for s in raised | named if s not in PARAMETERS and s not in CORE_ONLY}
    assert unmapped == set()
    assert {"lookback", "roles.temp", "calendar", "model_folder"} <= raised | named


def test_a_core_message_in_the_parameters_words():
    from groundwater_lstm.core.errors import InputError

    err = InputError("the look-back is too long", well="W1", setting="lookback", fix="lower `lookback`")
    assert str(err) == "well 'W1', `lookback`: the look-back is too long. Fix: lower `lookback`"
    assert in_parameters(str(err)) == "well 'W1', LOOKBACK: the look-back is too long. Fix: lower LOOKBACK"
    assert in_parameters("give `roles.temp` or a `calendar` table") == "give TEMP_FIELD or a PERIODS table"
    assert in_parameters("no setting here") == "no setting here"
