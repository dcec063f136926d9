"""The map over wells: a serial loop or a process pool, behind one small seam.

An executor has the ``concurrent.futures`` interface (``submit(fn, *args) -> Future``, ``map(fn, items)``,
``shutdown()``) plus three methods for talking to running tasks:

- ``channel(sink, is_canceled) -> reporter``: a picklable object handed to each task; inside the task
  ``reporter.progress(key, fraction, message)`` reports and ``reporter.is_canceled()`` asks whether to stop.
- ``pump()``: forwards the reports that arrived to ``sink(key, fraction, message)`` and passes a cancel
  request (``is_canceled()`` of the caller) on to the tasks. The caller runs it while it waits.
- ``cancel_tasks()``: asks every running task to stop.

A cluster executor plugs in by providing the same six methods: ``cluster.DaskExecutor`` (a Dask ``Queue`` and
``Event`` as the channel). Wherever an executor is taken, a scheduler address (``"tcp://host:8786"``) may be
given instead; the science does not change.

On 2-core machines two wells in parallel with one torch thread each beat one well with two threads, so the
default is ``min(2, cores)`` worker processes with one thread each, and the serial loop on one core.
Results are identical between the two (same seeds, one thread per task).
"""
import multiprocessing
import multiprocessing.context
import multiprocessing.spawn
import os
import queue as _queue
import sys
import types
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from ..errors import Canceled


def available_cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def python_executable():
    """A Python interpreter for worker processes: the one this process runs on.

    Inside QGIS ``sys.executable`` is not to be trusted: it may be QGIS itself, or (qgis_process on Linux) the
    first ``python3`` on PATH, which may be another installation (a pyenv Python without QGIS's numpy). So an
    interpreter is taken only from this process's own prefixes (a venv's, then the base installation's).
    """
    ver = f"{sys.version_info[0]}.{sys.version_info[1]}"
    prefixes = [os.path.realpath(p) for p in dict.fromkeys((sys.exec_prefix, sys.base_exec_prefix)) if p]
    candidates = [sys.executable, getattr(sys, "_base_executable", None)]
    for prefix in prefixes:
        if os.name == "nt":
            candidates += [os.path.join(prefix, "python.exe"), os.path.join(prefix, "python3.exe")]
        else:
            candidates += [os.path.join(prefix, "bin", f"python{ver}"), os.path.join(prefix, "bin", "python3")]

    def own(path):
        # a venv's bin/python is a symlink out of the venv: judge where it sits, not where it points
        where = os.path.realpath(os.path.dirname(os.path.abspath(path)))
        return any(where == p or where.startswith(p + os.sep) for p in prefixes)

    for c in candidates:
        if c and os.path.isfile(c) and os.path.basename(c).lower().startswith("python") and own(c):
            return c
    return None


class _DirectReporter:
    """Reporter for tasks that run in the caller's process: calls straight through."""

    def __init__(self, sink, is_canceled):
        self._sink = sink
        self._is_canceled = is_canceled
        self.canceled = False

    def progress(self, key, fraction, message=""):
        if self._sink is not None:
            self._sink(key, fraction, message)

    def is_canceled(self):
        if self.canceled:
            return True
        return bool(self._is_canceled is not None and self._is_canceled())


class SerialExecutor:
    """Runs each task at once, in this process, when it is submitted."""

    workers = 1

    def __init__(self):
        self._reporter = None

    def submit(self, fn, *args, **kwargs):
        f = Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: B036 - delivered through the future, like concurrent.futures
            f.set_exception(exc)
        return f

    def channel(self, sink=None, is_canceled=None):
        self._reporter = _DirectReporter(sink, is_canceled)
        return self._reporter

    def pump(self):
        return False

    def cancel_tasks(self):
        if self._reporter is not None:
            self._reporter.canceled = True

    def shutdown(self, wait=True, cancel_futures=False):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()


# --- worker side of the process pool ----------------------------------------------------------------------
_WORKER = {"queue": None, "cancel": None}


def _init_worker(threads, q, cancel):
    _WORKER["queue"], _WORKER["cancel"] = q, cancel
    try:
        import torch

        torch.set_num_threads(int(threads))
        torch.set_num_interop_threads(1)
    except (ImportError, RuntimeError):
        pass


class _QueueReporter:
    """Reporter for tasks in worker processes: reports through the pool's queue, reads the pool's cancel event."""

    def progress(self, key, fraction, message=""):
        q = _WORKER["queue"]
        if q is not None:
            q.put((key, float(fraction), str(message)))

    def is_canceled(self):
        ev = _WORKER["cancel"]
        return bool(ev is not None and ev.is_set())


class _NoMainSpawnProcess(multiprocessing.context.SpawnProcess):
    """A spawned process that does not re-import the parent's ``__main__`` (a script without a main guard,
    QGIS's own main module): tasks must live in importable modules, as the core's do."""

    @staticmethod
    def _Popen(process_obj):
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            return multiprocessing.context.SpawnProcess._Popen(process_obj)
        finally:
            if main is not None:
                sys.modules["__main__"] = main


class _NoMainSpawnContext(multiprocessing.context.SpawnContext):
    Process = _NoMainSpawnProcess


class ProcessExecutor:
    """A pool of ``workers`` processes (spawned: safe inside QGIS and after torch has started threads), each
    with ``threads`` torch threads."""

    def __init__(self, workers=None, threads=1, start_method="spawn"):
        self.workers = int(workers or default_workers())
        self.threads = int(threads)
        ctx = _NoMainSpawnContext() if start_method == "spawn" else multiprocessing.get_context(start_method)
        if start_method in ("spawn", "forkserver"):
            exe = python_executable()
            if exe is None:
                raise RuntimeError("no Python interpreter found for worker processes")
            if os.path.abspath(exe) != os.path.abspath(sys.executable or ""):
                ctx.set_executable(exe)
                # the resource tracker is started with the global executable: it must be a Python too
                multiprocessing.spawn.set_executable(exe)
        self._queue = ctx.Queue()
        self._cancel = ctx.Event()
        self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_init_worker,
                                         initargs=(self.threads, self._queue, self._cancel))
        self._sink = None
        self._is_canceled = None

    def submit(self, fn, *args, **kwargs):
        return self._pool.submit(fn, *args, **kwargs)

    def channel(self, sink=None, is_canceled=None):
        self._sink, self._is_canceled = sink, is_canceled
        self._cancel.clear()
        return _QueueReporter()

    def pump(self):
        while True:
            try:
                key, frac, msg = self._queue.get_nowait()
            except (_queue.Empty, EOFError, OSError):
                break
            if self._sink is not None:
                self._sink(key, frac, msg)
        if self._is_canceled is not None and self._is_canceled():
            self._cancel.set()
            return True
        return False

    def cancel_tasks(self):
        self._cancel.set()

    def shutdown(self, wait=True, cancel_futures=False):
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
        if wait:
            self.pump()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()


def run_tasks(executor, tasks, on_result, is_canceled=None, cancel_message="cancelled"):
    """Submit ``tasks`` ({key: (fn, args)}) to ``executor`` and call ``on_result(key, result)`` as each ends
    (a task that ended at once, as in the serial executor, before the next is submitted: a result is held only
    until it is handed over). At most ``4 x executor.workers`` (at least 8) tasks are in flight at once, in the
    order of ``tasks``.

    While waiting it pumps the executor's channel (progress reports); when ``is_canceled()`` turns true it
    asks the running tasks to stop and raises ``Canceled(cancel_message)``. Any exception cancels what has
    not started and stops what runs before it propagates.
    """
    def stop_if_canceled():
        if is_canceled is not None and is_canceled():
            executor.cancel_tasks()
            raise Canceled(cancel_message)

    futures = {}

    def collect(timeout):
        done, _ = wait(set(futures), timeout=timeout, return_when=FIRST_COMPLETED)
        executor.pump()
        stop_if_canceled()
        for f in done:
            on_result(futures.pop(f), f.result())

    ahead = max(8, 4 * int(getattr(executor, "workers", 1) or 1))
    try:
        for key, (fn, args) in tasks.items():
            stop_if_canceled()
            while len(futures) >= ahead:  # a bounded window: the pickled tasks in flight do not grow with the network
                collect(0.2)
            future = executor.submit(fn, *args)
            futures[future] = key
            if future.done():
                collect(0)
        while futures:
            collect(0.2)
    except BaseException:
        for f in futures:
            f.cancel()
        executor.cancel_tasks()
        raise


def map_wells(tasks, *, executor=None, progress=None, is_canceled=None, cancel_message="cancelled", done="done",
              notes=None, on_well=None):
    """One task per well through ``executor``, with one progress bar over all of them: the fan-out that training
    and explanation share. Returns ``(ok, skipped)``: well -> value and well -> reason, in the order of ``tasks``.

    ``on_well(well, value)``: called for each well that ends 'ok', in the order of ``tasks`` and as soon as the
    well and those before it have ended (so that outputs written from it come out in the same order on every
    executor); what it returns is kept in ``ok`` instead of the value, so a caller that writes a well's bulky
    parts out can keep the rest only.

    ``tasks``: {well: (fn, args)}; a worker calls ``fn(*args, reporter)`` and it returns ``('ok', value)`` or
    ``('skipped', reason)`` (``reporter.progress(well, fraction, message)`` and ``reporter.is_canceled()`` reach
    back). ``notes(value)``: messages of a finished well for the progress text. ``executor``: see
    :func:`executor_for`; the numbers do not depend on it.
    """
    keys = list(tasks)
    with executor_for(executor, len(keys)) as executor:
        return _map_wells(keys, tasks, executor, progress, is_canceled, cancel_message, done, notes, on_well)


def _map_wells(keys, tasks, executor, progress, is_canceled, cancel_message, done, notes, on_well):
    fractions = {k: 0.0 for k in keys}
    last = [0.0]

    def sink(key, frac, msg):
        if key in fractions:
            fractions[key] = max(fractions[key], float(frac))
        if progress is not None and keys:
            overall = sum(fractions.values()) / len(keys)
            if overall >= last[0]:  # never backwards: the wells report out of order
                last[0] = overall
                progress(min(1.0, overall), msg)

    reporter = executor.channel(sink, is_canceled)
    ok, skipped, ended = {}, {}, {}
    turn = [0]  # the index in ``keys`` of the next well to hand over

    def hand_over():
        while turn[0] < len(keys) and keys[turn[0]] in ended:
            key = keys[turn[0]]
            kind, value = ended.pop(key)
            turn[0] += 1
            if kind == "ok":
                ok[key] = value if on_well is None else on_well(key, value)
            else:
                skipped[key] = value

    def on_result(key, result):
        kind, value = result
        for message in (notes(value) if notes is not None and kind == "ok" else ()):
            sink(key, 1.0, message)
        sink(key, 1.0, f"well {key}: {done if kind == 'ok' else 'skipped: ' + value}")
        ended[key] = (kind, value)
        hand_over()

    run_tasks(executor, {k: (fn, (*args, reporter)) for k, (fn, args) in tasks.items()}, on_result,
              is_canceled, cancel_message)
    return ok, skipped


@contextmanager
def executor_for(spec=None, n_tasks=None):
    """An executor for ``spec`` for the time of a ``with``: an executor object as it is (the caller shuts it
    down), None for :func:`default_executor`, or a Dask scheduler address (``tcp://host:8786``) for a
    ``cluster.DaskExecutor``; the last two are shut down at the end."""
    if spec is not None and not isinstance(spec, str):
        yield spec
        return
    if isinstance(spec, str) and spec.strip():
        from .cluster import DaskExecutor

        made = DaskExecutor(spec.strip())
    else:
        made = default_executor(n_tasks)
    try:
        yield made
    finally:
        made.shutdown(wait=True)


def default_workers(n_tasks=None):
    n = min(2, available_cores())
    if n_tasks is not None:
        n = min(n, max(1, int(n_tasks)))
    return max(1, n)


def default_executor(n_tasks=None):
    """``ProcessExecutor(min(2, cores))`` with one torch thread per worker; serial on one core, for one task,
    or when no Python interpreter can be found for workers."""
    n = default_workers(n_tasks)
    if n <= 1:
        return SerialExecutor()
    try:
        return ProcessExecutor(n)
    except (RuntimeError, OSError):
        return SerialExecutor()
