"""The installer's pip command for Windows, macOS and Linux, built and checked without running it."""
import pytest

from groundwater_lstm.plugin import pip_command as pc

NUMPY = "1.26.4"


def fake_fs(*paths):
    existing = set(paths)
    return lambda p: p in existing


@pytest.mark.parametrize("platform, prefix, files, expected", [
    # Windows standalone installer / OSGeo4W: apps\Python3xx\python.exe, not bin\python3.exe
    ("win32", r"C:\Program Files\QGIS 3.34.4\apps\Python312",
     [r"C:\Program Files\QGIS 3.34.4\apps\Python312\python.exe", r"C:\Program Files\QGIS 3.34.4\bin\python3.exe"],
     r"C:\Program Files\QGIS 3.34.4\apps\Python312\python.exe"),
    ("win32", r"C:\OSGeo4W\apps\Python39", [r"C:\OSGeo4W\bin\python3.exe"], None),
    # macOS QGIS.app
    ("darwin", "/Applications/QGIS-LTR.app/Contents/MacOS",
     ["/Applications/QGIS-LTR.app/Contents/MacOS/bin/python3"],
     "/Applications/QGIS-LTR.app/Contents/MacOS/bin/python3"),
    ("darwin", "/Applications/QGIS.app/Contents/Frameworks/Python.framework/Versions/3.11",
     ["/Applications/QGIS.app/Contents/MacOS/bin/python3",
      "/Applications/QGIS.app/Contents/Frameworks/Python.framework/Versions/3.11/bin/python3"],
     "/Applications/QGIS.app/Contents/MacOS/bin/python3"),
    # Linux: distribution QGIS, conda
    ("linux", "/usr", ["/usr/bin/python3"], "/usr/bin/python3"),
    ("linux", "/home/me/miniforge3/envs/qgis", ["/home/me/miniforge3/envs/qgis/bin/python3"],
     "/home/me/miniforge3/envs/qgis/bin/python3"),
    ("linux", "/opt/nothing", [], None),
])
def test_find_qgis_python(platform, prefix, files, expected):
    assert pc.find_qgis_python(platform, prefix, exists=fake_fs(*files)) == expected


def test_never_sys_executable_inside_qgis():
    # inside QGIS sys.executable is the qgis binary: the prefix decides, whatever executable says
    assert pc.find_qgis_python("linux", "/usr", exists=fake_fs("/usr/bin/qgis", "/usr/bin/python3")) == \
        "/usr/bin/python3"
    assert all("qgis" not in c.rsplit("/", 1)[-1] for c in pc.python_candidates("linux", "/usr", "3.11"))


@pytest.mark.parametrize("platform, prefix, needs", [
    ("linux", "/usr", True), ("linux", "/usr/local", True), ("linux", "/usr/", True),
    ("linux", "/opt/conda/envs/qgis", False), ("linux", "/app", False),
    ("win32", r"C:\OSGeo4W\apps\Python312", False), ("darwin", "/Applications/QGIS.app/Contents/MacOS", False),
])
def test_system_qgis_needs_venv(platform, prefix, needs):
    assert pc.system_qgis_needs_venv(platform, prefix) is needs


def _common(cmd, python, target):
    assert cmd[:4] == [python, "-m", "pip", "install"]
    assert cmd[cmd.index("--target") + 1] == target
    assert "--upgrade" in cmd and "--no-input" in cmd
    assert f"numpy=={NUMPY}" in cmd
    assert {"captum", "pandas", "scikit-learn"} <= set(cmd)
    assert "sklearn" not in cmd


def test_windows_cpu_and_cuda():
    py = r"C:\QGIS\apps\Python312\python.exe"
    target = r"C:\Users\me\AppData\Roaming\QGIS\QGIS3\profiles\default\python\dependencies\groundwater_lstm"
    cmd = pc.pip_command("win32", r"C:\QGIS\apps\Python312", target, NUMPY,
                         ["torch", "captum", "pandas", "sklearn"], exists=fake_fs(py))
    _common(cmd, py, target)
    assert f"torch=={pc.TORCH_VERSION}+cpu" in cmd
    assert cmd[cmd.index("--extra-index-url") + 1] == "https://download.pytorch.org/whl/cpu"
    cuda = pc.pip_command("win32", r"C:\QGIS\apps\Python312", target, NUMPY, cuda=True, exists=fake_fs(py))
    assert f"torch=={pc.TORCH_VERSION}+{pc.CUDA_TAG}" in cuda
    assert cuda[cuda.index("--extra-index-url") + 1] == f"https://download.pytorch.org/whl/{pc.CUDA_TAG}"
    spaced = pc.pip_command("win32", r"C:\Program Files\QGIS 3.34\apps\Python312", target, NUMPY,
                            python=r"C:\Program Files\QGIS 3.34\apps\Python312\python.exe")
    line = pc.quote(spaced, "win32")
    assert line.startswith(r'"C:\Program Files\QGIS 3.34\apps\Python312\python.exe" -m pip install')


def test_macos_default_wheels():
    py = "/Applications/QGIS.app/Contents/MacOS/bin/python3"
    cmd = pc.pip_command("darwin", "/Applications/QGIS.app/Contents/MacOS", "/Users/me/deps", NUMPY,
                         exists=fake_fs(py), cuda=True)
    _common(cmd, py, "/Users/me/deps")
    assert f"torch=={pc.TORCH_VERSION}" in cmd
    assert "--extra-index-url" not in cmd and not any("+cpu" in c or "+cu" in c for c in cmd)


def test_linux_cpu_default_and_explicit_python():
    cmd = pc.pip_command("linux", "/usr", "/home/me/deps", NUMPY, python="/usr/bin/python3")
    _common(cmd, "/usr/bin/python3", "/home/me/deps")
    assert f"torch=={pc.TORCH_VERSION}+cpu" in cmd
    assert [c for c in cmd if c.startswith("numpy")] == [f"numpy=={NUMPY}"]


def test_numpy_is_held_never_upgraded():
    cmd = pc.pip_command("linux", "/x", "/t", NUMPY, ["numpy", "numpy<2", "pandas"], python="/x/bin/python3")
    assert [c for c in cmd if c.startswith("numpy")] == [f"numpy=={NUMPY}"]
    assert not any(c.startswith("torch") for c in cmd) and "--extra-index-url" not in cmd


def test_pastas_release_fits_the_held_numpy():
    one = pc.pip_command("linux", "/x", "/t", "1.24.2", ["pastas"], python="/x/bin/python3")
    two = pc.pip_command("win32", "C:/Q", "t", "2.1.3", ["captum", "pastas"], python="C:/Q/python.exe")
    assert one[-2:] == ["pastas>=1.10,<2", "numpy==1.24.2"]
    assert two[-3:] == ["captum", "pastas>=2", "numpy==2.1.3"]


def test_numpy_local_version_label_is_dropped():
    cmd = pc.pip_command("win32", "C:/Q/apps/Python312", "t", "1.26.4+mkl", ["pandas"], python="C:/Q/python.exe")
    assert cmd[-1] == "numpy==1.26.4"


def test_python_not_found_is_a_clear_error():
    with pytest.raises(ValueError, match="python.exe"):
        pc.pip_command("win32", r"C:\QGIS\apps\Python312", "t", NUMPY, exists=fake_fs())


def test_venv_commands_for_debian():
    lines = pc.venv_commands(NUMPY, ["torch", "captum", "pandas", "sklearn"])
    assert lines[1] == "/usr/bin/python3 -m venv --system-site-packages ~/.groundwater_lstm_venv"
    assert lines[2].startswith("~/.groundwater_lstm_venv/bin/python -m pip install")
    assert f"numpy=={NUMPY}" in lines[2] and f"torch=={pc.TORCH_VERSION}+cpu" in lines[2]
    assert lines[3] == "PYTHONPATH=~/.groundwater_lstm_venv/lib/python3.11/site-packages qgis"


@pytest.mark.parametrize("platform", ["win32", "darwin", "linux", "linux2", "cygwin"])
def test_platform_names(platform):
    assert pc.python_candidates(platform, "/p")


def test_unknown_platform():
    with pytest.raises(ValueError, match="unknown platform"):
        pc.python_candidates("amiga", "/p")
