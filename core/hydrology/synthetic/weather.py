"""The drivers of the sample network: one regional weather at 46 N, the river gauges, and each well's daily
forcing (precipitation, temperature, potential evaporation, river stage, pumping). Physics and units: the
package docstring."""
import numpy as np

from ..features import extraterrestrial_radiation

# Songnen Plain monthly normals near 46 N (Harbin, Daqing, Qiqihar, Songyuan, 1991-2020, rounded)
_T_NORMALS = np.array([-18.3, -13.7, -4.2, 6.8, 15.1, 20.8, 23.0, 21.2, 14.9, 6.0, -5.0, -15.0])

_P_NORMALS = np.array([3.0, 4.0, 9.0, 18.0, 38.0, 78.0, 130.0, 100.0, 42.0, 18.0, 7.0, 4.0])

_P_WETDAY = np.array([0.10, 0.10, 0.13, 0.17, 0.25, 0.35, 0.45, 0.40, 0.28, 0.18, 0.12, 0.10])

_DTR = np.array([11.0, 12.0, 13.0, 14.0, 13.0, 11.0, 9.5, 9.5, 11.5, 12.5, 11.5, 10.5])  # diurnal range degC

_MID = np.array([15.5, 45.0, 74.5, 105.0, 135.5, 166.0, 196.5, 227.5, 258.0, 288.5, 319.0, 349.5])

PET_SD_DAYS, PET_SD_SPELLS, PET_SD_YEARS = 0.18, 0.15, 0.06  # log sd of the cloudiness parts


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


def hargreaves_pet(temp, lat_deg, doy, dtr):
    """Hargreaves potential evaporation (mm/day) from mean temperature and diurnal range (degC)."""
    ra = 0.408 * extraterrestrial_radiation(doy, lat_deg)
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


def _well_forcing(dates, weather, gauges, wells, rng, together=False):
    """Per-well daily forcing (dict of (days, wells) arrays) from the regional weather.

    together: the drivers move together as in an irrigated, seasonally frozen plain: potential evaporation
    follows temperature and radiation alone (no cloudiness of its own), and irrigation pumping follows the
    growing season and its water deficit, year by year (``_irrigation``). The default keeps them separable.
    """
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
    pet = 1.15 * hargreaves_pet(temp, lat[None, :], doy[:, None], dtr) * np.where(wet, 0.75, 1.0)
    if not together:
        pet = pet * _radiation_factor(weather, rng, m)
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
            if together:
                season = _irrigation(temp[:, j], pet[:, j], precip[:, j], weather, rng) * trend[yi]
            else:
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


def _irrigation(temp, pet, precip, weather, rng):
    """Seasonal irrigation tied to the growing season: on from the day the 10-day mean temperature passes
    10 degC in spring, off when it falls below 15 degC after mid-August or by September; each day in proportion
    to the crops' water deficit (PET minus rain over ten days), and each year +-20 % (the irrigated area in
    use, water rights, the price of power). Mean 1 over the irrigated days, as the default's shape at its peak.
    """
    t10 = np.convolve(temp, np.ones(10) / 10, mode="same")
    doy = weather["doy"]
    on = (t10 > 10.0) & (doy >= 100) & (doy <= 245) & ~((doy > 227) & (t10 < 15.0))
    deficit = np.clip(np.convolve(pet - precip, np.ones(10) / 10, mode="same"), 0.0, None)
    shape = np.where(on, deficit, 0.0)
    shape = shape / max(float(shape[on].mean()) if on.any() else 1.0, 1e-9)
    year_var = np.exp(rng.normal(0.0, 0.2, len(weather["years"])))[weather["year_index"]]
    return shape * year_var * np.exp(rng.normal(0, 0.08, len(temp)))
