"""A physically based synthetic aquifer of a seasonally frozen plain (Songnen Plain, NE China).

The sample network on which training and explanation are checked: wells whose true drivers are known because
they come from counterfactual runs of the simulator that made the levels.

Weather (one regional weather, small per-well perturbations; :func:`regional_weather`)
    Air temperature (degC): a smooth climatology through Songnen monthly normals (January about -18, July
    about 23, annual mean about 4 at 46 N, colder to the north) plus year-to-year and day-to-day (AR(1))
    anomalies. Precipitation (mm/day): wet days drawn per month (few in winter, many in July), gamma amounts
    scaled to monthly normals (about 450 mm/year, two thirds of it June-August), wet and dry years.
    Potential evaporation (mm/day): Hargreaves (extraterrestrial radiation from latitude and day of year,
    temperature, diurnal range), lower on wet days, times a cloudiness and wind factor of its own that
    temperature does not explain (:func:`_radiation_factor`: weather systems of a few days, spells of weeks,
    year to year, cloudier around wet days; about 25 % day to day, 10 % on monthly means) so that
    potential evaporation and temperature are separable drivers; about 800-1000 mm/year. River stage (m a.s.l.): three
    gauges (Nen, Songhua, Second Songhua) with low ice-covered winter stage, a spring freshet at break-up, a
    summer flood season driven by basin rainfall, and wet/dry years. Pumping (m3/day): irrigation wells pump
    roughly May-August, not on rainy days, with a multi-year rise of the irrigated area; other wells have a
    small village supply (never constant, with a negligible effect on the level).

Per well, daily, fluxes in mm of water per day (the water table ``h`` in m a.s.l.; ``Sy`` specific yield):
    snow      precipitation falls as snow when T <= 0 degC; degree-day melt ``ddf * max(T, 0)``.
    frost     freezing degree-days FDD (the frost index) and, once it thaws, thawing degree-days TDD; frost
              depth ``z_f = frost_a * sqrt(FDD)`` (Stefan); thawed fraction ``sqrt(TDD / (thaw_fac * FDD))``
              (the relation of :mod:`.periods`); frozen thickness ``z_f * (1 - thawed fraction)``; a day
              below 0 degC first refreezes the thawed top. Ice-rich clayey soils thaw slowly (``thaw_fac``
              0.5-0.65: the deepest ice lasts into June-July), sandy ones fast (0.22-0.30).
    frozen    infiltration and every evaporation are cut by ``exp(-thickness / infil_k)``; blocked
              rain and melt water runs off.
    freezing  as the front deepens, water moves up from the water table into the frozen layer:
              ``1000 * frost_up * d(z_f) * exp(-max(depth - z_f, 0) / cap_len)`` (the level falls).
    thawing   the ice drains back as the layer thaws, mostly late, when the thinning layer lets it through
              (returned share = thawed fraction cubed; the level rises); a share ``thaw_gw`` reaches the
              water table, the rest stays in the soil and evaporates (the spring "return of moisture").
    soil      a linear soil store S: evaporation ``PET * S / soil_max``, percolation ``perc_k * S``; a
              vadose store with time constant ``tau_vad`` (days) turns percolation into recharge.
    water     evaporation ``min(gw_evap * PET, evap_cap) * (1 - depth / ext_depth)`` (zero below the
    table     extinction depth; ``evap_cap`` is the capillary limit of a silty-clay soil, so a water table at
              2-3 m evaporates 1-2 mm/day whatever PET is); river exchange ``1000 Sy river_cond (h - stage)``
              (negative: the river feeds the aquifer); drainage ``1000 Sy (h - base_m) / tau_base`` above
              the drainage base (ditches, depressions) and inflow ``1000 Sy (base_m - h) / tau_in`` below it
              (slow upward leakage in discharge zones); pumping ``1000 Q / pump_area`` (Q in m3/day); seepage
              where the water table reaches the surface.
    ``1000 Sy dh = recharge + thaw return to the water table - frost uptake - evaporation - river exchange
    - drainage - pumping - seepage``

Every flux and store is returned by :func:`simulate_well` with ``return_fluxes=True``: the change of storage
(snow + soil + vadose + ice + ``1000 Sy h``) equals precipitation minus the outflows (``OUTFLOWS``) to
numerical precision. Each run starts with a spin-up that repeats the first year of its own forcing, so the level
is a function of the forcing alone (memory: weeks for river wells, a year for the others).

Three dynamics types, by parameters (a third of the wells each; ``TYPE_PARAMS``):
    ``infiltration-evaporation``  saline-alkaline lowlands (Durbert, Anda, Zhenlai, ...): water table at 2-3 m
        fed slowly from below, clayey soil that draws much ice up in winter, low recharge, capillary-limited
        evaporation. The freeze-thaw cycle drives the level all year: it falls by most of a metre while the
        ground freezes, rises when the ice drains back, and the late thaw of the deepest ice and the spring
        evaporation loss of the thawed top soil still shape the early summer. Dominant driver: ``temp`` in
        every period (PET varies the level little because the evaporation is capillary-limited).
    ``infiltration-runoff``  floodplains of the Nen, Songhua and Second Songhua, 1-4 km from the bank: the level
        follows the river within one to three weeks. Dominant driver: ``river``.
    ``extraction``  well-irrigation districts (Daqing, Zhaodong, Qian'an, ...): deep water table (9-13 m),
        about 2 m of seasonal drawdown from May-August irrigation and a decline of about 0.15 m/year as
        the irrigated area grows. Dominant driver: ``pumping``.

Truth: for each well the periods of :mod:`.periods` (default :class:`.periods.PeriodConfig`) from its own
temperature; each driver in turn is replaced by its long-term mean over the whole series and the level is
simulated again; the effect of a driver in a period is the mean absolute level change (m) over that period's
days within the well's record (first to last reading); the driver with the largest effect dominates.
"""
import math
from dataclasses import dataclass, field, fields
from typing import Optional

import numpy as np
import pandas as pd

from . import periods as _periods
from ..errors import Canceled, InputError
from ..vocabulary import DRIVERS, PERIODS, TYPES

PERIOD_FIELDS = {"freezing": "true_frz", "thawing": "true_thw", "unfrozen": "true_unf"}
SPINUP_YEARS = 3

# Songnen Plain monthly normals near 46 N (Harbin, Daqing, Qiqihar, Songyuan, 1991-2020, rounded)
_T_NORMALS = np.array([-18.3, -13.7, -4.2, 6.8, 15.1, 20.8, 23.0, 21.2, 14.9, 6.0, -5.0, -15.0])
_P_NORMALS = np.array([3.0, 4.0, 9.0, 18.0, 38.0, 78.0, 130.0, 100.0, 42.0, 18.0, 7.0, 4.0])
_P_WETDAY = np.array([0.10, 0.10, 0.13, 0.17, 0.25, 0.35, 0.45, 0.40, 0.28, 0.18, 0.12, 0.10])
_DTR = np.array([11.0, 12.0, 13.0, 14.0, 13.0, 11.0, 9.5, 9.5, 11.5, 12.5, 11.5, 10.5])  # diurnal range degC
_MID = np.array([15.5, 45.0, 74.5, 105.0, 135.5, 166.0, 196.5, 227.5, 258.0, 288.5, 319.0, 349.5])

# rivers as (lon, lat, mean stage m a.s.l.) along their course, and their gauges
RIVERS = {
    "Nen": [(124.88, 48.45, 162.0), (124.50, 47.80, 152.0), (123.95, 47.30, 144.0), (123.62, 46.85, 138.0),
            (123.45, 46.40, 135.0), (123.80, 45.90, 132.0), (124.30, 45.52, 130.0), (124.95, 45.42, 128.0)],
    "Second Songhua": [(126.05, 44.05, 150.0), (125.60, 44.60, 141.0), (125.15, 44.98, 135.0),
                       (124.82, 45.15, 133.0), (124.95, 45.42, 128.0)],
    "Songhua": [(124.95, 45.42, 128.0), (125.55, 45.55, 124.0), (126.20, 45.70, 118.0),
                (126.63, 45.78, 116.0), (127.00, 45.90, 114.0)],
}
# irrigation districts pumping groundwater, and saline-alkaline lowlands with a shallow water table
_EXTRACTION_SITES = [
    ("Daqing", 125.03, 46.58, 146.0), ("Mingshui", 125.91, 47.17, 235.0), ("Qinggang", 126.11, 46.69, 200.0),
    ("Wangkui", 126.48, 46.83, 190.0), ("Zhaodong", 125.98, 46.07, 150.0), ("Lanxi", 126.29, 46.25, 160.0),
    ("Nong'an", 125.18, 44.43, 190.0), ("Qian'an", 124.02, 44.95, 145.0), ("Baicheng", 122.84, 45.62, 155.0),
]
_EVAPORATION_SITES = [
    ("Durbert", 124.44, 46.87, 144.0), ("Lindian", 124.87, 47.18, 150.0), ("Anda", 125.34, 46.42, 148.0),
    ("Zhaozhou", 125.27, 45.70, 140.0), ("Zhenlai", 123.20, 45.85, 138.0), ("Tongyu", 123.09, 44.80, 150.0),
    ("Changling", 123.98, 44.28, 160.0), ("Qianguo", 124.60, 45.25, 136.0), ("Lamadian", 124.85, 46.75, 145.0),
]


@dataclass
class SampleNetwork:
    """The sample network: wells (with the truth), observed levels, complete daily forcing, the truth table.

    wells: ``well_id``, ``x``, ``y`` (lon/lat), ``site``, ``river_nm``, ``true_type``, ``true_frz``,
        ``true_thw``, ``true_unf``, ``depth_m`` (mean depth to the water table), ``reading``, ``n_readings`` and the
        simulator parameters (:class:`AquiferParams`).
    levels: ``well_id``, ``date``, ``level`` (m a.s.l.), observed days only (noise, gaps, weekly readings).
    forcing: ``well_id``, ``date``, ``precip`` (mm/day), ``temp`` (degC), ``pet`` (mm/day), ``river`` (m a.s.l.),
        ``pumping`` (m3/day); every day of the span for every well.
    truth: ``well_id``, ``period``, ``driver``, ``effect`` (m, mean absolute level change when the driver is
        replaced by its long-term mean), ``dominant``.
    """

    wells: pd.DataFrame
    levels: pd.DataFrame
    forcing: pd.DataFrame
    truth: pd.DataFrame
    crs: str = "EPSG:4326"
    simulated: Optional[pd.DataFrame] = field(default=None, repr=False)  # well_id, date, level (no noise)


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


# --------------------------------------------------------------------------------------------------- weather
def _annual_curve(monthly, doy):
    """A smooth periodic curve through 12 monthly values (3 Fourier harmonics), at day of year ``doy``."""
    w = 2 * np.pi / 365.25
    cols = [np.ones_like(_MID)]
    for k in (1, 2, 3):
        cols += [np.cos(k * w * _MID), np.sin(k * w * _MID)]
    coef = np.linalg.lstsq(np.column_stack(cols), monthly, rcond=None)[0]
    d = np.asarray(doy, float)
    out = np.full(d.shape, coef[0])
    for k in (1, 2, 3):
        out += coef[2 * k - 1] * np.cos(k * w * d) + coef[2 * k] * np.sin(k * w * d)
    return out


def _ar1(rng, n, shape, phi, sd):
    """AR(1) noise with stationary standard deviation ``sd`` (array over time, or scalar)."""
    e = rng.standard_normal((n,) + tuple(shape))
    sd = np.broadcast_to(np.asarray(sd, float).reshape((-1,) + (1,) * len(shape)) if np.ndim(sd) else sd,
                         (n,) + tuple(shape))
    out = np.empty_like(e)
    out[0] = e[0]
    s = np.sqrt(1 - phi * phi)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + s * e[i]
    return out * sd


def extraterrestrial_radiation(lat_deg, doy):
    """Extraterrestrial radiation (MJ/m2/day), FAO-56 eq. 21; broadcasts ``lat_deg`` against ``doy``."""
    lat = np.deg2rad(lat_deg)
    dr = 1 + 0.033 * np.cos(2 * np.pi * doy / 365.0)
    dec = 0.409 * np.sin(2 * np.pi * doy / 365.0 - 1.39)
    ws = np.arccos(np.clip(-np.tan(lat) * np.tan(dec), -1, 1))
    return 24 * 60 / np.pi * 0.0820 * dr * (ws * np.sin(lat) * np.sin(dec) + np.cos(lat) * np.cos(dec) * np.sin(ws))


def hargreaves_pet(temp, lat_deg, doy, dtr):
    """Hargreaves potential evaporation (mm/day) from mean temperature and diurnal range (degC)."""
    ra = 0.408 * extraterrestrial_radiation(lat_deg, doy)
    return 0.0023 * ra * np.clip(temp + 17.8, 0, None) * np.sqrt(np.clip(dtr, 1, None))


def regional_weather(dates, rng):
    """Regional daily weather at 46 N: ``temp`` (degC), ``precip`` (mm/day), ``wet`` (bool), ``basin``
    (smoothed basin rainfall that drives the rivers, mm/day), ``river`` (stage anomaly per gauge, m)."""
    n = len(dates)
    doy = dates.dayofyear.to_numpy()
    month = dates.month.to_numpy() - 1
    years = dates.year.to_numpy()
    uy, yi = np.unique(years, return_inverse=True)

    clim = _annual_curve(_T_NORMALS, doy)
    winter = 0.5 * (1 - np.cos(2 * np.pi * (doy - 15) / 365.25))  # 0 in mid-January, 1 in mid-July
    sd = 4.0 - 2.2 * winter                                         # day-to-day spread, larger in winter
    temp = clim + rng.normal(0, 0.8, len(uy))[yi] + _ar1(rng, n, (), 0.75, sd)

    wet = rng.random(n) < _P_WETDAY[month]
    days_in_month = dates.days_in_month.to_numpy()
    mean_amount = _P_NORMALS[month] / (_P_WETDAY[month] * days_in_month)
    shape = 0.75
    amount = rng.gamma(shape, 1.0 / shape, n) * mean_amount
    year_factor = np.exp(rng.normal(-0.02, 0.2, len(uy)))[yi]
    precip = np.where(wet, amount * year_factor, 0.0)

    # basin rainfall: half regional, half from elsewhere in the (much larger) upstream basins
    other = np.where(rng.random(n) < _P_WETDAY[month], rng.gamma(shape, 1.0 / shape, n) * mean_amount, 0.0)
    basin_raw = 0.5 * precip + 0.5 * other * year_factor
    k = np.arange(120.0)
    uh = k ** 2 * np.exp(-k / 10.0)           # gamma unit hydrograph, peak after 20 days
    uh /= uh.sum()
    # the days before the start: the end of the first year stands in for them
    lead = basin_raw[max(0, min(365, n) - len(uh)):min(365, n)]
    basin = np.convolve(np.concatenate((lead, basin_raw)), uh)[len(lead):len(lead) + n]
    return {"temp": temp, "precip": precip, "wet": wet, "basin": basin, "doy": doy, "month": month,
            "year_index": yi, "years": uy, "year_factor": year_factor}


def _river_anomalies(dates, weather, rng, gauges):
    """Stage anomaly (m) of each gauge: low ice-covered winter, spring freshet, summer floods from basin rain."""
    n = len(dates)
    doy = weather["doy"].astype(float)
    freshet = np.exp(-0.5 * ((doy - 110) / 12.0) ** 2)              # ice break-up and snowmelt, April
    winter_low = 0.5 * (1 + np.cos(2 * np.pi * (doy - 30) / 365.25))  # lowest in January-February
    basin = weather["basin"]
    basin_anom = basin - basin.mean()
    out = {}
    for g in gauges:
        amp = rng.uniform(0.6, 0.8)
        year_off = rng.normal(0, 0.25, len(weather["years"]))[weather["year_index"]]
        anom = (-0.9 * winter_low + 0.6 * freshet + 0.95 * basin_anom + year_off
                + _ar1(rng, n, (), 0.97, 0.12))
        out[g] = amp * (anom - anom.mean())
    return out


def _irrigation_shape(doy):
    """0 outside the irrigation season; ramps up from 1 May, full mid-May to mid-August, off by early
    September."""
    up = np.clip((doy - 121) / 15.0, 0, 1)
    down = np.clip((250 - doy) / 20.0, 0, 1)
    return up * down


# ------------------------------------------------------------------------------------------------ simulator
_FLUXES = ("precip", "rain", "snowfall", "melt", "infiltration", "runoff", "et_soil", "percolation", "recharge",
           "frost_uptake", "thaw_return", "evap_gw", "river_flux", "drainage", "pumping_flux", "seepage", "thaw_to_gw")
_STORES = ("snow", "soil", "vadose", "ice", "groundwater")
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
    rec = {k: np.asarray(out[k], float).reshape(nd, n) for k in _FLUXES + _STORES} if record else None
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
    names = ("level",) + (_FLUXES + _STORES if record else ())
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


# --------------------------------------------------------------------------------------------- the network
def _along(points, s):
    """Position at fraction ``s`` (0..1) of a polyline of (lon, lat, stage)."""
    pts = np.asarray(points, float)
    seg = np.hypot(np.diff(pts[:, 0]), np.diff(pts[:, 1]))
    cum = np.concatenate(([0.0], np.cumsum(seg))) / seg.sum()
    return np.array([np.interp(s, cum, pts[:, j]) for j in range(3)])


def _river_points():
    """Every river densified to points (lon, lat, stage), with the river name of each point."""
    pts, names = [], []
    for name, line in RIVERS.items():
        p = np.array([_along(line, s) for s in np.linspace(0, 1, 201)])
        pts.append(p)
        names += [name] * len(p)
    return np.concatenate(pts), np.array(names)


def _nearest_river(lon, lat, _cache={}):
    if "pts" not in _cache:
        _cache["pts"], _cache["names"] = _river_points()
    pts, names = _cache["pts"], _cache["names"]
    d = np.hypot((pts[:, 0] - lon) * np.cos(np.deg2rad(lat)), pts[:, 1] - lat)
    k = int(np.argmin(d))
    return str(names[k]), float(pts[k, 2]), float(d[k] * 111.0)  # river, reach stage, distance km


def _type_counts(n):
    base = n // 3
    counts = [base, base, base]
    for k in range(n - 3 * base):
        counts[k] += 1
    return dict(zip(TYPES, counts))


COMMON_PARAMS = {"ddf": (2.5, 3.5), "frost_a": (0.035, 0.045), "thaw_fac": (0.22, 0.30)}
# parameter ranges per dynamics type (uniform draws); ground and base are relative to the site or river reach
TYPE_PARAMS = {
    "infiltration-evaporation": {  # saline-alkaline lowland: shallow water table fed slowly from below, clayey soil
        "depth_base": (1.3, 1.9), "sy": (0.05, 0.07), "tau_base": (20, 40), "tau_in": (150, 300),
        "river_cond": (0.0, 0.0), "pump_area": (5e7, 5e7), "frost_up": (0.12, 0.16), "cap_len": (2.5, 3.5),
        "ext_depth": (3.5, 4.2), "gw_evap": (1.0, 1.0), "evap_cap": (1.5, 2.5), "soil_max": (100, 150),
        "perc_k": (0.002, 0.005), "tau_vad": (5, 15), "thaw_gw": (0.6, 0.8), "infil_k": (0.10, 0.20),
        "thaw_fac": (0.5, 0.65),
    },
    "infiltration-runoff": {  # floodplain terrace 1-4 km from the river
        "depth_base": (-0.3, 0.3), "sy": (0.08, 0.12), "tau_base": (250, 400), "river_cond": (1 / 18, 1 / 8),
        "pump_area": (5e7, 5e7), "frost_up": (0.04, 0.06), "cap_len": (0.8, 1.2), "ext_depth": (3.0, 3.0),
        "gw_evap": (0.6, 0.6), "soil_max": (80, 120), "perc_k": (0.02, 0.04), "tau_vad": (15, 30),
        "thaw_gw": (0.6, 0.8), "infil_k": (0.2, 0.4),
    },
    "extraction": {  # well-irrigation district on a sandy aquifer with a deep water table
        "depth_base": (8.0, 11.0), "sy": (0.10, 0.15), "tau_base": (120, 200), "river_cond": (0.0, 0.0),
        "pump_area": (0.8e6, 1.4e6), "frost_up": (0.05, 0.05), "cap_len": (1.0, 1.0), "ext_depth": (3.0, 3.0),
        "gw_evap": (0.6, 0.6), "soil_max": (80, 120), "perc_k": (0.01, 0.02), "tau_vad": (20, 40),
        "thaw_gw": (0.6, 0.8), "infil_k": (0.5, 0.8),
    },
}


def _design_wells(n, rng):
    """Places the wells and draws their parameters. Returns a list of dicts."""
    counts = _type_counts(n)
    wells = []
    for kind in TYPES:
        order = rng.permutation(9)   # sites in a random order, each used once before any is used again
        for j in range(counts[kind]):
            if kind == "infiltration-runoff":
                names = list(RIVERS)
                river = names[j % len(names)]
                lon, lat, stage = _along(RIVERS[river], rng.uniform(0.05, 0.95))
                off = rng.uniform(0.01, 0.04) * rng.choice([-1, 1])   # 1-4 km from the bank
                lon, lat = lon + off * 0.7, lat - off * 0.7
                site = f"{river} floodplain"
                ground = stage + rng.uniform(3.0, 4.5)
                base = stage
            else:
                sites = _EXTRACTION_SITES if kind == "extraction" else _EVAPORATION_SITES
                site, lon0, lat0, ground = sites[order[j % len(order)]]
                lon, lat = lon0 + rng.uniform(-0.12, 0.12), lat0 + rng.uniform(-0.08, 0.08)
                ground = ground + rng.uniform(-3, 3)
                base = ground
            ranges = {**COMMON_PARAMS, **TYPE_PARAMS[kind]}
            r = {k: rng.uniform(lo, hi) for k, (lo, hi) in ranges.items()}
            r.setdefault("tau_in", r["tau_base"])
            r["base_m"] = base - r.pop("depth_base")
            # rounded as the wells table stores them, so that the table reproduces the levels exactly
            par = AquiferParams(ground_m=round(float(ground), 3), **{k: float(f"{v:.6g}") for k, v in r.items()})
            river, reach, dist = _nearest_river(lon, lat)
            wells.append({"kind": kind, "site": site, "x": round(float(lon), 5), "y": round(float(lat), 5),
                          "river": river, "reach": reach, "dist_km": dist, "params": par})
    # numbered from north to south, as a network would be
    return sorted(wells, key=lambda w: -w["y"])


def _radiation_factor(weather, rng, m):
    """Cloudiness and wind: the part of potential evaporation that temperature does not explain.

    A regional log-anomaly of three parts (weather systems of a few days: AR(1) 0.7, sd ``PET_SD_DAYS``; wet
    and dry spells of weeks: AR(1) 0.97, sd ``PET_SD_SPELLS``; year to year, sd ``PET_SD_YEARS``), cloudier on
    and around wet days, plus a little local noise; scaled to a mean of 1 so the annual total stays that of
    Hargreaves. Returns a (days, wells) factor.
    """
    n = len(weather["doy"])
    wet = weather["wet"].astype(float)
    around = np.minimum(np.convolve(wet, [0.5, 1.0, 0.5], mode="same"), 1.0)
    years = len(weather["years"])
    log_f = (_ar1(rng, n, (), 0.7, PET_SD_DAYS) + _ar1(rng, n, (), 0.97, PET_SD_SPELLS)
             + rng.normal(0, PET_SD_YEARS, years)[weather["year_index"]] - 0.15 * around)
    f = np.exp(log_f[:, None] + _ar1(rng, n, (m,), 0.5, 0.05))
    return f / f.mean()


PET_SD_DAYS, PET_SD_SPELLS, PET_SD_YEARS = 0.18, 0.15, 0.06


def _well_forcing(dates, weather, gauges, wells, rng):
    """Per-well daily forcing (dict of (days, wells) arrays) from the regional weather."""
    n, m = len(dates), len(wells)
    doy = weather["doy"].astype(float)
    lat = np.array([w["y"] for w in wells])
    lon = np.array([w["x"] for w in wells])
    # temperature: colder to the north (0.8 degC per degree of latitude), a little local noise
    temp = (weather["temp"][:, None] - 0.8 * (lat - 46.0)[None, :] + rng.normal(0, 0.3, m)[None, :]
            + _ar1(rng, n, (m,), 0.7, 0.4))
    # precipitation: the regional wet days with local amounts, wetter to the east
    local = np.exp(rng.normal(-0.06, 0.35, (n, m)))
    wetness = (1.0 + 0.06 * (lon - 125.0) + rng.normal(0, 0.04, m))[None, :]
    precip = weather["precip"][:, None] * local * wetness
    wet = precip > 0.5
    dtr = _annual_curve(_DTR, doy)[:, None] - 3.0 * wet + _ar1(rng, n, (m,), 0.5, 1.0)
    pet = (1.15 * hargreaves_pet(temp, lat[None, :], doy[:, None], dtr) * np.where(wet, 0.75, 1.0)
           * _radiation_factor(weather, rng, m))
    river = np.column_stack([w["reach"] + gauges[w["river"]] * (1.0 if w["kind"] == "infiltration-runoff"
                                                                   else rng.uniform(0.7, 1.0))
                             for w in wells])
    # pumping (m3/day)
    yi = weather["year_index"]
    irr = _irrigation_shape(doy)
    years = len(weather["years"])
    pumping = np.empty((n, m))
    for j, w in enumerate(wells):
        if w["kind"] == "extraction":
            peak = rng.uniform(3000, 4000)
            trend = 1.0 + rng.uniform(0.07, 0.11) * np.arange(years) + rng.normal(0, 0.04, years)
            season = irr * trend[yi] * np.exp(rng.normal(0, 0.12, n))
            season = np.where(precip[:, j] > 10.0, 0.25 * season, season)   # no irrigation on a rainy day
            # town and industry supply all year, growing like the irrigated area
            supply = 0.15 * trend[yi] * (1 + 0.1 * np.sin(2 * np.pi * doy / 365.25))
            pumping[:, j] = peak * (season + supply)
        else:  # a village supply well nearby: a few tens of m3/day
            base = rng.uniform(20, 80)
            pumping[:, j] = base * (1 + 0.3 * irr) * (1 + 0.01 * np.arange(years))[yi] * np.exp(
                rng.normal(0, 0.1, n))
    return {"precip": precip, "temp": temp, "pet": pet, "river": river, "pumping": pumping}


def _observe(dates, level, rng, years):
    """Observed days and values of one well: record length, reading frequency, gaps, noise.

    Records last at least six years (60 % of a shorter span); gaps of two weeks to four months (together at
    most a quarter of the record) never touch its first or last month; noise is 1-2 cm.
    """
    n = len(dates)
    min_len = min(int(6 * 365.25) + 30, int(0.6 * n))
    length = n if rng.random() < 0.35 else int(rng.integers(min_len, n + 1))
    start = int(rng.integers(0, n - length + 1))
    mask = np.zeros(n, bool)
    mask[start:start + length] = True
    u = rng.random()
    if u < 0.5:
        reading = "daily"
    elif u < 0.75:
        reading = "5-day"        # the 1st, 6th, 11th, 16th, 21st and 26th, as manual networks in China read
        mask &= np.isin(dates.day.to_numpy(), (1, 6, 11, 16, 21, 26))
    else:
        reading = "weekly"
        mask &= (np.arange(n) - start) % 7 == 0
    budget = int(0.25 * length)
    for _ in range(int(rng.integers(1, 3 + max(1, years // 4)))):
        g = int(rng.integers(14, 121))
        lo, hi = start + 30, start + length - 30 - g
        if g > budget or hi <= lo:
            break
        g0 = int(rng.integers(lo, hi))
        mask[g0:g0 + g] = False
        budget -= g
    noise = rng.uniform(0.01, 0.02)
    obs = level[mask] + rng.normal(0, noise, mask.sum())
    return mask, np.round(obs, 3), reading


def _effects(levels, cf_levels, labels, span):
    """Mean absolute level change per period over the record ``span`` (first reading, last reading + 1)."""
    s0, s1 = span
    out = {}
    for period in PERIODS:
        m = np.zeros(len(labels), bool)
        m[s0:s1] = labels[s0:s1] == period
        out[period] = {d: (float(np.mean(np.abs(levels[m] - cf[m]))) if m.any() else np.nan)
                       for d, cf in cf_levels.items()}
    return out


def create_network(wells: int = 24, years: int = 12, seed: int = 42, start: str = "2008-01-01",
                   progress=None, is_canceled=None) -> SampleNetwork:
    """Simulate a sample network of ``wells`` monitoring wells over ``years`` years, deterministic per ``seed``.

    A third of the wells are of each dynamics type. See the module docstring for the physics and the truth.
    """
    wells, years, seed = int(wells), int(years), int(seed)
    if wells < 3:
        raise InputError(f"at least 3 wells are needed (one of each dynamics type), not {wells}", field="WELLS",
                         fix="ask for 3 wells or more")
    if years < 3:
        raise InputError(f"at least 3 years are needed, not {years}", field="YEARS", fix="ask for 3 years or more")

    def _tick(frac, msg):
        if is_canceled is not None and is_canceled():
            raise Canceled("creating the sample network was cancelled")
        if progress is not None:
            progress(frac, msg)

    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start).normalize()
    dates = pd.date_range(t0, t0 + pd.DateOffset(years=years) - pd.Timedelta(days=1), freq="D")
    n = len(dates)
    _tick(0.0, "weather")
    weather = regional_weather(dates, rng)
    gauges = _river_anomalies(dates, weather, rng, list(RIVERS))
    design = _design_wells(wells, rng)
    m = len(design)
    forc = {d: np.round(a, 4) for d, a in _well_forcing(dates, weather, gauges, design, rng).items()}
    params = [w["params"] for w in design]

    ids = [f"SN{j + 1:02d}" if m < 100 else f"SN{j + 1:03d}" for j in range(m)]
    level = np.empty((n, m))
    level_rows, well_rows, truth_rows = [], [], []
    chunk = 40   # wells simulated together (with their five counterfactuals): bounded memory, regular progress
    for c0 in range(0, m, chunk):
        _tick(0.05 + 0.9 * c0 / m, f"simulating wells {c0 + 1}-{min(m, c0 + chunk)} of {m} and their counterfactuals")
        cols = slice(c0, min(m, c0 + chunk))
        level[:, cols], cf_levels = counterfactual_runs({d: forc[d][:, cols] for d in DRIVERS}, params[cols])
        for j in range(cols.start, cols.stop):
            w = design[j]
            mask, obs, reading = _observe(dates, level[:, j], rng, years)
            seen = np.flatnonzero(mask)
            span = (int(seen[0]), int(seen[-1]) + 1)      # the record: first to last reading
            level_rows.append(pd.DataFrame({"well_id": ids[j], "date": dates[mask], "level": obs}))
            cal = _periods.freeze_thaw_calendar(pd.Series(forc["temp"][:, j], index=dates), _periods.PeriodConfig())
            labels = _periods.label_days(dates, cal).to_numpy()
            eff = _effects(level[:, j], {d: cf_levels[d][:, j - c0] for d in DRIVERS}, labels, span)
            dom = {}
            for period in PERIODS:
                valid = {d: v for d, v in eff[period].items() if np.isfinite(v)}
                dom[period] = max(valid, key=valid.get) if valid else None
                for d in DRIVERS:
                    truth_rows.append((ids[j], period, d, eff[period][d], d == dom[period]))
            row = {"well_id": ids[j], "x": w["x"], "y": w["y"], "site": w["site"], "river_nm": w["river"],
                   "true_type": w["kind"],
                   "true_frz": dom["freezing"], "true_thw": dom["thawing"], "true_unf": dom["unfrozen"],
                   "depth_m": round(float(np.mean(w["params"].ground_m - level[span[0]:span[1], j])), 2),
                   "reading": reading, "n_readings": int(mask.sum())}
            row.update(vars(w["params"]))
            well_rows.append(row)
    _tick(0.95, "tables")

    wells_df = pd.DataFrame(well_rows)
    levels_df = pd.concat(level_rows, ignore_index=True)
    levels_df["date"] = pd.to_datetime(levels_df["date"])
    forcing_df = pd.DataFrame({
        "well_id": np.repeat(np.array(ids, dtype=object), n),
        "date": np.tile(dates.values, m),
        **{d: forc[d].T.reshape(-1) for d in DRIVERS},
    })
    truth_df = pd.DataFrame(truth_rows, columns=["well_id", "period", "driver", "effect", "dominant"])
    simulated = pd.DataFrame({"well_id": np.repeat(np.array(ids, dtype=object), n),
                              "date": np.tile(dates.values, m), "level": level.T.reshape(-1)})
    _tick(1.0, "done")
    return SampleNetwork(wells=wells_df, levels=levels_df, forcing=forcing_df, truth=truth_df,
                         simulated=simulated)
