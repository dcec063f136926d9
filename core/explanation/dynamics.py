"""Dynamics type of each well from its attribution signature (and its simulated level), with a clustering of
the signatures as a second opinion.

Types (Songnen Plain classification of groundwater regimes in seasonally frozen plains):

``extraction``
    Pumping carries the level: ``pumping`` is the driver with the largest overall share and its share is at
    least ``min_pump_share``. Without a pumping driver a well is typed ``extraction`` only from a *sustained
    decline that no climate driver explains*: the observed level falls by at least ``min_decline`` m/year
    (Theil-Sen slope of the annual means) while the model, which sees only the climate (and river) drivers,
    does not follow it (the residual observed - simulated falls by at least half of that). The reason then
    says that no pumping driver was given, and the confidence is capped at ``inferred_conf_cap``.
``infiltration-runoff``
    River stage (or another drainage driver named in ``drainage_drivers``) has the largest overall share.
``infiltration-evaporation``
    The climate drivers carry the level: evaporation (``pet``) or temperature (``temp``) has the largest
    overall share, *and* the simulated (else observed) level shows the freeze-thaw signature: it falls in the
    freezing period (from its start to the lowest level, mean over winters) and rises over the thawing period,
    each by at least ``min_signature_change`` m. Without the signature the
    type stays, with its confidence halved and the reason saying so. When precipitation dominates alone the
    type is ``infiltration-evaporation`` only with the signature; otherwise ``undetermined``.
``undetermined``
    Anything else (no attribution, an other driver on top, precipitation without the signature): the reason
    says which. Also every well whose model does not follow its level: an NSE below ``min_nse`` (on the test
    split when it has at least ``min_skill_days`` observed days, else on every observed day) means the
    attributions describe a model, not the well, so the rules are not applied (the inferred extraction below
    is, as a poor fit is part of its evidence).

Confidence (0-1): ``conf = 0.5 + 0.5 * (s1 - s2) / s1`` with ``s1``, ``s2`` the largest and second-largest
overall driver shares (season never counts): a clear winner is near 1, a tie 0.5; then times the factors
above (no signature, inferred extraction cap, undetermined halves it).

Second opinion: k-means (scikit-learn) on the wells' share vectors (overall and per period, season left out),
k = the number of types the rules found (at least 2, at most the number of wells - 1). Each cluster takes the
type most of its wells got from the rules; ``cluster_agrees`` says whether a well's rule type equals its
cluster's type, and ``agreement`` is the fraction of wells where it does. Deterministic (``random_state``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from ..config import Settings
from ..errors import InputError
from ..evaluation.metrics import nse
from ..runs import runs
from ..vocabulary import PERIODS, SEASON, UNDETERMINED
from .shares import overall_shares

RESULT_COLUMNS = ["well_id", "dyn_type", "dyn_conf", "reason", "cluster", "cluster_agrees"]


@dataclass
class DynamicsConfig(Settings):
    """Thresholds of the rules (see the module docstring)."""

    min_pump_share: float = 0.2
    min_decline: float = 0.05          # m/year
    inferred_conf_cap: float = 0.5
    no_signature_factor: float = 0.5
    drainage_drivers: Sequence[str] = ("river",)
    evaporation_drivers: Sequence[str] = ("pet", "temp")
    min_years_trend: int = 3
    min_signature_change: float = 0.05  # m: the fall in freezing and the rise in thawing of the signature
    min_nse: float = 0.0                # below it the model's attributions are not evidence of the well
    min_skill_days: int = 10            # observed test days needed to judge the skill on the test split
    seed: int = 0


@dataclass
class DynamicsResult:
    """``table``: RESULT_COLUMNS plus the evidence (top driver, shares, level change per period, trends);
    ``agreement``: fraction of wells whose rule type equals their cluster's type (NaN with fewer than 3
    wells); ``clusters``: cluster -> type."""

    table: pd.DataFrame
    agreement: float
    clusters: dict

    def wells_fields(self):
        """The wells-layer fields: well_id, dyn_type, dyn_conf, dyn_note (the reason), cluster_ok (1/0/None)."""
        table = self.table[["well_id", "dyn_type", "dyn_conf", "reason", "cluster_agrees"]].rename(
            columns={"reason": "dyn_note", "cluster_agrees": "cluster_ok"})
        table["cluster_ok"] = table["cluster_ok"].map(lambda v: None if v is None or v != v else int(bool(v)))
        return table


# ------------------------------------------------------------------------------------------------ signatures


def _theil_sen(x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2:
        return float("nan")
    i, j = np.triu_indices(len(x), 1)
    dx = x[j] - x[i]
    ok = dx != 0
    return float(np.median((y[j] - y[i])[ok] / dx[ok])) if ok.any() else float("nan")


def _skill(s, min_days):
    """(NSE, span) of simulated against observed: the test split when it has ``min_days`` observed days."""
    if "observed" not in s.columns or "simulated" not in s.columns:
        return float("nan"), None
    obs = s.dropna(subset=["observed", "simulated"])
    span = "all observed days"
    if "split" in obs.columns and int((obs["split"] == "test").sum()) >= min_days:
        obs, span = obs[obs["split"] == "test"], "test"
    value = nse(obs["observed"].to_numpy(float), obs["simulated"].to_numpy(float))
    return (value, span) if np.isfinite(value) else (float("nan"), None)


def level_signature(sim: pd.DataFrame, min_years: int = 3, min_change: float = 0.05, min_skill_days: int = 10) -> dict:
    """Evidence from one well's simulation rows (date, simulated, observed, period).

    dh_freezing: mean fall (m, <= 0) from the start of a freezing stretch to its lowest level; dh_thawing,
    dh_unfrozen: mean net change (m) over one stretch of that period (simulated level; the observed level
    where there is no simulation); signature: dh_freezing <= -min_change and dh_thawing >= min_change; trend_obs / trend_sim / trend_res: Theil-Sen slopes (m/year)
    of the annual means of the observed level, the simulated level and observed - simulated (NaN with fewer
    than ``min_years`` years of observations); nse, nse_span: the model's skill (see ``_skill``).
    """
    out = {f"dh_{p}": float("nan") for p in PERIODS}
    out.update(trend_obs=float("nan"), trend_sim=float("nan"), trend_res=float("nan"), signature=None,
               nse=float("nan"), nse_span=None)
    if sim is None or len(sim) == 0:
        return out
    s = sim.copy()
    s["date"] = pd.to_datetime(s["date"])
    s = s.sort_values("date")
    level = s["simulated"] if "simulated" in s.columns else s["observed"]
    level = level.astype(float)
    if "period" in s.columns and s["period"].notna().any():
        per = s["period"].astype(object).to_numpy()
        dates = s["date"].to_numpy()
        lv = level.to_numpy()
        # stretches of consecutive days with the same period label
        gap = np.r_[False, np.diff(dates).astype("timedelta64[D]").astype(int) != 1]
        starts, ends = runs(per, breaks=gap)
        sid = np.repeat(np.arange(len(starts)), ends - starts + 1)
        frame = pd.DataFrame({"sid": sid, "period": per, "lv": lv})
        g = frame.groupby("sid").agg(period=("period", "first"), first=("lv", "first"), last=("lv", "last"),
                                     low=("lv", "min"), n=("lv", "size"))
        g = g[g["n"] >= 5]
        for p in PERIODS:
            gp = g[g["period"] == p]
            if len(gp):
                # freezing: the fall from the freezing start to the lowest level of the stretch (the frost
                # draws water up, then the level may recover before the thaw); else the net change
                change = (gp["low"] - gp["first"]) if p == "freezing" else (gp["last"] - gp["first"])
                out[f"dh_{p}"] = float(change.mean())
        f, t = out["dh_freezing"], out["dh_thawing"]
        if np.isfinite(f) and np.isfinite(t):
            out["signature"] = bool(f <= -min_change and t >= min_change)
    out["nse"], out["nse_span"] = _skill(s, min_skill_days)
    if "observed" in s.columns:
        obs = s.dropna(subset=["observed"])
        years = obs["date"].dt.year
        if years.nunique() >= min_years:
            ann = obs.groupby(years)["observed"].mean()
            out["trend_obs"] = _theil_sen(ann.index, ann.to_numpy())
            if "simulated" in obs.columns:
                sa = obs.groupby(years)["simulated"].mean()
                out["trend_sim"] = _theil_sen(sa.index, sa.to_numpy())
                ra = (obs["observed"] - obs["simulated"]).groupby(years).mean()
                out["trend_res"] = _theil_sen(ra.index, ra.to_numpy())
    return out


# ----------------------------------------------------------------------------------------------- one well


def classify_well(shares: pd.Series, signature: Optional[dict] = None, drivers: Optional[Sequence[str]] = None,
                  config: Optional[DynamicsConfig] = None):
    """(dyn_type, dyn_conf, reason) of one well from its overall driver shares and level evidence.

    ``drivers``: the drivers the model had (default: the index of ``shares``); it tells whether pumping was
    a driver at all.
    """
    cfg = config or DynamicsConfig()
    sig = signature or {}
    shares = pd.Series(shares, dtype=float).drop(labels=[SEASON], errors="ignore").dropna()
    drivers = list(drivers) if drivers is not None else list(shares.index)
    if shares.empty or not np.isfinite(shares.sum()) or shares.sum() <= 0:
        return UNDETERMINED, 0.0, "no attribution for this well (not explained, or every period empty)"
    order = shares.sort_values(ascending=False)
    top, s1 = order.index[0], float(order.iloc[0])
    s2 = float(order.iloc[1]) if len(order) > 1 else 0.0
    margin = (s1 - s2) / s1 if s1 > 0 else 0.0
    conf = 0.5 + 0.5 * margin
    second = order.index[1] if len(order) > 1 else None
    lead = f"{top} has the largest share ({s1:.2f}" + (f", next {second} {s2:.2f})" if second else ")")
    signature_ok = sig.get("signature")
    dh = f"freezing {sig.get('dh_freezing', np.nan):+.2f} m, thawing {sig.get('dh_thawing', np.nan):+.2f} m"

    # extraction without a pumping driver: a decline that the climate cannot explain
    if "pumping" not in drivers:
        tr, res = sig.get("trend_obs", np.nan), sig.get("trend_res", np.nan)
        if np.isfinite(tr) and tr <= -cfg.min_decline and np.isfinite(res) and res <= -cfg.min_decline / 2:
            c = min(cfg.inferred_conf_cap, 0.25 + min(1.0, -tr / (4 * cfg.min_decline)) * 0.25)
            return ("extraction", round(c, 3),
                    f"no pumping driver was given: inferred from a sustained decline of {tr:.3f} m/year that the "
                    f"climate drivers do not explain (residual trend {res:.3f} m/year); give the pumping to confirm")
    nse = sig.get("nse")
    if nse is not None and np.isfinite(nse) and nse < cfg.min_nse:
        return (UNDETERMINED, round(0.5 * conf, 3),
                f"the model does not follow this well's level (NSE {nse:.2f} on {sig.get('nse_span') or 'the record'}, "
                f"below {cfg.min_nse:g}), so its attributions ({lead}) are not evidence of the well; improve the "
                f"model (more observations, a missing driver) before reading its type")
    if top == "pumping":
        if s1 >= cfg.min_pump_share:
            return "extraction", round(conf, 3), f"pumping carries the level: {lead}"
        return UNDETERMINED, round(0.5 * conf, 3), f"pumping is on top but its share {s1:.2f} is below {cfg.min_pump_share}"
    if top in cfg.drainage_drivers:
        return "infiltration-runoff", round(conf, 3), f"river stage / drainage carries the level: {lead}"
    if top in cfg.evaporation_drivers or top == "precip":
        if signature_ok:
            return ("infiltration-evaporation", round(conf, 3),
                    f"climate carries the level: {lead}; freeze-thaw signature ({dh})")
        if top == "precip":
            why = "no freeze-thaw signature" if signature_ok is False else "no period labels for the signature"
            return (UNDETERMINED, round(0.5 * conf, 3),
                    f"precipitation dominates but evaporation and temperature do not and there is {why} ({dh})")
        why = ("the level does not fall in freezing and rise in thawing" if signature_ok is False
               else "the freeze-thaw signature could not be checked (no period labels)")
        return ("infiltration-evaporation", round(conf * cfg.no_signature_factor, 3),
                f"evaporation/temperature carry the level: {lead}; but {why} ({dh})")
    return UNDETERMINED, round(0.5 * conf, 3), f"{lead}: no rule for this driver"


# -------------------------------------------------------------------------------------------- the network


def signature_vectors(attribution: pd.DataFrame, drivers: Sequence[str]) -> pd.DataFrame:
    """One row per well: overall shares then per-period shares of ``drivers`` (NaN filled with the overall)."""
    rows = {}
    for wid, a in attribution.groupby(attribution["well_id"].astype(str), sort=False):
        ov = overall_shares(a).reindex(drivers)
        vec = list(ov.fillna(0.0))
        for p in PERIODS:
            ap = a[(a["period"] == p) & (a["driver"] != SEASON)].set_index("driver")["share"].reindex(drivers)
            vec += list(ap.fillna(ov).fillna(0.0))
        rows[wid] = vec
    cols = [f"sh_{d}" for d in drivers] + [f"{p}_{d}" for p in PERIODS for d in drivers]
    return pd.DataFrame.from_dict(rows, orient="index", columns=cols)


def cluster_signatures(vectors: pd.DataFrame, rule_types: pd.Series, seed: int = 0):
    """k-means on the signature vectors. Returns (cluster per well, cluster -> type, agreement)."""
    n = len(vectors)
    found = sorted(set(t for t in rule_types if t != UNDETERMINED))
    if n < 3 or len(found) < 1:
        return pd.Series(-1, index=vectors.index), {}, float("nan")
    from sklearn.cluster import KMeans

    k = int(min(max(2, len(found)), n - 1))
    km = KMeans(n_clusters=k, n_init=10, random_state=int(seed))
    labels = pd.Series(km.fit_predict(vectors.to_numpy(dtype=float)), index=vectors.index)
    mapping = {}
    for c in sorted(labels.unique()):
        members = rule_types.reindex(labels.index[labels == c])
        counts = members.value_counts()
        top = counts.index[0] if len(counts) else UNDETERMINED
        if len(counts) > 1 and counts.iloc[0] == counts.iloc[1]:
            top = UNDETERMINED
        mapping[int(c)] = top
    agrees = pd.Series([mapping[int(labels[w])] == rule_types[w] for w in vectors.index], index=vectors.index)
    return labels, mapping, float(agrees.mean())


def well_signature(sim: pd.DataFrame, config: Optional[DynamicsConfig] = None) -> dict:
    """``level_signature`` of one well with the settings of ``config``: what ``classify_network`` takes as
    ``signatures`` when the simulation is written out well by well instead of kept."""
    cfg = config or DynamicsConfig()
    return level_signature(sim, cfg.min_years_trend, cfg.min_signature_change, cfg.min_skill_days)


def classify_network(attribution_df: pd.DataFrame, simulation_df: Optional[pd.DataFrame] = None,
                     drivers: Optional[Sequence[str]] = None, config: Optional[DynamicsConfig] = None,
                     periods: Optional[dict] = None, signatures: Optional[dict] = None) -> DynamicsResult:
    """Dynamics type of every well in the attribution table.

    attribution_df: well_id, period, driver, mean_signed, mean_abs, share (n_days optional).
    simulation_df: well_id, date, observed, simulated (and period; else ``periods`` well_id -> Series of period
        labels indexed by date): the level evidence (freeze-thaw signature, trends). Optional: without it the
        signature cannot be checked (the reason says so).
    drivers: the drivers the models had (default: those in the table, season left out).
    signatures: well_id -> ``well_signature`` of its simulation, for wells whose simulation is not given.
    """
    cfg = config or DynamicsConfig()
    signatures = signatures or {}
    need = {"well_id", "period", "driver", "mean_abs", "share"}
    missing = need - set(attribution_df.columns)
    if missing:
        raise InputError(f"the attribution table lacks the column(s) {', '.join(sorted(missing))}",
                         field=sorted(missing)[0], fix="give the `attribution` table that the explanation writes")
    att = attribution_df.copy()
    att["well_id"] = att["well_id"].astype(str)
    if drivers is None:
        drivers = [d for d in dict.fromkeys(att["driver"]) if d != SEASON]
    drivers = list(drivers)
    sims = {}
    if simulation_df is not None and len(simulation_df):
        sd = simulation_df.copy()
        sd["well_id"] = sd["well_id"].astype(str)
        sims = {w: g for w, g in sd.groupby("well_id", sort=False)}
    rows = []
    for wid in dict.fromkeys(att["well_id"]):
        sh = overall_shares(att, wid)
        sim = sims.get(wid)
        if sim is not None and "period" not in sim.columns and periods and wid in periods:
            lab = pd.Series(periods[wid])
            sim = sim.assign(period=lab.reindex(pd.DatetimeIndex(pd.to_datetime(sim["date"]))).to_numpy())
        sig = well_signature(sim, cfg) if sim is not None else signatures.get(wid, {})
        t, c, r = classify_well(sh, sig, drivers, cfg)
        row = {"well_id": wid, "dyn_type": t, "dyn_conf": c, "reason": r,
               "top_driver": sh.idxmax() if len(sh) and sh.notna().any() else None}
        row.update({f"sh_{d}": float(sh.get(d, np.nan)) for d in drivers})
        row.update({k: sig.get(k) for k in ("dh_freezing", "dh_thawing", "dh_unfrozen", "signature",
                                            "trend_obs", "trend_sim", "trend_res", "nse", "nse_span")})
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return DynamicsResult(pd.DataFrame(columns=RESULT_COLUMNS), float("nan"), {})
    vectors = signature_vectors(att, drivers).reindex(table["well_id"])
    labels, mapping, agreement = cluster_signatures(vectors, table.set_index("well_id")["dyn_type"], cfg.seed)
    table["cluster"] = labels.reindex(table["well_id"]).to_numpy().astype(int)
    table["cluster_type"] = [mapping.get(int(c), None) for c in table["cluster"]]
    table["cluster_agrees"] = [bool(ct == t) if ct is not None else None
                               for ct, t in zip(table["cluster_type"], table["dyn_type"])]
    front = RESULT_COLUMNS + ["cluster_type"]
    table = table[front + [c for c in table.columns if c not in front]]
    return DynamicsResult(table, agreement, mapping)
