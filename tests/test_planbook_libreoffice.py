"""The plan template in a real LibreOffice: a plan typed into it, saved as .ods and .xlsx, then used.

LibreOffice opens the empty template, a small plan is typed into its sheets cell by cell, its
own recalculation of the weight totals and of the objective titles must be right, and the
files it saves in both formats validate and generate the sector workbooks.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from schede_excel.sheet.generate import generate
from schede_excel.plan.workbook import build_plan_workbook
from schede_excel.plan.load import load_plan

ENTE = [("B2", "Borgo Prova"), ("B3", 2024), ("B4", "2024-2026"), ("B6", date(2024, 6, 30)), ("B7", date(2024, 12, 31))]
SETTORI = [
    ("FIN", "FINANZIARIO", "DR. MARIO ROSSI", "fin@comune.borgoprova.it", "No"),
    ("SEG", "SEGRETARIO COMUNALE", "DR.SSA ANNA BIANCHI", "segretario@comune.borgoprova.it", "Sì"),
]
OBIETTIVI = [
    ("TUTTI", 1, 30, "TRASPARENZA", "Obiettivo trasversale a tutti i settori.", "Missione 1 - Programma 2"),
    ("FIN", 1, 70, "RENDICONTO", "Approvazione nei termini.", None),
    ("SEG", 1, 100, "CONTROLLI INTERNI", None, None),
]
FASI = [  # settore, numero, fase, descrizione, mesi
    ("TUTTI", 1, 1, "Formazione", (3, 4)),
    ("TUTTI", 1, 2, "Monitoraggio", (6, 12)),
    ("FIN", 1, 1, "Predisposizione", (1, 2, 3)),
    ("SEG", 1, 1, "Controlli semestrali", (4, 10)),
]
INDICATORI = [  # settore, numero, blocco, descrizione, atteso
    ("TUTTI", 1, "Quantità", "% dipendenti formati", "90%"),
    ("TUTTI", 1, "Tempo", "dichiarazioni dei responsabili", "31-gen"),
    ("FIN", 1, "Quantità", "report di confronto", "mensile"),
    ("FIN", 1, "Costo", "spesa per consulenze", "1.500,50"),
    ("FIN", 1, "Qualità", "solleciti", "tempestivi"),
]
MONTH_COLUMNS = "FGHIJKLMNOPQ"


def typed_cells():
    cells = [("Ente", cell, value) for cell, value in ENTE]
    for r, values in enumerate(SETTORI, start=2):
        cells += [("Settori", f"{col}{r}", v) for col, v in zip("ABCDE", values)]
    for r, values in enumerate(OBIETTIVI, start=2):
        cells += [("Obiettivi", f"{col}{r}", v) for col, v in zip("ABCDEF", values) if v is not None]
    for r, (sector, number, phase, text, months) in enumerate(FASI, start=2):
        cells += [("Fasi", f"A{r}", sector), ("Fasi", f"B{r}", number), ("Fasi", f"D{r}", phase), ("Fasi", f"E{r}", text)]
        cells += [("Fasi", f"{MONTH_COLUMNS[m - 1]}{r}", "X") for m in months]
    for r, values in enumerate(INDICATORI, start=2):
        cells += [("Indicatori", f"{col}{r}", v) for col, v in zip("ABDEF", values)]
    return cells


def test_plan_typed_into_the_template_in_libreoffice(libreoffice, tmp_path):
    template = tmp_path / "piano-2024.xlsx"
    template.write_bytes(build_plan_workbook(None))
    with libreoffice.open(template) as doc:
        doc.set_many(typed_cells())
        doc.recalculate()
        assert doc.get_many("Settori", ["G2", "H2", "I2", "G3", "H3", "I3"]) == {
            "G2": 70.0, "H2": 30.0, "I2": 100.0, "G3": 100.0, "H3": 0.0, "I3": 100.0}
        assert doc.get("Fasi", "C4") == "RENDICONTO"
        assert doc.get("Indicatori", "C2") == "TRASPARENZA"
        saved = [doc.save_as(tmp_path / "piano-lo.ods"), doc.save_as(tmp_path / "piano-lo.xlsx")]

    plans = []
    for path in saved:
        result = load_plan(path)
        assert result.ok, [str(f) for f in result.findings]
        plan = result.plan
        assert (plan.entity, plan.year, plan.interim_review) == ("Borgo Prova", 2024, date(2024, 6, 30))
        assert [s.direct_assessment for s in plan.sectors] == [False, True]
        trasparenza = plan.objectives[0]
        assert trasparenza.dup_links == ("Missione 1 - Programma 2",)
        assert [p.months for p in trasparenza.phases] == [(3, 4), (6, 12)]
        assert [i.target for i in trasparenza.indicators.quantita] == ["90%"]
        assert [i.target for i in plan.objectives[1].indicators.costo] == ["1.500,50"]
        written = generate(plan, tmp_path / f"out-{path.suffix[1:]}")
        assert len(written) == 3  # FIN, SEG and the annex
        plans.append(plan)
    assert plans[0] == plans[1]


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_caluso_plan_workbook_resaved_by_libreoffice(libreoffice, tmp_path, suffix):
    plan = load_plan(Path(__file__).parent.parent / "schede" / "caluso-2023.yaml").plan
    path = tmp_path / "piano-2023.xlsx"
    path.write_bytes(build_plan_workbook(plan))
    with libreoffice.open(path) as doc:
        saved = doc.save_as(tmp_path / f"piano-2023-lo{suffix}")
    result = load_plan(saved)
    assert result.ok, [str(f) for f in result.findings if f.severity.value == "errore"]
    assert result.plan == plan


def test_hand_made_schede_resaved_by_libreoffice_migrate_alike(libreoffice, tmp_path):
    from schede_excel.sheet.migrate import migrate_workbook
    from tests.test_migrate import FIN, SEG, TUTTI, build

    original = tmp_path / "allegato-2023.xlsx"
    original.write_bytes(build(TUTTI, FIN, SEG))
    with libreoffice.open(original) as doc:
        copies = [doc.save_as(tmp_path / "allegato-2023.ods"), doc.save_as(tmp_path / "allegato-2023.xls")]
    expected = migrate_workbook(original.read_bytes()).data
    for copy in copies:
        outcome = migrate_workbook(copy.read_bytes(), file=copy.name)
        assert "MIGR_017" in {f.code for f in outcome.findings}  # the months were marked by colour only
        data = outcome.data
        # .ods and .xls are read for their values only: months marked by colour alone are not seen
        for objective in expected["obiettivi"] + data["obiettivi"]:
            for phase in objective.get("fasi", []):
                phase.pop("mesi", None)
        assert data == expected, copy.suffix


def test_a_percentage_typed_as_a_number_survives_ods(libreoffice, small_plan, tmp_path):
    """LibreOffice turns «95%» typed in a cell into 0.95 formatted as a percentage; the .ods keeps it."""
    import io

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(build_plan_workbook(small_plan)))
    sheet = wb["Indicatori"]
    header = [c.value for c in sheet[1]]
    column = next(k for k, name in enumerate(header, start=1) if str(name).lower().startswith("atteso"))
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, column).value == "90%")
    sheet.cell(row, column).value = 0.95
    sheet.cell(row, column).number_format = "0%"
    wb.save(tmp_path / "piano.xlsx")
    with libreoffice.open(tmp_path / "piano.xlsx") as doc:
        saved = doc.save_as(tmp_path / "piano.ods")
    plan = load_plan(saved).plan
    assert plan.objectives[0].indicators.quantita[0].target == "95%"
