"""The map over wells on a Dask cluster: :class:`DaskExecutor`, the seam of :mod:`.executor` on ``distributed``.

    from groundwater_lstm import core
    run = core.train(wells, levels, forcing, roles, executor="tcp://10.0.0.5:8786")

One task per well goes to the scheduler; the data travel as numpy/pandas objects and the results come back to
the caller, which writes the outputs. The caller's copy of the core is shipped to every worker (``ship``), so a
worker needs Python, numpy, pandas, torch and captum, not the plugin. A worker that dies costs its wells a rerun
elsewhere (Dask reschedules them); the seeds make the rerun give the same numbers.
"""
import os
import pickle
import sys
import time
import uuid
from concurrent.futures import CancelledError, Future

from ..errors import GroundwaterError

CONNECT_TIMEOUT = 10.0   # s to reach the scheduler
WORKER_TIMEOUT = 30.0    # s to wait for a first worker
REPORT_EVERY = 0.5       # s between a task's progress messages and cancel checks (each is a scheduler round trip)

CLUSTER_FIX = ("start the scheduler (`dask scheduler`) and workers (`dask worker ADDRESS`) on the cluster, "
               "check the address and that its port is open from this machine, or leave `executor` empty to "
               "run on this machine")


class ClusterError(GroundwaterError):
    """A Dask cluster that cannot take the run: unreachable, without workers, or with workers that lack what
    the core needs. Raised before any well is sent."""


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ClusterError(
            "a Dask scheduler is set, but the Python package `distributed` is not installed next to QGIS. Fix: "
            "install it (`pip install \"dask[distributed]\"`; in QGIS: Plugins › Groundwater LSTM › Install Python "
            "packages, with dask[distributed] added to the packages), or leave `executor` empty to run on this "
            "machine") from None
    return distributed


def _package():
    """(top-level package name, its folder): what a worker must import the core's tasks under."""
    name = __name__.split(".")[0]
    return name, os.path.dirname(os.path.abspath(sys.modules[name].__file__))


def _refusals(report, version):
    """The workers that cannot run this core: one line each, naming what is missing and the fix."""
    from . import ship

    lines = []
    for addr, have in sorted(report.items()):
        if have.get("core") != version:
            lines.append(f"worker {addr} runs another core ({have.get('core', '?')[:80]}); it must import the "
                         f"one shipped from here (version {version[:12]})")
        missing = [n for n in ship.NEEDED if not have.get(n)]
        if missing:
            lines.append(f"worker {addr} (Python {have.get('python')}) lacks {', '.join(missing)}: install "
                         f"them in the workers' environment (`pip install {' '.join(missing)}`)")
    return lines


def _connect(address, timeout):
    distributed = _distributed()
    try:
        client = distributed.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address!r} within {timeout:.0f} s "
                           f"({type(exc).__name__}: {str(exc)[:160]}). Fix: {CLUSTER_FIX}") from None
    try:
        client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        client.close()
        raise ClusterError(f"the Dask scheduler at {address!r} has no worker after {WORKER_TIMEOUT:.0f} s "
                           f"({type(exc).__name__}). Fix: start workers with `dask worker {address}`") from None
    return client


def ship_core(client):
    """Register the worker plugin that installs this core on every worker (and on workers that join later),
    then check each worker: same core, and numpy, pandas, torch and captum importable. Returns the version
    (digest); raises ClusterError naming every worker that cannot take the run."""
    import cloudpickle

    from . import ship

    cloudpickle.register_pickle_by_value(ship)  # the workers cannot import it before it is there
    package, folder = _package()
    files = ship.package_files(folder, package)
    version = ship.digest(files)
    label = _plugin_version(folder)
    client.register_plugin(ship.ShipCore(package, ship.archive(files), version, label))
    lines = _refusals(client.run(ship.check_worker, package, version), version)
    if lines:
        raise ClusterError(f"the Dask cluster cannot run Groundwater LSTM {label}: " + "; ".join(lines))
    return version


def _plugin_version(folder):
    """The plugin's version from its manifest (metadata.txt), for messages; '' when there is none."""
    try:
        with open(os.path.join(folder, "metadata.txt"), encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("version="):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return ""


class _ByValue:
    """A function of ``ship`` as Dask sends it: Dask pickles a task with plain pickle first, which would name the
    function by its module (the scheduler has no core to import); this pickles it by value (cloudpickle)."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, *args):
        return self.fn(*args)

    def __reduce__(self):
        import cloudpickle

        return pickle.loads, (cloudpickle.dumps(self.fn),)


class _DaskReporter:
    """A task's reporter on a worker: progress through a Dask Queue, cancel through a Dask Event, each at most
    every REPORT_EVERY seconds (the last progress of a task always goes)."""

    def __init__(self, queue, event):
        self.queue, self.event = queue, event
        self._sent = self._asked = 0.0
        self._canceled = False

    def progress(self, key, fraction, message=""):
        now = time.monotonic()
        if fraction < 1.0 and now - self._sent < REPORT_EVERY:
            return
        self._sent = now
        from distributed import Queue

        try:
            Queue(self.queue).put((key, float(fraction), str(message)))
        except Exception:  # progress is a courtesy: a lost message must not fail the well
            pass

    def is_canceled(self):
        now = time.monotonic()
        if not self._canceled and now - self._asked >= REPORT_EVERY:
            self._asked = now
            from distributed import Event

            try:
                self._canceled = Event(self.event).is_set()
            except Exception:  # the client is gone: nobody waits for this well any more
                self._canceled = True
        return self._canceled


class DaskExecutor:
    """The executor interface of :mod:`.executor` on a Dask cluster (``address``: ``tcp://host:8786``).

    Connecting checks the cluster before any work: reachable, at least one worker, every worker able to run
    this core. ``workers`` is the cluster's thread count at connection.
    """

    def __init__(self, address, timeout=CONNECT_TIMEOUT):
        self.address = address
        self._client = _connect(address, timeout)
        try:
            self.version = ship_core(self._client)
            info = self._client.scheduler_info()
            self.workers = max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))
        except BaseException:
            self._client.close()
            raise
        run = uuid.uuid4().hex[:12]
        self._queue, self._event = f"gwlstm-progress-{run}", f"gwlstm-cancel-{run}"
        self._futures = {}
        self._sink = self._is_canceled = None

    def submit(self, fn, *args):
        """A ``concurrent.futures.Future`` for a task on the cluster. A task that the cluster gives up on (its
        workers died again and again) becomes ('skipped', reason): map_wells' contract, so the other wells go on."""
        from distributed import KilledWorker

        from . import ship

        payload = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        key = f"{getattr(fn, '__name__', 'task')}-{uuid.uuid4().hex}"
        fut = self._client.submit(_ByValue(ship.run_pickled), payload, pure=False, key=key)
        self._futures[key] = fut  # until it ends: a done future is let go, so the cluster frees its result
        out = Future()
        out.set_running_or_notify_cancel()

        def done(f):
            self._futures.pop(key, None)
            try:
                out.set_result(f.result())
            except KilledWorker as exc:
                out.set_result(("skipped", f"the cluster gave up on it: every worker that ran it died ({exc})"))
            except CancelledError as exc:
                out.set_exception(exc)
            except BaseException as exc:  # noqa: B036 - delivered through the future
                out.set_exception(exc)

        fut.add_done_callback(done)
        return out

    def channel(self, sink=None, is_canceled=None):
        from distributed import Event

        self._sink, self._is_canceled = sink, is_canceled
        Event(self._event, client=self._client).clear()
        return _DaskReporter(self._queue, self._event)

    def pump(self):
        from distributed import Event, Queue

        try:
            reports = Queue(self._queue, client=self._client).get(timeout=0, batch=True)
        except Exception:  # an empty or not yet made queue
            reports = []
        for key, frac, msg in reports:
            if self._sink is not None:
                self._sink(key, frac, msg)
        if self._is_canceled is not None and self._is_canceled():
            Event(self._event, client=self._client).set()
            return True
        return False

    def cancel_tasks(self):
        from distributed import Event

        try:
            Event(self._event, client=self._client).set()
            self._client.cancel(list(self._futures.values()))
        except Exception:  # the cluster is gone already: nothing runs for us there
            pass

    def shutdown(self, wait=True, cancel_futures=False):
        if cancel_futures:
            self.cancel_tasks()
        if wait:
            self.pump()
        self._futures = {}
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()
