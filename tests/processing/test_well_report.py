"""groundwaterlstm:wellreport on real files: GeoPackage tables and CSV tables in, one HTML file out."""
import json
import re

import pytest
from qgis.core import (
    QgsProcessingException,
    QgsVectorFileWriter,
    QgsVectorLayer,
)

from groundwater_lstm.processing.qgis_io import fields_for, point_geometry, write_frame
from groundwater_lstm.processing import compat
from report_frames import demo_frames

URL = re.compile(r"(?:https?|ftp)://", re.IGNORECASE)


@pytest.fixture(scope="module")
def frames():
    f = demo_frames(n_wells=4, years=2, seed=9)
    f["wells"]["x"] = [124.0 + 0.4 * i for i in range(len(f["wells"]))]
    f["wells"]["y"] = [46.0 + 0.3 * i for i in range(len(f["wells"]))]
    return f


def _memory(frame, geometry=None):
    attrs = frame.drop(columns=[c for c in ("x", "y") if c in frame.columns])
    layer = QgsVectorLayer("Point?crs=EPSG:4326" if geometry is not None else "None", "t", "memory")
    fields = fields_for(attrs)
    layer.dataProvider().addAttributes(fields.toList())
    layer.updateFields()
    write_frame(attrs, layer.dataProvider(), fields, geometries=geometry)
    return layer


def _save(layer, path, name):
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    options.layerName = name
    if path.exists():
        options.actionOnExistingFile = compat.OVERWRITE_LAYER
    err = compat.write_vector(layer, str(path), options)
    assert not err, err
    return f"{path}|layername={name}"


@pytest.fixture
def outputs(qgis_app, tmp_path, frames):
    gpkg = tmp_path / "analysis.gpkg"
    wells = frames["wells"]
    uris = {"WELLS": _save(_memory(wells, [point_geometry(x, y) for x, y in zip(wells["x"], wells["y"])]),
                           gpkg, "wells")}
    for key, name in (("SIMULATION", "simulation"), ("ATTRIBUTION", "attribution"), ("PERIODS", "periods"),
                      ("LAGS", "lags")):
        uris[key] = _save(_memory(frames[name]), gpkg, name)
    return uris


def test_report_from_geopackage_tables(run_alg, outputs, tmp_path, frames):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({
        "kind": "groundwater-lstm-model", "format_version": 1, "created": "2026-01-02T03:04:05Z",
        "versions": {"torch": "2.13.0"}, "config": {"epochs": 17, "hidden": 24},
        "roles": {"precip": "precip", "temp": "temp"}, "drivers": ["precip", "temp"], "seeds": [7, 8],
        "skipped": {"ZZ9": "no level readings"}, "wells": {}}))
    path = tmp_path / "out" / "report.html"
    res = run_alg("wellreport", {**outputs, "MODEL_FOLDER": str(folder), "TITLE": "Songnen <test>",
                                 "REPORT": str(path)})
    assert res == {"REPORT": str(path)}
    text = path.read_text(encoding="utf-8")
    assert not URL.search(text)
    assert "Songnen &lt;test&gt;" in text
    for wid in frames["wells"]["well_id"]:
        assert f">{wid}<" in text
    assert text.count('class="well-fig"') == frames["simulation"]["well_id"].nunique() == 3
    assert text.count('class="map"') == 1  # the map, rendered by QGIS
    for needle in ("epochs", "17", "seeds", "torch", "ZZ9", "no level readings", "only 12 level readings",
                   "analysis.gpkg"):
        assert needle in text, needle


def test_report_from_csv_tables(run_alg, outputs, tmp_path, frames):
    csv = {}
    for key, name in (("SIMULATION", "simulation"), ("ATTRIBUTION", "attribution")):
        csv[key] = str(tmp_path / f"{name}.csv")
        frames[name].to_csv(csv[key], index=False)
    path = tmp_path / "report_csv.html"
    res = run_alg("wellreport", {"WELLS": outputs["WELLS"], **csv, "REPORT": str(path)})
    text = open(res["REPORT"], encoding="utf-8").read()
    assert text.count('class="well-fig"') == 3
    assert "Groundwater LSTM report" in text


def test_missing_well_id_is_a_clear_error(run_alg, outputs, tmp_path, frames):
    bad = tmp_path / "bad.csv"
    frames["simulation"].rename(columns={"well_id": "site"}).head(50).to_csv(bad, index=False)
    with pytest.raises(QgsProcessingException, match="well_id"):
        run_alg("wellreport", {"WELLS": outputs["WELLS"], "SIMULATION": str(bad),
                               "ATTRIBUTION": outputs["ATTRIBUTION"], "REPORT": str(tmp_path / "r.html")})
    assert not (tmp_path / "r.html").exists()
