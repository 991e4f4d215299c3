"""Numbers and dates as an Italian reader expects them."""

from datetime import date, datetime

import pytest

from schede_excel.italian import day, number, percent


@pytest.mark.parametrize("value, decimals, grouping, shown", [
    (72.44, 1, False, "72,4"), (72.45, 1, False, "72,5"), (100, 1, False, "100,0"), (2, None, False, "2"),
    (0.25, None, False, "0,25"), (-9.0, None, False, "-9"), (1500.5, 2, True, "1.500,50"),
    (1234567, 0, True, "1.234.567"), (-0.04, 1, False, "0,0"), (None, 1, False, ""),
    (88.4168494152047, 1, False, "88,4"), (-0.024999999999999994, None, False, "-0,025"),
    # halves away from zero, on the 15 digits a spreadsheet shows: what Excel and LibreOffice print
    (99.25, 1, False, "99,3"), (2.675, 2, False, "2,68"), (-2.5, 0, False, "-3"), (0.5, 0, False, "1"),
    (1.0000000000000002, None, False, "1"), (0.1 + 0.2, None, False, "0,3"), (1234.5, 0, True, "1.235"),
])
def test_number(value, decimals, grouping, shown):
    assert number(value, decimals, grouping=grouping) == shown


def test_percent_and_day():
    assert percent(0.9) == "90%"
    assert percent(0.125, 1) == "12,5%"
    assert percent(None) == ""
    assert percent(0.145) == "15%"  # 14.499999999999998 after x 100: a cell formatted 0% shows 15%
    assert number(2.5, 2, trim=True) == "2,5" and number(3.0, 2, trim=True) == "3" and number(2.675, 2, trim=True) == "2,68"
    assert number(float("nan")) == "nan" and number(1e20, 0) == "100000000000000000000"
    assert day(date(2023, 7, 5)) == "05/07/2023"
    assert day(datetime(2023, 7, 5, 9, 3)) == "05/07/2023 09:03"
