"""The dependency installer: pip-installs torch, captum, pandas and scikit-learn into a folder the plugin owns
inside the QGIS profile, with QGIS's own Python, numpy held at the version QGIS ships.

- :func:`dependencies_dir` ``<profile>/python/dependencies/groundwater_lstm``; :func:`use_dependencies_dir`
  puts it first on ``sys.path`` (the plugin calls it when it starts, before anything imports torch).
- :func:`push_missing_message` the one message-bar warning with an "Install packages..." button.
- :class:`InstallerDialog` the command (see plugin/pip_command.py), run with QProcess, the full log streamed into
  a text box; afterwards ``importlib.invalidate_caches()`` and a re-check, so the algorithms work without a
  restart where possible, else it says to restart QGIS. On a Linux system QGIS (Debian/Ubuntu) it shows the
  venv commands.
"""
import glob
import importlib
import importlib.util
import os
import shutil
import sys

from qgis.core import QgsApplication, QgsMessageLog
from qgis.PyQt.QtCore import QProcess, QProcessEnvironment, Qt, pyqtSignal
from qgis.PyQt.QtGui import QFontDatabase, QTextCursor
from qgis.PyQt.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from ..processing import dependencies
from . import pip_command
from ..processing import compat

TITLE = "Groundwater LSTM"
PACKAGES = pip_command.DEFAULT_PACKAGES
HELD = ("numpy",)
_dialog = None  # the one open installer dialog


# ---------------------------------------------------------------------------------------------- paths
def dependencies_dir(settings_dir=None):
    """The folder the plugin owns for its Python packages: ``<profile>/python/dependencies/groundwater_lstm``."""
    base = settings_dir if settings_dir is not None else QgsApplication.qgisSettingsDirPath()
    return os.path.normpath(os.path.join(base, "python", "dependencies", "groundwater_lstm"))


def use_dependencies_dir(path=None):
    """Put the dependencies folder first on ``sys.path`` when it exists; returns it (or '' when absent)."""
    path = path or dependencies_dir()
    if not os.path.isdir(path):
        return ""
    norm = os.path.normcase(os.path.abspath(path))
    sys.path[:] = [p for p in sys.path if os.path.normcase(os.path.abspath(p or ".")) != norm or not p]
    sys.path.insert(0, path)
    importlib.invalidate_caches()
    return path


def qgis_prefix():
    """The prefix of the Python QGIS runs (for a venv: the base interpreter's)."""
    return sys.base_prefix or sys.exec_prefix or sys.prefix


def qgis_python():
    """QGIS's own Python (never ``sys.executable`` blindly: inside QGIS it is the qgis binary)."""
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for prefix in dict.fromkeys([sys.base_prefix, sys.exec_prefix, sys.prefix]):
        found = pip_command.find_qgis_python(sys.platform, prefix, version=version)
        if found:
            return found
    return None


def gpu_present():
    """An NVIDIA GPU is there when nvidia-smi is found (PATH, or Windows' System32)."""
    if shutil.which("nvidia-smi"):
        return True
    if sys.platform.startswith("win"):
        root = os.environ.get("SystemRoot", r"C:\Windows")
        return os.path.exists(os.path.join(root, "System32", "nvidia-smi.exe"))
    return False


def numpy_version():
    try:
        import numpy

        return numpy.__version__
    except Exception:
        return ""


def prune_held(target, names=HELD, version=None):
    """Remove from ``target`` the copies of held packages (numpy) pip put there (``--target`` always installs
    dependencies), so that QGIS's own numpy stays the one imported. Only when the copy is the version QGIS
    runs (otherwise that copy is what the user asked for). Returns the removed paths."""
    version = version if version is not None else numpy_version()
    removed = []
    for name in names:
        infos = glob.glob(os.path.join(target, f"{name}-*.dist-info"))
        same = version and any(os.path.basename(i) == f"{name}-{version}.dist-info" for i in infos)
        if not same:
            continue
        for path in [os.path.join(target, name), os.path.join(target, f"{name}.libs"), *infos]:
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def missing_packages(problems):
    """pip names from dependencies.missing()'s (name, reason) pairs, numpy left out (it is held, not installed)."""
    names = [name for name, _ in problems if name not in ("numpy", "python")]
    return names or list(PACKAGES)


# ---------------------------------------------------------------------------------------------- message bar
def push_missing_message(iface, text, problems):
    """The one warning in QGIS's message bar, with a button that opens the installer."""
    bar = iface.messageBar()
    item = bar.createMessage(TITLE, text)
    button = QPushButton("Install packages…", item)
    button.setObjectName("gwlstmInstallButton")

    def installed(ok):  # the warning goes once the packages import
        if ok:
            try:
                bar.popWidget(item)
            except RuntimeError:  # already closed by the user
                pass

    button.clicked.connect(lambda: open_installer(iface.mainWindow(), problems, on_installed=installed))
    item.layout().addWidget(button)
    bar.pushWidget(item, compat.MESSAGE_WARNING, 0)
    return item


def open_installer(parent=None, problems=None, on_installed=None):
    """Show the installer dialog (one at a time); returns it. ``on_installed(ok)`` is called when pip ends."""
    global _dialog
    if _dialog is not None:
        try:
            _dialog.show()
            _dialog.raise_()
            return _dialog
        except RuntimeError:  # deleted with its parent
            _dialog = None
    problems = dependencies.missing() if problems is None else problems
    _dialog = InstallerDialog(parent, problems=problems)
    if on_installed is not None:
        _dialog.installed.connect(on_installed)
    _dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    _dialog.show()
    return _dialog


def close_installer():
    global _dialog
    if _dialog is not None:
        try:
            _dialog.stop()
            _dialog.close()
            _dialog.deleteLater()
        except RuntimeError:
            pass
        _dialog = None


# ---------------------------------------------------------------------------------------------- dialog
class InstallerDialog(QDialog):
    """Install the missing packages into the plugin's folder, showing the command and streaming the log.

    Keyword arguments let tests (and advanced users) change what is installed and where: ``packages``,
    ``target``, ``python``, ``recheck`` (a callable returning the problems left, default
    ``dependencies.missing``).
    """

    installed = pyqtSignal(bool)  # emitted when pip ends: True when it succeeded and nothing is missing

    def __init__(self, parent=None, *, problems=None, packages=None, target=None, python=None, recheck=None,
                 platform=None, prefix=None, gpu=None):
        super().__init__(parent)
        self.setWindowTitle(f"{TITLE}: install Python packages")
        self.setObjectName("GroundwaterLstmInstaller")
        self.problems = list(problems or [])
        self.packages = list(packages) if packages else missing_packages(self.problems)
        self.target = target or dependencies_dir()
        self.platform = platform or sys.platform
        self.prefix = prefix or qgis_prefix()
        self.recheck = recheck or dependencies.missing
        self.process = None
        self.result_problems = None
        self.needs_venv = pip_command.system_qgis_needs_venv(self.platform, self.prefix)
        gpu = gpu_present() if gpu is None else gpu
        self._build(python, gpu)
        self.update_command()
        self.resize(820, 780)

    # -- layout
    def _build(self, python, gpu):
        layout = QVBoxLayout(self)
        what = "; ".join(f"<b>{n}</b> ({r})" for n, r in self.problems) if self.problems else (
            "nothing is missing; you can reinstall or switch the torch build")
        intro = QLabel(f"Groundwater LSTM needs torch, captum, pandas and scikit-learn. Missing: {what}.<br>"
                       f"They are installed with QGIS's own Python into a folder of your QGIS profile, with numpy "
                       f"held at the version QGIS ships ({numpy_version() or 'unknown'}).")
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(intro)
        layout.addLayout(self._form(python, gpu))
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        pip_there = importlib.util.find_spec("pip") is not None
        self._command_views(layout, mono, pip_there)
        self._run_area(layout, mono)
        self.blocked = self.needs_venv and not pip_there
        if self.blocked:
            self.install_button.setToolTip("This Python has no pip: use the venv commands above")
        self.too_old = pip_command.python_problem(sys.version_info, self.platform)
        if self.too_old:  # pip would only fail after minutes: say why at once
            self.blocked = True
            self.status_label.setText(self.too_old[0].upper() + self.too_old[1:] + ".")
            self.install_button.setToolTip(self.too_old)

    def _form(self, python, gpu):
        """Which Python, where to, which packages and which torch build."""
        form = QFormLayout()
        self.python_edit = QLineEdit(python or qgis_python() or "")
        self.python_edit.setPlaceholderText("QGIS's Python was not found: type its path")
        self.python_edit.textChanged.connect(self.update_command)
        form.addRow("QGIS's Python", self.python_edit)
        self.target_label = QLabel(self.target)
        self.target_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Install into", self.target_label)
        self.packages_edit = QLineEdit(" ".join(self.packages))
        self.packages_edit.textChanged.connect(self.update_command)
        form.addRow("Packages", self.packages_edit)
        self.torch_edit = QLineEdit(pip_command.TORCH_VERSION)
        self.torch_edit.textChanged.connect(self.update_command)
        form.addRow("torch version", self.torch_edit)
        self.cuda_box = QCheckBox("CUDA build of torch (NVIDIA GPU; several GB instead of about 200 MB)")
        cuda_possible = gpu and not self.platform.startswith("darwin")
        self.cuda_box.setEnabled(cuda_possible)
        if not cuda_possible:
            self.cuda_box.setToolTip("No NVIDIA GPU found (nvidia-smi)" if not self.platform.startswith("darwin")
                                     else "macOS wheels are CPU/MPS builds")
        self.cuda_box.toggled.connect(self.update_command)
        form.addRow("", self.cuda_box)
        have = importlib.util.find_spec("pastas") is not None
        self.pastas_box = QCheckBox("Also Pastas, the optional classical baseline (BASELINE)"
                                    + (": installed" if have else ""))
        self.pastas_box.setToolTip(f"Installs {pip_command.pastas_requirement(numpy_version())}, the release that "
                                   "fits QGIS's numpy; trainwells and analysewells then fit a Pastas model beside "
                                   "each LSTM")
        self.pastas_box.toggled.connect(self.update_command)
        form.addRow("", self.pastas_box)
        return form

    def chosen_packages(self):
        """The packages of the command: the list typed, and Pastas when its box is ticked."""
        packages = self.packages_edit.text().split()
        if self.pastas_box.isChecked() and "pastas" not in [p.lower() for p in packages]:
            packages.append("pastas")
        return packages

    def _command_views(self, layout, mono, pip_there):
        """The pip command, and the venv commands where the system Python refuses pip."""
        layout.addWidget(QLabel("Command"))
        self.command_view = QPlainTextEdit()
        self.command_view.setReadOnly(True)
        self.command_view.setFont(mono)
        self.command_view.setFixedHeight(self._lines_height(self.command_view, 4))
        layout.addWidget(self.command_view)

        self.venv_box = QGroupBox("Linux system QGIS (Debian/Ubuntu): use a virtual environment")
        vlay = QVBoxLayout(self.venv_box)
        self.venv_note = (
            "# This QGIS runs on the system Python, which refuses pip installs (externally-managed-environment)"
            + (" and has no pip" if not pip_there else "") + ".\n# Run these lines in a terminal and start QGIS "
            "with the last one." + ("" if not pip_there else "\n# (Install below also works: it only writes into "
                                                            "your QGIS profile folder, with pip --target.)")
        )
        self.venv_view = QPlainTextEdit()
        self.venv_view.setReadOnly(True)
        self.venv_view.setFont(mono)
        self.venv_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.venv_view.setFixedHeight(self._lines_height(self.venv_view, 8))
        vlay.addWidget(self.venv_view)
        self.venv_box.setVisible(self.needs_venv)
        layout.addWidget(self.venv_box)

    def _run_area(self, layout, mono):
        """Progress, pip's output, the status line and the buttons."""
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        layout.addWidget(self.progress)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setFont(mono)
        self.log_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log_view.setPlaceholderText("pip's output appears here")
        self.log_view.setMinimumHeight(self._lines_height(self.log_view, 6))
        layout.addWidget(self.log_view, 1)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)

        buttons = QDialogButtonBox()
        self.install_button = buttons.addButton("Install", QDialogButtonBox.ButtonRole.AcceptRole)
        self.install_button.setObjectName("installButton")
        self.stop_button = buttons.addButton("Stop", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.stop_button.setEnabled(False)
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.install_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.close_button.clicked.connect(self.close)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(buttons)
        layout.addLayout(row)

    @staticmethod
    def _lines_height(edit, lines):
        return edit.fontMetrics().lineSpacing() * lines + 2 * edit.frameWidth() + 8

    # -- command
    def command(self):
        """The argv that Install runs (ValueError when QGIS's Python is unknown)."""
        packages = self.chosen_packages()
        python = self.python_edit.text().strip() or None
        if python is None:
            raise ValueError("QGIS's Python was not found: type the path of the python executable QGIS runs")
        return pip_command.pip_command(self.platform, self.prefix, self.target, numpy_version(), packages,
                                       self.cuda_box.isChecked(), python=python,
                                       torch_version=self.torch_edit.text().strip())

    def update_command(self, *_):
        try:
            text = pip_command.quote(self.command(), self.platform)
            ok = True
        except ValueError as exc:
            text, ok = str(exc), False
        self.command_view.setPlainText(text)
        if not self.is_running():
            self.install_button.setEnabled(ok and not self.blocked)
        if self.needs_venv:
            lines = pip_command.venv_commands(
                numpy_version(), self.chosen_packages(), python=os.path.join(self.prefix, "bin", "python3"),
                python_version=f"{sys.version_info[0]}.{sys.version_info[1]}", cuda=self.cuda_box.isChecked(),
                torch_version=self.torch_edit.text().strip())
            self.venv_view.setPlainText("\n".join([self.venv_note, *lines]))

    # -- running
    def is_running(self):
        return self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning

    def start(self):
        """Run pip with QProcess; the log streams into the text box. Returns False when it could not start."""
        if self.is_running():
            return False
        try:
            cmd = self.command()
        except ValueError as exc:
            self.status_label.setText(str(exc))
            return False
        os.makedirs(self.target, exist_ok=True)
        self.log_view.clear()
        self.append_log("$ " + pip_command.quote(cmd, self.platform) + "\n")
        self.result_problems = None
        proc = QProcess(self)
        proc.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        env.insert("PIP_NO_INPUT", "1")
        proc.setProcessEnvironment(env)
        proc.readyReadStandardOutput.connect(self._read_output)
        proc.finished.connect(self._finished)
        proc.errorOccurred.connect(self._error)
        self.process = proc
        self.progress.setRange(0, 0)  # busy
        self.install_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.status_label.setText("Installing… (torch is about 200 MB for the CPU build)")
        proc.start(cmd[0], cmd[1:])
        return True

    def stop(self):
        if self.is_running():
            self.append_log("\nStopped by the user.\n")
            self.process.kill()
            self.process.waitForFinished(3000)

    def append_log(self, text):
        self.log_view.moveCursor(QTextCursor.MoveOperation.End)
        self.log_view.insertPlainText(text)
        self.log_view.ensureCursorVisible()

    def _read_output(self):
        data = bytes(self.process.readAllStandardOutput())
        self.append_log(data.decode("utf-8", errors="replace"))

    def _error(self, error):
        if error == QProcess.ProcessError.FailedToStart:
            self.append_log(f"\nCould not start {self.process.program()}: {self.process.errorString()}\n")
            self._done(False, f"Could not start QGIS's Python ({self.process.program()}). Check the path above.")

    def _finished(self, code, status):
        if self.process is not None:
            self._read_output()
        if status != QProcess.ExitStatus.NormalExit or code != 0:
            self._done(False, f"pip failed (exit code {code}); the log above says why. Nothing was changed in QGIS.")
            return
        removed = prune_held(self.target)
        if removed:
            self.append_log(f"\nKept QGIS's own numpy {numpy_version()} (removed pip's copy from the target).\n")
        use_dependencies_dir(self.target)
        importlib.invalidate_caches()
        problems = self.recheck()
        self.result_problems = problems
        if not problems:
            self._done(True, "Installed. The Groundwater LSTM algorithms work now; no restart needed.")
        else:
            what = "; ".join(f"{n} ({r})" for n, r in problems)
            self._done(False, f"Installed, but QGIS still cannot import: {what}. Restart QGIS to load them.")

    def _done(self, ok, message):
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if ok else 0)
        self.stop_button.setEnabled(False)
        self.install_button.setEnabled(not self.blocked)
        self.status_label.setText(message)
        self.append_log("\n" + message + "\n")
        QgsMessageLog.logMessage(message, TITLE, compat.MESSAGE_SUCCESS if ok else compat.MESSAGE_WARNING)
        self.installed.emit(ok)

    def wait(self, timeout_ms=600000):
        """Block (processing events) until pip ends; for tests and scripts. True when it ended in time."""
        import time

        end = time.monotonic() + timeout_ms / 1000
        while self.is_running() and time.monotonic() < end:
            QApplication.processEvents()
            self.process.waitForFinished(100)
        QApplication.processEvents()
        return not self.is_running()

    def closeEvent(self, event):  # noqa: N802
        if self.is_running():
            self.stop()
        super().closeEvent(event)
