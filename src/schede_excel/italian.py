"""Numbers and dates the Italian way, for every message and every export a person reads: `72,4`, `90%`, `15/07/2023`.

One place, so that the CLI, the findings, the summary and the CSV exports write a number alike.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal

SCORE_DECIMALS = 1
"""A score (0-100) is shown, exported and put in its band to one decimal: `72,4`."""


def number(value: float | int | None, decimals: int | None = 1, *, grouping: bool = False, trim: bool = False) -> str:
    """`72.44` -> `72,4`; `1500` -> `1500` (`1.500` with grouping); None -> ``.

    Rounded as a person does: the value taken to the 15 significant digits a spreadsheet keeps, then a
    half away from zero (99.25 -> `99,3`, 2.675 -> `2,68`, and 80.14999999999999, which is 80.15 worked
    out in binary, -> `80,2`; Python's own rounding gives 99,2, 2,67 and 80,1). LibreOffice rounds the
    binary value and would show 80,1: the summary writes its scores already `rounded`, so every
    program shows the digits the messages, the exports and the bands use.
    `decimals=None` keeps as many as the value needs (up to 10), without a trailing separator
    (`2`, `0,25`); `trim=True` does the same with at most `decimals` (`2,5` rather than `2,50`).
    """
    if value is None:
        return ""
    places = 10 if decimals is None else decimals
    shown = _shown(value, places)
    text = f"{shown:,.{places}f}" if grouping else f"{shown:.{places}f}"
    if (decimals is None or trim) and "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "-0.0") or (text.startswith("-") and set(text[1:]) <= set("0.,")):
        text = text[1:]
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


_WIDE = Context(prec=60)  # 15 digits before the point and as many places as asked: never InvalidOperation


def rounded(value: float, decimals: int) -> float:
    """The value as `number(value, decimals)` shows it: 89.96 -> 90.0 at one decimal."""
    return float(_shown(value, decimals))


def _shown(value: float | int, places: int) -> Decimal | float:
    if not math.isfinite(value) or abs(value) >= 1e15:  # past a spreadsheet's 15 digits: as Python writes it
        return value
    return Decimal(f"{value:.15g}").quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=_WIDE)


def percent(fraction: float | None, decimals: int | None = 0) -> str:
    """A fraction as a percentage: `0.9` -> `90%`, `0.125` with 1 decimal -> `12,5%`."""
    if fraction is None:
        return ""
    return f"{number(fraction * 100, decimals)}%"


def achieved(value: float | date | bool | None, *, is_percent: bool) -> str:
    """A RAGGIUNTO as a person reads it: 90%, 15/07/2023, 1.600, Sì."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Sì" if value else "No"
    if isinstance(value, date):
        return day(value)
    return percent(value, None) if is_percent else number(value, None, grouping=True)


def day(value: date | datetime | None) -> str:
    """`15/07/2023`; a datetime with its time, `15/07/2023 10:30`."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    return f"{value:%d/%m/%Y}"
