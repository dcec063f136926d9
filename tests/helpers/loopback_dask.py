"""A real Dask cluster on 127.0.0.1 for tests: one `dask scheduler` and N `dask worker` processes (each with its
nanny, in its own process group so that a test can kill one as a lost machine). Every process it starts, it
stops."""
import os
import signal
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackCluster:
    def __init__(self, folder, workers=2, worker_path=None):
        """``worker_path``: a folder put first on the workers' import path (to shadow a package)."""
        self.folder = folder
        self.worker_env = dict(os.environ)
        if worker_path:
            self.worker_env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(worker_path), os.environ.get("PYTHONPATH")) if p)
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.scheduler = None
        self.workers = []
        self._start(workers)

    def _spawn(self, module, *args, env=None):
        return subprocess.Popen([sys.executable, "-m", module, *args, "--no-dashboard"], cwd=self.folder, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def _start(self, n):
        import distributed

        self.scheduler = self._spawn("distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                     "--port", self.address.rsplit(":", 1)[1])
        try:
            for i in range(n):
                self.add_worker()
            with distributed.Client(self.address, timeout=30) as client:
                client.wait_for_workers(n, timeout=90)
        except BaseException:
            self.stop()
            raise

    def add_worker(self):
        i = len(self.workers)
        self.workers.append(self._spawn("distributed.cli.dask_worker", self.address, "--nworkers", "1",
                                        "--nthreads", "1", "--host", "127.0.0.1",
                                        "--local-directory", os.path.join(str(self.folder), f"worker{i}"),
                                        env=self.worker_env))
        return self.workers[-1]

    def kill_worker(self, proc):
        """SIGKILL a worker and its nanny: a machine that is gone, with no goodbye to the scheduler."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def wait_for_busy_worker(self, timeout=300):
        """The address of a worker that is running a task, as soon as one is (None after ``timeout`` s)."""
        import distributed

        with distributed.Client(self.address, timeout=30) as client:
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                busy = [w for w, tasks in client.processing().items() if tasks]
                if busy:
                    return busy[0]
                time.sleep(0.2)
        return None

    def worker_process(self, address):
        """The worker process (of ``workers``) listening at ``address``: found by its port's owner."""
        import distributed

        with distributed.Client(self.address, timeout=30) as client:
            pids = client.run(os.getpid, workers=[address])
        pid = pids[address]
        for proc in self.workers:  # the worker is the nanny's child: same process group as the `dask worker` call
            try:
                if os.getpgid(pid) == proc.pid:
                    return proc
            except ProcessLookupError:
                return None
        return None

    def stop(self):
        for proc in [*self.workers, self.scheduler]:
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in [*self.workers, self.scheduler]:
            if proc is None:
                continue
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=20)
