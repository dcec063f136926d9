"""The HTML report on its own (no QGIS): self-contained, complete, escaped, written atomically."""
import base64
import os
import re

import pytest

from groundwater_lstm.core import vocabulary
from groundwater_lstm.core.outputs import figures, report
from report_frames import demo_frames
from groundwater_lstm.core.errors import Canceled, InputError

URL = re.compile(r"(?:https?|ftp)://|(?:src|href)\s*=\s*[\"']?(?!data:|#)[a-z][a-z0-9+.-]*:", re.IGNORECASE)


@pytest.fixture(scope="module")
def frames():
    return demo_frames(n_wells=4, years=2, seed=3)


def _write(tmp_path, frames, **kw):
    path = tmp_path / "report.html"
    summary = report.write_report(path, frames["wells"], frames["simulation"], frames["attribution"],
                                  frames["periods"], frames["lags"], **kw)
    return path, path.read_text(encoding="utf-8"), summary


def test_demo_frames_follow_the_data_contract(frames):
    assert {"well_id", "status", "n_obs", "nse_train", "nse_val", "nse_test", "kge_test", "rmse_test",
            "bias_test", "dom_drv", "dom_frz", "dom_thw", "dom_unf", "eg_qual", "dyn_type",
            "dyn_conf"} <= set(frames["wells"].columns)
    assert list(frames["simulation"].columns) == ["well_id", "date", "observed", "simulated", "lower", "upper",
                                                  "split", "period"]
    assert set(frames["simulation"]["split"]) == {"train", "val", "test"}
    assert set(frames["simulation"]["period"]) == {"freezing", "thawing", "unfrozen"}
    assert all(len(c) <= 10 for c in frames["wells"].columns)  # shapefile-safe


def test_report_is_self_contained_and_complete(tmp_path, frames):
    run_info = {"inputs": {"wells": "/data/wells.gpkg", "levels": "/data/levels.csv"},
                "roles": {"precip": "P", "temp": "T", "pet": None}, "parameters": {"epochs": 30, "hidden": 32},
                "seeds": [42, 43, 44], "versions": {"torch": "2.13.0"}, "time_taken_s": 754.2,
                "note": "unknown keys are listed too"}
    path, text, summary = _write(tmp_path, frames, run_info=run_info, map_png=_tiny_png(),
                                 skipped={"SN999": "no levels at all"})
    assert text.startswith("<!DOCTYPE html>")
    assert not URL.search(text), URL.search(text)
    assert "<link" not in text and "@import" not in text and "url(" not in text
    wells = frames["wells"]
    for wid in wells["well_id"]:
        assert f">{wid}<" in text
    ok = wells.loc[wells["status"] == "ok", "well_id"]
    assert text.count('class="well-fig"') == len(ok) == summary["figures"]
    assert text.count("<section class=\"well\"") == len(wells)
    assert 'class="map"' in text and 'class="net"' in text
    assert 'table class="sortable"' in text and "<script>" in text
    # every skipped well with its reason (from the status field and from the skipped dict)
    skipped = wells.loc[wells["status"] != "ok"].iloc[0]
    assert "only 12 level readings" in text and skipped["well_id"] in text
    assert "SN999" in text and "no levels at all" in text
    # the run section
    for needle in ("754", "12.6 min", "epochs", "42", "torch", "2.13.0", "unknown keys are listed too",
                   "matplotlib", "pandas"):
        assert needle in text, needle
    # type labels in words, not field values, with their colours
    for t in vocabulary.TYPE_VALUES:
        assert vocabulary.TYPE_LABELS[t] in text and vocabulary.TYPE_COLOURS[t] in text
    # images are real PNGs without the matplotlib URL hidden in their metadata
    for data in re.findall(r'src="data:image/png;base64,([^"]+)"', text):
        png = base64.b64decode(data)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"http" not in png
    assert summary["wells"] == len(wells) and summary["bytes"] == len(text.encode("utf-8"))
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left behind


def test_user_strings_are_escaped(tmp_path, frames):
    f = {k: (v.copy() if v is not None else None) for k, v in frames.items()}
    evil = "<script>alert('x')</script>&\""
    first = f["wells"]["well_id"].iloc[0]
    for key in ("wells", "simulation", "attribution", "periods", "lags"):
        f[key].loc[f[key]["well_id"] == first, "well_id"] = evil
    f["wells"].loc[f["wells"]["well_id"] == evil, "dom_drv"] = "<b>river</b>"
    _, text, summary = _write(tmp_path, f, run_info={"inputs": {"<i>wells</i>": "a<b>.gpkg"}},
                              skipped={"<x>": "bad & <worse>"})
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;&quot;" in text
    assert "<b>river</b>" not in text and "&lt;b&gt;river&lt;/b&gt;" in text
    assert "<i>wells</i>" not in text and "bad &amp; &lt;worse&gt;" in text
    assert text.count("<script>") == 1
    assert summary["figures"] == 3


def test_without_attribution_lags_or_periods(tmp_path, frames):
    path = tmp_path / "plain.html"
    summary = report.write_report(path, frames["wells"][["well_id", "status"]], frames["simulation"])
    text = path.read_text(encoding="utf-8")
    assert summary["figures"] == 3
    assert "Undetermined: <b>0</b>" in text  # no dyn_type at all: every type counted 0


def test_missing_column_is_named(tmp_path, frames):
    with pytest.raises(InputError, match="date"):
        report.write_report(tmp_path / "x.html", frames["wells"], frames["simulation"].drop(columns=["date"]))
    assert not (tmp_path / "x.html").exists()


def test_cancel_leaves_the_old_file_untouched(tmp_path, frames):
    path = tmp_path / "report.html"
    path.write_text("old", encoding="utf-8")
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(Canceled):
        report.write_report(path, frames["wells"], frames["simulation"], frames["attribution"],
                            is_canceled=cancel)
    assert path.read_text(encoding="utf-8") == "old"
    assert sorted(os.listdir(tmp_path)) == ["report.html"]


def test_strings_from_csv_tables_are_understood(tmp_path, frames):
    """Tables read through QGIS from CSV arrive as strings: dates and numbers are parsed, not drawn as text."""
    sim = frames["simulation"].astype(str)
    attr = frames["attribution"].astype(str)
    per = frames["periods"].astype(str)
    path = tmp_path / "csv.html"
    summary = report.write_report(path, frames["wells"].astype(str).replace({"nan": None}), sim, attr, per)
    assert summary["figures"] == 3


def test_figure_cap_bounds_large_networks(tmp_path, frames):
    path = tmp_path / "capped.html"
    summary = report.write_report(path, frames["wells"], frames["simulation"], max_well_figures=2)
    text = path.read_text(encoding="utf-8")
    assert summary["figures"] == 2 and text.count('class="well-fig"') == 2
    assert "draws at most 2 wells" in text


def _tiny_png():
    fig = figures.new_figure(1, 1)
    return figures.figure_png(fig)


def test_each_period_says_how_clearly_its_driver_leads(tmp_path, frames):
    path = tmp_path / "r.html"
    report.write_report(path, frames["wells"], frames["simulation"], frames["attribution"])
    text = path.read_text(encoding="utf-8")
    att = frames["attribution"]
    first = att[(att["well_id"] == "SN001") & (att["period"] == "freezing")].sort_values("share", ascending=False)
    a, b = first["driver"].iloc[:2]
    assert f"freezing: ambiguous, {a} or {b} (leads by {first['margin'].iloc[0]:.0%}, 60% of the members agree)" in text
    assert text.count("ambiguous, ") == 1  # only the period marked so
    assert "unfrozen: " in text
