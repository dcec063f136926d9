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
