"""The numbers every deliverable starts from: the returns of a round read and scored once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from ..findings import Result
from ..plan.model import Plan
from ..report.consolidate import usable_returns
from ..returns.importer import ImportResult, import_returns
from ..scoring.evaluate import Evaluation, Override, evaluate


class RoundResults(Result):
    """A round's returns and scores, with the interim ones when the final round is reported."""

    plan: Plan
    """The plan."""
    result: ImportResult
    """The returns of the round."""
    evaluation: Evaluation
    """The scores of the round, the evaluator's overrides applied."""
    interim: Evaluation | None = None
    """The interim round's scores, for the comparisons (without the final round's overrides); None when not given."""


def round_results(plan: Plan, paths: Iterable[str | Path], *, round_: str = "final",
                  interim_paths: Iterable[str | Path] = (), overrides: Sequence[Override] = (),
                  processes: int | None = None) -> RoundResults:
    """Import and score the returns of `round_` (and the interim ones, when given); `SchedeError` as `usable_returns`.

    `processes` reads the files in that many processes, as `import_returns`.
    """
    result = usable_returns(plan, paths, round_=round_, processes=processes)
    evaluation = evaluate(plan, result.objectives, round_, overrides)
    interim = None
    interim_paths = list(interim_paths)
    if interim_paths:
        earlier = import_returns(plan, interim_paths, round_="interim", processes=processes)
        interim = evaluate(plan, earlier.objectives, "interim")  # the evaluator's overrides are the final round's
    return RoundResults(plan=plan, result=result, evaluation=evaluation, interim=interim)
