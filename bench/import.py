"""Benchmark of importing returned workbooks: 1,000 objective sheets, ratio to an lxml floor and to openpyxl.

    python bench/import.py [--files 100] [--repeat 3] [--folder DIR] [--profile]

Generates, with the real generator, a synthetic plan of 100 sectors of 10 objectives each (the
objectives of bench/generate.py's `synthetic_plan`, spread over 100 sectors), so 100 sector
workbooks of 10 objective sheets; types a RAGGIUNTO into every indicator, a cause and a staff
row into every sheet, as a sector head would; then measures, each in a fresh process so that
its peak memory is its own:

- import: `import_returns` over the 100 files (and over the first 50, to see memory stay flat);
- floor: unzip and parse the same worksheets' XML with lxml, iterparse over every <c> element,
  no interpretation (the least any reader of these files must do);
- openpyxl: one plain `read_only=True` pass reading every cell value of the same files.

Each measure runs `--repeat` times in its process and keeps the fastest (the machine may be
shared); the peak memory is over all of them. Goals (issue #3): under 3 s for the 1,000 sheets,
within 2x the floor, at least 3x faster than openpyxl, memory flat in the number of files.
`--profile` prints where the import's time goes.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

SECTORS = 100
PER_SECTOR = 10


def bench_plan():
    """`synthetic_plan`'s 1,000 objectives spread over 100 sectors of 10."""
    from generate import synthetic_plan

    from schede_excel.plan.model import Plan, Sector

    base = synthetic_plan(SECTORS * PER_SECTOR)
    sectors = [Sector(code=f"S{i:03d}", name=f"SETTORE DI PROVA {i}", head=f"DR. PERSONA {i}",
                      email=f"s{i}@example.org") for i in range(SECTORS)]
    objectives = [o.model_copy(update={"sector": sectors[k % SECTORS].code, "number": k // SECTORS + 1})
                  for k, o in enumerate(base.objectives)]
    return Plan(entity=base.entity, year=base.year, interim_review=base.interim_review,
                final_review=base.final_review, sectors=sectors, objectives=objectives)


def _typed(entry) -> str:
    """The <c> content a sector head's entry leaves for an indicator of this kind."""
    from schede_excel.plan.targets import Entry

    if entry is Entry.PERCENT:
        return "<v>0.87</v>"
    if entry is Entry.DATE:
        return f"<v>{(date(2023, 10, 20) - date(1899, 12, 30)).days}</v>"
    if entry is Entry.YES_NO:
        return '<is><t>Sì</t></is>'
    return "<v>2</v>"


def _set(xml: bytes, ref: str, inner: str) -> bytes:
    kind = b' t="inlineStr"' if inner.startswith("<is>") else b""
    new, count = re.subn(rb'<c r="%s"( s="\d+")?/>' % ref.encode(), lambda m: b'<c r="%s"%s%s>%s</c>' % (
        ref.encode(), m.group(1) or b"", kind, inner.encode()), xml, count=1)
    if not count:
        raise KeyError(ref)
    return new


def build_returns(plan, folder: Path) -> list[Path]:
    """The 100 sector workbooks, generated and then filled in."""
    from schede_excel.sheet.generate import generate, planned_workbooks
    from schede_excel.sheet.layout import COL_NUMBER, STAFF_PARTICIPATION_COL, a1, sheet_layout
    from schede_excel.plan.model import IndicatorKind

    generate(plan, folder, annex=False, overwrite=True)
    paths = []
    for book in planned_workbooks(plan, annex=False):
        path = folder / book.filename
        with zipfile.ZipFile(path) as z:
            content = {info.filename: z.read(info) for info in z.infolist()}
        for k, objective in enumerate(book.objectives):
            part = f"xl/worksheets/sheet{k + 2}.xml"  # sheet1 is Istruzioni
            lay = sheet_layout(objective, staff_rows=plan.staff_rows)
            xml = content[part]
            for slot in lay.indicators:
                entry = slot.indicator.parsed_target(plan.year, cost=slot.kind is IndicatorKind.COST).entry
                xml = _set(xml, a1(*slot.achieved), _typed(entry))
            causes = lay.reviews["interim"].causes
            xml = _set(xml, a1(causes.row, causes.col), "<is><t>Ritardo nella fornitura del software gestionale.</t></is>")
            xml = _set(xml, a1(lay.staff_rows[0], COL_NUMBER), "<is><t>ROSSI MARIA</t></is>")
            xml = _set(xml, a1(lay.staff_rows[0], STAFF_PARTICIPATION_COL), "<v>0.5</v>")
            content[part] = xml
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in content.items():
                z.writestr(name, data)
        paths.append(path)
    return paths


# ---------------------------------------------------------------- the measures (one per process)

def measure_import(paths: list[Path]) -> dict:
    from schede_excel.returns.importer import import_returns

    plan = bench_plan()
    start = time.perf_counter()
    result = import_returns(plan, paths)
    seconds = time.perf_counter() - start
    assert not result.unreadable and len(result.objectives) == len(paths) * PER_SECTOR
    filled = sum(i.achieved is not None for r in result.objectives for i in r.indicators)
    return {"seconds": seconds, "sheets": len(result.objectives), "filled": filled,
            "findings": len(result.findings)}


def measure_floor(paths: list[Path]) -> dict:
    import io

    from lxml import etree

    tag = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}c"
    start = time.perf_counter()
    cells = sheets = 0
    for path in paths:
        with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/sheet"):
                    sheets += 1
                    for _, c in etree.iterparse(io.BytesIO(z.read(name)), events=("end",), tag=tag):
                        cells += 1
                        c.clear()
    return {"seconds": time.perf_counter() - start, "sheets": sheets, "cells": cells}


def measure_openpyxl(paths: list[Path]) -> dict:
    import openpyxl

    start = time.perf_counter()
    cells = sheets = 0
    for path in paths:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for ws in wb.worksheets:
            sheets += 1
            for row in ws.iter_rows(values_only=True):
                cells += len(row)
        wb.close()
    return {"seconds": time.perf_counter() - start, "sheets": sheets, "cells": cells}


MEASURES = {"import": measure_import, "floor": measure_floor, "openpyxl": measure_openpyxl}


def measure(kind: str, folder: Path, files: int, repeat: int) -> dict:
    paths = sorted(folder.glob("*.xlsx"))[:files]
    import_modules = {"import": "schede_excel.returns.importer", "floor": "lxml.etree", "openpyxl": "openpyxl"}
    __import__(import_modules[kind])  # imports are not what is measured
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = min((MEASURES[kind](paths) for _ in range(repeat)), key=lambda r: r["seconds"])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"kind": kind, "files": len(paths), **result, "peak_mb": peak / 1024, "growth_mb": (peak - base) / 1024}


def run(kind: str, folder: Path, files: int, repeat: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--one", kind, "--folder", str(folder), "--files", str(files),
                           "--repeat", str(repeat)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def profile(folder: Path, files: int) -> None:
    import cProfile
    import pstats

    from schede_excel.returns.importer import import_returns

    plan = bench_plan()
    paths = sorted(folder.glob("*.xlsx"))[:files]
    profiler = cProfile.Profile()
    profiler.enable()
    import_returns(plan, paths)
    profiler.disable()
    stats = pstats.Stats(profiler)
    print("\nDove va il tempo dell'importazione (cProfile, tempo cumulato):")
    stats.sort_stats("cumulative").print_stats(25)
    print("Tempo proprio delle funzioni:")
    stats.sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=SECTORS)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measure; the fastest counts")
    parser.add_argument("--folder", type=Path, help="reuse returns built before (default: a fresh temporary folder)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.folder, args.files, args.repeat)))
        return
    with tempfile.TemporaryDirectory(prefix="schede-bench-import-") as scratch:
        folder = args.folder or Path(scratch)
        if not any(folder.glob("*.xlsx")):
            start = time.perf_counter()
            build_returns(bench_plan(), folder)
            print(f"Preparate {len(list(folder.glob('*.xlsx')))} cartelle compilate in {time.perf_counter() - start:.1f} s "
                  f"({sum(p.stat().st_size for p in folder.glob('*.xlsx')) // 1024} KB)\n")
        half = max(1, args.files // 2)
        results = {
            "import": run("import", folder, args.files, args.repeat),
            "import-half": run("import", folder, half, args.repeat),
            "floor": run("floor", folder, args.files, args.repeat),
            "openpyxl": run("openpyxl", folder, args.files, args.repeat),
        }
        print(f"{'misura':<14}{'file':>6}{'fogli':>7}{'secondi':>9}{'s/1000 schede':>15}{'picco MB':>10}{'+MB':>7}")
        for kind, r in results.items():
            per_thousand = r["seconds"] * 1000 / (r["files"] * PER_SECTOR)
            print(f"{kind:<14}{r['files']:>6}{r['sheets']:>7}{r['seconds']:>9.2f}{per_thousand:>15.2f}"
                  f"{r['peak_mb']:>10.0f}{r['growth_mb']:>7.0f}")
        imp, half_run, floor, opx = results["import"], results["import-half"], results["floor"], results["openpyxl"]
        sheets = imp["files"] * PER_SECTOR
        print(f"\n{sheets} schede obiettivo importate in {imp['seconds']:.2f} s "
              f"({imp['seconds'] * 1000 / sheets:.2f} s ogni 1.000; obiettivo < 3 s), "
              f"{imp['filled']} valori RAGGIUNTO letti, {imp['findings']} segnalazioni.")
        print(f"Rapporto con il minimo lxml: {imp['seconds'] / floor['seconds']:.2f} (obiettivo <= 2); "
              f"openpyxl read_only impiega {opx['seconds'] / imp['seconds']:.2f} volte tanto (obiettivo >= 3).")
        print(f"Memoria: picco {half_run['peak_mb']:.0f} MB con {half_run['files']} file, {imp['peak_mb']:.0f} MB con "
              f"{imp['files']} file (crescita {half_run['growth_mb']:.0f} -> {imp['growth_mb']:.0f} MB; "
              "obiettivo: piatta).")
        if args.profile:
            profile(folder, args.files)


if __name__ == "__main__":
    main()
