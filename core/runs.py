"""Runs of equal consecutive values: the one run-length helper (periods, spans on the figures, stuck loggers,
date ranges in messages)."""
import numpy as np


def runs(values, breaks=None):
    """``(starts, ends)``: index arrays of the runs of equal consecutive ``values``, ends inclusive.

    breaks: optional booleans, True where a new run must start whatever the value (a gap in the dates).
    Missing values (NaN, None) each make a run of their own, as they never equal their neighbour.
    """
    v = np.asarray(values)
    if len(v) == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    new = np.r_[True, v[1:] != v[:-1]]
    if breaks is not None:
        new |= np.asarray(breaks, bool)
    starts = np.flatnonzero(new)
    return starts, np.r_[starts[1:] - 1, len(v) - 1]


def true_runs(mask):
    """``(starts, ends)`` of the runs of True in a boolean mask, ends exclusive (slice bounds)."""
    mask = np.asarray(mask, bool)
    starts, ends = runs(mask)
    keep = mask[starts] if len(mask) else np.zeros(0, bool)
    return starts[keep], ends[keep] + 1
