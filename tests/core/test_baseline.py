"""The Pastas baseline beside every LSTM (TrainConfig.baseline): fitted per well on the LSTM's own split and drivers,
scored like it, and blind to the test part."""
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pastas", reason="Pastas is not installed (pip install \"pastas>=1.10,<2\" where numpy is 1.x; "
                    "make setup installs it)")

from groundwater_lstm import core  # noqa: E402
from groundwater_lstm.core.model.config import TrainConfig  # noqa: E402
from groundwater_lstm.core.model.executor import SerialExecutor  # noqa: E402

ROLES = core.Roles(precip="precip", temp="temp", pet="pet", river="river", pumping="pumping")
CONFIG = TrainConfig(epochs=3, ensemble=1, hidden=8, lookback=60, seed=3, baseline=True)


@pytest.fixture(scope="module")
def network():
    return core.create_network(wells=3, years=5, seed=7)


def _train(net, levels=None, log=None):
    return core.train(net.wells, net.levels if levels is None else levels, net.forcing, ROLES, CONFIG,
                      forcing_id_col="well_id", executor=SerialExecutor(), log=log)


@pytest.fixture(scope="module")
def first(network):
    lines = []
    return _train(network, log=lines.append), lines


def test_every_well_gets_its_baseline_scores_and_simulation(first):
    run, lines = first
    fields = run.wells_fields()
    assert list(fields.columns[-3:]) == ["nse_tfn", "kge_tfn", "lstm_gain"]
    assert fields["nse_tfn"].notna().all() and (fields["nse_tfn"] > 0).all(), fields  # a real fit, not a constant
    np.testing.assert_allclose(fields["lstm_gain"], fields["nse_test"] - fields["nse_tfn"])
    sim = run.simulation()
    assert "tfn" in sim.columns and sim["tfn"].notna().all()
    assert any(line.startswith("Pastas baseline: the LSTM wins on ") for line in lines), lines


def test_the_baseline_never_sees_the_test_part(network, first):
    first, _ = first
    spans = {w: tw.splits["test"] for w, tw in first.result.trained.items()}
    changed = network.levels.copy()
    for w, (start, _end) in spans.items():
        in_test = (changed["well_id"] == w) & (pd.to_datetime(changed["date"]) >= start)
        changed.loc[in_test, "level"] += 25.0  # test heads far off: a fit that saw them would move
    second = _train(network, changed)
    pd.testing.assert_series_equal(first.simulation()["tfn"], second.simulation()["tfn"])
    assert (first.wells_fields()["nse_tfn"] != second.wells_fields()["nse_tfn"]).all()  # but it is scored on them


def test_without_pastas_the_baseline_is_refused_before_training(monkeypatch, network):
    from hidden_package import hide_package  # tests/helpers

    hide_package(monkeypatch, "pastas")
    with pytest.raises(core.InputError) as err:
        _train(network)
    assert "pastas" in str(err.value) and "pip install" in str(err.value)


def test_the_report_shows_both_models(first, tmp_path, artifacts_dir):
    from groundwater_lstm.core.outputs import figures, report

    run, _ = first
    path = tmp_path / "report.html"
    report.write_report(path, run.wells_fields(), run.simulation())
    html = path.read_text(encoding="utf-8")
    assert "<th>NSE Pastas</th>" in html and "<th>LSTM \u2212 Pastas</th>" in html
    assert "the LSTM wins on" in html and "dashed blue line" in html
    sim = run.simulation()
    well = sim["well_id"].iloc[0]
    png = figures.well_figure(well, sim[sim["well_id"] == well])
    (artifacts_dir / "hydrograph_with_pastas.png").write_bytes(png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
