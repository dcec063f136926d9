"""Which days are explained, with how many baseline draws, and how the per-day attributions add up: the
bookkeeping of expected gradients, free of torch."""
import math
import zlib

import numpy as np
import pandas as pd

from ..hydrology.periods import winter_of
from ..vocabulary import DRIVERS, PERIODS, SEASON


def well_seed(seed, well_id):
    """The seed of one well: stable across runs and independent of the other wells."""
    return (int(seed) * 1_000_003 + zlib.crc32(str(well_id).encode("utf-8"))) % (2**32 - 1)


def ordered_drivers(names):
    """Roles in canonical order, then other drivers as given, season last."""
    names = list(dict.fromkeys(names))
    roles = [r for r in DRIVERS if r in names]
    others = [n for n in names if n not in DRIVERS and n != SEASON]
    return roles + others + ([SEASON] if SEASON in names else [])


def driver_matrix(feature_names, feature_drivers):
    """(F, D) weights from input features to drivers, and the driver names. A feature without a mapping
    counts for a driver of its own name."""
    names = []
    for f in feature_names:
        names.extend((feature_drivers.get(f) or {f: 1.0}).keys())
    drivers = ordered_drivers(names)
    w = np.zeros((len(feature_names), len(drivers)), dtype=np.float64)
    for i, f in enumerate(feature_names):
        mapping = feature_drivers.get(f) or {f: 1.0}
        total = float(sum(mapping.values()))
        for d, v in mapping.items():
            w[i, drivers.index(d)] += float(v) / (total if total else 1.0)
    return w, drivers


def valid_end_positions(x, lookback):
    """Positions whose window (lookback days ending there) is complete and finite."""
    bad = ~np.isfinite(x).all(axis=1)
    cs = np.concatenate([[0], np.cumsum(bad)])
    pos = np.arange(len(x))
    ok = pos >= lookback - 1
    start = np.clip(pos - lookback + 1, 0, None)
    ok &= (cs[pos + 1] - cs[start]) == 0
    return ok


def sample_days(dates, labels, eligible, days_per_period, rng):
    """Explained days: DataFrame(pos, date, period, winter, group, half), ``days_per_period`` per (period,
    winter) group (all when 0). ``half`` (0/1) splits every group's days in two random halves of (nearly)
    equal size for the seed-to-seed quality figure."""
    dates = pd.DatetimeIndex(dates)
    lab = np.asarray(labels, dtype=object)
    frame = pd.DataFrame({"pos": np.arange(len(dates)), "date": dates, "period": lab, "winter": winter_of(dates)})
    frame = frame[np.asarray(eligible) & frame["period"].isin(PERIODS).to_numpy()]
    parts = []
    for gi, ((_p, _w), g) in enumerate(frame.groupby(["period", "winter"], sort=True)):
        if days_per_period and len(g) > days_per_period:
            g = g.iloc[np.sort(rng.choice(len(g), size=days_per_period, replace=False))]
        g = g.assign(group=gi, half=(rng.permutation(len(g)) + int(rng.integers(2))) % 2)
        parts.append(g)
    if not parts:
        return frame.assign(group=pd.Series(dtype=int), half=pd.Series(dtype=int))
    return pd.concat(parts).sort_values("pos").reset_index(drop=True)


def draws_per_day(n_samples, n_days_in_group, n_members):
    """Draws for each explained day of a (period, winter) group: the group's mean rests on at least
    ``n_samples`` draws, and every ensemble member gets at least one draw per day."""
    return max(int(n_members), int(math.ceil(int(n_samples) / max(1, int(n_days_in_group)))))


def split_draws(k, n_members):
    """Round-robin: member m gets k // M draws, the first k % M members one more."""
    base, rem = divmod(int(k), int(n_members))
    return [base + (1 if m < rem else 0) for m in range(int(n_members))]


class Accumulator:
    """Running sums over explained days (one period, one half of the days): signed and absolute per-day
    attributions per driver, lag profiles, completeness, and each ensemble member's absolute attributions (the
    members disagree where drivers move together and the data cannot tell them apart)."""

    def __init__(self, n_drivers, lookback, n_members=1):
        self.n = 0
        self.member_abs = np.zeros((n_members, n_drivers))
        self.signed = np.zeros(n_drivers)
        self.abs = np.zeros(n_drivers)
        self.lag_signed = np.zeros((lookback, n_drivers))
        self.lag_abs = np.zeros((lookback, n_drivers))
        self.resid = 0.0       # sum of (sum of attributions - (f(x) - E f(b)))
        self.resid_abs = 0.0   # sum of |...|
        self.delta_abs = 0.0   # sum of |f(x) - E f(b)|

    def add(self, phi, lag_phi, total, delta, member_phi=None):
        """member_phi: (members, days, drivers), each member's own attribution of the same days."""
        self.n += len(phi)
        if member_phi is not None:
            self.member_abs += np.abs(member_phi).sum(1)
        self.signed += phi.sum(0)
        self.abs += np.abs(phi).sum(0)
        self.lag_signed += lag_phi.sum(0)
        self.lag_abs += np.abs(lag_phi).sum(0)
        self.resid += float((total - delta).sum())
        self.resid_abs += float(np.abs(total - delta).sum())
        self.delta_abs += float(np.abs(delta).sum())

    def merged(self, other):
        out = Accumulator(len(self.signed), len(self.lag_signed), len(self.member_abs))
        for k, v in vars(self).items():
            setattr(out, k, v + getattr(other, k))
        return out
