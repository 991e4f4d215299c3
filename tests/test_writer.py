"""Generated workbooks, opened with openpyxl: labels, values, protection, validations, names, print setup.

Runs on the small inline plan and on every one of the Caluso plan's sheets.
"""

from __future__ import annotations

import io
import re
import json

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
import pytest

from schede_excel.sheet.generate import generate, planned_workbooks, review_for
from schede_excel.sheet.layout import (
    COL_ACHIEVEMENT, COL_META, LAST_COL, MONTH_COLS, STAFF_CATEGORY_COL, STAFF_NAME_COLS,
    STAFF_PARTICIPATION_COL, Label, a1, col_letter, sheet_layout, sheet_names,
)
from schede_excel.plan.model import IndicatorKind
from schede_excel.sheet.layout import objective_fingerprint
from schede_excel.sheet.writer import build_workbook
from schede_excel.spreadsheet.text import estimate_lines


def workbook_for(plan, book, round_="interim"):
    data = build_workbook(plan, list(book.objectives), sector=book.sector, review=review_for(plan, round_))
    return openpyxl.load_workbook(io.BytesIO(data))


def value(ws, row, col):
    return ws.cell(row=row + 1, column=col + 1).value


def column_hidden(ws, col):
    return any(d.hidden and d.min <= col + 1 <= d.max for d in ws.column_dimensions.values())


def input_cells(plan, objective, lay, round_):
    """The cells a sector head may edit: (row, col) 0-based."""
    cells = {slot.achieved for slot in lay.indicators}
    for block in lay.reviews.values():
        if block.round == round_:
            cells |= {(s.row, s.col) for s in block.texts().values()}
    for r in lay.staff_rows:
        cells |= {(r, STAFF_NAME_COLS[0]), (r, STAFF_CATEGORY_COL), (r, STAFF_PARTICIPATION_COL)}
    return cells


def check_sheet(plan, ws, objective, sector, round_="interim"):
    direct = plan.sector(objective.sector).direct_assessment if not objective.cross_cutting else False
    lay = sheet_layout(objective, staff_rows=plan.staff_rows, direct_assessment=direct)
    # Labels and plan values
    assert value(ws, lay.title.row, lay.title.col) == (
        f"Comune di {plan.entity} ANNO {plan.year} - Obiettivo strategico n° {objective.number}")
    assert value(ws, lay.weight_label.row, lay.weight_label.col) == Label.WEIGHT
    assert value(ws, lay.weight.row, lay.weight.col) == objective.weight
    assert value(ws, lay.sector_label.row, lay.sector_label.col) == Label.SECTOR
    assert value(ws, lay.head_label.row, lay.head_label.col) == Label.HEAD
    assert value(ws, lay.objective_label.row, lay.objective_label.col) == Label.OBJECTIVE
    assert value(ws, lay.objective.row, lay.objective.col) == objective.title
    assert value(ws, lay.description_label.row, lay.description_label.col) == Label.DESCRIPTION
    assert (value(ws, lay.description.row, lay.description.col) or "") == objective.description
    assert value(ws, lay.dup_header.row, lay.dup_header.col) == Label.DUP
    assert [value(ws, *cell) for cell, _ in lay.dup_slots] == list(range(1, 9))
    assert value(ws, lay.phases_label.row, lay.phases_label.col) == Label.PHASES
    assert value(ws, lay.timeline_label.row, lay.timeline_label.col) == Label.TIMELINE
    assert value(ws, lay.timeline_sub.row, lay.timeline_sub.col) == Label.TIMELINE_SUB
    for slot in lay.phases:
        text = value(ws, slot.description.row, slot.description.col) or ""
        assert text == (slot.phase.description if slot.phase else "")
        marked = {m for m, col in enumerate(MONTH_COLS, start=1) if value(ws, slot.row, col) == "X"}
        assert marked == set(slot.phase.months if slot.phase else ())
    if objective.cross_cutting:
        assert value(ws, lay.sector.row, lay.sector.col).startswith("TUTTI")
    else:
        assert value(ws, lay.sector.row, lay.sector.col) == plan.sector(objective.sector).name

    if not direct:
        assert value(ws, lay.indicators_header.row, 0) == Label.INDICATORS
        for kind, row in lay.block_headers.items():
            assert [value(ws, row, c) for c in (0, 2, 3, 4)] == [kind.label, "ATTESO", "RAGGIUNTO", "Scost."]
        for slot in lay.indicators:
            assert value(ws, slot.row, 0) == slot.indicator.description
            assert value(ws, *slot.target) == slot.indicator.target
            assert value(ws, *slot.achieved) is None
            assert str(value(ws, *slot.achievement)).startswith("=IF(")
        for block in lay.reviews.values():
            header = value(ws, block.header.row, block.header.col)
            assert header.startswith(Label.INTERIM if block.round == "interim" else Label.FINAL)
            assert value(ws, block.value_label.row, block.value_label.col) == Label.VALUE_SCORE
            assert value(ws, block.time_label.row, block.time_label.col) == Label.TIME_SCORE
            assert value(ws, block.causes_label.row, block.causes_label.col) == Label.CAUSES
            assert value(ws, block.actions_planned_label.row, block.actions_planned_label.col) == Label.ACTIONS_PLANNED
        assert value(ws, lay.staff_header.row, 0) == Label.STAFF
        assert value(ws, lay.staff_columns_row, 0) == Label.STAFF_NAME
        assert value(ws, lay.staff_total_row, 0) == Label.STAFF_TOTAL
        assert len(lay.staff_rows) == plan.staff_rows

    # Protection: only the input cells are unlocked.
    assert ws.protection.sheet
    expected = input_cells(plan, objective, lay, round_)
    unlocked = {(c.row - 1, c.column - 1) for row in ws.iter_rows() for c in row
                if c.protection.locked is False and c.coordinate not in ws.merged_cells}
    unlocked |= {(r.min_row - 1, r.min_col - 1) for r in ws.merged_cells.ranges
                 if ws.cell(r.min_row, r.min_col).protection.locked is False}
    assert unlocked == expected

    # Validations on every RAGGIUNTO and staff column.
    validated = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            for row in range(rng.min_row, rng.max_row + 1):
                validated[(row - 1, rng.min_col - 1)] = dv
    for slot in lay.indicators:
        dv = validated[slot.achieved]
        target = slot.indicator.parsed_target(plan.year, cost=slot.kind is IndicatorKind.COST)
        assert dv.type == {"percentuale": "decimal", "numero": "decimal", "data": "date", "giorni": "whole",
                           "periodi": "whole", "conteggio": "whole", "sino": "list"}[target.entry.value]
        assert dv.prompt and dv.error
    for r in lay.staff_rows:
        assert validated[(r, STAFF_CATEGORY_COL)].type == "list"
        assert validated[(r, STAFF_PARTICIPATION_COL)].type == "decimal"

    # Identity: hidden metadata and sheet-scoped names.
    meta = json.loads(value(ws, *lay.meta))
    assert meta["obiettivo"] == objective.key and meta["turno"] == round_
    assert meta["settore"] == (sector.code if sector else objective.sector)
    assert meta["impronta"] == objective_fingerprint(plan, objective)
    assert column_hidden(ws, COL_META) and column_hidden(ws, COL_ACHIEVEMENT)
    names = {name: dn.attr_text for name, dn in ws.defined_names.items()}
    assert names["SCHEDA_META"].endswith("!$S$1")
    for slot in lay.indicators:
        assert names[slot.name].endswith("!" + a1(*slot.achieved, absolute=True))
    if not direct:
        interim = lay.reviews["interim"]
        assert names["CAUSE_INTERMEDIA"].endswith("!" + a1(interim.causes.row, interim.causes.col, absolute=True))
        assert "PERSONALE" in names

    # Print: A4 portrait, the form's area; one page, or pages of a fixed scale breaking between sections.
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
    if ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage:
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight in (None, 1)  # 1 is the default
    else:
        assert 70 <= ws.page_setup.scale <= 100
        assert {b.id for b in ws.row_breaks.brk} <= set(lay.sections())  # id: the 0-based row a page starts at
    assert ws.print_title_rows == "$1:$1"
    assert ws.print_area.endswith(f"$A$1:${col_letter(LAST_COL)}${lay.last_row + 1}")


@pytest.mark.parametrize("plan_fixture", ["small_plan", "caluso_plan"])
def test_every_sheet_of_every_workbook(plan_fixture, request):
    plan = request.getfixturevalue(plan_fixture)
    sheets = 0
    for book in planned_workbooks(plan):
        wb = workbook_for(plan, book)
        assert wb.sheetnames[0] == "Istruzioni"
        names = sheet_names(list(book.objectives))
        assert wb.sheetnames[1:] == names
        for name, objective in zip(names, book.objectives):
            check_sheet(plan, wb[name], objective, book.sector)
            sheets += 1
    assert sheets == sum(len(plan.objectives_of(s)) for s in plan.sectors) + len(plan.objectives)


def test_caluso_annex_has_all_35_sheets_in_order(caluso_plan):
    annex = planned_workbooks(caluso_plan)[-1]
    assert annex.sector is None
    assert len(annex.objectives) == 35
    assert list(annex.objectives) == list(caluso_plan.objectives)


def test_final_round_opens_the_final_block(small_plan):
    book = planned_workbooks(small_plan, "final")[0]
    wb = workbook_for(small_plan, book, "final")
    objective = book.objectives[0]
    check_sheet(small_plan, wb[sheet_names(list(book.objectives))[0]], objective, book.sector, "final")


def test_cached_values_are_blank_while_inputs_are_blank(small_plan):
    """LibreOffice shows an .xlsx's cached values on open: they must not read 0."""
    import zipfile

    book = planned_workbooks(small_plan)[0]
    data = build_workbook(small_plan, list(book.objectives), sector=book.sector, review=review_for(small_plan, "interim"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet2.xml").decode()
    import re

    cached = re.findall(r"<f>([^<]*)</f><v>([^<]*)</v>", sheet_xml)
    assert len(cached) > 10
    assert {v for _, v in cached} == {""}, [c for c in cached if c[1]]


def test_sheet_names_are_unique_valid_and_readable(small_plan):
    objectives = [o.model_copy(update={"title": "A/B: [C]*?" + "x" * 40}) for o in small_plan.objectives] * 2
    names = sheet_names(objectives)
    assert len(set(n.lower() for n in names)) == len(names)
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)


def test_row_heights_grow_with_long_text():
    assert estimate_lines("breve", 80) == 1
    assert estimate_lines("parola " * 100, 80) >= 8
    assert estimate_lines("MAIUSCOLO " * 30, 80) > estimate_lines("minuscolo " * 30, 80)


def test_generate_writes_atomically_and_never_replaces_a_different_file(small_plan, tmp_path):
    from schede_excel.findings import SchedeError

    first = generate(small_plan, tmp_path)
    assert {w.status for w in first} == {"creato"}
    again = generate(small_plan, tmp_path)
    assert {w.status for w in again} == {"invariato"}
    filled = first[0].path
    filled.write_bytes(filled.read_bytes() + b"compilato")
    before = filled.read_bytes()
    with pytest.raises(SchedeError) as error:
        generate(small_plan, tmp_path)
    assert [f.code for f in error.value.findings] == ["GEN_001"]
    assert filled.read_bytes() == before
    replaced = generate(small_plan, tmp_path, overwrite=True)
    assert [w.status for w in replaced if w.path == filled] == ["aggiornato"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_password_option(small_plan):
    book = planned_workbooks(small_plan)[0]
    data = build_workbook(small_plan, list(book.objectives), sector=book.sector,
                          review=review_for(small_plan, "interim"), password="segreta")
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[1]
    assert ws.protection.sheet and ws.protection.password


def test_file_names_are_safe_whatever_the_names(small_plan):
    plan = small_plan.model_copy(update={"entity": "Sant'Agata di Città / Nuova?"})
    assert plan.plan_id == "sant-agata-di-citta-nuova-2023"
    for book in planned_workbooks(plan):
        assert re.fullmatch(r"[a-z0-9-]+-(intermedia|allegato)(-[A-Za-z0-9_-]+)?\.xlsx", book.filename), book.filename


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85")
                    | st.sampled_from("\n\t&<>\"'"), min_size=1, max_size=60).map(str.strip).filter(bool))
def test_any_text_written_into_a_sheet_reads_back_the_same(small_plan, text):
    """Texts from returned files go into the annex of results: whatever they hold, they come back intact."""
    from schede_excel.returns.importer import read_return
    from schede_excel.returns.model import ObjectiveReturn, ReviewReturn, StaffReturn
    from schede_excel.sheet.writer import Page, build_pages

    objective = small_plan.objectives[1]
    sector = small_plan.sector("FIN")
    values = ObjectiveReturn(sector="FIN", objective=objective.key, round="interim", file="f", sheet="s",
                             reviews=(ReviewReturn(round="interim", causes=text),),
                             staff=(StaffReturn(name=text, participation=0.5),))
    data = build_pages(small_plan, [Page(objective, sector, values=values)], review=review_for(small_plan, "interim"),
                       sector=sector, instructions=False)
    record = read_return(small_plan, data, "r.xlsx").objectives[0]
    assert record.review("interim").causes == text
    assert record.staff[0].name == text


@pytest.mark.parametrize("text", ["riga1\r\nriga2", "_x0041_ letterale", "tab\tcontrollo\x0bfine", "a & b < c > d"])
def test_texts_excel_escapes_come_back_intact(small_plan, text):
    from schede_excel.returns.importer import read_return
    from schede_excel.returns.model import ObjectiveReturn, ReviewReturn
    from schede_excel.sheet.writer import Page, build_pages

    objective, sector = small_plan.objectives[1], small_plan.sector("FIN")
    values = ObjectiveReturn(sector="FIN", objective=objective.key, round="interim", file="f", sheet="s",
                             reviews=(ReviewReturn(round="interim", causes=text),))
    data = build_pages(small_plan, [Page(objective, sector, values=values)], review=review_for(small_plan, "interim"),
                       sector=sector, instructions=False)
    assert read_return(small_plan, data, "r.xlsx").objectives[0].review("interim").causes == text


def test_a_description_longer_than_a_row_holds_continues_in_the_next_rows(small_plan):
    text = ("parola " * 6000).strip()
    long = small_plan.objectives[1].model_copy(update={"description": text})
    data = build_workbook(small_plan, [long], sector=small_plan.sector("FIN"), review=review_for(small_plan, "interim"))
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[1]
    lay = sheet_layout(long, staff_rows=small_plan.staff_rows)
    assert len(lay.description_rows) > 10
    pieces = [ws.cell(r.row + 1, r.col + 1).value for r in lay.description_rows]
    assert " ".join(pieces) == text
    assert all(ws.row_dimensions[r.row + 1].height <= 409 for r in lay.description_rows)
    from schede_excel.returns.importer import read_return

    plan = small_plan.model_copy(update={"objectives": tuple(long if o.key == long.key else o for o in small_plan.objectives)})
    assert "RET_020" not in {f.code for f in read_return(plan, data, "r.xlsx").findings}


def _locked_cells(data: bytes, sheet: int) -> dict[str, bool]:
    """Cell -> locked, read from the file's XML (openpyxl gives merged-over cells no style of their own)."""
    import zipfile

    from lxml import etree

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        styles = etree.fromstring(z.read("xl/styles.xml"))
        xml = etree.fromstring(z.read(f"xl/worksheets/sheet{sheet}.xml"))
    locked = [not (xf.find("m:protection", ns) is not None and xf.find("m:protection", ns).get("locked") == "0")
              for xf in styles.find("m:cellXfs", ns)]
    return {c.get("r"): locked[int(c.get("s", 0))] for c in xml.iter(f"{{{ns['m']}}}c")}


def test_cells_hidden_under_a_merge_are_locked_even_under_an_input(small_plan):
    book = planned_workbooks(small_plan)[0]
    data = build_workbook(small_plan, list(book.objectives), sector=book.sector, review=review_for(small_plan, "interim"))
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[1]
    locked = _locked_cells(data, 2)
    inputs_seen = 0
    for merged in ws.merged_cells.ranges:
        anchor = ws.cell(merged.min_row, merged.min_col).coordinate
        inputs_seen += not locked[anchor]
        for row in range(merged.min_row, merged.max_row + 1):
            for col in range(merged.min_col, merged.max_col + 1):
                ref = ws.cell(row, col).coordinate
                if ref != anchor:
                    assert locked[ref], f"{ref} under {merged}"
    assert inputs_seen >= 4  # the staff names and the review texts are merged inputs
