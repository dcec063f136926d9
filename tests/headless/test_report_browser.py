"""Headless tier: stylewells and wellreport through the real qgis_process.bin, the report in a real browser.

The browser is Debian's ``chromium`` (apt-get install -y chromium). Without it the browser test is skipped
with the reason, except under CI (CI=true), where a missing browser is a failure.
"""
import os
import re
import shutil
import sqlite3
import subprocess

import pytest

from groundwater_lstm.core import vocabulary
from report_frames import demo_frames

URL = re.compile(r"(?:https?|ftp)://", re.IGNORECASE)
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def write_wells_gpkg(path, wells):
    """The wells as a GeoPackage point layer, written with GDAL (no QGIS in this process)."""
    from osgeo import ogr, osr

    ogr.UseExceptions()
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    layer = ds.CreateLayer("wells", srs, ogr.wkbPoint)
    cols = [c for c in wells.columns if c not in ("x", "y")]
    for c in cols:
        kind = wells[c].dtype.kind
        layer.CreateField(ogr.FieldDefn(c, ogr.OFTReal if kind == "f" else
                                        ogr.OFTInteger64 if kind in "iu" else ogr.OFTString))
    for _, row in wells.iterrows():
        feat = ogr.Feature(layer.GetLayerDefn())
        for c in cols:
            v = row[c]
            if v is not None and v == v:
                feat.SetField(c, v.item() if hasattr(v, "item") else v)
        feat.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({row['x']} {row['y']})"))
        layer.CreateFeature(feat)
    ds = None
    return path


@pytest.fixture(scope="module")
def frames():
    f = demo_frames(n_wells=5, years=3, seed=21)
    f["wells"]["x"] = [123.5 + 0.45 * i for i in range(len(f["wells"]))]
    f["wells"]["y"] = [45.5 + 0.3 * (i % 3) for i in range(len(f["wells"]))]
    return f


def chromium():
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("chromium is not installed but CI is set: install it (apt-get install -y chromium)")
    pytest.skip("chromium is not installed (apt-get install -y chromium); the browser check needs it")


def open_in_browser(browser, html, tmp_path, screenshot=None, dump_dom=False):
    """Run headless chromium on ``html``; returns (stdout, stderr). Never touches the network."""
    profile = tmp_path / "chromium-profile"
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
           f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--window-size=1280,2000"]
    cmd += [f"--screenshot={screenshot}"] if screenshot else []
    cmd += ["--dump-dom"] if dump_dom else []
    cmd.append(html.resolve().as_uri())
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return proc.stdout, proc.stderr


def console_errors(stderr):
    """Lines where the page itself reported a problem (JavaScript errors, failed loads, console errors)."""
    bad = []
    for line in stderr.splitlines():
        if "Uncaught" in line or ("CONSOLE" in line and re.search(r"error|failed|refused", line, re.I)) \
                or "ERR_FILE_NOT_FOUND" in line or "net::ERR_" in line:
            bad.append(line)
    return bad


def test_stylewells_under_qgis_process(qgis_process, tmp_path, frames):
    gpkg = write_wells_gpkg(tmp_path / "wells.gpkg", frames["wells"])
    result = qgis_process.run_json("stylewells", {"INPUT": gpkg})
    assert set(result["results"]) == {"OUTPUT"}
    assert str(gpkg) in result["results"]["OUTPUT"]
    with sqlite3.connect(gpkg) as con:
        rows = con.execute("select styleName, useAsDefault, styleQML from layer_styles "
                           "where f_table_name='wells'").fetchall()
    default = [qml for name, use, qml in rows if use == 1]
    assert len(default) == 1 and len(rows) == 2
    qml = default[0]
    assert 'type="categorizedSymbol"' in qml and 'attr="dyn_type"' in qml
    for t in vocabulary.TYPE_VALUES:
        assert f'value="{t}"' in qml
        assert vocabulary.TYPE_LABELS[t] in qml
    assert 'fieldName="well_id"' in qml
    # again on the same file: replaced, not duplicated, and no modal "overwrite?" question hangs the run
    qgis_process.run_json("stylewells", {"INPUT": gpkg}, timeout=120)
    with sqlite3.connect(gpkg) as con:
        assert con.execute("select count(*) from layer_styles").fetchone()[0] == 2


def test_stylewells_without_types_fails_clearly(qgis_process, tmp_path, frames):
    gpkg = write_wells_gpkg(tmp_path / "raw.gpkg", frames["wells"].drop(columns=["dyn_type"]))
    proc = qgis_process("run", "groundwaterlstm:stylewells", "--", f"INPUT={gpkg}", timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Classify dynamics" in out and "Traceback" not in out


def test_report_under_qgis_process_renders_in_chromium(qgis_process, tmp_path, frames, artifacts_dir):
    browser = chromium()
    gpkg = write_wells_gpkg(tmp_path / "wells.gpkg", frames["wells"])
    params = {"WELLS": gpkg}
    for key, name in (("SIMULATION", "simulation"), ("ATTRIBUTION", "attribution"), ("PERIODS", "periods"),
                      ("LAGS", "lags")):
        path = tmp_path / f"{name}.csv"
        frames[name].to_csv(path, index=False)
        params[key] = path
    html = tmp_path / "report.html"
    params["REPORT"] = html
    result = qgis_process.run_json("wellreport", params)
    assert result["results"]["REPORT"] == str(html)
    text = html.read_text(encoding="utf-8")
    assert not URL.search(text)
    for wid in frames["wells"]["well_id"]:
        assert f">{wid}<" in text
    n_sim = frames["simulation"]["well_id"].nunique()
    assert text.count('class="well-fig"') == n_sim == len(frames["wells"]) - 1
    assert text.count('class="map"') == 1

    shot = tmp_path / "report.png"
    _, stderr = open_in_browser(browser, html, tmp_path, screenshot=shot)
    assert shot.is_file() and shot.stat().st_size > 20000, stderr[-3000:]
    assert not console_errors(stderr), "\n".join(console_errors(stderr))
    shutil.copyfile(shot, artifacts_dir / "report_chromium.png")
    shutil.copyfile(html, artifacts_dir / "report_headless.html")
    # the inline script ran to its end (it marks <html class="js">), and the page holds every figure
    dom, stderr = open_in_browser(browser, html, tmp_path, dump_dom=True)
    assert re.search(r'<html[^>]*class="[^"]*\bjs\b', dom), dom[:500]
    assert dom.count('class="well-fig"') == n_sim
    assert not console_errors(stderr), "\n".join(console_errors(stderr))


def test_console_error_check_catches_a_broken_page(tmp_path):
    """The check above is not vacuous: a page with a JavaScript error is caught."""
    browser = chromium()
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><p>x</p><script>noSuchFunction();</script></body></html>")
    _, stderr = open_in_browser(browser, page, tmp_path, dump_dom=True)
    assert console_errors(stderr), stderr[-2000:]
