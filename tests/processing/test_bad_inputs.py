"""Bad inputs through real Processing (the catalogue's processing part): refused with the parameter, the field
and the fix, and nothing written."""
import pytest
from qgis.core import QgsProcessingException


@pytest.fixture(scope="module")
def wells(tmp_path_factory, make_sample):
    return make_sample(tmp_path_factory.mktemp("bad_inputs") / "sample.gpkg")["WELLS"]


def test_attribution_of_other_wells_is_refused_not_typed_undetermined(run_alg, wells, tmp_path):  # case 11
    att = tmp_path / "att.csv"
    rows = ["well_id,period,driver,mean_signed,mean_abs,share,n_days"]
    for w in ("X1", "X2", "X3"):
        for p in ("freezing", "thawing", "unfrozen"):
            rows += [f"{w},{p},precip,0.1,0.2,0.6,30", f"{w},{p},pet,-0.1,0.13,0.4,30"]
    att.write_text("\n".join(rows) + "\n")
    out = tmp_path / "typed.gpkg"
    with pytest.raises(QgsProcessingException) as info:
        run_alg("classifydynamics", {"WELLS": wells, "ATTRIBUTION": str(att), "OUTPUT": str(out)})
    text = str(info.value)
    assert "ATTRIBUTION" in text and "X1" in text and "Fix:" in text, text
    assert not out.exists()


def test_ambiguous_split_date_is_refused_before_training(run_alg, wells, tmp_path):  # case 10
    gpkg = wells.split("|")[0]
    with pytest.raises(QgsProcessingException) as info:
        run_alg("trainwells", {"WELLS": wells, "LEVELS": f"{gpkg}|layername=levels",
                               "FORCING": f"{gpkg}|layername=forcing", "TEST_START": "01/06/2012",
                               "OUTPUT": str(tmp_path / "w.gpkg"), "SIMULATION": str(tmp_path / "s.csv"),
                               "MODEL_FOLDER": str(tmp_path / "m")})
    assert "TEST_START" in str(info.value) and "day and month" in str(info.value)
    assert not (tmp_path / "m").exists()


def test_cuda_without_a_gpu_is_refused_not_run_on_the_cpu_silently(run_alg, wells, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: DEVICE=cuda is valid here")
    gpkg = wells.split("|")[0]
    with pytest.raises(QgsProcessingException) as info:
        run_alg("trainwells", {"WELLS": wells, "LEVELS": f"{gpkg}|layername=levels",
                               "FORCING": f"{gpkg}|layername=forcing", "DEVICE": 1,
                               "OUTPUT": str(tmp_path / "w.gpkg"), "SIMULATION": str(tmp_path / "s.csv"),
                               "MODEL_FOLDER": str(tmp_path / "m")})
    assert "DEVICE" in str(info.value) and "no GPU" in str(info.value) and "Fix:" in str(info.value)


def test_nodata_codes_are_the_users_own(run_alg, wells, tmp_path, make_sample):
    gpkg = wells.split("|")[0]
    base = {"WELLS": wells, "LEVELS": f"{gpkg}|layername=levels", "FORCING": f"{gpkg}|layername=forcing",
            "OUTPUT": str(tmp_path / "w.gpkg"), "SIMULATION": str(tmp_path / "s.csv"),
            "MODEL_FOLDER": str(tmp_path / "m")}
    with pytest.raises(QgsProcessingException) as info:
        run_alg("trainwells", {**base, "NODATA": "-9999;none"})
    assert "NODATA" in str(info.value) and "'none'" in str(info.value) and "Fix:" in str(info.value)
    assert not (tmp_path / "m").exists()


def test_an_empty_forcing_id_field_means_one_series_and_says_so(run_alg, wells, tmp_path):
    # the sample's forcing has one series per well: asked to read it as one series, its dates repeat
    gpkg = wells.split("|")[0]
    with pytest.raises(QgsProcessingException) as info:
        run_alg("trainwells", {"WELLS": wells, "LEVELS": f"{gpkg}|layername=levels",
                               "FORCING": f"{gpkg}|layername=forcing", "FORCING_ID_FIELD": "",
                               "OUTPUT": str(tmp_path / "w.gpkg"), "SIMULATION": str(tmp_path / "s.csv"),
                               "MODEL_FOLDER": str(tmp_path / "m")})
    text = str(info.value)
    assert "more than once" in text and "well-ID field" in text and "Fix:" in text, text
