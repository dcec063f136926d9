"""Which optional packages are missing or broken, and the exact command that fixes it.

Pure Python: the plugin and the processing layer use it to refuse to run with an actionable message
instead of failing to load.
"""
import importlib
import sys
from pathlib import Path

TORCH_VERSION = "2.13.0"
MIN_PYTHON = (3, 10)  # captum 0.9 and torch 2.13 publish nothing for older Pythons
WORKING_QGIS = "QGIS 3.40 LTR, 3.44 LTR or 4.x"

REQUIRED = ("numpy", "pandas", "torch", "captum", "sklearn")
PIP_NAMES = {"sklearn": "scikit-learn"}


def python_problem(version, platform="linux"):
    """Why QGIS's Python ``version`` ((major, minor)) cannot run the plugin's packages, or None when it can."""
    major, minor = (int(v) for v in tuple(version)[:2])
    if (major, minor) >= MIN_PYTHON:
        return None
    need = ".".join(map(str, MIN_PYTHON))
    windows = str(platform).lower().startswith(("win", "cygwin"))
    where = " (QGIS 3.22 to 3.34 on Windows ship Python 3.9)" if windows else ""
    return (f"this QGIS runs Python {major}.{minor}{where}, but captum and torch {TORCH_VERSION} need Python {need} "
            f"or newer. Fix: install {WORKING_QGIS}, whose Python is {need} or newer, and install the packages "
            "there")


def plugin_version():
    """``version=`` of the plugin's metadata.txt (None when it cannot be read)."""
    path = Path(__file__).resolve().parents[1] / "metadata.txt"
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip().lower().startswith("version="):
                return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return None


def made_by():
    """What a model folder and a report record as their maker."""
    return {"plugin": plugin_version()}


def venv_hint(version=None):
    """The venv route for a Linux system QGIS, for QGIS's Python ``version`` ((major, minor))."""
    major, minor = tuple(version or sys.version_info)[:2]
    return (
        "/usr/bin/python3 -m venv --system-site-packages ~/.groundwater_lstm_venv && "
        "~/.groundwater_lstm_venv/bin/pip install \"numpy==$(/usr/bin/python3 -c 'import numpy; "
        f"print(numpy.__version__)')\" torch=={TORCH_VERSION} captum pandas scikit-learn, then start QGIS with "
        f"PYTHONPATH=~/.groundwater_lstm_venv/lib/python{major}.{minor}/site-packages"
    )


def _probe(module):
    """None when ``module`` imports, else a short reason."""
    try:
        importlib.import_module(module)
        return None
    except Exception as exc:  # an ImportError, or a broken binary (numpy ABI mismatch)
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return text


def numpy_abi_problem():
    """The numpy-2 trap: numpy 2 installed next to system packages built for numpy 1."""
    try:
        import numpy
    except Exception:
        return None
    if int(numpy.__version__.split(".")[0]) < 2:
        return None
    for compiled in ("matplotlib", "osgeo.gdal_array"):
        if compiled in sys.modules:
            continue
        reason = _probe(compiled)
        if reason and ("numpy" in reason or "multiarray" in reason):
            return (
                f"numpy {numpy.__version__} is installed, but {compiled} was built for numpy 1.x "
                f"({reason}); reinstall numpy at the version your QGIS ships"
            )
    return None


def missing(modules=REQUIRED):
    """List of (pip name, reason) for every module that does not import; ('python', reason) first when QGIS's
    Python is too old for the packages at all."""
    problems = []
    too_old = python_problem(sys.version_info, sys.platform)
    if too_old:
        problems.append(("python", too_old))
    for m in modules:
        reason = _probe(m)
        if reason:
            problems.append((PIP_NAMES.get(m, m), reason))
    abi = numpy_abi_problem()
    if abi:
        problems.append(("numpy", abi))
    return problems


def install_command(packages):
    """The pip command (for QGIS's own Python) that installs ``packages`` with numpy held where it is."""
    pkgs = " ".join(f"torch=={TORCH_VERSION}" if p == "torch" else p for p in packages
                    if p not in ("numpy", "python"))
    try:
        import numpy

        held = f"numpy=={numpy.__version__}"
    except Exception:
        held = ""
    return f"python -m pip install {pkgs}" + (f" \"{held}\"" if held else "")


def message(problems):
    """A user-facing sentence: what is missing and how to fix it, or '' when nothing is."""
    if not problems:
        return ""
    too_old = dict(problems).get("python")
    if too_old:
        return f"Groundwater LSTM cannot run here: {too_old}."
    what = "; ".join(f"{name} ({reason})" for name, reason in problems)
    names = [n for n, _ in problems]
    return (
        f"Groundwater LSTM needs Python packages that QGIS cannot import: {what}. "
        f"Install them into the Python that QGIS uses: {install_command(names)}. "
        f"On Debian/Ubuntu system QGIS, where pip into the system is refused, use a venv instead: {venv_hint()}."
    )
