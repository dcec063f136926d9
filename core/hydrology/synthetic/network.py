"""The sample network: where its wells are, what each is (parameters per dynamics type), what its record looks
like (length, reading frequency, gaps, noise) and the truth (counterfactual runs of the simulator)."""
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from .. import periods as _periods
from ...errors import Canceled, InputError
from ...vocabulary import DRIVERS, PERIODS, TYPES
from .aquifer import AquiferParams, counterfactual_runs
from .weather import _river_anomalies, _well_forcing, regional_weather

TRUTH_FIELDS = {"freezing": "true_frz", "thawing": "true_thw", "unfrozen": "true_unf"}  # the true dominant driver

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
                   progress=None, is_canceled=None, drivers_together: bool = False) -> SampleNetwork:
    """Simulate a sample network of ``wells`` monitoring wells over ``years`` years, deterministic per ``seed``.

    A third of the wells are of each dynamics type. See the package docstring for the physics and the truth.
    drivers_together: the hard case, where pumping, evaporation and frost follow the same calendar (irrigation
    on the growing season and its deficit, evaporation from temperature and radiation alone); the default keeps
    each driver's own weather, so that the data can tell them apart.
    """
    wells, years, seed = int(wells), int(years), int(seed)
    if wells < 3:
        raise InputError(f"at least 3 wells are needed (one of each dynamics type), not {wells}", setting="wells",
                         fix="ask for 3 wells or more")
    if years < 3:
        raise InputError(f"at least 3 years are needed, not {years}", setting="years", fix="ask for 3 years or more")

    tick = _ticker(progress, is_canceled)
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start).normalize()
    # in ns as the data contract has it (pandas 3 would infer us)
    dates = pd.date_range(t0, t0 + pd.DateOffset(years=years) - pd.Timedelta(days=1), freq="D").astype("datetime64[ns]")
    tick(0.0, "weather")
    weather = regional_weather(dates, rng)
    gauges = _river_anomalies(dates, weather, rng, list(RIVERS))
    design = _design_wells(wells, rng)
    forc = {d: np.round(a, 4) for d, a in _well_forcing(dates, weather, gauges, design, rng,
                                                                  drivers_together).items()}
    m = len(design)
    ids = [f"SN{j + 1:02d}" if m < 100 else f"SN{j + 1:03d}" for j in range(m)]
    level = np.empty((len(dates), m))
    level_rows, well_rows, truth_rows = [], [], []
    chunk = 40   # wells simulated together (with their five counterfactuals): bounded memory, regular progress
    for c0 in range(0, m, chunk):
        tick(0.05 + 0.9 * c0 / m, f"simulating wells {c0 + 1}-{min(m, c0 + chunk)} of {m} and their counterfactuals")
        cols = slice(c0, min(m, c0 + chunk))
        level[:, cols], cf_levels = counterfactual_runs({d: forc[d][:, cols] for d in DRIVERS},
                                                        [w["params"] for w in design[cols]])
        for j in range(cols.start, cols.stop):
            mask, obs, reading = _observe(dates, level[:, j], rng, years)
            level_rows.append(pd.DataFrame({"well_id": ids[j], "date": dates[mask], "level": obs}))
            dom, truth = _truth(ids[j], dates, mask, forc["temp"][:, j], level[:, j],
                                {d: cf_levels[d][:, j - c0] for d in DRIVERS})
            truth_rows += truth
            well_rows.append(_well_row(ids[j], design[j], dom, level[:, j], mask, reading))
    tick(0.95, "tables")
    network = _tables(ids, dates, forc, level, level_rows, well_rows, truth_rows)
    tick(1.0, "done")
    return network


def _ticker(progress, is_canceled):
    def tick(frac, msg):
        if is_canceled is not None and is_canceled():
            raise Canceled("creating the sample network was cancelled")
        if progress is not None:
            progress(frac, msg)
    return tick


def _truth(well_id, dates, mask, temp, level, cf_levels):
    """The true dominant driver per period of one well ({period: driver}) and its truth-table rows."""
    seen = np.flatnonzero(mask)
    span = (int(seen[0]), int(seen[-1]) + 1)      # the record: first to last reading
    cal = _periods.freeze_thaw_calendar(pd.Series(temp, index=dates), _periods.PeriodConfig())
    labels = _periods.label_days(dates, cal).to_numpy()
    eff = _effects(level, cf_levels, labels, span)
    dom, rows = {}, []
    for period in PERIODS:
        valid = {d: v for d, v in eff[period].items() if np.isfinite(v)}
        dom[period] = max(valid, key=valid.get) if valid else None
        rows += [(well_id, period, d, eff[period][d], d == dom[period]) for d in DRIVERS]
    return dom, rows


def _well_row(well_id, w, dom, level, mask, reading):
    seen = np.flatnonzero(mask)
    row = {"well_id": well_id, "x": w["x"], "y": w["y"], "site": w["site"], "river_nm": w["river"],
           "true_type": w["kind"], **{TRUTH_FIELDS[p]: dom[p] for p in PERIODS},
           "depth_m": round(float(np.mean(w["params"].ground_m - level[seen[0]:seen[-1] + 1])), 2),
           "reading": reading, "n_readings": int(mask.sum())}
    row.update(vars(w["params"]))
    return row


def _tables(ids, dates, forc, level, level_rows, well_rows, truth_rows):
    n, m = len(dates), len(ids)
    levels_df = pd.concat(level_rows, ignore_index=True)
    levels_df["date"] = pd.to_datetime(levels_df["date"])
    every_day = {"well_id": np.repeat(np.array(ids, dtype=object), n), "date": np.tile(dates.values, m)}
    return SampleNetwork(
        wells=pd.DataFrame(well_rows), levels=levels_df,
        forcing=pd.DataFrame({**every_day, **{d: forc[d].T.reshape(-1) for d in DRIVERS}}),
        truth=pd.DataFrame(truth_rows, columns=["well_id", "period", "driver", "effect", "dominant"]),
        simulated=pd.DataFrame({**every_day, "level": level.T.reshape(-1)}))
