"""The weights that sample a grid at a well (nearest cell, or bilinear over the valid neighbours), and the
sampled series' column names."""
import math
import re
from dataclasses import dataclass
from typing import Tuple

import numpy as np

from ...errors import InputError


# -- sampling a grid at points ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PointWeights:
    """Cells (rows, cols) around one point and their weights (sum 1)."""

    rows: Tuple[int, ...]
    cols: Tuple[int, ...]
    weights: Tuple[float, ...]


def point_weights(geotransform, width, height, x, y, method="bilinear"):
    """Cells and weights that sample a north-up grid at (x, y) in the grid's CRS; None when outside the grid.

    ``nearest``: the cell holding the point. ``bilinear``: the four cell centres around the point (clamped at the
    grid's edge); cells with zero weight are left out, so a point on a cell centre takes that cell exactly.
    """
    x0, dx, rx, y0, ry, dy = (float(g) for g in geotransform)
    if rx != 0 or ry != 0:
        raise InputError("the grid is rotated (its geotransform has rotation terms)",
                         fix="warp the raster to a north-up grid first (Raster > Projections > Warp)")
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    px = (x - x0) / dx
    py = (y - y0) / dy
    eps = 1e-9
    if not (-eps <= px <= width + eps and -eps <= py <= height + eps):
        return None
    if method == "nearest":
        c = min(max(int(math.floor(px)), 0), width - 1)
        r = min(max(int(math.floor(py)), 0), height - 1)
        return PointWeights((r,), (c,), (1.0,))
    if method != "bilinear":
        raise InputError(f"unknown interpolation '{method}'", setting="method", fix="nearest or bilinear")
    fx, fy = px - 0.5, py - 0.5
    c0, r0 = int(math.floor(fx)), int(math.floor(fy))
    tx, ty = fx - c0, fy - r0
    cells = {}
    for r, wy in ((r0, 1 - ty), (r0 + 1, ty)):
        for c, wx in ((c0, 1 - tx), (c0 + 1, tx)):
            w = wx * wy
            if w <= 1e-12:
                continue
            key = (min(max(r, 0), height - 1), min(max(c, 0), width - 1))
            cells[key] = cells.get(key, 0.0) + w
    total = sum(cells.values())
    keys = sorted(cells)
    return PointWeights(tuple(k[0] for k in keys), tuple(k[1] for k in keys),
                        tuple(cells[k] / total for k in keys))


def sample(values, rows, cols, weights):
    """Weighted value over valid cells only, for every step: ``values`` (n_steps, n_rows, n_cols) with NaN for
    invalid cells; ``rows``/``cols`` index into it. NaN where no listed cell is valid."""
    v = np.asarray(values, dtype=float)[:, np.asarray(rows, dtype=int), np.asarray(cols, dtype=int)]
    w = np.asarray(weights, dtype=float)
    valid = np.isfinite(v)
    num = np.where(valid, v, 0.0) @ w
    den = valid.astype(float) @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    out[den <= 0] = np.nan
    return out


def column_name(layer_name, taken=()):
    """A forcing column name from a layer name: lower case, letters, digits and underscores, unique."""
    base = re.sub(r"[^0-9a-z_]+", "_", str(layer_name).strip().lower()).strip("_") or "driver"
    if base[0].isdigit():
        base = "v_" + base
    name, k = base, 2
    while name in taken:
        name = f"{base}_{k}"
        k += 1
    return name
