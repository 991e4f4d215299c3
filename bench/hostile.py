"""Benchmark of the bombs of issue 14: each refused fast and in bounded memory, a long text cell read.

    python bench/hostile.py

Builds, with the pieces of tests/hostile.py, a good return and from it:

- a 95 MB xl/sharedStrings.xml of distinct short strings in a file of well under 1 MB (ratio about 100:1,
  below any ratio limit: the old reader accepted it, 23.8 s and 2.34 GB);
- a zip of 300,000 members (the old reader took 3.7 s to list them);
- a sheet part of 2 GB of zeros, and one whose central directory declares 30 KB for it;
- an .ods whose one row holds 2 million distinct cells (the whole row was built in memory: 780 MB);
- a 20,000-level deep hidden metadata JSON;
- a plan file that is a YAML alias bomb (1 KB expanding to 10^9 values) and one nested 20,000 deep;
- and, the other way round, a legitimate return with a 10 MB text cell, which must be read.

Each case runs `read_return` (or `parse_plan`) in a fresh process, so the figures are its own:
wall time, the growth of the process's peak resident memory while reading (libxml2's included;
on Linux the high-water mark is reset just before the read, so a peak reached while importing
or setting up cannot hide a read's growth below it), and that peak itself (the file's bytes and
the Python modules count in it). Goals:
each bomb refused in under 1 s and under 200 MB; the 10 MB cell read.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

MB = 2**20

_MEASURE = r"""
import json, resource, sys, time
sys.path.insert(0, {src!r}); sys.path.insert(0, {root!r})
from schede_excel.plan.parse import parse_plan
from schede_excel.returns.importer import read_return
from tests.hostile import corpus_plan
kind, path = sys.argv[1], sys.argv[2]
plan = corpus_plan()
data = open(path, "rb").read()
try:  # Linux: reset the high-water mark, so what the imports and the set-up took does not hide the read's growth
    with open("/proc/self/clear_refs", "w") as marks:
        marks.write("5")
except OSError:
    pass
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
if kind == "plan":
    result = parse_plan(data.decode("utf-8"), path)
    elapsed = time.perf_counter() - start
    codes = sorted({{f.code for f in result.findings}})
    read = result.plan is not None
else:
    result = read_return(plan, data, path)
    elapsed = time.perf_counter() - start
    codes = sorted({{f.code for f in result.findings}})
    read = result.file.readable
    texts = [len(r.causes) for o in result.objectives for r in o.reviews]
    if max(texts, default=0) > 100_000:
        codes.append(f"testo letto di {{max(texts):,}} caratteri".replace(",", "."))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
grown = peak - before / 1024
print(json.dumps({{"s": elapsed, "mb": grown, "peak": peak, "codes": codes, "read": read}}))
"""


def measure(kind: str, path: Path) -> dict:
    script = _MEASURE.format(src=str(ROOT / "src"), root=str(ROOT))
    done = subprocess.run([sys.executable, "-c", script, kind, str(path)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def build(folder: Path) -> list[tuple[str, str, Path]]:
    from tests import hostile
    from tests.plans import as_yaml, small_plan_data

    plan = hostile.corpus_plan()
    books = hostile.generated(plan, folder / "gen")
    good, _ = hostile.fill(plan, books["S01"], "S01")
    sheet = list(hostile.sheet_parts(good).values())[1]
    cases = []

    def put(label, kind, name, data):
        path = folder / name
        path.write_bytes(data)
        cases.append((label, kind, path))

    put("sharedStrings di 95 MB (rapporto ~100:1)", "return", "stringhe.xlsx", hostile.shared_strings_bomb(good, 95))
    put("300.000 parti nello zip", "return", "membri.xlsx", hostile.many_members(300_000))
    put("foglio di 2 GB di zeri", "return", "bomba.xlsx", hostile.zip_bomb(good, sheet, 2 * 2**30))
    put("2 GB dichiarati 30 KB", "return", "bugiarda.xlsx", hostile.zip_bomb(good, sheet, 2 * 2**30, declared=30_000))
    put("riga .ods di 2 milioni di celle", "return", "riga-larga.ods", hostile.wide_row_ods(2_000_000))
    put("metadati JSON profondi 20.000 livelli", "return", "profondi.xlsx", hostile.with_deep_metadata(good, 20_000))
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]" for k in range(1, 9)]
    put("piano: bomba di alias YAML (1 KB)", "plan", "bomba.yaml", ("\n".join(lines) + "\nente: *a8\n").encode())
    put("piano: YAML annidato 20.000 livelli", "plan", "profondo.yaml", ("ente: " + "[" * 20_000 + "]" * 20_000).encode())
    put("piano valido (confronto)", "plan", "piano.yaml", as_yaml(small_plan_data()).encode())

    # The other way round: a real 10 MB text in a review cell.
    objective = plan.objectives_of(plan.sector("S01"))[0]
    part = hostile.sheet_parts(good)[hostile.sheet_names(plan.objectives_of(plan.sector("S01")))[0]]
    where = hostile.sheet_layout(objective, staff_rows=plan.staff_rows).reviews["interim"].causes
    text = "Ritardo del fornitore. " * (10 * MB // 23)
    strings = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{hostile.NS_MAIN}" count="1" uniqueCount="1">'
               f"<si><t>{text}</t></si></sst>").encode()
    xml = hostile.set_cells(hostile.parts(good)[part], {hostile.a1(where.row, where.col): ("raw", "s", "<v>0</v>")})
    put("testo legittimo di 10 MB in una cella", "return", "testo-lungo.xlsx",
        hostile.rewrite_zip(good, {part: xml, "xl/sharedStrings.xml": strings}))
    return cases


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = build(folder)
        print(f"{'caso':<42} {'file':>9} {'tempo':>8} {'+memoria':>9} {'picco':>8}  esito")
        for label, kind, path in cases:
            result = measure(kind, path)
            size = path.stat().st_size
            outcome = ("letto" if result["read"] else "rifiutato") + ": " + ", ".join(result["codes"])
            print(f"{label:<42} {size / 1024:>7.0f}KB {result['s']:>7.3f}s {result['mb']:>7.1f}MB "
                  f"{result['peak']:>6.0f}MB  {outcome}")


if __name__ == "__main__":
    main()
