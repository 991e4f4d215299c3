"""After the final round: the draft Relazione (.docx), the evaluator's dossier, the open-data tables.

The Caluso round is filled through LibreOffice once for the module (values, a cause typed in
every sector, a person per sheet) and every deliverable is made from it.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from schede_excel.cli.main import cli
from schede_excel.deliverables.relazione import CELL_MARGINS, TABLE_SIZE, TABLE_STYLE, build_relazione, column_widths
from schede_excel.deliverables.results import round_results
from schede_excel.deliverables.transparency import SCHEMAS, transparency_files, transparency_tables
from schede_excel.italian import number
from schede_excel.plan.model import IndicatorKind
from schede_excel.scoring.evaluate import Override
from schede_excel.sheet.generate import generate, planned_workbooks
from schede_excel.sheet.layout import a1, sheet_layout, sheet_names
from schede_excel.spreadsheet.text import text_width
from test_consolidate import caluso_value
from test_exports import half_up

ROOT = Path(__file__).resolve().parent.parent
CAUSE = "Ritardo dovuto al cambio del fornitore del software gestionale ({code})."
PEOPLE = ["Rossi Maria", "Bianchi Luca", "Ferrero Anna"]


def soffice_pdf(document: Path) -> Path:
    """A document printed to PDF by LibreOffice headless (Writer or Calc), with a throwaway profile."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    with tempfile.TemporaryDirectory(prefix="schede-lo-") as profile:
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(document.parent), str(document)], check=True, capture_output=True, timeout=300)
    return document.with_suffix(".pdf")


def pdf_text(pdf: Path) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(str(pdf)).pages)


@pytest.fixture(scope="module")
def caluso_round(libreoffice, caluso_plan, tmp_path_factory):
    """The Caluso interim round filled through LibreOffice: the returns folder and the plan file."""
    plan = caluso_plan
    root = tmp_path_factory.mktemp("caluso-round")
    generate(plan, root / "out", annex=False)
    folder = root / "ritorni"
    rng = random.Random(13)
    for k, book in enumerate(planned_workbooks(plan, annex=False)):
        if book.sector.direct_assessment:
            continue
        entries = []
        for n, (name, objective) in enumerate(zip(sheet_names(list(book.objectives)), book.objectives)):
            lay = sheet_layout(objective, staff_rows=plan.staff_rows)
            for slot in lay.indicators:
                target = slot.indicator.parsed_target(plan.year, cost=slot.kind is IndicatorKind.COST)
                entries.append((name, a1(*slot.achieved), caluso_value(target, target.entry, rng, plan.interim_review)))
            block = lay.reviews["interim"]
            if n == 0:
                entries.append((name, a1(block.causes.row, block.causes.col), CAUSE.format(code=book.sector.code), "string"))
            entries += [(name, a1(lay.staff_rows[0], 0), PEOPLE[k % 3], "string"),
                        (name, a1(lay.staff_rows[0], 2), "Istruttori", "string"),
                        (name, a1(lay.staff_rows[0], 3), round(1 / len(book.objectives), 4))]
        with libreoffice.open(root / "out" / book.filename) as doc:
            doc.set_many(entries)
            doc.save_as(folder / book.filename.replace(".xlsx", ".ods" if k % 2 else ".xlsx"))
    return plan, root, folder


SEGRETARIO = [Override(sector="SEG", objective=f"SEG/{n}", score=95.0, note="valutazione diretta", by="Nucleo")
              for n in range(1, 7)]


def test_the_relazione_holds_every_number_title_and_cause(caluso_round):
    plan, root, folder = caluso_round
    results = round_results(plan, [folder], round_="interim", overrides=SEGRETARIO)
    path = root / "relazione.docx"
    path.write_bytes(build_relazione(results))
    from docx import Document

    doc = Document(str(path))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    for chapter in ("1. Presentazione", "2. Il contesto e le risorse", "3. La performance organizzativa",
                    "4. Gli obiettivi individuali", "5. Il processo", "6. La validazione"):
        assert any(h.startswith(chapter) for h in headings), chapter
    assert len(doc.inline_shapes) >= 2  # the charts
    assert sum("Da completare" in p.text for p in doc.paragraphs) == 4
    text = pdf_text(soffice_pdf(path))
    for sector in results.evaluation.sectors:
        assert number(sector.score, 1) in text, sector.sector
    for objective in plan.objectives:
        assert " ".join(objective.title.split())[:30] in text, objective.key
    for sector in plan.sectors:
        if not sector.direct_assessment:
            assert CAUSE.format(code=sector.code) in text
    assert not any(name in text for name in PEOPLE)  # people only in aggregate by default
    assert "Istruttori" in text
    for word in ("Quantità", "Raggiungimento"):  # words only the narrow columns of the tables hold
        assert word in text.split(), word  # never broken over two lines ("Quant ità")


def test_the_relazione_prints_on_a4_in_italian_with_columns_that_fit_their_words(caluso_round):
    from docx import Document
    from docx.shared import Length

    plan, root, folder = caluso_round
    doc = Document(io.BytesIO(build_relazione(round_results(plan, [folder], round_="interim", overrides=SEGRETARIO))))
    section = doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    room = Length(section.page_width - section.left_margin - section.right_margin).pt
    assert {el.get(qn("w:val")) for el in doc.styles.element.iter(qn("w:lang"))} == {"it-IT"}  # Word checks Italian
    indicator_grids = set()
    for table in doc.tables:
        widths = [Length(int(col.get(qn("w:w"))) * 635).pt for col in table._tbl.tblGrid.iterchildren(qn("w:gridCol"))]
        assert sum(widths) == pytest.approx(room, abs=len(widths))
        first = table.rows[0]
        assert first._tr.trPr.find(qn("w:tblHeader")) is not None  # the header again on every page
        for row in table.rows:
            for k, (cell, width) in enumerate(zip(row.cells, widths)):
                bold = row is first or k == 0
                for word in cell.text.split():
                    assert text_width(word, TABLE_SIZE, bold=bold) + CELL_MARGINS <= width + 0.05, (word, width)
        if first.cells[0].text == "Blocco":
            indicator_grids.add(tuple(widths))
            assert all(row.cells[5].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT for row in table.rows)
    assert len(indicator_grids) == 1  # every indicator table has the same columns, page after page


def test_the_relazione_tables_equal_the_librarys_numbers(small_plan, tmp_path):
    generate(small_plan, tmp_path / "g", annex=False)
    book = planned_workbooks(small_plan, annex=False)[0]
    results = round_results(small_plan, [tmp_path / "g" / book.filename], round_="interim")
    from docx import Document

    doc = Document(io.BytesIO(build_relazione(results, individual=True)))
    first = doc.tables[0]
    rows = [[c.text for c in row.cells] for row in first.rows[1:]]
    assert [r[0] for r in rows] == [s.sector for s in results.evaluation.sectors]
    for row, sector in zip(rows, results.evaluation.sectors):
        assert row[3] == (number(sector.score, 1) if sector.score is not None else "n.v.") and row[4] == sector.band
    indicator_tables = [t for t in doc.tables if t.rows[0].cells[0].text == "Blocco"]
    shown = {(row.cells[1].text, row.cells[5].text) for t in indicator_tables for row in t.rows[1:]}
    for score in results.evaluation.indicators:
        if score.sector == book.sector.code:
            achievement = number(score.achievement, 1) if score.achievement is not None else "n.v."
            assert (score.description, achievement) in shown


def test_the_dossier_finds_the_tampered_file_the_override_and_the_missing_sheet(caluso_round, tmp_path):
    plan, root, folder = caluso_round
    returns = tmp_path / "ritorni"
    shutil.copytree(folder, returns)
    fin = next(returns.glob("*FIN.xlsx"))
    wb = openpyxl.load_workbook(fin)
    first = wb[sheet_names(list(plan.objectives_of(plan.sector("FIN"))))[0]]
    objective = plan.objectives_of(plan.sector("FIN"))[0]
    lay = sheet_layout(objective, staff_rows=plan.staff_rows)
    first[a1(*lay.indicators[0].target)] = "10%"  # the head lowered an ATTESO: a plan value changed
    del wb[sheet_names(list(plan.objectives_of(plan.sector("FIN"))))[-1]]  # and dropped a sheet
    wb.save(fin)
    overrides = tmp_path / "nucleo.csv"
    overrides.write_text("settore;obiettivo;valutazione;nota;valutatore\nAMM;AMM/1;75;rivista la stima dei tempi;"
                         "Nucleo di valutazione\n" + "".join(f"SEG;SEG/{n};95;valutazione diretta;Nucleo\n" for n in range(1, 7)),
                         encoding="utf-8")
    result = CliRunner().invoke(cli, ["dossier", str(ROOT / "schede" / "caluso-2023.yaml"), str(returns), "--turno", "interim", "--valutazioni", str(overrides),
                                      "-o", str(tmp_path / "dossier"), "--cartella", str(root / "out")])
    assert result.exit_code == 0, result.output
    dossier = tmp_path / "dossier"
    index = openpyxl.load_workbook(dossier / "indice.xlsx")
    changed = [r for r in index["Valori modificati"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert any("RET_020" in r and fin.name in str(r[0]) for r in changed)
    missing = [r for r in index["Schede mancanti"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert [(r[0], r[2]) for r in missing] == [("FIN", plan.objectives_of(plan.sector("FIN"))[-1].key)]
    judged = {r[1]: r for r in index["Valutazioni Nucleo"].iter_rows(min_row=4, values_only=True) if r[0]}
    assert judged["AMM/1"][4] == "Nucleo di valutazione" and judged["AMM/1"][5] == "rivista la stima dei tempi"
    assert judged["AMM/1"][7] == "75,0" and judged["AMM/1"][6] not in ("", "75,0")
    checklist = {r[0]: r[1] for r in index["Lista di controllo"].iter_rows(min_row=4, values_only=True) if r[0]}
    assert checklist["Tutte le schede attese sono state restituite"] == "no"
    assert checklist["I valori del piano nelle schede restituite non sono stati modificati"] == "no"
    files = {r[2]: r for r in index["File ricevuti"].iter_rows(min_row=4, values_only=True) if r[0]}
    assert hashlib.sha256(fin.read_bytes()).hexdigest() in [r[6] for r in files.values()]
    text = pdf_text(dossier / "indice.pdf")
    assert "RET_020" in text and plan.objectives_of(plan.sector("FIN"))[-1].key in text and "rivista la stima" in text
    lines = (dossier / "MANIFEST.sha256").read_text(encoding="utf-8").splitlines()
    listed = {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in lines}
    assert set(listed) == {"indice.xlsx", "indice.pdf", "dossier.json"}
    for name, digest in listed.items():
        assert hashlib.sha256((dossier / name).read_bytes()).hexdigest() == digest


def test_the_open_data_validate_read_back_and_name_nobody(caluso_round, tmp_path):
    plan, root, folder = caluso_round
    result = CliRunner().invoke(cli, ["trasparenza", str(ROOT / "schede" / "caluso-2023.yaml"), str(folder),
                                      "--turno", "interim", "-o", str(tmp_path / "t")])
    assert result.exit_code == 0, result.output
    out = tmp_path / "t"
    run = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json", str(out / "datapackage.json")],
                         capture_output=True, text=True)
    report = json.loads(run.stdout)
    assert report["valid"], json.dumps(report)[:2000]
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert package["licenses"][0]["name"] == "CC-BY-4.0" and "Comune di Caluso" in package["title"]
    results = round_results(plan, [folder], round_="interim")
    sectors = pd.read_csv(out / "risultati-settori.csv", sep=";", decimal=",", encoding="utf-8-sig")
    for row, score in zip(sectors.to_dict("records"), results.evaluation.sectors):
        if score.score is not None:
            assert row["punteggio"] == pytest.approx(half_up(score.score, 1))
    distribution = pd.read_csv(out / "distribuzione.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype=str)
    total = distribution[(distribution["oggetto"] == "obiettivi") & (distribution["settore"] == "TOTALE")]
    assert sum(int(n) for n in total["numero"]) == len(results.evaluation.objectives)
    every_byte = b"".join(p.read_bytes() for p in out.iterdir())
    assert not any(name.encode() in every_byte for name in PEOPLE)
    with zipfile.ZipFile(next(out.glob("*.ods"))) as ods:
        assert not any(name.encode() in ods.read("content.xml") for name in PEOPLE)
    named = transparency_files(results, names=True)
    assert any(PEOPLE[0].encode() in data for data in named.values())
    assert set(SCHEMAS) >= {"Risultati obiettivi", "Distribuzione", "Differenziazione"}


def test_a_letterhead_template_without_heading_styles_and_a_broken_one(caluso_round, tmp_path):
    from docx import Document

    plan, root, folder = caluso_round
    letterhead = Document()
    letterhead.add_paragraph("COMUNE DI CALUSO - Città metropolitana di Torino")
    styles = letterhead.styles
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4", "Caption", TABLE_STYLE):
        if name in [s.name for s in styles]:
            styles[name].delete()
    template = tmp_path / "carta-intestata.docx"
    letterhead.save(str(template))
    results = round_results(plan, [folder], round_="interim", overrides=SEGRETARIO)
    made = Document(io.BytesIO(build_relazione(results, template=template)))
    assert made.paragraphs[0].text.startswith("COMUNE DI CALUSO") and len(made.tables) > 5
    for tag in ("w:pgSz", "w:pgMar"):  # both optional in a .docx: a template may set neither
        for element in letterhead.sections[0]._sectPr.findall(qn(tag)):
            letterhead.sections[0]._sectPr.remove(element)
    letterhead.save(str(template))
    bare = Document(io.BytesIO(build_relazione(results, template=template)))
    assert len(bare.tables) == len(made.tables)
    broken = tmp_path / "rotto.docx"
    broken.write_bytes(b"PK\x03\x04 non un docx")
    result = CliRunner().invoke(cli, ["relazione", str(ROOT / "schede" / "caluso-2023.yaml"), str(folder), "--turno",
                                      "interim", "--modello", str(broken), "-o", str(tmp_path / "r.docx")])
    assert result.exit_code == 2 and "DOC_001" in result.output and not (tmp_path / "r.docx").exists()


def test_small_groups_of_people_are_not_published(caluso_round):
    plan, root, folder = caluso_round
    results = round_results(plan, [folder], round_="interim")
    tables = transparency_tables(results)
    staff = tables["Distribuzione"][tables["Distribuzione"]["oggetto"] == "personale"]
    small = staff[staff["nota"] != ""]
    assert len(small) and small["numero"].isna().all()
    spread = tables["Differenziazione"]
    assert spread[(spread["oggetto"] == "personale") & (spread["nota"] != "")]["media"].isna().all()


def test_a_word_too_long_for_its_column_takes_room_from_the_widest_column_only():
    header = ["Blocco", "Indicatore", "ATTESO", "Stato"]
    rows = [["Quantità", "pubblicazione su https://www.comune.borgoprova.it/amministrazione-trasparente/bandi-di-gara",
             "100%", "non ancora dovuto"]]
    least = [CELL_MARGINS + max(text_width(w, TABLE_SIZE, bold=bold) for w in text.split())
             for text, bold in zip(rows[0], (True, False, False, False))]
    widths = column_widths(header, rows, 300.0)
    assert sum(widths) == pytest.approx(300.0)
    assert widths[1] < least[1]  # the address breaks: nothing else could be done
    for k in (0, 2, 3):  # the other columns keep their longest word whole
        assert widths[k] >= least[k] - 1e-9, (header[k], widths[k], least[k])
