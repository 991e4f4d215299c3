"""Numbers and dates as an Italian reader expects them."""

from datetime import date, datetime

import pytest

from schede_excel.italian import day, number, percent


@pytest.mark.parametrize("value, decimals, grouping, shown", [
    (72.44, 1, False, "72,4"), (72.45, 1, False, "72,5"), (100, 1, False, "100,0"), (2, None, False, "2"),
    (0.25, None, False, "0,25"), (-9.0, None, False, "-9"), (1500.5, 2, True, "1.500,50"),
    (1234567, 0, True, "1.234.567"), (-0.04, 1, False, "0,0"), (None, 1, False, ""),
    (88.4168494152047, 1, False, "88,4"), (-0.024999999999999994, None, False, "-0,025"),
])
def test_number(value, decimals, grouping, shown):
    assert number(value, decimals, grouping=grouping) == shown


def test_percent_and_day():
    assert percent(0.9) == "90%"
    assert percent(0.125, 1) == "12,5%"
    assert percent(None) == ""
    assert day(date(2023, 7, 5)) == "05/07/2023"
    assert day(datetime(2023, 7, 5, 9, 3)) == "05/07/2023 09:03"
