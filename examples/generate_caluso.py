"""Generate the Caluso 2023 workbooks: one per sector, the segretario's, and the whole annex.

Shows: `planned_workbooks` says which files a plan needs (each sector gets its own objectives
plus the three cross-cutting TUTTI ones); `build_workbook` returns the bytes of one workbook,
without touching the disk, for a program that wants to send or store it itself.

    python examples/generate_caluso.py [out-folder]
"""

import sys
import tempfile
from pathlib import Path

from schede_excel import build_workbook, load_plan, planned_workbooks, review_for

plan = load_plan(Path(__file__).parent.parent / "schede" / "caluso-2023.yaml").require()
out = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="caluso-"))
out.mkdir(parents=True, exist_ok=True)
review = review_for(plan, "interim")
for book in planned_workbooks(plan, "interim"):
    data = build_workbook(plan, list(book.objectives), sector=book.sector, review=review)
    (out / book.filename).write_bytes(data)
    who = book.sector.name if book.sector else "allegato completo"
    print(f"{book.filename}: {len(book.objectives)} schede ({who}), {len(data) // 1024} KB")
