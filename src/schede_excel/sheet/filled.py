"""What a filled-in sheet holds, as far as the writer shows it: the interim values carried onto a
final-round sheet, or the values of the annex of results.

These are protocols, not classes: the records the import produces (`returns.model`) have these
fields, so the writer takes them as they are without this step importing a later one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from ..plan.model import IndicatorKind


class FilledIndicator(Protocol):
    """RAGGIUNTO of one indicator."""

    @property
    def kind(self) -> IndicatorKind: ...
    @property
    def index(self) -> int: ...
    @property
    def achieved(self) -> float | date | bool | None: ...


class FilledReview(Protocol):
    """The texts of one review block."""

    @property
    def causes(self) -> str: ...
    @property
    def effects(self) -> str: ...
    @property
    def actions_taken(self) -> str: ...
    @property
    def actions_planned(self) -> str: ...


class FilledStaff(Protocol):
    """One row of PERSONALE COINVOLTO NELL'OBIETTIVO."""

    @property
    def name(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def participation(self) -> float | None: ...


class FilledSheet(Protocol):
    """One objective's sheet as a sector filled it."""

    @property
    def sector(self) -> str: ...
    @property
    def objective(self) -> str: ...
    @property
    def round(self) -> str: ...
    @property
    def indicators(self) -> Sequence[FilledIndicator]: ...
    @property
    def staff(self) -> Sequence[FilledStaff]: ...
    def review(self, round_: str) -> FilledReview | None: ...
