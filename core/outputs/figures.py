"""The report's figures (matplotlib, Agg, no pyplot): one per well (levels, attribution, lags) and one for the
network. matplotlib is imported only inside the functions that draw."""
import io
import math

import numpy as np
import pandas as pd

from ..runs import runs
from ..vocabulary import (
    DRIVER_COLOURS, DRIVERS, NO_TYPE_COLOUR, NO_TYPE_LABEL, OTHER_DRIVER_COLOURS, PERIOD_COLOURS, PERIODS,
    SERIES_COLOURS, SPLIT_COLOURS, SPLIT_LABELS, TYPE_COLOURS, TYPE_LABELS, TYPE_VALUES,
)

DPI = 80


MAX_PLOT_POINTS = 3000  # per line in a well figure; longer series are thinned for drawing only


def type_label(value):
    """The legend label of a dynamics type (words, not the field value)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
        return NO_TYPE_LABEL
    return TYPE_LABELS.get(str(value), str(value))


def type_colour(value):
    return TYPE_COLOURS.get(str(value), NO_TYPE_COLOUR) if value is not None else NO_TYPE_COLOUR


def new_figure(width_in, height_in):
    from matplotlib.figure import Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=(width_in, height_in), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def figure_png(fig):
    """PNG bytes of a matplotlib figure as an 8-bit palette image (about a third of the size of a full-colour
    one, which keeps a report of a hundred wells or more to a few megabytes), drawn straight from the Agg
    buffer. Without Pillow (a matplotlib dependency) a plain PNG. No software tag: no URL hides in it."""
    try:
        from PIL import Image
    except Exception:  # pragma: no cover
        Image = None
    if Image is not None:
        try:
            fig.canvas.draw()
            rgba = np.asarray(fig.canvas.buffer_rgba())
            im = Image.fromarray(np.ascontiguousarray(rgba[..., :3]))
            out = io.BytesIO()
            im.quantize(colors=96).save(out, format="PNG", compress_level=6)
            return out.getvalue()
        except Exception:  # pragma: no cover - never lose a figure over compression
            pass
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def label_runs(dates, labels):
    """Contiguous runs of equal labels: list of (label, start, end) with end = the last date of the run."""
    labels = np.asarray(labels, dtype=object)
    starts, ends = runs(labels)
    return [(labels[s], dates[s], dates[e]) for s, e in zip(starts, ends)]


def _period_spans(sim, periods, well_id):
    """{'freezing': [(start, end)], 'thawing': [...]} from the periods table, else from the simulation labels."""
    spans = {"freezing": [], "thawing": []}
    if periods is not None and len(periods):
        p = periods[periods["well_id"] == well_id]
        if not len(p):
            p = periods[periods["well_id"].isin(["", "*", "all", "None", "nan"])]
        for fs, ts, te in zip(p.get("freeze_start", []), p.get("thaw_start", []), p.get("thaw_end", [])):
            if pd.notna(fs) and pd.notna(ts):
                spans["freezing"].append((fs, ts))
            if pd.notna(ts) and pd.notna(te):
                spans["thawing"].append((ts, te))
        if spans["freezing"] or spans["thawing"]:
            return spans
    if "period" in sim.columns and len(sim):
        one_day = pd.Timedelta(days=1)
        for label, start, end in label_runs(sim["date"].to_numpy(), sim["period"].astype(str).to_numpy()):
            if label in spans:
                spans[label].append((pd.Timestamp(start), pd.Timestamp(end) + one_day))
    return spans


def _thin(n):
    step = max(1, int(math.ceil(n / MAX_PLOT_POINTS)))
    return slice(None, None, step)


def well_figure(well_id, sim, attribution=None, periods=None, lags=None):
    """One PNG per well: levels (observed, simulated, ensemble spread, splits, frozen periods) on top;
    attribution per driver and period, and by lag when given, below. Returns PNG bytes."""
    has_attr = attribution is not None and len(attribution) > 0
    has_lags = lags is not None and len(lags) > 0
    fig = new_figure(11.0, 6.0 if (has_attr or has_lags) else 3.2)
    if has_attr or has_lags:
        gs = fig.add_gridspec(2, 2 if (has_attr and has_lags) else 1, height_ratios=[1.25, 1.0],
                              left=0.07, right=0.985, top=0.92, bottom=0.09, hspace=0.45, wspace=0.22)
        ax = fig.add_subplot(gs[0, :])
    else:
        gs = None
        ax = fig.add_axes([0.07, 0.13, 0.915, 0.74])
    _levels_axes(ax, well_id, sim.sort_values("date"), periods)
    col = 0
    if has_attr:
        _attribution_axes(fig.add_subplot(gs[1, col]), attribution)
        col += 1
    if has_lags:
        _lag_axes(fig.add_subplot(gs[1, col]), lags)
    return figure_png(fig)


def _levels_axes(ax, well_id, sim, periods):
    import matplotlib.dates as mdates

    x = mdates.date2num(sim["date"].to_numpy())
    _shade_periods(ax, _period_spans(sim, periods, well_id))
    if "split" in sim.columns:
        _split_strip(ax, x, sim["split"].astype(str).to_numpy())
    sl = _thin(len(sim))
    if {"lower", "upper"} <= set(sim.columns):
        lo, up = sim["lower"].to_numpy(float), sim["upper"].to_numpy(float)
        if np.isfinite(lo).any() and np.isfinite(up).any():
            ax.fill_between(x[sl], lo[sl], up[sl], color=SERIES_COLOURS["spread"], alpha=0.28, linewidth=0,
                            label="ensemble spread", zorder=2)
    if "simulated" in sim.columns:
        ax.plot(x[sl], sim["simulated"].to_numpy(float)[sl], color=SERIES_COLOURS["simulated"], lw=0.9,
                label="simulated", zorder=3)
    if "tfn" in sim.columns and np.isfinite(sim["tfn"].to_numpy(float)).any():  # the Pastas baseline (BASELINE)
        ax.plot(x[sl], sim["tfn"].to_numpy(float)[sl], color=SERIES_COLOURS["tfn"], lw=0.8, ls="--",
                label="Pastas", zorder=3)
    if "observed" in sim.columns:
        obs = sim["observed"].to_numpy(float)
        ok = np.isfinite(obs)
        xo, yo = x[ok], obs[ok]
        so = _thin(len(xo))
        ax.plot(xo[so], yo[so], ".", color=SERIES_COLOURS["observed"], ms=1.6, label="observed", zorder=4)
    ax.xaxis_date()
    if len(x):
        ax.set_xlim(x[0], x[-1] + 1)
    ylo, yhi = _level_limits(sim)
    if ylo is not None:
        ax.set_ylim(ylo, yhi)
    ax.set_ylabel("level (m)", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.set_title(str(well_id), fontsize=10, loc="left", fontweight="bold")
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, fontsize=8, loc="lower right", ncol=len(handles), frameon=False,
                  bbox_to_anchor=(1.0, 0.99), borderaxespad=0.1, handlelength=1.5, columnspacing=1.2)


def _shade_periods(ax, spans):
    """The freezing and thawing periods as shading behind the levels."""
    import matplotlib.dates as mdates

    xa = ax.get_xaxis_transform()
    for label in ("freezing", "thawing"):
        if spans[label]:
            ranges = []
            for s, e in spans[label]:
                x0, x1 = mdates.date2num(np.datetime64(s, "ns")), mdates.date2num(np.datetime64(e, "ns"))
                ranges.append((x0, x1 - x0))
            ax.broken_barh(ranges, (0.06, 0.94), transform=xa, facecolors=PERIOD_COLOURS[label], alpha=0.16,
                           linewidth=0, label=label, zorder=0)


def _split_strip(ax, x, splits):
    """The strip at the bottom that marks the training, validation and test years."""
    xa = ax.get_xaxis_transform()
    for split, start, end in label_runs(x, splits):
        colour = SPLIT_COLOURS.get(split, "#dddddd")
        ax.broken_barh([(start, max(end - start, 1.0))], (0.0, 0.045), transform=xa, facecolors=colour,
                       linewidth=0, zorder=1)
        ax.text(start + (end - start) / 2, 0.05, SPLIT_LABELS.get(split, split), transform=xa,
                ha="center", va="bottom", fontsize=7, color="#555555", zorder=5)
        if start > x[0]:
            ax.axvline(start, color="#777777", lw=0.6, ls="--", zorder=1)


def _level_limits(sim):
    """y limits from the levels only (the shaded spans must not stretch the axis), with room for the strip."""
    vals = [sim[c].to_numpy(float) for c in ("observed", "simulated", "lower", "upper", "tfn") if c in sim.columns]
    vals = np.concatenate(vals) if vals else np.array([])
    vals = vals[np.isfinite(vals)]
    if not len(vals):
        return None, None
    lo, hi = float(vals.min()), float(vals.max())
    pad = max(hi - lo, 0.05)
    return lo - 0.12 * pad, hi + 0.06 * pad


def _ordered(values, first):
    values = list(dict.fromkeys(values))
    return [v for v in first if v in values] + [v for v in values if v not in first]


def _attribution_axes(ax, attr):
    attr = attr.copy()
    value_col = "share" if "share" in attr.columns and attr["share"].notna().any() else "mean_abs"
    periods = _ordered(attr["period"].astype(str), PERIODS + ("all",))
    drivers = _ordered(attr["driver"].astype(str), DRIVERS)
    table = attr.assign(period=attr["period"].astype(str), driver=attr["driver"].astype(str)).pivot_table(
        index="driver", columns="period", values=value_col, aggfunc="mean").reindex(index=drivers, columns=periods)
    signs = None
    if "mean_signed" in attr.columns:
        signs = attr.assign(period=attr["period"].astype(str), driver=attr["driver"].astype(str)).pivot_table(
            index="driver", columns="period", values="mean_signed", aggfunc="mean").reindex(
            index=drivers, columns=periods)
    n = max(len(periods), 1)
    width = 0.8 / n
    pos = np.arange(len(drivers))
    for i, period in enumerate(periods):
        vals = table[period].to_numpy(float)
        bars = ax.bar(pos + (i - (n - 1) / 2) * width, np.nan_to_num(vals), width,
                      color=PERIOD_COLOURS.get(period, "#666666"), label=period)
        if signs is not None:
            for bar, s in zip(bars, signs[period].to_numpy(float)):
                if np.isfinite(s) and bar.get_height() > 0:
                    ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), "+" if s >= 0 else "\u2212",
                            ha="center", va="bottom", fontsize=7)
    ax.set_xticks(pos)
    ax.set_xticklabels(drivers, fontsize=8, rotation=20 if len(drivers) > 5 else 0)
    ax.tick_params(labelsize=8)
    ax.set_ylabel("share of |attribution|" if value_col == "share" else "mean |attribution|", fontsize=9)
    if value_col == "share":
        ax.set_ylim(0, max(1.0, float(np.nanmax(table.to_numpy(float))) * 1.1 if table.size else 1.0))
    ax.set_title("Attribution by driver and period (sign of the mean effect above the bar)", fontsize=9,
                 loc="left")
    ax.legend(fontsize=8, frameon=False, ncol=len(periods))


def _lag_axes(ax, lags):
    lags = lags.copy()
    lags["lag"] = pd.to_numeric(lags["lag"], errors="coerce")
    lags["value"] = pd.to_numeric(lags["value"], errors="coerce")
    others = iter(OTHER_DRIVER_COLOURS * 4)
    for driver in _ordered(lags["driver"].astype(str), DRIVERS):
        d = lags[lags["driver"].astype(str) == driver].sort_values("lag")
        colour = DRIVER_COLOURS.get(driver) or next(others, None)
        ax.plot(d["lag"].to_numpy(float), d["value"].to_numpy(float), lw=1.3, label=driver, color=colour)
    ax.set_xlabel("lag (days before the simulated day)", fontsize=9)
    ax.set_ylabel("mean |attribution|", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.set_title("Attribution by lag", fontsize=9, loc="left")
    ax.legend(fontsize=8, frameon=False)


def network_figure(wells):
    """Counts per dynamics type and the distribution of test NSE, side by side. PNG bytes."""
    fig = new_figure(11.0, 3.0)
    _type_counts_axes(fig.add_axes([0.25, 0.17, 0.27, 0.72]), wells)
    _nse_axes(fig.add_axes([0.62, 0.17, 0.36, 0.72]), wells)
    return figure_png(fig)


def _type_counts_axes(ax1, wells):
    types = wells["dyn_type"] if "dyn_type" in wells.columns else pd.Series([None] * len(wells))
    types = types.where(types.notna() & (types.astype(str).str.strip() != ""), None)
    order = [t for t in TYPE_VALUES] + sorted({str(t) for t in types.dropna()} - set(TYPE_VALUES))
    counts = [(t, int((types.astype(str) == t).sum())) for t in order]
    n_none = int(types.isna().sum())
    if n_none:
        counts.append((None, n_none))
    labels = [type_label(t) for t, _ in counts][::-1]
    vals = [c for _, c in counts][::-1]
    cols = [type_colour(t) for t, _ in counts][::-1]
    ax1.barh(range(len(vals)), vals, color=cols)
    ax1.set_yticks(range(len(vals)))
    ax1.set_yticklabels(labels, fontsize=8)
    for i, v in enumerate(vals):
        ax1.text(v, i, f" {v}", va="center", fontsize=8)
    ax1.set_xlim(0, max(vals + [1]) * 1.25)
    ax1.tick_params(labelsize=7)
    ax1.set_title("Wells per dynamics type", fontsize=10, loc="left")


def _nse_axes(ax2, wells):
    nse = pd.to_numeric(wells["nse_test"], errors="coerce") if "nse_test" in wells.columns \
        else pd.Series(dtype=float)
    nse = nse.astype(float)
    nse = nse[np.isfinite(nse.to_numpy())]
    bins = np.arange(-1.0, 1.0001, 0.1)
    if len(nse):
        ax2.hist(np.clip(nse.to_numpy(float), -1.0, 1.0), bins=bins, color="#0072B2", edgecolor="white")
        med = float(np.median(nse))
        ax2.axvline(med, color="#D55E00", lw=1.2)
        ax2.text(med, ax2.get_ylim()[1] * 0.95, f" median {med:.2f}", color="#D55E00", fontsize=8, va="top")
    else:
        ax2.text(0.5, 0.5, "no test NSE", ha="center", va="center", transform=ax2.transAxes, fontsize=8)
    ax2.set_xlim(-1.0, 1.0)
    ax2.set_xlabel("NSE on the test period (values below \u22121 shown at \u22121)", fontsize=8)
    ax2.set_ylabel("wells", fontsize=8)
    ax2.tick_params(labelsize=7)
    ax2.set_title("Distribution of test NSE", fontsize=10, loc="left")
