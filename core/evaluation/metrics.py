"""Skill scores of a simulated against an observed series.

Every function takes two array-likes of equal length (lists, NumPy arrays, pandas Series; positions are
paired, not index labels) and uses only the pairs where both values are finite, so unobserved days (NaN) are
left out, never filled.

NaN is returned, and :func:`nan_reason` says why, in these cases only:

- fewer than 2 pairs (``MIN_PAIRS``): no score at all;
- NSE and KGE's alpha when the observations are constant (their variance is the denominator);
- KGE's beta when the observed mean is 0 (its denominator).

When the simulation is constant and the observations are not, the correlation is undefined; it is taken as
0 (no shared variation), which gives the known KGE of the mean-flow benchmark, ``1 - sqrt(2)`` (Knoben et al.
2019). KGE follows Gupta et al. (2009): ``1 - sqrt((r-1)^2 + (alpha-1)^2 + (beta-1)^2)``, alpha = std(sim) /
std(obs), beta = mean(sim) / mean(obs). Bias is mean(sim - obs) (positive: the model is too high).
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np
import pandas as pd

MIN_PAIRS = 2
from ..vocabulary import METRIC_NAMES

METRIC_COLUMNS = (*METRIC_NAMES, "n")  # the scores and the number of pairs they come from


def _pairs(obs, sim):
    o = np.asarray(obs, dtype=float).ravel()
    s = np.asarray(sim, dtype=float).ravel()
    if o.shape != s.shape:
        raise ValueError(f"obs and sim differ in length ({o.size} and {s.size})")
    ok = np.isfinite(o) & np.isfinite(s)
    return o[ok], s[ok]


def n_pairs(obs, sim) -> int:
    """Number of pairs where both values are finite."""
    return int(_pairs(obs, sim)[0].size)


def nan_reason(obs, sim) -> Optional[str]:
    """Why the scores of these series are NaN (None when NSE and KGE are defined)."""
    o, s = _pairs(obs, sim)
    if o.size < MIN_PAIRS:
        return f"fewer than {MIN_PAIRS} days with both an observed and a simulated value ({o.size})"
    if np.ptp(o) == 0:
        return "the observations are constant, so NSE and KGE (alpha) are undefined"
    if o.mean() == 0:
        return "the observed mean is 0, so KGE (beta) is undefined"
    return None


def nse(obs, sim) -> float:
    """Nash-Sutcliffe efficiency: 1 - sum((sim-obs)^2) / sum((obs-mean(obs))^2)."""
    o, s = _pairs(obs, sim)
    if o.size < MIN_PAIRS:
        return math.nan
    den = float(np.sum((o - o.mean()) ** 2))
    if den == 0.0:
        return math.nan
    return 1.0 - float(np.sum((s - o) ** 2)) / den


def kge(obs, sim) -> dict:
    """Kling-Gupta efficiency with its parts: ``{'kge', 'r', 'alpha', 'beta'}``."""
    o, s = _pairs(obs, sim)
    nan = {"kge": math.nan, "r": math.nan, "alpha": math.nan, "beta": math.nan}
    if o.size < MIN_PAIRS:
        return nan
    so, ss = float(o.std()), float(s.std())
    mo, ms = float(o.mean()), float(s.mean())
    if so == 0.0:
        r = math.nan
    elif ss == 0.0:
        r = 0.0
    else:
        r = float(np.corrcoef(o, s)[0, 1])
    alpha = ss / so if so > 0.0 else math.nan
    beta = ms / mo if mo != 0.0 else math.nan
    value = 1.0 - math.sqrt((r - 1.0) ** 2 + (alpha - 1.0) ** 2 + (beta - 1.0) ** 2)
    return {"kge": value, "r": r, "alpha": alpha, "beta": beta}


def rmse(obs, sim) -> float:
    o, s = _pairs(obs, sim)
    return math.nan if o.size < MIN_PAIRS else float(np.sqrt(np.mean((s - o) ** 2)))


def mae(obs, sim) -> float:
    o, s = _pairs(obs, sim)
    return math.nan if o.size < MIN_PAIRS else float(np.mean(np.abs(s - o)))


def bias(obs, sim) -> float:
    """Mean of sim - obs (same unit as the series)."""
    o, s = _pairs(obs, sim)
    return math.nan if o.size < MIN_PAIRS else float(np.mean(s - o))


def all_metrics(obs, sim) -> dict:
    """``{'nse', 'kge', 'r', 'alpha', 'beta', 'rmse', 'mae', 'bias', 'n'}`` (n: number of pairs used)."""
    out = {"nse": nse(obs, sim)}
    out.update(kge(obs, sim))
    out.update(rmse=rmse(obs, sim), mae=mae(obs, sim), bias=bias(obs, sim), n=n_pairs(obs, sim))
    return out


def metrics_by_group(df: pd.DataFrame, obs_col: str = "observed", sim_col: str = "simulated",
                     by: Sequence[str] = ("split", "period")) -> pd.DataFrame:
    """One row per group of ``by`` (missing keys kept as their own group) with the group keys and
    :func:`all_metrics` columns, in the groups' sorted order."""
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in [obs_col, sim_col, *by] if c not in df.columns]
    if missing:
        raise KeyError(f"metrics_by_group: no column {missing} (columns: {list(df.columns)})")
    rows = []
    if not by:
        return pd.DataFrame([all_metrics(df[obs_col].to_numpy(), df[sim_col].to_numpy())], columns=list(METRIC_COLUMNS))
    for key, g in df.groupby(by, dropna=False, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key))
        row.update(all_metrics(g[obs_col].to_numpy(), g[sim_col].to_numpy()))
        rows.append(row)
    return pd.DataFrame(rows, columns=by + list(METRIC_COLUMNS))
