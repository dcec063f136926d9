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


def test_the_tfn_contribution_shares_split_each_period(first):
    run, _ = first
    for tw in run.result.trained.values():
        shares = tw.info["baseline"]["shares"]
        assert set(shares) == {"test", "all"}
        for span, per in shares.items():
            assert per and set(per) <= {"freezing", "thawing", "unfrozen"}
            for split in per.values():
                assert set(split) == {"recharge", "river", "pumping"}  # the stresses the network has
                assert sum(split.values()) == pytest.approx(1.0, abs=1e-5) and min(split.values()) >= 0


def test_compare_measures_the_overlap_of_two_splits():
    from groundwater_lstm.core.explanation.crosscheck import compare

    same = compare({"precip": 0.3, "pet": 0.2, "river": 0.5, "season": 0.4}, {"recharge": 0.5, "river": 0.5})
    assert same[0] == pytest.approx(1.0) and same[2] in ("recharge", "river")
    apart = compare({"pumping": 1.0}, {"recharge": 0.7, "river": 0.3})
    assert apart == (pytest.approx(0.0), "pumping", "recharge")
    # a driver the TFN has no stress for (an OTHER_FIELDS column) is left out, the rest renormalised
    part = compare({"precip": 0.2, "humidity": 0.6, "river": 0.2}, {"recharge": 0.5, "river": 0.5})
    assert part[0] == pytest.approx(1.0)
    assert compare({"precip": 0.5}, {}) is None
    # EG's dominant stress is its dominant driver's: the river leads though the recharge drivers sum to more
    river_led = compare({"precip": 0.2, "temp": 0.15, "pet": 0.15, "river": 0.35}, {"recharge": 0.3, "river": 0.7})
    assert river_led[1:] == ("river", "river")


def test_the_explanation_is_checked_against_the_tfn(network, first, tmp_path):
    from groundwater_lstm.core.outputs import report

    run, _ = first
    lines = []
    ex = core.explain(run.result.trained, run.records, ROLES, core.ExplainConfig(n_samples=8, days_per_period=8),
                      executor=SerialExecutor(), log=lines.append)
    att = ex.attribution
    assert {"tfn_stress", "tfn_share", "tfn_agree"} <= set(att.columns)
    assert dict(zip(att["driver"], att["tfn_stress"])) == {"precip": "recharge", "temp": "recharge",
                                                            "pet": "recharge", "river": "river",
                                                            "pumping": "pumping", "season": ""}
    checked = att.dropna(subset=["tfn_agree"])
    assert len(checked) and checked["tfn_agree"].between(0, 1).all()
    wells = ex.wells
    assert wells["tfn_agree"].between(0, 1).all()
    for _, row in wells.iterrows():  # the flag names exactly the periods whose dominant stress differs
        q = ex.explanations[row["well_id"]].quality["tfn"]
        differ = [p for p in q["agreement"] if q["eg_dominant"][p] != q["tfn_dominant"][p]]
        assert row["tfn_differ"] == ",".join(differ)
    assert any(line.startswith("EG-TFN cross-check, wells whose dominant stress agrees") for line in lines), lines
    path = tmp_path / "report.html"
    fields = run.wells_fields().merge(wells, on="well_id")
    report.write_report(path, fields, run.simulation(), att)
    html = path.read_text(encoding="utf-8")
    assert "<th>EG\u2013Pastas agreement</th>" in html
    assert "expected gradients against the Pastas contributions" in html
    assert "names the same dominant stress as the Pastas contributions" in html
