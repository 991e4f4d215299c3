"""The floors the benches compare with: the least any program must do to write or read the same cells.

    python bench/floors.py xlsxwriter CELLS OUTDIR     write the workbooks listed in CELLS
    python bench/floors.py lxml FILE...                parse the returned files' XML
    python bench/floors.py calamine FILE...            read every cell value with python-calamine
    python bench/floors.py openpyxl FILE...            read every cell value with openpyxl read_only
    python bench/floors.py consolidate CELLS OUTDIR FILE...   lxml of the returns, then xlsxwriter
    python bench/floors.py yaml FILE                   compose the plan file with PyYAML's C loader
    add --ripeti N to time N repeats in this process (a JSON line: median seconds, peak MB)

- **xlsxwriter**: CELLS (written by `save_cells`) holds, for each workbook the project wrote, its
  sheets by name and every <c> element read back from it: strings with their text, numbers,
  formulas with their formula text, and the blank but styled cells. XlsxWriter writes the same
  cells into a workbook with the same sheet names, blanks with `write_blank` and one shared
  trivial format (XlsxWriter drops a blank cell without a format), and nothing else: no other
  formats, merges, validations, names, protection or print settings. Default options, as anyone
  would write it.
- **lxml**: each file unzipped and each worksheet part and xl/sharedStrings.xml (content.xml for
  an .ods) parsed with `lxml.etree.fromstring`, as the reader parses: no interpretation at all.
- **consolidate**: the two above in one process, the summary's cells after the returns' parse.
- **yaml**: the plan file loaded by PyYAML's libyaml loader (the pure-Python one where PyYAML
  has no libyaml), nothing checked: the least `schede validate` must do.
- **calamine** and **openpyxl**: two readers' plain read of every value, as yardsticks.

Only what a floor needs is imported, and only when it runs: its whole process is as lean as it can be.
"""

from __future__ import annotations

import marshal
import sys
import time
import zipfile
from pathlib import Path

_M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


# ------------------------------------------------------------------ reading back what the project wrote

def cells_of(path: Path) -> list[tuple[str, list[tuple]]]:
    """Every sheet of a workbook, in order, with every <c> element: (row, col, kind, value).

    kind is "s" (text), "n" (number), "f" (formula, its text), "b" (boolean) or "" (blank, styled).
    """
    from lxml import etree

    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        book = etree.fromstring(z.read("xl/workbook.xml"))
        rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        strings = []
        if "xl/sharedStrings.xml" in names:
            strings = ["".join(si.itertext()) for si in etree.fromstring(z.read("xl/sharedStrings.xml"))]
        sheets = []
        for sheet in book.iter(f"{_M}sheet"):
            target = targets[sheet.get(f"{_R}id")]
            part = target.lstrip("/") if target.startswith("/") else "xl/" + target
            sheets.append((sheet.get("name"), _cells(etree.fromstring(z.read(part)), strings)))
    return sheets


def _cells(root, strings: list[str]) -> list[tuple]:
    cells = []
    for c in root.iter(f"{_M}c"):
        row, col = _address(c.get("r"))
        kind = c.get("t", "n")
        formula = c.find(f"{_M}f")
        value = c.find(f"{_M}v")
        if formula is not None:
            cells.append((row, col, "f", formula.text or ""))
        elif kind == "inlineStr":
            cells.append((row, col, "s", "".join(c.find(f"{_M}is").itertext())))
        elif value is None:
            cells.append((row, col, "", None))
        elif kind == "s":
            cells.append((row, col, "s", strings[int(value.text)]))
        elif kind in ("str", "e"):
            cells.append((row, col, "s", value.text or ""))
        elif kind == "b":
            cells.append((row, col, "b", value.text == "1"))
        else:
            cells.append((row, col, "n", float(value.text)))
    return cells


def _address(ref: str) -> tuple[int, int]:
    col = 0
    for i, ch in enumerate(ref):
        if ch.isdigit():
            return int(ref[i:]) - 1, col - 1
        col = col * 26 + ord(ch.upper()) - 64
    raise ValueError(ref)


def save_cells(workbooks: list[Path], cells_file: Path) -> int:
    """The cells of these workbooks, for the xlsxwriter floor; the number of <c> elements."""
    books = [(path.name, cells_of(path)) for path in workbooks]
    cells_file.write_bytes(marshal.dumps(books))
    return sum(len(cells) for _, sheets in books for _, cells in sheets)


def count_cells(workbooks: list[Path]) -> int:
    """The <c> elements of these workbooks' worksheets."""
    return sum(len(cells) for path in workbooks for _, cells in cells_of(path))


# ------------------------------------------------------------------ the floors

def write_floor(books: list, out_dir: Path) -> int:
    """The xlsxwriter floor: the same cells in workbooks of the same sheets, nothing else.

    Written as the project writes them, row by row with XlsxWriter's constant_memory (strings
    inline, no shared-strings table): XlsxWriter's default mode keeps every cell until the end
    and is slower, which would flatter the project.
    """
    import xlsxwriter

    written = 0
    for filename, sheets in books:
        wb = xlsxwriter.Workbook(str(out_dir / filename), {"constant_memory": True})
        blank = wb.add_format({"locked": False})
        for name, cells in sheets:
            ws = wb.add_worksheet(name)
            for row, col, kind, value in cells:
                if kind == "s":
                    ws.write_string(row, col, value)
                elif kind == "n":
                    ws.write_number(row, col, value)
                elif kind == "f":
                    ws.write_formula(row, col, value)
                elif kind == "b":
                    ws.write_boolean(row, col, value)
                else:
                    ws.write_blank(row, col, None, blank)
            written += len(cells)
        wb.close()
    return written


def parse_floor(paths: list[Path]) -> int:
    """The lxml floor: every worksheet part and the shared strings parsed, nothing read from them."""
    from lxml import etree

    parsed = 0
    for path in paths:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if (name.startswith("xl/worksheets/") and name.endswith(".xml")) or name in (
                        "xl/sharedStrings.xml", "content.xml"):
                    etree.fromstring(z.read(name))
                    parsed += 1
    return parsed


def calamine_floor(paths: list[Path]) -> int:
    """python-calamine reading every cell value of every sheet."""
    from python_calamine import CalamineWorkbook

    values = 0
    for path in paths:
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            values += sum(len(row) for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False))
    return values


def openpyxl_floor(paths: list[Path]) -> int:
    """openpyxl read_only reading every cell value of every sheet (.xlsx only)."""
    import openpyxl

    values = 0
    for path in paths:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                values += len(row)
        wb.close()
    return values


def yaml_floor(paths: list[Path]) -> int:
    """The plan file composed and built by PyYAML, the C loader where there is one."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return sum(len(yaml.load(path.read_bytes(), Loader=loader)) for path in paths)


def files_in(args: list[str]) -> list[Path]:
    """The spreadsheets named, folders opened (in name order)."""
    paths = []
    for arg in map(Path, args):
        paths += sorted(p for p in arg.iterdir() if p.suffix in (".xlsx", ".ods")) if arg.is_dir() else [arg]
    return paths


def main(argv: list[str]) -> None:
    times = 0
    if argv[:1] == ["--ripeti"]:
        times, argv = int(argv[1]), argv[2:]
    kind, args = argv[0], argv[1:]
    if kind in ("xlsxwriter", "consolidate"):
        books, out_dir, paths = marshal.loads(Path(args[0]).read_bytes()), Path(args[1]), files_in(args[2:])

        def work():
            return parse_floor(paths) + write_floor(books, out_dir)
        modules = ("xlsxwriter", "lxml.etree")
    else:
        paths = files_in(args)
        read = {"lxml": parse_floor, "calamine": calamine_floor, "openpyxl": openpyxl_floor, "yaml": yaml_floor}[kind]

        def work():
            return read(paths)
        modules = {"lxml": ("lxml.etree",), "calamine": ("python_calamine",), "openpyxl": ("openpyxl",),
                   "yaml": ("yaml",)}[kind]
    if not times:
        work()
        return
    import json
    import resource
    import statistics

    for module in modules:
        __import__(module)  # the in-process part leaves imports out, as it does for the project
    seconds, count = [], 0
    for _ in range(times):
        start = time.perf_counter()
        count = work()
        seconds.append(time.perf_counter() - start)
    print(json.dumps({"seconds": statistics.median(seconds), "all": seconds, "count": count,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main(sys.argv[1:])
