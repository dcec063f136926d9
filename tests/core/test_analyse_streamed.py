"""core.analyse with its rows written out as wells end (what analysewells does): the same wells table, types
included, and the same rows as a run that keeps everything."""
import pandas as pd

from groundwater_lstm import core
from groundwater_lstm.core.explanation.config import ExplainConfig
from groundwater_lstm.core.model.config import TrainConfig
from groundwater_lstm.core.model.executor import SerialExecutor


def test_a_streamed_analysis_equals_the_kept_one():
    net = core.create_network(wells=3, years=3, seed=4)
    roles = core.Roles(precip="precip", temp="temp", pet="pet", river="river", pumping="pumping")
    args = (net.wells, net.levels, net.forcing, roles, TrainConfig(epochs=3, ensemble=1, hidden=8, lookback=60),
            ExplainConfig(n_samples=10, days_per_period=5))
    sims, lags = [], []
    streamed = core.analyse(*args, forcing_id_col="well_id", executor=SerialExecutor(),
                            on_simulation=lambda w, f: sims.append(f),
                            on_explained=lambda w, e: lags.append(e.lags.copy()))
    kept = core.analyse(*args, forcing_id_col="well_id", executor=SerialExecutor())
    assert len(streamed.simulation()) == 0 and len(streamed.explanation.lags) == 0
    pd.testing.assert_frame_equal(pd.concat(sims, ignore_index=True), kept.simulation())
    pd.testing.assert_frame_equal(pd.concat(lags, ignore_index=True), kept.explanation.lags)
    table = streamed.wells_table()
    assert table["dyn_type"].notna().all()
    pd.testing.assert_frame_equal(table, kept.wells_table())  # the level signatures read on the way out
