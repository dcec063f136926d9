"""The plugin as users run it without a GUI: real qgis_process.bin, real files."""
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
    assert "WELLS" in out or "Number of wells" in out
    assert "Traceback" not in out
    assert not (tmp_path / "l.csv").exists()
