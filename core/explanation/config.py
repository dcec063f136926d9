"""What an explanation is asked for (``ExplainConfig``) and what it gives back (one well, the network)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional

import pandas as pd

from ..config import Settings
from ..errors import InputError


SPANS = ("test", "all")


ATTRIBUTION_COLUMNS = ["well_id", "period", "driver", "mean_signed", "mean_abs", "share", "n_days",
                       "margin", "mbr_agree", "ambiguous"]  # the last three: the period's, on each of its rows


LAG_COLUMNS = ["well_id", "period", "driver", "lag", "mean_signed", "mean_abs"]


@dataclass
class ExplainConfig(Settings):
    """How to explain. Saved with the results (``asdict``).

    n_samples: draws behind each (period, winter) mean (per day: max(members, ceil(n_samples / days))).
    days_per_period: days drawn per (period, winter) group; 0 explains every day of the span.
    span: 'test' (the test split) or 'all' (every day with a full lookback window).
    seed: seeds NumPy and torch (with the well id) for the draws and the day sample.
    chunk_size: most windows (explained days x draws) in one gradient pass: bounds memory.
    baseline_windows: most training windows kept as the baseline distribution.
    ambiguity_margin: a period's dominant driver is called ambiguous (``dom_frz = "pumping|pet"``) when its lead
        over the runner-up is less than this share of its own share, or when the two halves of the explained
        days name different winners: the data cannot tell the two apart.
    """

    n_samples: int = 200
    days_per_period: int = 60
    span: str = "test"
    seed: int = 0
    chunk_size: int = 512
    baseline_windows: int = 128
    ambiguity_margin: float = 0.1

    def check(self):
        if int(self.n_samples) < 1:
            raise InputError(f"n_samples must be at least 1, got {self.n_samples}", setting="n_samples",
                             fix="use the default 200")
        if int(self.days_per_period) < 0:
            raise InputError(f"days_per_period must be 0 (all days) or more, got {self.days_per_period}",
                             setting="days_per_period", fix="use the default 60, or 0 for all days")
        if self.span not in SPANS:
            raise InputError(f"span must be one of {SPANS}, got {self.span!r}", setting="span")
        if not 0 <= float(self.ambiguity_margin) < 1:
            raise InputError(f"ambiguity_margin must be in [0, 1), got {self.ambiguity_margin}",
                             setting="ambiguity_margin", fix="use the default 0.1 (0 marks only ties of the halves)")
        if int(self.chunk_size) < 1 or int(self.baseline_windows) < 1:
            raise InputError("chunk_size and baseline_windows must be positive", setting="chunk_size")


@dataclass
class WellExplanation:
    """One well's explanation.

    attribution: ATTRIBUTION_COLUMNS, one row per period and driver (season last); NaN where the span has no
        day of that period.
    lags: LAG_COLUMNS, attribution by lag day (0 = the explained day) per period and driver.
    overall: driver -> dict(mean_signed, mean_abs, share) over the whole span (the periods weigh equally, see ``shares``).
    dominant: period -> driver (None when the period is empty), plus 'overall'.
    quality: completeness_error(_daily), seed_agreement, dominant_stable (per period and overall), n_days,
        span_days, draws_per_day, draws, baseline_windows, seconds (see the module docstring).
    messages: what a person should know (empty periods, ...).
    """

    well_id: str
    attribution: pd.DataFrame
    lags: pd.DataFrame
    overall: Dict[str, dict]
    dominant: Dict[str, Optional[str]]
    quality: dict
    messages: list = field(default_factory=list)

    def shares(self):
        """driver -> overall share (season included, relative to the drivers' total)."""
        return {d: v["share"] for d, v in self.overall.items()}

    def dominant_text(self, period):
        """The period's dominant driver as the map writes it: ``'pumping'``, or ``'pumping|pet'`` (winner, then
        the rival it cannot be told apart from) when it is ambiguous."""
        winner = self.dominant.get(period)
        rival = self.quality.get("runner_up", {}).get(period)
        if winner and rival and self.quality.get("ambiguous", {}).get(period):
            return f"{winner}|{rival}"
        return winner


@dataclass
class NetworkExplanation:
    """Every well's explanation and the tables the outputs need.

    wells: well_id, dom_drv, dom_frz, dom_thw, dom_unf (``'pumping|pet'`` where the period is ambiguous: see
        ``WellExplanation.dominant_text``), sh_<driver> (overall shares; see ``share_field``),
        eg_qual (seed-to-seed agreement, 0-1), eg_compl (completeness error).
    skipped: well_id -> reason.
    """

    explanations: Dict[str, WellExplanation]
    attribution: pd.DataFrame
    lags: pd.DataFrame
    wells: pd.DataFrame
    skipped: Dict[str, str]
    seconds: float
    config: dict
