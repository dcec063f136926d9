"""Drivers without a role (OTHER_FIELDS: Tmax, humidity, ...) go all the way: model inputs, explained with their
own shares, in the model folder and in the report."""
import numpy as np

from groundwater_lstm import core
from groundwater_lstm.core.explanation.config import ExplainConfig
from groundwater_lstm.core.model.config import TrainConfig


def test_other_drivers_are_trained_on_explained_and_reported(tmp_path):
    from groundwater_lstm.core.model import store
    from groundwater_lstm.core.outputs import report

    net = core.create_network(wells=3, years=3, seed=2)
    rng = np.random.default_rng(0)
    net.forcing["humidity"] = rng.uniform(40.0, 90.0, len(net.forcing))
    net.forcing["tmax"] = net.forcing["temp"] + 6.0 + rng.normal(0.0, 1.0, len(net.forcing))
    roles = core.Roles(precip="precip", temp="temp", pet="pet", river="river", pumping="pumping",
                       other=("humidity", "tmax"))
    analysis = core.analyse(net.wells, net.levels, net.forcing, roles,
                            TrainConfig(epochs=3, ensemble=1, hidden=8, lookback=60, seed=1),
                            ExplainConfig(n_samples=10, days_per_period=5, seed=1), forcing_id_col="well_id")
    trained = analysis.run.result.trained
    assert all({"humidity", "tmax"} <= set(tw.feature_names) for tw in trained.values())
    assert {"humidity", "tmax"} <= set(analysis.explanation.attribution["driver"])
    from groundwater_lstm.core.explanation.shares import share_fields

    table = analysis.wells_table()
    names = share_fields(["humidity", "tmax"])  # 10 characters at most, for shapefiles
    assert table[[names["humidity"], names["tmax"]]].notna().all().all()
    folder = store.save_network(tmp_path / "models", analysis.run.result, roles, analysis.run.result.config)
    assert {"humidity", "tmax"} <= set(store.load_network(folder).drivers)
    path = tmp_path / "report.html"
    report.write_report(path, table, analysis.simulation(), analysis.explanation.attribution)
    html = path.read_text(encoding="utf-8")
    assert names["humidity"] in html and names["tmax"] in html
