"""Bad or awkward inputs the core reads right or refuses with the field and the fix (the catalogue's core part):
NoData codes, thousands separators, split dates, share fields of extra drivers."""
import numpy as np
import pandas as pd
import pytest

from groundwater_lstm.core.inputs.forcing import read_forcing
from groundwater_lstm.core.inputs.levels import read_levels
from groundwater_lstm.core.inputs.values import date_text, parse_numbers
from groundwater_lstm.core.errors import InputError
from groundwater_lstm.core.explanation.config import WellExplanation
from groundwater_lstm.core.explanation.shares import share_fields, wells_table
from groundwater_lstm.core.inputs.roles import Roles
from groundwater_lstm.core.model.config import TrainConfig


def test_nodata_levels_are_missing_not_observations():  # case 8
    days = pd.date_range("2010-01-01", periods=6).strftime("%Y-%m-%d")
    levels = pd.DataFrame({"well_id": ["A"] * 6, "date": days, "level": [12.1, -9999, 12.3, "-9999", 12.2, 9999]})
    said = []
    out = read_levels(levels, log=said.append)
    assert list(out["level"]) == [12.1, 12.3, 12.2]
    note = next(s for s in said if "NoData" in s)
    assert "3 values" in note and "'level'" in note and "'A'" in note and "Fix:" in note


@pytest.mark.parametrize("driver", ["river", "pumping", "temp"])
def test_nodata_in_a_driver_is_missing_not_a_value(driver):  # case 9
    days = pd.date_range("2010-01-01", periods=400)
    values = np.full(400, 3.0)
    values[[5, 50]] = -9999.0
    forcing = pd.DataFrame({"date": days, "precip": 1.5, driver: values})
    said = []
    roles = Roles(precip="precip", **{driver: driver})
    out = read_forcing(forcing, roles, log=said.append)
    assert out[driver].isna().sum() == 2 and out[driver].max() == 3.0
    assert any("NoData" in s and f"'{driver}'" in s for s in said), said


def test_thousands_separators_are_told_from_decimal_commas():  # case 7
    assert list(parse_numbers(["1,063", "12.5"])[0]) == [1063.0, 12.5]       # a decimal point elsewhere
    assert list(parse_numbers(["1,063,000", "850"])[0]) == [1063000.0, 850.0]  # grouped twice
    assert list(parse_numbers(["1,5", "0,25"])[0]) == [1.5, 0.25]             # decimal commas
    assert list(parse_numbers(["1,063", "2,5"])[0]) == [1.063, 2.5]           # '2,5' can only be decimal
    with pytest.raises(InputError) as info:
        parse_numbers(["1,063", "850", "2,100"], field="pumping")
    text = str(info.value)
    assert "'pumping'" in text and "1.063" in text and "1063" in text and "Fix:" in text


def test_pumping_with_ambiguous_commas_is_refused_not_read_1000_times_too_small():
    days = pd.date_range("2010-01-01", periods=3).strftime("%Y-%m-%d")
    forcing = pd.DataFrame({"date": days, "precip": ["1", "2", "0"], "pumping": ["1,063", "980", "1,120"]})
    with pytest.raises(InputError, match="pumping"):
        read_forcing(forcing, Roles(precip="precip", pumping="pumping"))


def test_split_dates_use_the_datas_reader():  # case 10
    assert TrainConfig(test_start="01.06.2012").test_start == "2012-06-01"  # 1 June, as in the levels
    assert date_text("2012/06/01") == date_text("2012-06-01T00:00") == "2012-06-01"
    with pytest.raises(InputError) as info:
        TrainConfig(test_start="01/06/2012")
    assert "day and month" in str(info.value) and "`test_start`" in str(info.value)


def test_share_fields_of_extra_drivers_are_unique_in_ten_characters():  # case 6
    fields = share_fields(["precip", "soil_temp_10cm", "soil_temp_50cm", "soil_temp_90cm"])
    assert len(set(fields.values())) == 4 and all(len(f) <= 10 for f in fields.values())
    assert fields["precip"] == "sh_precip"

    def E(shares):  # an explanation with only what wells_table reads filled in
        return WellExplanation("A", pd.DataFrame(), pd.DataFrame(), {d: {"share": s} for d, s in shares.items()},
                               {"overall": max(shares, key=shares.get)},
                               {"seed_agreement": {}, "completeness_error": {}})

    table = wells_table({"A": E({"precip": 0.5, "soil_temp_10cm": 0.2, "soil_temp_50cm": 0.3})})
    shares = {c: table[c].iloc[0] for c in table.columns if c.startswith("sh_")}
    assert sorted(shares.values()) == [0.2, 0.3, 0.5]  # the second extra driver no longer overwrites the first


def test_nodata_codes_can_be_the_users_own_or_none():
    days = pd.date_range("2010-01-01", periods=4).strftime("%Y-%m-%d")
    levels = pd.DataFrame({"well_id": "A", "date": days, "level": [5.0, -1.0, -9999.0, 5.2]})
    assert list(read_levels(levels, nodata=(-1.0,))["level"]) == [5.0, -9999.0, 5.2]
    assert list(read_levels(levels, nodata=())["level"]) == [5.0, -1.0, -9999.0, 5.2]


def test_implausible_values_are_named_with_well_dates_and_fix():
    from groundwater_lstm.core.inputs.plausibility import plausibility_notes

    days = pd.date_range("2010-01-01", periods=200)
    level = 10 + 0.3 * np.sin(np.arange(200) / 20)
    level[120] = -35.0  # a depth typed among heads
    notes = plausibility_notes(level, days.values, "level", "A", "level")
    assert len(notes) == 1 and "well 'A'" in notes[0] and "2010-05-01" in notes[0] and "Fix:" in notes[0]
    stuck = level.copy()
    stuck[20:100] = 10.0
    assert any("80 readings in a row" in n for n in plausibility_notes(stuck, days.values, "level", "A", "level"))
    pumping = np.full(200, 500.0)
    pumping[:3] = -500.0
    notes = plausibility_notes(pumping, days.values, "pumping", "P", "q", negative=True)
    assert any("3 negative pumping values" in n and "2010-01-01" in n for n in notes)
    seasonal = np.where((np.arange(200) % 100) < 40, 5000.0, 800.0) + np.arange(200)  # irrigation: not outliers
    assert plausibility_notes(seasonal, days.values, "pumping", "P", "q", negative=True) == []
