"""The whole cycle on the Caluso 2023 plan: generate, fill plausible returns, import, consolidate.

Shows: the library calls behind `schede generate`, `schede import` and `schede consolidate`.
The sector heads' part (filling in RAGGIUNTO, the review texts and the staff) is simulated with
openpyxl and a fixed random seed, so every run gives the same returns. At the end `OUT/` holds
the sector workbooks, the returned files in `OUT/ritorni/`, the summary `OUT/riepilogo.xlsx`
(with its charts), the annex of results `OUT/allegato-risultati.xlsx` and the CSV/JSON exports
in `OUT/esportazioni/`.

    python examples/ciclo_caluso.py [out-folder]      (default: out)
"""

import random
import sys
from datetime import date, timedelta
from pathlib import Path

import openpyxl

from schede_excel import (IndicatorKind, Override, Plan, Target, TargetKind, WorkbookPlan, consolidate, generate,
                          load_plan, planned_workbooks)
from schede_excel.italian import number
from schede_excel.plan.targets import Entry
from schede_excel.sheet.layout import sheet_layout, sheet_names
from schede_excel.spreadsheet.cells import a1

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = ["Rossi Maria", "Bianchi Luca", "Ferrero Anna", "Gallo Paolo", "Conti Sara", "Marino Giorgio",
          "Greco Elena", "Bruno Marco", "Costa Laura", "Fontana Davide", "Rizzo Chiara", "Moretti Andrea"]
CATEGORIES = ["Istruttori", "Funzionari e EQ", "Operatori esperti"]


def plausible(target: Target, entry: Entry, rng: random.Random, review: date, diligence: float) -> float | date | str | None:
    """What a sector head might enter: mostly on target, sometimes short or late."""
    good = rng.random() < diligence
    if entry is Entry.DATE and target.deadline is not None:
        if target.deadline > review and rng.random() < 0.6:
            return None  # not completed yet, and not due: left blank
        return target.deadline + timedelta(days=-rng.randint(0, 20) if good else rng.randint(5, 60))
    if entry is Entry.PERIODS:
        due = target.due_periods(review)
        return due if good else max(0, due - rng.randint(1, 2))
    if entry is Entry.COUNT:
        return 0 if good else rng.randint(1, 3)
    value = target.value if target.value is not None else 0.0
    if entry is Entry.PERCENT:
        return round(value * (1 if good else rng.uniform(0.6, 0.95)), 2)
    if entry is Entry.NUMBER:
        if target.lower_is_better:
            return round(value * (rng.uniform(0.8, 1.0) if good else rng.uniform(1.05, 1.4)))
        return round(value * (1 if good else rng.uniform(0.5, 0.9)))
    if entry is Entry.DAYS:
        return int(value * (rng.uniform(0.5, 1.0) if good else rng.uniform(1.1, 2.0)))
    return "Sì" if good else "No"


def fill(path: Path, plan: Plan, book: WorkbookPlan, rng: random.Random, out: Path) -> None:
    wb = openpyxl.load_workbook(path)
    team = rng.sample(PEOPLE, 3)
    diligence = rng.uniform(0.5, 0.95)
    objectives = [o for o in book.objectives if o.indicators]
    for name, objective in zip(sheet_names(list(book.objectives)), book.objectives):
        if objective not in objectives:
            continue
        ws = wb[name]
        lay = sheet_layout(objective, staff_rows=plan.staff_rows)
        for slot in lay.indicators:
            target = slot.indicator.parsed_target(plan.year, cost=slot.kind is IndicatorKind.COST)
            value = plausible(target, target.entry, rng, plan.interim_review, diligence)
            if value is not None:
                ws[a1(*slot.achieved)] = value
        block = lay.reviews["interim"]
        late = [s for s in lay.indicators
                if s.indicator.parsed_target(plan.year).kind is TargetKind.DEADLINE]
        if late and rng.random() < 0.4:
            ws[a1(block.causes.row, block.causes.col)] = "Carenza di personale nel primo semestre."
            ws[a1(block.actions_planned.row, block.actions_planned.col)] = "Riorganizzazione dei carichi di lavoro."
        for row, person in zip(lay.staff_rows, team):
            ws[a1(row, 0)] = person
            ws[a1(row, 2)] = rng.choice(CATEGORIES)
            ws[a1(row, 3)] = round(1 / len(objectives), 2)
    wb.save(out)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
    plan = load_plan(ROOT / "schede" / "caluso-2023.yaml").require()
    print(f"1. Genero le cartelle in {out}/")
    generate(plan, out, overwrite=True)
    print("2. I settori compilano e restituiscono (simulato)")
    returns = out / "ritorni"
    returns.mkdir(parents=True, exist_ok=True)
    rng = random.Random(2023)
    for book in planned_workbooks(plan, annex=False):
        if any(o.indicators for o in book.objectives):
            fill(out / book.filename, plan, book, rng, returns / book.filename.replace("intermedia", "compilata"))
    print("3. Il Nucleo di valutazione valuta direttamente le schede del Segretario")
    assessments = [Override(sector=o.sector, objective=o.key, score=rng.choice([90.0, 95.0, 100.0]),
                            note="valutazione del Nucleo")
                   for o in plan.objectives if not o.cross_cutting and plan.sector(o.sector).direct_assessment]
    print("4. Importo, valuto e consolido")
    done = consolidate(plan, [returns], out / "riepilogo.xlsx", overrides=assessments,
                       exports_dir=out / "esportazioni", annex_file=out / "allegato-risultati.xlsx")
    ev = done.evaluation
    print(f"   punteggio dell'ente: {number(ev.ente_score)} ({ev.ente_band})"
          if ev.ente_score is not None else "   punteggio dell'ente non valutabile")
    for sector in ev.sectors:
        score = number(sector.score) if sector.score is not None else "-"
        print(f"   {sector.sector:<6} {score:>5}  {sector.band}")
    print(f"   {len(done.result.files)} file letti, {len(done.findings)} segnalazioni (foglio Anomalie)")
    print(f"Aprire {out / 'riepilogo.xlsx'} per il riepilogo con i grafici.")


if __name__ == "__main__":
    main()
