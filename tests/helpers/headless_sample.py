"""A sample network made by the real createsampledata under qgis_process, for the headless tier."""


def sample_files(qgis_process, folder, wells, years, seed):
    """Wells in a GeoPackage, levels and forcing as CSV (numbers as text): the input parameters of the algorithms
    that read them."""
    qgis_process.run_json("createsampledata", {
        "WELLS": wells, "YEARS": years, "SEED": seed, "WELLS_OUTPUT": folder / "wells.gpkg",
        "LEVELS_OUTPUT": folder / "levels.csv", "FORCING_OUTPUT": folder / "forcing.csv"})
    return {"WELLS": folder / "wells.gpkg", "LEVELS": folder / "levels.csv", "FORCING": folder / "forcing.csv"}
