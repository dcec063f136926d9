"""Which optional packages are missing or broken, and the exact command that fixes it.

Pure Python: the plugin and the processing layer use it to refuse to run with an actionable message
instead of failing to load.
"""
import importlib
import sys

from .pip_command import TORCH_VERSION, python_problem

REQUIRED = ("numpy", "pandas", "torch", "captum", "sklearn")
PIP_NAMES = {"sklearn": "scikit-learn"}


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
