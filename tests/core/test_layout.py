"""The house: the core never imports QGIS, its public API resolves, each word of the method is defined once."""
import ast
import re
from pathlib import Path

import groundwater_lstm.core as core

CORE = Path(core.__file__).resolve().parent
REPO = CORE.parent


def _modules(root):
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def test_the_core_never_imports_qgis():
    for path in _modules(CORE):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] in ("qgis", "PyQt5", "PyQt6") for n in names), path


def test_every_public_name_resolves():
    for name in core.__all__:
        assert getattr(core, name) is not None, name


def test_the_vocabulary_is_defined_once():
    # the periods, types and splits are spelled out in vocabulary.py only (tests may spell them to check it)
    pattern = re.compile(r'^\s*[A-Z_]+\s*=\s*\(\s*"(freezing|infiltration-evaporation|train)"', re.M)
    sources = [p for folder in ("core", "processing", "plugin") for p in _modules(REPO / folder)]
    defining = [p.relative_to(REPO).as_posix() for p in sources if pattern.search(p.read_text(encoding="utf-8"))]
    assert defining == ["core/vocabulary.py"], defining


# functions longer than FUNCTION_LINES that stay whole, and why
LONG_ON_PURPOSE = {
    # the simulator's daily loop: one body serves numpy rows and plain floats; a call per day and flux in a
    # helper would slow the float path (one well) several-fold, and the equations read best in one place
    "hydrology/synthetic/aquifer.py:_loop",
}
MODULE_LINES, FUNCTION_LINES = 400, 60


def test_modules_and_functions_read_at_once():
    too_long = []
    for path in _modules(CORE):
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(CORE).as_posix()
        if len(text.splitlines()) > MODULE_LINES:
            too_long.append(f"{where}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > FUNCTION_LINES and f"{where}:{node.name}" not in LONG_ON_PURPOSE:
                    too_long.append(f"{where}:{node.name}: {n} lines")
    assert too_long == [], too_long


def test_one_run_length_helper():
    # runs of equal values are found in core/runs.py only (periods, figure spans, stuck loggers, date ranges)
    pattern = re.compile(r"\[1:\]\s*!=\s*\w+\[:-1\]|np\.diff\([^)]*\)\s*!=\s*[01]\b")
    sources = [p for folder in ("core", "processing", "plugin") for p in _modules(REPO / folder)]
    found = [p.relative_to(REPO).as_posix() for p in sources if pattern.search(p.read_text(encoding="utf-8"))]
    assert found == ["core/runs.py"], found


def test_the_well_fields_are_named_once():
    # the score and dominant-driver fields of the wells layer are spelled in vocabulary.py only
    pattern = re.compile(r'"nse_train",\s*"nse_val"|"dom_drv",\s*"dom_frz"')
    sources = [p for folder in ("core", "processing", "plugin") for p in _modules(REPO / folder)]
    found = [p.relative_to(REPO).as_posix() for p in sources if pattern.search(p.read_text(encoding="utf-8"))]
    assert found == ["core/vocabulary.py"], found
