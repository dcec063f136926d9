"""The classical baseline beside each LSTM: a Pastas transfer-function-noise model of the same well, fitted on
exactly the LSTM's split and drivers, so that each well says whether the LSTM beats it (``lstm_gain``).

The model (Collenteur et al. 2019): head = constant + recharge (precipitation and potential evaporation, Gamma
response; the non-linear FlexModel with its snow bucket where there is air temperature, else linear P - f E)
+ river stage (Exponential response, the stage centred on its calibration mean) + pumping (Hantush response, a
well: extraction lowers the head). Evaporation is the given one, or Oudin's from temperature as the LSTM derives
it. Calibrated by least squares on the training and validation parts (what the LSTM's refit sees), simulated over
the whole record and scored per split like the LSTM.

Pastas is optional: 1.x where numpy is 1.x (QGIS 3.22-3.34), 2.x where numpy is 2; both APIs are served here.
"""
import warnings

import numpy as np
import pandas as pd

from ..errors import InputError, WellInputError

PASTAS_FIX = ("install Pastas next to QGIS (`pip install \"pastas>=1.10,<2\"` where numpy is 1.x, `pip install "
              "\"pastas>=2\"` where numpy is 2), or leave `baseline` off")


def pastas_version():
    """The installed Pastas version, or None."""
    try:
        import pastas
    except Exception:  # a broken install is as missing as an absent one
        return None
    return pastas.__version__


def require_pastas():
    """The pastas module, or InputError saying how to install the release that fits this numpy."""
    if pastas_version() is None:
        raise InputError("the baseline (a Pastas model beside each LSTM) needs the Python package pastas, which "
                         "is not installed", setting="baseline", fix=PASTAS_FIX)
    import pastas

    pastas.set_log_level("ERROR")
    return pastas


def _add(ps, ml, cls, **kw):
    """A stress model added to ``ml``: Pastas 2 adds it when made with ``model=``; Pastas 1 through
    ``add_stressmodel``."""
    if int(ps.__version__.split(".")[0]) >= 2:
        return cls(model=ml, **kw)
    sm = cls(**kw)
    ml.add_stressmodel(sm)
    return sm


def _evaporation(frame, roles, lat, feature_config):
    if roles.pet:
        return frame["pet"].astype(float)
    if roles.temp:
        from ..hydrology.features import oudin_pet

        use_lat = lat if lat is not None and np.isfinite(lat) else feature_config.default_lat
        return pd.Series(oudin_pet(frame["temp"].to_numpy(float), frame.index.dayofyear.to_numpy(), use_lat),
                         index=frame.index)
    return None


def build_model(ps, record, roles, calib_end, feature_config):
    """The Pastas model of one well (``record``: a ``data.WellRecord``), heads up to ``calib_end`` only."""
    frame = record.frame
    head = frame["level"].astype(float).dropna()
    ml = ps.Model(head[:calib_end].rename("head"), name=str(record.well_id))
    prec = frame["precip"].astype(float).clip(lower=0.0).rename("prec")
    evap = _evaporation(frame, roles, getattr(record, "lat", None), feature_config)
    if evap is None:
        _add(ps, ml, ps.StressModel, stress=prec, rfunc=ps.Gamma(), name="recharge", settings="prec")
    elif roles.temp:
        _add(ps, ml, ps.RechargeModel, prec=prec, evap=evap.clip(lower=0.0).rename("evap"), rfunc=ps.Gamma(),
             name="recharge", recharge=ps.rch.FlexModel(snow=True), temp=frame["temp"].astype(float).rename("temp"))
    else:
        _add(ps, ml, ps.RechargeModel, prec=prec, evap=evap.clip(lower=0.0).rename("evap"), rfunc=ps.Gamma(),
             name="recharge", recharge=ps.rch.Linear())
    if roles.river:
        river = frame["river"].astype(float)
        river = (river - river[:calib_end].mean()).rename("river")  # stages far above 0 trade off with the constant
        _add(ps, ml, ps.StressModel, stress=river, rfunc=ps.Exponential(), name="river", settings="waterlevel")
    if roles.pumping and float(frame["pumping"].abs().sum()) > 0:
        _add(ps, ml, ps.StressModel, stress=frame["pumping"].astype(float).rename("pumping"), rfunc=ps.Hantush(),
             name="pumping", settings="well", up=False)
    return ml


def fit_well(record, roles, boundaries, feature_config, lookback=0):
    """Calibrate the baseline of one well on its training and validation parts (``boundaries``: the LSTM's
    ``split_dates``) and simulate its whole record after the first ``lookback`` days (the LSTM's warm-up, so that
    both are scored on the same days). Returns (simulated levels, the contribution of each stress model: a
    DataFrame with a column per stress, recharge, river, pumping), both indexed by date; WellInputError when
    Pastas cannot fit the well."""
    ps = require_pastas()
    calib_end = pd.Timestamp(boundaries["test_start"]) - pd.Timedelta(days=1)
    start = pd.Timestamp(boundaries["train_start"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ml = build_model(ps, record, roles, calib_end, feature_config)
            ml.solve(tmin=start, tmax=calib_end, report=False)
            if roles.temp:  # a second pass from the optimum, as Pastas advises for non-linear recharge
                ml.solve(tmin=start, tmax=calib_end, report=False, initial=False)
            dates = record.frame.index[lookback:]
            sim = ml.simulate(tmin=dates[0], tmax=dates[-1])
            contributions = pd.DataFrame({name: ml.get_contribution(name, tmin=dates[0], tmax=dates[-1])
                                          for name in ml.stressmodels}).reindex(dates)
    except Exception as exc:  # Pastas' own words: a singular fit, a stress that does not cover the heads, ...
        raise WellInputError(f"the Pastas baseline could not be fitted ({type(exc).__name__}: {str(exc)[:200]})",
                             well=record.well_id, field="level", fix="check this well's drivers, or leave "
                             "`baseline` off") from None
    sim = sim.reindex(dates)
    if not np.isfinite(sim.to_numpy(float)).all():
        raise WellInputError("the Pastas baseline simulates NaN", well=record.well_id, field="level",
                             fix="check this well's drivers for gaps, or leave `baseline` off")
    return sim, contributions


def contribution_shares(contributions, split, period):
    """Each stress's share of the TFN's variation per span ('test', 'all') and period: the mean absolute
    deviation of its contribution from its mean over the calibration days (what the head would be without that
    stress varying, as expected gradients measure from a baseline), over the period's days, normalised over the
    stresses. ``split`` / ``period``: labels aligned with ``contributions``. {span: {period: {stress: share}}}."""
    split = np.asarray(split)
    period = np.asarray(period)
    values = contributions.to_numpy(float)
    calib = (split != "test") & np.isfinite(values).all(axis=1)
    if not calib.any():
        return {}
    deviation = np.abs(values - values[calib].mean(axis=0))
    out = {}
    for span, in_span in (("test", split == "test"), ("all", np.ones(len(split), bool))):
        per = {}
        for p in pd.unique(period[in_span]):
            rows = in_span & (period == p) & np.isfinite(deviation).all(axis=1)
            total = deviation[rows].mean(axis=0).sum() if rows.any() else 0.0
            if total > 0:
                per[str(p)] = {name: round(float(v / total), 6) for name, v in
                               zip(contributions.columns, deviation[rows].mean(axis=0))}
        out[span] = per
    return out
