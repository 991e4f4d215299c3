"""The whole back half of the cycle: import the returns, score them, write the summary and exports.

`consolidate()` reads the returned files, evaluates the round, and writes atomically the
summary workbook, optionally the CSV/JSON exports and the annex of results (the familiar sheets
with what each sector returned and the computed fields, for the Relazione sulla performance).
An interrupted run leaves any previous output intact.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Callable, Iterable, Sequence

from ..scoring.evaluate import Evaluation, Override, evaluate
from ..files import atomic_write, atomic_writer
from ..findings import Finding, Result, SchedeError, Severity, finding
from ..sheet.generate import review_for
from ..returns.importer import ImportResult, import_returns
from ..sheet.layout import ROUND_LABELS
from ..plan.model import Plan
from ..returns.model import ObjectiveReturn
from .summary import export_rows, write_summary
from ..sheet.writer import Page, build_pages


class Consolidation(Result):
    """What a consolidation read, computed and wrote."""

    result: ImportResult
    """The returns read."""
    evaluation: Evaluation
    """The scores."""
    written: list[Path] = []
    """The files written: the summary, the exports, the annex of results."""

    @property
    def findings(self) -> list[Finding]:
        return self.result.findings + self.evaluation.findings


def round_of(records: list[ObjectiveReturn]) -> str:
    """The round most of the records belong to (interim when there are none)."""
    rounds = Counter(r.round for r in records)
    return rounds.most_common(1)[0][0] if rounds else "interim"


def results_annex(plan: Plan, records: Sequence[ObjectiveReturn], round_: str,
                  carried: Sequence[ObjectiveReturn] = ()) -> bytes:
    """Every sector's sheets, filled with what it returned and the computed fields, all locked.

    In the final round `carried` are the interim returns: their block and the RAGGIUNTO
    intermedio column are shown as on the final workbooks the sectors filled.
    """
    returned = {(r.sector, r.objective): r for r in records if r.round == round_}
    interim = {(r.sector, r.objective): r for r in (*carried, *records) if r.round == "interim"} if round_ == "final" else {}
    pages = [Page(objective, sector, values=returned.get((sector.code, objective.key)),
                  carried=interim.get((sector.code, objective.key)))
             for sector in plan.sectors for objective in plan.objectives_of(sector)]
    return build_pages(plan, pages, review=review_for(plan, round_), editable=False, instructions=False)


def usable_returns(plan: Plan, paths: Iterable[str | Path], *, round_: str | None = None,
                   progress: Callable[[Path], None] | None = None, processes: int | None = None) -> ImportResult:
    """The returns read, for a document made from them: `SchedeError` when a path named does not
    exist (CONS_001) or no file can be used (CONS_002, with each file's errors), so that nothing
    made of no data replaces a good document. `processes` as for `import_returns`."""
    result = import_returns(plan, paths, round_=round_, progress=progress, processes=processes)
    missing = [f for f in result.findings if f.code == "READ_001" and not any(x.path == f.file for x in result.files)]
    if missing:
        raise SchedeError([finding("CONS_001", file=f.file) for f in missing])
    if not any(f.used for f in result.files):
        raise SchedeError([finding("CONS_002", count=len(result.files))] +
                          [f for f in result.findings if f.severity is Severity.ERROR])
    return result


def consolidate(plan: Plan, paths: Iterable[str | Path], out_file: str | Path, *, round_: str | None = None,
                overrides: Sequence[Override] = (), exports_dir: str | Path | None = None,
                annex_file: str | Path | None = None, carried: Sequence[ObjectiveReturn] = (),
                progress: Callable[[Path], None] | None = None, processes: int | None = None) -> Consolidation:
    """Import, evaluate and write the summary (and the exports and the annex of results, if asked).

    `carried` are the interim returns, for the final round's annex of results (`results_annex`).
    Raises `SchedeError`, writing nothing, when a path named does not exist (CONS_001) or no
    returned file could be used (CONS_002): a summary of nothing would replace a good one.
    `processes` reads the files in that many processes, as `import_returns`.
    """
    result = usable_returns(plan, paths, round_=round_, progress=progress, processes=processes)
    round_ = round_ or round_of(result.objectives)
    other = Counter(r.round for r in result.objectives if r.round != round_)
    evaluation = evaluate(plan, result.objectives, round_, overrides)
    for other_round, count in other.items():
        evaluation.findings.append(finding("CONS_003", count=count, found=ROUND_LABELS[other_round],
                                           review=ROUND_LABELS[round_]))
    done = Consolidation(result=result, evaluation=evaluation)
    with atomic_writer(out_file) as handle:  # straight to the file: the workbook is never held as bytes
        write_summary(evaluation, result, handle)
    done.written.append(Path(out_file))
    if exports_dir is not None:
        for name, data in export_rows(evaluation, result, title=f"Riepilogo schede obiettivi {plan.entity} {plan.year}"):
            atomic_write(Path(exports_dir) / name, data)
            done.written.append(Path(exports_dir) / name)
    if annex_file is not None:
        atomic_write(annex_file, results_annex(plan, result.objectives, round_, carried))
        done.written.append(Path(annex_file))
    return done
