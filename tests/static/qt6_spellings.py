"""Finds spellings that QGIS 4 (Qt6) no longer runs, in the plugin's Python sources.

Run as a script to list them (``python tests/static/qt6_spellings.py``); ``test_qt6_spellings.py`` fails on any.
Reads tokens, so strings and comments never count (``processing/compat.py`` names the old spellings in strings).
"""
import ast
import io
import os
import re
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".git", "build", "dist", "demo_output", "test_artifacts", "bench_output",
             "__pycache__", ".whl", ".gl"}
QT_MODULES = {"QtCore", "QtGui", "QtWidgets", "QtXml", "QtNetwork", "QtSvg", "QtSql", "QtTest", "QtPrintSupport"}
QT_CLASS = re.compile(r"^(Qt|Q[A-Z]\w*)$")
QGIS_CLASS = re.compile(r"^(Qgis|Qgs\w+)$")
ENUM_TYPES = {"Type"}  # QMetaType.Type named as a type (getattr on it), not a value
CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]*$")  # QgsProcessing.TEMPORARY_OUTPUT is a constant, not an enum
# name -> why it is refused (the fix); compat.py is the one module allowed to bridge the API itself
BANNED = {
    "exec_": "exec_() is gone in Qt6: call exec()",
    "QRegExp": "QRegExp is gone in Qt6: use QRegularExpression",
    "QRegExpValidator": "QRegExpValidator is gone in Qt6: use QRegularExpressionValidator",
    "QDesktopWidget": "QDesktopWidget is gone in Qt6: use QScreen (QApplication.primaryScreen())",
    "MidButton": "Qt.MidButton is gone in Qt6: use Qt.MouseButton.MiddleButton",
    "writeAsVectorFormat": "deprecated: use processing.compat.write_vector",
    "writeAsVectorFormatV2": "deprecated: use processing.compat.write_vector",
    "parameterAsFields": "deprecated since QGIS 3.32: use processing.compat.parameter_as_fields",
    "isSaveAndLoadStyleToDatabaseSupported": "gone in QGIS 3.40: use processing.compat.stores_styles_in_database",
}
COMPAT = {ROOT / "processing" / "compat.py"}
MOVED_TO_QTGUI = {"QAction", "QActionGroup", "QShortcut", "QFileSystemModel", "QUndoCommand", "QUndoStack"}


def _moved_imports(tree):
    """(line, why) for classes imported from QtWidgets that Qt6 keeps in QtGui."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("QtWidgets"):
            for alias in node.names:
                if alias.name in MOVED_TO_QTGUI:
                    yield node.lineno, (f"{alias.name} from QtWidgets: Qt6 has it in QtGui; import it from "
                                        "processing.compat")


def sources(root=ROOT):
    for folder, dirs, files in os.walk(root):
        # never into build/ (chroots, venvs) nor into any virtual environment (.venv, .venv-latest, a user's own)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not (Path(folder) / d / "pyvenv.cfg").exists())
        for name in sorted(files):
            if name.endswith(".py"):
                yield Path(folder) / name


def problems(path):
    """(line, text) for every spelling in ``path`` that Qt6 / QGIS 4 does not run."""
    text = path.read_text(encoding="utf-8")
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
              if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)]
    found = [] if path in COMPAT else list(_moved_imports(ast.parse(text)))
    in_compat = path in COMPAT
    for i, tok in enumerate(tokens):
        if tok.type != tokenize.NAME:
            continue
        after_dot = i > 0 and tokens[i - 1].string == "."
        if tok.string in BANNED and not in_compat:
            found.append((tok.start[0], f"{tok.string}: {BANNED[tok.string]}"))
            continue
        if after_dot or i + 2 >= len(tokens) or tokens[i + 1].string != ".":
            continue
        attr, following = tokens[i + 2], (tokens[i + 3].string if i + 3 < len(tokens) else "")
        if attr.type != tokenize.NAME or not attr.string[:1].isupper() or following in (".", "("):
            continue
        if CONSTANT.match(attr.string) or attr.string in ENUM_TYPES:
            continue
        if tok.string == "QVariant":
            found.append((tok.start[0], f"QVariant.{attr.string}: QVariant.Type is gone in Qt6; make fields with "
                                        "processing.compat.make_field"))
        elif QT_CLASS.match(tok.string) and tok.string not in QT_MODULES:
            found.append((tok.start[0], f"{tok.string}.{attr.string}: unscoped Qt enum; write it with its enum "
                                        f"type, e.g. {tok.string}.<EnumType>.{attr.string}"))
        elif QGIS_CLASS.match(tok.string) and not in_compat:
            found.append((tok.start[0], f"{tok.string}.{attr.string}: an enum spelling QGIS 4 drops; take it "
                                        "from processing.compat (the current name where the QGIS has it)"))
    return sorted(found)


def report(root=ROOT):
    lines = []
    for path in sources(root):
        for line, why in problems(path):
            lines.append(f"{path.relative_to(root)}:{line}: {why}")
    return lines


if __name__ == "__main__":
    out = report()
    print("\n".join(out) or "clean")
    sys.exit(1 if out else 0)
