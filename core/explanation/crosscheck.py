"""The explanation checked against the Pastas baseline (``TrainConfig.baseline``): where the TFN model's exact,
additive contributions and the LSTM's expected gradients split a period's variation alike.

The TFN has one stress per process, not per driver: its recharge model turns precipitation, evaporation and (with
the snow bucket) temperature into one recharge series, so the comparison is per stress (``TFN_STRESS``). Per
well and period: the EG share of a stress is the sum of its drivers' shares, renormalised over the drivers the
TFN has (other drivers and the season left out); the TFN share is that stress's share of the variation of its
contributions (``tfn.contribution_shares``). Agreement is the overlap of the two splits, 1 - 1/2 sum |EG - TFN|
(1: the same split, 0: disjoint), and the dominant stress of each is compared (EG's: the stress of its leading
driver). The TFN shares are taken when the well is trained, over the periods of that run's calendar and over the
explanation's span (``ExplainConfig.span``).
"""
from __future__ import annotations

import numpy as np

from ..vocabulary import PERIODS

TFN_STRESS = {"precip": "recharge", "pet": "recharge", "temp": "recharge", "river": "river", "pumping": "pumping"}
WELL_FIELDS = ("tfn_agree", "tfn_differ")


def compare(eg_shares, tfn_shares):
    """(agreement, EG's dominant stress, TFN's dominant stress) of one period; None where either is empty.
    eg_shares: driver -> share; tfn_shares: stress -> share. EG's dominant stress is that of its leading driver
    among those the TFN has (the map's dominant driver unless an other driver leads): the summed recharge drivers
    would outweigh a river that leads them one by one."""
    eg, lead = {}, (-np.inf, None)
    for driver, share in eg_shares.items():
        stress = TFN_STRESS.get(driver)
        if stress is not None and share is not None and np.isfinite(share):
            eg[stress] = eg.get(stress, 0.0) + float(share)
            lead = max(lead, (float(share), stress))
    total = sum(eg.values())
    if not tfn_shares or total <= 0:
        return None
    stresses = sorted(set(eg) | set(tfn_shares))
    a = {s: eg.get(s, 0.0) / total for s in stresses}
    b = {s: float(tfn_shares.get(s, 0.0)) for s in stresses}
    agreement = 1.0 - 0.5 * sum(abs(a[s] - b[s]) for s in stresses)
    return agreement, lead[1], max(stresses, key=b.get)


def annotate(explanation, tfn_period_shares):
    """Add the cross-check to one ``WellExplanation``: tfn_stress, tfn_share and tfn_agree on its attribution rows
    (NaN where Pastas had nothing for the period) and ``quality['tfn']`` = {agreement, eg_dominant, tfn_dominant: period -> ...,
    'differ': the periods whose dominant stress differs}."""
    att = explanation.attribution
    att["tfn_stress"] = [TFN_STRESS.get(d, "") for d in att["driver"]]
    att["tfn_share"] = np.nan
    att["tfn_agree"] = np.nan
    check = {"agreement": {}, "eg_dominant": {}, "tfn_dominant": {}, "differ": []}
    for p in PERIODS:
        tfn = (tfn_period_shares or {}).get(p) or {}
        rows = att["period"] == p
        result = compare(dict(zip(att.loc[rows, "driver"], att.loc[rows, "share"])), tfn)
        if result is None:
            continue
        agreement, eg_dom, tfn_dom = result
        att.loc[rows, "tfn_share"] = [tfn.get(s, 0.0) if s else np.nan for s in att.loc[rows, "tfn_stress"]]
        att.loc[rows, "tfn_agree"] = round(agreement, 4)
        check["agreement"][p] = round(agreement, 4)
        check["eg_dominant"][p], check["tfn_dominant"][p] = eg_dom, tfn_dom
        if eg_dom != tfn_dom:
            check["differ"].append(p)
    agreements = list(check["agreement"].values())
    check["overall"] = round(float(np.mean(agreements)), 4) if agreements else None
    explanation.quality["tfn"] = check
    return check


def wells_fields(explanation):
    """The well's cross-check fields: tfn_agree (mean agreement over its periods) and tfn_differ (the periods
    whose dominant stress differs, comma-separated; empty when they all agree)."""
    check = explanation.quality.get("tfn")
    if check is None:
        return {}
    return {"tfn_agree": check["overall"], "tfn_differ": ",".join(check["differ"])}


def summary(explanations):
    """One log line over the network: on how many well-periods the dominant stress agrees, per period."""
    checks = [e.quality["tfn"] for e in explanations if "tfn" in e.quality]
    if not checks:
        return None
    parts = []
    for p in PERIODS:
        pairs = [c for c in checks if p in c["agreement"]]
        if pairs:
            same = sum(p not in c["differ"] for c in pairs)
            parts.append(f"{p} {same} of {len(pairs)}")
    agree = [c["overall"] for c in checks if c["overall"] is not None]
    median = f"; median agreement {np.median(agree):.2f}" if agree else ""
    return "EG-TFN cross-check, wells whose dominant stress agrees with Pastas: " + ", ".join(parts) + median
