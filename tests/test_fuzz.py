"""Bytes flipped and files truncated at random (seeded): the import never raises, and never reads a wrong value.

Two returns are damaged: one as XlsxWriter and openpyxl write .xlsx files (Excel-style), one as
LibreOffice saves an .ods. Whatever the damage, `read_return` returns (a finding, or values);
and every value it does read equals the one in the undamaged file: the zip's CRC-32 and the
reader's checks leave no room for a silently changed value. About a minute in all.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from schede_excel.returns.importer import read_return
from tests import hostile

EXAMPLES = 10_000  # per return: about half a minute each on one core

damage = st.tuples(
    st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=0, max_size=8),
    st.none() | st.floats(0, 1, exclude_max=True),
)


def damaged(data: bytes, flips, cut) -> bytes:
    """`data` with bytes XOR-ed at the given relative positions, then cut at a relative length."""
    out = bytearray(data)
    for where, mask in flips:
        out[int(where * len(out))] ^= mask
    if cut is not None:
        out = out[: int(cut * len(out))]
    return bytes(out)


def values(read) -> dict:
    """Every value read, by objective and place: RAGGIUNTO, review texts, staff rows."""
    found = {}
    for record in read.objectives:
        for i in record.indicators:
            if i.achieved is not None:
                found[(record.objective, i.kind.value, i.index)] = i.achieved
        for review in record.reviews:
            for name in ("causes", "effects", "actions_taken", "actions_planned"):
                if getattr(review, name):
                    found[(record.objective, review.round, name)] = getattr(review, name)
        for k, person in enumerate(record.staff):
            found[(record.objective, "staff", k)] = (person.name, person.category, person.participation)
    return found


_ORIGINAL: dict[bytes, dict] = {}


def check(plan, data: bytes, name: str, flips, cut) -> None:
    if data not in _ORIGINAL:
        _ORIGINAL[data] = values(read_return(plan, data, name))
    original = _ORIGINAL[data]
    assert original
    read = read_return(plan, damaged(data, flips, cut), name)  # never raises
    for key, value in values(read).items():
        assert key in original and original[key] == value, (key, value)


@pytest.fixture(scope="module")
def excel_style():
    plan = hostile.corpus_plan()
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        filled, expected = hostile.fill(plan, hostile.generated(plan, Path(folder))["S02"], "S02")
    read = read_return(plan, filled, "ritorno-S02.xlsx")
    assert hostile.achieved(read.objectives) == expected
    return plan, filled


@seed(14)
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(damage=damage)
def test_an_excel_style_return_damaged_at_random(excel_style, damage):
    plan, data = excel_style
    check(plan, data, "ritorno-S02.xlsx", *damage)


@seed(14)
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(damage=damage)
def test_a_libreoffice_return_damaged_at_random(libreoffice_return, damage):
    plan, data, expected = libreoffice_return
    check(plan, data, "ritorno-S01.ods", *damage)


def test_the_libreoffice_return_reads_in_full(libreoffice_return):
    plan, data, expected = libreoffice_return
    assert hostile.achieved(read_return(plan, data, "ritorno-S01.ods").objectives) == expected
