"""Benchmark of workbook generation: sheets per second, peak memory, ratio to an unformatted floor.

    python bench/generate.py [--objectives 1000]

Prints, for the Caluso plan and for a synthetic plan of N objectives in one workbook: the time,
sheets per second and peak memory of `build_workbook`, and the same for a floor that writes the
same cells' values and formulas with XlsxWriter and no formatting, merges, validations or names.
Goals (issue #2): 1,000 sheets in under 5 s (200 sheets/s), within 2x the floor, under 300 MB.
Each measurement runs in a fresh process so peak memory is its own.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def synthetic_plan(n: int):
    from schede_excel.plan.model import Indicator, Indicators, Objective, Phase, Plan, Sector

    sectors = [Sector(code=f"S{i:02d}", name=f"SETTORE DI PROVA {i}", head=f"DR. PERSONA {i}",
                      email=f"s{i}@example.org") for i in range(10)]
    text = ("L'obiettivo è assegnato al settore e prevede la revisione dei procedimenti con la loro "
            "reingegnerizzazione finalizzata alla semplificazione e alla compilazione on line. ") * 4
    objectives = []
    for k in range(n):
        objectives.append(Objective(
            sector=sectors[k % 10].code, number=k // 10 + 1, weight=1,
            title=f"OBIETTIVO DI PROVA NUMERO {k + 1} PER LA MISURA DELLE PRESTAZIONI", description=text,
            phases=[Phase(description=f"Fase {p + 1} dell'attuazione con descrizione di media lunghezza",
                          months=[p + 1, p + 2, p + 3]) for p in range(4)],
            indicators=Indicators(
                quantita=[Indicator(description="% procedimenti portati on line", target="95%"),
                          Indicator(description="N. eventi formativi", target="3")],
                tempo=[Indicator(description="approvazione definitiva", target="31-ott"),
                       Indicator(description="report di monitoraggio", target="trimestrale")],
                costo=[Indicator(description="spesa per consulenze", target="1.000")],
                qualita=[Indicator(description="solleciti", target="tempestivi")],
            )))
    return Plan(entity="Benchmark", year=2023, interim_review=date(2023, 6, 30), final_review=date(2023, 12, 31),
                sectors=sectors, objectives=objectives)


def floor_workbook(plan, objectives) -> bytes:
    """The same cells with XlsxWriter and nothing else: the cost of the cells themselves."""
    import xlsxwriter

    from schede_excel.sheet.formulas import achievement_formula, deviation_formula
    from schede_excel.sheet.layout import a1, sheet_layout, sheet_names

    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    review_date = plan.interim_review
    for name, objective in zip(sheet_names(objectives), objectives):
        ws = wb.add_worksheet(name)
        lay = sheet_layout(objective, staff_rows=plan.staff_rows)
        for where, text in ((lay.title, "Comune di X"), (lay.weight, objective.weight), (lay.objective, objective.title),
                            (lay.description, objective.description), (lay.sector, "SETTORE"), (lay.head, "HEAD")):
            ws.write(where.row, where.col, text)
        for slot in lay.phases:
            ws.write(slot.row, 0, slot.index)
            ws.write(slot.row, 1, slot.phase.description if slot.phase else "")
            for col in range(5, 17):
                ws.write(slot.row, col, "X")
        for slot in lay.indicators:
            target = slot.indicator.parsed_target(plan.year)
            ws.write(slot.row, 0, slot.indicator.description)
            ws.write(*slot.target, target.text)
            ref = a1(*slot.achieved)
            if dev := deviation_formula(target, ref, review_date):
                ws.write_formula(*slot.deviation, dev, None, "")
            ws.write_formula(*slot.achievement, achievement_formula(target, ref, review_date, plan.scoring, final=False), None, "")
        for r in range(lay.last_row + 1):
            for c in range(17):
                ws.write_blank(r, c, None)  # a formatted form writes every cell of its grid
    wb.close()
    return buffer.getvalue()


def measure(kind: str, objectives: int) -> dict:
    sys.path.insert(0, str(ROOT / "src"))
    from schede_excel.sheet.generate import planned_workbooks, review_for
    from schede_excel.plan.load import load_plan
    from schede_excel.sheet.writer import build_workbook

    if kind.startswith("caluso"):
        plan = load_plan(ROOT / "schede" / "caluso-2023.yaml").plan
        books = [list(b.objectives) for b in planned_workbooks(plan)]
        sectors = [b.sector for b in planned_workbooks(plan)]
    else:
        plan = synthetic_plan(objectives)
        books, sectors = [list(plan.objectives)], [None]
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    size = 0
    for objs, sector in zip(books, sectors):
        if kind.endswith("floor"):
            data = floor_workbook(plan, objs)
        else:
            data = build_workbook(plan, objs, sector=sector, review=review_for(plan, "interim"))
        size += len(data)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sheets = sum(len(b) for b in books)
    return {"kind": kind, "sheets": sheets, "seconds": seconds, "sheets_per_s": sheets / seconds,
            "peak_mb": peak / 1024, "growth_mb": (peak - base) / 1024, "bytes": size}


def run(kind: str, objectives: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--one", kind, "--objectives", str(objectives)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objectives", type=int, default=1000)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.objectives)))
        return
    results = {kind: run(kind, args.objectives) for kind in ("caluso", "caluso-floor", "synthetic", "synthetic-floor")}
    print(f"{'misura':<18}{'schede':>8}{'secondi':>10}{'schede/s':>10}{'picco MB':>10}{'+MB':>8}{'KB':>9}")
    for r in results.values():
        print(f"{r['kind']:<18}{r['sheets']:>8}{r['seconds']:>10.2f}{r['sheets_per_s']:>10.0f}"
              f"{r['peak_mb']:>10.0f}{r['growth_mb']:>8.0f}{r['bytes'] // 1024:>9}")
    synthetic, floor = results["synthetic"], results["synthetic-floor"]
    ratio = synthetic["seconds"] / floor["seconds"]
    print(f"\n{args.objectives} schede in una cartella: {synthetic['seconds']:.2f} s "
          f"({synthetic['sheets_per_s']:.0f} schede/s; obiettivo >= 200), "
          f"{ratio:.2f} volte il minimo senza formattazione (obiettivo <= 2), "
          f"picco {synthetic['peak_mb']:.0f} MB (obiettivo < 300).")


if __name__ == "__main__":
    main()
