"""The dependency installer dialog: the command it would run, the Debian venv route, and (slow) a real pip
install into a temporary folder through QProcess."""
import importlib.util
import os
import subprocess
import sys

import numpy
import pytest
from qgis.PyQt.QtWidgets import QApplication, QPushButton

from groundwater_lstm.plugin import pip_command as pc
from groundwater_lstm.plugin import installer


@pytest.fixture
def make_dialog(qgis_app):
    made = []

    def _make(**kwargs):
        dlg = installer.InstallerDialog(None, **kwargs)
        made.append(dlg)
        return dlg

    yield _make
    for dlg in made:
        dlg.stop()
        dlg.close()
        dlg.deleteLater()


def test_dependencies_dir_is_in_the_profile(qgis_app):
    from qgis.core import QgsApplication

    d = installer.dependencies_dir()
    assert d.startswith(os.path.normpath(QgsApplication.qgisSettingsDirPath()))
    assert d.endswith(os.path.join("python", "dependencies", "groundwater_lstm"))


def test_use_dependencies_dir_prepends_once(tmp_path):
    before = list(sys.path)
    try:
        assert installer.use_dependencies_dir(str(tmp_path / "absent")) == ""
        assert installer.use_dependencies_dir(str(tmp_path)) == str(tmp_path)
        installer.use_dependencies_dir(str(tmp_path))
        assert sys.path[0] == str(tmp_path) and sys.path.count(str(tmp_path)) == 1
    finally:
        sys.path[:] = before


def test_qgis_python_comes_from_the_prefix_not_sys_executable():
    found = installer.qgis_python()
    assert found is not None and os.path.exists(found)
    assert os.path.dirname(found) in (os.path.join(p, "bin") for p in (sys.base_prefix, sys.exec_prefix, sys.prefix))


def test_dialog_shows_the_command_for_the_missing_packages(make_dialog, tmp_path):
    dlg = make_dialog(problems=[("torch", "No module named 'torch'"), ("captum", "No module named 'captum'")],
                      target=str(tmp_path / "deps"), python="/opt/qgis/bin/python3", platform="linux",
                      prefix="/opt/qgis", gpu=False)
    cmd = dlg.command()
    assert cmd[:4] == ["/opt/qgis/bin/python3", "-m", "pip", "install"]
    assert cmd[cmd.index("--target") + 1] == str(tmp_path / "deps")
    assert f"numpy=={numpy.__version__}" in cmd
    assert f"torch=={pc.TORCH_VERSION}+cpu" in cmd and "captum" in cmd and "pandas" not in cmd
    assert "torch" in dlg.command_view.toPlainText()
    assert not dlg.cuda_box.isEnabled()  # no GPU: CPU wheels only
    assert not dlg.venv_box.isVisibleTo(dlg)
    assert dlg.install_button.isEnabled()
    assert not dlg.pastas_box.isChecked() and not any(c.startswith("pastas") for c in cmd)  # an extra: opt in
    dlg.pastas_box.setChecked(True)
    want = pc.pastas_requirement(numpy.__version__)
    assert want in dlg.command() and want in dlg.command_view.toPlainText()
    dlg.pastas_box.setChecked(False)
    dlg.python_edit.setText("")
    assert not dlg.install_button.isEnabled() and "not found" in dlg.command_view.toPlainText()


def test_cuda_option_where_a_gpu_is(make_dialog, tmp_path):
    dlg = make_dialog(problems=[("torch", "missing")], target=str(tmp_path), python=r"C:\Q\apps\Python312\python.exe",
                      platform="win32", prefix=r"C:\Q\apps\Python312", gpu=True)
    assert dlg.cuda_box.isEnabled()
    dlg.cuda_box.setChecked(True)
    assert f"torch=={pc.TORCH_VERSION}+{pc.CUDA_TAG}" in dlg.command()
    assert pc.CUDA_TAG in dlg.command_view.toPlainText()
    mac = make_dialog(problems=[("torch", "missing")], target=str(tmp_path),
                      python="/A/QGIS.app/Contents/MacOS/bin/python3",
                      platform="darwin", prefix="/A/QGIS.app/Contents/MacOS", gpu=True)
    assert not mac.cuda_box.isEnabled()


def test_debian_system_qgis_shows_the_venv_commands(make_dialog, tmp_path, artifacts_dir):
    dlg = make_dialog(problems=[("torch", "missing")], target=str(tmp_path), python="/usr/bin/python3",
                      platform="linux", prefix="/usr", gpu=False)
    assert dlg.venv_box.isVisibleTo(dlg)
    text = dlg.venv_view.toPlainText()
    assert "-m venv --system-site-packages" in text and f"numpy=={numpy.__version__}" in text
    assert "PYTHONPATH=" in text
    # pip --target is not refused by PEP 668: Install stays possible where this Python has pip
    assert dlg.install_button.isEnabled() == (importlib.util.find_spec("pip") is not None)
    dlg.pastas_box.setChecked(True)
    assert pc.pastas_requirement(numpy.__version__) in dlg.venv_view.toPlainText()
    dlg.show()
    QApplication.processEvents()
    shot = artifacts_dir / "installer_dialog.png"
    assert dlg.grab().save(str(shot)) and shot.stat().st_size > 5_000


def test_prune_held_keeps_qgis_numpy(tmp_path):
    v = numpy.__version__
    for p in ("numpy", f"numpy-{v}.dist-info", "numpy.libs", "pandas"):
        (tmp_path / p).mkdir()
    removed = installer.prune_held(str(tmp_path), version=v)
    assert sorted(os.path.basename(r) for r in removed) == sorted(["numpy", f"numpy-{v}.dist-info", "numpy.libs"])
    assert (tmp_path / "pandas").is_dir()
    (tmp_path / "numpy").mkdir()
    (tmp_path / "numpy-9.9.9.dist-info").mkdir()
    assert installer.prune_held(str(tmp_path), version=v) == []  # another version was asked for: kept


def test_message_bar_button_opens_the_installer(qgis_iface):
    bar = qgis_iface.messageBar()
    item = installer.push_missing_message(qgis_iface, "torch is missing", [("torch", "No module named 'torch'")])
    try:
        assert bar.currentItem() is item
        button = item.findChild(QPushButton, "gwlstmInstallButton")
        assert button is not None
        button.click()
        QApplication.processEvents()
        dlg = installer._dialog
        assert isinstance(dlg, installer.InstallerDialog) and dlg.isVisible()
        assert dlg.packages == ["torch"]
        dlg.installed.emit(True)  # once the packages import, the warning goes
        QApplication.processEvents()
        assert bar.currentItem() is not item
    finally:
        installer.close_installer()
        if bar.currentItem() is item:
            bar.popWidget(item)
    assert installer._dialog is None


def _python_with_pip():
    py = installer.qgis_python()
    if py and subprocess.run([py, "-m", "pip", "--version"], capture_output=True).returncode == 0:
        return py
    return sys.executable


@pytest.mark.slow
def test_real_install_into_a_temporary_folder(make_dialog, tmp_path):
    """pip through QProcess into a target folder, then import without restart (tomli-w: tiny, pure)."""
    target = tmp_path / "deps"
    before = list(sys.path)
    dlg = make_dialog(problems=[("tomli-w", "No module named 'tomli_w'")], packages=["tomli-w"], target=str(target),
                      python=_python_with_pip(), recheck=lambda: installer.dependencies.missing(("tomli_w",)),
                      gpu=False)
    results = []
    dlg.installed.connect(results.append)
    try:
        assert dlg.start()
        assert dlg.wait(300_000), "pip did not finish"
        log = dlg.log_view.toPlainText()
        assert results == [True], log
        assert "Successfully installed" in log and "tomli" in log
        assert (target / "tomli_w").is_dir()
        assert not (target / "numpy").exists()  # pip's copy of the held numpy was removed
        assert sys.path[0] == str(target)
        import tomli_w

        assert tomli_w.__file__.startswith(str(target))
        assert "no restart needed" in dlg.status_label.text()
    finally:
        sys.path[:] = before
        sys.modules.pop("tomli_w", None)
