"""How far one well's explanation can be trusted: completeness (do the attributions add up to the change of
the level), the agreement of two halves of the explained days (two seeds), and per period how clearly one
driver leads (its margin over the runner-up and the ensemble members' vote)."""
import numpy as np

from ..vocabulary import PERIODS, SEASON
from .shares import contest, cosine, dominant_driver, period_weights, shares, weighted


def quality(acc, pooled, drivers, plan, ambiguity_margin):
    """Completeness, the agreement of the two random halves of the explained days (each with its own draws,
    they stand for two seeds), and per period the contest of the drivers (``shares.contest``): a period is
    ambiguous when its winner's margin is below ``ambiguity_margin`` or the two halves name different winners."""
    n_drv = len(drivers)
    nos = np.array([d != SEASON for d in drivers])
    half_ma = {h: {p: (acc[(p, h)].abs / acc[(p, h)].n if acc[(p, h)].n else np.full(n_drv, np.nan))
                   for p in PERIODS} for h in (0, 1)}
    agreement, stable = {}, {}
    for p in PERIODS:
        a0, a1 = half_ma[0][p], half_ma[1][p]
        agreement[p] = cosine(a0[nos], a1[nos])
        d0 = dominant_driver(dict(zip(drivers, shares(a0, drivers))))
        d1 = dominant_driver(dict(zip(drivers, shares(a1, drivers))))
        stable[p] = (d0 == d1) if d0 is not None and d1 is not None else None
    weights_p = period_weights({p: pooled[p].n for p in PERIODS})
    h0 = weighted(weights_p, half_ma[0], n_drv)
    h1 = weighted(weights_p, half_ma[1], n_drv)
    agreement["overall"] = cosine(h0[nos], h1[nos])
    known = [v for v in stable.values() if v is not None]
    stable["overall"] = float(np.mean(known)) if known else float("nan")
    all_acc = pooled[PERIODS[0]].merged(pooled[PERIODS[1]]).merged(pooled[PERIODS[2]])
    days = plan.days
    contests = {p: contest(dict(zip(drivers, shares(pooled[p].abs / pooled[p].n, drivers))) if pooled[p].n else {},
                           pooled[p].member_abs, drivers) for p in PERIODS}
    return {
        "runner_up": {p: contests[p][1] for p in PERIODS},
        "margin": {p: contests[p][2] for p in PERIODS},
        "member_agreement": {p: contests[p][3] for p in PERIODS},
        "ambiguous": {p: bool(contests[p][0] is not None and (contests[p][2] < ambiguity_margin
                                                               or stable[p] is False)) for p in PERIODS},
        "n_days": {p: pooled[p].n for p in PERIODS},
        "span_days": plan.span_counts,
        "draws_per_day": {p: (int(days.loc[days["period"] == p, "k"].min()) if pooled[p].n else 0) for p in PERIODS},
        "draws": int(days["k"].sum()) if len(days) else 0,
        "baseline_windows": int(len(plan.base_pos)),
        "completeness_error": {**{p: _completeness(pooled[p], False) for p in PERIODS},
                               "overall": _completeness(all_acc, False)},
        "completeness_error_daily": {**{p: _completeness(pooled[p], True) for p in PERIODS},
                                     "overall": _completeness(all_acc, True)},
        "seed_agreement": agreement,
        "dominant_stable": stable,
    }


def _completeness(a, daily):
    if a.delta_abs <= 0:
        return float("nan")
    return (a.resid_abs if daily else abs(a.resid)) / a.delta_abs
