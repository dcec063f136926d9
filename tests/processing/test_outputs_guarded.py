"""Nothing lost: outputs that would overwrite an input are refused before training, a model folder with the
user's own files in it is refused, and a run that fails or is cancelled leaves every earlier output exactly as
it was (checksums of everything that existed before)."""
import hashlib
import os
from pathlib import Path

import pytest
from qgis.core import QgsProcessingException, QgsProcessingFeedback, QgsVectorLayer

TINY = {"LOOKBACK": 30, "HIDDEN": 4, "EPOCHS": 2, "ENSEMBLE": 1, "SEED": 3}


def tree_digest(*paths):
    """{relative path: sha256} of every file under ``paths`` (files or folders)."""
    out = {}
    for root in map(Path, paths):
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for f in files:
            out[str(f)] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def leftovers(folder):
    return sorted(p.name for p in Path(folder).rglob("*") if "gwlstm_staged" in p.name or "gwlstm-old" in p.name)


@pytest.fixture()
def project(tmp_path, make_sample):
    """A GeoPackage holding the inputs (wells, levels, forcing), as a user keeps a project."""
    gpkg = tmp_path / "project.gpkg"
    return gpkg, make_sample(gpkg)


def refused(run_alg, alg, params):
    with pytest.raises(QgsProcessingException) as info:
        run_alg(alg, params)
    return str(info.value)


@pytest.mark.parametrize("alg", ["trainwells", "analysewells"])
def test_output_into_the_input_wells_table_is_refused(run_alg, project, tmp_path, alg):  # case 1
    gpkg, inputs = project
    before = tree_digest(gpkg)
    extra = {"ATTRIBUTION": str(tmp_path / "att.csv"), "REPORT": str(tmp_path / "r.html")} \
        if alg == "analysewells" else {}
    message = refused(run_alg, alg, {**inputs, **TINY, **extra,
                                     "OUTPUT": f"ogr:dbname='{gpkg}' table=\"wells\" (geom)",
                                     "SIMULATION": str(tmp_path / "sim.csv"), "MODEL_FOLDER": str(tmp_path / "m")})
    assert "OUTPUT" in message and "input WELLS" in message and "Fix:" in message, message
    assert tree_digest(gpkg) == before
    assert not (tmp_path / "m").exists() and not (tmp_path / "sim.csv").exists()
    assert QgsVectorLayer(f"{gpkg}|layername=wells", "w", "ogr").featureCount() == 3


def test_output_as_the_inputs_geopackage_is_refused(run_alg, project, tmp_path):  # case 2
    gpkg, inputs = project
    before = tree_digest(gpkg)
    message = refused(run_alg, "trainwells", {**inputs, **TINY, "OUTPUT": str(gpkg),
                                              "SIMULATION": str(tmp_path / "sim.csv"),
                                              "MODEL_FOLDER": str(tmp_path / "m")})
    assert "OUTPUT" in message and str(gpkg) in message and "another file" in message, message
    assert tree_digest(gpkg) == before


def test_a_new_table_in_the_inputs_geopackage_keeps_the_inputs(run_alg, project, tmp_path):
    # staged outputs keep the file's other tables: a graphical model may keep every step's tables in one file
    import sqlite3

    gpkg, inputs = project
    with sqlite3.connect(gpkg) as con:
        before = {t: con.execute(f'select * from "{t}"').fetchall() for t in ("wells", "levels", "forcing")}
    run_alg("trainwells", {**inputs, **TINY, "OUTPUT": str(tmp_path / "w.gpkg"),
                           "SIMULATION": f"ogr:dbname='{gpkg}' table=simulation", "MODEL_FOLDER": str(tmp_path / "m")})
    with sqlite3.connect(gpkg) as con:
        assert {t: con.execute(f'select * from "{t}"').fetchall() for t in before} == before
        assert con.execute("select count(*) from simulation").fetchone()[0] > 0
    assert leftovers(tmp_path) == []


def test_a_model_folder_with_the_users_files_is_refused_not_emptied(run_alg, project, tmp_path):  # case 3
    _, inputs = project
    folder = tmp_path / "models"
    (folder / "figures").mkdir(parents=True)
    (folder / "notes.txt").write_text("my notes")
    (folder / "figures" / "f1.png").write_bytes(b"\x89PNG")
    before = tree_digest(folder)
    message = refused(run_alg, "trainwells", {**inputs, **TINY, "OUTPUT": str(tmp_path / "w.gpkg"),
                                              "SIMULATION": str(tmp_path / "s.csv"), "MODEL_FOLDER": str(folder)})
    assert "MODEL_FOLDER" in message and "notes.txt" in message and "figures/" in message, message
    assert tree_digest(folder) == before
    assert not (tmp_path / "w.gpkg").exists()


def test_two_outputs_into_one_whole_file_are_refused(run_alg, project, tmp_path):
    _, inputs = project
    out = tmp_path / "out.gpkg"
    message = refused(run_alg, "trainwells", {**inputs, **TINY, "OUTPUT": str(out), "SIMULATION": str(out),
                                              "MODEL_FOLDER": str(tmp_path / "m")})
    assert "OUTPUT and SIMULATION" in message and "table=" in message, message


def test_an_output_where_no_folder_can_be_made_is_refused_before_training(run_alg, project, tmp_path):
    _, inputs = project
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    feedback = Recorder()
    with pytest.raises(QgsProcessingException) as info:
        run_alg("trainwells", {**inputs, **TINY, "OUTPUT": str(tmp_path / "notes.txt" / "sub" / "w.gpkg"),
                               "SIMULATION": str(tmp_path / "s.csv"), "MODEL_FOLDER": str(tmp_path / "m")},
                feedback=feedback)
    assert "OUTPUT" in str(info.value) and "cannot be created" in str(info.value) and "Fix:" in str(info.value)
    assert not any(t.startswith("Drivers:") for t in feedback.texts)  # refused before any training


def test_a_read_only_output_is_refused_before_training(run_alg, project, tmp_path):
    # a folder on a read-only file system (a share mounted read-only): refused even for root, who may write
    # any file whose permissions say read-only
    import shutil
    import subprocess

    _, inputs = project
    if shutil.which("mount") is None or shutil.which("umount") is None:
        pytest.skip("no mount command here (a bare chroot): the host tier runs this test")
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "sim.csv").write_text("well_id,date\n")
    if subprocess.run(["mount", "--bind", "-o", "ro", str(ro), str(ro)], capture_output=True).returncode != 0:
        pytest.skip("cannot bind-mount a folder read-only here (needs root and mount rights)")
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("the read-only bind mount is writable here")
        message = refused(run_alg, "trainwells", {**inputs, **TINY, "OUTPUT": str(tmp_path / "w.gpkg"),
                                                  "SIMULATION": str(ro / "sim.csv"),
                                                  "MODEL_FOLDER": str(tmp_path / "m")})
        assert (ro / "sim.csv").read_text() == "well_id,date\n"
    finally:
        subprocess.run(["umount", str(ro)], capture_output=True)
    assert "SIMULATION" in message and "cannot be written" in message and "Fix:" in message, message
    assert not (tmp_path / "m").exists() and not (tmp_path / "w.gpkg").exists()


def test_a_missing_output_folder_is_made_only_by_a_run_that_writes(run_alg, project, tmp_path):
    _, inputs = project
    params = {**inputs, **TINY, "OUTPUT": str(tmp_path / "new" / "deeper" / "w.gpkg"),
              "SIMULATION": str(tmp_path / "s.csv"), "MODEL_FOLDER": str(tmp_path / "m")}
    with pytest.raises(QgsProcessingException, match="Cancel"):
        run_alg("trainwells", params, feedback=Recorder(cancel_at="Drivers:"))
    assert not (tmp_path / "new").exists() and not (tmp_path / "m").exists()
    run_alg("trainwells", params)
    assert (tmp_path / "new" / "deeper" / "w.gpkg").is_file()


class Recorder(QgsProcessingFeedback):
    def __init__(self, cancel_at=None):
        super().__init__()
        self.texts = []
        self.cancel_at = cancel_at

    def pushInfo(self, info):  # noqa: N802
        self.texts.append(info)
        if self.cancel_at and self.cancel_at in info:
            self.cancel()
        super().pushInfo(info)


@pytest.fixture()
def earlier_run(run_alg, project, tmp_path):
    """A good run's outputs: wells and simulation in one GeoPackage (with a table of the user's), a model folder."""
    _, inputs = project
    out, folder = tmp_path / "out.gpkg", tmp_path / "models"
    params = {**inputs, **TINY, "OUTPUT": f"ogr:dbname='{out}' table=wells (geom)",
              "SIMULATION": f"ogr:dbname='{out}' table=simulation", "MODEL_FOLDER": str(folder)}
    run_alg("trainwells", params)
    return params, out, folder, tree_digest(out, folder)


def test_a_failed_run_keeps_the_earlier_outputs(run_alg, earlier_run, tmp_path):  # cases 4 and 5
    params, out, folder, before = earlier_run
    # SIMULATION gets a file name no file system takes: the run fails after the training, when OUTPUT and the
    # model folder were written, so both must come back exactly as they were
    feedback = Recorder()
    with pytest.raises(QgsProcessingException) as info:
        run_alg("trainwells", {**params, "SEED": 4, "SIMULATION": str(tmp_path / ("s" * 260 + ".csv"))},
                feedback=feedback)
    assert any(t.startswith("Drivers:") for t in feedback.texts)  # it failed while writing, not before training
    assert str(info.value).startswith("SIMULATION: ") and "kept as they were" in str(info.value)
    assert "gwlstm_staged" not in str(info.value)  # the user's paths, not the staged copies'
    assert tree_digest(out, folder) == before
    assert leftovers(tmp_path) == []


def test_a_cancelled_run_keeps_the_earlier_outputs(run_alg, earlier_run, tmp_path):
    params, out, folder, before = earlier_run
    feedback = Recorder(cancel_at="Drivers:")  # cancel as soon as the run starts training
    with pytest.raises(QgsProcessingException, match="Cancel"):
        run_alg("trainwells", {**params, "SEED": 4}, feedback=feedback)
    assert tree_digest(out, folder) == before
    assert leftovers(tmp_path) == []


def test_a_rerun_replaces_its_own_outputs_and_keeps_the_other_tables(run_alg, earlier_run, tmp_path):
    import sqlite3

    params, out, folder, before = earlier_run
    with sqlite3.connect(out) as con:
        con.execute("create table my_notes (note text)")
        con.execute("insert into my_notes values ('keep me')")
    run_alg("trainwells", {**params, "SEED": 4})
    after = tree_digest(out, folder)
    assert after[str(folder / "manifest.json")] != before[str(folder / "manifest.json")]  # the new run is there
    with sqlite3.connect(out) as con:
        assert con.execute("select note from my_notes").fetchall() == [("keep me",)]
        assert con.execute("select count(*) from wells").fetchone()[0] == 3
    assert leftovers(tmp_path) == []
    assert sorted(os.listdir(folder)) == ["manifest.json", "weights"]
