"""explaindrivers, classifydynamics and freezethaw chained through real Processing on a tiny network."""
import pytest
from qgis.core import QgsProcessingException, QgsVectorLayer

TINY = {"LOOKBACK": 60, "HIDDEN": 8, "EPOCHS": 4, "ENSEMBLE": 1, "SEED": 3}
DRIVERS = {"precip", "temp", "pet", "river", "pumping"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory, run_alg):
    d = tmp_path_factory.mktemp("explain")
    gpkg = d / "sample.gpkg"
    run_alg("createsampledata", {
        "WELLS": 3, "YEARS": 4, "SEED": 9,
        "WELLS_OUTPUT": f"ogr:dbname='{gpkg}' table=wells (geom)",
        "LEVELS_OUTPUT": f"ogr:dbname='{gpkg}' table=levels",
        "FORCING_OUTPUT": f"ogr:dbname='{gpkg}' table=forcing"})
    inputs = {"WELLS": f"{gpkg}|layername=wells", "LEVELS": f"{gpkg}|layername=levels",
              "FORCING": f"{gpkg}|layername=forcing"}
    out = d / "out.gpkg"
    run_alg("trainwells", {**inputs, **TINY, "OUTPUT": f"ogr:dbname='{out}' table=trained (geom)",
                           "SIMULATION": f"ogr:dbname='{out}' table=simulation",
                           "MODEL_FOLDER": str(d / "models")})
    return {**inputs, "TRAINED": f"{out}|layername=trained", "SIMULATION": f"{out}|layername=simulation",
            "MODEL_FOLDER": str(d / "models"), "dir": d}


def test_explain_then_classify(run_alg, trained):
    d = trained["dir"]
    out = d / "explained.gpkg"
    res = run_alg("explaindrivers", {
        "WELLS": trained["TRAINED"], "MODEL_FOLDER": trained["MODEL_FOLDER"], "FORCING": trained["FORCING"],
        "N_SAMPLES": 20, "DAYS_PER_PERIOD": 10,
        "OUTPUT": f"ogr:dbname='{out}' table=wells (geom)",
        "ATTRIBUTION": f"ogr:dbname='{out}' table=attribution", "LAGS": f"ogr:dbname='{out}' table=lags"})
    assert set(res) == {"OUTPUT", "ATTRIBUTION", "LAGS"}
    wells = QgsVectorLayer(f"{out}|layername=wells", "w", "ogr")
    names = wells.fields().names()
    for f in ("nse_test", "dom_drv", "dom_frz", "dom_thw", "dom_unf", "eg_qual", "sh_precip", "sh_temp"):
        assert f in names, f
    for f in wells.getFeatures():
        assert f["dom_drv"] in DRIVERS
        shares = [f[n] for n in names if n.startswith("sh_") and n != "sh_season"]
        assert abs(sum(shares) - 1) < 1e-6
    att = QgsVectorLayer(f"{out}|layername=attribution", "a", "ogr")
    rows = list(att.getFeatures())
    assert {r["period"] for r in rows} >= {"freezing", "unfrozen"}
    assert {r["driver"] for r in rows} >= DRIVERS
    assert QgsVectorLayer(f"{out}|layername=lags", "l", "ogr").featureCount() > 0

    res = run_alg("classifydynamics", {"WELLS": f"{out}|layername=wells",
                                       "ATTRIBUTION": f"{out}|layername=attribution",
                                       "SIMULATION": trained["SIMULATION"], "OUTPUT": "memory:"})
    types = {f["well_id"]: (f["dyn_type"], f["dyn_conf"]) for f in res["OUTPUT"].getFeatures()}
    assert len(types) == 3
    for t, conf in types.values():
        assert t in ("infiltration-evaporation", "infiltration-runoff", "extraction", "undetermined")
        assert 0 <= conf <= 1
    # the input fields ride along: the truth of the sample network is still there
    assert "true_type" in res["OUTPUT"].fields().names()


def test_explain_with_edited_periods_table(run_alg, trained):
    cal = run_alg("freezethaw", {"FORCING": trained["FORCING"], "OUTPUT": "memory:"})["OUTPUT"]
    res = run_alg("explaindrivers", {
        "WELLS": trained["WELLS"], "MODEL_FOLDER": trained["MODEL_FOLDER"], "FORCING": trained["FORCING"],
        "PERIODS": cal, "N_SAMPLES": 10, "DAYS_PER_PERIOD": 5, "OUTPUT": "memory:", "ATTRIBUTION": "memory:"})
    assert res["OUTPUT"].featureCount() == 3


def test_explain_refuses_inverted_periods(run_alg, trained):
    from qgis.core import QgsFeature, QgsVectorLayer as VL
    from qgis.PyQt.QtCore import QDate
    bad = VL("None?field=well_id:string&field=winter:integer&field=freeze_start:date&field=thaw_start:date"
             "&field=thaw_end:date", "periods", "memory")
    wid = next(QgsVectorLayer(trained["WELLS"], "w", "ogr").getFeatures())["well_id"]
    f = QgsFeature(bad.fields())
    f.setAttributes([wid, 2009, QDate(2010, 3, 1), QDate(2009, 11, 1), QDate(2010, 4, 1)])
    bad.dataProvider().addFeatures([f])
    with pytest.raises(QgsProcessingException, match="freeze_start") as info:
        run_alg("explaindrivers", {"WELLS": trained["WELLS"], "MODEL_FOLDER": trained["MODEL_FOLDER"],
                                   "FORCING": trained["FORCING"], "PERIODS": bad, "N_SAMPLES": 5,
                                   "DAYS_PER_PERIOD": 5, "OUTPUT": "memory:", "ATTRIBUTION": "memory:"})
    # the core's words (`calendar`) reach the user as the parameter's name
    assert "edit the PERIODS table" in str(info.value) and "`" not in str(info.value)


def test_explain_refuses_missing_model_folder(run_alg, trained, tmp_path):
    with pytest.raises(QgsProcessingException, match="model folder"):
        run_alg("explaindrivers", {"WELLS": trained["WELLS"], "MODEL_FOLDER": str(tmp_path / "nothing"),
                                   "FORCING": trained["FORCING"], "OUTPUT": "memory:", "ATTRIBUTION": "memory:"})
