"""A trained well: its ensemble, scalers and splits, simulation of any span, and its scores per split and period.

Simulation runs in chunks of ``window`` days, each preceded by ``lookback`` days of warm-up, so the prediction
for a day always uses at least ``lookback`` earlier days: the first ``lookback`` days of a forcing series get no
simulation. The members' mean is the simulation; their lowest and highest values are the ensemble spread.
"""
import numpy as np
import pandas as pd
import torch

from ..errors import InputError
from ..vocabulary import METRIC_NAMES, SPLITS
from .fitting import forward_span, gather_windows


QUANTILES = (0.05, 0.95)


class TrainedWell:
    """The ensemble of one well with everything needed to simulate new forcing.

    Attributes: well_id, members (list of ``WellLSTM`` in eval mode, on cpu), feature_names,
    feature_drivers (feature -> {driver: weight}), scalers ({'x_mean', 'x_std': lists per feature,
    'y_mean', 'y_std': floats}), splits ({'train'|'val'|'test': (first day, last day)} Timestamps, inclusive;
    the test part runs to the last observation, an empty validation part has its last day before its first),
    config
    (``TrainConfig``), metrics ({split: {nse, kge, r, alpha, beta, rmse, mae, bias}}), period_metrics
    ({split: {period: {...}}}), status ('ok'), info (epochs per member, seconds, device), simulation (the
    DataFrame from training, date/observed/simulated/lower/upper/split; None after loading from a folder).
    """

    def __init__(self, well_id, members, feature_names, feature_drivers, scalers, splits, config,
                 metrics=None, period_metrics=None, status="ok", info=None, simulation=None, n_obs=None):
        self.well_id = well_id
        self.members = list(members)
        for m in self.members:
            m.eval()
        self.feature_names = list(feature_names)
        self.feature_drivers = {k: dict(v) for k, v in (feature_drivers or {}).items()}
        self.scalers = scalers
        self.splits = {k: (pd.Timestamp(v[0]), pd.Timestamp(v[1])) for k, v in splits.items()}
        self.config = config
        self.metrics = metrics or {}
        self.period_metrics = period_metrics or {}
        self.status = status
        self.info = info or {}
        self.simulation = simulation
        self.n_obs = n_obs

    def __repr__(self):
        nse = self.metrics.get("test", {}).get("nse")
        return f"TrainedWell({self.well_id!r}, members={len(self.members)}, test NSE={nse})"

    @property
    def lookback(self):
        return int(self.config.lookback)

    @property
    def y_std(self):
        """Metres per unit of the scaled level (the model output)."""
        return float(self.scalers["y_std"])

    @property
    def boundaries(self):
        """{'train_start', 'val_start', 'test_start', 'end'} Timestamps (see ``split_dates``)."""
        return {"train_start": self.splits["train"][0], "val_start": self.splits["val"][0],
                "test_start": self.splits["test"][0], "end": self.splits["test"][1]}

    # --- inputs
    def scaled_inputs(self, features_df):
        """The features of ``features_df`` (columns ``feature_names``), scaled: (T, F) float32."""
        missing = [c for c in self.feature_names if c not in features_df.columns]
        if missing:
            raise InputError(f"the inputs lack the feature(s) {missing} that the model was trained on",
                             well=self.well_id, field=missing[0],
                             fix="give the same drivers (roles) as for training")
        x = features_df[self.feature_names].to_numpy(dtype=np.float64)
        x = (x - np.asarray(self.scalers["x_mean"])) / np.asarray(self.scalers["x_std"])
        return np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)

    def windows(self, x_scaled, end_positions):
        """Model input whose last step is the prediction for each position: (N, lookback, F) float32 tensor.

        Window i holds the ``lookback`` days that end at ``end_positions[i]`` (inclusive); the prediction of a
        member for that day is ``member(windows)[:, -1]`` (scaled; see ``unscale``). Positions below
        ``lookback - 1`` have no full window and raise.
        """
        x = torch.as_tensor(np.asarray(x_scaled, dtype=np.float32))
        ends = np.asarray(end_positions, dtype=np.int64)
        if len(ends) and (ends.min() < self.lookback - 1 or ends.max() >= len(x)):
            raise InputError(f"window end positions must lie in [{self.lookback - 1}, {len(x) - 1}]",
                             well=self.well_id, field="end_positions", fix="explain days after the warm-up")
        return gather_windows(x, ends + 1, self.lookback, 0) if len(ends) else x.new_zeros((0, self.lookback, x.shape[1]))

    def predict_windows(self, member, windows):
        """Level in metres predicted by ``member`` for the last day of each window: (N,) numpy array."""
        with torch.no_grad():
            y = member(torch.as_tensor(windows, dtype=torch.float32))[:, -1]
        return self.unscale(y.numpy())

    def unscale(self, y_scaled):
        """Scaled level -> metres."""
        return np.asarray(y_scaled, dtype=np.float64) * self.scalers["y_std"] + self.scalers["y_mean"]

    # --- simulation
    def simulate_members(self, features_df):
        """(dates, array (members, days)) in metres for every day after the first ``lookback`` days."""
        x = torch.as_tensor(self.scaled_inputs(features_df))
        n = x.shape[0]
        dates = pd.DatetimeIndex(features_df.index)
        if n <= self.lookback:
            return dates[:0], np.zeros((len(self.members), 0))
        chunk = max(1, int(self.config.window))
        sims = []
        with torch.no_grad():
            for m in self.members:
                sims.append(forward_span(m, x, self.lookback, chunk, self.lookback, n).numpy())
        return dates[self.lookback:], self.unscale(np.stack(sims))

    def simulate(self, features_df):
        """DataFrame(date, simulated, lower, upper) in metres: ensemble mean and the spread of its members
        (their 5 and 95 % quantiles: with a few members, nearly their lowest and highest, not an interval).

        ``features_df`` has a daily DatetimeIndex and the columns ``feature_names``; its first ``lookback`` days
        are warm-up and get no row.
        """
        dates, sims = self.simulate_members(features_df)
        return pd.DataFrame({
            "date": dates,
            "simulated": sims.mean(axis=0),
            "lower": np.quantile(sims, QUANTILES[0], axis=0),
            "upper": np.quantile(sims, QUANTILES[1], axis=0),
        })


def _metrics(obs, sim):
    from ..evaluation.metrics import all_metrics

    obs = np.asarray(obs, dtype=float)
    sim = np.asarray(sim, dtype=float)
    ok = np.isfinite(obs) & np.isfinite(sim)
    if ok.sum() < 2:
        return {k: float("nan") for k in METRIC_NAMES}
    out = all_metrics(obs[ok], sim[ok])
    return {k: float(out[k]) if out.get(k) is not None else float("nan") for k in METRIC_NAMES}


def _split_metrics(sim_df):
    return {s: _metrics(g["observed"], g["simulated"]) for s, g in
            ((s, sim_df[sim_df["split"] == s]) for s in SPLITS)}


def periods_of(periods, well_id):
    """The part of a network's periods labelling (see ``_period_labels``) that one well needs: what its task
    carries to a worker (the whole network's labels in every task would grow as wells squared)."""
    if isinstance(periods, dict):
        return {well_id: periods[well_id]} if well_id in periods else None
    if isinstance(periods, pd.DataFrame) and "well_id" in periods.columns:
        return periods[periods["well_id"].astype(str) == str(well_id)]
    return periods


def _period_labels(periods, well_id, dates):
    """Period label per date from a periods labelling (DataFrame with date/period and optional well_id,
    a Series indexed by date, a dict well_id -> Series, or a callable(well_id, dates))."""
    if periods is None:
        return None
    if callable(periods):
        lab = periods(well_id, dates)
        return None if lab is None else pd.Series(np.asarray(lab, dtype=object), index=dates)
    if isinstance(periods, dict):
        ser = periods.get(well_id)
    elif isinstance(periods, pd.Series):
        ser = periods
    elif isinstance(periods, pd.DataFrame):
        df = periods
        if "well_id" in df.columns:
            df = df[df["well_id"].astype(str) == str(well_id)]
        if df.empty:
            return None
        ser = pd.Series(df["period"].to_numpy(), index=pd.DatetimeIndex(df["date"]))
    else:
        raise InputError("periods must be a DataFrame (well_id, date, period), a Series or a dict",
                         field="periods", fix="pass the labelling from core.hydrology.periods")
    if ser is None:
        return None
    ser = ser[~ser.index.duplicated()]
    return ser.reindex(pd.DatetimeIndex(dates))


def _period_metrics(sim_df):
    out = {}
    if "period" not in sim_df:
        return out
    for s in SPLITS:
        g = sim_df[sim_df["split"] == s]
        per = {}
        for p, gp in g.groupby("period"):
            per[str(p)] = _metrics(gp["observed"], gp["simulated"])
        if per:
            out[s] = per
    return out
