"""Plugin (GUI) tier: real QGIS widgets offscreen with pytest-qgis's ``qgis_iface``.

``analysis_gpkg`` builds an analysis output the way DESIGN.md section 2 and plugin/analysis_output.py describe
it: a GeoPackage with the output wells layer, the simulation and attribution tables, the freeze-thaw calendar
and the ``gwlstm_run`` record as analysewells writes it (processing/run_record.py). When the real
pipeline (``groundwaterlstm:analysewells``) exists, this fixture can be switched to run it on the sample
network: the tests read their expectations back from the files with sqlite3, not from this builder.
"""
import datetime as dt
import math

import pytest
from groundwater_lstm.processing import compat

DRIVERS = ("precip", "temp", "pet", "river", "pumping")
PERIODS = ("freezing", "thawing", "unfrozen")
WELLS = (("W1", 125.10, 46.60), ("W2", 125.30, 46.75), ("W3", 125.55, 46.52))
START, DAYS = dt.date(2016, 1, 1), 3 * 365


def _period_of(day):
    md = (day.month, day.day)
    if md >= (11, 15) or md <= (3, 10):
        return "freezing"
    if md <= (4, 30):
        return "thawing"
    return "unfrozen"


def _write(gpkg, name, fields, rows, points=None, overwrite_file=False):
    """Write ``rows`` (lists of values in ``fields`` order) as layer ``name`` of ``gpkg`` with QGIS's writer."""
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsFeature,
        QgsFields,
        QgsGeometry,
        QgsPointXY,
        QgsVectorFileWriter,
        QgsVectorLayer,
    )
    from qgis.PyQt.QtCore import QDate

    kinds = {"str": "string", "int": "int", "float": "double", "date": "date"}
    qfields = QgsFields()
    for fname, ftype in fields:
        qfields.append(compat.make_field(fname, kinds[ftype]))
    geom = "Point?crs=EPSG:4326" if points is not None else "None"
    mem = QgsVectorLayer(geom, name, "memory")
    mem.dataProvider().addAttributes(qfields.toList())
    mem.updateFields()
    feats = []
    for i, row in enumerate(rows):
        f = QgsFeature(mem.fields())
        f.setAttributes([QDate(v.year, v.month, v.day) if isinstance(v, dt.date) else
                         (None if isinstance(v, float) and math.isnan(v) else v) for v in row])
        if points is not None:
            f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(*points[i])))
        feats.append(f)
    assert mem.dataProvider().addFeatures(feats)[0]
    opts = QgsVectorFileWriter.SaveVectorOptions()
    opts.driverName = "GPKG"
    opts.layerName = name
    opts.actionOnExistingFile = (compat.OVERWRITE_FILE if overwrite_file
                                 else compat.OVERWRITE_LAYER)
    if points is not None:
        mem.setCrs(QgsCoordinateReferenceSystem("EPSG:4326"))
    err = compat.write_vector(mem, str(gpkg), opts)
    assert not err, err


def write_run_table(gpkg, record):
    """The ``gwlstm_run`` key/value table, as analysewells writes it."""
    _write(gpkg, "gwlstm_run", [("key", "str"), ("value", "str")], [[k, v] for k, v in record.items()])


def build_analysis_output(folder, record_style="gpkg"):
    """An analysis output GeoPackage in ``folder``; returns its path.

    record_style: 'gpkg' (every key in gwlstm_run, bare layer names), 'id_field' (the same, with the wells'
    ID field named ``code``, as a run given another ID field writes it), 'none' (the output fields but no record).
    """
    folder.mkdir(parents=True, exist_ok=True)
    gpkg = folder / "analysis.gpkg"
    share_fields = [(f"sh_{d}", "float") for d in DRIVERS]
    wfields = [("code" if record_style == "id_field" else "well_id", "str"), ("status", "str"), ("n_obs", "int"), ("nse_train", "float"),
               ("nse_val", "float"), ("nse_test", "float"), ("kge_test", "float"), ("rmse_test", "float"),
               ("bias_test", "float"), ("dom_drv", "str"), ("dom_frz", "str"), ("dom_thw", "str"),
               ("dom_unf", "str"), *share_fields, ("eg_qual", "float"), ("dyn_type", "str"), ("dyn_conf", "float")]
    types = ("infiltration-evaporation", "infiltration-runoff", "extraction")
    sim_rows, attr_rows, wrows, period_rows = [], [], [], []
    for w, (wid, _, _) in enumerate(WELLS):
        n_obs = 0
        for i in range(DAYS):
            day = START + dt.timedelta(days=i)
            doy = day.timetuple().tm_yday
            sim = 150.0 + w + 0.8 * math.sin(2 * math.pi * (doy - 80) / 365)
            observed = sim + 0.05 * math.sin(i * 1.7) if (i % (2 + w) == 0 and not 400 <= i < 460) else math.nan
            n_obs += not math.isnan(observed)
            split = "train" if i < 0.6 * DAYS else ("val" if i < 0.8 * DAYS else "test")
            sim_rows.append([wid, day, observed, sim, sim - 0.15, sim + 0.15, split, _period_of(day)])
        drivers = DRIVERS if wid == "W3" else DRIVERS[:4]
        shares = {}
        for p_i, period in enumerate(PERIODS):
            raw = [(k + 1.0 + p_i * (k % 2)) for k in range(len(drivers))]
            total = sum(raw)
            for d, r in zip(drivers, raw):
                signed = -r if d == "pumping" else r * (0.5 if d != "pet" else -0.3)
                attr_rows.append([wid, period, d, signed / 100, r / 100, r / total])
                shares[d] = shares.get(d, 0) + r / total / len(PERIODS)
        for year in (2016, 2017):
            period_rows.append([wid, year, dt.date(year, 11, 15), dt.date(year + 1, 3, 11), dt.date(year + 1, 5, 1)])
        dom = max(shares, key=shares.get)
        wrows.append([wid, "ok", n_obs, 0.91 - 0.1 * w, 0.8 - 0.1 * w, 0.74 - 0.1 * w, 0.7 - 0.05 * w, 0.12 + w / 50,
                      0.01 * (w - 1), dom, dom, "temp", "precip",
                      *[shares.get(d, math.nan) for d in DRIVERS], 0.93, types[w], 0.8 - 0.1 * w])
    # a well the run skipped: a feature with its status, no simulation or attribution rows
    wrows.append(["W4", "skipped: 12 observations, at least 100 needed", 12, *[math.nan] * 6, None, None, None, None,
                  *[math.nan] * len(DRIVERS), math.nan, None, math.nan])
    points = [(x, y) for _, x, y in WELLS] + [(125.8, 46.9)]
    _write(gpkg, "wells", wfields, wrows, points=points, overwrite_file=True)
    _write(gpkg, "simulation", [("well_id", "str"), ("date", "date"), ("observed", "float"), ("simulated", "float"),
                                ("lower", "float"), ("upper", "float"), ("split", "str"), ("period", "str")], sim_rows)
    _write(gpkg, "attribution", [("well_id", "str"), ("period", "str"), ("driver", "str"),
                                 ("mean_signed", "float"), ("mean_abs", "float"), ("share", "float")], attr_rows)
    _write(gpkg, "periods", [("well_id", "str"), ("winter", "int"), ("freeze_start", "date"),
                             ("thaw_start", "date"), ("thaw_end", "date")], period_rows)
    model = folder / "model"
    model.mkdir(exist_ok=True)
    if record_style in ("gpkg", "id_field"):
        write_run_table(gpkg, {"model_folder": "model", "simulation": "simulation", "attribution": "attribution",
                               "periods": "periods", "wells": "wells",
                               "well_id_field": "code" if record_style == "id_field" else "well_id"})
    return gpkg


@pytest.fixture
def build_output(qgis_app):
    """``build_analysis_output`` for tests that need a variant (another record style)."""
    return build_analysis_output


@pytest.fixture(scope="session")
def analysis_gpkg(qgis_app, tmp_path_factory):
    """The analysis output GeoPackage (built once per session)."""
    return build_analysis_output(tmp_path_factory.mktemp("analysis"))


@pytest.fixture
def wells_layer(qgis_iface, analysis_gpkg):
    """The output wells layer, added to the project and made the active layer."""
    from qgis.core import QgsProject, QgsVectorLayer

    layer = QgsVectorLayer(f"{analysis_gpkg}|layername=wells", "analysed wells", "ogr")
    assert layer.isValid()
    QgsProject.instance().addMapLayer(layer)
    qgis_iface.setActiveLayer(layer)
    yield layer
    if QgsProject.instance().mapLayer(layer.id()) is not None:
        QgsProject.instance().removeMapLayer(layer.id())


@pytest.fixture
def dock(qgis_iface):
    """The well inspector dock, shown offscreen at a fixed size; cleaned up after the test."""
    from groundwater_lstm.plugin.inspector import WellInspectorDock

    widget = WellInspectorDock(qgis_iface)
    widget.resize(640, 940)
    widget.show()
    yield widget
    widget.cleanup()
    widget.close()
    widget.deleteLater()
