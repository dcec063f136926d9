"""Well IDs: one rule for every table, so that a wells layer, a levels table and a forcing table join whatever
type each ID field has (text, integer or real: 101, 101.0 and ' 101 ' are the same well)."""
import math
import unicodedata

import numpy as np
import pandas as pd


def normalise_id(value):
    """A well ID as text: ``101``/``101.0``/``' 101 '`` -> ``'101'``; NFC Unicode; None for empty."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        if float(value).is_integer():
            return str(int(value))
        return repr(float(value))
    text = unicodedata.normalize("NFC", str(value)).strip()
    return text or None


def normalise_ids(values) -> pd.Series:
    """:func:`normalise_id` over a column (object Series, None where empty)."""
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    mapped = np.array([normalise_id(u) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=s.index, dtype=object)
