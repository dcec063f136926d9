"""The bad-input catalogue (tests/catalogue/bad_inputs.py) through real Processing, in-process."""
import pytest
from qgis.core import QgsProcessingException, QgsProcessingFeedback

from bad_inputs import CASES, build_template, start, verify
from groundwater_lstm.processing import compat


class Printed(QgsProcessingFeedback):
    """Everything a run tells the user, as the Processing dialog's log shows it."""

    def __init__(self):
        super().__init__()
        self.lines = []

    def pushInfo(self, info):  # noqa: N802
        self.lines.append(info)
        super().pushInfo(info)

    def pushWarning(self, warning):  # noqa: N802
        self.lines.append(warning)
        super().pushWarning(warning)

    def reportError(self, error, fatalError=False):  # noqa: N802,N803
        self.lines.append(error)
        super().reportError(error, fatalError)


@pytest.fixture(scope="module")
def template(tmp_path_factory, run_alg):
    return build_template(tmp_path_factory.mktemp("catalogue_template"), run_alg)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_case(case, template, run_alg, tmp_path):
    ws, before = start(case, template, tmp_path / "ws")
    feedback = Printed()
    try:
        run_alg(case.alg, case.params(ws), feedback=feedback)
        ok, error = True, ""
    except QgsProcessingException as exc:
        ok, error = False, str(exc)
    verify(case, ws, before, ok, "\n".join(feedback.lines + [error]))


def test_the_catalogue_has_a_case_per_item():
    items = {c.item for c in CASES}
    assert {f"bad {n}" for n in range(1, 12)} <= {i for c in CASES for i in
                                                  (f"bad {p.strip()}" for p in c.item[4:].split(","))} | items
    assert len(CASES) >= 80 and len({c.name for c in CASES}) == len(CASES)


def test_sampleforcing_needs_no_well_id_field(provider):
    from qgis.core import QgsApplication

    alg = QgsApplication.processingRegistry().algorithmById("groundwaterlstm:sampleforcing")
    assert alg.parameterDefinition("WELL_ID_FIELD").flags() & compat.PARAM_OPTIONAL
