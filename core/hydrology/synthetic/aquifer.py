"""The simulator of the sample network: one column of snow, frozen soil, soil store, vadose zone and aquifer
per well, daily. The fluxes and their equations: the package docstring."""
import math
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from ...errors import InputError
from ...vocabulary import DRIVERS

SPINUP_YEARS = 3


@dataclass
class AquiferParams:
    """Parameters of one well's column of soil and aquifer (units in the module docstring)."""

    ground_m: float = 145.0     # ground surface, m a.s.l.
    base_m: float = 142.5       # regional drainage base, m a.s.l.
    sy: float = 0.08            # specific yield, -
    tau_base: float = 120.0     # drainage time constant when the water table is above base_m, days
    tau_in: float = 120.0       # inflow time constant when it is below base_m (slow upward leakage), days
    river_cond: float = 0.0     # river connection, 1/day (1 / time constant; 0: no connection)
    pump_area: float = 5e7      # area over which the pumping spreads, m2
    frost_up: float = 0.08      # water drawn up per m of frost advance, m3/m3
    cap_len: float = 1.5        # capillary decay length below the frost front, m
    ext_depth: float = 3.5      # extinction depth of water-table evaporation, m
    gw_evap: float = 0.8        # share of PET that the water table can evaporate at the surface, -
    evap_cap: float = 100.0     # capillary limit of evaporation from the water table at the surface, mm/day
    soil_max: float = 100.0     # soil store scale, mm
    perc_k: float = 0.03        # percolation rate of the soil store, 1/day
    tau_vad: float = 10.0       # vadose-zone delay, days
    ddf: float = 3.0            # degree-day snowmelt factor, mm/degC/day
    frost_a: float = 0.04       # Stefan frost-depth coefficient, m/sqrt(degC day)
    thaw_fac: float = 0.35      # thawing degree-days needed per freezing degree-day, -
    infil_k: float = 0.15       # frozen thickness that cuts infiltration by 1/e, m
    thaw_gw: float = 1.0        # share of the thawed ice water that drains back to the water table, -

    @classmethod
    def names(cls):
        return [f.name for f in fields(cls)]

    @classmethod
    def from_mapping(cls, m):
        """From a dict, a pandas Series (a row of ``SampleNetwork.wells``) or an AquiferParams."""
        if isinstance(m, cls):
            return m
        get = m.get if hasattr(m, "get") else (lambda k, d=None: getattr(m, k, d))
        kw = {}
        for n in cls.names():
            v = get(n, None)
            if v is not None and not (isinstance(v, float) and np.isnan(v)):
                kw[n] = float(v)
        return cls(**kw)


_FLUXES = ("precip", "rain", "snowfall", "melt", "infiltration", "runoff", "et_soil", "percolation", "recharge",
           "frost_uptake", "thaw_return", "evap_gw", "river_flux", "drainage", "pumping_flux", "seepage", "thaw_to_gw")


STORES = ("snow", "soil", "vadose", "ice", "groundwater")


OUTFLOWS = ("runoff", "et_soil", "evap_gw", "river_flux", "drainage", "pumping_flux", "seepage")


def _param_arrays(params_list):
    names = AquiferParams.names()
    return {n: np.array([getattr(p, n) for p in params_list], float) for n in names}


class _NumpyOps:
    """Element-wise operations on rows of many wells."""
    max, min = staticmethod(np.maximum), staticmethod(np.minimum)
    exp, sqrt = staticmethod(np.exp), staticmethod(np.sqrt)


class _FloatOps:
    """The same operations on plain floats: one well runs about twenty times faster this way."""
    max, min, exp, sqrt = staticmethod(max), staticmethod(min), staticmethod(math.exp), staticmethod(math.sqrt)


def _simulate(P, T, E, R, Q, p, spinup_years=SPINUP_YEARS, record=False):
    """The daily model. P, T, E, R, Q: (days, columns); p: parameter arrays (columns,). Returns the level
    (days, columns) and, when ``record``, every flux and store per day (mm/day, mm).

    One loop body serves both a vector of wells (numpy rows) and a single well (plain floats); it is written
    with arithmetic on comparisons (``x * (t <= 0)``) instead of branches so that both work alike.
    """
    nd, n = P.shape
    first = min(365, nd)
    spin = int(spinup_years) * first
    if n == 1:
        ops = _FloatOps
        cols = [a[:, 0].tolist() for a in (P, T, E, R, Q)]
        par = {k: float(v[0]) for k, v in p.items()}
    else:
        ops = _NumpyOps
        cols = [P, T, E, R, Q]
        par = p
    out = _loop(*cols, par, ops, nd, first, spin, record)
    levels = np.asarray(out["level"], float).reshape(nd, n)
    rec = {k: np.asarray(out[k], float).reshape(nd, n) for k in _FLUXES + STORES} if record else None
    return levels, rec


def _loop(P, T, E, R, Q, p, ops, nd, first, spin, record):
    mx, mn, exp, sqrt = ops.max, ops.min, ops.exp, ops.sqrt
    tiny = 1e-12
    sy1000 = 1000.0 * p["sy"]
    zs, hb = p["ground_m"], p["base_m"]
    kb, ki, kv = 1.0 / p["tau_base"], 1.0 / p["tau_in"], 1.0 / p["tau_vad"]
    ddf, frost_a, thaw_fac, frost_up, cap_len = p["ddf"], p["frost_a"], p["thaw_fac"], p["frost_up"], p["cap_len"]
    infil_k, thaw_gw, soil_max, perc_k = p["infil_k"], p["thaw_gw"], p["soil_max"], p["perc_k"]
    gw_evap, evap_cap, ext_depth = p["gw_evap"], p["evap_cap"], p["ext_depth"]
    river_k, pump_k = sy1000 * p["river_cond"], 1000.0 / p["pump_area"]

    zero = hb * 0.0
    h = hb + zero
    soil = 0.3 * soil_max + zero
    swe = vad = ice = fdd = tdd = zf = zero
    phi = zero + 1.0
    names = ("level",) + (_FLUXES + STORES if record else ())
    out = {k: [None] * nd for k in names}
    for step in range(spin + nd):
        i = step % first if step < spin else step - spin
        p_, t_, e_, r_, q_ = P[i], T[i], E[i], R[i], Q[i]
        # snow: precipitation falls as snow at or below 0 degC; degree-day melt
        snowfall = p_ * (t_ <= 0.0)
        rain = p_ - snowfall
        swe = swe + snowfall
        melt = mn(swe, ddf * mx(t_, 0.0))
        swe = swe - melt
        # frost index: a cold day refreezes the thawed top first, then deepens the frost
        cold = t_ < 0.0
        fdd = fdd + cold * mx(-t_ - tdd, 0.0)
        tdd = cold * mx(tdd + t_, 0.0) + (t_ >= 0.0) * tdd
        tdd = tdd + t_ * ((t_ > 0.0) & (fdd > 0.0))
        zf_new = frost_a * sqrt(fdd)
        phi_new = 1.0 + (mn(1.0, sqrt(tdd / mx(thaw_fac * fdd, tiny))) - 1.0) * (fdd > 0.0)
        depth = zs - h
        # water drawn up into the advancing frost front; it drains back as the layer thaws, most of it late,
        # when the thinning layer lets melt water through: the returned share of the ice is (thawed fraction)^3
        up = 1000.0 * frost_up * (zf_new - zf) * exp(-mx(depth - zf_new, 0.0) / cap_len)
        g_old = phi * phi * phi
        frac = mn(mx((phi_new * phi_new * phi_new - g_old) / mx(1.0 - g_old, tiny), 0.0), 1.0)
        back = ice * frac
        ice = ice + up - back
        keep = 1.0 - ((fdd > 0.0) & (phi_new >= 1.0))  # 0 where the layer has just thawed out: reset
        fdd, tdd, zf_new = fdd * keep, tdd * keep, zf_new * keep
        open_ = exp(-zf_new * (1.0 - phi_new) / infil_k)   # frozen thickness cuts infiltration and evaporation
        zf, phi = zf_new, phi_new
        # infiltration and soil store; thawed ice water that does not drain down stays in the soil
        water = rain + melt
        infil = water * open_
        runoff = water - infil
        back_gw = thaw_gw * back
        soil = soil + infil + (back - back_gw)
        et = e_ * open_ * soil / soil_max
        perc = perc_k * open_ * soil
        soil = soil - et - perc
        vad = vad + perc
        rech = kv * vad
        vad = vad - rech
        # water table
        egw = mn(gw_evap * e_, evap_cap) * mn(mx(1.0 - depth / ext_depth, 0.0), 1.0) * open_
        qriv = river_k * (h - r_)
        qbase = sy1000 * (ki + (kb - ki) * (h > hb)) * (h - hb)
        qpump = pump_k * q_
        seep = sy1000 * 0.5 * mx(h - (zs - 0.05), 0.0)
        h = h + (rech + back_gw - up - egw - qriv - qbase - qpump - seep) / sy1000
        if step >= spin:
            out["level"][i] = h
            if record:
                for k, v in (("precip", p_), ("rain", rain), ("snowfall", snowfall), ("melt", melt),
                             ("infiltration", infil), ("runoff", runoff), ("et_soil", et), ("percolation", perc),
                             ("recharge", rech), ("frost_uptake", up), ("thaw_return", back),
                             ("thaw_to_gw", back_gw), ("evap_gw", egw), ("river_flux", qriv), ("drainage", qbase),
                             ("pumping_flux", qpump), ("seepage", seep), ("snow", swe), ("soil", soil),
                             ("vadose", vad), ("ice", ice), ("groundwater", sy1000 * h)):
                    out[k][i] = v
    return out


def _forcing_arrays(forcing):
    missing = [d for d in DRIVERS if d not in forcing.columns]
    if missing:
        raise InputError(f"the forcing lacks the column(s) {', '.join(missing)}", field=missing[0],
                         fix="give precip, temp, pet, river and pumping for every day")
    arrs = [pd.to_numeric(forcing[d], errors="coerce").to_numpy(float) for d in DRIVERS]
    for d, a in zip(DRIVERS, arrs):
        if not np.isfinite(a).all():
            raise InputError("the forcing has missing or non-numeric values", field=d,
                             fix="give a complete daily series")
    return arrs


def simulate_well(params, forcing_one_well: pd.DataFrame, return_fluxes: bool = False,
                  spinup_years: int = SPINUP_YEARS):
    """The deterministic daily level (m a.s.l., no noise) of one well.

    ``params``: an :class:`AquiferParams`, a dict or a row of ``SampleNetwork.wells``. ``forcing_one_well``:
    daily rows with ``date``, ``precip``, ``temp``, ``pet``, ``river``, ``pumping``. With ``return_fluxes``
    returns ``(level, fluxes)``: ``fluxes`` holds every flux (mm/day) and store (mm) per day, see ``OUTFLOWS``.
    """
    p = AquiferParams.from_mapping(params)
    f = forcing_one_well.sort_values("date") if "date" in forcing_one_well.columns else forcing_one_well
    arrs = [a[:, None] for a in _forcing_arrays(f)]
    levels, rec = _simulate(*arrs, _param_arrays([p]), spinup_years=spinup_years, record=return_fluxes)
    index = pd.DatetimeIndex(pd.to_datetime(f["date"])) if "date" in f.columns else f.index
    level = pd.Series(levels[:, 0], index=index, name="level")
    if not return_fluxes:
        return level
    return level, pd.DataFrame({k: v[:, 0] for k, v in rec.items()}, index=index)


def counterfactual_runs(forcing, params):
    """The real run and one run per driver with that driver replaced by its long-term mean (per column).

    ``forcing``: dict driver -> (days, wells) array; ``params``: list of :class:`AquiferParams`. Returns
    ``(level, {driver: level})``, arrays (days, wells). All runs go through the simulator at once.
    """
    m = len(params)
    stacks = {d: [forcing[d]] for d in DRIVERS}
    for cf in DRIVERS:
        for d in DRIVERS:
            a = forcing[d]
            stacks[d].append(np.broadcast_to(a.mean(axis=0), a.shape) if d == cf else a)
    big = {d: np.concatenate(stacks[d], axis=1) for d in DRIVERS}
    p_arr = _param_arrays(list(params) * (1 + len(DRIVERS)))
    sim, _ = _simulate(big["precip"], big["temp"], big["pet"], big["river"], big["pumping"], p_arr)
    return sim[:, :m], {d: sim[:, (k + 1) * m:(k + 2) * m] for k, d in enumerate(DRIVERS)}
