"""How a sheet goes on paper: one A4 portrait page wherever its content fits at a readable size,
otherwise pages that break only between sections, each opening with the title row again.

Pure arithmetic on the row heights the writer sets and the column widths of the layout; the
writer turns the result into XlsxWriter's print settings.
"""

from __future__ import annotations

from dataclasses import dataclass

A4 = (595.28, 841.89)  # points
MARGINS = {"left": 0.3, "right": 0.3, "top": 0.3, "bottom": 0.45}  # inches, as XlsxWriter takes them
FOOTER_MARGIN = 0.2  # inches from the bottom edge: the footer sits below the body
BODY_SIZE = 11.0  # points: the sheet's body text
MIN_PRINTED_SIZE = 8.0  # points: the smallest body text a printed page may show
LIBREOFFICE_WIDER = 1.06  # LibreOffice lays the same columns out about 6% wider than Excel
SAFETY = 0.985  # what the spreadsheets' own rounding may take of a page


@dataclass(frozen=True)
class PrintPlan:
    """The print settings of one sheet."""

    one_page: bool
    """True: scaled to one page (the spreadsheet picks the scale, at least `scale`)."""
    scale: float
    """The scale the page is printed at (or at least, on one page), 0-1."""
    breaks: tuple[int, ...]
    """Rows that start a new page (0-based), empty on one page."""

    @property
    def pages(self) -> int:
        return len(self.breaks) + 1


def printable() -> tuple[float, float]:
    """The printable width and height of an A4 portrait page with the sheet's margins, in points."""
    width = A4[0] - (MARGINS["left"] + MARGINS["right"]) * 72
    height = A4[1] - (MARGINS["top"] + MARGINS["bottom"]) * 72
    return width * SAFETY, height * SAFETY


def plan_pages(heights: list[float], width_points: float, sections: list[int], *, title_rows: int = 1) -> PrintPlan:
    """Where the pages of a sheet break.

    `heights` are every printed row's height in points, `width_points` the printed columns'
    width as Excel lays them out, `sections` the rows where a page may begin; the first
    `title_rows` rows repeat at the top of every page after the first.
    """
    page_width, page_height = printable()
    width = width_points * LIBREOFFICE_WIDER
    fit_width = min(1.0, page_width / width)
    total = sum(heights)
    one_page = min(fit_width, page_height / total) if total else fit_width
    if one_page * BODY_SIZE >= MIN_PRINTED_SIZE - 1e-9:
        return PrintPlan(True, one_page, ())
    scale = fit_width
    room = page_height / scale
    title = sum(heights[:title_rows])
    starts = sorted({s for s in sections if title_rows <= s < len(heights)})
    blocks = list(zip([0] + starts, starts + [len(heights)]))
    breaks: list[int] = []
    used = 0.0
    for first, last in blocks:
        size = sum(heights[first:last])
        if used and used + size > room:
            breaks.append(first)
            used = title
        used += size
    return PrintPlan(False, scale, tuple(breaks))
