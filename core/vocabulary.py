"""The words of the method, defined once: drivers, periods, splits, dynamics types, scores and their colours.

Every other module imports them from here (the report, the QGIS styling and the well inspector draw with the same
palette). Colours are Okabe-Ito, safe for colour-blind readers.
"""

# -- drivers: the roles a forcing column can play ----------------------------------------------------------------
DRIVERS = ("precip", "temp", "pet", "river", "pumping")
DRIVER_UNITS = {"precip": "mm/day", "temp": "degC", "pet": "mm/day", "river": "m", "pumping": "m3/day"}
DRIVER_LABELS = {
    "precip": "precipitation",
    "temp": "air temperature",
    "pet": "potential evaporation",
    "river": "river stage",
    "pumping": "pumping",
}
DRIVER_COLOURS = {"precip": "#0072B2", "temp": "#D55E00", "pet": "#E69F00", "river": "#56B4E9",
                  "pumping": "#CC79A7"}
OTHER_DRIVER_COLOURS = ("#009E73", "#000000", "#999933", "#882255", "#44AA99", "#888888")
SEASON = "season"  # the day-of-year input: part of the model, never a driver of the level

# -- the freeze-thaw periods ---------------------------------------------------------------------------------------
PERIODS = ("freezing", "thawing", "unfrozen")
PERIOD_FIELDS = {"freezing": "dom_frz", "thawing": "dom_thw", "unfrozen": "dom_unf"}  # dominant driver per period
DOMINANT_FIELDS = ("dom_drv", *PERIOD_FIELDS.values())  # over the whole record, then per period
PERIOD_COLOURS = {"freezing": "#56B4E9", "thawing": "#E69F00", "unfrozen": "#8c8c8c", "all": "#444444"}
WINTER_START_MONTH = 7  # a winter runs from 1 July to 30 June and is named by the year it starts in

# -- the chronological splits of every well's record ---------------------------------------------------------------
SPLITS = ("train", "val", "test")
SPLIT_LABELS = {"train": "training", "val": "validation", "test": "test"}
SPLIT_COLOURS = {"train": "#bdbdbd", "val": "#F0E442", "test": "#CC79A7"}
# the hydrograph: the same colours in the report and the well inspector
SERIES_COLOURS = {"observed": "#000000", "simulated": "#D55E00", "spread": "#555555", "tfn": "#0072B2"}  # tfn: Pastas
SCORE_FIELDS = ("nse_train", "nse_val", "nse_test", "kge_test", "rmse_test", "bias_test")  # on each well
TUNE_FIELDS = ("tuned",)  # with tuning: the settings a well took, or that it kept the run's
BASELINE_FIELDS = ("nse_tfn", "kge_tfn", "lstm_gain")  # with the Pastas baseline: its test scores, LSTM NSE minus its

# -- the dynamics types ---------------------------------------------------------------------------------------------
TYPES = ("infiltration-evaporation", "infiltration-runoff", "extraction")
UNDETERMINED = "undetermined"
TYPE_VALUES = (*TYPES, UNDETERMINED)  # every value dyn_type takes (NULL for a well that was not classified)
TYPE_COLOURS = {
    "infiltration-evaporation": "#0072B2",  # blue
    "infiltration-runoff": "#009E73",  # bluish green
    "extraction": "#D55E00",  # vermillion
    UNDETERMINED: "#999999",  # grey
}
TYPE_LABELS = {
    "infiltration-evaporation": "Precipitation infiltration\u2013evaporation",
    "infiltration-runoff": "Precipitation infiltration\u2013runoff",
    "extraction": "Extraction (pumping)",
    UNDETERMINED: "Undetermined",
}
NO_TYPE_COLOUR = "#d9d9d9"
NO_TYPE_LABEL = "No type (skipped or not classified)"

# -- scores ---------------------------------------------------------------------------------------------------------
METRIC_NAMES = ("nse", "kge", "r", "alpha", "beta", "rmse", "mae", "bias")
