"""Benchmark of `schede consolidate`: import, scores and the summary workbook, whole process and in-process, with peak memory.

    python bench/consolidate.py [--sizes 100,1000,5000] [--quick] [--ripetizioni 3] [--cartella DIR]

For each size it reads the .xlsx returns of bench/corpus.py (all sheets filled in) and prints:

- whole process, in paired rounds (after a warm-up round): `schede consolidate PIANO RITORNI -o
  riepilogo.xlsx` with one process and, if the CLI has `--processi`, one per processor («n/d»
  while it has not); against the floor's whole process: lxml parsing the returns as in
  bench/import.py, then XlsxWriter writing every cell of the summary the command wrote, read
  back from it (as in bench/generate.py; no charts, formats or anything else). Median, min and max
  wall seconds, peak memory (the issue's target is on this one), the round-by-round ratio;
- in-process part, each in a fresh process: `consolidate()` with the plan already loaded, the floor;
- the cells of the summary, and the size of its file.

Target of issue 15: consolidate at 5,000 sheets in under 300 MB.
"""

from __future__ import annotations

import sys
from argparse import SUPPRESS
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import timing  # noqa: E402
from corpus import corpus  # noqa: E402
from report import Table, italian, options, sizes_of  # noqa: E402

FLOORS = str(BENCH / "floors.py")
PEAK_TARGET_MB = 300


def measure_project(plan_file: str, folder: str, out: str, times: int, processes: int) -> dict:
    """In a fresh process: `consolidate()` of the folder with the plan already loaded."""
    from schede_excel.plan.load import load_plan
    from schede_excel.report.consolidate import consolidate

    plan = load_plan(plan_file).require()
    pool = timing.pool_arguments(consolidate, processes)
    if pool is None:
        return timing.NOT_AVAILABLE
    return timing.repeat(lambda: consolidate(plan, [folder], out, **pool), times)


def bench_size(sheets: int, work: Path, repeats: int, table: Table) -> None:
    import floors

    c = corpus(sheets, work, variants=("xlsx",))
    folder = c.returns["xlsx"]
    out = c.folder / "consolidate"
    (out / "minimo").mkdir(parents=True, exist_ok=True)
    n = timing.cores()
    has_pool = "--processi" in timing.options_of("consolidate")
    base = [*timing.schede(), "consolidate", str(c.plan_file), str(folder)]
    commands = {"one": base + ["-o", str(out / "uno.xlsx")] + (["--processi", "1"] if has_pool else [])}
    if has_pool:
        commands["many"] = base + ["-o", str(out / "molti.xlsx"), "--processi", str(n)]
    timing.run_once(commands["one"])
    cells_file = out / "celle.marshal"
    summary = out / "uno.xlsx"
    project_cells = floors.save_cells([summary], cells_file)
    commands["floor"] = [sys.executable, FLOORS, "consolidate", str(cells_file), str(out / "minimo"), str(folder)]
    runs = timing.rounds(commands, repeats, "floor")
    floor_cells = floors.count_cells([out / "minimo" / summary.name])

    def project(processes: int) -> dict:
        return timing.fresh([__file__, "--misura", str(c.plan_file), str(folder), str(out / "dentro.xlsx"),
                             str(repeats), str(processes)])

    inside = {"one": project(1), "many": project(n) if has_pool else None,
              "floor": timing.fresh([FLOORS, "--ripeti", str(repeats), "consolidate", str(cells_file),
                                     str(out / "minimo"), str(folder)])}
    table.section(f"Consolidamento di {italian(sheets)} schede in {italian(c.files)} file .xlsx; riepilogo di "
                  f"{italian(summary.stat().st_size // 1024)} KB, celle <c>: progetto {italian(project_cells)}, "
                  f"minimo {italian(floor_cells)}")
    peak = PEAK_TARGET_MB if sheets >= 5000 else None
    table.whole("schede consolidate, 1 processo", runs["one"], peak_target=peak)
    table.whole(f"schede consolidate, {n} processi", runs.get("many"), peak_target=peak)
    table.whole("minimo: lxml dei ritorni + XlsxWriter", runs["floor"])
    table.inside("consolidate(), 1 processo", inside["one"], inside["floor"])
    table.inside(f"consolidate(), {n} processi", inside["many"], inside["floor"])
    table.inside("minimo: lxml dei ritorni + XlsxWriter", inside["floor"], None)


def main() -> None:
    parser = options(__doc__)
    parser.add_argument("--misura", nargs=5, help=SUPPRESS)
    args = parser.parse_args()
    if args.misura:
        import json

        plan_file, folder, out, times, processes = args.misura
        print(json.dumps(measure_project(plan_file, folder, out, int(times), int(processes))))
        return
    sizes = sizes_of(args)
    table = Table("Consolidamento: importazione, punteggi e riepilogo")
    for sheets in sizes:
        bench_size(sheets, args.cartella, args.ripetizioni, table)
    table.close()


if __name__ == "__main__":
    main()
