"""Any workbook's cells as plain grids of values, for the plan workbook and for migration.

`read_grids(data)` takes the bytes of a workbook and returns one `Grid` per worksheet, in sheet
order. The kind of file is told by its content, not its name (a user renames files):
.xlsx/.xlsm are read with openpyxl, .ods and the old binary .xls with python-calamine, which
keeps line breaks inside cells that pandas' odf reader drops. Formulas are never evaluated: a
formula cell holds the value the spreadsheet saved. With `detail=True` (.xlsx only) a grid also
carries merged ranges and fill colours, which need openpyxl's full reader; otherwise the
read-only reader is used. A file that is not a workbook raises `NotAWorkbook` with the reason
in Italian.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime

from .cells import Span
from .reader import UnreadableFile, as_date, read_workbook

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


class NotAWorkbook(ValueError):
    """The bytes are not a workbook this module can read; `detail` says why, in Italian."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


@dataclass
class Grid:
    """One worksheet's cells, 0-based: values are str, int, float, bool, date or datetime; blanks are None.

    `formats` holds the number format of numeric and date cells that have one (.xlsx only);
    `merges` and `fills` (the colour of solidly filled cells) are filled in only on request.
    """

    name: str
    rows: list[list[object]]
    formats: dict[tuple[int, int], str] = field(default_factory=dict)
    merges: list[Span] = field(default_factory=list)
    fills: dict[tuple[int, int], str] = field(default_factory=dict)

    def value(self, row: int, col: int):
        """The value at (row, col), None when blank or outside the used area."""
        if 0 <= row < len(self.rows) and 0 <= col < len(self.rows[row]):
            return self.rows[row][col]
        return None

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def merge_at(self, row: int, col: int) -> Span | None:
        """The merged range whose first cell is (row, col), if any."""
        for span in self.merges:
            if span.row == row and span.col == col:
                return span
        return None


def _clean(value):
    """Blank strings to None, whole floats to int, midnight datetimes to dates."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    return value


def _trim(rows: list[list[object]]) -> list[list[object]]:
    for row in rows:
        while row and row[-1] is None:
            row.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows


def workbook_kind(data: bytes) -> str:
    """`xlsx`, `ods` or `xls` from the content; raises `NotAWorkbook`."""
    if data.startswith(_OLE_MAGIC):
        return "xls"
    if not data.startswith(b"PK\x03\x04"):
        raise NotAWorkbook("non è un file Excel (.xlsx, .xlsm, .ods)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() == _ODS_MIMETYPE:
                return "ods"
    except zipfile.BadZipFile:
        raise NotAWorkbook("il file è danneggiato (archivio zip non valido)") from None
    if "xl/workbook.xml" in names:
        return "xlsx"
    raise NotAWorkbook("è un archivio zip ma non un file Excel (.xlsx, .xlsm, .ods)")


def _fill_key(cell) -> str | None:
    fill = cell.fill
    if fill is None or fill.fill_type != "solid":
        return None
    colour = fill.fgColor
    if colour.type == "rgb":
        return str(colour.rgb)[-6:].upper()
    return f"{colour.type}:{colour.value}:{colour.tint}"


def _openpyxl_grids(data: bytes, detail: bool) -> list[Grid]:
    import openpyxl  # imported here, as the calamine reader: a command loads only the reader it uses

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=not detail, data_only=True)
    grids = []
    try:
        for ws in wb.worksheets:
            if not detail:
                ws.reset_dimensions()  # files from some programs declare a wrong used area
            grid = Grid(ws.title, [])
            for r, cells in enumerate(ws.iter_rows()):
                row = []
                for c, cell in enumerate(cells):
                    value = _clean(getattr(cell, "value", None))
                    row.append(value)
                    if value is not None and not isinstance(value, str) and cell.number_format != "General":
                        grid.formats[(r, c)] = cell.number_format
                    if detail and (key := _fill_key(cell)):
                        grid.fills[(r, c)] = key
                grid.rows.append(row)
            if detail:
                grid.merges = [Span(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1)
                               for m in ws.merged_cells.ranges]
            _trim(grid.rows)
            grids.append(grid)
    finally:
        wb.close()
    return grids


def _calamine_grids(data: bytes) -> list[Grid]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    grids = []
    for name in wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        grids.append(Grid(name, _trim([[_clean(v) for v in row] for row in rows])))
    return grids


def _safe_grids(data: bytes) -> list[Grid]:
    """.xlsx/.xlsm/.ods through the returns' hardened reader, which also knows percentage and date cells."""
    grids = []
    for sheet in read_workbook(data, "piano").sheets:
        height = max((r for r, _ in sheet.cells), default=-1) + 1
        width = max((c for _, c in sheet.cells), default=-1) + 1
        grid = Grid(sheet.name, [[None] * width for _ in range(height)])
        for (r, c), cell in sheet.cells.items():
            value = cell.value
            if cell.is_date and isinstance(value, float):
                value = as_date(value)
                grid.formats[(r, c)] = sheet.written_formats.get((r, c), "dd/mm/yyyy")
            elif cell.is_percent and isinstance(value, float):
                grid.formats[(r, c)] = "0%"
            elif (r, c) in sheet.written_formats:
                grid.formats[(r, c)] = sheet.written_formats[(r, c)]
            grid.rows[r][c] = _clean(value)
        grids.append(_trim_grid(grid))
    return grids


def _trim_grid(grid: Grid) -> Grid:
    _trim(grid.rows)
    return grid


def read_grids(data: bytes, *, detail: bool = False) -> list[Grid]:
    """Every worksheet of the workbook in `data`, in order; raises `NotAWorkbook`.

    `detail` (merges and fill colours, for migration) needs openpyxl's full reader; otherwise
    .xlsx, .xlsm and .ods go through the hardened reader of returned files, and only the old
    binary .xls through python-calamine.
    """
    kind = workbook_kind(data)
    try:
        if kind == "xls":
            return _calamine_grids(data)
        if detail and kind == "xlsx":
            return _openpyxl_grids(data, detail)
        return _safe_grids(data)
    except UnreadableFile as error:
        raise NotAWorkbook(error.findings[0].message.rstrip(".")) from None
    except Exception as error:  # noqa: BLE001 - the parsers raise many types on a damaged file
        raise NotAWorkbook(f"il file è danneggiato o non è leggibile ({type(error).__name__}: {error})") from None


def plain(value) -> str:
    """Text reduced for matching labels and headers: no accents, lower case, punctuation as spaces.

    `Indici di Quantità`, `INDICI DI QUANTITA'` and ` indici  di quantità ` all give
    `indici di quantita`.
    """
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())
