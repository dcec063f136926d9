"""Frames shaped exactly like the data contract, with real-looking values, for the report and styling tests.

Test data, not the method: the values are drawn at random, so nothing here proves the analysis right.
"""
import numpy as np
import pandas as pd

from groundwater_lstm.core.vocabulary import DRIVERS, PERIODS, TYPE_VALUES


def demo_frames(n_wells=6, years=4, seed=0, drivers=DRIVERS, lags=True):
    """Frames shaped exactly like the data contract, with real-looking values, for previews and tests.

    Returns dict(wells, simulation, attribution, periods, lags). The last well is skipped (status
    'skipped: ...', no simulation) so that every part of the report has something to show.
    """
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2010-01-01")
    dates = pd.date_range(start, periods=int(years * 365.25), freq="D")
    doy = dates.dayofyear.to_numpy()
    n_days = len(dates)
    split = np.where(np.arange(n_days) < 0.6 * n_days, "train",
                     np.where(np.arange(n_days) < 0.8 * n_days, "val", "test"))
    winters = range(dates[0].year - 1, dates[-1].year + 1)
    types = list(TYPE_VALUES)
    wells, sims, attrs, pers, lag_rows = [], [], [], [], []
    for i in range(n_wells):
        wid = f"SN{i + 1:03d}"
        dyn = types[i % len(types)]
        period_rows = []
        for w in winters:
            fs = pd.Timestamp(year=w, month=11, day=5) + pd.Timedelta(days=int(rng.integers(-8, 9)))
            ts = pd.Timestamp(year=w + 1, month=3, day=20) + pd.Timedelta(days=int(rng.integers(-8, 9)))
            te = ts + pd.Timedelta(days=int(rng.integers(35, 55)))
            period_rows.append((wid, w, fs, ts, te))
        label = np.full(n_days, "unfrozen", dtype=object)
        for _, _, fs, ts, te in period_rows:
            label[(dates >= fs) & (dates < ts)] = "freezing"
            label[(dates >= ts) & (dates < te)] = "thawing"
        base = 140.0 + rng.normal(0, 10)
        season = 0.6 * np.sin(2 * np.pi * (doy - 120) / 365.25) + 0.05 * np.arange(n_days) / 365.25
        truth = base + season + np.cumsum(rng.normal(0, 0.01, n_days))
        sim = truth + rng.normal(0, 0.08, n_days)
        spread = 0.10 + 0.05 * rng.random()
        observed = truth + rng.normal(0, 0.03, n_days)
        observed[rng.random(n_days) < 0.75] = np.nan  # weekly-ish readings with gaps
        skipped = i == n_wells - 1 and n_wells > 2
        metrics = dict(n_obs=int(np.isfinite(observed).sum()), nse_train=round(0.9 - 0.05 * rng.random(), 3),
                       nse_val=round(0.8 - 0.2 * rng.random(), 3), nse_test=round(0.85 - 0.9 * rng.random(), 3),
                       kge_test=round(0.8 - 0.5 * rng.random(), 3), rmse_test=round(0.1 + 0.2 * rng.random(), 3),
                       bias_test=round(rng.normal(0, 0.05), 3))
        shares = rng.dirichlet(np.ones(len(drivers)))
        order = [drivers[j] for j in np.argsort(-shares)]
        row = dict(well_id=wid, status="ok", **metrics, dom_drv=order[0], dom_frz=order[1 % len(order)],
                   dom_thw=order[0], dom_unf=order[0],
                   **{f"sh_{d}"[:10]: round(float(s), 3) for d, s in zip(drivers, shares)},
                   eg_qual=round(0.9 + 0.1 * rng.random(), 3), dyn_type=dyn, dyn_conf=round(rng.random(), 2))
        if skipped:
            row = dict(well_id=wid, status="skipped: only 12 level readings (at least 100 needed)", n_obs=12)
        wells.append(row)
        if skipped:
            continue
        sims.append(pd.DataFrame({"well_id": wid, "date": dates, "observed": observed, "simulated": sim,
                                  "lower": sim - spread, "upper": sim + spread, "split": split, "period": label}))
        for k, period in enumerate(PERIODS):
            sh = rng.dirichlet(np.ones(len(drivers)))
            top = np.sort(sh)[::-1]
            margin = float((top[0] - top[1]) / top[0])
            ambiguous = int(i == 0 and k == 0)  # the first well's freezing period cannot be decided
            for d, s in zip(drivers, sh):
                mean_abs = float(s) * 0.2
                attrs.append((wid, period, d, float(mean_abs * rng.choice([-1, 1]) * rng.random()), mean_abs,
                              float(s), margin, 0.6 if ambiguous else 1.0, ambiguous))
        pers.extend(period_rows)
        if lags:
            for d in drivers:
                scale, decay = rng.random(), 5 + 40 * rng.random()
                for lag in range(0, 181, 5):
                    lag_rows.append((wid, d, lag, float(scale * np.exp(-lag / decay))))
    return {
        "wells": pd.DataFrame(wells),
        "simulation": pd.concat(sims, ignore_index=True),
        "attribution": pd.DataFrame(attrs, columns=["well_id", "period", "driver", "mean_signed", "mean_abs",
                                                    "share", "margin", "mbr_agree", "ambiguous"]),
        "periods": pd.DataFrame(pers, columns=["well_id", "winter", "freeze_start", "thaw_start", "thaw_end"]),
        "lags": pd.DataFrame(lag_rows, columns=["well_id", "driver", "lag", "value"]) if lags else None,
    }
