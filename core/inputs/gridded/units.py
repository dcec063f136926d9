"""Unit presets of gridded products (ERA5-Land, ERA5, CMFD, native): how each variable becomes a daily driver
in mm/day or degC, and the check of a file's own unit against the preset."""
import re
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from ...errors import InputError

KELVIN = 273.15

# -- unit presets -----------------------------------------------------------------------------------------------
ERA5_LAND = "ERA5-Land"
ERA5 = "ERA5 hourly (single levels)"
CMFD = "CMFD"
NATIVE = "mm/day and degC"
PRESETS = (ERA5_LAND, ERA5, CMFD, NATIVE)
FORCING_ROLES = ("precip", "temp", "pet")


@dataclass(frozen=True)
class Conversion:
    """How one gridded variable becomes a daily driver.

    ``value * scale + offset`` is the value in the target unit; with ``amount`` the value is an amount over its
    step (metres in the step), turned into a rate per day (x 1 day / step). ``accumulated``: ERA5-Land style
    accumulation since 00 UTC, differenced back to step amounts first (sub-daily steps only). ``flux``: the value
    belongs to a time interval whose end or start (``label``) is the time stamp; otherwise it is an
    instantaneous state, belonging to the day of its time stamp. ``how``: daily mean of the rates (equal to the
    daily total for fluxes) or daily sum of the values. ``clip_min`` is applied to the daily value.
    ``nonnegative``: a flux that cannot be negative (precipitation): accumulations that decrease are refused,
    tiny negative step amounts (packing noise) set to 0.
    """

    unit: str
    units_seen: Tuple[str, ...] = ()
    scale: float = 1.0
    offset: float = 0.0
    amount: bool = False
    accumulated: bool = False
    flux: bool = True
    label: str = "end"
    how: str = "mean"
    clip_min: Optional[float] = None
    nonnegative: bool = False
    target: str = "mm/day"

    def describe(self):
        parts = [self.unit]
        if self.accumulated:
            parts.append("accumulated since 00 UTC, differenced to step amounts")
        if self.flux:
            parts.append(f"time stamp at the {self.label} of its interval")
        return "; ".join(parts)


_M = ("m", "metre", "metres", "meter", "meters", "mofwaterequivalent", "m_of_water_equivalent")
_K = ("k", "kelvin", "degk", "degreesk")
_MM_DAY = ("mm/day", "mm/d", "mmd-1", "mmday-1", "mm", "kgm-2d-1", "kgm-2day-1", "mm/24h")
_MM_HR = ("mm/hr", "mm/h", "mmhr-1", "mmh-1", "kgm-2h-1", "mm/hour")
_DEGC = ("degc", "c", "°c", "celsius", "degreec", "degreesc", "degree_celsius", "degrees_celsius", "deg_c")
PRESET_CONVERSIONS: Dict[str, Dict[str, Conversion]] = {
    ERA5_LAND: {
        "precip": Conversion("tp in m of water, accumulated since 00 UTC (hourly product) or daily totals in m",
                             _M, scale=1000.0, amount=True, accumulated=True, label="end", clip_min=0.0,
                             nonnegative=True),
        "temp": Conversion("t2m in K (instantaneous)", _K, offset=-KELVIN, flux=False, target="degC"),
        "pet": Conversion("pev in m of water, negative = evaporation, accumulated since 00 UTC",
                          _M, scale=-1000.0, amount=True, accumulated=True, label="end", clip_min=0.0),
    },
    ERA5: {
        "precip": Conversion("tp in m of water over the hour ending at the time stamp", _M, scale=1000.0,
                             amount=True, label="end", clip_min=0.0, nonnegative=True),
        "temp": Conversion("t2m in K (instantaneous)", _K, offset=-KELVIN, flux=False, target="degC"),
        "pet": Conversion("pev in m of water over the step, negative = evaporation", _M, scale=-1000.0,
                          amount=True, label="end", clip_min=0.0),
    },
    CMFD: {
        "precip": Conversion("prec in mm/hr, mean rate over the step ending at the time stamp", _MM_HR,
                             scale=24.0, label="end", clip_min=0.0),
        "temp": Conversion("temp in K (instantaneous)", _K, offset=-KELVIN, flux=False, target="degC"),
        "pet": Conversion("evaporation in mm/hr, mean rate over the step ending at the time stamp", _MM_HR,
                          scale=24.0, label="end", clip_min=0.0),
    },
    NATIVE: {
        "precip": Conversion("precipitation in mm/day, stamped with the start of its interval (its own day)",
                             _MM_DAY, label="start"),
        "temp": Conversion("temperature in degC", _DEGC, flux=False, target="degC"),
        "pet": Conversion("potential evaporation in mm/day, stamped with its own day", _MM_DAY, label="start"),
    },
}


def conversion(role, preset, label=None, other_how="mean"):
    """The Conversion of ``role`` ('precip', 'temp', 'pet' or 'other') under ``preset``.

    ``label`` ('end'/'start') overrides the preset's time stamp convention for fluxes. Other drivers are taken
    in their own units: daily mean (states: snow depth, soil temperature, soil moisture) or daily sum.
    """
    if preset not in PRESET_CONVERSIONS:
        raise InputError(f"unknown unit preset '{preset}'", setting="preset", fix=f"choose one of {', '.join(PRESETS)}")
    if role == "other":
        if other_how not in ("mean", "sum"):
            raise InputError(f"unknown daily aggregation '{other_how}'", setting="other_how",
                             fix="choose mean or sum")
        conv = Conversion("taken as it is", flux=False, how=other_how, target="as in the file")
    else:
        conv = PRESET_CONVERSIONS[preset][role]
    if label is not None and conv.flux:
        if label not in ("end", "start"):
            raise InputError(f"unknown time stamp convention '{label}'", setting="label", fix="end or start")
        conv = _replace(conv, label=label)
    return conv


def _replace(conv, **kw):
    d = dict(conv.__dict__)
    d.update(kw)
    return Conversion(**d)


def _norm_unit(u):
    return re.sub(r"[\s\*\^]", "", str(u).strip().lower()).replace("per", "/")


def unit_mismatch(conv, unit):
    """A warning when the file's ``units`` attribute does not match what the preset assumes (None when fine)."""
    if not unit or not conv.units_seen:
        return None
    if _norm_unit(unit) in {_norm_unit(u) for u in conv.units_seen}:
        return None
    return f"the file says its unit is '{unit}', but the preset assumes {conv.unit}"


