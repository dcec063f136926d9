"""Benchmark cases of the explanation: ``run(quick) -> list of JSON-able dicts``.

``explain``
    The synthetic sample network (default: 24 wells x 12 years, the network ``createsampledata`` makes),
    trained with the default ``TrainConfig`` and explained with the default ``ExplainConfig``, both through
    the default executor. Reports ``driver_agreement`` (dominant driver per (well, period) equal to the
    counterfactual truth; pairs whose period has no day in the explained span are left out and counted in
    ``pairs_empty``), ``type_accuracy`` (``core.explanation.dynamics`` against ``true_type``), ``cluster_agreement``,
    ``seconds`` (explanation), ``train_seconds``, the quality figures and every disagreeing pair (``wrong``)
    so that a failure can be diagnosed from the JSON alone. Twice: on the default network and on the one whose
    drivers move together (``drivers_together``: irrigation on the growing season and its deficit, evaporation
    from temperature and radiation alone; ``network`` says which). Also ``driver_agreement_clear`` (over the
    pairs not marked ambiguous), ``ambiguous_share`` and ``truth_in_ambiguous_pair`` (the truth is the winner or
    its rival). The bar: driver_agreement_clear >= 0.9 with ambiguous_share <= 0.15, type_accuracy >= 0.9,
    seconds <= train_seconds (``passed`` says whether all hold).
``seppe_extraction``
    The real Seppe network (pastas example, ``../shared/data/pastas_seppe_network``): rain and evaporation
    (m/day, times 1000 -> mm/day) and the pumping of the well field (m3/day) as drivers, heads 1995-2017 (fortnightly before 2011, daily after: the pumping varied more in the 1990s); no
    temperature and no frost, so every day is unfrozen (an empty PERIODS table). Reports, per filter, the
    dynamics type, its pumping share and its distance to the well field, and whether near filters come out as
    extraction (``spearman_share_distance`` < 0: the pumping share falls with distance). Filters whose model
    misses the level (test NSE below 0) are ``undetermined`` by the rules, whatever their attributions say.

``quick=True``: a 6-well x 8-year network and 8 Seppe filters, for a smoke run of a few minutes.
"""
import time
from pathlib import Path

import numpy as np
import pandas as pd

SEPPE = "pastas_seppe_network"
SEPPE_START = "1995-01-01"  # the fortnightly heads before 2011 carry the years of higher pumping
SEPPE_END = "2017-09-30"  # the pumping series ends here
SEPPE_QUICK_FILTERS = ("B49F0448_1", "B49F0029_1", "B49F0240_2", "B49F0449_2", "B49F0325_1", "B49F0330_1",
                       "B49F0535_1", "B50A0235_2")


def _json(v):
    if isinstance(v, dict):
        return {str(k): _json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json(x) for x in v]
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else round(float(v), 4)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    return v


def _quality_summary(ne):
    q = [e.quality for e in ne.explanations.values()]
    if not q:
        return {}
    return {
        "seed_agreement_min": min(x["seed_agreement"]["overall"] for x in q),
        "seed_agreement_median": float(np.median([x["seed_agreement"]["overall"] for x in q])),
        "dominant_stable": float(np.nanmean([x["dominant_stable"]["overall"] for x in q])),
        "completeness_error_median": float(np.median([x["completeness_error"]["overall"] for x in q])),
        "completeness_error_daily_median": float(np.median([x["completeness_error_daily"]["overall"] for x in q])),
        "explained_days_per_well": float(np.mean([sum(x["n_days"].values()) for x in q])),
    }


# ---------------------------------------------------------------------------------------------- synthetic


def synthetic_case(quick=False, train_config=None, explain_config=None, together=False):
    import torch

    from groundwater_lstm.core.explanation import dynamics
    from groundwater_lstm.core.explanation.config import ExplainConfig
    from groundwater_lstm.core.explanation.network import explain_records
    from groundwater_lstm.core.hydrology.periods import label_well
    from groundwater_lstm.core.hydrology import synthetic
    from groundwater_lstm.core.model import training
    from groundwater_lstm.core.model.config import TrainConfig
    from groundwater_lstm.core.inputs.tables import prepare_wells
    from groundwater_lstm.core.inputs.roles import Roles

    torch.set_num_threads(1)
    wells, years = (6, 8) if quick else (24, 12)
    cfg = train_config or (TrainConfig(ensemble=2, epochs=20, patience=4) if quick
                           else TrainConfig())
    ecfg = explain_config or ExplainConfig()
    net = synthetic.create_network(wells=wells, years=years, seed=42, drivers_together=together)
    roles = Roles(precip="precip", temp="temp", pet="pet", river="river", pumping="pumping")
    lat = dict(zip(net.wells["well_id"], net.wells["y"]))
    records, skipped = prepare_wells(net.levels, net.forcing, roles, list(net.wells["well_id"]),
                                     warmup_days=cfg.lookback, forcing_id_col="well_id", latitudes=lat)
    labels = {w: label_well(r.frame.index, well_id=w, temperature=r.frame["temp"]) for w, r in records.items()}
    t0 = time.perf_counter()
    # the periods label the simulation (and give the Pastas baseline its shares per period for the cross-check)
    result = training.train_network(records, roles, cfg, periods=labels)
    train_seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    ne = explain_records(result, records, roles, config=ecfg)
    seconds = time.perf_counter() - t1

    truth = net.wells.set_index("well_id")
    pairs, empty, wrong = [], 0, []
    by_cell, clear, ambiguous, in_pair = {}, [], [], []
    for wid, e in ne.explanations.items():
        kind = truth.loc[wid, "true_type"]
        for period, field in synthetic.TRUTH_FIELDS.items():
            got, want = e.dominant[period], truth.loc[wid, field]
            if got is None:
                empty += 1
                continue
            ok = got == want
            pairs.append(ok)
            if e.quality["ambiguous"][period]:
                ambiguous.append(True)
                in_pair.append(want in (got, e.quality["runner_up"][period]))
            else:
                ambiguous.append(False)
                clear.append(ok)
            by_cell.setdefault(f"{kind}/{period}", []).append(ok)
            if not ok:
                sh = e.attribution[(e.attribution["period"] == period)].set_index("driver")["share"]
                wrong.append({"well": wid, "type": kind, "period": period, "truth": want, "got": got,
                              "share_truth": sh.get(want), "share_got": sh.get(got),
                              "ambiguous": e.quality["ambiguous"][period], "margin": e.quality["margin"][period],
                              "member_agreement": e.quality["member_agreement"][period]})
    dyn = dynamics.classify_network(ne.attribution, result.simulation,
                                    periods={w: lab for w, lab in labels.items() if w in ne.explanations})
    got_type = dyn.table.set_index("well_id")["dyn_type"]
    type_ok = got_type == truth.loc[got_type.index, "true_type"]
    out = {
        "case": "explain",
        "network": "drivers together" if together else "default",
        "quick": bool(quick),
        "wells": wells, "years": years,
        "explained": len(ne.explanations), "skipped": {**skipped, **result.skipped, **ne.skipped},
        "driver_agreement": float(np.mean(pairs)) if pairs else None,
        "driver_agreement_clear": float(np.mean(clear)) if clear else None,
        "ambiguous_share": float(np.mean(ambiguous)) if ambiguous else None,
        "truth_in_ambiguous_pair": float(np.mean(in_pair)) if in_pair else None,
        "member_agreement_median": float(np.nanmedian([e.quality["member_agreement"][p]
                                                       for e in ne.explanations.values() for p in e.dominant
                                                       if p in e.quality["member_agreement"]])),
        "pairs": len(pairs), "pairs_empty": empty,
        "agreement_by_type_period": {k: float(np.mean(v)) for k, v in sorted(by_cell.items())},
        "type_accuracy": float(type_ok.mean()) if len(type_ok) else None,
        "cluster_agreement": dyn.agreement,
        "types_wrong": [{"well": w, "truth": truth.loc[w, "true_type"], "got": got_type[w]}
                        for w in got_type.index[~type_ok.to_numpy()]],
        "seconds": seconds,
        "train_seconds": train_seconds,
        "explain_config": ecfg.to_dict(),
        "train_config": {"ensemble": cfg.ensemble, "epochs": cfg.epochs, "lookback": cfg.lookback},
        "wrong": wrong,
        **_quality_summary(ne),
    }
    if cfg.baseline:
        out.update(_crosscheck(ne, truth, synthetic.TRUTH_FIELDS))
    out["passed"] = bool(out["driver_agreement_clear"] is not None and out["driver_agreement_clear"] >= 0.9
                         and out["ambiguous_share"] <= 0.15
                         and out["type_accuracy"] is not None and out["type_accuracy"] >= 0.9
                         and seconds <= train_seconds)
    return _json(out)


def _crosscheck(ne, truth, truth_fields):
    """The EG-TFN cross-check against the truth, per period: on how many wells the dominant stress agrees, and
    which of the two is right where they do not (the truth's driver mapped to its stress)."""
    from groundwater_lstm.core.explanation.crosscheck import TFN_STRESS

    per, differ = {}, []
    for wid, e in ne.explanations.items():
        check = e.quality.get("tfn") or {}
        for period, field in truth_fields.items():
            if period not in check.get("agreement", {}):
                continue
            want = TFN_STRESS.get(truth.loc[wid, field])
            eg, tfn = check["eg_dominant"][period], check["tfn_dominant"][period]
            cell = per.setdefault(period, {"pairs": 0, "agree": 0, "eg_right": 0, "tfn_right": 0, "agreement": []})
            cell["pairs"] += 1
            cell["agree"] += eg == tfn
            cell["eg_right"] += eg == want
            cell["tfn_right"] += tfn == want
            cell["agreement"].append(check["agreement"][period])
            if eg != tfn:
                differ.append({"well": wid, "type": truth.loc[wid, "true_type"], "period": period, "truth": want,
                               "eg": eg, "tfn": tfn, "agreement": check["agreement"][period]})
    for cell in per.values():
        cell["agreement"] = float(np.median(cell["agreement"]))
    return {"case": "crosscheck", "crosscheck": per, "crosscheck_differ": differ}


# -------------------------------------------------------------------------------------------------- Seppe


def seppe_dir():
    import os

    env = os.environ.get("GWLSTM_SHARED_DATA")
    base = Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"
    d = base / SEPPE
    return d if (d / "heads_daily_mean.csv").is_file() else None


def load_seppe(folder, filters=None):
    """(levels, forcing, wells) in core long form: rain and evaporation in mm/day (the files hold m/day),
    pumping in m3/day; one regional forcing series (no well_id); wells with distance_m and depth_z."""
    folder = Path(folder)
    heads = pd.read_csv(folder / "heads_daily_mean.csv", index_col=0, parse_dates=True)
    heads = heads.loc[SEPPE_START:SEPPE_END]
    if filters is not None:
        heads = heads[[c for c in heads.columns if c in set(filters)]]
    levels = heads.stack().rename("level").reset_index()
    levels.columns = ["date", "well_id", "level"]
    rain = pd.read_csv(folder / "rain.csv", index_col=0, parse_dates=True).iloc[:, 0] * 1000.0
    evap = pd.read_csv(folder / "evap.csv", index_col=0, parse_dates=True).iloc[:, 0] * 1000.0
    well = pd.read_csv(folder / "well.csv", index_col=0, parse_dates=True).iloc[:, 0]
    first = pd.Timestamp(SEPPE_START) - pd.DateOffset(years=2)  # room for the warm-up
    forcing = pd.concat({"precip": rain, "pet": evap, "pumping": well}, axis=1).loc[first:SEPPE_END]
    forcing = forcing.dropna().rename_axis("date").reset_index()
    meta = pd.read_csv(folder / "metadata_heads.csv")
    dist = pd.read_csv(folder / "distances.csv", index_col=0).iloc[:, 0]
    wells = meta.rename(columns={"oseries": "well_id", "z": "depth_z"})
    wells["distance_m"] = wells["well_id"].map(dist)
    wells = wells[wells["well_id"].isin(levels["well_id"].unique())].reset_index(drop=True)
    return levels, forcing, wells


def seppe_case(quick=False, train_config=None, explain_config=None):
    folder = seppe_dir()
    if folder is None:
        return {"case": "seppe_extraction", "skipped": "the Seppe data folder (../shared/data/"
                                                       f"{SEPPE}) is absent"}
    import torch

    from groundwater_lstm.core.explanation import dynamics
    from groundwater_lstm.core.explanation.config import ExplainConfig
    from groundwater_lstm.core.explanation.network import explain_records
    from groundwater_lstm.core.model import training
    from groundwater_lstm.core.model.config import TrainConfig
    from groundwater_lstm.core.inputs.tables import prepare_wells
    from groundwater_lstm.core.inputs.roles import Roles

    torch.set_num_threads(1)
    cfg = train_config or (TrainConfig(ensemble=2, epochs=20, patience=4) if quick
                           else TrainConfig(ensemble=3))
    ecfg = explain_config or ExplainConfig()
    levels, forcing, wells = load_seppe(folder, SEPPE_QUICK_FILTERS if quick else None)
    roles = Roles(precip="precip", pet="pet", pumping="pumping")
    records, skipped = prepare_wells(levels, forcing, roles, list(wells["well_id"]), warmup_days=cfg.lookback)
    t0 = time.perf_counter()
    result = training.train_network(records, roles, cfg)
    train_seconds = time.perf_counter() - t0
    no_frost = pd.DataFrame(columns=["well_id", "winter", "freeze_start", "thaw_start", "thaw_end"])
    t1 = time.perf_counter()
    ne = explain_records(result, records, roles, periods=no_frost, config=ecfg)
    seconds = time.perf_counter() - t1
    labels = {w: pd.Series("unfrozen", index=r.frame.index) for w, r in records.items()}
    dyn = dynamics.classify_network(ne.attribution, result.simulation, periods=labels)
    t = dyn.table.merge(wells[["well_id", "distance_m", "depth_z"]], on="well_id", how="left")
    metrics = result.metrics.set_index("well_id")
    t["nse_test"] = t["well_id"].map(metrics["nse_test"]) if "nse_test" in metrics else np.nan
    t = t.sort_values("distance_m")
    is_x = t["dyn_type"] == "extraction"
    near = t["distance_m"] <= t["distance_m"].median()
    rho = (t[["sh_pumping", "distance_m"]].rank().corr().iloc[0, 1] if len(t) > 2 else float("nan"))
    out = {
        "case": "seppe_extraction",
        "quick": bool(quick),
        "filters": len(t), "skipped": {**skipped, **result.skipped, **ne.skipped},
        "extraction": int(is_x.sum()),
        "extraction_near_half": float(is_x[near].mean()) if near.any() else None,
        "extraction_far_half": float(is_x[~near].mean()) if (~near).any() else None,
        "median_distance_extraction_m": float(t.loc[is_x, "distance_m"].median()) if is_x.any() else None,
        "median_distance_other_m": float(t.loc[~is_x, "distance_m"].median()) if (~is_x).any() else None,
        "spearman_share_distance": rho,
        "cluster_agreement": dyn.agreement,
        "seconds": seconds, "train_seconds": train_seconds,
        "per_filter": [{"well": r.well_id, "distance_m": r.distance_m, "depth_z": r.depth_z,
                        "dyn_type": r.dyn_type, "dyn_conf": r.dyn_conf, "sh_pumping": r.sh_pumping,
                        "top_driver": r.top_driver, "nse_test": r.nse_test, "reason": r.reason}
                       for r in t.itertuples()],
        **_quality_summary(ne),
    }
    return _json(out)


def run(quick=False):
    """Both cases, one dict each (the benchmark runner prints each as one JSON line)."""
    return [synthetic_case(quick), synthetic_case(quick, together=True), seppe_case(quick)]


if __name__ == "__main__":  # python -m benchmarks.explain_case [--quick]
    import json
    import sys

    for row in run("--quick" in sys.argv):
        print(json.dumps(row))
