"""The summary workbook, the exports and the annex of results; a whole Caluso round through LibreOffice."""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile
from datetime import timedelta

import openpyxl
import pytest

from schede_excel import files
from schede_excel.italian import rounded
from schede_excel.report.consolidate import consolidate, results_annex
from schede_excel.scoring.evaluate import Override
from schede_excel.sheet.generate import generate, planned_workbooks
from schede_excel.sheet.layout import a1, sheet_layout, sheet_names
from schede_excel.plan.model import IndicatorKind
from schede_excel.plan.targets import Entry

SHEETS = ["Riepilogo", "Obiettivi", "Indicatori", "Personale", "Personale per settore", "Consegne", "Anomalie", "Regole"]
TABLES = [name for name in SHEETS[1:] if name != "Personale per settore"]
HOSTILE = "=HYPERLINK(\"http://example.org\",\"clic\")"


@pytest.fixture
def returned(small_plan, tmp_path):
    """The FIN and PM workbooks filled in with openpyxl; FIN carries text that looks like formulas."""
    out = tmp_path / "generate"
    generate(small_plan, out, annex=False)
    folder = tmp_path / "ritorni"
    folder.mkdir()
    for book in planned_workbooks(small_plan, annex=False)[:2]:
        wb = openpyxl.load_workbook(out / book.filename)
        for name, objective in zip(sheet_names(list(book.objectives)), book.objectives):
            lay = sheet_layout(objective, staff_rows=small_plan.staff_rows)
            ws = wb[name]
            for slot in lay.indicators:
                target = slot.indicator.parsed_target(small_plan.year, cost=slot.kind is IndicatorKind.COST)
                ws[a1(*slot.achieved)] = {Entry.PERCENT: 0.9, Entry.NUMBER: 4, Entry.DATE: target.deadline,
                                          Entry.DAYS: 20, Entry.PERIODS: 6, Entry.COUNT: 0,
                                          Entry.YES_NO: "Sì"}[target.entry] if target.entry is not Entry.DATE or target.deadline else None
            block = lay.reviews["interim"]
            cause = ws[a1(block.causes.row, block.causes.col)]
            cause.value = HOSTILE
            cause.data_type = "s"  # typed as text (openpyxl would otherwise store a formula)
            ws[a1(lay.staff_rows[0], 0)] = "@SUM(1,1)"
            ws[a1(lay.staff_rows[0], 3)] = 1 / len(book.objectives)
        wb.save(folder / book.filename)
    return folder


def test_summary_workbook(small_plan, returned, tmp_path):
    out = tmp_path / "riepilogo.xlsx"
    done = consolidate(small_plan, [returned], out, overrides=[Override(sector="SEG", objective="SEG/1", score=90.0)],
                       exports_dir=tmp_path / "esportazioni", annex_file=tmp_path / "risultati.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == SHEETS
    for name in SHEETS[1:]:
        ws = wb[name]
        assert (ws.freeze_panes == "A2" and len(ws.tables) == 1) == (name in TABLES), name
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
    objectives = wb["Obiettivi"]
    header = [c.value for c in objectives[1]]
    assert header[:6] == ["Settore", "Obiettivo", "N°", "Titolo", "Trasversale", "Peso"]
    assert objectives.max_row - 1 == sum(len(small_plan.objectives_of(s)) for s in small_plan.sectors)
    riepilogo = wb["Riepilogo"]
    assert riepilogo["C4"].value == rounded(done.evaluation.ente_score, 1)  # as shown: 99,25 is written 99.3
    with zipfile.ZipFile(out) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 2
    rules = {row[0].value: row[1].value for row in wb["Regole"].iter_rows(min_row=2)}
    assert "90" in rules["Fasce"] and "verifica" not in rules  # rules in force are printed

    # Text from a returned file stays text everywhere, never a formula.
    people = wb["Personale"]
    names = [row[1] for row in people.iter_rows(min_row=2)]
    assert any(c.value == "@SUM(1,1)" and c.data_type == "s" for c in names)
    annex = openpyxl.load_workbook(tmp_path / "risultati.xlsx")
    causes = [c for ws in annex.worksheets for row in ws.iter_rows() for c in row if c.value == HOSTILE]
    assert causes and all(c.data_type == "s" for c in causes)
    exported = (tmp_path / "esportazioni" / "personale.csv").read_text(encoding="utf-8-sig")
    assert "'@SUM(1,1)" in exported
    rows = list(csv.DictReader(io.StringIO((tmp_path / "esportazioni" / "obiettivi.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    assert {r["Settore"] for r in rows} == {"FIN", "PM", "SEG"}
    data = json.loads((tmp_path / "esportazioni" / "settori.json").read_text(encoding="utf-8"))
    assert [d["Settore"] for d in data] == ["FIN", "PM", "SEG"]


def test_annex_of_results_is_locked_and_filled(small_plan, returned, tmp_path):
    done = consolidate(small_plan, [returned], tmp_path / "r.xlsx")
    data = results_annex(small_plan, done.result.objectives, "interim")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    expected = sum(len(small_plan.objectives_of(s)) for s in small_plan.sectors)
    assert len(wb.sheetnames) == expected
    assert "FIN TUTTI 1 TRASPARENZA" in wb.sheetnames and "PM TUTTI 1 TRASPARENZA" in wb.sheetnames
    ws = wb["FIN TUTTI 1 TRASPARENZA"]
    assert ws.protection.sheet
    unlocked = [c.coordinate for row in ws.iter_rows() for c in row if c.protection.locked is False]
    assert unlocked == []
    lay = sheet_layout(small_plan.objectives[0], staff_rows=small_plan.staff_rows)
    assert ws[a1(*lay.indicators[0].achieved)].value == pytest.approx(0.9)


def test_an_interrupted_write_leaves_the_previous_summary(small_plan, returned, tmp_path, monkeypatch):
    out = tmp_path / "riepilogo.xlsx"
    out.write_bytes(b"riepilogo precedente")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError):
        consolidate(small_plan, [returned], out)
    assert out.read_bytes() == b"riepilogo precedente"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def caluso_value(target, entry: Entry, rng: random.Random, review):
    if entry is Entry.PERCENT:
        return round(target.value * rng.choice([1, 1, 0.9, 0.7]), 3)
    if entry is Entry.NUMBER:
        return round(target.value * rng.choice([1, 1.2, 0.8, 0.5]), 1)
    if entry is Entry.DATE:
        return target.deadline + timedelta(days=rng.choice([-10, 0, 12, 45, 120]))
    if entry is Entry.DAYS:
        return target.value + rng.choice([-5, 0, 10, 40])
    if entry is Entry.PERIODS:
        return max(0, target.due_periods(review) - rng.choice([0, 0, 1, 2]))
    if entry is Entry.COUNT:
        return rng.choice([0, 0, 1])
    return rng.choice(["Sì", "Sì", "No"])


def test_a_caluso_round_filled_through_libreoffice(libreoffice, caluso_plan, tmp_path):
    """Every sector fills its workbook in LibreOffice (some save .ods): the summary covers all of
    it, and every average LibreOffice computed on the sheets equals the library's score."""
    plan = caluso_plan
    generate(plan, tmp_path / "out", annex=False)
    folder = tmp_path / "ritorni"
    rng = random.Random(7)
    sheet_averages = {}
    for k, book in enumerate(planned_workbooks(plan, annex=False)):
        if book.sector.direct_assessment:
            continue
        entries = []
        layouts = []
        for name, objective in zip(sheet_names(list(book.objectives)), book.objectives):
            lay = sheet_layout(objective, staff_rows=plan.staff_rows)
            layouts.append((name, objective, lay))
            for slot in lay.indicators:
                target = slot.indicator.parsed_target(plan.year, cost=slot.kind is IndicatorKind.COST)
                entries.append((name, a1(*slot.achieved), caluso_value(target, target.entry, rng, plan.interim_review)))
            entries += [(name, a1(lay.staff_rows[0], 0), "Rossi Maria", "string"),
                        (name, a1(lay.staff_rows[0], 3), round(1 / len(book.objectives), 4))]
        with libreoffice.open(tmp_path / "out" / book.filename) as doc:
            doc.set_many(entries)
            doc.recalculate()
            for name, objective, lay in layouts:
                block = lay.reviews["interim"]
                sheet_averages[(book.sector.code, objective.key)] = (
                    doc.get(name, a1(block.value_score.row, block.value_score.col)),
                    doc.get(name, a1(block.time_score.row, block.time_score.col)))
            doc.save_as(folder / book.filename.replace(".xlsx", ".ods" if k % 2 else ".xlsx"))
    assessments = [Override(sector="SEG", objective=o.key, score=95.0) for o in plan.objectives if o.sector == "SEG"]
    done = consolidate(plan, [folder], tmp_path / "riepilogo.xlsx", overrides=assessments)
    ev = done.evaluation
    assert all(f.used for f in done.result.files) and len(done.result.files) == 6
    assert {s.sector: (s.returned, s.expected) for s in ev.sectors} == {
        s.code: (len(plan.objectives_of(s)), len(plan.objectives_of(s))) for s in plan.sectors if not s.direct_assessment
    } | {"SEG": (0, 0)}  # the Segretario returns nothing: assessed directly
    assert all(s.score is not None for s in ev.sectors)
    compared = 0
    for o in ev.objectives:
        if o.sector == "SEG":
            continue
        value, time = sheet_averages[(o.sector, o.objective)]
        for sheet, library in ((value, o.value_score), (time, o.time_score)):
            if library is None:
                assert sheet in (None, "")
            else:
                assert sheet == pytest.approx(library, abs=0.01), (o.sector, o.objective)
                compared += 1
    assert compared > 60
    people = {p.name: p for p in ev.people}
    assert people["Rossi Maria"].score is not None
    wb = openpyxl.load_workbook(tmp_path / "riepilogo.xlsx")
    assert wb["Riepilogo"]["C4"].value == rounded(ev.ente_score, 1)
