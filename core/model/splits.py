"""The chronological split of one well's record into training, validation and test: by fractions of the observed
span, or by dates."""
import numpy as np
import pandas as pd

from ..errors import WellInputError


def split_dates(observed_dates, config):
    """Split boundaries for one well: dict of Timestamps train_start, val_start, test_start, end.

    ``observed_dates``: dates with an observed level. train = [train_start, val_start), validation =
    [val_start, test_start), test = [test_start, end]. Fractions apply to the observed span (first to last
    observation); explicit dates override them.
    """
    dates = pd.DatetimeIndex(observed_dates).sort_values()
    if len(dates) == 0:
        raise WellInputError("no observed level", field="level", fix="give the well some observations")
    first, last = dates[0], dates[-1]
    total = config.train_frac + config.val_frac
    if config.test_start:
        test_start = pd.Timestamp(config.test_start)
        before = dates[dates < test_start]
        if len(before) == 0:
            raise WellInputError(f"no observation before the test start {test_start.date()}",
                                 setting="test_start", fix="pick a later `test_start` or drop the well")
        pre_last = before[-1]
        if config.val_start:
            val_start = pd.Timestamp(config.val_start)
        else:
            span = (pre_last - first).days
            frac = config.train_frac / total if total > 0 else 1.0
            val_start = first + pd.Timedelta(days=int(round(frac * span))) if config.val_frac > 0 else test_start
    else:
        span = (last - first).days
        if config.val_start:
            val_start = pd.Timestamp(config.val_start)
        else:
            val_start = first + pd.Timedelta(days=int(round(config.train_frac * span)))
        if total >= 1:
            test_start = last + pd.Timedelta(days=1)
        else:
            test_start = first + pd.Timedelta(days=int(round(total * span)))
        test_start = max(test_start, val_start)
    val_start = min(val_start, test_start)
    return {"train_start": first, "val_start": val_start, "test_start": test_start, "end": last}


def split_spans(b):
    """Boundaries from ``split_dates`` -> {'train'|'val'|'test': (first day, last day)}, inclusive."""
    day = pd.Timedelta(days=1)
    return {"train": (b["train_start"], b["val_start"] - day), "val": (b["val_start"], b["test_start"] - day),
            "test": (b["test_start"], b["end"])}


def split_labels(dates, splits):
    """'train' / 'val' / 'test' for each date (days before the validation start count as train)."""
    dates = pd.DatetimeIndex(dates)
    lab = np.full(len(dates), "train", dtype=object)
    lab[dates >= splits["val_start"]] = "val"
    lab[dates >= splits["test_start"]] = "test"
    return lab
