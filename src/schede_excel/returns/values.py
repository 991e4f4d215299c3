"""What a sector head typed, turned into the value the indicator needs, or a clear refusal.

People type `95%`, `95`, `0,95`, `95,5 %`, `31/12`, `31-dic`, `sì`, `SI`, `x`, a stray space.
`read_value()` normalises what is unambiguous and says so (an info note), refuses what is not
(an error note with what was found and what was expected), and never guesses silently.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime

from ..spreadsheet.reader import RawCell, as_date
from ..plan.targets import MONTH_ABBREVIATIONS, MONTHS, Entry

EXPECTED = {
    Entry.PERCENT: "una percentuale (es. 95%)",
    Entry.NUMBER: "un numero",
    Entry.DATE: "una data (gg/mm/aaaa)",
    Entry.DAYS: "un numero di giorni",
    Entry.PERIODS: "un numero di scadenze rispettate",
    Entry.COUNT: "un numero di casi (0 se nessuno)",
    Entry.YES_NO: "Sì oppure No",
}
YES = {"sì", "si", "s", "x", "yes", "vero", "true", "ok", "raggiunto", "fatto"}
NO = {"no", "n", "falso", "false", "non raggiunto"}
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(?:\.\d{3})+|\d+)(?:[.,](\d+))?$")
_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")
_DAY_MONTH = re.compile(r"^(\d{1,2})[\s-]+([a-z]+)\.?(?:[\s-]+(\d{4}))?$")


@dataclass(frozen=True)
class Note:
    """How a value was read: `code` RET_010 (normalised), RET_011 (refused), RET_012 (formula)."""

    code: str
    found: str
    detail: str


def _shown(raw) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def parse_number(text: str) -> float | None:
    """Italian or plain number text: `4`, `4,5`, `1.000`, `1.000,50`, `0.95`."""
    s = text.strip().replace(" ", "")
    m = _NUMBER.match(s)
    if not m:
        return None
    integer, decimals = m.group(1), m.group(2)
    if "," in s:
        value = float(integer.replace(".", "") + "." + decimals)
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", s.lstrip("+-")):
        value = float(s.replace(".", ""))  # 1.000 is a thousand in Italian
    else:
        value = float(s)
    return value if math.isfinite(value) else None  # 400 nines are not a number a sheet can hold


def parse_date_text(text: str, year: int) -> date | None:
    """`31/12/2023`, `31/12`, `31-dic`, `31 dicembre 2023`; None if not a date; ValueError if impossible."""
    s = re.sub(r"\s+", " ", text.strip().lower())
    if m := _DATE.match(s):
        y = m.group(3)
        y = year if y is None else int(y) + (2000 if len(y) == 2 else 0)
        return date(y, int(m.group(2)), int(m.group(1)))
    if m := _DAY_MONTH.match(s):
        month = MONTHS.get(m.group(2)) or MONTH_ABBREVIATIONS.get(m.group(2))
        if month:
            return date(int(m.group(3)) if m.group(3) else year, month, int(m.group(1)))
    try:
        return datetime.fromisoformat(s).date()
    except ValueError:
        return None


def read_value(cell: RawCell | None, entry: Entry, year: int):
    """Return `(value, notes)`: the typed value (None when blank or refused) and how it was read.

    Values: a fraction for percentages (95% -> 0.95), a float for numbers, a `date`, a bool for Sì/No.
    """
    if cell is None or cell.value is None:
        return None, []
    notes: list[Note] = []
    if cell.formula:
        notes.append(Note("RET_012", f"={cell.formula}", _shown(cell.value)))
    raw = cell.value
    if entry is Entry.YES_NO and raw in ("Sì", "No"):
        return raw == "Sì", notes
    if isinstance(raw, str):
        if not raw.strip():
            return None, notes + ([Note("RET_010", repr(raw), "cella vuota")] if raw else [])
        value, detail = _from_text(raw.strip(), entry, year)
        if value is None:
            return None, notes + [Note("RET_011", raw, detail or EXPECTED[entry])]
        return value, notes + [Note("RET_010", raw, detail)]
    if isinstance(raw, bool):
        if entry is Entry.YES_NO:
            return raw, notes
        return None, notes + [Note("RET_011", "VERO" if raw else "FALSO", EXPECTED[entry])]
    # A number, possibly formatted as a date or a percentage.
    if entry is Entry.DATE:
        day = as_date(raw) if cell.is_date or raw >= 20000 else None
        if day is None:
            return None, notes + [Note("RET_011", _shown(raw), EXPECTED[entry])]
        return day, notes
    if cell.is_date:
        shown = as_date(raw)
        return None, notes + [Note("RET_011", f"la data {shown:%d/%m/%Y}" if shown else _shown(raw), EXPECTED[entry])]
    if entry is Entry.YES_NO:
        if raw in (0, 1):
            return bool(raw), notes + [Note("RET_010", _shown(raw), "Sì" if raw else "No")]
        return None, notes + [Note("RET_011", _shown(raw), EXPECTED[entry])]
    if entry is Entry.PERCENT:
        if raw > 10 and not cell.is_percent:
            return raw / 100, notes + [Note("RET_010", _shown(raw), f"{_shown(raw)}%")]
        return raw, notes
    if raw < 0:
        return None, notes + [Note("RET_011", _shown(raw), EXPECTED[entry] + " non negativo")]
    if entry in (Entry.PERIODS, Entry.COUNT) and not float(raw).is_integer():
        return None, notes + [Note("RET_011", _shown(raw), EXPECTED[entry] + " intero")]
    return float(raw), notes


def _from_text(text: str, entry: Entry, year: int):
    """(value, how it was read) from text, or (None, why not)."""
    lower = text.lower()
    if entry is Entry.YES_NO:
        if lower in YES:
            return True, "Sì"
        if lower in NO:
            return False, "No"
        return None, None
    if entry is Entry.DATE:
        try:
            day = parse_date_text(text, year)
        except ValueError:
            return None, f"{EXPECTED[entry]}; «{text}» non è una data esistente"
        return (day, f"{day:%d/%m/%Y}") if day else (None, None)
    if entry is Entry.PERCENT:
        percent = lower.endswith("%")
        number = parse_number(lower.rstrip("%").strip())
        if number is None:
            return None, None
        if percent:
            return number / 100, f"{_shown(number)}%"
        if number > 1:
            return number / 100, f"{_shown(number)}% (numero senza %, letto come punti percentuali)"
        return number, f"{_shown(number * 100)}% (numero tra 0 e 1, letto come frazione)"
    try:
        if parse_date_text(text, year):
            return None, f"{EXPECTED[entry]}, trovata una data"
    except ValueError:
        pass
    number = parse_number(text)
    if number is None or number < 0:
        return None, None
    if entry in (Entry.PERIODS, Entry.COUNT) and not number.is_integer():
        return None, EXPECTED[entry] + " intero"
    return number, _shown(number)
