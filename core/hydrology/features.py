"""Derived inputs from the driver roles.

:func:`derive_features` turns one well's daily frame (from :mod:`.data`) into the model inputs, and says for
each input which drivers it belongs to (``feature_drivers``: feature -> {driver: weight}, weights summing to 1)
so that the explanation can add attributions back to the drivers.

Features, in the order of :func:`feature_names`:

- the raw drivers (``Roles.drivers()``), each belonging to itself;
- with precipitation and temperature, a degree-day snow model: precipitation falls as snow below
  ``snow_threshold`` and as rain otherwise; the store melts ``melt_factor * (T - melt_threshold)`` mm/day
  above ``melt_threshold`` (never more than it holds). ``snow_store`` (mm water equivalent), ``snowmelt``
  (mm/day) and ``liquid_input`` (rain + melt, mm/day) all need both drivers to exist, and no share between
  them can be read off the data, so they belong half to ``precip`` and half to ``temp`` (a convention:
  the explanation then splits their attribution evenly);
- with temperature, ``frost_index``: accumulated freezing degree-days that decay each day and are worked off
  by thaw, ``F_t = max(0, frost_decay * F_{t-1} - T_t)`` (the continuous frozen-ground index of Molnau and
  Bissell 1983 without the snow-insulation term, so it belongs to ``temp`` alone);
- with temperature (``frozen_ground``), ``frozen_thickness`` (m): the thickness of the still-frozen layer by
  the Stefan relation, as :mod:`.periods` thinks about frost. Freezing degree-days ``FDD`` accumulate from the
  winter's first frost; once it thaws, thawing degree-days ``TDD`` accumulate (a day below 0 degC first
  refreezes the thawed top); frost depth ``z_f = frost_a * sqrt(FDD)``, thawed fraction
  ``min(1, sqrt(TDD / (thaw_factor * FDD)))`` (``thaw_factor`` as in :class:`.periods.PeriodConfig`), frozen
  thickness ``z_f * (1 - thawed fraction)``; when the layer has thawed through, FDD and TDD restart from 0.
  Unlike the decaying frost index it keeps the winter's frost until the thaw has worked it off (into May-June
  on a cold winter), which is the state that blocks infiltration and evaporation and returns the ice water.
  It is a function of temperature alone, so it belongs to ``temp``;
- with temperature and no potential-evaporation role, ``pet_oudin``: Oudin et al. (2005) potential
  evaporation ``PE = Ra / (lambda rho) * (T + 5) / 100`` for ``T > -5`` degC, else 0, in mm/day, with ``Ra``
  the FAO-56 extraterrestrial radiation at the well's latitude (``default_lat`` = 45 degrees when it is
  unknown, said in the notes); it belongs to ``temp``;
- ``doy_sin``, ``doy_cos``: day of year on the unit circle; they belong to ``season``, which is not a driver
  (the explanation reports it separately);
- rolling means over ``windows`` days (30/90/180/365) of the water input (``precip_meanN`` without
  temperature, ``liquid_input_meanN`` = rain + melt with it) and of the potential evaporation
  (``pet_meanN`` or ``pet_oudin_meanN``). The net input (input minus evaporation) was the series that moved
  skill on the Swiss wells; it is deliberately split into these two families so that each rolling feature
  belongs to as few drivers as possible (the network can still form the difference);
- river stage and pumping: ``river_mean30``, ``pumping_mean30`` (``aux_window`` days), and the long memory
  of pumping, ``pumping_mean90``, ``pumping_mean180``, ``pumping_mean365`` (``pumping_windows`` days; a
  window equal to ``aux_window`` is not repeated): the recovery of the water table through the winter after
  a summer of irrigation, and the multi-year decline as the pumping grows, are responses to months and years
  of pumping that a 30-day mean does not carry. All belong to ``pumping``.

Model folders saved before ``frozen_ground`` and ``pumping_windows`` existed store a feature configuration
that spells out every older parameter and lacks these two; :meth:`FeatureConfig.from_dict` reads such a
configuration with both off, so the old models get the inputs they were trained on.

Other drivers are taken as they are. Recursions start from zero on the first day and rolling means use
expanding windows until they are full, so no value is NaN.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np
import pandas as pd

from ..config import Settings
from ..errors import InputError
from ..inputs.roles import Roles
from ..vocabulary import SEASON

GSC = 0.0820  # solar constant, MJ m-2 min-1 (FAO-56)
LAMBDA = 2.45  # latent heat of vaporisation, MJ kg-1
RHO = 1000.0  # density of water, kg m-3


@dataclass(frozen=True)
class FeatureConfig(Settings):
    """Parameters of the derived features; saved with the model (:meth:`to_dict` / :meth:`from_dict`)."""

    snow_threshold: float = 0.0  # degC: precipitation falls as snow below it
    melt_threshold: float = 0.0  # degC: the snow store melts above it
    melt_factor: float = 3.0  # mm / degC / day
    frost_decay: float = 0.97  # per day, of the frost index
    windows: Tuple[int, ...] = (30, 90, 180, 365)  # days, rolling means of water input and evaporation
    aux_window: int = 30  # days, rolling mean of river stage and pumping
    doy: bool = True  # day of year as sin/cos
    default_lat: float = 45.0  # degrees, for Oudin PET when a well's latitude is unknown
    frozen_ground: bool = True  # frozen-layer thickness (Stefan) from temperature
    frost_a: float = 0.04  # m / sqrt(degC day), Stefan frost-depth coefficient
    thaw_factor: float = 0.35  # thawing degree-days per freezing degree-day to thaw the layer (core.hydrology.periods)
    pumping_windows: Tuple[int, ...] = (90, 180, 365)  # days, long rolling means of pumping

    def __post_init__(self):
        object.__setattr__(self, "windows", tuple(int(w) for w in self.windows))
        object.__setattr__(self, "pumping_windows", tuple(int(w) for w in self.pumping_windows))
        super().__post_init__()

    def check(self):
        if any(w < 1 for w in self.windows + self.pumping_windows) or int(self.aux_window) < 1:
            raise InputError(f"rolling windows must be at least 1 day (got {self.windows}, {self.aux_window})",
                             field="windows", fix="give windows of 1 day or more")
        if self.melt_factor < 0:
            raise InputError(f"melt factor {self.melt_factor} is negative", field="melt_factor",
                             fix="give a melt factor in mm/degC/day (about 3)")
        if not 0 <= self.frost_decay <= 1:
            raise InputError(f"frost decay {self.frost_decay} is outside 0..1", field="frost_decay",
                             fix="give a daily decay factor between 0 and 1 (about 0.97)")
        if not self.frost_a > 0 or not self.thaw_factor > 0:
            raise InputError(f"frost coefficient {self.frost_a} and thaw factor {self.thaw_factor} must be positive",
                             field="thaw_factor", fix="give frost_a about 0.04 and thaw_factor about 0.35")

    def to_dict(self):
        d = asdict(self)
        d["windows"] = list(self.windows)
        d["pumping_windows"] = list(self.pumping_windows)
        return d

    @classmethod
    def from_dict(cls, d):
        d = dict(d or {})
        cls.refuse_unknown(d)
        if _OLD_FIELDS <= set(d) and not (_NEW_FIELDS & set(d)):
            # a configuration saved with a model before the frozen-ground and long pumping inputs existed
            d.update(frozen_ground=False, pumping_windows=())
        for k in ("windows", "pumping_windows"):
            if k in d:
                d[k] = tuple(d[k])
        return cls(**d)


_OLD_FIELDS = {"snow_threshold", "melt_threshold", "melt_factor", "frost_decay", "windows", "aux_window", "doy",
               "default_lat"}
_NEW_FIELDS = {"frozen_ground", "frost_a", "thaw_factor", "pumping_windows"}


def _pet_source(roles):
    if roles.pet:
        return "pet"
    if roles.temp:
        return "pet_oudin"
    return None


def _plan(roles: Roles, config: FeatureConfig) -> List[Tuple[str, Dict[str, float]]]:
    """[(feature name, {driver: weight})] in the canonical order."""
    half = {"precip": 0.5, "temp": 0.5}
    plan = [(d, {d: 1.0}) for d in roles.drivers()]
    snow = bool(roles.precip and roles.temp)
    if snow:
        plan += [("snow_store", dict(half)), ("snowmelt", dict(half)), ("liquid_input", dict(half))]
    if roles.temp:
        plan.append(("frost_index", {"temp": 1.0}))
        if config.frozen_ground:
            plan.append(("frozen_thickness", {"temp": 1.0}))
    if roles.temp and not roles.pet:
        plan.append(("pet_oudin", {"temp": 1.0}))
    if config.doy:
        plan += [("doy_sin", {SEASON: 1.0}), ("doy_cos", {SEASON: 1.0})]
    if roles.precip:
        src, owners = ("liquid_input", half) if snow else ("precip", {"precip": 1.0})
        plan += [(f"{src}_mean{w}", dict(owners)) for w in config.windows]
    pet = _pet_source(roles)
    if pet:
        owner = "pet" if pet == "pet" else "temp"
        plan += [(f"{pet}_mean{w}", {owner: 1.0}) for w in config.windows]
    for d in ("river", "pumping"):
        if roles.column(d):
            plan.append((f"{d}_mean{config.aux_window}", {d: 1.0}))
    if roles.column("pumping"):
        plan += [(f"pumping_mean{w}", {"pumping": 1.0}) for w in _pumping_windows(config)]
    names = [n for n, _ in plan]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise InputError(f"the driver name '{clash[0]}' is also the name of a derived feature", field=clash[0],
                         fix="rename that forcing column (for example with a prefix) and choose it again")
    return plan


def _pumping_windows(config):
    out = []
    for w in config.pumping_windows:
        if w != int(config.aux_window) and w not in out:
            out.append(w)
    return out


def feature_names(roles: Roles, config: FeatureConfig = FeatureConfig(), has_lat: bool = True) -> List[str]:
    """The feature columns :func:`derive_features` makes for these roles and config, in order.

    ``has_lat`` does not change the names (without a latitude Oudin PET uses ``default_lat``); it is accepted
    so that callers can state what they know.
    """
    return [n for n, _ in _plan(roles, config)]


def feature_drivers(roles: Roles, config: FeatureConfig = FeatureConfig()) -> Dict[str, Dict[str, float]]:
    """feature -> {driver: weight} (weights sum to 1; ``season`` for day of year is not a driver)."""
    return {n: w for n, w in _plan(roles, config)}


def extraterrestrial_radiation(doy, lat_deg):
    """FAO-56 (eq. 21) daily extraterrestrial radiation Ra in MJ m-2 day-1 for day of year ``doy`` at latitude
    ``lat_deg`` (degrees); the two broadcast against each other (one latitude per well, one doy per day)."""
    doy = np.asarray(doy, dtype=float)
    phi = np.deg2rad(np.asarray(lat_deg, dtype=float))
    dr = 1.0 + 0.033 * np.cos(2.0 * np.pi * doy / 365.0)
    delta = 0.409 * np.sin(2.0 * np.pi * doy / 365.0 - 1.39)
    ws = np.arccos(np.clip(-np.tan(phi) * np.tan(delta), -1.0, 1.0))
    ra = (24.0 * 60.0 / np.pi) * GSC * dr * (ws * np.sin(phi) * np.sin(delta)
                                              + np.cos(phi) * np.cos(delta) * np.sin(ws))
    return np.maximum(ra, 0.0)


def oudin_pet(temp, doy, lat_deg):
    """Oudin et al. (2005) potential evaporation in mm/day: Ra/(lambda rho) * (T+5)/100 for T > -5, else 0."""
    t = np.asarray(temp, dtype=float)
    ra = extraterrestrial_radiation(doy, lat_deg)
    pe_m = ra / (LAMBDA * RHO) * (t + 5.0) / 100.0  # m/day
    return np.where(t > -5.0, pe_m * 1000.0, 0.0)


def degree_day_snow(precip, temp, config: FeatureConfig = FeatureConfig()):
    """(snow store mm, melt mm/day, rain mm/day) of a degree-day snow model starting with no snow."""
    p = np.asarray(precip, dtype=float)
    t = np.asarray(temp, dtype=float)
    is_snow = t < config.snow_threshold
    snowfall = np.where(is_snow, p, 0.0)
    rain = p - snowfall
    potential = config.melt_factor * np.maximum(t - config.melt_threshold, 0.0)
    store = np.empty_like(p)
    melt = np.empty_like(p)
    s = 0.0
    for i, (sf, pot) in enumerate(zip(snowfall.tolist(), potential.tolist())):
        s += sf
        m = pot if pot < s else s
        s -= m
        store[i] = s
        melt[i] = m
    return store, melt, rain


def frost_index(temp, decay=0.97):
    """F_t = max(0, decay * F_{t-1} - T_t), starting at 0: degree-days of frost, decaying, worked off by thaw."""
    out = np.empty(len(temp), dtype=float)
    f = 0.0
    for i, t in enumerate(np.asarray(temp, dtype=float).tolist()):
        f = decay * f - t
        if f < 0.0:
            f = 0.0
        out[i] = f
    return out


def frozen_thickness(temp, frost_a=0.04, thaw_factor=0.35):
    """Thickness (m) of the still-frozen layer: Stefan frost depth ``frost_a * sqrt(FDD)`` times one minus
    the thawed fraction ``min(1, sqrt(TDD / (thaw_factor * FDD)))``; a cold day refreezes the thawed top
    first; FDD and TDD restart once the layer has thawed through. Starts unfrozen."""
    out = np.empty(len(temp), dtype=float)
    fdd = tdd = 0.0
    for i, t in enumerate(np.asarray(temp, dtype=float).tolist()):
        if t < 0.0:
            fdd += max(-t - tdd, 0.0)
            tdd = max(tdd + t, 0.0)
        elif fdd > 0.0:
            tdd += t
        if fdd > 0.0:
            thawed = min(1.0, math.sqrt(tdd / (thaw_factor * fdd)))
            out[i] = frost_a * math.sqrt(fdd) * (1.0 - thawed)
            if thawed >= 1.0:
                fdd = tdd = 0.0
        else:
            out[i] = 0.0
    return out


def _rolling(values, window):
    return pd.Series(values).rolling(int(window), min_periods=1).mean().to_numpy()


def derive_features(frame: pd.DataFrame, roles: Roles, lat: Optional[float] = None,
                    config: FeatureConfig = FeatureConfig(), log=None) -> Tuple[pd.DataFrame, Dict[str, Dict[str, float]]]:
    """Daily feature frame (same index as ``frame``, float64, no NaN, columns in :func:`feature_names` order)
    and ``feature_drivers`` (feature -> {driver: weight}).

    ``frame`` must have a daily, gap-free DatetimeIndex and one column per driver name (a ``level`` column is
    ignored). Notes (such as the default latitude) go to ``log`` and to ``result.attrs['notes']``.
    """
    drv = _driver_columns(frame, roles)
    plan = _plan(roles, config)
    out: Dict[str, np.ndarray] = dict(drv)
    notes = []
    if roles.precip and roles.temp:
        store, melt, rain = degree_day_snow(drv["precip"], drv["temp"], config)
        out["snow_store"], out["snowmelt"], out["liquid_input"] = store, melt, rain + melt
    if roles.temp:
        out["frost_index"] = frost_index(drv["temp"], config.frost_decay)
        if config.frozen_ground:
            out["frozen_thickness"] = frozen_thickness(drv["temp"], config.frost_a, config.thaw_factor)
    doy = frame.index.dayofyear.to_numpy()
    if roles.temp and not roles.pet:
        use_lat = lat
        if use_lat is None or not np.isfinite(use_lat):
            use_lat = config.default_lat
            notes.append(f"no latitude: potential evaporation (Oudin) is computed at {config.default_lat:g} degrees")
        out["pet_oudin"] = oudin_pet(drv["temp"], doy, use_lat)
    if config.doy:
        angle = 2.0 * np.pi * (doy - 1) / 365.25
        out["doy_sin"], out["doy_cos"] = np.sin(angle), np.cos(angle)
    _moving_means(out, drv, roles, config)
    names = [n for n, _ in plan]
    result = pd.DataFrame({n: out[n] for n in names}, index=frame.index, dtype=float)
    result.attrs["notes"] = notes
    if log is not None:
        for n in notes:
            log(n)
    return result, {n: dict(w) for n, w in plan}


def _driver_columns(frame, roles):
    """Each driver's column as floats, checked: a daily, gap-free date index and no missing value."""
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise InputError("the frame has no date index", field="date", fix="index the frame by daily dates")
    if len(frame) > 1:
        steps = np.diff(frame.index.values.astype("datetime64[D]").astype(np.int64))
        if (steps != 1).any():
            raise InputError("the frame is not daily and gap-free", field="date",
                             fix="prepare the frame with core.inputs.tables.prepare_wells")
    drv = {}
    for d in roles.drivers():
        if d not in frame.columns:
            raise InputError(f"the frame has no column for the driver '{d}'", field=d,
                             fix="prepare the frame with the same roles")
        v = pd.to_numeric(frame[d], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(v).all():
            bad = frame.index[~np.isfinite(v)]
            raise InputError(f"the driver '{d}' has missing or non-numeric values (first on "
                             f"{bad[0]:%Y-%m-%d}, {len(bad)} days)", field=d,
                             fix="fill the forcing gaps (core.inputs.tables.prepare_wells finds them)")
        drv[d] = v
    return drv


def _moving_means(out, drv, roles, config):
    """The moving means of the water input, the evaporation, the river and the pumping, into ``out``."""
    if roles.precip:
        src = "liquid_input" if roles.temp else "precip"
        for w in config.windows:
            out[f"{src}_mean{w}"] = _rolling(out[src], w)
    pet = _pet_source(roles)
    if pet:
        for w in config.windows:
            out[f"{pet}_mean{w}"] = _rolling(out[pet], w)
    for d in ("river", "pumping"):
        if roles.column(d):
            out[f"{d}_mean{config.aux_window}"] = _rolling(drv[d], config.aux_window)
    if roles.column("pumping"):
        for w in _pumping_windows(config):
            out[f"pumping_mean{w}"] = _rolling(drv["pumping"], w)
