"""From attributions to the answers a map shows: each driver's share, the dominant driver per period and
overall, and the agreement of two explanations.

One definition of a well's overall shares, used by the map (``dom_drv``, ``sh_*``) and by the dynamics types:
each period's mean absolute attribution first, then their mean over the periods that have explained days (the
periods weigh equally, so that a long unfrozen summer does not drown the winter), normalised over the drivers
with the season input left out.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from ..vocabulary import PERIOD_FIELDS, PERIODS, SEASON
from . import crosscheck
from .config import WellExplanation


def share_field(driver):
    """Wells-layer field of a driver's overall share: ``sh_`` + at most 7 characters (shapefile limit 10)."""
    return "sh_" + str(driver)[:7]


def share_fields(drivers):
    """{driver: share field} with every field unique within 10 characters: soil_temp_10cm and soil_temp_50cm
    would both be ``sh_soil_te``, so the second one becomes ``sh_soil__2`` (a number at the end)."""
    out, used = {}, set()
    for d in drivers:
        name = share_field(d)
        k = 1
        while name in used:
            k += 1
            name = "sh_" + str(d)[:7 - len(str(k)) - 1] + f"_{k}"
        out[d] = name
        used.add(name)
    return out


def cosine(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if not np.isfinite(na * nb) or na == 0 or nb == 0:
        return float("nan")
    return float(a @ b / (na * nb))


def shares(mean_abs, drivers):
    """share = mean_abs / sum over drivers (season excluded from the sum)."""
    mask = np.array([d != SEASON for d in drivers])
    total = mean_abs[mask].sum()
    if not np.isfinite(total) or total <= 0:
        return np.full(len(drivers), np.nan)
    return mean_abs / total


def dominant_driver(shares: Mapping[str, float]):
    """The driver with the largest share (season never); None when there is none."""
    best, best_v = None, -np.inf
    for d, v in shares.items():
        if d == SEASON or v is None or not np.isfinite(v):
            continue
        if v > best_v:
            best, best_v = d, v
    return best


def contest(period_shares: Mapping[str, float], member_abs, drivers):
    """How clearly one driver leads a period: ``(winner, runner_up, margin, member_agreement)``.

    margin: the winner's lead over the runner-up as a share of the winner's share (0: a tie, 1: alone).
    member_agreement: the fraction of ensemble members whose own attribution names the same winner; members
    trained from other seeds split the credit differently between drivers that the data cannot tell apart.
    """
    ranked = sorted(((v, d) for d, v in period_shares.items()
                     if d != SEASON and v is not None and np.isfinite(v)), reverse=True)
    if not ranked:
        return None, None, float("nan"), float("nan")
    winner = ranked[0][1]
    runner_up = ranked[1][1] if len(ranked) > 1 else None
    lead = ranked[0][0]
    margin = (lead - ranked[1][0]) / lead if len(ranked) > 1 and lead > 0 else 1.0
    member_abs = np.asarray(member_abs, float)
    votes = [dominant_driver(dict(zip(drivers, row))) for row in member_abs
             if np.isfinite(row).all() and row.sum() > 0]
    agreement = float(np.mean([v == winner for v in votes])) if votes else float("nan")
    return winner, runner_up, float(margin), agreement


def period_weights(explained):
    """Equal weights over the periods with explained days (``explained``: period -> number of days)."""
    w = np.array([1.0 if explained[p] else 0.0 for p in PERIODS])
    return w / w.sum() if w.sum() > 0 else w


def weighted(weights, per_period, n):
    if not np.any(weights > 0):
        return np.full(n, np.nan)
    out = np.zeros(n)
    for i, p in enumerate(PERIODS):
        if weights[i] > 0:
            out += weights[i] * np.asarray(per_period[p], float)
    return out


def wells_table(explanations: Mapping[str, WellExplanation]):
    """well_id, dom_drv, dom_frz, dom_thw, dom_unf, sh_<driver>..., eg_qual, eg_compl[, tfn_agree, tfn_differ]."""
    rows = []
    fields_of = share_fields(dict.fromkeys(d for e in explanations.values() for d in e.overall))
    for wid, e in explanations.items():
        row = {"well_id": wid, "dom_drv": e.dominant.get("overall")}
        for p, f in PERIOD_FIELDS.items():
            row[f] = e.dominant_text(p)
        for d, v in e.overall.items():
            row[fields_of[d]] = v["share"]
        row["eg_qual"] = e.quality["seed_agreement"].get("overall")
        row["eg_compl"] = e.quality["completeness_error"].get("overall")
        row.update(crosscheck.wells_fields(e))
        rows.append(row)
    cols = ["well_id", "dom_drv", *PERIOD_FIELDS.values()]
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=cols + ["eg_qual", "eg_compl"])
    shares = [c for c in df.columns if c.startswith("sh_")]
    checked = [c for c in crosscheck.WELL_FIELDS if c in df.columns]
    return df[cols + shares + ["eg_qual", "eg_compl", *checked]]


def seed_agreement(a: WellExplanation, b: WellExplanation):
    """Cosine between two explanations' per-driver mean-abs vectors, per period and overall (season out)."""
    out = {}
    for p in PERIODS:
        sa = a.attribution[(a.attribution["period"] == p) & (a.attribution["driver"] != SEASON)]
        sb = b.attribution[(b.attribution["period"] == p) & (b.attribution["driver"] != SEASON)]
        out[p] = cosine(sa["mean_abs"].to_numpy(), sb["mean_abs"].to_numpy())
    ds = [d for d in a.overall if d != SEASON]
    out["overall"] = cosine([a.overall[d]["mean_abs"] for d in ds], [b.overall[d]["mean_abs"] for d in ds])
    return out


def overall_shares(attribution: pd.DataFrame, well_id=None) -> pd.Series:
    """driver -> overall share of one well from an attribution table (the module's one definition; periods
    without days, NaN, are left out). Equal to the ``share`` of ``WellExplanation.overall``."""
    a = attribution if well_id is None else attribution[attribution["well_id"].astype(str) == str(well_id)]
    a = a[a["driver"] != SEASON].dropna(subset=["mean_abs"])
    if a.empty:
        return pd.Series(dtype=float)
    per = a.groupby(["period", "driver"])["mean_abs"].mean().unstack("driver")
    ma = per.mean(axis=0)
    total = ma.sum()
    return (ma / total) if total > 0 else ma * np.nan
