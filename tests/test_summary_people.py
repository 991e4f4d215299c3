"""Personale in long form, the per-sector tables only where they fit the page, and a summary of 5,000 objectives."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import Counter
from datetime import date

import openpyxl
import pytest

from schede_excel.exports import to_json
from schede_excel.italian import rounded
from schede_excel.plan.model import Indicator, Indicators, Objective, Plan, Sector
from schede_excel.report.summary import (MATRIX_MAX_OBJECTIVES, MATRIX_WIDTHS, PRINTABLE_POINTS, SCHEMAS,
                                         SMALLEST_SCALE, export_rows, summary_tables, write_summary)
from schede_excel.returns.importer import ImportResult
from schede_excel.returns.model import IndicatorReturn, ObjectiveReturn, StaffReturn
from schede_excel.scoring.evaluate import evaluate
from schede_excel.spreadsheet.text import column_points


def synthetic_plan(objectives_per_sector: list[int]) -> Plan:
    """One sector per entry, with that many objectives of one «N. pratiche: 4» indicator each."""
    sectors = [Sector(code=f"S{i}", name=f"SETTORE {i}", head=f"RESPONSABILE {i}") for i in range(len(objectives_per_sector))]
    objectives = [Objective(sector=s.code, number=k + 1, weight=1, title=f"OBIETTIVO {k + 1} DEL SETTORE {s.code}",
                            indicators=Indicators(quantita=(Indicator(description="N. pratiche", target="4"),)))
                  for s, n in zip(sectors, objectives_per_sector) for k in range(n)]
    return Plan(entity="Prova", year=2023, interim_review=date(2023, 6, 30), final_review=date(2023, 12, 31),
                sectors=sectors, objectives=objectives)


def returns_of(plan: Plan, people: int = 2) -> list[ObjectiveReturn]:
    """Every sheet returned, RAGGIUNTO 1 to 4 by objective, `people` per sector sharing each sheet (the first
    person's share on the sector's first sheet left blank)."""
    records = []
    sizes = Counter(o.sector for o in plan.objectives)
    for k, o in enumerate(plan.objectives):
        own = sizes[o.sector]
        staff = tuple(StaffReturn(name=f"PERSONA {p} {o.sector}", category="C",
                                  participation=None if (p == 0 and o.number == 1) else round(1 / own, 6))
                      for p in range(people))
        records.append(ObjectiveReturn(sector=o.sector, objective=o.key, round="interim", file=f"{o.sector}.xlsx",
                                       sheet=o.key, staff=staff,
                                       indicators=(IndicatorReturn(kind="quantita", index=1, description="N. pratiche",
                                                                   target="4", achieved=float(k % 4 + 1)),)))
    return records


def scored(plan: Plan, records: list[ObjectiveReturn]):
    result = ImportResult(plan=plan, files=[], objectives=records, findings=[])
    return evaluate(plan, records, "interim"), result


def test_personale_is_one_row_per_person_and_objective_equal_to_the_scores(tmp_path):
    plan = synthetic_plan([3, 2])
    evaluation, result = scored(plan, returns_of(plan))
    scores = {(o.sector, o.objective): o.score for o in evaluation.objectives}
    expected = []
    for p in evaluation.people:
        for key in [*p.shares, *p.unfilled]:
            expected.append((p.sector, p.name, p.category, key, plan.objective(key).title, p.shares.get(key),
                             scores[(p.sector, key)], p.total, "Sì" if abs(p.total - 1) <= 0.005 else "NO", p.score))
    assert len(expected) == 10 and any(row[5] is None for row in expected)  # the blank share has its row

    out = tmp_path / "riepilogo.xlsx"
    write_summary(evaluation, result, out)
    ws = openpyxl.load_workbook(out)["Personale"]
    assert [c.value for c in ws[1]] == [c.name for c in SCHEMAS["Personale"]]
    found = [row for row in ws.iter_rows(min_row=2, values_only=True)]
    assert found == [tuple(v if v is not None else None for v in row) for row in expected]
    assert ws.tables["Personale"].ref == f"A1:J{len(expected) + 1}"

    files = dict(export_rows(evaluation, result))
    data = json.loads(files["personale.json"])
    assert [tuple(d.values()) for d in data] == expected
    rows = list(csv.reader(io.StringIO(files["personale.csv"].decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == len(expected) + 1 and rows[1][5] in ("", "50%", "33%")
    assert summary_tables(evaluation, result)["Personale"].shape == (len(expected), 10)


def test_json_written_row_by_row_is_what_json_dumps_writes():
    columns = SCHEMAS["Regole"]
    rows = [{"Regola": "a\nb", "Valore": "«x»"}, {"Regola": "c", "Valore": "d"}]
    assert to_json(rows, columns) == (json.dumps(rows, ensure_ascii=False, indent=2) + "\n").encode()
    assert to_json([], columns) == b"[]\n"


def test_the_page_bound_is_the_last_width_that_prints_at_8_points():
    fixed = sum(column_points(w) for k, w in MATRIX_WIDTHS.items() if k != "objective")
    width = fixed + MATRIX_MAX_OBJECTIVES * column_points(MATRIX_WIDTHS["objective"])
    assert width * SMALLEST_SCALE <= PRINTABLE_POINTS[0] < (width + column_points(MATRIX_WIDTHS["objective"])) * SMALLEST_SCALE


def _matrix_rows(path):
    wb = openpyxl.load_workbook(path)
    if "Personale per settore" not in wb.sheetnames:
        return None
    return [row for row in wb["Personale per settore"].iter_rows(values_only=True)]


def test_the_per_sector_table_only_for_sectors_that_fit_the_page(tmp_path):
    plan = synthetic_plan([MATRIX_MAX_OBJECTIVES, MATRIX_MAX_OBJECTIVES + 1, 2])
    evaluation, result = scored(plan, returns_of(plan))
    out = tmp_path / "riepilogo.xlsx"
    write_summary(evaluation, result, out)
    rows = _matrix_rows(out)
    titles = [r[0] for r in rows if isinstance(r[0], str) and r[0].startswith("Settore ")]
    assert titles == ["Settore S0 - SETTORE 0 (responsabile RESPONSABILE 0)",
                      "Settore S2 - SETTORE 2 (responsabile RESPONSABILE 2)"]
    assert f"S1 ({MATRIX_MAX_OBJECTIVES + 1} obiettivi)" in rows[1][0]
    header = rows[rows.index(next(r for r in rows if r[0] == titles[0])) + 1]
    assert header[:3] == ("Cognome e Nome", "Cat.", "S0/1") and header[-2:] == ("Totale partecipazione", "Punteggio persona")
    assert len(header) == MATRIX_MAX_OBJECTIVES + 4  # one column per objective of the widest sector that fits
    person = next(p for p in evaluation.people if p.sector == "S0" and p.name.startswith("PERSONA 1"))
    line = next(r for r in rows if r[0] == person.name)
    assert list(line[2:2 + MATRIX_MAX_OBJECTIVES]) == [pytest.approx(person.shares[f"S0/{k}"])
                                                      for k in range(1, MATRIX_MAX_OBJECTIVES + 1)]
    assert line[-2:] == (pytest.approx(person.total), rounded(person.score, 1))  # the share as typed, the score as shown
    ws = openpyxl.load_workbook(out)["Personale per settore"]
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage

    too_wide = synthetic_plan([MATRIX_MAX_OBJECTIVES + 1])
    evaluation, result = scored(too_wide, returns_of(too_wide))
    write_summary(evaluation, result, tmp_path / "largo.xlsx")
    assert _matrix_rows(tmp_path / "largo.xlsx") is None  # the long form alone
    assert openpyxl.load_workbook(tmp_path / "largo.xlsx")["Personale"].max_row == 2 * (MATRIX_MAX_OBJECTIVES + 1) + 1


def test_a_sector_longer_than_a_page_carries_its_header_on_every_page(tmp_path):
    plan = synthetic_plan([3])
    evaluation, result = scored(plan, returns_of(plan, people=80))
    write_summary(evaluation, result, tmp_path / "r.xlsx")
    rows = _matrix_rows(tmp_path / "r.xlsx")
    parts = [k for k, r in enumerate(rows) if isinstance(r[0], str) and r[0].startswith("Settore S0")]
    assert len(parts) >= 3 and all(rows[k + 1][0] == "Cognome e Nome" for k in parts)
    assert all(rows[k][0].endswith("(segue)") for k in parts[1:])
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx")["Personale per settore"]
    assert [b.id for b in ws.row_breaks.brk] == parts[1:]  # each part after the first starts a page
    assert parts[1] - parts[0] > 20  # the first part fills the first page, under the sheet's title
    assert sum(1 for r in rows if isinstance(r[0], str) and r[0].startswith("PERSONA")) == 80


def test_a_summary_of_5000_objectives(tmp_path):
    plan = synthetic_plan([10] * 500)
    evaluation, result = scored(plan, returns_of(plan, people=1))
    out = tmp_path / "riepilogo.xlsx"
    write_summary(evaluation, result, out)
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        workbook = z.read("xl/workbook.xml").decode()
        tables = {re.search(r'name="([^"]+)"', x).group(1): re.search(r'ref="([^"]+)"', x).group(1)
                  for x in (z.read(n).decode() for n in names if n.startswith("xl/tables/"))}
        sheets = re.findall(r'<sheet name="([^"]+)"', workbook)
        matrix = z.read(f"xl/worksheets/sheet{sheets.index('Personale per settore') + 1}.xml").decode()
    assert sheets == ["Riepilogo", "Obiettivi", "Indicatori", "Personale", "Personale per settore", "Consegne",
                      "Anomalie", "Regole"]
    assert tables["Obiettivi"] == "A1:N5001" and tables["Indicatori"] == "A1:N5001"
    assert tables["Personale"] == "A1:J5001" and tables["Settori"] == "A7:G507"
    assert matrix.count(">Settore S") == 500 and '<dimension ref="A1:N' in matrix  # 10 objectives: columns to N
