"""Migration of hand-made schede: sections found by their labels however the sheet is laid out.

The workbooks here are built with openpyxl the way an office builds them by hand: the annex's
layout, the same shifted to other columns with blank rows and lower-case labels, labels with
their value after a colon, a title split over several cells, months marked by colour or by x,
a Segretario sheet without indicators, a cover sheet. Each test checks what is recovered and
what is reported for the user to complete.
"""

import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.styles import PatternFill

from schede_excel.cli.main import cli
from schede_excel.sheet.generate import generate
from schede_excel.sheet.migrate import migrate_workbook, sector_code
from schede_excel.plan.load import load_plan
from schede_excel.plan.parse import parse_plan
from schede_excel.plan.yamlwriter import plan_data, plan_to_yaml, scalar

ROOT = Path(__file__).parent.parent
BLUE = PatternFill("solid", fgColor="8EA9DB")
GREY = PatternFill("solid", fgColor="D9D9D9")
MONTHS = "GFMAMGLASOND"


def annex_sheet(ws, *, number, weight, sector, head, title, description, dup=(), phases=(), blocks=None,
                reviews=("VERIFICA INTERMEDIA AL 30/06/2023", "VERIFICA FINALE AL 31/12/2023")):
    """A scheda in the annex's own layout (columns A-Q), as the Caluso annex has it."""
    ws.merge_cells("A1:L1")
    ws["A1"] = f"Comune di Borgo Prova ANNO 2023 - Obiettivo strategico n° {number}"
    ws.merge_cells("M1:O1")
    ws["M1"] = "PESO:"
    ws.merge_cells("P1:Q1")
    ws["P1"] = weight
    ws.merge_cells("A2:C2")
    ws["A2"] = "SETTORE"
    ws.merge_cells("D2:Q2")
    ws["D2"] = "RESPONSABILE DI SERVIZIO"
    ws.merge_cells("A3:C3")
    ws["A3"] = sector
    ws.merge_cells("D3:Q3")
    ws["D3"] = head
    ws.merge_cells("A4:B4")
    ws["A4"] = "OBIETTIVO"
    ws.merge_cells("C4:Q4")
    ws["C4"] = title
    ws.merge_cells("A5:B5")
    ws["A5"] = "descrizione obiettivo"
    ws.merge_cells("C5:Q5")
    ws["C5"] = description
    ws["A6"] = "collegamento con Rel. Prev. Prog./DUP"
    for i in range(4):
        ws.cell(7 + i, 1, i + 1)
        ws.cell(7 + i, 4, i + 5)
    for n, text in enumerate(dup, start=1):
        ws.cell(7 + (n - 1) % 4, 2 if n <= 4 else 5, text)
    ws.merge_cells("A11:E13")
    ws["A11"] = "Descrizione delle fasi di attuazione:"
    ws["F11"] = "CRONOPROGRAMMA"
    ws["F12"] = "FASI E TEMPI"
    for c, letter in enumerate(MONTHS, start=6):
        ws.cell(13, c, letter).fill = GREY
    for r in range(6):
        ws.cell(14 + r, 1, r + 1)
        if r < len(phases):
            text, months = phases[r]
            ws.cell(14 + r, 2, text)
            for m in months:
                ws.cell(14 + r, 5 + m).fill = BLUE
    row = 21
    if blocks is not None:
        ws.cell(row, 1, "INDICI DI RISULTATO")
        for label, items in blocks:
            row += 1
            ws.cell(row, 1, label)
            ws.cell(row, 3, "ATTESO")
            ws.cell(row, 4, "RAGGIUNTO")
            ws.cell(row, 5, "Scost.")
            for text, target in items:
                row += 1
                ws.cell(row, 1, text)
                ws.cell(row, 3, target)
                ws.cell(row, 4, "raggiunto l'anno scorso")
        row += 2
    ws.cell(row, 1, reviews[0])
    ws.cell(row, 6, reviews[1])
    ws.cell(row + 1, 1, "MEDIA VALORE RAGGIUNTO %")
    ws.cell(row + 4, 1, "Cause")
    ws.cell(row + 5, 1, "causa scritta l'anno scorso")
    ws.cell(row + 14, 1, "PERSONALE COINVOLTO NELL'OBIETTIVO")
    ws.cell(row + 15, 1, "Cognome e Nome")
    for r in range(5):
        ws.cell(row + 16 + r, 1, f"DIPENDENTE {r}")
    ws.cell(row + 21, 1, "totale partecipazione agli obiettivi")
    return ws


def shifted_sheet(ws, *, number, weight, sector, head, title, phases, blocks):
    """The same scheda moved to column C, with blank rows, lower-case labels, a split title and x marks."""
    ws["C2"], ws["D2"], ws["E2"], ws["F2"], ws["H2"], ws["I2"] = (
        "Comune di Borgo Prova", "anno 2023", "- obiettivo strategico n°", number, "Peso:", str(weight))
    ws["C5"], ws["G5"] = "  settore ", "responsabile  di  servizio"
    ws["C6"], ws["G6"] = sector, head
    ws["C9"] = "obiettivo"
    ws["C10"] = title
    ws["C12"] = "Descrizione   Obiettivo"
    ws["E12"] = "Testo della descrizione,\nsu due righe."
    ws["C15"] = "descrizione delle fasi di attuazione"
    ws["J15"] = "cronoprogramma"
    for c, letter in enumerate(MONTHS.lower(), start=10):
        ws.cell(16, c, letter)
    for r, (text, months) in enumerate(phases):
        ws.cell(18 + 2 * r, 3, text)  # one blank row after each phase
        for m in months:
            ws.cell(18 + 2 * r, 9 + m, "x")
    row = 30
    ws.cell(row, 3, "indici  di  risultato")
    for label, items in blocks:
        row += 2
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=6)
        ws.cell(row, 3, label)
        ws.cell(row, 8, "atteso")
        ws.cell(row, 9, "raggiunto")
        for text, target in items:
            row += 1
            ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=7)
            ws.cell(row, 3, text)
            ws.cell(row, 8, target)
    ws.cell(row + 3, 3, "verifica intermedia al")
    ws.cell(row + 3, 5, datetime(2023, 7, 15))
    return ws


def inline_sheet(ws, *, number, weight, sector, head, title):
    """Labels with the value in the same cell after a colon, no merges, no cronoprogramma, no PESO value."""
    ws["A1"] = f"COMUNE DI BORGO PROVA – ANNO 2023 – OBIETTIVO STRATEGICO N. {number}"
    ws["A2"] = f"SETTORE: {sector}"
    ws["A3"] = f"Responsabile di servizio: {head}"
    ws["A4"] = f"OBIETTIVO: {title}"
    ws["A6"] = "Descrizione delle fasi di attuazione:"
    ws["A7"] = "Unica fase senza mesi"
    ws["A9"] = "Indici di Tempo"
    ws["C9"] = "ATTESO"
    ws["A10"] = "scadenza senza valore"
    ws["A11"] = "relazione"
    ws["C11"] = datetime(2023, 3, 31)
    ws["C11"].number_format = "dd/mm/yyyy"
    ws["A12"] = "avvio"
    ws["C12"] = datetime(2023, 1, 31)
    ws["C12"].number_format = "d-mmm"
    ws["A13"] = "Indici di Quantità"
    ws["C13"] = "ATTESO"
    ws["A14"] = "copertura"
    ws["C14"] = 0.95
    ws["C14"].number_format = "0%"
    if weight is not None:
        ws["E1"] = f"PESO: {weight}"
    return ws


def build(*sheets) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, make, kwargs in sheets:
        make(wb.create_sheet(name), **kwargs)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


TUTTI = ("TUTTI 1", annex_sheet, dict(
    number=1, weight=30, sector="________TUTTI__________", head="Sig. ______________", title="TRASPARENZA",
    description="Obiettivo trasversale.", dup=["Missione 1 - Programma 2", "Missione 1 - Programma 8", None, None, "Missione 5"],
    phases=[("Formazione", (3, 4)), ("Monitoraggio", (6, 12))],
    blocks=[("Indici di Quantità", [("% dipendenti formati", "90%")]),
            ("Indici di Tempo", [("dichiarazioni", "31-gen"), ("relazione finale", "31/12/2023")]),
            ("Indici di Costo", []), ("Indici di Qualità", [("pubblicazioni", "100%")])]))
FIN = ("FIN 1", annex_sheet, dict(
    number=1, weight=70, sector="FINANZIARIO", head="DR. MARIO ROSSI", title="RENDICONTO",
    description="Approvazione nei termini.", phases=[("Predisposizione", (1, 2, 3))],
    blocks=[("Indici di Quantità", [("report", "mensile"), ("Verifica finale dei lavori", "4")]), ("Indici di Tempo", []),
            ("Indici di Costo", [("spesa", 1500)]), ("Indici di Qualità", [])]))
SEG = ("Segretario", annex_sheet, dict(
    number=1, weight=100, sector="SEGRETARIO COMUNALE", head="DR.SSA ANNA BIANCHI", title="CONTROLLI INTERNI",
    description="Controlli.", phases=[("Controlli semestrali", (4, 10))], blocks=None))


def migrated(data: bytes, **options):
    outcome = migrate_workbook(data, file="vecchio.xlsx", **options)
    assert outcome.data is not None, [str(f) for f in outcome.findings]
    text = plan_to_yaml(outcome.data, outcome.comments)
    checked = parse_plan(text, "piano.yaml")
    assert checked.plan is not None, [str(f) for f in checked.findings]
    return outcome, checked.plan, text


def codes(findings):
    return {f.code for f in findings}


def test_annex_layout_recovered_for_the_next_year():
    cover = ("Copertina", lambda ws: ws.__setitem__("A1", "ALLEGATO 1 – SCHEDE OBIETTIVI"), {})
    outcome, plan, text = migrated(build(cover, TUTTI, FIN, SEG))
    assert (plan.entity, plan.year, plan.triennium) == ("Borgo Prova", 2024, "2024-2026")
    assert (plan.interim_review, plan.final_review) == (date(2024, 6, 30), date(2024, 12, 31))
    assert plan.staff_rows == 5
    assert [(s.code, s.name, s.head, s.direct_assessment) for s in plan.sectors] == [
        ("FINANZ", "FINANZIARIO", "DR. MARIO ROSSI", False),
        ("SEGRET", "SEGRETARIO COMUNALE", "DR.SSA ANNA BIANCHI", True)]
    tutti, fin, seg = plan.objectives
    assert (tutti.key, tutti.weight, tutti.title, tutti.description) == ("TUTTI/1", 30, "TRASPARENZA", "Obiettivo trasversale.")
    assert tutti.dup_links == ("Missione 1 - Programma 2", "Missione 1 - Programma 8", "", "", "Missione 5")
    assert [(p.description, p.months) for p in tutti.phases] == [("Formazione", (3, 4)), ("Monitoraggio", (6, 12))]
    assert [i.target for i in tutti.indicators.tempo] == ["31-gen", "31/12/2024"]
    assert [i.target for i in tutti.indicators.qualita] == ["100%"]
    assert (fin.key, fin.weight) == ("FINANZ/1", 70)
    assert [i.target for i in fin.indicators.costo] == ["1500"] and [p.months for p in fin.phases] == [(1, 2, 3)]
    assert [i.description for i in fin.indicators.quantita] == ["report", "Verifica finale dei lavori"]  # not a label
    assert seg.key == "SEGRET/1" and len(seg.indicators) == 0
    assert "raggiunto l'anno scorso" not in text and "causa scritta" not in text and "DIPENDENTE" not in text
    found = codes(outcome.findings)
    assert {"MIGR_002", "MIGR_011", "MIGR_015", "MIGR_016"} <= found
    assert not {"MIGR_005", "MIGR_006", "MIGR_009", "MIGR_010", "MIGR_012"} & found
    cover_note = next(f for f in outcome.findings if f.code == "MIGR_002")
    assert cover_note.sheet == "Copertina"
    assert "# da completare: l'indirizzo non è nelle schede" in text
    assert "# nelle schede: 31/12/2023" in text
    assert parse_plan(text).ok  # weights total 100: only the e-mails are missing (warnings)


def test_shifted_columns_blank_rows_lower_case_labels_and_x_marks():
    sheet = ("obiettivo 2", shifted_sheet, dict(
        number=2, weight=25, sector="AREA TECNICA", head="ING. LUCA VERDI", title="MANUTENZIONI",
        phases=[("Rilievo", (1, 2)), ("Lavori", (5, 6, 7))],
        blocks=[("INDICI DI QUANTITA'", [("interventi", 12)]), ("Indici  di  tempo", [("fine lavori", "30-set")])]))
    outcome, plan, text = migrated(build(sheet))
    objective = plan.objectives[0]
    assert (plan.sectors[0].name, plan.sectors[0].head, plan.sectors[0].code) == ("AREA TECNICA", "ING. LUCA VERDI", "TECNIC")
    assert (objective.number, objective.weight, objective.title) == (2, 25, "MANUTENZIONI")
    assert objective.description == "Testo della descrizione,\nsu due righe."
    assert [(p.description, p.months) for p in objective.phases] == [("Rilievo", (1, 2)), ("Lavori", (5, 6, 7))]
    assert [(i.description, i.target) for i in objective.indicators.quantita] == [("interventi", "12")]
    assert [i.target for i in objective.indicators.tempo] == ["30-set"]
    assert plan.interim_review == date(2024, 7, 15)
    assert plan.final_review == date(2024, 12, 31)  # not on the sheet: proposed, and said so
    assert "MIGR_010" in codes(outcome.findings)
    assert "      Testo della descrizione,\n\n      su due righe." in text  # a blank line for the line break


def test_inline_labels_no_weight_no_timeline_and_typed_dates_and_percentages():
    sheet = ("Foglio1", inline_sheet, dict(number=3, weight=None, sector="POLIZIA MUNICIPALE", head="", title="SICUREZZA"))
    outcome, plan, text = migrated(build(sheet))
    objective = plan.objectives[0]
    assert (plan.sectors[0].name, plan.sectors[0].head) == ("POLIZIA MUNICIPALE", "")
    assert (objective.number, objective.weight, objective.title) == (3, 0, "SICUREZZA")
    assert [(i.description, i.target) for i in objective.indicators.tempo] == [
        ("scadenza senza valore", ""), ("relazione", "31/03/2024"), ("avvio", "31-gen")]
    assert [i.target for i in objective.indicators.quantita] == ["95%"]
    assert [p.months for p in objective.phases] == [()]
    found = {f.code: f for f in outcome.findings}
    assert {"MIGR_006", "MIGR_009", "MIGR_012"} <= set(found)
    assert (found["MIGR_009"].sheet, found["MIGR_009"].cell) == ("Foglio1", "C10")
    assert "# ATTESO mancante nella scheda: da completare" in text
    assert "# PESO non trovato nella scheda: da completare" in text
    assert "Da completare:" in text


def test_several_schede_stacked_in_one_sheet():
    wb = openpyxl.Workbook()
    ws = wb.active
    inline_sheet(ws, number=1, weight=40, sector="SERVIZI SOCIALI", head="DOTT. ROSSI", title="PRIMO")
    for row in list(ws.iter_rows(min_row=1, max_row=14, values_only=True)):
        ws.append(row)
    ws["A15"] = "Comune di Borgo Prova ANNO 2023 - Obiettivo strategico n° 2"
    ws["A18"] = "OBIETTIVO: SECONDO"
    out = io.BytesIO()
    wb.save(out)
    _, plan, _ = migrated(out.getvalue())
    assert [(o.sector, o.number, o.title) for o in plan.objectives] == [("SOCIAL", 1, "PRIMO"), ("SOCIAL", 2, "SECONDO")]


def test_what_stops_the_migration():
    assert codes(migrate_workbook(b"non una cartella").findings) == {"BOOK_001"}
    cover = ("Copertina", lambda ws: ws.__setitem__("A1", "niente"), {})
    assert {"MIGR_001", "MIGR_002"} == codes(migrate_workbook(build(cover)).findings)
    no_title = ("X", lambda ws: [ws.__setitem__("A1", "OBIETTIVO"), ws.__setitem__("B1", "TITOLO")], {})
    stopped = migrate_workbook(build(no_title))
    assert stopped.data is None and {"MIGR_003", "MIGR_004"} <= codes(stopped.findings)
    _, plan, _ = migrated(build(no_title), year=2025, entity="Borgo Prova")
    assert (plan.year, plan.objectives[0].title, plan.objectives[0].number) == (2025, "TITOLO", 1)


def test_a_generated_annex_migrates_back_to_its_plan(tmp_path):
    plan = load_plan(ROOT / "schede" / "caluso-2023.yaml").plan
    generate(plan, tmp_path)
    outcome, new, _ = migrated((tmp_path / "caluso-2023-allegato.xlsx").read_bytes())
    assert new.year == 2024 and [s.name for s in new.sectors] == [s.name for s in plan.sectors]
    assert [s.direct_assessment for s in new.sectors] == [s.direct_assessment for s in plan.sectors]
    for old, now in zip(plan.objectives, new.objectives, strict=True):
        assert (now.number, now.weight, now.title) == (old.number, old.weight, old.title)
        # hand-made cells often hold stray double spaces: the migration tidies them
        assert [" ".join(p.description.split()) for p in old.phases] == [p.description for p in now.phases]
        for kind, block in old.indicators.by_kind():
            moved = [i.target.replace("/2023", "/2024") for i in block]
            assert [i.target for i in getattr(now.indicators, kind.value)] == moved


def test_sector_codes_are_short_and_unique():
    taken = set()
    assert [sector_code(n, taken) for n in ("SETTORE FINANZIARIO", "Area Finanziaria", "Ufficio di Staff", "Tutti")] == [
        "FINANZ", "FINANZ2", "STAFF", "TUTTI2"]


def test_cli_migrate_writes_once_and_refuses_to_replace(tmp_path):
    old = tmp_path / "allegato-2023.xlsx"
    old.write_bytes(build(TUTTI, FIN, SEG))
    out = tmp_path / "piano-2024.yaml"
    runner = CliRunner()
    done = runner.invoke(cli, ["migrate", str(old), "-o", str(out)], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert load_plan(out).plan.year == 2024 and "MIGR_011" in done.output
    out.write_text("# modificato a mano\n", encoding="utf-8")
    again = runner.invoke(cli, ["migrate", str(old), "-o", str(out)], catch_exceptions=False)
    assert again.exit_code == 2 and "GEN_001" in again.output
    assert out.read_text(encoding="utf-8") == "# modificato a mano\n"
    bad = tmp_path / "rotto.xlsx"
    bad.write_bytes(b"no")
    assert runner.invoke(cli, ["migrate", str(bad), "-o", str(tmp_path / "x.yaml")]).exit_code == 2


def test_cli_plan_template_and_export(tmp_path):
    runner = CliRunner()
    template = tmp_path / "piano-2024.xlsx"
    assert runner.invoke(cli, ["plan-template", "-o", str(template)]).exit_code == 0
    assert template.read_bytes()[:2] == b"PK"
    assert runner.invoke(cli, ["plan-template", "-o", str(tmp_path / "piano.ods")]).exit_code == 2
    book, back = tmp_path / "piano-2023.xlsx", tmp_path / "piano-2023.yaml"
    caluso = ROOT / "schede" / "caluso-2023.yaml"
    assert runner.invoke(cli, ["plan-export", str(caluso), "-o", str(book)]).exit_code == 0
    assert runner.invoke(cli, ["plan-export", str(book), "-o", str(back)]).exit_code == 0
    assert load_plan(back).plan == load_plan(caluso).plan
    assert "invariato" in runner.invoke(cli, ["plan-export", str(caluso), "-o", str(book)]).output


# ---------------------------------------------------------------------------------------------
# The YAML writer

@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_any_text_reads_back_the_same(text):
    import yaml

    first, *rest = scalar(text, 4, 40)
    assert yaml.safe_load("\n".join([f"    k: {first}", *rest])) == {"k": text}


def test_caluso_yaml_round_trip():
    plan = load_plan(ROOT / "schede" / "caluso-2023.yaml").plan
    text = plan_to_yaml(plan_data(plan))
    assert parse_plan(text).plan == plan
    assert max(len(line) for line in text.splitlines()) <= 110


@pytest.mark.parametrize("value", [date(2024, 6, 30), 3, 2.5, True, "4", "31-gen", "sì", "no", "2023-06-30", "# non un commento"])
def test_scalars_keep_their_type(value):
    import yaml

    assert yaml.safe_load(f"k: {scalar(value, 0, 80)[0]}") == {"k": value}
