"""The advance widths of Carlito, the metric twin of Calibri, as the package ships them.

    python tests/fontmetrics.py      rewrites src/schede_excel/spreadsheet/calibri_widths.json

Carlito (SIL Open Font License) has the same advance widths as Calibri, the font of the generated
workbooks, so row heights computed from these widths match what Excel and LibreOffice lay out.
`tests/test_print.py` checks the shipped table against the installed font.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FONTS = Path("/usr/share/fonts/truetype/crosextra")
TABLE = Path(__file__).resolve().parent.parent / "src" / "schede_excel" / "spreadsheet" / "calibri_widths.json"
RANGES = [(0x20, 0x17F), (0x2010, 0x203A), (0x20AC, 0x20AC), (0x2122, 0x2122), (0x2212, 0x2212)]


def widths(font_file: Path) -> tuple[int, list[int]]:
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_file))
    cmap, hmtx = font.getBestCmap(), font["hmtx"]
    missing = hmtx[".notdef"][0]
    out = [hmtx[cmap[cp]][0] if cp in cmap else missing
           for first, last in RANGES for cp in range(first, last + 1)]
    return font["head"].unitsPerEm, out


def line_units(font_file: Path) -> int:
    """The line spacing Excel uses: the Windows ascent plus descent."""
    from fontTools.ttLib import TTFont

    os2 = TTFont(str(font_file))["OS/2"]
    return os2.usWinAscent + os2.usWinDescent


def table() -> dict:
    upm, regular = widths(FONTS / "Carlito-Regular.ttf")
    _, bold = widths(FONTS / "Carlito-Bold.ttf")
    return {"font": "Carlito (metric-compatible with Calibri)", "units_per_em": upm,
            "line_units": line_units(FONTS / "Carlito-Regular.ttf"),
            "ranges": [list(r) for r in RANGES], "regular": regular, "bold": bold}


if __name__ == "__main__":
    TABLE.write_text(json.dumps(table(), separators=(",", ":")) + "\n", encoding="utf-8")
    sys.stdout.write(f"scritto {TABLE}\n")
