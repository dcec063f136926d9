"""The plugin as users run it without a GUI: real qgis_process.bin, real files."""
import re
import sqlite3


def test_plugin_loads_and_lists_algorithms(qgis_process):
    proc = qgis_process("list", check=True)
    assert "groundwaterlstm:createsampledata" in proc.stdout


def test_help(qgis_process):
    proc = qgis_process("help", "groundwaterlstm:createsampledata", check=True)
    assert "Songnen" in proc.stdout
    assert "WELLS_OUTPUT" in proc.stdout and "FORCING_OUTPUT" in proc.stdout


def test_createsampledata_to_files(qgis_process, tmp_path):
    gpkg = tmp_path / "wells.gpkg"
    levels_csv = tmp_path / "levels.csv"
    forcing_csv = tmp_path / "forcing.csv"
    result = qgis_process.run_json("createsampledata", {
        "WELLS": 6, "YEARS": 4, "SEED": 11,
        "WELLS_OUTPUT": gpkg, "LEVELS_OUTPUT": levels_csv, "FORCING_OUTPUT": forcing_csv,
    })
    outputs = result["results"]
    assert set(outputs) >= {"WELLS_OUTPUT", "LEVELS_OUTPUT", "FORCING_OUTPUT"}
    with sqlite3.connect(gpkg) as con:
        table = con.execute("select table_name from gpkg_contents where data_type='features'").fetchone()[0]
        rows = con.execute(f'select well_id, true_type, true_frz from "{table}"').fetchall()
        srs = con.execute("select srs_id from gpkg_geometry_columns").fetchone()[0]
    assert len(rows) == 6 and srs == 4326
    assert {r[1] for r in rows} == {"infiltration-evaporation", "infiltration-runoff", "extraction"}
    header = levels_csv.read_text().splitlines()[0].split(",")
    assert header[:3] == ["well_id", "date", "level"]
    lines = forcing_csv.read_text().splitlines()
    assert lines[0].split(",")[:7] == ["well_id", "date", "precip", "temp", "pet", "river", "pumping"]
    assert len(lines) - 1 >= 6 * 4 * 365


def test_bad_parameter_exits_1_with_clear_message(qgis_process, tmp_path):
    proc = qgis_process("run", "groundwaterlstm:createsampledata", "--", "WELLS=1",
                        f"WELLS_OUTPUT={tmp_path / 'w.gpkg'}", f"LEVELS_OUTPUT={tmp_path / 'l.csv'}",
                        f"FORCING_OUTPUT={tmp_path / 'f.csv'}")
    assert proc.returncode == 1
    out = proc.stdout + proc.stderr
    # the message, not the echoed parameters: the parameter, its value, the problem and the fix
    assert re.search(r"WELLS: 1 is out of range\. Fix: give a value (of at least|from) \d+", out), out
    assert "Traceback" not in out
    assert not (tmp_path / "l.csv").exists()


def test_output_into_the_input_geopackage_is_refused_headless(qgis_process, tmp_path):
    # the reported case: wells, levels and forcing in one GeoPackage, OUTPUT pointed at its wells table
    import hashlib

    gpkg = tmp_path / "p3.gpkg"
    qgis_process.run_json("createsampledata", {
        "WELLS": 3, "YEARS": 3, "SEED": 2, "WELLS_OUTPUT": f"ogr:dbname='{gpkg}' table=wells (geom)",
        "LEVELS_OUTPUT": f"ogr:dbname='{gpkg}' table=levels", "FORCING_OUTPUT": f"ogr:dbname='{gpkg}' table=forcing"})
    before = hashlib.sha256(gpkg.read_bytes()).hexdigest()
    for output in (f"ogr:dbname='{gpkg}' table=\"wells\" (geom)", str(gpkg)):  # cases 1 and 2
        proc = qgis_process("run", "groundwaterlstm:trainwells", "--", f"WELLS={gpkg}|layername=wells",
                            f"LEVELS={gpkg}|layername=levels", f"FORCING={gpkg}|layername=forcing",
                            "EPOCHS=1", "HIDDEN=4", "ENSEMBLE=1", f"OUTPUT={output}",
                            f"SIMULATION={tmp_path / 'sim.csv'}", f"MODEL_FOLDER={tmp_path / 'models'}")
        out = proc.stdout + proc.stderr
        assert proc.returncode != 0, out
        assert "input WELLS" in out and "Fix:" in out and "Traceback" not in out, out
        assert "Trained" not in out  # refused before training
    assert hashlib.sha256(gpkg.read_bytes()).hexdigest() == before
    assert not (tmp_path / "models").exists()
