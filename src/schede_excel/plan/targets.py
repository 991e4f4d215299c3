"""Typed ATTESO values: parse what the annex writes into a target that knows its kind.

The annex writes expected values as free text: `95%`, `4`, `31-gen`, `15/04/2023`, `giugno`,
`30gg`, `mensile`, `entro il 5 del mese`, `nessuna`, `entro i termini`. `parse_target` turns each
into a `Target` that knows its kind, whether higher or lower is better, what RAGGIUNTO must be
entered as, and keeps the text exactly as written, which is what the sheet shows.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import date
from enum import Enum


class TargetKind(str, Enum):
    """The meaning of an ATTESO value; the values are the names used in plan files."""

    PERCENT = "percentuale"
    NUMBER = "numero"
    DEADLINE = "scadenza"
    WITHIN_DAYS = "giorni"
    RECURRING = "periodico"
    ZERO = "nessuno"
    YES_NO = "sino"


class Entry(str, Enum):
    """What RAGGIUNTO is entered as, for a target kind."""

    PERCENT = "percentuale"
    NUMBER = "numero"
    DATE = "data"
    DAYS = "giorni"
    PERIODS = "periodi"
    COUNT = "conteggio"
    YES_NO = "sino"


ENTRY_OF_KIND = {
    TargetKind.PERCENT: Entry.PERCENT,
    TargetKind.NUMBER: Entry.NUMBER,
    TargetKind.DEADLINE: Entry.DATE,
    TargetKind.WITHIN_DAYS: Entry.DAYS,
    TargetKind.RECURRING: Entry.PERIODS,
    TargetKind.ZERO: Entry.COUNT,
    TargetKind.YES_NO: Entry.YES_NO,
}

MONTHS = {
    "gennaio": 1, "febbraio": 2, "marzo": 3, "aprile": 4, "maggio": 5, "giugno": 6,
    "luglio": 7, "agosto": 8, "settembre": 9, "ottobre": 10, "novembre": 11, "dicembre": 12,
}
MONTH_LETTERS = ("G", "F", "M", "A", "M", "G", "L", "A", "S", "O", "N", "D")
"""The initials of the months, as the cronoprogramma heads its columns."""

MONTH_ABBREVIATIONS = {
    "gen": 1, "feb": 2, "mar": 3, "apr": 4, "mag": 5, "giu": 6,
    "lug": 7, "ago": 8, "set": 9, "sett": 9, "ott": 10, "nov": 11, "dic": 12,
}
PERIODS = {
    "mensile": 1, "bimestrale": 2, "trimestrale": 3, "quadrimestrale": 4, "semestrale": 6,
    "annuale": 12,
}

ACCEPTED_FORMS = (
    "percentuale (95%), numero (4; 1.500,50), data (15/04/2023, 31/12), giorno e mese "
    "(31-gen, 31 dicembre), mese (giugno), giorni (30gg), periodico (mensile, trimestrale, "
    "entro il 5 del mese), nessuno/nessuna, sì/no (entro i termini, tempestivi, sì); "
    "per un testo diverso indicare «tipo: sino» nell'indicatore"
)

# Qualitative statements that the annex uses as ATTESO; RAGGIUNTO is then Sì or No.
_YES_NO = re.compile(
    r"^(s[iì]|entro i termini.*|nei termini.*|tempestiv[oaie]|rispettat[oaie]|conforme|"
    r"regolare|costante|permanente|\d+ giornate.*)$"
)
_PERCENT = re.compile(r"^(\d+(?:[.,]\d+)?)\s*%$")
_NUMBER = re.compile(r"^(?:€\s*)?(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?(?:\s*€)?$")
# 15/04/2023, 15-04-2023, 15.04.2023, 15/04; not 1.5, which reads as a number written the English way
_FULL_DATE = re.compile(r"^(\d{1,2})(?:[/-](\d{1,2})(?:[/-](\d{2}|\d{4}))?|\.(\d{1,2})\.(\d{2}|\d{4}))$")
_DAY_MONTH = re.compile(r"^(\d{1,2})[\s-]+([a-z]+)\.?(?:[\s-]+(\d{4}))?$")
_DAYS = re.compile(r"^(\d+)\s*(?:gg|giorni|gg\.)$")
_DAY_OF_MONTH = re.compile(r"^entro il (?:giorno )?(\d{1,2}) (?:del|di ogni) mese$")


class TargetError(ValueError):
    """ATTESO text that is not one of the accepted forms; the message says why, in Italian."""


@dataclass(frozen=True)
class Target:
    """An expected value (ATTESO), typed.

    `text` is the ATTESO exactly as written. Depending on `kind`:
    PERCENT and NUMBER use `value` (a fraction for percentages: 95% is 0.95); DEADLINE uses
    `deadline`; WITHIN_DAYS uses `value` as the number of days; RECURRING uses `period_months`
    (or `day_of_month` for "entro il N del mese", monthly) and `start`; ZERO and YES_NO use nothing.
    """

    text: str
    kind: TargetKind
    value: float | None = None
    deadline: date | None = None
    period_months: int | None = None
    day_of_month: int | None = None
    start: date | None = None
    lower_is_better: bool = False

    @property
    def entry(self) -> Entry:
        """What RAGGIUNTO must be entered as."""
        return ENTRY_OF_KIND[self.kind]

    def due_periods(self, review_date: date) -> int:
        """For RECURRING targets: how many reports or deadlines fall due from `start` to `review_date`."""
        if self.kind is not TargetKind.RECURRING or self.start is None:
            raise ValueError("due_periods vale solo per gli obiettivi periodici")
        months = self.period_months or 1
        count = 0
        year, month = self.start.year, self.start.month
        while True:
            if self.day_of_month is not None:
                due = date(year, month, min(self.day_of_month, calendar.monthrange(year, month)[1]))
                if due < self.start:
                    due = None
            else:
                end_month = month + months - 1
                end_year = year + (end_month - 1) // 12
                end_month = (end_month - 1) % 12 + 1
                due = date(end_year, end_month, calendar.monthrange(end_year, end_month)[1])
            if due is not None:
                if due > review_date:
                    return count
                count += 1
            month += months
            year += (month - 1) // 12
            month = (month - 1) % 12 + 1

    def is_due(self, review_date: date) -> bool:
        """False when nothing is due yet at the review: a later deadline, a recurring target not yet started."""
        if self.kind is TargetKind.DEADLINE:
            return self.deadline <= review_date
        if self.kind is TargetKind.RECURRING:
            return self.due_periods(review_date) > 0
        return True


def _number(integer: str, decimals: str | None) -> float:
    value = float(integer.replace(".", "") + ("." + decimals if decimals else ""))
    if not math.isfinite(value) or abs(value) > 1e15:
        raise TargetError("numero troppo grande")
    return value


def _date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        month_name = next((n for n, m in MONTHS.items() if m == month), str(month))
        raise TargetError(f"il {day} {month_name} {year} non esiste") from None


def _month(word: str) -> int | None:
    word = word.rstrip(".")
    return MONTHS.get(word) or MONTH_ABBREVIATIONS.get(word)


def parse_target(
    text: str,
    year: int,
    *,
    kind: TargetKind | None = None,
    start: date | None = None,
    lower_is_better: bool | None = None,
    cost: bool = False,
) -> Target:
    """Parse an ATTESO as written into a `Target`.

    `year` is the plan's year (for `31-gen`, `31/12`, `giugno`). `kind` forces a kind where the
    text alone is not enough (`tipo:` in the plan file); with `kind=YES_NO` any text is accepted.
    `start` is when a recurring target starts counting (default 1 January). Numeric targets of
    cost indicators (`cost=True`) are lower-is-better unless `lower_is_better` says otherwise.
    Raises `TargetError` with an Italian reason for a form it does not understand.
    """
    written = str(text).strip() if text is not None else ""
    if not written:
        raise TargetError("valore vuoto")
    s = re.sub(r"\s+", " ", written.lower())
    if s.startswith("entro ") and not _DAY_OF_MONTH.match(s) and not _YES_NO.match(s):
        s = s[len("entro "):].removeprefix("il ")
    start = start or date(year, 1, 1)

    def make(found: TargetKind, **fields) -> Target:
        if kind is not None and kind is not found and kind is not TargetKind.YES_NO:
            raise TargetError(f"il testo indica il tipo «{found.value}» ma l'indicatore dichiara «{kind.value}»")
        numeric = found in (TargetKind.PERCENT, TargetKind.NUMBER)
        lower = (cost if lower_is_better is None else lower_is_better) if numeric else found is TargetKind.ZERO
        return Target(text=written, kind=found, lower_is_better=lower, **fields)

    if kind is TargetKind.YES_NO:
        return Target(text=written, kind=TargetKind.YES_NO)
    if m := _PERCENT.match(s):
        return make(TargetKind.PERCENT, value=float(m.group(1).replace(",", ".")) / 100)
    if m := _NUMBER.match(s):
        return make(TargetKind.NUMBER, value=_number(m.group(1), m.group(2)))
    if m := _FULL_DATE.match(s):
        day, month, y = int(m.group(1)), int(m.group(2) or m.group(4)), m.group(3) or m.group(5)
        y = year if y is None else int(y) + (2000 if len(y) == 2 else 0)
        if not 1 <= month <= 12:
            raise TargetError(f"il mese {month} non esiste")
        return make(TargetKind.DEADLINE, deadline=_date(y, month, day))
    if (m := _DAY_MONTH.match(s)) and (month := _month(m.group(2))):
        y = int(m.group(3)) if m.group(3) else year
        return make(TargetKind.DEADLINE, deadline=_date(y, month, int(m.group(1))))
    if month := _month(s.removeprefix("fine ")):
        return make(TargetKind.DEADLINE, deadline=date(year, month, calendar.monthrange(year, month)[1]))
    if m := _DAYS.match(s):
        return make(TargetKind.WITHIN_DAYS, value=float(m.group(1)))
    if s in PERIODS:
        return make(TargetKind.RECURRING, period_months=PERIODS[s], start=start)
    if m := _DAY_OF_MONTH.match(s):
        day = int(m.group(1))
        if not 1 <= day <= 31:
            raise TargetError(f"il giorno {day} non esiste")
        return make(TargetKind.RECURRING, period_months=1, day_of_month=day, start=start)
    if s in ("nessuna", "nessuno", "zero"):
        return make(TargetKind.ZERO, value=0.0)
    if _YES_NO.match(s):
        return make(TargetKind.YES_NO)
    raise TargetError("forma non riconosciuta")
