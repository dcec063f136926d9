"""The pip command that installs the plugin's Python packages next to QGIS, per platform.

Pure Python (no qgis, no subprocess): the installer dialog (plugin/installer.py) runs what these functions
build, and the tests check the commands for Windows, macOS and Linux on any machine.

The rules:
- QGIS's own Python is found from the running interpreter's prefix (``sys.base_prefix``), never from
  ``sys.executable`` (inside QGIS that is the qgis binary; inside qgis_process, qgis_process).
  Windows (standalone installer and OSGeo4W): ``<prefix>/python.exe`` with prefix ``<root>/apps/Python3xx``;
  ``<root>/bin/python3.exe`` is OSGeo4W's launcher that needs ``o4w_env`` first, so it is not used.
  macOS QGIS.app: ``QGIS.app/Contents/MacOS/bin/python3`` (or ``<prefix>/bin/python3``).
  Linux: ``<prefix>/bin/python3``.
- Packages go into a folder the plugin owns (``pip install --target``), which the plugin puts first on
  ``sys.path`` at start; ``--upgrade`` lets a second run replace what a first one put there.
- numpy is held at the version QGIS ships (``numpy==<version>`` is part of the request, so the resolver can
  only pick torch/pandas/scikit-learn builds that accept it); after the install the installer removes that
  copy of numpy from the target folder so that QGIS's own numpy (the one GDAL and matplotlib were built
  against) stays the one imported.
- torch: CPU build by default. One pip call has to resolve captum, pandas and scikit-learn from PyPI too,
  so the PyTorch wheel index is an *extra* index and the local version label pins the build:
  ``torch==2.13.0+cpu`` (Windows, Linux; macOS wheels on PyPI are CPU/MPS builds and have no label).
  ``cuda=True`` (Windows/Linux, where nvidia-smi is found) pins ``torch==<v>+<cuda_tag>`` from that tag's
  index instead (several GB).
- Debian/Ubuntu system QGIS (Linux, prefix /usr or /usr/local) is an "externally managed" Python: pip into
  the system is refused there and python3-pip is often missing, so the installer shows the venv commands of
  :func:`venv_commands`. (``pip install --target`` is not refused by PEP 668; where python3-pip is installed the
  installer offers it too.)
"""
import ntpath
import posixpath
import shlex

# the versions the plugin needs are defined once, with the check that refuses to run without them
from ..processing.dependencies import MIN_PYTHON, TORCH_VERSION, WORKING_QGIS, python_problem  # noqa: F401

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
CUDA_TAG = "cu130"
TORCH_INDEX = "https://download.pytorch.org/whl/{tag}"
DEFAULT_PACKAGES = ("torch", "captum", "pandas", "scikit-learn")
PLATFORMS = ("win32", "darwin", "linux")
SYSTEM_PREFIXES = ("/usr", "/usr/local")


def _platform(platform):
    """'win32' / 'darwin' / 'linux' from ``sys.platform``-like strings ('linux2', 'cygwin' -> win32...)."""
    p = (platform or "").lower()
    if p.startswith("win") or p == "cygwin":
        return "win32"
    if p.startswith("darwin") or p == "macos":
        return "darwin"
    if p.startswith("linux") or p.startswith("freebsd"):
        return "linux"
    raise ValueError(f"unknown platform {platform!r}: expected one of {', '.join(PLATFORMS)}")


def _path_module(platform):
    return ntpath if _platform(platform) == "win32" else posixpath


def _app_contents(prefix):
    """``.../QGIS.app/Contents`` when ``prefix`` lies inside a macOS application bundle, else None."""
    marker = ".app/Contents"
    i = prefix.find(marker)
    if i < 0:
        return None
    return prefix[: i + len(marker)]


def python_candidates(platform, prefix, version=None):
    """Where QGIS's Python may be, best first, for an interpreter whose ``sys.base_prefix`` is ``prefix``.

    ``version`` is 'X.Y' (adds ``python3.Y`` names on macOS/Linux).
    """
    plat = _platform(platform)
    path = _path_module(plat)
    prefix = prefix.rstrip("/\\") or prefix
    if plat == "win32":
        # <root>/apps/Python3xx/python.exe; never <root>/bin/python*.exe (OSGeo4W launcher, needs o4w_env)
        return [path.join(prefix, "python.exe"), path.join(prefix, "python3.exe")]
    names = ["python3"] + ([f"python{version}"] if version else []) + ["python"]
    out = []
    if plat == "darwin":
        contents = _app_contents(prefix)
        if contents:
            out += [path.join(contents, "MacOS", "bin", n) for n in names]
    out += [path.join(prefix, "bin", n) for n in names]
    return list(dict.fromkeys(out))


def find_qgis_python(platform, prefix, exists=None, version=None):
    """Path of QGIS's Python interpreter, or None when none of the candidates exists.

    ``exists`` is the file test (``os.path.exists`` by default; tests pass a fake one).
    """
    if exists is None:
        import os

        exists = os.path.exists
    if not prefix:
        return None
    for candidate in python_candidates(platform, prefix, version):
        if exists(candidate):
            return candidate
    return None


def system_qgis_needs_venv(platform, prefix):
    """True for a Linux distribution's QGIS on the system Python (Debian/Ubuntu: /usr), where pip into
    the system is refused (externally managed) or absent, so a venv is the supported route."""
    if _platform(platform) != "linux" or not prefix:
        return False
    return posixpath.normpath(prefix) in SYSTEM_PREFIXES


def torch_requirement(platform, torch_version=TORCH_VERSION, cuda=False, cuda_tag=CUDA_TAG):
    """(requirement, extra index URL or None) for torch on ``platform``."""
    plat = _platform(platform)
    if plat == "darwin" or not torch_version:
        return (f"torch=={torch_version}" if torch_version else "torch"), None
    if cuda:
        return f"torch=={torch_version}+{cuda_tag}", TORCH_INDEX.format(tag=cuda_tag)
    return f"torch=={torch_version}+cpu", CPU_INDEX


def pastas_requirement(numpy_version):
    """The Pastas release that installs next to this numpy: 1.10/1.11 where numpy is 1.x (Pastas 2 needs numpy
    2), 2.x where numpy is 2."""
    major = str(numpy_version or "2").split(".")[0]
    return "pastas>=1.10,<2" if major.isdigit() and int(major) < 2 else "pastas>=2"


def requirements(platform, numpy_version, packages=DEFAULT_PACKAGES, cuda=False,
                 torch_version=TORCH_VERSION, cuda_tag=CUDA_TAG):
    """(list of requirement strings, extra index URL or None). ``numpy`` is always held at ``numpy_version``."""
    reqs, index = [], None
    for name in packages:
        bare = name.strip()
        low = bare.lower()
        if not bare or low == "numpy" or low.startswith("numpy=") or low.startswith("numpy<"):
            continue
        if low == "torch":
            req, index = torch_requirement(platform, torch_version, cuda, cuda_tag)
            reqs.append(req)
        elif low == "sklearn":
            reqs.append("scikit-learn")
        elif low == "pastas":  # the optional baseline: the release that fits the held numpy
            reqs.append(pastas_requirement(numpy_version))
        else:
            reqs.append(bare)
    if numpy_version:
        reqs.append(f"numpy=={str(numpy_version).split('+')[0]}")  # a local label (+mkl) is not on PyPI
    return list(dict.fromkeys(reqs)), index


def pip_command(platform, prefix, target_dir, numpy_version, packages=DEFAULT_PACKAGES, cuda=False, *,
                python=None, exists=None, torch_version=TORCH_VERSION, cuda_tag=CUDA_TAG):
    """The full command (argv list) that installs ``packages`` into ``target_dir`` with QGIS's Python.

    ``python`` overrides the interpreter found by :func:`find_qgis_python`; a ValueError says what to do when
    none is found.
    """
    plat = _platform(platform)
    if python is None:
        python = find_qgis_python(plat, prefix, exists=exists)
    if python is None:
        tried = ", ".join(python_candidates(plat, prefix or "<prefix>"))
        raise ValueError(f"QGIS's Python was not found (looked for {tried}); pass its path explicitly")
    reqs, index = requirements(plat, numpy_version, packages, cuda, torch_version, cuda_tag)
    cmd = [python, "-m", "pip", "install", "--upgrade", "--target", str(target_dir),
           "--no-input", "--disable-pip-version-check", "--no-warn-script-location",
           "--progress-bar", "off", "--prefer-binary"]
    if index:
        cmd += ["--extra-index-url", index]
    return cmd + reqs


def quote(cmd, platform):
    """One line a person can paste into the platform's shell."""
    if _platform(platform) == "win32":
        import subprocess

        return subprocess.list2cmdline([str(c) for c in cmd])
    return " ".join(shlex.quote(str(c)) for c in cmd)


def venv_commands(numpy_version, packages=DEFAULT_PACKAGES, *, python="/usr/bin/python3",
                  venv="~/.groundwater_lstm_venv", python_version="3.11", cuda=False,
                  torch_version=TORCH_VERSION, cuda_tag=CUDA_TAG):
    """Shell lines for a Linux system QGIS: a venv that sees the system packages (QGIS, GDAL, numpy),
    the packages installed into it with numpy held, and QGIS started with the venv's site-packages."""
    reqs, index = requirements("linux", numpy_version, packages, cuda, torch_version, cuda_tag)
    pip = [f"{venv}/bin/python", "-m", "pip", "install"]
    if index:
        pip += ["--extra-index-url", index]
    pip += reqs
    site = f"{venv}/lib/python{python_version}/site-packages"
    # ~ must stay unquoted for the shell to expand it
    def q(arg):
        arg = str(arg)
        return arg if arg.startswith("~/") and " " not in arg else shlex.quote(arg)

    return [
        "sudo apt-get install -y python3-venv",
        " ".join([q(python), "-m", "venv", "--system-site-packages", q(venv)]),
        " ".join(q(a) for a in pip),
        f"PYTHONPATH={site} qgis",
    ]
