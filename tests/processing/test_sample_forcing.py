"""groundwaterlstm:sampleforcing on real NetCDF and GeoTIFF stacks written here by GDAL, values checked exactly."""
import numpy as np
import pandas as pd
import pytest
from osgeo import gdal, osr
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QDate, QDateTime

# -- writing stacks -------------------------------------------------------------------------------------------------


def write_netcdf(path, var, data, lats, lons, time_values, time_units, calendar="gregorian", time_name="time",
                 fill=None, scale=None, offset=None, dtype=gdal.GDT_Float64, units=None):
    """A CF NetCDF like the ones CDS delivers: dims (time, latitude, longitude), no grid_mapping (so no CRS)."""
    drv = gdal.GetDriverByName("netCDF")
    ds = drv.CreateMultiDimensional(str(path))
    rg = ds.GetRootGroup()
    nt, ny, nx = data.shape
    dt = rg.CreateDimension(time_name, "TEMPORAL", None, nt)
    dy = rg.CreateDimension("latitude", "HORIZONTAL_Y", None, ny)
    dx = rg.CreateDimension("longitude", "HORIZONTAL_X", None, nx)
    f64 = gdal.ExtendedDataType.Create(gdal.GDT_Float64)

    def attr(arr, key, value):
        arr.CreateAttribute(key, [], gdal.ExtendedDataType.CreateString()).Write(value)

    tv = rg.CreateMDArray(time_name, [dt], f64)
    tv.Write(np.asarray(time_values, dtype=float))
    attr(tv, "units", time_units)
    attr(tv, "calendar", calendar)
    yv = rg.CreateMDArray("latitude", [dy], f64)
    yv.Write(np.asarray(lats, dtype=float))
    attr(yv, "units", "degrees_north")
    attr(yv, "standard_name", "latitude")
    xv = rg.CreateMDArray("longitude", [dx], f64)
    xv.Write(np.asarray(lons, dtype=float))
    attr(xv, "units", "degrees_east")
    attr(xv, "standard_name", "longitude")
    v = rg.CreateMDArray(var, [dt, dy, dx], gdal.ExtendedDataType.Create(dtype))
    if fill is not None:
        v.SetNoDataValueDouble(fill)
    if scale is not None:
        v.SetScale(scale)
    if offset is not None:
        v.SetOffset(offset)
    if units:
        attr(v, "units", units)
    v.Write(np.ascontiguousarray(data))
    ds = None
    return str(path)


def write_tif(path, data, gt, epsg=4326, nodata=None, dataset_md=None, band_mds=None, descriptions=None):
    """A multi-band GeoTIFF (float64), band i = data[i]."""
    nt, ny, nx = data.shape
    ds = gdal.GetDriverByName("GTiff").Create(str(path), nx, ny, nt, gdal.GDT_Float64)
    ds.SetGeoTransform(gt)
    if epsg:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        ds.SetProjection(srs.ExportToWkt())
    if dataset_md:
        ds.SetMetadata(dataset_md)
    for i in range(nt):
        b = ds.GetRasterBand(i + 1)
        if nodata is not None:
            b.SetNoDataValue(nodata)
        if band_mds:
            b.SetMetadata(band_mds[i])
        if descriptions:
            b.SetDescription(descriptions[i])
        b.WriteArray(data[i])
    ds = None
    return str(path)


def wells_layer(points, crs="EPSG:4326", name="wells"):
    """A memory point layer with field well_id; ``points`` {id: (x, y)} given in EPSG:4326, transformed to ``crs``."""
    layer = QgsVectorLayer(f"Point?crs={crs}&field=well_id:string", name, "memory")
    tr = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), QgsCoordinateReferenceSystem(crs),
                                QgsProject.instance())
    feats = []
    for wid, (x, y) in points.items():
        f = QgsFeature(layer.fields())
        f.setAttributes([wid])
        f.setGeometry(QgsGeometry.fromPointXY(tr.transform(QgsPointXY(x, y))))
        feats.append(f)
    layer.dataProvider().addFeatures(feats)
    assert layer.featureCount() == len(points)
    return layer


def read_table(path):
    layer = QgsVectorLayer(str(path), "t", "ogr")
    assert layer.isValid(), path
    names = layer.fields().names()
    rows = []
    for f in layer.getFeatures():
        row = {}
        for n in names:
            v = f[n]
            if isinstance(v, (QDate, QDateTime)):
                v = pd.Timestamp(v.toPyDate() if isinstance(v, QDate) else v.toPyDateTime())
            elif v is None or (hasattr(v, "isNull") and v.isNull()):
                v = np.nan
            row[n] = v
        rows.append(row)
    frame = pd.DataFrame(rows, columns=names)
    return frame.drop(columns=[c for c in ("fid",) if c in frame.columns])


class Recorder(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.warnings, self.infos = [], []

    def pushWarning(self, text):  # noqa: N802
        self.warnings.append(text)
        super().pushWarning(text)

    def pushInfo(self, text):  # noqa: N802
        self.infos.append(text)
        super().pushInfo(text)


@pytest.fixture
def sample(run_alg, tmp_path):
    """Run sampleforcing into a GeoPackage; returns (table, feedback)."""
    counter = {"n": 0}

    def _run(params):
        counter["n"] += 1
        out = tmp_path / f"forcing{counter['n']}.gpkg"
        fb = Recorder()
        defaults = {"WELL_ID_FIELD": "well_id", "FORCING_OUTPUT": str(out)}
        run_alg("sampleforcing", {**defaults, **params}, feedback=fb)
        return read_table(out), fb

    return _run


def by_well(table, col):
    return {w: g.sort_values("date")[col].to_numpy(float) for w, g in table.groupby("well_id")}


# -- ERA5-Land hourly NetCDF: deaccumulation, days, K -> degC, packed values, no CRS ---------------------------------
LATS = np.array([48.0, 47.5, 47.0])           # descending, as ERA5 files are
LONS = np.array([120.0, 120.5, 121.0, 121.5])
HOURS_1900 = 876576                           # 2000-01-01 00:00 in hours since 1900-01-01


def _era5_land_files(tmp_path):
    times = pd.date_range("2000-01-01 00:00", "2000-01-03 23:00", freq="h")  # as downloaded: 00..23, 3 days
    nt = len(times)
    rng = np.random.default_rng(3)
    # hourly amounts in units of 1e-5 m (0.01 mm), per cell, so that int16 packing is exact
    units_hourly = rng.integers(0, 40, size=(nt, 3, 4)) * (rng.random((nt, 3, 4)) < 0.3)
    acc_units = np.zeros_like(units_hourly)
    for i, t in enumerate(times):  # ERA5-Land: accumulation since 00 UTC; the hour after 00 UTC restarts it
        restart = (t - pd.Timedelta(hours=1)).hour == 0
        acc_units[i] = units_hourly[i] + (0 if restart or i == 0 else acc_units[i - 1])
    tp = write_netcdf(tmp_path / "tp.nc", "tp", acc_units.astype(np.int16), LATS, LONS,
                      HOURS_1900 + np.arange(nt), "hours since 1900-01-01 00:00:00.0", fill=-32767, scale=1e-5,
                      offset=0.0, dtype=gdal.GDT_Int16, units="m")
    # t2m packed as ERA5 did: raw * 0.01 + 273.15
    t_raw = rng.integers(-2500, 2500, size=(nt, 3, 4)).astype(np.int16)
    # stored with ascending latitudes (some tools write them so): GDAL must flip it to north-up
    t2m = write_netcdf(tmp_path / "t2m.nc", "t2m", t_raw[:, ::-1, :], LATS[::-1], LONS,
                       HOURS_1900 + np.arange(nt), "hours since 1900-01-01 00:00:00.0", fill=-32767, scale=0.01,
                       offset=273.15, dtype=gdal.GDT_Int16, units="K")
    # pev: negative accumulations (evaporation) in 1e-5 m
    pev_hourly = -rng.integers(0, 20, size=(nt, 3, 4))
    pev_acc = np.zeros_like(pev_hourly)
    for i, t in enumerate(times):
        restart = (t - pd.Timedelta(hours=1)).hour == 0
        pev_acc[i] = pev_hourly[i] + (0 if restart or i == 0 else pev_acc[i - 1])
    pev = write_netcdf(tmp_path / "pev.nc", "pev", pev_acc.astype(np.int16), LATS, LONS,
                       HOURS_1900 + np.arange(nt), "hours since 1900-01-01 00:00:00.0", fill=-32767, scale=1e-5,
                       offset=0.0, dtype=gdal.GDT_Int16, units="m")
    return times, units_hourly, t_raw, pev_hourly, tp, t2m, pev


def test_era5_land_hourly_netcdf_exact(sample, tmp_path):
    times, hourly, t_raw, pev_hourly, tp, t2m, pev = _era5_land_files(tmp_path)
    # wells on cell centres: (row, col) -> lon, lat
    cells = {"W1": (0, 0), "W2": (1, 2), "W3": (2, 3)}
    pts = {w: (LONS[c], LATS[r]) for w, (r, c) in cells.items()}
    pts["FAR"] = (130.0, 47.5)
    # the variable as QGIS loads it from a NetCDF (a layer object), and plain file paths
    tp_layer = QgsRasterLayer(f'NETCDF:"{tp}":tp', "tp", "gdal")
    assert tp_layer.isValid()
    table, fb = sample({"WELLS": wells_layer(pts), "PRECIP_RASTER": tp_layer, "TEMP_RASTER": t2m,
                        "EVAP_RASTER": pev, "UNITS": 0, "TIME_SOURCE": 0, "INTERPOLATION": 0})
    assert list(table.columns) == ["well_id", "date", "precip", "temp", "pet"]
    # precip days: 2000-01-01 (hours 01..24) and 01-02; 01-03 lacks its closing 00 UTC value -> dropped
    days = [pd.Timestamp("2000-01-01"), pd.Timestamp("2000-01-02")]
    assert sorted(table["well_id"].unique()) == ["W1", "W2", "W3"]
    for w, (r, c) in cells.items():
        t = table[table.well_id == w].sort_values("date")
        assert list(t["date"]) == days
        want_p = [hourly[1 + 24 * d: 25 + 24 * d, r, c].sum() * 1e-5 * 1000 for d in range(2)]
        np.testing.assert_allclose(t["precip"], want_p, rtol=0, atol=1e-9)
        want_t = [t_raw[24 * d: 24 * d + 24, r, c].mean() * 0.01 for d in range(2)]
        np.testing.assert_allclose(t["temp"], want_t, rtol=0, atol=1e-9)
        want_e = [max(0.0, -pev_hourly[1 + 24 * d: 25 + 24 * d, r, c].sum() * 1e-5 * 1000) for d in range(2)]
        np.testing.assert_allclose(t["pet"], want_e, rtol=0, atol=1e-9)
    assert any("'FAR'" in w and "outside" in w and "'tp'" in w for w in fb.warnings), fb.warnings
    assert any("EPSG:4326" in i and "latitude/longitude" in i for i in fb.infos), fb.infos
    assert any("dropped" in i and "1999-12-31" in i for i in fb.infos), fb.infos


def test_era5_land_time_from_metadata_on_geotiff_and_utc_offset(sample, tmp_path):
    """The NetCDF metadata as gdal_translate copies it into a GeoTIFF; the day shifted to UTC+8."""
    times, hourly, t_raw, _, tp, t2m, _ = _era5_land_files(tmp_path)
    tif = tmp_path / "t2m.tif"
    gdal.Translate(str(tif), gdal.Open(f'NETCDF:"{t2m}":t2m'), format="GTiff")
    md = gdal.Open(str(tif)).GetMetadata()
    assert md.get("time#units", "").startswith("hours since")
    pts = {"W1": (LONS[1], LATS[1])}
    table, _ = sample({"WELLS": wells_layer(pts), "PRECIP_RASTER": tp, "TEMP_RASTER": str(tif), "UNITS": 0,
                       "INTERPOLATION": 0, "UTC_OFFSET": 8})
    # local days start at 16:00 UTC: only 2000-01-01 local (1999-12-31 16:00 UTC..) is incomplete for temp;
    # precip hours (t-1h) + 8h: day 2000-01-01 local = UTC steps stamped 2000-01-01 17:00 .. 01-02 16:00
    t = table.sort_values("date")
    assert list(t["date"]) == [pd.Timestamp("2000-01-02"), pd.Timestamp("2000-01-03")]
    want_t = [t_raw[16 + 24 * d: 40 + 24 * d, 1, 1].mean() * 0.01 for d in range(2)]
    np.testing.assert_allclose(t["temp"], want_t, atol=1e-9)
    want_p = [hourly[17 + 24 * d: 41 + 24 * d, 1, 1].sum() * 1e-2 for d in range(2)]
    np.testing.assert_allclose(t["precip"], want_p, atol=1e-9)


# -- a linear field: bilinear exact, nearest the cell; other CRSs ------------------------------------------------------
GT = (120.0, 0.5, 0.0, 48.0, 0.0, -0.5)
NX, NY, NT = 8, 6, 5


def _linear_stack(a=3.0, b=-2.0, c=7.0):
    xs = GT[0] + GT[1] * (np.arange(NX) + 0.5)
    ys = GT[3] + GT[5] * (np.arange(NY) + 0.5)
    base = a * xs[None, :] + b * ys[:, None] + c
    return np.stack([base + 10.0 * k for k in range(NT)])


def _linear(x, y, k, a=3.0, b=-2.0, c=7.0):
    return a * x + b * y + c + 10.0 * k


INNER = {"A": (121.1, 47.3), "B": (122.76, 46.1), "C": (123.2, 45.52)}


@pytest.fixture
def linear_tifs(tmp_path):
    p = write_tif(tmp_path / "precip.tif", _linear_stack(), GT)
    t = write_tif(tmp_path / "temp.tif", _linear_stack(0.5, 1.0, -60.0), GT)
    return p, t


def _daily_params(p, t, **kw):
    return {"PRECIP_RASTER": p, "TEMP_RASTER": t, "UNITS": 3, "TIME_SOURCE": 1,
            "START_DATE": "2001-05-01T00:00:00", "STEP_HOURS": 24, **kw}


def test_bilinear_exact_on_linear_field_nearest_takes_cell(sample, linear_tifs):
    p, t = linear_tifs
    table, _ = sample({"WELLS": wells_layer(INNER), **_daily_params(p, t, INTERPOLATION=1)})
    assert list(table.sort_values("date")["date"].unique()) == list(pd.date_range("2001-05-01", periods=NT))
    got_p, got_t = by_well(table, "precip"), by_well(table, "temp")
    for w, (x, y) in INNER.items():
        np.testing.assert_allclose(got_p[w], [_linear(x, y, k) for k in range(NT)], rtol=0, atol=1e-9)
        np.testing.assert_allclose(got_t[w], [_linear(x, y, k, 0.5, 1.0, -60.0) for k in range(NT)], atol=1e-9)
    table, _ = sample({"WELLS": wells_layer(INNER), **_daily_params(p, t, INTERPOLATION=0)})
    got = by_well(table, "precip")
    for w, (x, y) in INNER.items():
        cx = GT[0] + GT[1] * (np.floor((x - GT[0]) / GT[1]) + 0.5)
        cy = GT[3] + GT[5] * (np.floor((y - GT[3]) / GT[5]) + 0.5)
        np.testing.assert_allclose(got[w], [_linear(cx, cy, k) for k in range(NT)], rtol=0, atol=1e-9)


@pytest.mark.parametrize("crs", ["EPSG:3857", "EPSG:32651"])
def test_wells_in_another_crs_give_the_same_values(sample, linear_tifs, crs):
    p, t = linear_tifs
    ref, _ = sample({"WELLS": wells_layer(INNER), **_daily_params(p, t)})
    other, _ = sample({"WELLS": wells_layer(INNER, crs), **_daily_params(p, t)})
    for col in ("precip", "temp"):
        a, b = by_well(ref, col), by_well(other, col)
        for w in INNER:
            np.testing.assert_allclose(b[w], a[w], rtol=0, atol=1e-6)


def test_grid_in_a_projected_crs(sample, tmp_path):
    """A UTM grid sampled at wells in EPSG:4326 (the points are transformed to the grid, never the grid)."""
    gt = (300000.0, 1000.0, 0.0, 5300000.0, 0.0, -1000.0)
    xs = gt[0] + gt[1] * (np.arange(20) + 0.5)
    ys = gt[3] + gt[5] * (np.arange(20) + 0.5)
    field = 0.001 * xs[None, :] + 0.002 * ys[:, None]
    stack = np.stack([field, field + 1])
    p = write_tif(tmp_path / "p_utm.tif", stack, gt, epsg=32651)
    tr = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:32651"), QgsCoordinateReferenceSystem("EPSG:4326"),
                                QgsProject.instance())
    ll = tr.transform(QgsPointXY(307300.0, 5288800.0))
    table, _ = sample({"WELLS": wells_layer({"U": (ll.x(), ll.y())}), **_daily_params(p, p, INTERPOLATION=1)})
    np.testing.assert_allclose(table.sort_values("date")["precip"], [0.001 * 307300 + 0.002 * 5288800 + k
                                                                     for k in range(2)], atol=1e-5)


# -- nodata, outside, missing information, mismatches ------------------------------------------------------------------
def test_time_from_dated_band_names(sample, tmp_path):
    """A GeoTIFF stack whose bands are named by their dates (as many exports do) needs no start date."""
    names = [f"2001050{k + 1}" for k in range(NT)]
    p = write_tif(tmp_path / "named.tif", _linear_stack(), GT, descriptions=names)
    table, fb = sample({"WELLS": wells_layer(INNER), "PRECIP_RASTER": p, "TEMP_RASTER": p, "UNITS": 3,
                        "TIME_SOURCE": 0, "INTERPOLATION": 1})
    assert list(table.sort_values("date")["date"].unique()) == list(pd.date_range("2001-05-01", periods=NT))
    assert any("band names" in i for i in fb.infos), fb.infos


def test_nodata_masked_bilinear_uses_valid_neighbours_and_days_reported(sample, tmp_path):
    data = _linear_stack()
    data[1:3, 2, 2] = -9999.0  # cell (row 2, col 2) is nodata on days 2 and 3
    data[1:3, 4, 6] = -9999.0  # and cell (4, 6)
    p = write_tif(tmp_path / "p_nd.tif", data, GT, nodata=-9999.0)
    t = write_tif(tmp_path / "t.tif", _linear_stack(), GT)
    centre = (GT[0] + 2.5 * GT[1], GT[3] + 2.5 * GT[5])        # the centre of cell (2, 2)
    between = (GT[0] + 3.0 * GT[1], GT[3] + 3.0 * GT[5])       # the corner shared by cells (2,2), (2,3), (3,2), (3,3)
    pts = {"CENTRE": centre, "BETWEEN": between, "NEAR": (GT[0] + 6.5 * GT[1], GT[3] + 4.5 * GT[5])}
    table, fb = sample({"WELLS": wells_layer(pts), **_daily_params(p, t, INTERPOLATION=1)})
    got = by_well(table, "precip")
    # the centre well: NaN on the nodata days (NULL in the table), never -9999
    want = np.array([_linear(*centre, k) for k in range(NT)])
    want[1:3] = np.nan
    np.testing.assert_allclose(got["CENTRE"], want, atol=1e-9)
    assert np.nanmin(table["precip"]) > -1000
    # bilinear between four cells: on days 2, 3 the three valid neighbours with renormalised weights
    x, y = between
    w = {(2, 2): 0.25, (2, 3): 0.25, (3, 2): 0.25, (3, 3): 0.25}
    for k in range(NT):
        valid = {rc: wt for rc, wt in w.items() if not (k in (1, 2) and rc == (2, 2))}
        v = sum(wt * data[k][rc] for rc, wt in valid.items()) / sum(valid.values())
        assert got["BETWEEN"][k] == pytest.approx(v, abs=1e-9)
    assert got["BETWEEN"][0] == pytest.approx(_linear(x, y, 0), abs=1e-9)
    msg = [m for m in fb.warnings if "'CENTRE'" in m and "precip" in m]
    assert msg and "2001-05-02..2001-05-03" in msg[0] and "2 day" in msg[0], fb.warnings
    assert not any("'BETWEEN'" in m for m in fb.warnings)
    assert any("'NEAR'" in m and "2001-05-02..2001-05-03" in m for m in fb.warnings)


def test_well_in_all_nodata_cells_is_skipped_and_named(sample, tmp_path):
    data = _linear_stack()
    data[:, 0, 0] = -9999.0  # a sea cell
    p = write_tif(tmp_path / "p_sea.tif", data, GT, nodata=-9999.0)
    pts = {"SEA": (GT[0] + 0.2, GT[3] - 0.2), "LAND": INNER["A"]}
    table, fb = sample({"WELLS": wells_layer(pts), **_daily_params(p, p, INTERPOLATION=0)})
    assert list(table["well_id"].unique()) == ["LAND"]
    assert any("'SEA'" in m and "no valid value" in m and "p_sea" in m for m in fb.warnings), fb.warnings


def test_well_outside_the_grid_is_skipped_and_named(sample, linear_tifs):
    p, t = linear_tifs
    pts = dict(INNER, OUT=(110.0, 40.0))
    table, fb = sample({"WELLS": wells_layer(pts), **_daily_params(p, t)})
    assert sorted(table["well_id"].unique()) == sorted(INNER)
    msg = [m for m in fb.warnings if "'OUT'" in m]
    assert msg and "outside" in msg[0] and "precipitation raster 'precip'" in msg[0] and "120" in msg[0]


def test_all_wells_outside_fails_clearly(run_alg, linear_tifs, tmp_path):
    p, t = linear_tifs
    with pytest.raises(QgsProcessingException, match="every well was skipped.*'OUT'.*outside"):
        run_alg("sampleforcing", {"WELLS": wells_layer({"OUT": (0.0, 0.0)}), "WELL_ID_FIELD": "well_id",
                                  **_daily_params(p, t), "FORCING_OUTPUT": str(tmp_path / "x.gpkg")})
    assert not (tmp_path / "x.gpkg").exists()


def _check(provider, params):
    from qgis.core import QgsProcessingContext

    alg = provider.algorithm("sampleforcing")
    ok, msg = alg.checkParameterValues(params, QgsProcessingContext())
    return ok, msg


def test_mismatched_band_counts_refused_before_the_run(provider, run_alg, tmp_path):
    p = write_tif(tmp_path / "p10.tif", np.ones((10, NY, NX)), GT)
    t = write_tif(tmp_path / "t11.tif", np.ones((11, NY, NX)), GT)
    params = {"WELLS": wells_layer(INNER), "WELL_ID_FIELD": "well_id", **_daily_params(p, t),
              "FORCING_OUTPUT": str(tmp_path / "x.gpkg")}
    ok, msg = _check(provider, params)
    assert not ok
    assert "'p10' has 10" in msg and "'t11' has 11" in msg and "Fix:" in msg
    with pytest.raises(QgsProcessingException, match="same number of bands"):
        run_alg("sampleforcing", params)


def test_different_time_axes_from_metadata_refused(provider, tmp_path):
    def tif(name, start, n):
        md = {"NETCDF_DIM_EXTRA": "{time}", "time#units": "days since 2000-01-01"}
        bands = [{"NETCDF_DIM_time": str(start + i)} for i in range(n)]
        return write_tif(tmp_path / name, np.ones((n, NY, NX)), GT, dataset_md=md, band_mds=bands)

    params = {"WELLS": wells_layer(INNER), "WELL_ID_FIELD": "well_id", "PRECIP_RASTER": tif("pa.tif", 0, 5),
              "TEMP_RASTER": tif("ta.tif", 2, 5), "UNITS": 3, "TIME_SOURCE": 0, "FORCING_OUTPUT": "memory:"}
    ok, msg = _check(provider, params)
    assert not ok
    assert "'pa'" in msg and "'ta'" in msg and "2000-01-01 to 2000-01-05" in msg and "2000-01-03 to 2000-01-07" in msg


def test_no_time_information_and_no_start_date(provider, linear_tifs):
    p, t = linear_tifs
    base = {"WELLS": wells_layer(INNER), "WELL_ID_FIELD": "well_id", "PRECIP_RASTER": p, "TEMP_RASTER": t,
            "UNITS": 3, "FORCING_OUTPUT": "memory:"}
    ok, msg = _check(provider, {**base, "TIME_SOURCE": 0})
    assert not ok and "'precip'" in msg and "no time information" in msg and "START_DATE" in msg
    ok, msg = _check(provider, {**base, "TIME_SOURCE": 1})
    assert not ok and "START_DATE" in msg and "no start date" in msg
    ok, msg = _check(provider, {**base, "TIME_SOURCE": 1, "START_DATE": "2001-01-01T00:00:00", "STEP_HOURS": 5})
    assert not ok and "does not divide a day" in msg


def test_raster_without_crs(provider, sample, tmp_path):
    p = write_tif(tmp_path / "nocrs.tif", _linear_stack(), GT, epsg=None)
    base = {"WELLS": wells_layer(INNER), "WELL_ID_FIELD": "well_id", **_daily_params(p, p)}
    ok, msg = _check(provider, {**base, "FORCING_OUTPUT": "memory:"})
    assert not ok and "'nocrs' has no CRS" in msg and "Fix:" in msg
    table, fb = sample({**base, "GRID_CRS": "EPSG:4326"})
    assert len(table) == len(INNER) * NT
    assert any("EPSG:4326" in i and "nocrs" in i for i in fb.infos)


def test_wrong_well_id_field_and_bad_preset_warnings(provider, sample, linear_tifs, tmp_path):
    p, t = linear_tifs
    ok, msg = _check(provider, {"WELLS": wells_layer(INNER), "WELL_ID_FIELD": "station", **_daily_params(p, t),
                                "FORCING_OUTPUT": "memory:"})
    assert not ok and "'station'" in msg and "well_id" in msg
    # temperatures in kelvin declared as degC: warned
    k = write_tif(tmp_path / "kelvin.tif", 280.0 + _linear_stack() * 0.01, GT)
    _, fb = sample({"WELLS": wells_layer(INNER), **_daily_params(p, k)})
    assert any("kelvin" in w for w in fb.warnings), fb.warnings


# -- CMFD 3-hourly GeoTIFF with NetCDF metadata, other drivers ---------------------------------------------------------
def test_cmfd_three_hourly_and_other_driver(sample, tmp_path):
    n = 8 * 3
    rng = np.random.default_rng(5)
    prec = rng.random((n, NY, NX)) * (rng.random((n, NY, NX)) < 0.4)  # mm/hr
    temp = 270.0 + 10 * rng.random((n, NY, NX))
    snow = rng.random((n, NY, NX))
    # CMFD stamps 03, 06, ..., 00 (hours since 1900): start 2000-01-01 03:00 -> 3 complete days for precip
    hours = HOURS_1900 + 3 + 3 * np.arange(n)
    md = {"NETCDF_DIM_EXTRA": "{time}", "time#units": "hours since 1900-01-01 00:00:0.0", "time#calendar": "standard"}
    bands = [{"NETCDF_DIM_time": str(h), "units": "mm hr-1"} for h in hours]
    p = write_tif(tmp_path / "prec.tif", prec, GT, dataset_md=md, band_mds=bands)
    t = write_tif(tmp_path / "temp.tif", temp, GT, dataset_md=md, band_mds=[{"NETCDF_DIM_time": str(h)} for h in hours])
    s = write_tif(tmp_path / "Snow depth.tif", snow, GT, dataset_md=md,
                  band_mds=[{"NETCDF_DIM_time": str(h)} for h in hours])
    well = {"X": (GT[0] + 3.5 * GT[1], GT[3] + 1.5 * GT[5])}  # centre of cell (1, 3)
    table, fb = sample({"WELLS": wells_layer(well), "PRECIP_RASTER": p, "TEMP_RASTER": t, "OTHER_RASTERS": [s],
                        "UNITS": 2, "TIME_SOURCE": 0, "INTERPOLATION": 1})
    assert list(table.columns) == ["well_id", "date", "precip", "temp", "snow_depth"]
    t_ = table.sort_values("date")
    # precip: 3 days (01-01..01-03); temp/snow (instantaneous, 00..21): 01-02, 01-03 -> common 01-02, 01-03
    assert list(t_["date"]) == [pd.Timestamp("2000-01-02"), pd.Timestamp("2000-01-03")]
    for d in range(2):
        sl_flux = slice(8 + 8 * d, 16 + 8 * d)       # stamps 03..24 of the day
        sl_inst = slice(7 + 8 * d, 15 + 8 * d)       # stamps 00..21 of the day
        assert t_["precip"].iloc[d] == pytest.approx(prec[sl_flux, 1, 3].sum() * 3, abs=1e-9)
        assert t_["temp"].iloc[d] == pytest.approx(temp[sl_inst, 1, 3].mean() - 273.15, abs=1e-9)
        assert t_["snow_depth"].iloc[d] == pytest.approx(snow[sl_inst, 1, 3].mean(), abs=1e-9)
    assert not any("unit" in w for w in fb.warnings), fb.warnings


# -- the chain: the sample network's wells sampled from a grid of its own forcing --------------------------------------
def _network_grids(run_alg, tmp_path):
    gpkg = tmp_path / "net.gpkg"
    run_alg("createsampledata", {
        "WELLS": 3, "YEARS": 3, "SEED": 5,
        "WELLS_OUTPUT": f"ogr:dbname='{gpkg}' table=wells (geom)",
        "LEVELS_OUTPUT": f"ogr:dbname='{gpkg}' table=levels",
        "FORCING_OUTPUT": f"ogr:dbname='{gpkg}' table=forcing"})
    wells = QgsVectorLayer(f"{gpkg}|layername=wells", "wells", "ogr")
    forcing = read_table(f"{gpkg}|layername=forcing")
    pts = {f["well_id"]: (f.geometry().asPoint().x(), f.geometry().asPoint().y()) for f in wells.getFeatures()}
    # a 0.25 degree grid over the network; each cell takes the forcing of its nearest well
    gt = (119.0, 0.25, 0.0, 52.0, 0.0, -0.25)
    nx, ny = 40, 40
    xs = gt[0] + gt[1] * (np.arange(nx) + 0.5)
    ys = gt[3] + gt[5] * (np.arange(ny) + 0.5)
    ids = sorted(pts)
    cells = [(int((pts[w][1] - gt[3]) / gt[5]), int((pts[w][0] - gt[0]) / gt[1])) for w in ids]
    assert len(set(cells)) == len(ids), "two wells in one cell"
    d2 = np.stack([(xs[None, :] - pts[w][0]) ** 2 + (ys[:, None] - pts[w][1]) ** 2 for w in ids])
    owner = d2.argmin(axis=0)
    days = sorted(forcing["date"].unique())
    paths = {}
    for col in ("precip", "temp", "pet", "river", "pumping"):
        series = np.stack([forcing[forcing.well_id == w].sort_values("date")[col].to_numpy(float) for w in ids])
        paths[col] = write_tif(tmp_path / f"{col}.tif", series[owner].transpose(2, 0, 1), gt)
    return gpkg, wells, forcing, pts, days, paths


def test_sample_network_grid_gives_back_its_forcing(run_alg, sample, tmp_path):
    gpkg, wells, forcing, pts, days, paths = _network_grids(run_alg, tmp_path)
    start = pd.Timestamp(days[0]).strftime("%Y-%m-%dT00:00:00")
    table, fb = sample({"WELLS": wells, "PRECIP_RASTER": paths["precip"], "TEMP_RASTER": paths["temp"],
                        "EVAP_RASTER": paths["pet"], "OTHER_RASTERS": [paths["river"], paths["pumping"]],
                        "UNITS": 3, "TIME_SOURCE": 1, "START_DATE": start, "STEP_HOURS": 24, "INTERPOLATION": 0})
    assert list(table.columns) == ["well_id", "date", "precip", "temp", "pet", "river", "pumping"]
    assert len(table) == len(forcing)
    merged = forcing.merge(table, on=["well_id", "date"], suffixes=("", "_s"))
    assert len(merged) == len(forcing)
    for col in ("precip", "temp", "pet", "river", "pumping"):
        np.testing.assert_allclose(merged[col + "_s"], merged[col], rtol=0, atol=1e-12)
    assert not fb.warnings, fb.warnings


def test_chained_sampleforcing_then_trainwells_in_a_model(provider, run_alg, tmp_path):
    """sampleforcing -> trainwells as a graphical model (QgsProcessingModelAlgorithm), tiny training."""
    if "trainwells" not in {a.name() for a in provider.algorithms()}:
        pytest.skip("trainwells is not registered")
    pytest.importorskip("torch")
    from qgis.core import (
        QgsProcessingContext,
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterFeatureSource,
        QgsProcessingParameterMultipleLayers,
        QgsProcessingParameterRasterLayer,
    )

    from groundwater_lstm.processing import compat

    gpkg, wells, forcing, pts, days, paths = _network_grids(run_alg, tmp_path)
    model = QgsProcessingModelAlgorithm("gridded to trained wells", "test")
    for name, param in (("wells", QgsProcessingParameterFeatureSource("wells", "wells")),
                        ("levels", QgsProcessingParameterFeatureSource("levels", "levels")),
                        ("precip", QgsProcessingParameterRasterLayer("precip", "precip")),
                        ("temp", QgsProcessingParameterRasterLayer("temp", "temp")),
                        ("pet", QgsProcessingParameterRasterLayer("pet", "pet")),
                        ("others", QgsProcessingParameterMultipleLayers("others", "others",
                                                                           compat.SOURCE_RASTER))):
        model.addModelParameter(param, QgsProcessingModelParameter(name))
    fixed = QgsProcessingModelChildParameterSource.fromStaticValue
    inp = QgsProcessingModelChildParameterSource.fromModelParameter
    sf = QgsProcessingModelChildAlgorithm("groundwaterlstm:sampleforcing")
    sf.setChildId("sample")
    for k, v in (("WELLS", inp("wells")), ("WELL_ID_FIELD", fixed("well_id")), ("PRECIP_RASTER", inp("precip")),
                 ("TEMP_RASTER", inp("temp")), ("EVAP_RASTER", inp("pet")), ("OTHER_RASTERS", inp("others")),
                 ("UNITS", fixed(3)), ("TIME_SOURCE", fixed(1)),
                 ("START_DATE", fixed(pd.Timestamp(days[0]).strftime("%Y-%m-%dT00:00:00"))),
                 ("STEP_HOURS", fixed(24)), ("INTERPOLATION", fixed(0))):
        sf.addParameterSources(k, [v])
    model.addChildAlgorithm(sf)
    tw = QgsProcessingModelChildAlgorithm("groundwaterlstm:trainwells")
    tw.setChildId("train")
    tw.addParameterSources("WELLS", [inp("wells")])
    tw.addParameterSources("LEVELS", [inp("levels")])
    tw.addParameterSources("FORCING", [QgsProcessingModelChildParameterSource.fromChildOutput("sample",
                                                                                              "FORCING_OUTPUT")])
    for k, v in (("LOOKBACK", 30), ("HIDDEN", 4), ("EPOCHS", 2), ("ENSEMBLE", 1), ("SEED", 1)):
        tw.addParameterSources(k, [fixed(v)])
    out = QgsProcessingModelOutput("scored")
    out.setChildOutputName("OUTPUT")
    out.setChildId("train")
    tw.setModelOutputs({"scored": out})
    model.addChildAlgorithm(tw)
    model.updateDestinationParameters()
    context = QgsProcessingContext()
    fb = Recorder()
    scored = tmp_path / "scored.gpkg"
    res, ok = model.run({"wells": wells, "levels": f"{gpkg}|layername=levels", "precip": paths["precip"],
                         "temp": paths["temp"], "pet": paths["pet"],
                         "others": [paths["river"], paths["pumping"]],
                         "train:scored": str(scored), "train:MODEL_FOLDER": str(tmp_path / "models"),
                         "train:SIMULATION": str(tmp_path / "sim.gpkg")}, context, fb)
    assert ok, fb.infos[-5:]
    layer = QgsVectorLayer(str(scored), "s", "ogr")
    assert layer.isValid() and layer.featureCount() == 3
    statuses = {f["well_id"]: f["status"] for f in layer.getFeatures()}
    assert set(statuses.values()) == {"ok"}, statuses
    assert any("river" in i and "precip" in i for i in fb.infos), fb.infos
