"""Columns guessed by name (core/inputs/names): the spellings users' tables have, each column used once."""
from groundwater_lstm.core.inputs.names import COLUMN_NAMES, guess_column, guess_columns


def test_challenge_eobs_and_own_spellings():
    assert guess_columns(["time", "rr", "tg", "tn", "tx", "pp", "hu", "fg", "qq", "et"]) == {
        "date": "time", "precip": "rr", "temp": "tg", "pet": "et"}
    assert guess_columns(["Date", "head"]) == {"date": "Date", "level": "head"}
    assert guess_columns(["well_id", "date", "precip", "temp", "pet", "river", "pumping"]) == {
        "well_id": "well_id", "date": "date", "precip": "precip", "temp": "temp", "pet": "pet", "river": "river",
        "pumping": "pumping"}
    assert guess_columns(["ID", "DATUM", "GWL_m", "Precip (mm)", "Temp (degC)"]) == {
        "well_id": "ID", "date": "DATUM", "level": "GWL_m", "precip": "Precip (mm)", "temp": "Temp (degC)"}


def test_exact_names_win_and_short_names_never_match_a_first_word():
    assert guess_column(["precip_mm", "precip"], "precip") == "precip"
    assert guess_column(["t_min", "t_max"], "temp") is None  # 't' is only ever the whole name
    assert guess_column(["p_value"], "precip") is None
    assert guess_column(["name", "id"], "well_id") == "id"  # earlier candidates first
    assert guess_column(["station"], "well_id", taken=["station"]) is None


def test_every_spelling_belongs_to_one_key():
    seen = {}
    for key, names in COLUMN_NAMES.items():
        for name in names:
            assert name not in seen, f"{name!r} is listed for {seen.get(name)} and {key}"
            seen[name] = key
