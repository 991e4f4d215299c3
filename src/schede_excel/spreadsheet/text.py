"""How text wraps in a cell, for row heights: XlsxWriter cannot autofit rows."""

from __future__ import annotations

LINE_HEIGHT = 15.0  # points per line of 11-point text


def estimate_lines(text: str, width_chars: float, *, bold: bool = False) -> int:
    """How many lines `text` wraps to in a column `width_chars` wide (XlsxWriter cannot autofit rows)."""
    if not text:
        return 1
    if len(text) * 1.15 < width_chars and "\n" not in text:
        return 1
    upper = sum(1 for c in text if c.isupper())
    letters = sum(1 for c in text if c.isalpha()) or 1
    per_char = 0.82 + 0.3 * upper / letters + (0.08 if bold else 0)  # calibrated on Calibri/Carlito 11 pt
    capacity = max(8, int(width_chars / per_char) - 1)
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = -1
        for word in paragraph.split():
            if used + 1 + len(word) > capacity and used > 0:
                lines += 1 + (len(word) - 1) // capacity
                used = len(word) % capacity
            else:
                used += 1 + len(word)
    return lines
