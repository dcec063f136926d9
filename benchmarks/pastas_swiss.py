"""The classical baseline: Pastas (Collenteur et al. 2019) on the Swiss wells, same split as case ``swiss``.

Not one of ``make bench``'s cases: Pastas needs a newer numpy than QGIS ships, so ``make bench-pastas`` runs
this module in its own virtual environment (``.venv-pastas``): ``python -m benchmarks.pastas_swiss``.
Prints one JSON line per model structure (``pastas_flex``, ``pastas_linear``) with the keys of the other cases.

Per well: head ~ constant + recharge (precipitation, the derived Oudin evaporation; Gamma response) + river stage
(Exponential response) where the well has a river series. ``flex``: the non-linear FlexModel recharge with its
snow bucket (temperature); ``linear``: P - f E. Calibrated by least squares from the first observation (for river
wells from the first river day) to 2012-12-31, scored on 2013-01-01..2020-12-31 like the LSTMs.
"""
import json
import sys
import time
import warnings

import numpy as np
import pandas as pd

from . import datasets
from .common import summary

RIVER_GAP_FILL_DAYS = 30


def _river(series, first_head):
    """(river stress without NaN and centred on its calibration mean, calibration start, days to leave out)."""
    r = series.astype(float)
    gap = r.isna()
    run = gap.groupby((gap != gap.shift()).cumsum()).transform("sum")
    filled = r.interpolate(method="time", limit_area="inside")
    filled[gap & (run > RIVER_GAP_FILL_DAYS)] = np.nan
    start = max(first_head, filled.first_valid_index())
    inner = filled[start:filled.last_valid_index()]
    skip = inner.index[inner.isna()]  # long gaps: the stress is bridged, the heads there are not fitted
    stress = r.interpolate(method="time", limit_area="inside").dropna()
    # centred: stages of hundreds of metres a.s.l. make the river gain and the constant trade off
    stress = stress - stress[start:datasets.SWISS_TRAIN_END].mean()
    return stress.rename("river"), start, skip


def _nse(obs, sim):
    sim = sim.reindex(obs.index)
    keep = sim.notna()
    o, s = obs[keep], sim[keep]
    return float(1.0 - ((o - s) ** 2).sum() / ((o - o.mean()) ** 2).sum())


def fit_well(ps, name, heads, precip, evap, temp, river, structure):
    """Calibrate one well; returns its test NSE."""
    head = heads[name].dropna().rename(name)
    start, skip = head.index[0], []
    stress = None
    if river is not None and name in river.columns:
        stress, start, skip = _river(river[name], head.index[0])
    calib = head.drop(head.index.intersection(skip))
    ml = ps.Model(calib, name=name)
    kw = dict(model=ml, prec=precip[name].rename("prec"), evap=evap[name].rename("evap"), rfunc=ps.Gamma(),
              name="recharge")
    if structure == "flex":
        kw.update(recharge=ps.rch.FlexModel(snow=True), temp=temp[name].rename("temp"))
    else:
        kw.update(recharge=ps.rch.Linear())
    ps.RechargeModel(**kw)
    if stress is not None:
        ps.StressModel(model=ml, stress=stress, rfunc=ps.Exponential(), name="river", settings="waterlevel")
    end = pd.Timestamp(datasets.SWISS_TRAIN_END)
    ml.solve(tmin=start, tmax=end, report=False)
    if structure == "flex":  # a second pass from the optimum, as Pastas advises for non-linear recharge
        ml.solve(tmin=start, tmax=end, report=False, initial=False)
    test = head[datasets.SWISS_TEST_START:datasets.SWISS_TEST_END]
    return _nse(test, ml.simulate(tmin=datasets.SWISS_TEST_START, tmax=datasets.SWISS_TEST_END))


def run(structures=("flex", "linear")):
    folder = datasets.swiss_dir()
    if folder is None:
        return [{"case": f"pastas_{s}", "skipped": "the real data folder is absent", "wells": 0, "seconds": None,
                 "median_nse_test": None, "share_nse_test_gt_0_7": None} for s in structures]
    import pastas as ps

    warnings.filterwarnings("ignore")
    ps.set_log_level("ERROR")
    heads, precip = datasets._wide(folder / "heads.csv"), datasets._wide(folder / "precipitation.csv")
    evap, temp = datasets._wide(folder / "evaporation_oudin_DERIVED.csv"), datasets._wide(folder / "temperature.csv")
    river = datasets._wide(folder / "rivers.csv")
    out = []
    for structure in structures:
        nse, failed, t0 = {}, {}, time.perf_counter()
        for name in heads.columns:
            try:
                nse[name] = round(fit_well(ps, name, heads, precip, evap, temp, river, structure), 4)
            except Exception as exc:  # a well Pastas cannot fit counts as a failure, the others go on
                nse[name], failed[name] = None, f"{type(exc).__name__}: {exc}"
        out.append({"case": f"pastas_{structure}", "wells": len(nse), "seconds": round(time.perf_counter() - t0, 1),
                    **summary(list(nse.values())),
                    "pastas_version": ps.__version__,
                    "test": f"{datasets.SWISS_TEST_START}..{datasets.SWISS_TEST_END}",
                    "failed": failed, "nse_test": nse})
    return out


if __name__ == "__main__":
    for line in run():
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
