"""The exports, read back as their users read them: an Italian Excel (CSV), a program (JSON),
Frictionless (the data package), and the summary workbook after LibreOffice opened and saved it."""

from __future__ import annotations

import json
import math
import re
import subprocess
from decimal import ROUND_HALF_UP, Decimal
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from schede_excel.cli.main import cli
from schede_excel.exports import Column, Kind, csv_cell, to_csv
from schede_excel.italian import number
from schede_excel.report.consolidate import consolidate
from schede_excel.report.summary import SCHEMAS
from test_consolidate import returned  # noqa: F401 - the fixture of filled returns


@pytest.fixture
def done(small_plan, returned, tmp_path):  # noqa: F811
    return consolidate(small_plan, [returned], tmp_path / "riepilogo.xlsx", exports_dir=tmp_path / "esportazioni")


def read_csv(path: Path, columns: list[Column]) -> pd.DataFrame:
    """A CSV read with the declared convention: `;`, decimal comma, dates dd/mm/yyyy, percentages with %."""
    frame = pd.read_csv(path, sep=";", decimal=",", thousands=".", encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    for column in columns:
        values = frame[column.name]
        if column.kind is Kind.PERCENT:
            frame[column.name] = [float(v.rstrip("%").replace(".", "").replace(",", ".")) / 100 if v else None
                                  for v in values]
        elif column.kind in (Kind.NUMBER, Kind.INTEGER):
            frame[column.name] = [float(v.replace(".", "").replace(",", ".")) if v else None for v in values]
        elif column.kind is Kind.DATETIME:
            frame[column.name] = pd.to_datetime(values.replace("", None), format="%d/%m/%Y %H:%M")
    return frame


def half_up(value: float, decimals: int) -> float:
    """Rounded as a person does, on the 15 digits a spreadsheet keeps: 99.25 -> 99.3 (Python's round: 99.2)."""
    return float(Decimal(f"{value:.15g}").quantize(Decimal(10) ** -decimals, rounding=ROUND_HALF_UP))


def _same(found, expected) -> bool:
    blank = found is None or (isinstance(found, float) and math.isnan(found))
    return blank if expected is None else found == expected


def test_csv_gives_the_librarys_values_back_rounded_and_json_in_full(done, tmp_path):
    folder = tmp_path / "esportazioni"
    evaluation = done.evaluation
    sectors = read_csv(folder / "settori.csv", SCHEMAS["Settori"])
    for row, score in zip(sectors.to_dict("records"), evaluation.sectors):
        assert row["Settore"] == score.sector
        assert _same(row["Punteggio"], half_up(score.score, 1) if score.score is not None else None)
    indicators = read_csv(folder / "indicatori.csv", SCHEMAS["Indicatori"])
    for row, score in zip(indicators.to_dict("records"), evaluation.indicators):
        if score.achievement is not None:
            assert row["Raggiungimento %"] == half_up(score.achievement, 1)
        if score.target_kind.value == "percentuale" and score.achieved is not None:
            assert row["RAGGIUNTO"].endswith("%") and row["Unità Scost."] == "punti %"
    people = read_csv(folder / "personale.csv", SCHEMAS["Personale"])
    assert all(0 <= total <= 2 for total in people["Totale partecipazione"])
    data = json.loads((folder / "indicatori.json").read_text(encoding="utf-8"))
    assert [d["Raggiungimento %"] for d in data] == [i.achievement for i in evaluation.indicators]
    text = (folder / "indicatori.csv").read_text(encoding="utf-8-sig")
    assert "." not in "".join(line.split(";")[11] for line in text.splitlines()[1:])  # decimal commas


def test_the_data_package_validates_with_frictionless(done, tmp_path):
    package = tmp_path / "esportazioni" / "datapackage.json"
    declared = json.loads(package.read_text(encoding="utf-8"))
    assert {r["path"] for r in declared["resources"]} == {p.name for p in package.parent.glob("*.csv")}
    fields = {f["name"]: f for f in declared["resources"][0]["schema"]["fields"]}
    assert fields["Punteggio"]["decimalChar"] == ","
    run = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json", str(package)],
                         capture_output=True, text=True)
    report = json.loads(run.stdout)
    assert report["valid"], json.dumps(report, indent=1)[:3000]


@pytest.mark.parametrize("value, column, shown", [
    (0.9, Column("x", Kind.PERCENT, 0), "90%"), (88.4168494152047, Column("x", Kind.NUMBER, 1), "88,4"),
    (-0.024999999999999994 * 100, Column("x", Kind.NUMBER, 2, trim=True), "-2,5"), (1600.0, Column("x", Kind.NUMBER, 0), "1600"),
    ("=cmd|' /C calc'!A0", Column("x"), "'=cmd|' /C calc'!A0"), ("+1+1", Column("x"), "'+1+1"),
    ("@SUM(1,1)", Column("x"), "'@SUM(1,1)"), ("-3,5", Column("x"), "-3,5"), (None, Column("x", Kind.NUMBER), ""),
    (math.nan, Column("x", Kind.NUMBER), ""), (True, Column("x", Kind.VALUE), "Sì"),
])
def test_one_cell_as_an_italian_excel_reads_it(value, column, shown):
    assert csv_cell(value, column) == shown


def test_import_tables_follow_the_same_convention_and_stay_inert(small_plan, returned, tmp_path):  # noqa: F811
    plan_file = tmp_path / "piano.yaml"
    from plans import as_yaml, small_plan_data

    plan_file.write_text(as_yaml(small_plan_data()), encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(plan_file), str(returned), "--tabelle", str(tmp_path / "t")])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "t"
    assert {p.name for p in folder.iterdir()} >= {"indicatori.csv", "personale.csv", "datapackage.json"}
    people = (folder / "personale.csv").read_text(encoding="utf-8-sig")
    assert people.splitlines()[0].count(";") >= 8 and "'@SUM(1,1)" in people
    assert all(not line.split(";")[3].startswith(("=", "+", "@")) for line in people.splitlines()[1:])
    indicators = (folder / "indicatori.csv").read_text(encoding="utf-8-sig").splitlines()
    header = indicators[0].split(";")
    shown = [line.split(";")[header.index("raggiunto")] for line in indicators[1:]]
    assert "90%" in shown and not any(s == "0.9" for s in shown)
    run = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json", str(folder / "datapackage.json")],
                         capture_output=True, text=True)
    assert json.loads(run.stdout)["valid"]


def test_to_csv_writes_the_header_and_a_bom():
    frame = pd.DataFrame([{"a": 1.25, "b": "x"}])
    data = to_csv(frame, [Column("a", Kind.NUMBER, 2), Column("b")])
    assert data.startswith("\ufeff".encode()) and data.decode("utf-8-sig") == "a;b\r\n1,25;x\r\n"


def test_the_summary_reads_well_after_libreoffice(libreoffice, done, tmp_path):
    from pypdf import PdfReader

    summary = tmp_path / "riepilogo.xlsx"
    with libreoffice.open(summary) as doc:
        pdf = doc.save_as(tmp_path / "riepilogo.pdf")
        resaved = doc.save_as(tmp_path / "riepilogo-lo.xlsx")
    text = "\n".join(page.extract_text() or "" for page in PdfReader(str(pdf)).pages)
    assert "###" not in text
    evaluation = done.evaluation  # printed by an Italian LibreOffice, as the evaluator's: 91,9 and 90%
    assert f"{number(evaluation.ente_score)} punti" in text, text[:400]
    for sector in evaluation.sectors:
        if sector.score is not None:
            assert number(sector.score) in text, sector.sector
    first_page = PdfReader(str(pdf)).pages[0].extract_text()
    assert not re.search(r"\d\.\d", first_page), first_page
    wb = openpyxl.load_workbook(resaved)
    objectives = wb["Obiettivi"]
    header = {c.value: c for c in objectives[1]}
    assert header["Titolo"].font.bold and header["Titolo"].fill.fgColor.rgb.endswith("D9E1F2")
    assert objectives.cell(2, list(header).index("Punteggio") + 1).number_format in ("0.0", "0,0")
    indicators = wb["Indicatori"]
    head = [c.value for c in indicators[1]]
    achieved = head.index("RAGGIUNTO") + 1
    percent_rows = [r for r in range(2, indicators.max_row + 1)
                    if indicators.cell(r, head.index("Tipo") + 1).value == "percentuale"
                    and indicators.cell(r, achieved).value is not None]
    assert percent_rows and all(indicators.cell(r, achieved).number_format == "0%" for r in percent_rows)
    assert "#,##0.##" not in {c.number_format for row in indicators.iter_rows() for c in row}
    deliveries = wb["Consegne"]
    hashes = [c.value for c in deliveries["E"][1:] if c.value]
    assert hashes and all(len(h) == 64 for h in hashes)
    rules = wb["Regole"]  # wrapped text gets a height LibreOffice keeps
    long_rules = [r for r in range(2, rules.max_row + 1) if len(rules.cell(r, 2).value or "") > 110]
    assert long_rules and all((rules.row_dimensions[r].height or 15) > 15 for r in long_rules)


def test_no_text_of_the_summary_is_cut_off_by_its_neighbour(done, tmp_path):
    """A text that does not wrap shows whole only if it fits its column, or runs into an empty cell
    inside the page: the sheet names in Anomalie and the Segretario's state in Consegne did not."""
    from openpyxl.utils import get_column_letter

    from schede_excel.spreadsheet.text import CELL_PADDING, column_points, text_width

    wb = openpyxl.load_workbook(tmp_path / "riepilogo.xlsx")
    cut = []
    for ws in wb.worksheets:
        widths = {k: d.width for d in ws.column_dimensions.values() if not d.hidden
                  for k in range(d.min or 0, (d.max or 0) + 1)}
        merged = {(r, c) for rng in ws.merged_cells.ranges for r in range(rng.min_row, rng.max_row + 1)
                  for c in range(rng.min_col, rng.max_col + 1)}
        for row in ws.iter_rows():
            for cell in row:
                if not isinstance(cell.value, str) or not cell.value or cell.alignment.wrap_text:
                    continue
                if (cell.row, cell.column) in merged or cell.column not in widths:
                    continue
                last = cell.column == max(widths)
                if not last and ws.cell(cell.row, cell.column + 1).value in (None, ""):
                    continue  # runs into an empty cell, as a title does
                need = text_width(cell.value, cell.font.sz or 11, bold=bool(cell.font.b)) + CELL_PADDING
                if need > column_points(widths[cell.column]):
                    cut.append((ws.title, cell.coordinate, cell.value, get_column_letter(cell.column)))
    assert not cut, cut[:10]
    deliveries = wb["Consegne"]
    column = next(c.column_letter for c in deliveries[1] if c.value == "Impronta SHA-256")
    room = column_points(deliveries.column_dimensions[column].width)
    assert text_width("b" * 64) + CELL_PADDING <= room  # any SHA-256, not only these files': b and d are the widest


def test_a_score_a_hair_below_a_half_reads_the_same_in_libreoffice_the_library_and_its_band(libreoffice, small_plan, tmp_path):
    """FIN's score works out as 89.94999999999999 (89.95 in decimal): LibreOffice rounds that binary value to
    89,9, the library to 90,0 and raggiunto. The summary holds the score as shown, so all read 90,0."""
    from pypdf import PdfReader

    from schede_excel.report.summary import build_summary
    from schede_excel.returns.importer import ImportResult
    from schede_excel.scoring.evaluate import Override, evaluate

    overrides = [Override(sector="FIN", objective="TUTTI/1", score=80.16), Override(sector="FIN", objective="FIN/1", score=93.16),
                 Override(sector="FIN", objective="FIN/2", score=95.46)]
    evaluation = evaluate(small_plan, [], "final", overrides)
    fin = next(s for s in evaluation.sectors if s.sector == "FIN")
    assert fin.score != 89.95 and number(fin.score) == "90,0" and fin.band == "raggiunto"
    summary = tmp_path / "riepilogo.xlsx"
    summary.write_bytes(build_summary(evaluation, ImportResult(plan=small_plan, files=[], objectives=[], findings=[])))
    with libreoffice.open(summary) as doc:
        first_page = PdfReader(str(doc.save_as(tmp_path / "riepilogo.pdf"))).pages[0].extract_text()
    row = next(line for line in first_page.splitlines() if line.startswith("FIN "))
    assert "90,0" in row and "89,9" not in row, row


def test_a_raggiunto_prints_with_the_decimals_it_was_typed_with(libreoffice, small_plan, tmp_path):
    """89,65% and 4,125 as the sector head typed them, in LibreOffice's print of Indicatori as in the CSV
    (the summary showed 89,7% and 4,13)."""
    from pypdf import PdfReader

    from schede_excel.report.summary import build_summary
    from schede_excel.returns.importer import ImportResult
    from schede_excel.scoring.evaluate import evaluate
    from test_evaluate import Q, record

    records = [record("FIN", "TUTTI/1", {(Q, 1): 0.8965}), record("FIN", "FIN/2", {(Q, 1): 4.125})]
    evaluation = evaluate(small_plan, records, "interim")
    summary = tmp_path / "riepilogo.xlsx"
    summary.write_bytes(build_summary(evaluation, ImportResult(plan=small_plan, files=[], objectives=records, findings=[])))
    with libreoffice.open(summary) as doc:
        text = "\n".join(page.extract_text() or "" for page in PdfReader(str(doc.save_as(tmp_path / "r.pdf"))).pages)
    assert "89,65%" in text and "4,125" in text, text[:3000]
