from qgis.core import QgsApplication

EXPECTED = {"createsampledata", "trainwells", "simulatelevels", "freezethaw", "explaindrivers", "classifydynamics",
            "analysewells", "stylewells", "wellreport", "sampleforcing"}


def test_provider_registers_with_stable_ids(provider):
    reg = QgsApplication.processingRegistry()
    assert reg.providerById("groundwaterlstm") is provider
    ids = {a.name() for a in provider.algorithms()}
    assert EXPECTED <= ids
    for alg in provider.algorithms():
        assert alg.id() == f"groundwaterlstm:{alg.name()}"
        assert alg.name() == alg.name().lower() and " " not in alg.name()
        assert alg.shortHelpString(), f"{alg.name()} has no help"
        assert not alg.icon().isNull()


def test_every_algorithm_declares_its_outputs(provider):
    for alg in provider.algorithms():
        names = [o.name() for o in alg.outputDefinitions()]
        assert names, f"{alg.name()} declares no output"


def test_the_returned_keys_are_the_declared_output_names(provider, run_alg, tmp_path):
    # The data contract, on real runs of the quick algorithms (the others in their own tests)
    reg = QgsApplication.processingRegistry()
    sample = run_alg("createsampledata", {"WELLS": 3, "YEARS": 3, "SEED": 1, "WELLS_OUTPUT": str(tmp_path / "w.gpkg"),
                                          "LEVELS_OUTPUT": str(tmp_path / "l.csv"),
                                          "FORCING_OUTPUT": str(tmp_path / "f.csv")})
    calendar = run_alg("freezethaw", {"FORCING": sample["FORCING_OUTPUT"], "TEMP_FIELD": "temp",
                                      "OUTPUT": str(tmp_path / "periods.csv")})
    for name, result in (("createsampledata", sample), ("freezethaw", calendar)):
        declared = {o.name() for o in reg.algorithmById(f"groundwaterlstm:{name}").outputDefinitions()}
        assert set(result) == declared, (name, set(result) ^ declared)
