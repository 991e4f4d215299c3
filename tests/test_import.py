"""Returned workbooks read back: what was entered comes back exactly, and every anomaly is reported.

Round trips (generate, fill, import) through openpyxl with random values (hypothesis) and
through a real LibreOffice saving .xlsx and .ods; text values normalised or refused; small_plan-owned
values changed; missing, blank and wrong-kind values; staff rows inserted.
"""

from __future__ import annotations

import io
import json
import os
from datetime import date, datetime

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schede_excel.returns.values import MAX_PERCENT
from schede_excel.sheet.generate import planned_workbooks, review_for
from schede_excel.returns.importer import import_returns, read_return
from schede_excel.sheet.layout import COL_TARGET, a1, sheet_layout, sheet_names
from schede_excel.plan.model import IndicatorKind
from schede_excel.plan.targets import Entry
from schede_excel.sheet.writer import build_workbook

CATEGORIES = ["Istruttori", "Funzionari e EQ", "C", "D3"]
TEXT = st.text(alphabet=st.sampled_from("abcdefghilmnopqrstuvzàèéìòù ABCDEFGHILMNOPQRSTUVZ0123456789.,;:'%()-\n"),
               min_size=1, max_size=80).map(str.strip).filter(bool)


@pytest.fixture(scope="module")
def fin_book(small_plan):
    """The FIN sector's workbook: TUTTI/1, FIN/1, FIN/2, covering every target kind."""
    book = planned_workbooks(small_plan)[0]
    assert book.sector.code == "FIN"
    return book, build_workbook(small_plan, list(book.objectives), sector=book.sector, review=review_for(small_plan, "interim"))


def entry_values(entry: Entry):
    return {
        Entry.PERCENT: st.floats(0, MAX_PERCENT).map(lambda x: round(x, 4)),  # above 200% is refused
        Entry.NUMBER: st.floats(0, 1_000_000).map(lambda x: round(x, 2)),
        Entry.DATE: st.dates(date(2022, 1, 1), date(2025, 12, 31)),
        Entry.DAYS: st.integers(0, 365).map(float),
        Entry.PERIODS: st.integers(0, 12).map(float),
        Entry.COUNT: st.integers(0, 20).map(float),
        Entry.YES_NO: st.booleans(),
    }[entry] | st.none()


def slots_of(small_plan, book):
    names = sheet_names(list(book.objectives))
    for name, objective in zip(names, book.objectives):
        lay = sheet_layout(objective, staff_rows=small_plan.staff_rows)
        yield name, objective, lay


@st.composite
def fillings(draw, small_plan, book):
    """Random valid entries for every input of every sheet of a workbook."""
    filling = {}
    for name, objective, lay in slots_of(small_plan, book):
        values = []
        for slot in lay.indicators:
            entry = slot.indicator.parsed_target(small_plan.year, cost=slot.kind is IndicatorKind.COST).entry
            values.append(draw(entry_values(entry)))
        texts = {f: draw(TEXT | st.just("")) for f in ("causes", "effects", "actions_taken", "actions_planned")}
        people = draw(st.lists(st.tuples(TEXT, st.sampled_from(CATEGORIES),
                                         st.integers(0, 100).map(lambda p: p / 100)), max_size=small_plan.staff_rows))
        filling[name] = (values, texts, people)
    return filling


def write_with_openpyxl(small_plan, book, data, filling) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for name, objective, lay in slots_of(small_plan, book):
        ws = wb[name]
        values, texts, people = filling[name]
        for slot, value in zip(lay.indicators, values):
            if isinstance(value, bool):
                value = "Sì" if value else "No"
            ws[a1(*slot.achieved)] = value
        block = lay.reviews["interim"]
        for field_name, where in block.texts().items():
            ws[a1(where.row, where.col)] = texts[field_name] or None
        for row, (person, category, share) in zip(lay.staff_rows, people):
            ws[a1(row, 0)], ws[a1(row, 2)], ws[a1(row, 3)] = person, category, share
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def assert_read_back(small_plan, book, records, filling):
    by_objective = {r.objective: r for r in records}
    for name, objective, lay in slots_of(small_plan, book):
        values, texts, people = filling[name]
        record = by_objective[objective.key]
        assert record.sector == book.sector.code and record.round == "interim"
        assert len(record.indicators) == len(values)
        for got, want in zip(record.indicators, values):
            if isinstance(want, float):
                assert got.achieved == pytest.approx(want, abs=1e-9), (name, got)
            else:
                assert got.achieved == want, (name, got)
        review = record.review("interim")
        assert {f: getattr(review, f) for f in texts} == texts
        assert [(s.name, s.category, s.participation) for s in record.staff] == [
            (p, c, pytest.approx(s)) for p, c, s in people]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_round_trip_through_openpyxl(small_plan, fin_book, data):
    book, generated = fin_book
    filling = data.draw(fillings(small_plan, book))
    returned = write_with_openpyxl(small_plan, book, generated, filling)
    read = read_return(small_plan, returned, "ritorno.xlsx")
    assert read.file.readable and read.file.sector == "FIN"
    assert not [f for f in read.findings if f.code in ("RET_003", "RET_010", "RET_011", "RET_020", "RET_021", "RET_030")]
    assert_read_back(small_plan, book, read.objectives, filling)


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_round_trip_through_libreoffice(libreoffice, small_plan, fin_book, tmp_path, suffix, data):
    book, generated = fin_book
    path = tmp_path / "generata.xlsx"
    path.write_bytes(generated)
    filling = data.draw(fillings(small_plan, book))
    entries = []
    for name, objective, lay in slots_of(small_plan, book):
        values, texts, people = filling[name]
        for slot, value in zip(lay.indicators, values):
            if value is not None:
                entries.append((name, a1(*slot.achieved), ("Sì" if value else "No") if isinstance(value, bool) else value))
        block = lay.reviews["interim"]
        for field_name, where in block.texts().items():
            if texts[field_name]:
                entries.append((name, a1(where.row, where.col), texts[field_name], "string"))
        for row, (person, category, share) in zip(lay.staff_rows, people):
            entries += [(name, a1(row, 0), person, "string"), (name, a1(row, 2), category, "string"),
                        (name, a1(row, 3), share)]
    with libreoffice.open(path) as doc:
        doc.set_many(entries)
        saved = doc.save_as(tmp_path / f"ritorno{suffix}")
    read = read_return(small_plan, saved.read_bytes(), saved.name)
    assert read.file.readable, [str(f) for f in read.findings]
    assert not [f for f in read.findings if f.code in ("RET_003", "RET_011", "RET_020", "RET_021")], [str(f) for f in read.findings]
    assert_read_back(small_plan, book, read.objectives, filling)


def fill_cells(small_plan, book, data, cells_by_sheet) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for name, cells in cells_by_sheet.items():
        for ref, value in cells.items():
            wb[name][ref] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# A number or date typed as text is what the sheet's formulas do not count: the import follows them
# (RET_015, not counted); Sì/No are text by nature and are read as written.
@pytest.mark.parametrize("typed, entry, expected, code", [
    ("95%", Entry.PERCENT, None, "RET_015"),
    ("95", Entry.PERCENT, None, "RET_015"),
    ("0,95", Entry.PERCENT, None, "RET_015"),
    ("95,5 %", Entry.PERCENT, None, "RET_015"),
    ("31/12", Entry.DATE, None, "RET_015"),
    ("31-dic", Entry.DATE, None, "RET_015"),
    ("31/12/2023", Entry.DATE, None, "RET_015"),
    ("31/02/2023", Entry.DATE, None, "RET_011"),
    ("sì", Entry.YES_NO, True, "RET_010"),
    ("SI", Entry.YES_NO, True, "RET_010"),
    ("x", Entry.YES_NO, True, "RET_010"),
    ("forse", Entry.YES_NO, None, "RET_011"),
    ("", Entry.NUMBER, None, None),
    (" ", Entry.NUMBER, None, "RET_010"),
    ("1.000", Entry.NUMBER, None, "RET_015"),
    ("quattro", Entry.NUMBER, None, "RET_011"),
    ("31/12/2023", Entry.COUNT, None, "RET_011"),
    ("2,5", Entry.COUNT, None, "RET_011"),
])
def test_values_typed_as_text(small_plan, fin_book, typed, entry, expected, code):
    book, generated = fin_book
    for name, objective, lay in slots_of(small_plan, book):
        for slot in lay.indicators:
            if slot.indicator.parsed_target(small_plan.year, cost=slot.kind is IndicatorKind.COST).entry is entry:
                returned = fill_cells(small_plan, book, generated, {name: {a1(*slot.achieved): typed}})
                read = read_return(small_plan, returned, "r.xlsx")
                record = next(r for r in read.objectives if r.objective == objective.key)
                got = next(i for i in record.indicators if i.cell == a1(*slot.achieved))
                assert got.achieved == (pytest.approx(expected) if isinstance(expected, float) else expected)
                codes = [f.code for f in read.findings if f.cell == a1(*slot.achieved) and f.sheet == name]
                if code:
                    assert code in codes
                else:
                    assert not set(codes) & {"RET_010", "RET_011", "RET_015"}
                if code == "RET_015":
                    assert "RET_013" not in codes  # one root cause, one finding
                return
    pytest.fail(f"no indicator of kind {entry}")


def test_a_date_where_a_count_is_expected_is_refused(small_plan, fin_book):
    book, generated = fin_book
    name, objective, lay = list(slots_of(small_plan, book))[1]  # FIN/1: "domande rigettate", nessuna
    slot = next(s for s in lay.indicators if s.indicator.target == "nessuna")
    returned = fill_cells(small_plan, book, generated, {name: {a1(*slot.achieved): datetime(2023, 5, 1)}})
    read = read_return(small_plan, returned, "r.xlsx")
    wrong = [f for f in read.findings if f.code == "RET_011" and f.cell == a1(*slot.achieved)]
    assert wrong and "data" in wrong[0].message


def test_plan_values_changed_in_the_file_are_reported_and_the_plan_wins(small_plan, fin_book):
    book, generated = fin_book
    name, objective, lay = list(slots_of(small_plan, book))[1]
    slot = lay.indicators[0]
    wb = openpyxl.load_workbook(io.BytesIO(generated))
    ws = wb[name]
    ws[a1(lay.objective.row, lay.objective.col)] = "TITOLO CAMBIATO"
    ws[a1(lay.weight.row, lay.weight.col)] = 99
    ws[a1(slot.row, COL_TARGET)] = "50%"
    out = io.BytesIO()
    wb.save(out)
    read = read_return(small_plan, out.getvalue(), "r.xlsx")
    changed = {f.cell: f for f in read.findings if f.code == "RET_020" and f.sheet == name}
    assert set(changed) == {a1(lay.objective.row, lay.objective.col), a1(lay.weight.row, lay.weight.col),
                            a1(slot.row, COL_TARGET)}
    assert "TITOLO CAMBIATO" in changed[a1(lay.objective.row, lay.objective.col)].message
    record = next(r for r in read.objectives if r.objective == objective.key)
    assert record.indicators[0].target == slot.indicator.target


def test_blank_due_indicators_and_participation_out_of_range(small_plan, fin_book):
    book, generated = fin_book
    name, objective, lay = list(slots_of(small_plan, book))[0]  # TUTTI/1
    row = lay.staff_rows[0]
    returned = fill_cells(small_plan, book, generated, {name: {a1(row, 0): "Rossi Mario", a1(row, 3): 1.5}})
    read = read_return(small_plan, returned, "r.xlsx")
    blank = {f.cell for f in read.findings if f.code == "RET_013" and f.sheet == name}
    due = {a1(*s.achieved) for s in lay.indicators if s.indicator.target != "31/12/2023"}
    assert blank == due  # 31/12/2023 is not yet due at the interim review
    assert [f.cell for f in read.findings if f.code == "RET_030"] == [a1(row, 3)]


def test_staff_rows_inserted_and_a_missing_sheet(small_plan, fin_book):
    book, generated = fin_book
    names = sheet_names(list(book.objectives))
    name, objective, lay = list(slots_of(small_plan, book))[0]
    wb = openpyxl.load_workbook(io.BytesIO(generated))
    ws = wb[name]
    first = lay.staff_rows[0]
    ws.insert_rows(first + 2, amount=3)  # inside the staff table, as a user adding people would
    for k, person in enumerate(["Uno", "Due", "Tre", "Quattro", "Cinque"]):
        ws[a1(first + k, 0)] = person
        ws[a1(first + k, 3)] = 0.2
    del wb[names[2]]  # FIN/2 not returned
    out = io.BytesIO()
    wb.save(out)
    read = read_return(small_plan, out.getvalue(), "r.xlsx")
    record = next(r for r in read.objectives if r.objective == objective.key)
    assert [s.name for s in record.staff] == ["Uno", "Due", "Tre", "Quattro", "Cinque"]
    assert sorted(r.objective for r in read.objectives) == ["FIN/1", "TUTTI/1"]


def test_staff_rows_deleted_and_cells_unmerged_or_merged_by_hand(small_plan, fin_book):
    book, generated = fin_book
    name, objective, lay = list(slots_of(small_plan, book))[1]  # FIN/1
    wb = openpyxl.load_workbook(io.BytesIO(generated))
    ws = wb[name]
    first = lay.staff_rows[0]
    ws.delete_rows(first + 1, amount=2)  # two empty staff rows removed
    block = lay.reviews["interim"]
    causes = f"{a1(block.causes.row, block.causes.col)}:{a1(block.causes.row, block.causes.last_col)}"
    ws.unmerge_cells(causes)  # the text stays in the first cell
    ws[a1(block.causes.row, block.causes.col)] = "Ritardo del fornitore"
    ws.unmerge_cells(f"{a1(first, 0)}:{a1(first, 1)}")
    ws[a1(first, 1)] = "Verdi Anna"  # typed in B once A and B are no longer merged
    ws[a1(first, 3)] = 1.0
    ws.merge_cells(f"{a1(block.effects.row, block.effects.col)}:{a1(block.effects.row + 1, block.effects.last_col)}")
    out = io.BytesIO()
    wb.save(out)
    read = read_return(small_plan, out.getvalue(), "r.xlsx")
    record = next(r for r in read.objectives if r.objective == objective.key)
    assert record.review("interim").causes == "Ritardo del fornitore"
    assert [(s.name, s.participation) for s in record.staff] == [("Verdi Anna", 1.0)]
    assert not [f for f in read.findings if f.code in ("RET_003", "RET_021") and f.sheet == name]


def test_import_reports_missing_objectives_and_writes_frames(small_plan, fin_book, tmp_path):
    book, generated = fin_book
    wb = openpyxl.load_workbook(io.BytesIO(generated))
    del wb[sheet_names(list(book.objectives))[2]]
    wb.save(tmp_path / "fin.xlsx")
    before = (tmp_path / "fin.xlsx").read_bytes()
    result = import_returns(small_plan, [tmp_path])
    assert [f.params["objective"] for f in result.findings if f.code == "RET_008"] == ["FIN/2"]
    frames = result.frames()
    assert len(frames["obiettivi"]) == 2 and set(frames["indicatori"]["obiettivo"]) == {"TUTTI/1", "FIN/1"}
    assert (tmp_path / "fin.xlsx").read_bytes() == before
    assert '"obiettivi"' in result.to_json()


def test_a_corrected_sheet_sent_later_replaces_only_that_sheet(small_plan, fin_book, tmp_path):
    """The newest return wins objective by objective: a head resends one corrected sheet."""
    book, generated = fin_book
    names = sheet_names(list(book.objectives))
    name, objective, lay = list(slots_of(small_plan, book))[2]  # FIN/2
    first = fill_cells(small_plan, book, generated, {name: {a1(*lay.indicators[0].achieved): "due"}})  # RET_011, later corrected
    (tmp_path / "a-fin.xlsx").write_bytes(first)
    wb = openpyxl.load_workbook(io.BytesIO(generated))
    for other in names[:2]:
        del wb[other]
    wb[name][a1(*lay.indicators[0].achieved)] = 4
    wb.save(tmp_path / "b-fin-correzione.xlsx")
    os.utime(tmp_path / "a-fin.xlsx", (0, 0))  # saved (inside the file) in the same second: the disk date decides
    result = import_returns(small_plan, [tmp_path])
    by_key = {r.objective: r for r in result.objectives}
    assert set(by_key) == {"TUTTI/1", "FIN/1", "FIN/2"}
    assert by_key["FIN/2"].indicators[0].achieved == 4 and by_key["FIN/2"].file.endswith("b-fin-correzione.xlsx")
    assert by_key["FIN/1"].file.endswith("a-fin.xlsx")
    assert [f.params["count"] for f in result.findings if f.code == "RET_006"] == [1]
    assert "1 scheda di questo file è sostituita" in next(f.message for f in result.findings if f.code == "RET_006")
    assert not [f for f in result.findings if f.code in ("RET_008", "RET_011")]  # the corrected sheet's error is gone

    from schede_excel.mail.status import sector_status

    fin = next(s for s in sector_status(small_plan, result, [], "interim") if s.sector == "FIN")
    assert fin.objectives_returned == 3 and "a-fin.xlsx" in fin.returned_file and "b-fin" in fin.returned_file


# --- issue 14: one number parser that knows the cell's kind and format --------------------------------

from schede_excel.findings import CATALOGUE, Severity  # noqa: E402
from schede_excel.returns.values import read_value  # noqa: E402
from schede_excel.spreadsheet.reader import RawCell  # noqa: E402


@pytest.mark.parametrize("cell, entry, expected, shown", [
    (RawCell("-3,5"), Entry.NUMBER, None, "RET_011"),         # the minus sign is kept: refused, never 3.5
    (RawCell("-0,5"), Entry.PERCENT, None, "RET_011"),        # never 50%
    (RawCell("0.950"), Entry.NUMBER, 0.95, None),             # a decimal point after 0, never 950
    (RawCell("0.950"), Entry.PERCENT, 0.95, "RET_025"),       # 95%, said: no % was typed
    (RawCell("1.500"), Entry.NUMBER, 1500.0, "RET_025"),      # an Italian thousand, said
    (RawCell("-5%"), Entry.PERCENT, None, "RET_011"),
    (RawCell("250%"), Entry.PERCENT, None, "RET_011"),
    (RawCell(-0.05, is_percent=True), Entry.PERCENT, None, "RET_011"),
    (RawCell(2.5, is_percent=True), Entry.PERCENT, None, "RET_011"),
    (RawCell(1.5, is_percent=True), Entry.PERCENT, 1.5, None),
    (RawCell(5.0), Entry.PERCENT, 0.05, "RET_025"),           # a paste in General format: 5 is 5%...
    (RawCell(11.0), Entry.PERCENT, 0.11, "RET_025"),          # ... and 11 is 11%, both said
    (RawCell("5"), Entry.PERCENT, 0.05, "RET_025"),           # typed as text, the same rule
    (RawCell(0.9), Entry.PERCENT, 0.9, "RET_025"),
    (RawCell(0.9, is_percent=True), Entry.PERCENT, 0.9, None),
    (RawCell("95%"), Entry.PERCENT, 0.95, None),
    (RawCell("\u22123,5"), Entry.NUMBER, None, "RET_011"),
])
def test_numbers_typed_or_pasted(cell, entry, expected, shown):
    value, notes = read_value(cell, entry, 2023)
    assert value == (pytest.approx(expected) if isinstance(expected, float) else expected)
    visible = [n.code for n in notes if CATALOGUE[n.code][0] is not Severity.INFO]
    assert visible == ([shown] if shown else [])


# --- issue 11: only what a person sees is read ------------------------------------------------------

HIDDEN = "NASCOSTO"


def typed_under_every_merge(data: bytes) -> tuple[bytes, dict[str, list[str]]]:
    """With openpyxl, a value typed into every cell a merged range covers, on every sheet (unmerge, type,
    merge again without clearing: what Excel does when a user pastes over a merge)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    typed = {}
    for ws in wb.worksheets:
        ranges = [str(r) for r in ws.merged_cells.ranges]
        cells = []
        for ref in ranges:
            ws.unmerge_cells(ref)
            first = True
            for row in ws[ref]:
                for cell in row:
                    if not first:
                        cell.value = f"{HIDDEN} {cell.coordinate}"
                        cells.append(cell.coordinate)
                    first = False
        for ref in ranges:
            ws.merged_cells.add(ref)
        typed[ws.title] = sorted(cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), typed


def _hidden_read(read) -> dict[str, list[str]]:
    found = {}
    for f in read.findings:
        if f.code == "RET_023":
            found.setdefault(f.sheet, []).append(f.cell)
    return {sheet: sorted(cells) for sheet, cells in found.items()}


def test_a_value_under_any_merge_is_reported_never_scored(small_plan, fin_book):
    book, generated = fin_book
    filling_names = [name for name, _, _ in slots_of(small_plan, book)]
    returned, typed = typed_under_every_merge(generated)
    read = read_return(small_plan, returned, "r.xlsx")
    assert read.file.readable
    assert _hidden_read(read) == {name: typed[name] for name in filling_names}
    assert all(len(typed[name]) > 100 for name in filling_names)
    assert HIDDEN not in json.dumps([r.model_dump(mode="json") for r in read.objectives])
    for record in read.objectives:  # nothing scored from them: no staff, no RAGGIUNTO, no review text
        assert record.staff == () and all(i.achieved is None for i in record.indicators)


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_a_value_under_a_merge_is_reported_after_a_libreoffice_save(libreoffice, small_plan, fin_book, tmp_path, suffix):
    book, generated = fin_book
    name, objective, lay = list(slots_of(small_plan, book))[1]
    staff, causes = lay.staff_rows[0], lay.reviews["interim"].causes
    refs = [a1(staff, 1), a1(causes.row, causes.col + 2), a1(lay.reviews["final"].causes.row, causes.last_col + 3)]
    wb = openpyxl.load_workbook(io.BytesIO(generated))
    ws = wb[name]
    for ref in refs:
        merged = next(str(r) for r in ws.merged_cells.ranges if ref in r)
        ws.unmerge_cells(merged)
        ws[ref] = f"{HIDDEN} {ref}"
        ws.merged_cells.add(merged)
    path = tmp_path / "nascosti.xlsx"
    wb.save(path)
    with libreoffice.open(path) as doc:
        saved = doc.save_as(tmp_path / f"ritorno{suffix}")
    read = read_return(small_plan, saved.read_bytes(), saved.name)
    assert _hidden_read(read).get(name) == sorted(refs)
    assert HIDDEN not in json.dumps([r.model_dump(mode="json") for r in read.objectives])


def test_text_typed_after_unmerging_a_review_cell_is_read(small_plan, fin_book):
    """Unmerged, the cells of the range are visible: what was typed in any of them is read, left to right."""
    book, generated = fin_book
    name, objective, lay = list(slots_of(small_plan, book))[1]
    final = lay.reviews["final"].causes
    wb = openpyxl.load_workbook(io.BytesIO(generated))
    ws = wb[name]
    ws.unmerge_cells(f"{a1(final.row, final.col)}:{a1(final.row, final.last_col)}")
    ws[a1(final.row, final.col + 4)] = "Personale in malattia"
    out = io.BytesIO()
    wb.save(out)
    read = read_return(small_plan, out.getvalue(), "r.xlsx")
    record = next(r for r in read.objectives if r.objective == objective.key)
    assert record.review("final").causes == "Personale in malattia"
    assert not [f for f in read.findings if f.code == "RET_023"]


def test_an_emoji_in_a_title_generates_and_reads_back(tmp_path):
    from schede_excel.plan.parse import parse_plan
    from schede_excel.sheet.generate import generate
    from tests.plans import as_yaml, small_plan_data

    data = small_plan_data()
    data["obiettivi"][1]["titolo"] = "RENDICONTO " + "\U0001F600" * 20
    plan = parse_plan(as_yaml(data)).plan
    names = sheet_names(plan.objectives_of(plan.sector("FIN")))
    assert all(len(n.encode("utf-16-le")) // 2 <= 31 for n in names)
    assert not any("\ud83d" in n for n in names)  # never half an emoji
    generate(plan, tmp_path, annex=False)
    book = planned_workbooks(plan)[0]
    read = read_return(plan, (tmp_path / book.filename).read_bytes(), book.filename)
    assert {r.objective for r in read.objectives} == {o.key for o in book.objectives}


def test_a_review_text_that_reads_like_the_staff_header_is_not_a_person(small_plan, tmp_path):
    book = planned_workbooks(small_plan)[0]
    generated = build_workbook(small_plan, list(book.objectives), sector=book.sector, review=review_for(small_plan, "interim"))
    name = sheet_names(list(book.objectives))[0]
    lay = sheet_layout(book.objectives[0], staff_rows=small_plan.staff_rows)
    block = lay.reviews["interim"]
    wb = openpyxl.load_workbook(io.BytesIO(generated))
    wb[name][a1(block.causes.row, block.causes.col)] = "COGNOME E NOME"
    wb[name][a1(lay.staff_rows[0], 0)] = "Rossi Maria"
    buffer = io.BytesIO()
    wb.save(buffer)
    [record] = [r for r in read_return(small_plan, buffer.getvalue(), "r.xlsx").objectives if r.sheet == name]
    assert [s.name for s in record.staff] == ["Rossi Maria"]
    assert record.review("interim").causes == "COGNOME E NOME"


def test_a_heading_like_the_interim_review_above_the_indicators_does_not_stop_the_reading(small_plan):
    """A column-A text starting «VERIFICA INTERMEDIA AL» above an indicator block used to end no block
    (StopIteration): the whole file was reported as damaged."""
    book = planned_workbooks(small_plan)[0]
    generated = build_workbook(small_plan, list(book.objectives), sector=book.sector, review=review_for(small_plan, "interim"))
    name = sheet_names(list(book.objectives))[0]
    lay = sheet_layout(book.objectives[0], staff_rows=small_plan.staff_rows)
    wb = openpyxl.load_workbook(io.BytesIO(generated))
    wb[name][a1(lay.indicators_header.row - 1, 0)] = "VERIFICA INTERMEDIA AL 30/06 (nota)"
    buffer = io.BytesIO()
    wb.save(buffer)
    read = read_return(small_plan, buffer.getvalue(), "r.xlsx")
    assert read.file.readable
    [record] = [r for r in read.objectives if r.sheet == name]
    assert len(record.indicators) == sum(len(block) for _, block in book.objectives[0].indicators.by_kind())


@pytest.mark.parametrize("text", ["intrapresi", "Da attivare", "Cause", "Effetti"])
def test_a_review_text_that_reads_like_a_label_stays_in_its_box(small_plan, text):
    book = planned_workbooks(small_plan)[0]
    generated = build_workbook(small_plan, list(book.objectives), sector=book.sector, review=review_for(small_plan, "interim"))
    name = sheet_names(list(book.objectives))[0]
    block = sheet_layout(book.objectives[0], staff_rows=small_plan.staff_rows).reviews["interim"]
    wb = openpyxl.load_workbook(io.BytesIO(generated))
    for field_name, where in block.texts().items():
        wb[name][a1(where.row, where.col)] = text if field_name in ("causes", "effects") else field_name
    buffer = io.BytesIO()
    wb.save(buffer)
    [record] = [r for r in read_return(small_plan, buffer.getvalue(), "r.xlsx").objectives if r.sheet == name]
    review = record.review("interim")
    assert (review.causes, review.effects, review.actions_taken, review.actions_planned) == (
        text, text, "actions_taken", "actions_planned")


_spans = st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 3), st.integers(0, 3)).map(
    lambda s: (s[0], s[1], s[0] + s[2], s[1] + s[3]))


@settings(max_examples=150, deadline=None)
@given(merges=st.lists(_spans, max_size=6),
       cells=st.dictionaries(st.tuples(st.integers(0, 9), st.integers(0, 9)), st.sampled_from(["x", " ", 5.0, None]),
                             max_size=25))
def test_a_value_is_hidden_exactly_when_a_merged_range_covers_it_but_not_as_its_first_cell(merges, cells):
    """RET_023 names each cell with a value that some merged range (overlapping ones included) covers
    other than at its first cell, with the first such range in the file's order."""
    from schede_excel.returns.sheetreader import _hidden_values
    from schede_excel.spreadsheet.reader import RawSheet

    sheet = RawSheet("Foglio", 0, cells={at: RawCell(v) for at, v in cells.items()}, merges=list(merges))
    found: list = []
    _hidden_values(sheet, {"file": "f.xlsx", "sheet": "Foglio"}, found)
    expected = []
    for (r, c), value in sorted(cells.items()):
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        span = next(((r1, c1, r2, c2) for r1, c1, r2, c2 in merges
                     if r1 <= r <= r2 and c1 <= c <= c2 and (r, c) != (r1, c1)), None)
        if span is not None:
            expected.append((a1(r, c), f"{a1(span[0], span[1])}:{a1(span[2], span[3])}"))
    assert [(f.cell, f.params["range"]) for f in found] == expected


def test_a_merged_range_with_its_corners_the_wrong_way_round_covers_nothing():
    from schede_excel.returns.sheetreader import _covering, _hidden_values
    from schede_excel.spreadsheet.reader import RawSheet

    sheet = RawSheet("Foglio", 0, cells={(5, 0): RawCell("x")}, merges=[(0, 1, 2_000_000, 0), (3, 0, 3, 2)])
    assert _covering(sheet) == {3: [(3, 0, 3, 2)]}
    found: list = []
    _hidden_values(sheet, {"file": "f.xlsx", "sheet": "Foglio"}, found)
    assert found == []
