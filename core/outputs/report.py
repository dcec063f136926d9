"""The report: one self-contained HTML file that opens offline, for people who would rather look than read.

Three sections: the network (the map, counts per type, the NSE distribution, the sortable table of every well),
each well (its figure, figures.py) and the run (inputs, settings, versions, time, skipped wells). Images are
base64 PNG data URIs; the page has no external reference (html.py). It is written atomically.
"""
import datetime as _dt
import math
import time

import numpy as np
import pandas as pd

from ..errors import Canceled, InputError
from ..explanation import crosscheck
from ..vocabulary import BASELINE_FIELDS, DOMINANT_FIELDS, PERIODS, SCORE_FIELDS, SEASON, TYPE_VALUES
from .figures import network_figure, type_colour, type_label, well_figure
from .html import CSS, JS, duration, esc, fmt, img, is_missing, kv, versions, write_atomic

MAX_WELL_FIGURES = 500  # wells drawn in one report: beyond, a report of thousands of wells would not open
CROSSCHECK_FIELDS = crosscheck.WELL_FIELDS  # with the Pastas baseline: the explanation checked against it
METRIC_COLUMNS = ("n_obs", *SCORE_FIELDS, *BASELINE_FIELDS)  # the last three with the Pastas baseline only


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


# -- the sections --------------------------------------------------------------------------------------------
def _slug(i):
    return f"well-{i}"


def _wells_table(wells, anchors, skipped):
    share_cols = [c for c in wells.columns if str(c).startswith("sh_")]
    cols = ["well_id", "status", "dyn_type", "dyn_conf"] + [c for c in METRIC_COLUMNS] + list(DOMINANT_FIELDS) \
        + share_cols + ["eg_qual", *CROSSCHECK_FIELDS]
    cols = [c for c in cols if c in wells.columns or c in ("well_id",)]
    head_names = {"well_id": "well", "dyn_type": "dynamics type", "dyn_conf": "confidence", "dom_drv": "dominant",
                  "dom_frz": "dom. freezing", "dom_thw": "dom. thawing", "dom_unf": "dom. unfrozen",
                  "n_obs": "observations", "eg_qual": "EG check", "nse_tfn": "NSE Pastas", "kge_tfn": "KGE Pastas",
                  "lstm_gain": "LSTM \u2212 Pastas", "tfn_agree": "EG\u2013Pastas agreement",
                  "tfn_differ": "dominant differs from Pastas in"}
    head = "".join(f"<th>{esc(head_names.get(c, c))}</th>" for c in cols)
    body = []
    for _, row in wells.iterrows():
        wid = row["well_id"]
        cells = []
        for c in cols:
            v = row.get(c)
            if c == "well_id":
                link = anchors.get(wid)
                inner = f'<a href="#{link}">{esc(wid)}</a>' if link else esc(wid)
                cells.append(f'<td data-v="{esc(wid)}">{inner}</td>')
            elif c == "dyn_type":
                label = type_label(None if is_missing(v) else v)
                cells.append(f'<td data-v="{esc("" if is_missing(v) else v)}"><span class="sw" '
                             f'style="background:{type_colour(None if is_missing(v) else v)}"></span>'
                             f'{esc(label)}</td>')
            elif c == "status":
                s = "" if is_missing(v) else str(v)
                cls = ' class="skip"' if s and s.lower() != "ok" else ""
                cells.append(f"<td{cls}>{esc(s)}</td>")
            elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                raw = "" if is_missing(v) else repr(float(v))
                cells.append(f'<td class="num" data-v="{raw}">{esc(fmt(c, v))}</td>')
            else:
                cells.append(f"<td>{esc(fmt(c, v))}</td>")
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
    if not is_missing(t) and str(t).strip():
        parts.append(type_label(t))
    for col, name in (("nse_test", "NSE test"), ("kge_test", "KGE test"), ("nse_tfn", "Pastas NSE test")):
        v = row.get(col)
        if not is_missing(v):
            try:
                parts.append(f"{name} {fmt(col, float(v))}")
            except (TypeError, ValueError):
                pass
    return ", ".join(parts)


def write_report(path, wells_df, simulation_df, attribution_df=None, periods_df=None, lags_df=None, *,
                 run_info=None, map_png=None, skipped=None, title="Groundwater LSTM report",
                 max_well_figures=MAX_WELL_FIGURES, progress=None, is_canceled=None):
    """Write the self-contained HTML report to ``path`` (atomically) and return a summary dict.

    wells_df: one row per well (``well_id`` and any of status, n_obs, nse_*, kge_test, rmse_test, bias_test,
    dom_*, sh_*, dyn_type, dyn_conf). simulation_df: well_id, date, observed, simulated, lower, upper, split,
    period. attribution_df: well_id, period, driver, mean_signed, mean_abs, share. periods_df: well_id, winter,
    freeze_start, thaw_start, thaw_end. lags_df: well_id, driver, lag, value (or the explanation's well_id,
    period, driver, lag, mean_signed, mean_abs: the mean absolute profile over the periods is drawn). run_info:
    a dict; the keys ``inputs``, ``roles``, ``parameters``, ``versions``, ``seeds``, ``time_taken_s`` get their
    own rows, any other key is listed as it is. map_png: PNG bytes of the styled map. skipped: {well_id: reason},
    merged with the ``status`` of wells that are not 'ok'. At most ``max_well_figures`` wells get a figure (the
    first in table order), which bounds the file size for very large networks.

    Returns {'path', 'wells', 'figures', 'bytes', 'seconds'}.
    """
    t0 = time.perf_counter()
    progress = progress or (lambda fraction, message=None: None)
    tables = _Tables.read(wells_df, simulation_df, attribution_df, periods_df, lags_df, skipped)
    progress(0.0, "Drawing the network figure")
    network = _network_section(tables, map_png)
    wells, n_fig = _wells_section(tables, max_well_figures, progress, is_canceled or (lambda: False))
    doc = _document(title, _summary(tables), network + wells + _run_section(dict(run_info or {}), tables.reasons))
    progress(0.97, "Writing the report")
    write_atomic(path, doc)
    progress(1.0, "Report written")
    return {"path": str(path), "wells": len(tables.wells), "figures": n_fig, "bytes": len(doc.encode("utf-8")),
            "seconds": time.perf_counter() - t0}


class _Tables:
    """The report's inputs, checked and typed, and grouped by well."""

    @classmethod
    def read(cls, wells_df, simulation_df, attribution_df, periods_df, lags_df, skipped):
        t = cls()
        wells = _frame(wells_df, "wells", ["well_id"])
        sim = _frame(simulation_df, "simulation", ["well_id", "date"])
        attr = _frame(attribution_df, "attribution", ["well_id", "period", "driver"])
        t.periods = _frame(periods_df, "periods", ["well_id"])
        lags = _frame(_lag_profile(lags_df), "lags", ["well_id", "driver", "lag", "value"])
        if sim is None:
            sim = pd.DataFrame(columns=["well_id", "date"])
        _numeric(wells, METRIC_COLUMNS + ("dyn_conf",) + tuple(c for c in wells.columns if str(c).startswith("sh_")))
        _numeric(sim, ("observed", "simulated", "lower", "upper"))
        _dates(sim, ("date",))
        sim = sim[sim["date"].notna()]
        if attr is not None:
            _numeric(attr, ("mean_signed", "mean_abs", "share"))
        if t.periods is not None:
            _dates(t.periods, ("freeze_start", "thaw_start", "thaw_end"))
        t.reasons = _skipped_reasons(wells, skipped)
        # wells present only in the tables (not in the layer) still get a section
        extra = [w for w in pd.unique(sim["well_id"]) if w not in set(wells["well_id"])]
        if extra:
            wells = pd.concat([wells, pd.DataFrame({"well_id": extra})], ignore_index=True)
        t.wells = wells
        t.sims = dict(tuple(sim.groupby("well_id", sort=False)))
        t.attrs = dict(tuple(attr.groupby("well_id", sort=False))) if attr is not None else {}
        t.lags = dict(tuple(lags.groupby("well_id", sort=False))) if lags is not None else {}
        t.anchors = {w: _slug(i) for i, w in enumerate(wells["well_id"])}
        t.rows = dict(zip(wells["well_id"], wells.to_dict("records")))
        return t


def _lag_profile(lags_df):
    """The explanation's lag table (per period, mean_signed/mean_abs) as the profile of absolute attribution
    over the periods; a table already in (well_id, driver, lag, value) as it is."""
    if lags_df is None or "value" in lags_df.columns or "mean_abs" not in lags_df.columns:
        return lags_df
    return (lags_df[lags_df["driver"] != "season"]
            .assign(mean_abs=lambda d: pd.to_numeric(d["mean_abs"], errors="coerce"))
            .groupby(["well_id", "driver", "lag"], as_index=False)["mean_abs"].mean()
            .rename(columns={"mean_abs": "value"}))


def _summary(tables):
    wells = tables.wells
    n_skipped = sum(1 for w in wells["well_id"] if w in tables.reasons)
    nse = pd.to_numeric(wells.get("nse_test", pd.Series(dtype=float)), errors="coerce").dropna()
    text = f"{len(wells)} wells: {len(wells) - n_skipped} analysed, {n_skipped} skipped."
    if len(nse):
        text += f" Median test NSE {float(np.median(nse)):.2f} over {len(nse)} wells."
    if "lstm_gain" in wells.columns:
        both = wells[["nse_test", "nse_tfn", "lstm_gain"]].apply(pd.to_numeric, errors="coerce").dropna()
        if len(both):
            text += (f" Beside the Pastas model of each well (the same split and drivers): the LSTM wins on "
                     f"{int((both['lstm_gain'] > 0).sum())} of {len(both)} wells, median test NSE "
                     f"{float(both['nse_test'].median()):.2f} against {float(both['nse_tfn'].median()):.2f}.")
    if "tfn_differ" in wells.columns:
        checked = wells[pd.to_numeric(wells["tfn_agree"], errors="coerce").notna()]
        if len(checked):
            same = int((checked["tfn_differ"].fillna("").astype(str) == "").sum())
            text += (f" The explanation names the same dominant stress as the Pastas contributions in every period "
                     f"on {same} of {len(checked)} wells (median agreement "
                     f"{float(pd.to_numeric(checked['tfn_agree']).median()):.2f}).")
    return text


def _network_section(tables, map_png):
    wells = tables.wells
    parts = ['<section id="network"><h2>The network</h2>']
    if map_png:
        parts.append(img(map_png, "Map of the wells styled by dynamics type", "map"))
        parts.append('<p class="muted">Colour: dynamics type; symbol size grows with the test NSE; '
                     'backdrop: QGIS world map (Natural Earth).</p>')
    counts = wells["dyn_type"].value_counts(dropna=True) if "dyn_type" in wells.columns else pd.Series(dtype=int)
    parts.append('<p class="counts">' + "".join(
        f'<span><span class="sw" style="background:{type_colour(t)}"></span>{esc(type_label(t))}: '
        f'<b>{int(counts.get(t, 0))}</b></span>'
        for t in list(TYPE_VALUES) + [t for t in counts.index if t not in TYPE_VALUES]) + "</p>")
    parts.append(img(network_figure(wells), "Wells per dynamics type and distribution of the test NSE", "net"))
    parts.append("<h3>Every well</h3>")
    parts.append(_wells_table(wells, tables.anchors, tables.reasons))
    parts.append("</section>")
    return parts


_WELLS_LEGEND = (
    '<p class="muted">Top: observed levels (dots), the simulated level (line) and the grey band of the ensemble '
    'members (with the baseline, the Pastas model of the well as a dashed blue line); the strip at the bottom '
    'marks the training, validation and test years; blue shading: freezing '
    'period, orange shading: thawing period. Below: each driver\'s share of the absolute expected-gradient '
    'attribution in each period (the sign of its mean effect above the bar), and the attribution by lag when it '
    'was computed. A period is ambiguous (two drivers named, as pumping|pet) when its winner leads the runner-up '
    'by less than the stated margin (ambiguity_margin, a tenth of its share by default), or when two halves of '
    'the explained days name different winners: the drivers move together and the data cannot tell them '
    'apart.</p>')


def _wells_section(tables, max_well_figures, progress, is_canceled):
    """One section per well, with its figure for the first ``max_well_figures``; returns (parts, n_figures)."""
    parts = ['<section id="wells"><h2>Each well</h2>', _WELLS_LEGEND]
    n_fig = 0
    ids = list(tables.wells["well_id"])
    for i, wid in enumerate(ids):
        if is_canceled():
            raise Canceled("report canceled")
        progress(0.05 + 0.9 * i / max(len(ids), 1), f"Drawing well {wid} ({i + 1}/{len(ids)})")
        parts.append(f'<section class="well" id="{tables.anchors[wid]}"><h3>{esc(wid)}</h3>')
        info = _well_info(tables.rows.get(wid))
        if info:
            parts.append(f"<p>{esc(info)}</p>")
        contests = _contests(tables.attrs.get(wid))
        if contests:
            parts.append(f'<p class="contest">{esc(contests)}</p>')
        checked = _crosscheck_line(tables.attrs.get(wid))
        if checked:
            parts.append(f'<p class="contest">{esc(checked)}</p>')
        if wid in tables.reasons:
            parts.append(f'<p class="skip">Skipped: {esc(tables.reasons[wid])}</p>')
        g = tables.sims.get(wid)
        if g is not None and len(g) and n_fig < max_well_figures:
            png = well_figure(wid, g, tables.attrs.get(wid), tables.periods, tables.lags.get(wid))
            parts.append(img(png, f"Levels and attribution of well {wid}", "well-fig"))
            n_fig += 1
        elif g is not None and len(g):
            parts.append(f'<p class="muted">Figure left out: the report draws at most {max_well_figures} '
                         "wells.</p>")
        elif wid not in tables.reasons:
            parts.append('<p class="muted">No simulated levels for this well.</p>')
        parts.append("</section>")
    parts.append("</section>")
    return parts, n_fig


_RUN_KEYS = (("inputs", "Inputs"), ("roles", "Driver roles"), ("parameters", "Parameters"), ("seeds", "Seeds"))
_TIME_KEYS = ("time_taken_s", "started", "finished")


def _contests(attr):
    """How clearly each period's dominant driver leads: its margin over the runner-up and the members' vote,
    and which periods the data cannot decide (from the attribution table's margin, mbr_agree, ambiguous)."""
    if attr is None or "margin" not in attr.columns:
        return ""
    parts = []
    for period in PERIODS:
        g = attr[(attr["period"].astype(str) == period) & (attr["driver"].astype(str) != SEASON)]
        g = g[pd.to_numeric(g["share"], errors="coerce").notna()]
        if len(g) < 1:
            continue
        ranked = g.sort_values("share", ascending=False)["driver"].astype(str).tolist()
        margin = pd.to_numeric(g["margin"], errors="coerce").iloc[0]
        members = pd.to_numeric(g.get("mbr_agree", pd.Series([np.nan])), errors="coerce").iloc[0]
        ambiguous = bool(pd.to_numeric(g.get("ambiguous", pd.Series([0])), errors="coerce").fillna(0).iloc[0])
        vote = "" if not np.isfinite(members) else f", {members:.0%} of the members agree"
        lead = "" if not np.isfinite(margin) else f"leads by {margin:.0%}"
        if ambiguous and len(ranked) > 1:
            parts.append(f"{period}: ambiguous, {ranked[0]} or {ranked[1]} ({lead}{vote})")
        else:
            parts.append(f"{period}: {ranked[0]} ({lead}{vote})")
    return "Dominant driver per period: " + "; ".join(parts) + "." if parts else ""


def _crosscheck_line(attr):
    """The explanation beside the Pastas contributions, per period (the attribution table's tfn_* columns)."""
    if attr is None or "tfn_share" not in attr.columns:
        return ""
    parts = []
    for period in PERIODS:
        g = attr[attr["period"].astype(str) == period]
        tfn = {str(k): float(v) for k, v in zip(g["tfn_stress"], pd.to_numeric(g["tfn_share"], errors="coerce"))
               if k and isinstance(k, str) and np.isfinite(v)}
        result = crosscheck.compare(dict(zip(g["driver"].astype(str), pd.to_numeric(g["share"], errors="coerce"))), tfn)
        if result is None:
            continue
        agreement, eg, ps = result
        said = f"both {eg}" if eg == ps else f"EG {eg}, Pastas {ps}: they differ"
        parts.append(f"{period}: {said} (agreement {agreement:.2f})")
    return ("Dominant stress, expected gradients against the Pastas contributions: " + "; ".join(parts) + "."
            if parts else "")


def _run_section(run_info, reasons):
    parts = ['<section id="run"><h2>The run</h2>']
    for key, name in _RUN_KEYS:
        value = run_info.get(key)
        parts.append(f"<h3>{name}</h3>" + kv(value if isinstance(value, dict)
                                             else ({key: value} if key in run_info else None)))
    known = dict(versions())
    if isinstance(run_info.get("versions"), dict):
        known.update(run_info["versions"])
    parts.append("<h3>Versions</h3>" + kv(known))
    timing = {"time taken": duration(run_info["time_taken_s"])} if "time_taken_s" in run_info else {}
    timing.update({k: run_info[k] for k in _TIME_KEYS[1:] if k in run_info})
    parts.append("<h3>Time</h3>" + kv(timing))
    listed = {k for k, _ in _RUN_KEYS} | {"versions", *_TIME_KEYS}
    other = {k: v for k, v in run_info.items() if k not in listed}
    if other:
        parts.append("<h3>Other</h3>" + kv(other))
    parts.append(f"<h3>Skipped wells ({len(reasons)})</h3>")
    if reasons:
        parts.append("<table><thead><tr><th>well</th><th>reason</th></tr></thead><tbody>" + "".join(
            f"<tr><td>{esc(w)}</td><td>{esc(r)}</td></tr>" for w, r in reasons.items()) + "</tbody></table>")
    else:
        parts.append('<p class="muted">None: every well was analysed.</p>')
    parts.append("</section>")
    return parts


def _document(title, summary, parts):
    stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{esc(title)}</h1><p>{esc(summary)} Written {esc(stamp)}.</p></header>"
        '<nav><a href="#network">Network</a><a href="#wells">Each well</a><a href="#run">The run</a></nav>'
        f"<main>{''.join(parts)}</main><script>{JS}</script></body></html>\n"
    )
