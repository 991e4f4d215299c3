"""Generated workbooks in a real LibreOffice: typed in, recalculated, re-saved, printed.

LibreOffice enters RAGGIUNTO values into the unlocked cells of the protected sheets; its own
recalculation of Scost., of each indicator's achievement and of the two review averages must
equal what `scoring.py` computes. The files it saves (.xlsx and .ods) keep the values, and its
PDF prints every sheet one page wide.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from schede_excel.sheet.generate import generate, planned_workbooks, review_for
from schede_excel.sheet.layout import TIME_KINDS, VALUE_KINDS, a1, sheet_layout, sheet_names
from schede_excel.plan.model import IndicatorKind
from schede_excel.plan.rules import deviation, sheet_achievement, sheet_average
from schede_excel.plan.targets import Entry
from tests.libreoffice import ProtectedCellError

# Two sets of RAGGIUNTO values per entry kind: on time / met, and late / short.
VALUES = {
    Entry.PERCENT: (0.95, 0.6),
    Entry.NUMBER: (5, 2.5),
    Entry.DATE: (date(2023, 1, 20), date(2023, 3, 15)),
    Entry.DAYS: (25, 60),
    Entry.PERIODS: (6, 2),
    Entry.COUNT: (0, 3),
    Entry.YES_NO: ("Sì", "No"),
}


def fill_and_check(libreoffice, plan, path, book, round_, choose, tmp_path):
    """Type values through LibreOffice, recalculate, compare every formula with the library."""
    review = review_for(plan, round_)
    names = sheet_names(list(book.objectives))
    expected_by_sheet = {}
    with libreoffice.open(path) as doc:
        for name, objective in zip(names, book.objectives):
            lay = sheet_layout(objective, staff_rows=plan.staff_rows)
            entries, pairs = [], {k: [] for k in IndicatorKind}
            for n, slot in enumerate(lay.indicators):
                target = slot.indicator.parsed_target(plan.year, cost=slot.kind is IndicatorKind.COST)
                value = choose(target.entry, n)
                pairs[slot.kind].append((target, _as_library(value)))
                if value is not None:
                    entries.append((name, a1(*slot.achieved), value))
            doc.set_many(entries)
            expected_by_sheet[name] = (lay, pairs)
        doc.recalculate()
        for name, (lay, pairs) in expected_by_sheet.items():
            flat = [(slot, pair) for slot, pair in zip(lay.indicators, [p for k in IndicatorKind for p in pairs[k]])]
            for slot, (target, achieved) in flat:
                dev = doc.get(name, a1(*slot.deviation))
                want = deviation(target, achieved, review.date)
                assert _same(dev, want), (name, slot.indicator.description, dev, want)
                got = doc.get(name, a1(*slot.achievement))
                want = sheet_achievement(target, achieved, review.date, plan.scoring, final=review.final)
                assert _same(got, want), (name, slot.indicator.description, target.text, achieved, got, want)
            block = lay.reviews[round_]
            for span, kinds in ((block.value_score, VALUE_KINDS), (block.time_score, TIME_KINDS)):
                got = doc.get(name, a1(span.row, span.col))
                want = sheet_average([p for k in kinds for p in pairs[k]], review.date, plan.scoring, final=review.final)
                assert _same(got, want), (name, kinds, got, want)
        saved = {suffix: doc.save_as(tmp_path / f"{Path(path).stem}-lo{suffix}") for suffix in (".xlsx", ".ods")}
    return expected_by_sheet, saved


def _as_library(value):
    if isinstance(value, str):
        return value == "Sì"
    return value


def _same(got, want) -> bool:
    if want is None:
        return got in (None, "")
    return isinstance(got, float) and abs(got - want) < 0.01


@pytest.mark.parametrize("round_", ["interim", "final"])
@pytest.mark.parametrize("variant", [0, 1])
def test_formulas_agree_with_the_library(libreoffice, small_plan, tmp_path, round_, variant):
    written = generate(small_plan, tmp_path / "out", round_=round_, annex=False)
    book = planned_workbooks(small_plan, round_, annex=False)[0]  # FIN: every target kind
    path = next(w.path for w in written if w.path.name == book.filename)

    def choose(entry, n):
        if (n + variant) % 4 == 3:
            return None  # some left blank: not averaged at the interim review, 0 at the final
        return VALUES[entry][(n + variant) % 2]

    expected, saved = fill_and_check(libreoffice, small_plan, path, book, round_, choose, tmp_path)
    # The .xlsx LibreOffice saved keeps the typed values and the computed results.
    wb = openpyxl.load_workbook(saved[".xlsx"], data_only=True)
    for name, (lay, pairs) in expected.items():
        ws = wb[name]
        flat = [p for k in IndicatorKind for p in pairs[k]]
        for slot, (target, achieved) in zip(lay.indicators, flat):
            cell = ws.cell(slot.achieved[0] + 1, slot.achieved[1] + 1).value
            if achieved is None:
                assert cell in (None, "")
            elif isinstance(achieved, date):
                assert cell.date() == achieved
            elif isinstance(achieved, bool):
                assert cell == ("Sì" if achieved else "No")
            else:
                assert cell == pytest.approx(achieved)
    assert saved[".ods"].stat().st_size > 0


def test_the_ods_reopens_with_the_same_results(libreoffice, small_plan, tmp_path):
    written = generate(small_plan, tmp_path / "out", annex=False)
    book = planned_workbooks(small_plan, annex=False)[0]
    path = next(w.path for w in written if w.path.name == book.filename)
    expected, saved = fill_and_check(libreoffice, small_plan, path, book, "interim",
                                     lambda entry, n: VALUES[entry][n % 2], tmp_path)
    with libreoffice.open(saved[".ods"]) as doc:
        doc.recalculate()
        for name, (lay, _) in expected.items():
            block = lay.reviews["interim"]
            assert isinstance(doc.get(name, a1(block.value_score.row, block.value_score.col)), float)


def test_protection_and_cached_values_on_open(libreoffice, small_plan, tmp_path):
    written = generate(small_plan, tmp_path / "out", annex=False)
    book = planned_workbooks(small_plan, annex=False)[0]
    path = next(w.path for w in written if w.path.name == book.filename)
    name = sheet_names(list(book.objectives))[0]
    lay = sheet_layout(book.objectives[0], staff_rows=small_plan.staff_rows)
    slot = lay.indicators[0]
    with libreoffice.open(path) as doc:
        assert doc.is_protected(name)
        assert doc.is_locked(name, a1(*slot.target))
        assert not doc.is_locked(name, a1(*slot.achieved))
        with pytest.raises(ProtectedCellError):
            doc.set(name, a1(*slot.target), "50%")
        block = lay.reviews["interim"]
        # As opened, before any recalculation: blank, not a stale 0.
        assert doc.get(name, a1(block.value_score.row, block.value_score.col)) in (None, "")
        assert doc.get(name, a1(*slot.deviation)) in (None, "")
