"""analysewells end to end through real Processing: every output, the persisted style, the run record."""
import sqlite3

from qgis.core import QgsCategorizedSymbolRenderer, QgsVectorLayer

TINY = {"LOOKBACK": 60, "HIDDEN": 8, "EPOCHS": 4, "ENSEMBLE": 1, "SEED": 3, "N_SAMPLES": 20,
        "DAYS_PER_PERIOD": 10}


def test_analysewells_writes_everything(run_alg, tmp_path):
    gpkg = tmp_path / "sample.gpkg"
    run_alg("createsampledata", {
        "WELLS": 3, "YEARS": 4, "SEED": 21,
        "WELLS_OUTPUT": f"ogr:dbname='{gpkg}' table=wells (geom)",
        "LEVELS_OUTPUT": f"ogr:dbname='{gpkg}' table=levels",
        "FORCING_OUTPUT": f"ogr:dbname='{gpkg}' table=forcing"})
    out = tmp_path / "analysis.gpkg"
    res = run_alg("analysewells", {
        "WELLS": f"{gpkg}|layername=wells", "LEVELS": f"{gpkg}|layername=levels",
        "FORCING": f"{gpkg}|layername=forcing", **TINY,
        "OUTPUT": f"ogr:dbname='{out}' table=wells (geom)",
        "SIMULATION": f"ogr:dbname='{out}' table=simulation",
        "ATTRIBUTION": f"ogr:dbname='{out}' table=attribution",
        "PERIODS_OUTPUT": f"ogr:dbname='{out}' table=periods",
        "MODEL_FOLDER": str(tmp_path / "models"), "REPORT": str(tmp_path / "report.html")})
    assert {"OUTPUT", "SIMULATION", "ATTRIBUTION", "PERIODS_OUTPUT", "MODEL_FOLDER", "REPORT", "TRAINED"} <= set(res)
    wells = QgsVectorLayer(f"{out}|layername=wells", "w", "ogr")
    names = wells.fields().names()
    for f in ("status", "nse_test", "kge_test", "dom_drv", "dom_frz", "dom_thw", "dom_unf", "eg_qual",
              "sh_precip", "dyn_type", "dyn_conf"):
        assert f in names, f
    assert wells.featureCount() == 3
    # opened fresh, the layer shows the categorized style by dynamics type (its default style)
    assert isinstance(wells.renderer(), QgsCategorizedSymbolRenderer)
    assert wells.renderer().classAttribute() == "dyn_type"
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    for f in wells.getFeatures():
        assert f["well_id"] in html
    assert "http://" not in html and "https://" not in html
    with sqlite3.connect(out) as con:
        record = dict(con.execute("select key, value from gwlstm_run").fetchall())
        n_att = con.execute("select count(*) from attribution").fetchone()[0]
        n_per = con.execute("select count(*) from periods").fetchone()[0]
    assert record["model_folder"] == str(tmp_path / "models")
    assert record["well_id_field"] == "well_id"  # the inspector finds the wells by the run's ID field
    assert "simulation" in record["simulation"] and "attribution" in record["attribution"]
    assert n_att >= 3 * 3 * 5 and n_per >= 3 * 3
