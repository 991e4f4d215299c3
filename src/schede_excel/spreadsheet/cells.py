"""Cell addresses and ranges as a user sees them: 0-based (row, col) in code, `D20` on screen."""

from __future__ import annotations

from dataclasses import dataclass


def col_letter(col: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def a1(row: int, col: int, absolute: bool = False) -> str:
    """The address a user sees: (19, 3) -> D20; absolute gives $D$20."""
    d = "$" if absolute else ""
    return f"{d}{col_letter(col)}{d}{row + 1}"


@dataclass(frozen=True)
class Span:
    """A rectangle of cells, merged on the sheet when it covers more than one."""

    row: int
    col: int
    last_row: int
    last_col: int

    @property
    def a1(self) -> str:
        first = a1(self.row, self.col)
        return first if self.single else f"{first}:{a1(self.last_row, self.last_col)}"

    @property
    def single(self) -> bool:
        return self.row == self.last_row and self.col == self.last_col


def span(row: int, first_col: int, last_col: int, last_row: int | None = None) -> Span:
    return Span(row, first_col, row if last_row is None else last_row, last_col)
