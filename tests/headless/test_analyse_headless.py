"""The main job as users run it without a GUI: qgis_process.bin --json run groundwaterlstm:analysewells."""
import sqlite3

TINY = {"LOOKBACK": 60, "HIDDEN": 8, "EPOCHS": 4, "ENSEMBLE": 1, "SEED": 3, "N_SAMPLES": 20,
        "DAYS_PER_PERIOD": 10}


def test_analysewells_headless(qgis_process, tmp_path):
    sample = tmp_path / "sample.gpkg"
    qgis_process.run_json("createsampledata", {
        "WELLS": 3, "YEARS": 4, "SEED": 8,
        "WELLS_OUTPUT": f"ogr:dbname='{sample}' table=wells (geom)",
        "LEVELS_OUTPUT": f"ogr:dbname='{sample}' table=levels",
        "FORCING_OUTPUT": f"ogr:dbname='{sample}' table=forcing"})
    out = tmp_path / "analysis.gpkg"
    result = qgis_process.run_json("analysewells", {
        "WELLS": f"{sample}|layername=wells", "LEVELS": f"{sample}|layername=levels",
        "FORCING": f"{sample}|layername=forcing", **TINY,
        "OUTPUT": f"ogr:dbname='{out}' table=wells (geom)",
        "SIMULATION": f"ogr:dbname='{out}' table=simulation",
        "ATTRIBUTION": f"ogr:dbname='{out}' table=attribution",
        "PERIODS_OUTPUT": f"ogr:dbname='{out}' table=periods",
        "MODEL_FOLDER": tmp_path / "models", "REPORT": tmp_path / "report.html",
        "MAP_IMAGE": tmp_path / "map.png"})
    res = result["results"]
    assert {"OUTPUT", "SIMULATION", "ATTRIBUTION", "MODEL_FOLDER", "REPORT", "MAP_IMAGE"} <= set(res)
    assert (tmp_path / "models" / "manifest.json").is_file()
    assert (tmp_path / "report.html").stat().st_size > 10_000
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with sqlite3.connect(out) as con:
        rows = con.execute("select well_id, status, nse_test, dom_drv, dyn_type from wells").fetchall()
        styles = con.execute("select styleName, useAsDefault, f_table_name from layer_styles").fetchall()
        record = dict(con.execute("select key, value from gwlstm_run").fetchall())
    assert len(rows) == 3 and all(r[1] == "ok" and r[3] and r[4] for r in rows)
    # headless, the style lives in the GeoPackage: the default one is by dynamics type
    assert any(default and table == "wells" for _name, default, table in styles)
    assert len(styles) >= 2
    assert record["model_folder"].endswith("models")


def test_analysewells_bad_input_exits_1(qgis_process, tmp_path):
    proc = qgis_process("run", "groundwaterlstm:analysewells", "--",
                        f"WELLS={tmp_path / 'missing.gpkg'}", f"LEVELS={tmp_path / 'missing.csv'}",
                        f"FORCING={tmp_path / 'missing.csv'}", f"OUTPUT={tmp_path / 'o.gpkg'}",
                        f"REPORT={tmp_path / 'r.html'}")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not (tmp_path / "o.gpkg").exists() and not (tmp_path / "r.html").exists()
