"""Indicator achievement, deviation (Scost.) and the two averages of a sheet, per SCORING.md.

These functions are the reference: the formulas the writer puts in the sheets
(`formulas.py`) compute the same numbers, and tests check both agree in LibreOffice.
`achieved` is what the sector head entered: a number (a fraction for percentages), a `date`
for deadlines, a bool for Sì/No, or None when blank.
"""

from __future__ import annotations

from datetime import date
from statistics import mean

from .model import ScoringPolicy
from .targets import Target, TargetKind


def due_count(target: Target, review_date: date) -> int:
    """Periods due at the review for a recurring target (0 for other kinds)."""
    return target.due_periods(review_date) if target.kind is TargetKind.RECURRING else 0


def deviation(target: Target, achieved, review_date: date) -> float | None:
    """Scost.: raggiunto - atteso; days late for deadlines (negative = early); None when blank."""
    if achieved is None or target.kind is TargetKind.YES_NO:
        return None
    if target.kind is TargetKind.DEADLINE:
        return float((achieved - target.deadline).days)
    if target.kind is TargetKind.ZERO:
        return float(achieved)
    if target.kind is TargetKind.RECURRING:
        return float(achieved) - due_count(target, review_date)
    return float(achieved) - target.value


def _late(days_late: float, policy: ScoringPolicy) -> float:
    return max(0.0, min(100.0, 100.0 - days_late * 100.0 / policy.late_zero_days))


def achievement(target: Target, achieved, review_date: date, policy: ScoringPolicy) -> float | None:
    """Achievement 0-100 of one indicator; None when RAGGIUNTO is blank or nothing is due yet."""
    if achieved is None:
        return None
    kind = target.kind
    if kind is TargetKind.YES_NO:
        return 100.0 if achieved else 0.0
    if kind is TargetKind.ZERO:
        return 100.0 if achieved == 0 else 0.0
    if kind is TargetKind.DEADLINE:
        return _late((achieved - target.deadline).days, policy)
    if kind is TargetKind.WITHIN_DAYS:
        return _late(achieved - target.value, policy)
    if kind is TargetKind.RECURRING:
        due = due_count(target, review_date)
        return None if due == 0 else max(0.0, min(100.0, achieved / due * 100.0))
    if target.lower_is_better:
        if achieved <= target.value:
            return 100.0
        return target.value / achieved * 100.0
    if target.value == 0:
        return 100.0
    return max(0.0, min(100.0, achieved / target.value * 100.0))


def counted_achievement(target: Target, achieved, review_date: date, policy: ScoringPolicy, *, final: bool) -> float | None:
    """What one indicator brings to its review average: the one rule the sheet's formulas and the scoring share.

    None when it is left out: a recurring target with nothing due yet (entered or not), or a
    blank indicator not yet due at the intermediate review (a later deadline). A blank on an
    indicator that is due counts 0 in both reviews, so leaving a value out never raises an
    average. A RAGGIUNTO typed as text in a number or date cell reaches here as blank (the
    sheet's formulas read numbers only, and the import follows them).
    """
    if target.kind is TargetKind.RECURRING and not target.is_due(review_date):
        return None
    value = achievement(target, achieved, review_date, policy)
    if value is None and (final or target.is_due(review_date)):
        return 0.0
    return value


def sheet_achievement(target, achieved, review_date, policy, *, final: bool) -> float | None:
    """The achievement as the sheet's hidden column shows it: `counted_achievement`."""
    return counted_achievement(target, achieved, review_date, policy, final=final)


def group_average(values) -> float | None:
    """A review average over what the indicators of a group bring; None when none brings anything."""
    values = [v for v in values if v is not None]
    return mean(values) if values else None


def sheet_average(entries, review_date: date, policy: ScoringPolicy, *, final: bool) -> float | None:
    """A review average as the sheet computes it from (target, achieved) pairs.

    None (a blank cell) when the group has no indicator or none of them counts yet (nothing
    due); otherwise the mean of `counted_achievement`, blanks on due indicators counting 0.
    """
    return group_average(counted_achievement(t, a, review_date, policy, final=final) for t, a in entries)
