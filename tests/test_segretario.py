"""The Segretario's round as it really runs, end to end through the `schede` command.

His objectives have no indicators: his workbook goes to him for information (or not at all,
when the plan gives him no address), the evaluator fills the prefilled assessments workbook
that `generate` writes beside the sectors' workbooks, and `consolidate` scores it. Status,
Consegne, the counts and the e-mail say the same thing: nothing to return, assessed directly.
"""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import openpyxl
import pytest
from click.testing import CliRunner

from schede_excel.cli.main import cli
from schede_excel.plan.parse import parse_plan
from schede_excel.report.summary import summary_tables
from schede_excel.returns.importer import import_returns
from schede_excel.scoring.evaluate import DIRECT, evaluate
from schede_excel.scoring.overrides import assessment_filename, read_overrides
from schede_excel.sheet.generate import planned_workbooks
from tests.plans import as_yaml, small_plan_data


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result


def office(tmp_path, **sector_changes):
    data = small_plan_data()
    data["settori"][2].update(sector_changes)
    plan_file = tmp_path / "piano.yaml"
    plan_file.write_text(as_yaml(data), encoding="utf-8")
    config = tmp_path / "posta.toml"
    config.write_text('[messaggio]\nmittente = "personale@comune.borgoprova.it"\n', encoding="utf-8")
    return plan_file, parse_plan(as_yaml(data)).plan, config


def fill_sector_books(plan, out, returns):
    """FIN and PM return their workbooks as generated (blank): only their delivery matters here."""
    returns.mkdir()
    for book in planned_workbooks(plan, annex=False):
        if not book.sector.direct_assessment:
            (returns / book.filename).write_bytes((out / book.filename).read_bytes())


def test_the_segretario_round_end_to_end(tmp_path):
    plan_file, plan, config = office(tmp_path)
    out, returns = tmp_path / "out", tmp_path / "ritorni"
    generated = run("generate", plan_file, "-o", out, "--senza-allegato")
    assert generated.exit_code == 0, generated.output
    seg_book = next(b for b in planned_workbooks(plan, annex=False) if b.sector.code == "SEG")
    instructions = " ".join(str(c.value) for row in openpyxl.load_workbook(out / seg_book.filename)["Istruzioni"].iter_rows()
                            for c in row if c.value)
    assert "per informazione" in instructions and "giallo" not in instructions and "RAGGIUNTO" not in instructions

    sent = run("send", plan_file, out, "--config", config, "--scadenza", "15/07/2023", "--dry-run")
    assert sent.exit_code == 0, sent.output
    drafts = {p.stem: BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in (out / "bozze").glob("*.eml")}
    seg_mail = drafts[seg_book.filename.removesuffix(".xlsx")]
    body = seg_mail.get_body(("plain",)).get_content()
    assert "per informazione" in seg_mail["Subject"] and "nulla da compilare né da restituire" in body
    assert "giallo" not in body and "RAGGIUNTO" not in body and "entro il" not in body

    # The evaluator fills the prefilled workbook: one row per objective of the Segretario.
    assessments = out / assessment_filename(plan, "interim")
    wb = openpyxl.load_workbook(assessments)
    ws = wb.active
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_row=1 + len(plan.objectives_of(plan.sector("SEG"))))]
    assert [r[:2] for r in rows] == [["SEG", o.key] for o in plan.objectives_of(plan.sector("SEG"))]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("valutazione") + 1, value=95)
    ws.cell(row=2, column=header.index("nota") + 1, value="colloquio di valutazione")
    filled = tmp_path / "valutazioni.xlsx"
    wb.save(filled)

    fill_sector_books(plan, out, returns)
    summary = tmp_path / "riepilogo.xlsx"
    done = run("consolidate", plan_file, returns, "-o", summary, "--valutazioni", filled)
    assert done.exit_code == 0, done.output
    assert "SEG" in done.output and "95,0" in done.output

    overrides, problems = read_overrides(filled.read_bytes(), filled.name, plan)
    assert problems == [] and [(o.sector, o.objective, o.score) for o in overrides] == [("SEG", "SEG/1", 95.0)]
    result = import_returns(plan, [returns])
    ev = evaluate(plan, result.objectives, "interim", overrides)
    tables = summary_tables(ev, result)
    consegne = tables["Consegne"].set_index("Settore")["Stato"].to_dict()
    assert consegne == {"FIN": "restituito", "PM": "restituito", "SEG": f"{DIRECT}: 1 su 1 obiettivi valutati"}
    returned, expected = sum(s.returned for s in ev.sectors), sum(s.expected for s in ev.sectors)
    assert (returned, expected) == (5, 5)  # FIN 3 sheets, PM 2, the Segretario none
    wb = openpyxl.load_workbook(summary)
    assert f"Schede restituite: {returned} su {expected}" in [c.value for row in wb["Riepilogo"].iter_rows() for c in row]
    assert "EVAL_002" not in [f.code for f in ev.findings]

    status = run("status", plan_file, returns, "--cartella", out)
    assert status.exit_code == 0, status.output
    seg_line = next(line for line in status.output.splitlines() if line.startswith("SEG"))
    assert DIRECT in seg_line and "NO" not in seg_line.split()
    assert "2 settori hanno restituito, 0 mancano." in status.output


def test_a_segretario_without_an_address_is_sent_nothing_and_nobody_complains(tmp_path):
    plan_file, plan, config = office(tmp_path, email="")
    checked = run("validate", plan_file)
    assert checked.exit_code == 0 and "PLAN_011" not in checked.output
    out = tmp_path / "out"
    assert run("generate", plan_file, "-o", out, "--senza-allegato").exit_code == 0
    sent = run("send", plan_file, out, "--config", config, "--scadenza", "15/07/2023", "--dry-run")
    assert sent.exit_code == 0, sent.output
    seg_book = next(b for b in planned_workbooks(plan, annex=False) if b.sector.code == "SEG")
    stems = {p.stem for p in (out / "bozze").glob("*.eml")}
    assert seg_book.filename.removesuffix(".xlsx") not in stems and len(stems) == 2


def test_a_blank_row_of_the_assessments_workbook_is_not_yet_assessed(tmp_path):
    plan_file, plan, _ = office(tmp_path)
    out = tmp_path / "out"
    assert run("generate", plan_file, "-o", out, "--senza-allegato").exit_code == 0
    data = (out / assessment_filename(plan, "interim")).read_bytes()
    overrides, problems = read_overrides(data, "valutazioni.xlsx", plan)
    assert (overrides, problems) == ([], [])
    ev = evaluate(plan, [], "interim", overrides)
    assert "EVAL_002" in [f.code for f in ev.findings]


@pytest.mark.parametrize("written", ["Quantità", "quantita", "QUANTITÀ", "Indici di Quantità"])
def test_the_assessments_file_takes_the_block_as_printed(small_plan, written):
    text = f"settore;obiettivo;blocco;numero;valutazione\nFIN;1;{written};1;40\n".encode()
    overrides, problems = read_overrides(text, "nucleo.csv", small_plan)
    assert problems == [] and overrides[0].kind.value == "quantita"
