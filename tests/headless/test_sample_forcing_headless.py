"""sampleforcing under the real qgis_process: NetCDF and GeoTIFF paths in, a CSV forcing table out."""
import csv

import numpy as np
from osgeo import gdal, ogr, osr


def _wells_gpkg(path, points, epsg=4326):
    drv = ogr.GetDriverByName("GPKG")
    ds = drv.CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    lyr = ds.CreateLayer("wells", srs, ogr.wkbPoint)
    lyr.CreateField(ogr.FieldDefn("well_id", ogr.OFTString))
    for wid, (x, y) in points.items():
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetField("well_id", wid)
        g = ogr.Geometry(ogr.wkbPoint)
        g.AddPoint_2D(x, y)
        f.SetGeometry(g)
        lyr.CreateFeature(f)
    ds = None


def _era5_like_netcdf(path, var, data, lats, lons, hours, scale, offset, units):
    ds = gdal.GetDriverByName("netCDF").CreateMultiDimensional(str(path))
    rg = ds.GetRootGroup()
    dims = [rg.CreateDimension("time", "TEMPORAL", None, data.shape[0]),
            rg.CreateDimension("latitude", "HORIZONTAL_Y", None, data.shape[1]),
            rg.CreateDimension("longitude", "HORIZONTAL_X", None, data.shape[2])]
    f64 = gdal.ExtendedDataType.Create(gdal.GDT_Float64)

    def attr(a, k, v):
        a.CreateAttribute(k, [], gdal.ExtendedDataType.CreateString()).Write(v)

    for dim, values, unit in ((dims[0], hours, "hours since 1900-01-01 00:00:00.0"),
                              (dims[1], lats, "degrees_north"), (dims[2], lons, "degrees_east")):
        a = rg.CreateMDArray(dim.GetName(), [dim], f64)
        a.Write(np.asarray(values, dtype=float))
        attr(a, "units", unit)
    v = rg.CreateMDArray(var, dims, gdal.ExtendedDataType.Create(gdal.GDT_Int16))
    v.SetNoDataValueDouble(-32767)
    v.SetScale(scale)
    v.SetOffset(offset)
    attr(v, "units", units)
    v.Write(np.ascontiguousarray(data.astype(np.int16)))
    ds = None


def test_sampleforcing_help_names_the_presets(qgis_process):
    proc = qgis_process("help", "groundwaterlstm:sampleforcing", check=True)
    for word in ("ERA5-Land", "CMFD", "ACCUMULATED", "FORCING_OUTPUT", "START_DATE", "NetCDF"):
        assert word in proc.stdout


def test_sampleforcing_era5_land_netcdf_to_csv(qgis_process, tmp_path):
    lats, lons = np.array([46.0, 45.5]), np.array([124.0, 124.5, 125.0])
    n = 48 + 1  # 2000-01-01 00:00 .. 2000-01-03 00:00
    hourly = np.zeros((n, 2, 3), dtype=int)
    hourly[1:25] = 10      # 24 hours x 0.1 mm on 2000-01-01 (1e-5 m units x 10)
    hourly[25:49] = 5      # 24 hours x 0.05 mm on 2000-01-02
    acc = np.zeros_like(hourly)
    for i in range(n):
        acc[i] = hourly[i] + (0 if i % 24 == 1 or i == 0 else acc[i - 1])
    hours = 876576 + np.arange(n)
    _era5_like_netcdf(tmp_path / "tp.nc", "tp", acc, lats, lons, hours, 1e-5, 0.0, "m")
    temp = np.full((n, 2, 3), 500)  # 273.15 + 5.00 degC
    _era5_like_netcdf(tmp_path / "t2m.nc", "t2m", temp, lats, lons, hours, 0.01, 273.15, "K")
    _wells_gpkg(tmp_path / "wells.gpkg", {"A": (124.5, 45.5), "OUT": (100.0, 30.0)})
    out = tmp_path / "forcing.csv"
    proc = qgis_process("--json", "run", "groundwaterlstm:sampleforcing", "--",
                        f"WELLS={tmp_path / 'wells.gpkg'}", "WELL_ID_FIELD=well_id",
                        f"PRECIP_RASTER={tmp_path / 'tp.nc'}", f"TEMP_RASTER={tmp_path / 't2m.nc'}",
                        "UNITS=0", "TIME_SOURCE=0", "INTERPOLATION=1", f"FORCING_OUTPUT={out}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(out) as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:4] == ["well_id", "date", "precip", "temp"]
    assert [r["well_id"] for r in rows] == ["A", "A"]
    assert [r["date"].replace("/", "-") for r in rows] == ["2000-01-01", "2000-01-02"]  # OGR's CSV writes 2000/01/01
    np.testing.assert_allclose([float(r["precip"]) for r in rows], [2.4, 1.2], atol=1e-9)
    np.testing.assert_allclose([float(r["temp"]) for r in rows], [5.0, 5.0], atol=1e-9)
    assert "OUT" in proc.stdout + proc.stderr


def test_sampleforcing_refuses_mismatched_band_counts(qgis_process, tmp_path):
    gt = (124.0, 0.5, 0.0, 46.0, 0.0, -0.5)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    for name, n in (("p.tif", 10), ("t.tif", 12)):
        ds = gdal.GetDriverByName("GTiff").Create(str(tmp_path / name), 3, 2, n, gdal.GDT_Float32)
        ds.SetGeoTransform(gt)
        ds.SetProjection(srs.ExportToWkt())
        ds = None
    _wells_gpkg(tmp_path / "wells.gpkg", {"A": (124.6, 45.6)})
    proc = qgis_process("run", "groundwaterlstm:sampleforcing", "--", f"WELLS={tmp_path / 'wells.gpkg'}",
                        "WELL_ID_FIELD=well_id", f"PRECIP_RASTER={tmp_path / 'p.tif'}",
                        f"TEMP_RASTER={tmp_path / 't.tif'}", "UNITS=3", "TIME_SOURCE=1",
                        "START_DATE=2000-01-01T00:00:00", "STEP_HOURS=24", f"FORCING_OUTPUT={tmp_path / 'f.csv'}")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1
    assert "'p' has 10" in out and "'t' has 12" in out and "Traceback" not in out
    assert not (tmp_path / "f.csv").exists()
