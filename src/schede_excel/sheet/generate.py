"""Which workbooks a plan needs, and writing them: one per sector, the segretario's, the annex.

`planned_workbooks()` decides (no I/O); `generate()` builds each with the writer and writes it
atomically, refusing to replace a file whose content differs unless `overwrite=True`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

from ..files import safe_filename, staging_file, write_synced
from ..findings import Finding, Result, SchedeError, finding
from .layout import ROUND_LABELS, ROUNDS
from ..parallel import pool_size, run_tasks
from ..plan.model import Objective, Plan, Sector
from .filled import FilledSheet
from .writer import Page, Review, build_pages


class WorkbookPlan(Result):
    """One workbook to write: its file name, the reporting sector (None: whole annex), its objectives."""

    filename: str
    """The file name, e.g. caluso-2023-intermedia-FIN.xlsx."""
    sector: Sector | None
    """The sector reporting on it; None for the whole annex."""
    objectives: tuple[Objective, ...]
    """Its objectives, one sheet each, in order."""


class Written(Result):
    """The outcome for one file: `status` is «creato», «aggiornato» or «invariato»."""

    path: Path
    """Where the workbook is."""
    status: str
    """creato, aggiornato or invariato (the same content was already there)."""
    sheets: int
    """How many objective sheets it holds."""


def review_for(plan: Plan, round_: str) -> Review:
    """The review (round and date) a workbook is generated for."""
    if round_ not in ROUNDS:
        raise ValueError(f"turno {round_!r} sconosciuto; ammessi: {', '.join(ROUNDS)}")
    return Review(round_, plan.interim_review if round_ == "interim" else plan.final_review)


def missing_interim(plan: Plan, carried: Iterable[FilledSheet]) -> list[Finding]:
    """The sectors whose interim return is missing, when generating the final round from it."""
    found = {r.sector for r in carried if r.round == "interim"}
    return [finding("GEN_002", sector=s.code) for s in plan.sectors
            if not s.direct_assessment and s.code not in found]


def planned_workbooks(plan: Plan, round_: str = "interim", *, annex: bool = True) -> list[WorkbookPlan]:
    """A workbook per sector (its own objectives plus the cross-cutting ones), then the whole annex."""
    stem = f"{plan.plan_id}-{ROUND_LABELS[round_]}"
    books = [WorkbookPlan(filename=f"{stem}-{safe_filename(s.code)}.xlsx", sector=s, objectives=tuple(plan.objectives_of(s)))
             for s in plan.sectors]
    if annex:
        books.append(WorkbookPlan(filename=f"{plan.plan_id}-allegato.xlsx", sector=None, objectives=tuple(plan.objectives)))
    return [book for book in books if book.objectives]


def generate(plan: Plan, out_dir: str | Path, *, round_: str = "interim", password: str | None = None,
             annex: bool = True, overwrite: bool = False, carried: Iterable[FilledSheet] = (),
             progress: Callable[[WorkbookPlan], None] | None = None, processes: int | None = None) -> list[Written]:
    """Write the plan's workbooks into `out_dir`.

    `carried` are the interim returns (from the importer): on final-round workbooks each
    sector's interim values, averages and texts are shown, locked, beside the final inputs.
    A file already there with different content is not replaced unless `overwrite`: it may be
    a workbook someone filled in. Raises `SchedeError` (GEN_001) listing those files, before
    any file is put in place.

    Each workbook goes to disk as soon as it is built, in a temporary file beside its final
    name; only when all are written are they moved into place (on an error or a conflict the
    temporary files are removed, and nothing has changed). `processes` builds the workbooks in
    that many processes (None: the cores available, for a plan big enough to be worth it); the
    files are the same, byte for byte, as in one process.
    """
    out_dir = Path(out_dir)
    review = review_for(plan, round_)
    books = planned_workbooks(plan, round_, annex=annex)
    interim = {(r.sector, r.objective): r for r in carried if r.round == "interim"}
    staged: list[Path] = []
    try:
        for book in books:
            staged.append(staging_file(out_dir / book.filename))
        workers = pool_size(processes, len(books), enough=sum(len(b.objectives) for b in books) >= POOL_SHEETS)
        statuses = run_tasks(_build, list(enumerate(staged)), (plan, books, review, password, interim, out_dir),
                             processes=workers, progress=progress and (lambda item: progress(books[item[0]])),
                             order=sorted(range(len(books)), key=lambda i: -len(books[i].objectives)))
        conflicts = [out_dir / book.filename for book, status in zip(books, statuses) if status == "aggiornato"]
        if conflicts and not overwrite:
            raise SchedeError([finding("GEN_001", file=str(path)) for path in conflicts])
        for book, tmp, status in zip(books, staged, statuses):
            if status == "invariato":
                tmp.unlink()
            else:
                os.replace(tmp, out_dir / book.filename)
    finally:
        for tmp in staged:
            tmp.unlink(missing_ok=True)
    return [Written(path=out_dir / book.filename, status=status, sheets=len(book.objectives))
            for book, status in zip(books, statuses)]


POOL_SHEETS = 200
"""Plans with fewer sheets than this are generated in one process: starting workers would cost more."""


def _build(context, item: tuple[int, Path]) -> str:
    """Build one workbook into its temporary file; its status against the file already at its name."""
    plan, books, review, password, interim, out_dir = context
    index, tmp = item
    book = books[index]
    pages = [Page(o, book.sector, carried=interim.get((book.sector.code, o.key)) if book.sector else None)
             for o in book.objectives]
    data = build_pages(plan, pages, review=review, sector=book.sector, password=password)
    write_synced(tmp, data)
    path = out_dir / book.filename
    if path.exists():
        return "invariato" if path.read_bytes() == data else "aggiornato"
    return "creato"
