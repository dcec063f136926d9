"""Which column is which, guessed from its name: what a table's author most likely called each field.

The names cover this project's own tables, the 2022 groundwater modelling challenge (``time``, ``rr``, ``tg``,
``et``, ``head``), E-OBS and CF (``tas``, ``pr``), Pastas examples and the usual spellings of agencies' exports.
A guess is only a default: the caller shows it (dialog) or logs it (headless) and the user can override it.
"""
import re

# Candidates in order of preference, lower case. Each name belongs to one key only.
COLUMN_NAMES = {
    "well_id": ("well_id", "wellid", "well", "id", "name", "station", "station_id", "site", "site_id", "code",
                "piezometer", "bore_id", "gwl_id"),
    "date": ("date", "time", "datetime", "day", "timestamp", "datum", "dates"),
    "level": ("level", "head", "gwl", "heads", "gw_level", "groundwater_level", "water_level", "h", "stand",
              "gwl_m", "level_m"),
    "precip": ("precip", "prcp", "rr", "rain", "precipitation", "pr", "prec", "p", "rainfall", "prcp_mm"),
    "temp": ("temp", "tg", "tas", "tmean", "t_mean", "temperature", "t2m", "tavg", "air_temp", "t"),
    "pet": ("pet", "et", "evap", "evaporation", "etp", "pev", "et0", "eto", "e", "evapotranspiration"),
    "river": ("river", "stage", "river_stage", "riv", "water_stage", "q", "discharge"),
    "pumping": ("pumping", "pump", "extraction", "abstraction", "withdrawal", "pumping_rate", "well_rate", "qw"),
}


def _plain(name):
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def guess_column(names, key, taken=()):
    """The column of ``names`` that most likely holds ``key`` (a key of COLUMN_NAMES), or None.

    An exact name (ignoring case and punctuation) wins over a name whose first word matches (``precip_mm``,
    ``Temp (degC)``); earlier candidates win over later ones. Columns in ``taken`` are never chosen.
    """
    candidates = COLUMN_NAMES[key]
    free = [n for n in names if n not in set(taken)]
    plain = {n: _plain(n) for n in free}
    for want in candidates:
        for n in free:
            if plain[n] == want:
                return n
    for want in candidates:
        if len(want) < 2:  # 'p', 't', 'h' as a first word would match too much ('t_min', 'p_value')
            continue
        for n in free:
            if plain[n].split("_")[0] == want:
                return n
    return None


def guess_columns(names, keys=tuple(COLUMN_NAMES)):
    """key -> column for every key of ``keys`` that a column of ``names`` answers, each column used once."""
    found = {}
    for key in keys:
        column = guess_column(names, key, taken=found.values())
        if column is not None:
            found[key] = column
    return found
