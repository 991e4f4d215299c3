"""The final round generated from the interim returns, and the state of each sector in a round."""

from __future__ import annotations

import email
import email.policy
import io
from datetime import date, datetime

import openpyxl
import pytest
from click.testing import CliRunner

from schede_excel.cli.main import cli
from schede_excel.sheet.generate import generate, planned_workbooks
from schede_excel.returns.importer import import_returns, read_return
from schede_excel.sheet.layout import CARRIED_COLS, VALUE_KINDS, Label, a1, sheet_layout, sheet_names
from schede_excel.mail.sending import MailSettings, SentRecord, append_log, read_log
from schede_excel.plan.model import IndicatorKind
from schede_excel.plan.rules import sheet_average
from schede_excel.mail.status import reminders, sector_status
from tests.plans import as_yaml, small_plan_data


@pytest.fixture
def interim_returns(small_plan, tmp_path):
    """FIN's interim workbook filled in: values, texts and two people."""
    generate(small_plan, tmp_path / "out", annex=False)
    book = planned_workbooks(small_plan, annex=False)[0]
    wb = openpyxl.load_workbook(tmp_path / "out" / book.filename)
    name = sheet_names(list(book.objectives))[0]
    lay = sheet_layout(book.objectives[0], staff_rows=small_plan.staff_rows)
    ws = wb[name]
    for slot, value in zip(lay.indicators, [0.81, datetime(2023, 1, 20), None, 0.9]):
        ws[a1(*slot.achieved)] = value
    block = lay.reviews["interim"]
    ws[a1(block.causes.row, block.causes.col)] = "Formazione rinviata"
    ws[a1(block.actions_planned.row, block.actions_planned.col)] = "Corso in autunno"
    ws[a1(lay.staff_rows[0], 0)], ws[a1(lay.staff_rows[0], 3)] = "Rossi Mario", 0.5
    folder = tmp_path / "ritorni-interim"
    folder.mkdir()
    wb.save(folder / "fin.xlsx")
    return folder


def test_final_round_carries_the_interim_review_locked(small_plan, interim_returns, tmp_path):
    runner = CliRunner()
    (tmp_path / "piano.yaml").write_text(as_yaml(small_plan_data()), encoding="utf-8")
    result = runner.invoke(cli, ["generate", str(tmp_path / "piano.yaml"), "-o", str(tmp_path / "finale"),
                                 "--turno", "final", "--from", str(interim_returns), "--senza-allegato"])
    assert result.exit_code == 0, result.output
    assert "GEN_002" in result.output  # PM returned nothing at the interim review
    book = planned_workbooks(small_plan, "final", annex=False)[0]
    wb = openpyxl.load_workbook(tmp_path / "finale" / book.filename)
    name = sheet_names(list(book.objectives))[0]
    ws = wb[name]
    lay = sheet_layout(book.objectives[0], staff_rows=small_plan.staff_rows)
    interim, final = lay.reviews["interim"], lay.reviews["final"]
    causes = ws[a1(interim.causes.row, interim.causes.col)]
    assert causes.value == "Formazione rinviata" and causes.protection.locked
    assert ws[a1(final.causes.row, final.causes.col)].protection.locked is False
    # The interim averages, as numbers now (locked), equal the library's.
    carried = read_return(small_plan, (interim_returns / "fin.xlsx").read_bytes(), "fin.xlsx").objectives[0]
    achieved = {(i.kind, i.index): i.achieved for i in carried.indicators}
    entries = [(s.indicator.parsed_target(small_plan.year), achieved[(s.kind, s.index)]) for s in lay.indicators
               if s.kind in VALUE_KINDS]
    value = ws[a1(interim.value_score.row, interim.value_score.col)].value
    assert value == pytest.approx(sheet_average(entries, small_plan.interim_review, small_plan.scoring, final=False))
    # The interim RAGGIUNTO beside each indicator, locked; the final RAGGIUNTO open and blank.
    header = lay.block_headers[IndicatorKind.QUANTITY]
    assert ws[a1(header, CARRIED_COLS[0])].value == Label.CARRIED
    first = lay.indicators[0]
    assert ws[a1(first.row, CARRIED_COLS[0])].value == pytest.approx(0.81)
    assert ws[a1(*first.achieved)].value is None and ws[a1(*first.achieved)].protection.locked is False
    # The staff starts from the interim one, still editable.
    assert ws[a1(lay.staff_rows[0], 0)].value == "Rossi Mario"
    assert ws[a1(lay.staff_rows[0], 0)].protection.locked is False

    # Filled in for the final review and read back: a final-round record, with the interim texts too.
    ws[a1(*first.achieved)] = 0.95
    out = io.BytesIO()
    wb.save(out)
    read = read_return(small_plan, out.getvalue(), "finale.xlsx", round_="final")
    record = next(r for r in read.objectives if r.objective == "TUTTI/1")
    assert record.round == "final" and record.indicators[0].achieved == pytest.approx(0.95)
    assert record.review("interim").causes == "Formazione rinviata"
    wrong = read_return(small_plan, out.getvalue(), "finale.xlsx", round_="interim")
    assert {f.code for f in wrong.findings} >= {"RET_005"} and not wrong.objectives


def test_from_needs_the_final_round(small_plan, interim_returns, tmp_path):
    (tmp_path / "piano.yaml").write_text(as_yaml(small_plan_data()), encoding="utf-8")
    result = CliRunner().invoke(cli, ["generate", str(tmp_path / "piano.yaml"), "-o", str(tmp_path / "o"),
                                      "--from", str(interim_returns)])
    assert result.exit_code == 2 and not (tmp_path / "o").exists()


def test_status_and_reminders(small_plan, interim_returns, tmp_path):
    out = tmp_path / "out"
    book = planned_workbooks(small_plan, annex=False)[0]
    append_log(out / "invii.jsonl", SentRecord(plan=small_plan.plan_id, sector="FIN", round="interim",
                                               to=("fin@comune.borgoprova.it",), cc=(), message_id="<1@x>",
                                               sent_at="2023-06-01T09:00:00+02:00", file=book.filename, sha256="0"))
    result = import_returns(small_plan, [interim_returns])
    sent, problems = read_log(out / "invii.jsonl")
    assert not problems
    statuses = {s.sector: s for s in sector_status(small_plan, result, sent, "interim", date(2023, 7, 15),
                                                  today=date(2023, 7, 10))}
    assert statuses["FIN"].returned and statuses["FIN"].sent_at.date() == date(2023, 6, 1)
    assert statuses["FIN"].objectives_returned == 3 == statuses["FIN"].objectives_expected
    assert statuses["FIN"].warnings >= 1  # blank RAGGIUNTO on FIN/1 and FIN/2
    assert not statuses["PM"].returned and statuses["PM"].sent_at is None
    assert not statuses["SEG"].expected and statuses["PM"].days_left == 5
    batch = reminders(small_plan, out, MailSettings(sender="personale@comune.borgoprova.it", deadline=date(2023, 7, 15)),
                      list(statuses.values()), round_="interim", today=date(2023, 7, 10))
    assert batch.ok, [str(f) for f in batch.findings]
    assert [o.sector.code for o in batch.outgoing] == ["PM"]
    message = email.message_from_bytes(batch.outgoing[0].message.as_bytes(policy=email.policy.SMTP),
                                       policy=email.policy.default)
    assert message["Subject"].startswith("Sollecito") and "pm@comune.borgoprova.it" in message["To"]
    attachment = next(message.iter_attachments())
    assert attachment.get_content() == (out / planned_workbooks(small_plan, annex=False)[1].filename).read_bytes()
    assert "15 luglio 2023" in message.get_body().get_content()


def test_status_command(small_plan, interim_returns, tmp_path):
    (tmp_path / "piano.yaml").write_text(as_yaml(small_plan_data()), encoding="utf-8")
    result = CliRunner().invoke(cli, ["status", str(tmp_path / "piano.yaml"), str(interim_returns),
                                      "--cartella", str(tmp_path / "out"), "--scadenza", "15/07/2099",
                                      "--solleciti", str(tmp_path / "solleciti")])
    assert result.exit_code == 0, result.output
    assert "1 settore ha restituito, 1 manca: PM." in result.output
    header, *rows = [line for line in result.output.splitlines() if line.split()[0] in ("settore", "FIN", "SEG")]
    seg = next(row for row in rows if row.startswith("SEG"))
    assert "valutazione diretta" in seg and "0/0" not in seg  # the Segretario has nothing to return
    assert seg.index("valutazione diretta") == header.index("restituito il")
    assert seg.rstrip().endswith("0       0") and len(seg.rstrip()) == len(header.rstrip())  # columns stay aligned
    assert [p.name for p in (tmp_path / "solleciti").iterdir()] == ["borgo-prova-2023-intermedia-PM.eml"]
    assert "MAIL_008" not in result.output  # the deadline is in the future: no warning about it


def test_the_final_results_annex_carries_the_interim_half(small_plan, interim_returns, tmp_path):
    plan_file = tmp_path / "piano.yaml"
    plan_file.write_text(as_yaml(small_plan_data()), encoding="utf-8")
    runner = CliRunner()
    finale = tmp_path / "finale"
    assert runner.invoke(cli, ["generate", str(plan_file), "-o", str(finale), "--turno", "final",
                               "--from", str(interim_returns), "--senza-allegato"]).exit_code == 0
    annex = tmp_path / "risultati.xlsx"
    result = runner.invoke(cli, ["consolidate", str(plan_file), str(finale), "-o", str(tmp_path / "riepilogo.xlsx"),
                                 "--turno", "final", "--allegato", str(annex), "--from", str(interim_returns)])
    assert result.exit_code == 0, result.output
    book = planned_workbooks(small_plan, "final", annex=False)[0]
    objective = book.objectives[0]
    lay = sheet_layout(objective, staff_rows=small_plan.staff_rows)
    names = [n for n in openpyxl.load_workbook(annex).sheetnames]
    ws = openpyxl.load_workbook(annex)[next(n for n in names if n.startswith("FIN") or n.startswith("TUTTI"))]
    header = lay.block_headers[IndicatorKind.QUANTITY]
    assert ws[a1(header, CARRIED_COLS[0])].value == Label.CARRIED
    slot = lay.indicators[0]
    assert ws[a1(slot.row, CARRIED_COLS[0])].value == pytest.approx(0.81)  # RAGGIUNTO intermedio
    interim = lay.reviews["interim"]
    assert ws[a1(interim.causes.row, interim.causes.col)].value == "Formazione rinviata"
    assert ws[a1(interim.value_score.row, interim.value_score.col)].value == pytest.approx(90)  # 81% of 90%, 90% of 100%
    # Without the interim returns the annex cannot show them: the half stays empty, as before.
    bare = tmp_path / "senza.xlsx"
    assert runner.invoke(cli, ["consolidate", str(plan_file), str(finale), "-o", str(tmp_path / "r2.xlsx"),
                               "--turno", "final", "--allegato", str(bare)]).exit_code == 0
    ws = openpyxl.load_workbook(bare)[ws.title]
    assert ws[a1(slot.row, CARRIED_COLS[0])].value is None
