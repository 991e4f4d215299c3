"""Which workbooks a plan needs, and writing them: one per sector, the segretario's, the annex.

`planned_workbooks()` decides (no I/O); `generate()` builds each with the writer and writes it
atomically, refusing to replace a file whose content differs unless `overwrite=True`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from ..files import atomic_write, safe_filename
from ..findings import Finding, Result, SchedeError, finding
from .layout import ROUND_LABELS, ROUNDS
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
             progress: Callable[[WorkbookPlan], None] | None = None) -> list[Written]:
    """Write the plan's workbooks into `out_dir`.

    `carried` are the interim returns (from the importer): on final-round workbooks each
    sector's interim values, averages and texts are shown, locked, beside the final inputs.
    A file already there with different content is not replaced unless `overwrite`: it may be
    a workbook someone filled in. Raises `SchedeError` (GEN_001) listing those files, before
    writing anything.
    """
    out_dir = Path(out_dir)
    review = review_for(plan, round_)
    books = planned_workbooks(plan, round_, annex=annex)
    interim = {(r.sector, r.objective): r for r in carried if r.round == "interim"}
    results, pending = [], []
    for book in books:
        pages = [Page(o, book.sector, carried=interim.get((book.sector.code, o.key)) if book.sector else None)
                 for o in book.objectives]
        data = build_pages(plan, pages, review=review, sector=book.sector, password=password)
        path = out_dir / book.filename
        if path.exists():
            status = "invariato" if path.read_bytes() == data else "aggiornato"
        else:
            status = "creato"
        pending.append((path, data, status, book))
        if progress:
            progress(book)
    conflicts = [path for path, _, status, _ in pending if status == "aggiornato"]
    if conflicts and not overwrite:
        raise SchedeError([finding("GEN_001", file=str(path)) for path in conflicts])
    for path, data, status, book in pending:
        if status != "invariato":
            atomic_write(path, data)
        results.append(Written(path=path, status=status, sheets=len(book.objectives)))
    return results
