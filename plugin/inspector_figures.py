"""What the well inspector draws: the hydrograph, the attribution chart and the metrics table.

The dock can be 300 px wide or a floating 1000 px window, so every drawing is fitted to the figure's width in
pixels whenever it is resized (:func:`fit`): the legend goes below the axes in as many columns as fit, the date
axis gets as many concise ticks as fit, the title shortens, the split names show only where they fit, and the
driver names turn when they would touch. The colours and words are the report's (core/vocabulary).
"""
import datetime as _dt
import math

import matplotlib.dates as mdates
from matplotlib.patches import Patch
from matplotlib.transforms import offset_copy

from ..core.vocabulary import PERIOD_COLOURS, PERIODS, SERIES_COLOURS, SPLIT_COLOURS, SPLIT_LABELS
from . import analysis_output as ao

TITLE_SIZE, LABEL_SIZE, SMALL_SIZE = 10, 8, 7
PX_PER_DATE_TICK = 75  # a concise date label ('2017', 'Apr') with room on both sides
LEGEND_GAP_PX = 4  # between the tick labels and the legend below them


# ---------------------------------------------------------------------------------------------- hydrograph
def draw_hydrograph(fig, well_id, series, spans, why_empty):
    """Observed points, the simulation with its ensemble spread, the split bar and the freeze-thaw shading."""
    fig.clear()
    ax = fig.add_subplot(111)
    ax.gwlstm_titles = (f"Well {well_id}: observed and simulated groundwater level", f"Well {well_id}: level",
                        f"{well_id}")
    ax.set_title(ax.gwlstm_titles[0], fontsize=TITLE_SIZE)
    if not len(series):
        _empty(ax, f"No hydrograph: {why_empty}.")
        return ax
    day = _dt.timedelta(days=1)
    seen = set()
    for period, start, end in spans:
        ax.axvspan(start, end + day, color=PERIOD_COLOURS.get(period, "#cccccc"), alpha=0.14, lw=0,
                   label=period if period not in seen else None, zorder=0)
        seen.add(period)
    if series.has_band():
        ax.fill_between(series.dates, series.lower, series.upper, color=SERIES_COLOURS["spread"], alpha=0.28, lw=0,
                        label="ensemble spread", zorder=1)
    ax.plot(series.dates, series.simulated, color=SERIES_COLOURS["simulated"], lw=1.1, label="simulated", zorder=3)
    od, ov = series.observed_points()
    ax.plot(od, ov, ls="none", marker="o", ms=2.2, color=SERIES_COLOURS["observed"], label="observed", zorder=4)
    ax.gwlstm_split_labels = []
    for i, (split, start, end) in enumerate(ao.runs(series.dates, series.split)):
        ax.axvspan(start, end + day, ymin=0.965, ymax=1.0, color=SPLIT_COLOURS.get(split, "#999999"), lw=0, zorder=5)
        label = ax.text(start + (end - start) / 2, 0.95, SPLIT_LABELS.get(split, split),
                        transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize=SMALL_SIZE,
                        color="#444444", zorder=6)
        label.gwlstm_span = (mdates.date2num(start), mdates.date2num(end + day))
        ax.gwlstm_split_labels.append(label)
        if i:
            ax.axvline(start, color="#666666", lw=0.7, ls="--", zorder=2)
    ax.set_ylabel("level (m)", fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=LABEL_SIZE)
    ax.margins(x=0.01)
    ax.gwlstm_dates = True
    return ax


# ---------------------------------------------------------------------------------------------- attribution
def draw_attribution(fig, well_id, rows, why_empty):
    """Each driver's share of |attribution| per freeze-thaw period; hatched where the driver lowers the level."""
    fig.clear()
    ax = fig.add_subplot(111)
    ax.gwlstm_titles = (f"Well {well_id}: drivers by freeze-thaw period (expected gradients)",
                        f"Well {well_id}: drivers by period", f"{well_id}: drivers")
    ax.set_title(ax.gwlstm_titles[0], fontsize=TITLE_SIZE)
    if not rows:
        _empty(ax, f"No attribution: {why_empty}.")
        return ax
    order = [p for p in PERIODS if any(r.period == p for r in rows)]
    order += sorted({r.period for r in rows} - set(order))
    values = _shares(rows, order)
    signs = {(r.period, r.driver): r.mean_signed for r in rows}
    drivers = sorted({r.driver for r in rows}, key=lambda d: -max(_finite(values.get((p, d))) for p in order))
    width = 0.8 / max(len(order), 1)
    negative = False
    for i, p in enumerate(order):
        xs = [j + (i - (len(order) - 1) / 2) * width for j in range(len(drivers))]
        heights = [_finite(values.get((p, d)), 0.0) for d in drivers]
        bars = ax.bar(xs, heights, width * 0.95, label=p, color=PERIOD_COLOURS.get(p, "#999999"),
                      edgecolor="white", lw=0.4)
        for bar, d in zip(bars, drivers):
            if _finite(signs.get((p, d)), 0.0) < 0:
                bar.set_hatch("///")
                negative = True
    ax.set_xticks(range(len(drivers)))
    ax.set_xticklabels(drivers, fontsize=LABEL_SIZE)
    ax.set_ylabel("share of |attribution|", fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=LABEL_SIZE)
    top = max([v for v in values.values() if not math.isnan(v)] or [1.0])
    ax.set_ylim(0, max(top, 1e-9) * 1.1)
    handles = [Patch(facecolor=PERIOD_COLOURS.get(p, "#999999"), label=p) for p in order]
    if negative:
        handles.append(Patch(facecolor="white", edgecolor="#555555", hatch="///", label="lowers the level"))
    ax.gwlstm_handles = handles
    return ax


def _shares(rows, order):
    """(period, driver) -> share; a period without shares gets its mean |attribution| normalised."""
    values = {(r.period, r.driver): r.share for r in rows}
    for p in order:
        if all(math.isnan(v) for (q, _d), v in values.items() if q == p):
            total = sum(r.mean_abs for r in rows if r.period == p and not math.isnan(r.mean_abs))
            for r in rows:
                if r.period == p and total > 0:
                    values[(p, r.driver)] = r.mean_abs / total
    return values


def _finite(value, default=-math.inf):
    return default if value is None or math.isnan(value) else value


def _empty(ax, text):
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, wrap=True, fontsize=LABEL_SIZE)
    ax.set_xticks([])
    ax.set_yticks([])


# ---------------------------------------------------------------------------------------------- fitting
def fit(fig):
    """Fit every axes of ``fig`` to the figure's current width in pixels (call before drawing)."""
    width = fig.get_figwidth() * fig.dpi
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        _fit_title(ax, width, renderer)
        if getattr(ax, "gwlstm_dates", False):
            locator = mdates.AutoDateLocator(minticks=2, maxticks=max(3, int(width // PX_PER_DATE_TICK)))
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
            _fit_legend(ax, ax.get_legend_handles_labels()[0], width, renderer)
            _fit_split_labels(ax, width, renderer)
        elif getattr(ax, "gwlstm_handles", None):
            _fit_driver_labels(ax, width, renderer)
            _fit_legend(ax, ax.gwlstm_handles, width, renderer)


def _fit_title(ax, width, renderer):
    title = ax.title
    for text in getattr(ax, "gwlstm_titles", ()):
        title.set_text(text)
        if title.get_window_extent(renderer).width <= width - 8:
            return


def _fit_legend(ax, handles, width, renderer):
    """The legend just below the tick labels, in the most columns whose row still fits the figure's width."""
    labels = [h.get_label() for h in handles]
    axis_px = ax.get_window_extent(renderer).y0 - ax.xaxis.get_tightbbox(renderer).y0  # what hangs below
    points = -(max(axis_px, 0) + LEGEND_GAP_PX) * 72 / ax.figure.dpi
    anchor = offset_copy(ax.transAxes, fig=ax.figure, y=points, units="points")
    for ncol in range(len(handles), 0, -1):
        legend = ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0), bbox_transform=anchor,
                           ncol=ncol, fontsize=SMALL_SIZE, frameon=False, handlelength=1.2, columnspacing=1.0,
                           borderaxespad=0.0)
        if legend.get_window_extent(renderer).width <= width - 8:
            break


def _fit_split_labels(ax, width, renderer):
    """A split's name shows only when it fits inside its part of the record."""
    x0, x1 = ax.get_xlim()
    axes_px = ax.get_window_extent(renderer).width or width
    for label in getattr(ax, "gwlstm_split_labels", ()):
        start, end = label.gwlstm_span
        span_px = (min(end, x1) - max(start, x0)) / (x1 - x0) * axes_px
        label.set_visible(True)
        label.set_visible(label.get_window_extent(renderer).width + 4 <= span_px)


def _fit_driver_labels(ax, width, renderer):
    """Driver names level when each fits under its bars, turned 35 degrees when they would touch."""
    labels = ax.get_xticklabels()
    for label in labels:
        label.set_rotation(0)
        label.set_ha("center")
    slot = (ax.get_window_extent(renderer).width or width) / max(len(labels), 1)
    turned = any(label.get_window_extent(renderer).width + 6 > slot for label in labels)
    if turned:
        for label in labels:
            label.set_rotation(35)
            label.set_ha("right")
            label.set_rotation_mode("anchor")


# ---------------------------------------------------------------------------------------------- metrics
def _fmt(value, digits=2):
    value = ao.to_python(value)
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _escape(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


METRIC_ROWS = (  # label, field, digits
    ("Status", "status", 2), ("Observations", "n_obs", 0), ("NSE train", "nse_train", 3),
    ("NSE validation", "nse_val", 3), ("NSE test", "nse_test", 3), ("KGE test", "kge_test", 3),
    ("RMSE test (m)", "rmse_test", 3), ("Bias test (m)", "bias_test", 3), ("Dynamics type", "dyn_type", 2),
    ("Type confidence", "dyn_conf", 2), ("Dominant driver", "dom_drv", 2), ("… freezing", "dom_frz", 2),
    ("… thawing", "dom_thw", 2), ("… unfrozen", "dom_unf", 2), ("Attribution quality", "eg_qual", 2),
)


def metrics_html(well_id, attrs):
    """The well's fields as a two-column table (a label that never breaks, the value beside it)."""
    if not attrs:
        return f"<p>Well <b>{_escape(well_id)}</b> is not a feature of this layer.</p>"
    rows = [(label, attrs.get(key), digits) for label, key, digits in METRIC_ROWS
            if key in attrs or key in ("status", "n_obs")]
    cells = "".join(f"<tr><td nowrap style='padding-right:10px'>{_escape(label)}</td>"
                    f"<td><b>{_escape(_fmt(value, digits))}</b></td></tr>" for label, value, digits in rows)
    shares = [(k[3:], ao.to_float(v)) for k, v in attrs.items() if k.startswith("sh_")]
    shares = sorted([kv for kv in shares if not math.isnan(kv[1])], key=lambda kv: -kv[1])
    html = [f"<div style='font-size:9pt'><b>Well {_escape(well_id)}</b>", "<table cellspacing='0' cellpadding='1'>",
            cells, "</table>"]
    if shares:
        html.append("<p>Driver shares: " + ", ".join(f"{_escape(d)}&nbsp;{_fmt(v, 2)}" for d, v in shares) + "</p>")
    html.append("</div>")
    return "".join(html)
