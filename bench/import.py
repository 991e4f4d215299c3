"""Benchmark of `schede import`: the whole command and its in-process part, against lxml parsing the same files.

    python bench/import.py [--sizes 100,1000,5000] [--quick] [--varianti xlsx,ods,lo-xlsx]
                           [--ripetizioni 3] [--cartella DIR]

For each size (objective sheets, 10 to a sector file) and each kind of return (bench/corpus.py:
.xlsx filled as Excel saves them; the same opened and saved by LibreOffice, as .ods and as .xlsx)
it prints:

- whole process, in paired rounds (after a warm-up round): `schede import PIANO RITORNI -o
  risultati.json` with one process and, if the CLI has `--processi`, one per processor («n/d»
  while it has not); the floor's whole process, a Python that imports lxml and parses every
  worksheet part and the shared strings (content.xml for .ods) with `etree.fromstring`; and as
  yardsticks, python-calamine reading every cell value and openpyxl `read_only` (.xlsx only).
  Median, min and max wall seconds, peak memory, the median of the round-by-round ratios to lxml;
- in-process part, each in a fresh process, median of the repeats: `import_returns()` on the plan
  already loaded, and the same three readers;
- what the import found: sheets imported and RAGGIUNTO values read, the same for every kind.

Targets of issue 15: import at most 3x the lxml floor whole process included, 1.5x in-process.
"""

from __future__ import annotations

import sys
from argparse import SUPPRESS
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import timing  # noqa: E402
from corpus import VARIANTS, corpus  # noqa: E402
from report import Table, italian, options, sizes_of  # noqa: E402

FLOORS = str(BENCH / "floors.py")
LABELS = {"xlsx": ".xlsx compilati, testi nella tabella condivisa (come li salva Excel)", "ods": ".ods salvati da LibreOffice",
          "lo-xlsx": ".xlsx salvati da LibreOffice"}


def measure_project(plan_file: str, folder: str, times: int, processes: int) -> dict:
    """In a fresh process: `import_returns()` of the folder with the plan already loaded."""
    from schede_excel.plan.load import load_plan
    from schede_excel.returns.importer import import_returns

    plan = load_plan(plan_file).require()
    pool = timing.pool_arguments(import_returns, processes)
    if pool is None:
        return timing.NOT_AVAILABLE
    result = None

    def work():
        nonlocal result
        result = import_returns(plan, [folder], **pool)

    measured = timing.repeat(work, times)
    filled = sum(i.achieved is not None for r in result.objectives for i in r.indicators)
    return {**measured, "sheets": len(result.objectives), "filled": filled, "unreadable": len(result.unreadable)}


def bench_variant(c, variant: str, repeats: int, table: Table) -> None:
    folder = c.returns[variant]
    n = timing.cores()
    has_pool = "--processi" in timing.options_of("import")
    out = c.folder / "import"
    out.mkdir(exist_ok=True)
    base = [*timing.schede(), "import", str(c.plan_file), str(folder)]
    commands = {"one": base + ["-o", str(out / "uno.json")] + (["--processi", "1"] if has_pool else [])}
    if has_pool:
        commands["many"] = base + ["-o", str(out / "molti.json"), "--processi", str(n)]
    readers = ["lxml", "calamine"] + (["openpyxl"] if variant != "ods" else [])
    for reader in readers:
        commands[reader] = [sys.executable, FLOORS, reader, str(folder)]
    runs = timing.rounds(commands, repeats, "lxml")

    def project(processes: int) -> dict:
        return timing.fresh([__file__, "--misura", str(c.plan_file), str(folder), str(repeats), str(processes)])

    inside = {"one": project(1), "many": project(n) if has_pool else None}
    for reader in readers:
        inside[reader] = timing.fresh([FLOORS, "--ripeti", str(repeats), reader, str(folder)])

    table.section(f"Importazione di {italian(c.sheets)} schede in {italian(c.files)} file: {LABELS[variant]}")
    table.whole("schede import, 1 processo", runs["one"], target=3.0)
    table.whole(f"schede import, {n} processi", runs.get("many"), target=3.0)
    table.whole("minimo: lxml fromstring di ogni foglio", runs["lxml"])
    table.whole("metro: python-calamine, ogni valore", runs["calamine"])
    if "openpyxl" in runs:
        table.whole("metro: openpyxl read_only, ogni valore", runs["openpyxl"])
    table.inside("import_returns(), 1 processo", inside["one"], inside["lxml"], target=1.5)
    table.inside(f"import_returns(), {n} processi", inside["many"], inside["lxml"], target=1.5)
    table.inside("minimo: lxml fromstring di ogni foglio", inside["lxml"], None)
    table.inside("metro: python-calamine, ogni valore", inside["calamine"], inside["lxml"])
    if "openpyxl" in inside:
        table.inside("metro: openpyxl read_only, ogni valore", inside["openpyxl"], inside["lxml"])
    one = inside["one"]
    table.note(f"importate {italian(one['sheets'])} schede, {italian(one['filled'])} valori RAGGIUNTO letti, "
               f"{one['unreadable']} file illeggibili; rapporti: sul minimo lxml")


def main() -> None:
    parser = options(__doc__)
    parser.add_argument("--varianti", default=",".join(VARIANTS),
                        help="tipi di file restituiti: xlsx, ods, lo-xlsx (ods e lo-xlsx richiedono LibreOffice)")
    parser.add_argument("--misura", nargs=4, help=SUPPRESS)
    args = parser.parse_args()
    if args.misura:
        import json

        plan_file, folder, times, processes = args.misura
        print(json.dumps(measure_project(plan_file, folder, int(times), int(processes))))
        return
    variants = [v.strip() for v in args.varianti.split(",") if v.strip()]
    if unknown := set(variants) - set(VARIANTS):
        raise SystemExit(f"Varianti sconosciute: {', '.join(sorted(unknown))} (note: {', '.join(VARIANTS)}).")
    sizes = sizes_of(args)
    table = Table("Importazione dei file restituiti")
    for sheets in sizes:
        c = corpus(sheets, args.cartella, variants=variants)
        for variant in variants:
            bench_variant(c, variant, args.ripetizioni, table)
    table.close()


if __name__ == "__main__":
    main()
