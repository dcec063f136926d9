"""The plugin's sources use only spellings that QGIS 4 (Qt6) runs: fully scoped Qt enums, no QVariant.Type,
no exec_(), no QRegExp, and the QGIS API bridged through processing/compat.py alone."""
import os
import textwrap

import pytest

from qt6_spellings import ROOT, problems, report, sources


def test_no_qt5_only_or_deprecated_spellings_in_the_sources():
    found = report()
    assert not found, "Spellings QGIS 4 does not run (file:line: why):\n" + "\n".join(found)


def test_the_scan_reads_every_module():
    names = {p.relative_to(ROOT).as_posix() for p in sources()}
    assert {"processing/compat.py", "processing/qgis_io.py", "plugin/inspector.py", "core/model/training.py",
            "scripts/build_model.py", "tests/static/test_qt6_spellings.py"} <= names
    assert not any(n.startswith(("build/", ".venv/")) for n in names)


BAD = '''
from qgis.PyQt.QtCore import Qt, QVariant
from qgis.core import QgsField, QgsProcessing

painter.drawText(rect, Qt.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "title")  # line 5: unscoped Qt
field = QgsField("x", QVariant.String)                                          # line 6: QVariant.Type
dialog.exec_()                                                                  # line 7: exec_
kinds = [QgsProcessing.TypeVectorPoint]                                         # line 8: old QGIS enum
ok = "Qt.AlignLeft in a string" and Qt.AlignmentFlag.AlignLeft                 # fine: a string, a scoped enum
out = QgsProcessing.TEMPORARY_OUTPUT                                            # fine: a constant
alg.parameterAsFields(parameters, "F", context)                                 # line 11: deprecated call
from qgis.PyQt.QtWidgets import QAction, QLabel                                 # line 12: QAction moved
'''


def test_the_scan_names_file_line_and_fix(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text(textwrap.dedent(BAD), encoding="utf-8")
    found = problems(path)
    assert [line for line, _ in found] == [5, 6, 7, 8, 11, 12], found
    why = dict(found)
    assert "Qt.AlignLeft" in why[5] and "Qt.<EnumType>.AlignLeft" in why[5]
    assert "exec()" in why[7] and "compat" in why[8] and "parameter_as_fields" in why[11]
    assert "QtGui" in why[12]


@pytest.mark.skipif(os.environ.get("GWLSTM_STRICT_DEPRECATIONS") != "1",
                    reason="only the QGIS 3.44 tier (GWLSTM_STRICT_DEPRECATIONS=1) turns plugin deprecations into "
                           "errors")
def test_strict_tier_turns_the_plugins_deprecations_into_errors():
    # as QGIS's sip bindings do: the warning is raised in the frame of the plugin module that called
    code = compile("import warnings\nwarnings.warn('old call', DeprecationWarning)\n",
                   str(ROOT / "processing" / "example.py"), "exec")
    with pytest.raises(DeprecationWarning, match="old call"):
        exec(code, {"__name__": "groundwater_lstm.processing.example"})
    exec(code.replace(co_filename="elsewhere.py"), {"__name__": "pandas.core.example"})  # not ours: no error
