"""This copy of the core, shipped to Dask workers: a worker plugin and the check of what each worker runs.

The module is pickled by value (``cloudpickle.register_pickle_by_value``), because a worker cannot import the
package before the package is there: so it imports only the standard library and ``distributed``, and names
nothing else of the core.
"""
import hashlib
import importlib
import io
import os
import pickle
import sys
import zipfile

from distributed.diagnostics.plugin import WorkerPlugin

PLUGIN_NAME = "groundwater-lstm-core"
NEEDED = ("numpy", "pandas", "torch", "captum")


def package_files(package_dir, package):
    """[(path in the archive, bytes)] of a package's Python sources, sorted: its ``__init__.py`` and ``core/``
    (the plugin folder holds far more: the GUI, the tests, a venv; workers need the core only)."""
    files = []
    if package == "core":
        roots = [(package_dir, "core")]
    else:
        files.append((f"{package}/__init__.py", os.path.join(package_dir, "__init__.py")))
        roots = [(os.path.join(package_dir, "core"), f"{package}/core")]
    for folder, prefix in roots:
        for here, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for n in sorted(names):
                if n.endswith(".py"):
                    rel = os.path.relpath(os.path.join(here, n), folder).replace(os.sep, "/")
                    files.append((f"{prefix}/{rel}", os.path.join(here, n)))
    out = []
    for arc, path in sorted(files):
        with open(path, "rb") as fh:
            out.append((arc, fh.read()))
    return out


def digest(files):
    """The version of a shipped core: sha256 over its files' names and contents (a changed line is another
    version, whatever the manifest's number says)."""
    h = hashlib.sha256()
    for arc, data in files:
        h.update(arc.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()


def archive(files):
    """A zip of ``files``, the same bytes for the same files (fixed timestamps)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for arc, data in files:
            z.writestr(zipfile.ZipInfo(arc, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def _forget(package):
    for m in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[m]


class ShipCore(WorkerPlugin):
    """Unpacks the client's core under the worker's local directory (one folder per version) and puts it first
    on ``sys.path``; a worker reused from a run of another version forgets the modules it had imported. Sets
    one torch thread per task: the numbers are the same as the local pool's only with one thread."""

    name = PLUGIN_NAME

    def __init__(self, package, data, version, label):
        self.package, self.data, self.version, self.label = package, data, version, label

    def setup(self, worker):
        target = os.path.join(worker.local_directory, f"{self.package}-{self.version[:16]}")
        if not os.path.isdir(target):
            part = f"{target}.part{os.getpid()}"
            with zipfile.ZipFile(io.BytesIO(self.data)) as z:
                z.extractall(part)
            try:
                os.replace(part, target)
            except OSError:  # another worker of this machine was first
                pass
        for p in [p for p in sys.path if os.path.basename(p).startswith(self.package + "-")]:
            sys.path.remove(p)
        sys.path.insert(0, target)
        _forget(self.package)
        importlib.invalidate_caches()
        try:
            import torch

            torch.set_num_threads(1)
        except (ImportError, RuntimeError):
            pass


def run_pickled(payload):
    """Runs a task on a worker: ``payload`` is ``pickle.dumps((fn, args))``. The scheduler of a recent Dask
    unpickles every task it is given, and it has no core to import: as bytes, the core's functions and objects
    are unpickled only here, where the plugin has put the core."""
    fn, args = pickle.loads(payload)
    return fn(*args)


def check_worker(package, version):
    """Runs on each worker (``Client.run``): what it has. {'core': digest or the import error, 'python', and
    each needed package's version or None}."""
    out = {"python": ".".join(map(str, sys.version_info[:3]))}
    try:
        mod = importlib.import_module(package if package == "core" else f"{package}.core")
        here = os.path.dirname(os.path.abspath(mod.__file__))
        root = here if package == "core" else os.path.dirname(here)
        out["core"] = digest(package_files(root, package))
    except Exception as exc:  # reported to the client, which refuses with it
        out["core"] = f"cannot import {package}.core: {type(exc).__name__}: {exc}"
    for name in NEEDED:
        try:
            out[name] = getattr(importlib.import_module(name), "__version__", "?")
        except Exception:  # a broken install is as missing as an absent one
            out[name] = None
    return out
