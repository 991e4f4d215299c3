"""The live formulas of a sheet: Scost., each indicator's achievement and the two averages.

Each builder mirrors a function of `scoring.py` for the same target kind, so what the sector
head sees while filling in is what the library computes on import. Constants (ATTESO, the
deadline, the periods due at the review) are written into the formula, so a formula depends
only on its RAGGIUNTO cell.
"""

from __future__ import annotations

from datetime import date

from ..plan.model import ScoringPolicy
from ..plan.rules import due_count
from ..plan.targets import Target, TargetKind

EXCEL_EPOCH = date(1899, 12, 30)
YES_WORDS = ("Sì", "Si", "S", "X", "Yes", "Vero", "True", "Ok", "Raggiunto", "Fatto")  # as values.YES; case is ignored


def serial(day: date) -> int:
    """The spreadsheet's serial number of a date (1900 date system)."""
    return (day - EXCEL_EPOCH).days


def _num(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() else repr(float(value))


def deviation_formula(target: Target, ref: str, review_date: date) -> str | None:
    """Scost. for the RAGGIUNTO cell `ref`; None for Sì/No targets, which have none."""
    kind = target.kind
    if kind is TargetKind.YES_NO:
        return None
    if kind is TargetKind.DEADLINE:
        expected = serial(target.deadline)
    elif kind is TargetKind.ZERO:
        expected = 0
    elif kind is TargetKind.RECURRING:
        expected = due_count(target, review_date)
    else:
        expected = target.value
    difference = ref if expected == 0 else f"{ref}-{_num(expected)}"
    return f'=IF(ISNUMBER({ref}),{difference},"")'


def achievement_formula(target: Target, ref: str, review_date: date, policy: ScoringPolicy, *, final: bool) -> str:
    """Achievement 0-100 for the RAGGIUNTO cell `ref`, as `rules.counted_achievement`.

    Not a number (blank, or a number typed as text) counts 0 once the indicator is due, and ""
    (left out of the average) while it is not. Only ISNUMBER decides, the same in Excel and
    LibreOffice whatever the locale: a formula that parsed text would read `1.250` or
    `10/06/2024` differently from one installation to the next.
    """
    blank = "0" if final or target.is_due(review_date) else '""'
    kind = target.kind
    if kind is TargetKind.YES_NO:
        # TRIM and LOWER as the import's strip() and lower(); LibreOffice may compare text case-sensitively
        yes = ",".join([f'LOWER(TRIM({ref}))="{word.lower()}"' for word in YES_WORDS] + [f"{ref}=1"])
        return f'=IF(TRIM({ref})="",{blank},IF(OR({yes}),100,0))'
    late = policy.late_zero_days

    def clamp(expr: str) -> str:
        return f"MAX(0,MIN(100,{expr}))"

    if kind is TargetKind.ZERO:
        body = f"IF({ref}=0,100,0)"
    elif kind is TargetKind.DEADLINE:
        body = clamp(f"100-({ref}-{serial(target.deadline)})*100/{late}")
    elif kind is TargetKind.WITHIN_DAYS:
        body = clamp(f"100-({ref}-{_num(target.value)})*100/{late}")
    elif kind is TargetKind.RECURRING:
        due = due_count(target, review_date)
        if due == 0:
            return '=""'  # nothing due yet: no achievement, whatever is entered
        body = clamp(f"{ref}/{due}*100")
    elif target.lower_is_better:
        body = f"IF({ref}<={_num(target.value)},100,{_num(target.value)}/{ref}*100)"
    elif target.value == 0:
        body = "100"
    else:
        body = clamp(f"{ref}/{_num(target.value)}*100")
    return f"=IF(ISNUMBER({ref}),{body},{blank})"


def average_formula(achievement_refs: list[str]) -> str | None:
    """A review average over a group's achievement cells, as `rules.group_average`; None when the group is empty."""
    if not achievement_refs:
        return None
    values = ",".join(achievement_refs)
    return f'=IF(COUNT({values})=0,"",AVERAGE({values}))'
