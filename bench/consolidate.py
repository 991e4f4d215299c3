"""Benchmark of the back half of the cycle: import, score and write, for 1,000 objective sheets.

    python bench/consolidate.py

Uses the 100 returned workbooks of 10 sheets each that bench/import.py builds, then times in a
fresh process: `consolidate()` writing the summary workbook and the CSV/JSON exports, and the
same with the annex of results (1,000 filled sheets) as well. Goals (issue #4): under 5 s for
the summary and exports, under 15 s with the annex of results.
"""

from __future__ import annotations

import importlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
returns_bench = importlib.import_module("import")  # bench/import.py builds the returned files


def measure(folder: Path, annex: bool) -> dict:
    from schede_excel.report.consolidate import consolidate

    plan = returns_bench.bench_plan()
    out = Path(tempfile.mkdtemp(prefix="consolida-"))
    start = time.perf_counter()
    done = consolidate(plan, [folder], out / "riepilogo.xlsx", exports_dir=out / "esportazioni",
                       annex_file=out / "risultati.xlsx" if annex else None)
    seconds = time.perf_counter() - start
    return {"annex": annex, "seconds": seconds, "sheets": len(done.result.objectives),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "summary_kb": (out / "riepilogo.xlsx").stat().st_size // 1024}


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(measure(Path(sys.argv[2]), sys.argv[3] == "annex")))
        return
    with tempfile.TemporaryDirectory(prefix="ritorni-") as tmp:
        folder = Path(tmp)
        files = returns_bench.build_returns(returns_bench.bench_plan(), folder)
        print(f"{len(files)} file restituiti di {returns_bench.PER_SECTOR} schede in {folder}")
        results = []
        for kind in ("summary", "annex"):
            done = subprocess.run([sys.executable, __file__, "--one", str(folder), kind],
                                  capture_output=True, text=True, check=True)
            results.append(json.loads(done.stdout))
    print(f"{'misura':<34}{'schede':>8}{'secondi':>10}{'picco MB':>10}")
    for r in results:
        label = "import + punteggi + riepilogo + CSV/JSON" if not r["annex"] else "... + allegato dei risultati"
        print(f"{label:<34}{r['sheets']:>8}{r['seconds']:>10.2f}{r['peak_mb']:>10.0f}")
    summary, annex = results
    print(f"\nRiepilogo ed esportazioni per {summary['sheets']} schede: {summary['seconds']:.2f} s (obiettivo < 5 s); "
          f"con l'allegato dei risultati: {annex['seconds']:.2f} s (obiettivo < 15 s).")


if __name__ == "__main__":
    main()
