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


def test_every_declared_output_is_returned_by_name(provider):
    # The data contract: returned dict keys equal the output names (checked per algorithm in its own test too).
    for alg in provider.algorithms():
        names = [o.name() for o in alg.outputDefinitions()]
        assert names, f"{alg.name()} declares no output"
