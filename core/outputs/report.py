"""Report figures (matplotlib, Agg, no pyplot) and one self-contained HTML file that opens offline.

Pure Python: never imports qgis. matplotlib is imported only inside the functions that draw, so the
palette constants below can be imported (by the styling code) without it.

The HTML holds everything: images as base64 PNG data URIs, CSS and a few lines of JavaScript inline (a
sortable table), and no external reference of any kind. It is written atomically (temporary file in the
same folder, then ``os.replace``).
"""
import base64
import datetime as _dt
import html
import io
import json
import math
import os
import platform
import tempfile
import time

import numpy as np
import pandas as pd

from ..errors import Canceled, InputError

from ..vocabulary import (
    DRIVER_COLOURS, NO_TYPE_COLOUR, NO_TYPE_LABEL, OTHER_DRIVER_COLOURS, PERIOD_COLOURS, PERIODS, SPLIT_COLOURS,
    SPLIT_LABELS, TYPE_COLOURS, TYPE_LABELS, TYPE_VALUES,
)

METRIC_COLUMNS = ("n_obs", "nse_train", "nse_val", "nse_test", "kge_test", "rmse_test", "bias_test")
DRIVER_COLUMNS = ("dom_drv", "dom_frz", "dom_thw", "dom_unf")

DPI = 80
MAX_PLOT_POINTS = 3000  # per line in a well figure; longer series are thinned for drawing only


def type_label(value):
    """The legend label of a dynamics type (words, not the field value)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
        return NO_TYPE_LABEL
    return TYPE_LABELS.get(str(value), str(value))


def type_colour(value):
    return TYPE_COLOURS.get(str(value), NO_TYPE_COLOUR) if value is not None else NO_TYPE_COLOUR


# -- input normalisation ---------------------------------------------------------------------------------------
def _frame(df, name, required):
    if df is None:
        return None
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(
            f"the {name} table lacks the column(s) {', '.join(missing)}; columns present: "
            f"{', '.join(map(str, df.columns)) or '(none)'}",
            field=missing[0], fix=f"pass the {name} table written by the analysis (data contract)")
    out = df.copy()
    out["well_id"] = out["well_id"].astype(str)
    return out


def _numeric(df, cols):
    for c in cols:
        if c in df.columns:
            df[c] = pd.to_numeric(df[c], errors="coerce")
    return df


def _dates(df, cols):
    for c in cols:
        if c in df.columns:
            df[c] = pd.to_datetime(df[c], errors="coerce")
    return df


def _skipped_reasons(wells, skipped):
    reasons = {}
    if wells is not None and "status" in wells.columns:
        for wid, status in zip(wells["well_id"], wells["status"]):
            s = "" if status is None or (isinstance(status, float) and math.isnan(status)) else str(status)
            if s and s.lower() != "ok":
                reasons[wid] = s.split(":", 1)[1].strip() if s.lower().startswith("skipped") and ":" in s else s
    for wid, reason in (skipped or {}).items():
        reasons[str(wid)] = str(reason)
    return reasons


# -- figures ---------------------------------------------------------------------------------------------------
def _figure(width_in, height_in):
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


def _runs(dates, labels):
    """Contiguous runs of equal labels: list of (label, start, end) with end = the last date of the run."""
    if len(labels) == 0:
        return []
    labels = np.asarray(labels, dtype=object)
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change - 1, [len(labels) - 1]])
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
        for label, start, end in _runs(sim["date"].to_numpy(), sim["period"].astype(str).to_numpy()):
            if label in spans:
                spans[label].append((pd.Timestamp(start), pd.Timestamp(end) + one_day))
    return spans


def _thin(n):
    step = max(1, int(math.ceil(n / MAX_PLOT_POINTS)))
    return slice(None, None, step)


def well_figure(well_id, sim, attribution=None, periods=None, lags=None):
    """One PNG per well: levels (observed, simulated, ensemble spread, splits, frozen periods) on top;
    attribution per driver and period, and by lag when given, below. Returns PNG bytes."""
    import matplotlib.dates as mdates

    has_attr = attribution is not None and len(attribution) > 0
    has_lags = lags is not None and len(lags) > 0
    fig = _figure(11.0, 6.0 if (has_attr or has_lags) else 3.2)
    if has_attr or has_lags:
        gs = fig.add_gridspec(2, 2 if (has_attr and has_lags) else 1, height_ratios=[1.25, 1.0],
                              left=0.07, right=0.985, top=0.92, bottom=0.09, hspace=0.45, wspace=0.22)
        ax = fig.add_subplot(gs[0, :])
    else:
        gs = None
        ax = fig.add_axes([0.07, 0.13, 0.915, 0.74])

    sim = sim.sort_values("date")
    x = mdates.date2num(sim["date"].to_numpy())
    spans = _period_spans(sim, periods, well_id)
    xa = ax.get_xaxis_transform()
    for label in ("freezing", "thawing"):
        if spans[label]:
            ranges = [(mdates.date2num(np.datetime64(s, "ns")),
                       mdates.date2num(np.datetime64(e, "ns")) - mdates.date2num(np.datetime64(s, "ns")))
                      for s, e in spans[label]]
            ax.broken_barh(ranges, (0.06, 0.94), transform=xa, facecolors=PERIOD_COLOURS[label], alpha=0.16,
                           linewidth=0, label=label, zorder=0)
    if "split" in sim.columns:
        for split, start, end in _runs(x, sim["split"].astype(str).to_numpy()):
            colour = SPLIT_COLOURS.get(split, "#dddddd")
            ax.broken_barh([(start, max(end - start, 1.0))], (0.0, 0.045), transform=xa, facecolors=colour,
                           linewidth=0, zorder=1)
            ax.text(start + (end - start) / 2, 0.05, SPLIT_LABELS.get(split, split), transform=xa,
                    ha="center", va="bottom", fontsize=7, color="#555555", zorder=5)
            if start > x[0]:
                ax.axvline(start, color="#777777", lw=0.6, ls="--", zorder=1)

    sl = _thin(len(sim))
    if {"lower", "upper"} <= set(sim.columns):
        lo, up = sim["lower"].to_numpy(float), sim["upper"].to_numpy(float)
        if np.isfinite(lo).any() and np.isfinite(up).any():
            ax.fill_between(x[sl], lo[sl], up[sl], color="#555555", alpha=0.28, linewidth=0, label="ensemble spread",
                            zorder=2)
    if "simulated" in sim.columns:
        ax.plot(x[sl], sim["simulated"].to_numpy(float)[sl], color="#D55E00", lw=0.9, label="simulated", zorder=3)
    if "observed" in sim.columns:
        obs = sim["observed"].to_numpy(float)
        ok = np.isfinite(obs)
        xo, yo = x[ok], obs[ok]
        so = _thin(len(xo))
        ax.plot(xo[so], yo[so], ".", color="#000000", ms=1.6, label="observed", zorder=4)
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
        ax.legend(handles, labels, fontsize=8, loc="lower right", ncol=5, frameon=False,
                  bbox_to_anchor=(1.0, 0.99), borderaxespad=0.1, handlelength=1.5, columnspacing=1.2)

    col = 0
    if has_attr:
        _attribution_axes(fig.add_subplot(gs[1, col]), attribution)
        col += 1
    if has_lags:
        _lag_axes(fig.add_subplot(gs[1, col]), lags)
    return figure_png(fig)


def _level_limits(sim):
    """y limits from the levels only (the shaded spans must not stretch the axis), with room for the strip."""
    vals = [sim[c].to_numpy(float) for c in ("observed", "simulated", "lower", "upper") if c in sim.columns]
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
    drivers = _ordered(attr["driver"].astype(str), ("precip", "temp", "pet", "river", "pumping"))
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
    for driver in _ordered(lags["driver"].astype(str), ("precip", "temp", "pet", "river", "pumping")):
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
    fig = _figure(11.0, 3.0)
    ax1 = fig.add_axes([0.25, 0.17, 0.27, 0.72])
    ax2 = fig.add_axes([0.62, 0.17, 0.36, 0.72])
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
    return figure_png(fig)


# -- HTML ------------------------------------------------------------------------------------------------------
_CSS = """
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;margin:0;color:#222;background:#fff;font-size:14px}
header{background:#0b3d5c;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;font-size:13px;opacity:.9}
nav{padding:6px 24px;background:#eef3f6;font-size:13px} nav a{margin-right:16px;color:#0b3d5c}
main{padding:0 24px 40px;max-width:1200px}
h2{border-bottom:2px solid #0b3d5c;padding-bottom:3px;margin-top:28px}
h3{margin:22px 0 4px;font-size:16px}
img{max-width:100%;height:auto;display:block}
img.map{border:1px solid #ccc;max-width:900px}
table{border-collapse:collapse;font-size:12px;margin:8px 0}
.scroll{overflow-x:auto;max-width:100%}
th,td{border:1px solid #d0d7dc;padding:2px 6px;text-align:left;vertical-align:top}
#wells-table td{white-space:nowrap} #wells-table td.skip{white-space:normal;min-width:14em}
th{background:#eef3f6}
table.sortable th{cursor:pointer;user-select:none;white-space:nowrap}
table.sortable th.asc:after{content:" \\25B2"} table.sortable th.desc:after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.sw{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px;border:1px solid #555}
.counts span{display:inline-block;margin-right:18px}
.muted{color:#666} .skip{color:#a33}
section.well{border-top:1px solid #ddd;margin-top:10px}
dl.kv{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:6px 0}
dl.kv dt{font-weight:bold} dl.kv dd{margin:0;white-space:pre-wrap;font-family:monospace;font-size:12px}
"""

_JS = """
(function(){
  function key(td){var v=td.getAttribute('data-v');if(v===null){v=td.textContent;}
    var n=parseFloat(v);return (v!==''&&isFinite(n)&&String(n)===String(Number(v)))?[0,n]:[v===''?2:1,v.toLowerCase()];}
  function cmp(a,b){if(a[0]!==b[0]){return a[0]-b[0];}return a[1]<b[1]?-1:(a[1]>b[1]?1:0);}
  var tables=document.querySelectorAll('table.sortable');
  for(var t=0;t<tables.length;t++){(function(table){
    var ths=table.querySelectorAll('thead th');
    for(var i=0;i<ths.length;i++){(function(th,col){
      th.addEventListener('click',function(){
        var asc=!th.classList.contains('asc');
        for(var j=0;j<ths.length;j++){ths[j].classList.remove('asc','desc');}
        th.classList.add(asc?'asc':'desc');
        var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(r1,r2){var c=cmp(key(r1.cells[col]),key(r2.cells[col]));return asc?c:-c;});
        for(var k=0;k<rows.length;k++){body.appendChild(rows[k]);}
      });})(ths[i],i);}
  })(tables[t]);}
  document.documentElement.className+=' js';
})();
"""

_FLOAT_FORMATS = {"n_obs": "{:.0f}", "dyn_conf": "{:.2f}", "rmse_test": "{:.3f}", "bias_test": "{:.3f}"}


def _esc(value):
    return html.escape("" if value is None else str(value), quote=True)


def _is_missing(v):
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT


def _fmt(col, v):
    if _is_missing(v):
        return ""
    if isinstance(v, (float, np.floating)):
        text = _FLOAT_FORMATS.get(col, "{:.2f}").format(float(v))
        return text[1:] if text.startswith("-") and not text.strip("-0.") else text
    if isinstance(v, (np.integer,)):
        return str(int(v))
    return str(v)


def _img(png, alt, cls=""):
    data = base64.b64encode(png).decode("ascii")
    c = f' class="{cls}"' if cls else ""
    return f'<img{c} alt="{_esc(alt)}" src="data:image/png;base64,{data}">'


def _kv(mapping):
    if not mapping:
        return '<p class="muted">(not recorded)</p>'
    rows = []
    for k, v in mapping.items():
        if isinstance(v, (dict, list, tuple)):
            v = json.dumps(v, indent=1, default=str, ensure_ascii=False)
        rows.append(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>")
    return '<dl class="kv">' + "".join(rows) + "</dl>"


def _duration(seconds):
    try:
        s = float(seconds)
    except (TypeError, ValueError):
        return str(seconds)
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.2f} h"


def _versions():
    out = {"python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__}
    try:
        import matplotlib

        out["matplotlib"] = matplotlib.__version__
    except Exception:  # pragma: no cover - matplotlib is required to draw
        pass
    return out


def _slug(i):
    return f"well-{i}"


def _wells_table(wells, anchors, skipped):
    share_cols = [c for c in wells.columns if str(c).startswith("sh_")]
    cols = ["well_id", "status", "dyn_type", "dyn_conf"] + [c for c in METRIC_COLUMNS] + list(DRIVER_COLUMNS) \
        + share_cols + ["eg_qual"]
    cols = [c for c in cols if c in wells.columns or c in ("well_id",)]
    head_names = {"well_id": "well", "dyn_type": "dynamics type", "dyn_conf": "confidence", "dom_drv": "dominant",
                  "dom_frz": "dom. freezing", "dom_thw": "dom. thawing", "dom_unf": "dom. unfrozen",
                  "n_obs": "observations", "eg_qual": "EG check"}
    head = "".join(f"<th>{_esc(head_names.get(c, c))}</th>" for c in cols)
    body = []
    for _, row in wells.iterrows():
        wid = row["well_id"]
        cells = []
        for c in cols:
            v = row.get(c)
            if c == "well_id":
                link = anchors.get(wid)
                inner = f'<a href="#{link}">{_esc(wid)}</a>' if link else _esc(wid)
                cells.append(f'<td data-v="{_esc(wid)}">{inner}</td>')
            elif c == "dyn_type":
                label = type_label(None if _is_missing(v) else v)
                cells.append(f'<td data-v="{_esc("" if _is_missing(v) else v)}"><span class="sw" '
                             f'style="background:{type_colour(None if _is_missing(v) else v)}"></span>'
                             f'{_esc(label)}</td>')
            elif c == "status":
                s = "" if _is_missing(v) else str(v)
                cls = ' class="skip"' if s and s.lower() != "ok" else ""
                cells.append(f"<td{cls}>{_esc(s)}</td>")
            elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                raw = "" if _is_missing(v) else repr(float(v))
                cells.append(f'<td class="num" data-v="{raw}">{_esc(_fmt(c, v))}</td>')
            else:
                cells.append(f"<td>{_esc(_fmt(c, v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table class="sortable" id="wells-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>'
            '<p class="muted">Click a column heading to sort. NSE: Nash\u2013Sutcliffe efficiency (1 is perfect, 0 '
            'is no better than the mean); KGE: Kling\u2013Gupta efficiency; RMSE and bias in metres; shares '
            '(sh_*) are each driver\'s share of the absolute attribution.</p>')


def _well_info(row):
    if row is None:
        return ""
    parts = []
    t = row.get("dyn_type")
    if not _is_missing(t) and str(t).strip():
        parts.append(type_label(t))
    for col, name in (("nse_test", "NSE test"), ("kge_test", "KGE test")):
        v = row.get(col)
        if not _is_missing(v):
            try:
                parts.append(f"{name} {_fmt(col, float(v))}")
            except (TypeError, ValueError):
                pass
    return ", ".join(parts)


def write_report(path, wells_df, simulation_df, attribution_df=None, periods_df=None, lags_df=None, *,
                 run_info=None, map_png=None, skipped=None, title="Groundwater LSTM report",
                 max_well_figures=500, progress=None, is_canceled=None):
    """Write the self-contained HTML report to ``path`` (atomically) and return a summary dict.

    wells_df: one row per well (``well_id`` and any of status, n_obs, nse_*, kge_test, rmse_test, bias_test,
    dom_*, sh_*, dyn_type, dyn_conf). simulation_df: well_id, date, observed, simulated, lower, upper, split,
    period. attribution_df: well_id, period, driver, mean_signed, mean_abs, share. periods_df: well_id, winter,
    freeze_start, thaw_start, thaw_end. lags_df: well_id, driver, lag, value (or the explanation's well_id, period, driver, lag, mean_signed,
    mean_abs: the mean absolute profile over the periods is drawn). run_info: a dict; the keys
    ``inputs``, ``roles``, ``parameters``, ``versions``, ``seeds``, ``time_taken_s`` get their own rows, any
    other key is listed as it is. map_png: PNG bytes of the styled map. skipped: {well_id: reason}, merged with
    the ``status`` of wells that are not 'ok'. At most ``max_well_figures`` wells get a figure (the first in
    table order), which bounds the file size for very large networks.

    Returns {'path', 'wells', 'figures', 'bytes', 'seconds'}.
    """
    t0 = time.perf_counter()
    progress = progress or (lambda fraction, message=None: None)
    is_canceled = is_canceled or (lambda: False)
    wells = _frame(wells_df, "wells", ["well_id"])
    sim = _frame(simulation_df, "simulation", ["well_id", "date"])
    attr = _frame(attribution_df, "attribution", ["well_id", "period", "driver"])
    periods = _frame(periods_df, "periods", ["well_id"])
    if lags_df is not None and "value" not in lags_df.columns and "mean_abs" in lags_df.columns:
        # the explanation's lag table (per period, mean_signed/mean_abs): the profile of absolute attribution
        lags_df = (lags_df[lags_df["driver"] != "season"]
                   .assign(mean_abs=lambda d: pd.to_numeric(d["mean_abs"], errors="coerce"))
                   .groupby(["well_id", "driver", "lag"], as_index=False)["mean_abs"].mean()
                   .rename(columns={"mean_abs": "value"}))
    lags = _frame(lags_df, "lags", ["well_id", "driver", "lag", "value"])
    if sim is None:
        sim = pd.DataFrame(columns=["well_id", "date"])
    _numeric(wells, METRIC_COLUMNS + ("dyn_conf",) + tuple(c for c in wells.columns if str(c).startswith("sh_")))
    _numeric(sim, ("observed", "simulated", "lower", "upper"))
    _dates(sim, ("date",))
    sim = sim[sim["date"].notna()]
    if attr is not None:
        _numeric(attr, ("mean_signed", "mean_abs", "share"))
    if periods is not None:
        _dates(periods, ("freeze_start", "thaw_start", "thaw_end"))
    run_info = dict(run_info or {})
    reasons = _skipped_reasons(wells, skipped)

    # wells present only in the tables (not in the layer) still get a section
    extra = [w for w in pd.unique(sim["well_id"]) if w not in set(wells["well_id"])]
    if extra:
        wells = pd.concat([wells, pd.DataFrame({"well_id": extra})], ignore_index=True)

    sims = {w: g for w, g in sim.groupby("well_id", sort=False)}
    attrs = {w: g for w, g in attr.groupby("well_id", sort=False)} if attr is not None else {}
    lagg = {w: g for w, g in lags.groupby("well_id", sort=False)} if lags is not None else {}
    anchors = {w: _slug(i) for i, w in enumerate(wells["well_id"])}
    rows = {w: r for w, r in zip(wells["well_id"], wells.to_dict("records"))}

    progress(0.0, "Drawing the network figure")
    parts = []
    n_total = len(wells)
    n_skipped = sum(1 for w in wells["well_id"] if w in reasons)
    nse = pd.to_numeric(wells.get("nse_test", pd.Series(dtype=float)), errors="coerce").dropna()
    summary = f"{n_total} wells: {n_total - n_skipped} analysed, {n_skipped} skipped."
    if len(nse):
        summary += f" Median test NSE {float(np.median(nse)):.2f} over {len(nse)} wells."

    # -- the network -------------------------------------------------------------------------------------------
    parts.append('<section id="network"><h2>The network</h2>')
    if map_png:
        parts.append(_img(map_png, "Map of the wells styled by dynamics type", "map"))
        parts.append('<p class="muted">Colour: dynamics type; symbol size grows with the test NSE; '
                     'backdrop: QGIS world map (Natural Earth).</p>')
    counts = wells["dyn_type"].value_counts(dropna=True) if "dyn_type" in wells.columns else pd.Series(dtype=int)
    parts.append('<p class="counts">' + "".join(
        f'<span><span class="sw" style="background:{type_colour(t)}"></span>{_esc(type_label(t))}: '
        f'<b>{int(counts.get(t, 0))}</b></span>'
        for t in list(TYPE_VALUES) + [t for t in counts.index if t not in TYPE_VALUES]) + "</p>")
    parts.append(_img(network_figure(wells), "Wells per dynamics type and distribution of the test NSE", "net"))
    parts.append("<h3>Every well</h3>")
    parts.append(_wells_table(wells, anchors, reasons))
    parts.append("</section>")

    # -- each well ---------------------------------------------------------------------------------------------
    parts.append('<section id="wells"><h2>Each well</h2>')
    parts.append('<p class="muted">Top: observed levels (dots), the simulated level (line) and the grey band of the '
                 'ensemble members; the strip at the bottom marks the training, validation and test years; '
                 'blue shading: freezing period, orange shading: thawing period. Below: each driver\'s share '
                 'of the absolute expected-gradient attribution in each period (the sign of its mean effect '
                 'above the bar), and the attribution by lag when it was computed.</p>')
    n_fig = 0
    ids = list(wells["well_id"])
    for i, wid in enumerate(ids):
        if is_canceled():
            raise Canceled("report canceled")
        progress(0.05 + 0.9 * i / max(len(ids), 1), f"Drawing well {wid} ({i + 1}/{len(ids)})")
        row = rows.get(wid)
        parts.append(f'<section class="well" id="{anchors[wid]}"><h3>{_esc(wid)}</h3>')
        info = _well_info(row)
        if info:
            parts.append(f"<p>{_esc(info)}</p>")
        if wid in reasons:
            parts.append(f'<p class="skip">Skipped: {_esc(reasons[wid])}</p>')
        g = sims.get(wid)
        if g is not None and len(g) and n_fig < max_well_figures:
            png = well_figure(wid, g, attrs.get(wid), periods, lagg.get(wid))
            parts.append(_img(png, f"Levels and attribution of well {wid}", "well-fig"))
            n_fig += 1
        elif g is not None and len(g):
            parts.append(f'<p class="muted">Figure left out: the report draws at most {max_well_figures} '
                         "wells.</p>")
        elif wid not in reasons:
            parts.append('<p class="muted">No simulated levels for this well.</p>')
        parts.append("</section>")
    parts.append("</section>")

    # -- the run -----------------------------------------------------------------------------------------------
    parts.append('<section id="run"><h2>The run</h2>')
    known = [("inputs", "Inputs"), ("roles", "Driver roles"), ("parameters", "Parameters"), ("seeds", "Seeds")]
    for key, name in known:
        parts.append(f"<h3>{name}</h3>" + _kv(run_info.get(key) if isinstance(run_info.get(key), dict)
                                             else ({key: run_info[key]} if key in run_info else None)))
    versions = dict(_versions())
    if isinstance(run_info.get("versions"), dict):
        versions.update(run_info["versions"])
    parts.append("<h3>Versions</h3>" + _kv(versions))
    timing = {}
    if "time_taken_s" in run_info:
        timing["time taken"] = _duration(run_info["time_taken_s"])
    for k in ("started", "finished"):
        if k in run_info:
            timing[k] = run_info[k]
    parts.append("<h3>Time</h3>" + _kv(timing))
    other = {k: v for k, v in run_info.items()
             if k not in {"inputs", "roles", "parameters", "seeds", "versions", "time_taken_s", "started",
                          "finished"}}
    if other:
        parts.append("<h3>Other</h3>" + _kv(other))
    parts.append(f"<h3>Skipped wells ({len(reasons)})</h3>")
    if reasons:
        parts.append("<table><thead><tr><th>well</th><th>reason</th></tr></thead><tbody>" + "".join(
            f"<tr><td>{_esc(w)}</td><td>{_esc(r)}</td></tr>" for w, r in reasons.items()) + "</tbody></table>")
    else:
        parts.append('<p class="muted">None: every well was analysed.</p>')
    parts.append("</section>")

    stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    doc = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{_esc(title)}</h1><p>{_esc(summary)} Written {_esc(stamp)}.</p></header>"
        '<nav><a href="#network">Network</a><a href="#wells">Each well</a><a href="#run">The run</a></nav>'
        f"<main>{''.join(parts)}</main><script>{_JS}</script></body></html>\n"
    )
    progress(0.97, "Writing the report")
    _write_atomic(path, doc)
    progress(1.0, "Report written")
    return {"path": str(path), "wells": n_total, "figures": n_fig, "bytes": len(doc.encode("utf-8")),
            "seconds": time.perf_counter() - t0}


def _write_atomic(path, text):
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html.tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise



def demo_frames(n_wells=6, years=4, seed=0, drivers=("precip", "temp", "pet", "river", "pumping"), lags=True):
    """Frames shaped exactly like the data contract, with real-looking values, for previews and tests.

    Returns dict(wells, simulation, attribution, periods, lags). The last well is skipped (status
    'skipped: ...', no simulation) so that every part of the report has something to show.
    """
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2010-01-01")
    dates = pd.date_range(start, periods=int(years * 365.25), freq="D")
    doy = dates.dayofyear.to_numpy()
    n_days = len(dates)
    split = np.where(np.arange(n_days) < 0.6 * n_days, "train",
                     np.where(np.arange(n_days) < 0.8 * n_days, "val", "test"))
    winters = range(dates[0].year - 1, dates[-1].year + 1)
    types = list(TYPE_VALUES)
    wells, sims, attrs, pers, lag_rows = [], [], [], [], []
    for i in range(n_wells):
        wid = f"SN{i + 1:03d}"
        dyn = types[i % len(types)]
        period_rows = []
        for w in winters:
            fs = pd.Timestamp(year=w, month=11, day=5) + pd.Timedelta(days=int(rng.integers(-8, 9)))
            ts = pd.Timestamp(year=w + 1, month=3, day=20) + pd.Timedelta(days=int(rng.integers(-8, 9)))
            te = ts + pd.Timedelta(days=int(rng.integers(35, 55)))
            period_rows.append((wid, w, fs, ts, te))
        label = np.full(n_days, "unfrozen", dtype=object)
        for _, _, fs, ts, te in period_rows:
            label[(dates >= fs) & (dates < ts)] = "freezing"
            label[(dates >= ts) & (dates < te)] = "thawing"
        base = 140.0 + rng.normal(0, 10)
        season = 0.6 * np.sin(2 * np.pi * (doy - 120) / 365.25) + 0.05 * np.arange(n_days) / 365.25
        truth = base + season + np.cumsum(rng.normal(0, 0.01, n_days))
        sim = truth + rng.normal(0, 0.08, n_days)
        spread = 0.10 + 0.05 * rng.random()
        observed = truth + rng.normal(0, 0.03, n_days)
        observed[rng.random(n_days) < 0.75] = np.nan  # weekly-ish readings with gaps
        skipped = i == n_wells - 1 and n_wells > 2
        metrics = dict(n_obs=int(np.isfinite(observed).sum()), nse_train=round(0.9 - 0.05 * rng.random(), 3),
                       nse_val=round(0.8 - 0.2 * rng.random(), 3), nse_test=round(0.85 - 0.9 * rng.random(), 3),
                       kge_test=round(0.8 - 0.5 * rng.random(), 3), rmse_test=round(0.1 + 0.2 * rng.random(), 3),
                       bias_test=round(rng.normal(0, 0.05), 3))
        shares = rng.dirichlet(np.ones(len(drivers)))
        order = [drivers[j] for j in np.argsort(-shares)]
        row = dict(well_id=wid, status="ok", **metrics, dom_drv=order[0], dom_frz=order[1 % len(order)],
                   dom_thw=order[0], dom_unf=order[0],
                   **{f"sh_{d}"[:10]: round(float(s), 3) for d, s in zip(drivers, shares)},
                   eg_qual=round(0.9 + 0.1 * rng.random(), 3), dyn_type=dyn, dyn_conf=round(rng.random(), 2))
        if skipped:
            row = dict(well_id=wid, status="skipped: only 12 level readings (at least 100 needed)", n_obs=12)
        wells.append(row)
        if skipped:
            continue
        sims.append(pd.DataFrame({"well_id": wid, "date": dates, "observed": observed, "simulated": sim,
                                  "lower": sim - spread, "upper": sim + spread, "split": split, "period": label}))
        for period in PERIODS:
            sh = rng.dirichlet(np.ones(len(drivers)))
            for d, s in zip(drivers, sh):
                mean_abs = float(s) * 0.2
                attrs.append((wid, period, d, float(mean_abs * rng.choice([-1, 1]) * rng.random()), mean_abs,
                              float(s)))
        pers.extend(period_rows)
        if lags:
            for d in drivers:
                scale, decay = rng.random(), 5 + 40 * rng.random()
                for lag in range(0, 181, 5):
                    lag_rows.append((wid, d, lag, float(scale * np.exp(-lag / decay))))
    return {
        "wells": pd.DataFrame(wells),
        "simulation": pd.concat(sims, ignore_index=True),
        "attribution": pd.DataFrame(attrs, columns=["well_id", "period", "driver", "mean_signed", "mean_abs",
                                                    "share"]),
        "periods": pd.DataFrame(pers, columns=["well_id", "winter", "freeze_start", "thaw_start", "thaw_end"]),
        "lags": pd.DataFrame(lag_rows, columns=["well_id", "driver", "lag", "value"]) if lags else None,
    }
