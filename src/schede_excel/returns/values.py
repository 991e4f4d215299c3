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

from ..spreadsheet.reader import DAYS_1904, RawCell, as_date
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
_NUMBER = re.compile(r"^([+-]?)([1-9]\d{0,2}(?:\.\d{3})+|\d+)(?:[.,](\d+))?$")
_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")
_DAY_MONTH = re.compile(r"^(\d{1,2})[\s-]+([a-z]+)\.?(?:[\s-]+(\d{4}))?$")


@dataclass(frozen=True)
class Note:
    """How a value was read: `code` RET_010 (normalised), RET_011 (refused), RET_012 (formula),
    RET_025 (read one way where another was possible: shown without -v, to be checked)."""

    code: str
    found: str
    detail: str


MAX_PERCENT = 2.0  # 200%: beyond it a percentage is a typing error, not an achievement
AMBIGUOUS_THOUSANDS = "il punto letto come separatore delle migliaia"
_INTERPRETED = "senza %, letto come"


def _shown(raw) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def parse_number(text: str) -> float | None:
    """Italian or plain number text: `4`, `-3,5`, `4,5`, `1.000`, `1.000,50`, `0.95`, `0.950`."""
    read = _parse_number(text)
    return None if read is None else read[0]


def _parse_number(text: str) -> tuple[float, bool] | None:
    """(value, whether a dot was read as the Italian thousands separator), or None if not a number.

    The sign is kept; a dot is a thousands separator only in `1.000`, `12.500.000` (groups of three
    after a first group that does not start with 0), so `0.950` is 0.95, never 950.
    """
    s = text.strip().replace(" ", "").replace("\u2212", "-")  # U+2212 is the minus a word processor types
    m = _NUMBER.match(s)
    if not m:
        return None
    sign, integer, decimals = m.group(1), m.group(2), m.group(3)
    thousands = False
    if decimals is not None and s[len(sign) + len(integer)] == ",":
        value = float(integer.replace(".", "") + "." + decimals)
    elif "." in integer:
        value, thousands = float(integer.replace(".", "")), True  # 1.000 is a thousand in Italian
    elif decimals is not None:
        value = float(f"{integer}.{decimals}")
    else:
        value = float(integer)
    if not math.isfinite(value):
        return None  # 400 nines are not a number a sheet can hold
    return (-value if sign == "-" else value), thousands


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
        notes.append(Note("RET_010", raw, detail))
        if _INTERPRETED in detail or AMBIGUOUS_THOUSANDS in detail:
            notes.append(Note("RET_025", raw, detail))
        return value, notes
    if isinstance(raw, bool):
        if entry is Entry.YES_NO:
            return raw, notes
        return None, notes + [Note("RET_011", "VERO" if raw else "FALSO", EXPECTED[entry])]
    # A number, possibly formatted as a date or a percentage.
    if entry is Entry.DATE:
        serial = raw + DAYS_1904 if cell.date1904 else raw
        day = as_date(serial) if cell.is_date or serial >= 20000 else None
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
        value, read_notes = percentage(float(raw), _shown(raw), explicit=cell.is_percent)
        return value, notes + read_notes
    if raw < 0:
        return None, notes + [Note("RET_011", _shown(raw), EXPECTED[entry] + " non negativo")]
    if entry in (Entry.PERIODS, Entry.COUNT) and not float(raw).is_integer():
        return None, notes + [Note("RET_011", _shown(raw), EXPECTED[entry] + " intero")]
    return float(raw), notes


def percentage(number: float, found: str, *, explicit: bool) -> tuple[float | None, list[Note]]:
    """A percentage as a fraction, from a number that is one (`explicit`: a % format or a typed %) or not.

    The one rule for stored numbers and typed text alike: without a %, a number above 1 is read as
    percentage points (5 -> 5%, 11 -> 11%) and one from 0 to 1 as a fraction (0,95 -> 95%), and
    either reading is reported as a warning, since the other was possible. Below 0% or above
    200% it is refused.
    """
    notes: list[Note] = []
    value = number
    if not explicit:
        if number > 1:
            value = number / 100
            detail = f"{_shown(number)}% (numero senza %, letto come punti percentuali)"
        else:
            detail = f"{_shown(round(number * 100, 10))}% (numero tra 0 e 1 senza %, letto come frazione)"
        notes += [Note("RET_010", found, detail), Note("RET_025", found, detail)]
    if not 0 <= value <= MAX_PERCENT:
        return None, [Note("RET_011", found, f"{EXPECTED[Entry.PERCENT]} tra 0% e {MAX_PERCENT:.0%}")]
    return value, notes


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
        read = _parse_number(lower.rstrip("%").strip())
        if read is None:
            return None, None
        number, thousands = read
        if percent:
            return _text_percent(text, number / 100, f"{_shown(number)}%", thousands)
        value, notes = percentage(number, text, explicit=False)
        if value is None:
            return None, notes[0].detail
        return _text_percent(text, value, notes[0].detail, thousands)
    try:
        if parse_date_text(text, year):
            return None, f"{EXPECTED[entry]}, trovata una data"
    except ValueError:
        pass
    read = _parse_number(text)
    if read is None:
        return None, None
    number, thousands = read
    if number < 0:
        return None, EXPECTED[entry] + " non negativo"
    if entry in (Entry.PERIODS, Entry.COUNT) and not number.is_integer():
        return None, EXPECTED[entry] + " intero"
    return number, (f"{_shown(number)} ({AMBIGUOUS_THOUSANDS})" if thousands else _shown(number))


def _text_percent(text: str, value: float, detail: str, thousands: bool):
    if not 0 <= value <= MAX_PERCENT:
        return None, f"{EXPECTED[Entry.PERCENT]} tra 0% e {MAX_PERCENT:.0%}"
    return value, (f"{detail}; {AMBIGUOUS_THOUSANDS}" if thousands else detail)
