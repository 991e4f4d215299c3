"""Benchmark of `schede generate`: the whole command and its in-process part, against XlsxWriter writing the same cells.

    python bench/generate.py [--sizes 100,1000,5000] [--quick] [--ripetizioni 3] [--cartella DIR]

For each size (objective sheets, in sectors of 10: one workbook a sector, no annex since it
repeats the same sheets) it prints:

- whole process, in paired rounds (after a warm-up round): `schede generate PIANO -o DIR
  --senza-allegato` with one process and, if the CLI has `--processi`, with one per processor
  («n/d» while it has not); against the floor's whole process, a Python that imports XlsxWriter
  and writes the same cells (bench/floors.py). Median, min and max wall seconds, peak memory,
  and the median of the round-by-round ratios;
- in-process part, each in a fresh process, median of the repeats: `generate()` on the plan
  already loaded, and the floor writing its cells (the cells already in memory);
- the cells: every <c> element of every sheet of the project's workbooks, read back from the
  files the command wrote, and the same count read back from the floor's files. They must match.

Targets of issue 15: generate at most 2x the floor whole process included, 1.5x in-process.
"""

from __future__ import annotations

import shutil
import sys
from argparse import SUPPRESS
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import timing  # noqa: E402
from corpus import corpus  # noqa: E402
from report import Table, italian, options, sizes_of  # noqa: E402

FLOORS = str(BENCH / "floors.py")


def measure_project(plan_file: str, out: str, times: int, processes: int) -> dict:
    """In a fresh process: `generate()` of the loaded plan, each repeat into an empty folder."""
    from schede_excel.plan.load import load_plan
    from schede_excel.sheet.generate import generate

    plan = load_plan(plan_file).require()
    pool = timing.pool_arguments(generate, processes)
    if pool is None:
        return timing.NOT_AVAILABLE
    kwargs = {"annex": False, "overwrite": True, **pool}

    def empty() -> Path:
        shutil.rmtree(out, ignore_errors=True)
        Path(out).mkdir(parents=True)
        return Path(out)

    return timing.repeat(lambda folder: generate(plan, folder, **kwargs), times, setup=empty)


def bench_size(sheets: int, work: Path, repeats: int, table: Table) -> None:
    import floors

    c = corpus(sheets, work, variants=())
    runs_dir = c.folder / "generate"
    folders = {"one": runs_dir / "uno", "many": runs_dir / "molti", "floor": runs_dir / "minimo"}

    def empty(label: str) -> None:
        shutil.rmtree(folders[label], ignore_errors=True)
        folders[label].mkdir(parents=True)

    n = timing.cores()
    has_pool = "--processi" in timing.options_of("generate")
    base = [*timing.schede(), "generate", str(c.plan_file), "--senza-allegato"]
    commands = {"one": base + ["-o", str(folders["one"])] + (["--processi", "1"] if has_pool else [])}
    if has_pool:
        commands["many"] = base + ["-o", str(folders["many"]), "--processi", str(n)]
    cells_file = runs_dir / "celle.marshal"
    commands["floor"] = [sys.executable, FLOORS, "xlsxwriter", str(cells_file), str(folders["floor"])]

    empty("one")
    timing.run_once(commands["one"])
    project_cells = floors.save_cells(sorted(folders["one"].glob("*.xlsx")), cells_file)
    empty("floor")
    timing.run_once(commands["floor"])
    floor_cells = floors.count_cells(sorted(folders["floor"].glob("*.xlsx")))

    runs = timing.rounds(commands, repeats, "floor", before=empty)
    inside = {
        "one": timing.fresh([__file__, "--misura", str(c.plan_file), str(runs_dir / "dentro"), str(repeats), "1"]),
        "many": timing.fresh([__file__, "--misura", str(c.plan_file), str(runs_dir / "dentro"), str(repeats), str(n)])
        if has_pool else None,
        "floor": timing.fresh([FLOORS, "--ripeti", str(repeats), "xlsxwriter", str(cells_file),
                               str(folders["floor"])]),
    }

    table.section(f"Generazione di {italian(sheets)} schede in {italian(c.files)} file (senza allegato); celle <c> "
                  f"scritte: progetto {italian(project_cells)}, minimo {italian(floor_cells)}"
                  + ("" if project_cells == floor_cells else "  ATTENZIONE: DIVERSE"))
    table.whole("schede generate, 1 processo", runs["one"], target=2.0)
    table.whole(f"schede generate, {n} processi", runs.get("many"), target=2.0)
    table.whole("minimo: XlsxWriter, stesse celle", runs["floor"])
    table.inside("generate(), 1 processo", inside["one"], inside["floor"], target=1.5)
    table.inside(f"generate(), {n} processi", inside["many"], inside["floor"], target=1.5)
    table.inside("minimo: XlsxWriter, stesse celle", inside["floor"], None)


def main() -> None:
    parser = options(__doc__)
    parser.add_argument("--misura", nargs=4, help=SUPPRESS)
    args = parser.parse_args()
    if args.misura:
        import json

        plan_file, out, times, processes = args.misura
        print(json.dumps(measure_project(plan_file, out, int(times), int(processes))))
        return
    sizes = sizes_of(args)
    table = Table("Generazione delle schede")
    for sheets in sizes:
        bench_size(sheets, args.cartella, args.ripetizioni, table)
    table.close()


if __name__ == "__main__":
    main()
