"""Headless tier: the real qgis_process.bin with a throw-away profile, the plugin enabled in it."""
import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QGIS_PROCESS = os.environ.get("QGIS_PROCESS", "/usr/bin/qgis_process.bin")
STRICT_DEPRECATIONS = os.environ.get("GWLSTM_STRICT_DEPRECATIONS") == "1"  # as in tests/conftest.py


def plugin_deprecations(output):
    """The lines of a qgis_process run's output that report a DeprecationWarning raised in the plugin's code."""
    plugin_paths = (str(ROOT) + os.sep, f"{os.sep}groundwater_lstm{os.sep}")
    return [line for line in output.splitlines()
            if "DeprecationWarning" in line and any(p in line for p in plugin_paths)]


class QgisProcess:
    def __init__(self, profile):
        self.profile = profile

    def env(self):
        env = dict(os.environ)
        env["QGIS_CUSTOM_CONFIG_PATH"] = str(self.profile)
        return env

    def __call__(self, *args, timeout=900, check=False):
        cmd = [str(ROOT / "scripts" / "with_qgis_env.sh"), QGIS_PROCESS, *map(str, args)]
        proc = subprocess.run(cmd, env=self.env(), capture_output=True, text=True, timeout=timeout)
        out = proc.stdout + proc.stderr
        # qgis_process swallows exceptions in initProcessing and prints only this line: fail loudly on it.
        assert "error starting plugin" not in out, f"the plugin failed to start under qgis_process:\n{out}"
        if STRICT_DEPRECATIONS:  # qgis.utils resets the warning filters in qgis_process: read what it printed
            found = plugin_deprecations(out)
            assert not found, "the plugin's own code raised DeprecationWarnings:\n" + "\n".join(found)
        if check:
            assert proc.returncode == 0, f"qgis_process {' '.join(map(str, args))} exited {proc.returncode}:\n{out}"
        return proc

    def run_json(self, alg, params, timeout=900):
        args = ["--json", "run", f"groundwaterlstm:{alg}", "--"] + [f"{k}={v}" for k, v in params.items()]
        proc = self(*args, timeout=timeout)
        assert proc.returncode == 0, f"{alg} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
        start = proc.stdout.find("{")
        return json.loads(proc.stdout[start:])


@pytest.fixture(scope="session")
def qgis_process(tmp_path_factory):
    if not Path(QGIS_PROCESS).exists():
        pytest.fail(f"{QGIS_PROCESS} is missing: run 'make setup' (installs QGIS)")
    profile = tmp_path_factory.mktemp("qgis_profile")
    qp = QgisProcess(profile)
    proc = qp("plugins", "enable", "groundwater_lstm")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return qp
