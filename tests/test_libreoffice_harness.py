"""Tests of the LibreOffice harness itself (tests/libreoffice.py + tests/lo_driver.py).

A small workbook is written with XlsxWriter, the way the project writes its
sheets: a protected sheet whose only unlocked cells are inputs, formulas that
depend on them, a second sheet referring to the first, a hidden sheet.  The
harness must write inputs, refuse locked cells, recalculate, read what
LibreOffice computed and export .xlsx / .ods / .pdf.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import zipfile

import pytest

from tests.libreoffice import (
    DRIVER,
    LibreOffice,
    LibreOfficeError,
    LibreOfficeTimeout,
    ProtectedCellError,
    lo_available,
    lo_python,
)

xlsxwriter = pytest.importorskip("xlsxwriter")
openpyxl = pytest.importorskip("openpyxl")

SHEET = "Scheda 1"
SUMMARY = "Riepilogo"


def _write_workbook(path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    unlocked_pct = wb.add_format({"locked": False, "num_format": "0%"})
    unlocked_date = wb.add_format({"locked": False, "num_format": "dd/mm/yyyy"})
    unlocked_text = wb.add_format({"locked": False})
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})

    ws = wb.add_worksheet(SHEET)
    ws.write("A1", "Scheda obiettivo")
    ws.write("A3", "Percentuale di raggiungimento")
    ws.write_number("B3", 0.5, unlocked_pct)             # input
    ws.write_formula("C3", "=B3*100")                      # depends on the input
    ws.write("A4", "Note")
    ws.write_blank("B4", None, unlocked_text)             # text input
    ws.write_formula("C4", '=IF(B4="","(vuoto)",B4)')
    ws.write("A5", "Scadenza")
    ws.write_datetime("B5", dt.date(2024, 12, 31), unlocked_date)  # date input
    ws.write_formula("C5", "=B5+30", date_fmt)
    ws.write_formula("D5", "=YEAR(B5)")
    ws.write_formula("C6", "=1+1")                         # depends on nothing
    ws.print_area("A1:D6")
    ws.protect()

    ws2 = wb.add_worksheet(SUMMARY)
    ws2.write("A1", "Totale")
    ws2.write_formula("B1", f"='{SHEET}'!C3*2")
    ws2.write("A2", 3)
    ws2.write("B2", 4)
    ws2.print_area("A1:B2")

    ws3 = wb.add_worksheet("Nascosto")
    ws3.write("A1", "non stampare")
    ws3.hide()
    wb.close()


@pytest.fixture
def workbook(tmp_path):
    path = tmp_path / "scheda.xlsx"
    _write_workbook(path)
    return path


@pytest.fixture
def doc(libreoffice, workbook):
    with libreoffice.open(workbook) as document:
        yield document


# ---------------------------------------------------------------------------
# structure


def test_sheets_visibility_and_protection(doc):
    assert doc.sheet_names() == [SHEET, SUMMARY, "Nascosto"]
    info = {s.name: s for s in doc.sheets()}
    assert info[SHEET].protected and info[SHEET].visible
    assert not info[SUMMARY].protected
    assert not info["Nascosto"].visible
    assert doc.is_protected(SHEET) and doc.is_protected(0)
    assert doc.is_locked(SHEET, "B3") is False
    assert doc.is_locked(SHEET, "C3") is True
    prot = doc.cell_protection(SHEET, "C3")
    assert prot["sheet_protected"] is True


# ---------------------------------------------------------------------------
# writing and reading


def test_set_input_recalculate_and_read(doc):
    doc.set(SHEET, "B3", 0.95)
    doc.recalculate()
    assert doc.get(SHEET, "B3") == pytest.approx(0.95)
    assert doc.get_string(SHEET, "B3") == "95%"           # the cell kept its format
    assert doc.get(SHEET, "C3") == pytest.approx(95)
    assert doc.get(SUMMARY, "B1") == pytest.approx(190)    # cross-sheet formula
    assert doc.get(1, "B1") == pytest.approx(190)          # sheet by index
    assert doc.get_formula(SHEET, "C3") == "=B3*100"
    assert doc.get_formula(SUMMARY, "B1") == f"='{SHEET}'!C3*2"
    assert doc.get_formula(SHEET, "B3") is None


def test_locked_cell_is_refused_and_batch_is_atomic(doc):
    with pytest.raises(ProtectedCellError) as err:
        doc.set(SHEET, "C3", 42)
    assert err.value.cells == [f"{SHEET}!C3"]
    # a batch with one locked cell writes nothing at all
    with pytest.raises(ProtectedCellError):
        doc.set_many([(SHEET, "B3", 0.8), (SHEET, "D5", 1)])
    doc.recalculate()
    assert doc.get(SHEET, "B3") == pytest.approx(0.5)
    assert doc.get(SHEET, "C3") == pytest.approx(50)
    assert doc.get_formula(SHEET, "C3") == "=B3*100"


def test_respect_protection_false_writes_and_reprotects(doc):
    doc.set(SHEET, "C3", 42, respect_protection=False)
    assert doc.get(SHEET, "C3") == 42
    assert doc.get_formula(SHEET, "C3") is None
    assert doc.is_protected(SHEET)


def test_text_input_and_clear(doc):
    doc.recalculate()
    assert doc.get(SHEET, "B4") is None
    assert doc.get(SHEET, "C4") == "(vuoto)"
    doc.set(SHEET, "B4", "Obiettivo raggiunto, 100%")
    assert doc.get(SHEET, "C4") == "Obiettivo raggiunto, 100%"   # autocalc of dependents
    doc.set(SHEET, "B4", "12")                                    # a string stays a string
    assert doc.get(SHEET, "B4") == "12"
    doc.set(SHEET, "B4", None)
    assert doc.get(SHEET, "B4") is None
    assert doc.get(SHEET, "C4") == "(vuoto)"
    assert doc.cell(SHEET, "B4").type == "empty"


def test_date_values(doc):
    doc.set(SHEET, "B5", dt.date(2025, 6, 30))
    doc.recalculate()
    info = doc.cell(SHEET, "B5")
    assert info.type == "value"
    assert info.value == 45838.0                      # serial number, 1899-12-30 based
    assert info.date == dt.date(2025, 6, 30)
    assert info.string == "30/06/2025"                # number format kept
    assert doc.get_date(SHEET, "B5") == dt.date(2025, 6, 30)
    assert doc.get_date(SHEET, "C5") == dt.date(2025, 7, 30)
    assert doc.get(SHEET, "D5") == 2025
    doc.set(SHEET, "B5", dt.datetime(2025, 1, 2, 12, 0))
    assert doc.get(SHEET, "B5") == pytest.approx(45659.5)
    assert doc.get_date(SHEET, "B5") == dt.datetime(2025, 1, 2, 12, 0)
    doc.set(SHEET, "B5", dt.datetime(2025, 1, 2, 10, 15))
    assert doc.get_date(SHEET, "B5") == dt.datetime(2025, 1, 2, 10, 15)
    assert doc.cell(SHEET, "B5").string == "02/01/2025"       # a date-only format


def test_formulas_errors_and_ranges(doc):
    doc.set(SUMMARY, "C2", "=SUM(A2,B2)*IF(A2>1,2,0)", kind="formula")      # Excel syntax
    doc.set(SUMMARY, "D2", "=SUM(A2;B2)", kind="formula_native")            # LibreOffice syntax
    doc.set(SUMMARY, "E2", "=1/0", kind="formula")
    doc.recalculate()
    assert doc.get(SUMMARY, "C2") == 14
    assert doc.get(SUMMARY, "D2") == 7
    assert doc.get_formula(SUMMARY, "C2") == "=SUM(A2,B2)*IF(A2>1,2,0)"
    assert doc.get_formula(SUMMARY, "C2", syntax="native") == "=SUM(A2;B2)*IF(A2>1;2;0)"
    assert doc.get(SUMMARY, "E2") == "#DIV/0!"
    err = doc.cell(SUMMARY, "E2")
    assert err.is_error and err.error_code == 532
    assert doc.get_range(SUMMARY, "A2:E2") == [[3, 4, 14, 7, "#DIV/0!"]]
    assert doc.get_many(SUMMARY, ["A1", "F9"]) == {"A1": "Totale", "F9": None}


def test_bulk_range_read_matches_cell_records(doc):
    doc.set(SUMMARY, "C1", '=IF(A2>100,"x","")', kind="formula")   # formula giving ""
    doc.set(SUMMARY, "D1", "=1/0", kind="formula")
    doc.set(SUMMARY, "E1", "testo")
    doc.recalculate()
    bulk = doc.get_range(SUMMARY, "A1:F2")
    slow = [[c.value for c in row] for row in doc.range_cells(SUMMARY, "A1:F2")]
    assert bulk == slow == [["Totale", 100.0, "", "#DIV/0!", "testo", None],
                            [3.0, 4.0, None, None, None, None]]


def test_xlsxwriter_cached_values_need_recalculate(libreoffice, workbook):
    """LibreOffice keeps the cached results XlsxWriter wrote (0) until a hard recalc."""
    with libreoffice.open(workbook) as doc:
        assert doc.get(SHEET, "C6") == 0
        doc.recalculate()
        assert doc.get(SHEET, "C6") == 2
    with libreoffice.open(workbook, recalculate=True) as doc:
        assert doc.get(SHEET, "C6") == 2


def test_bad_requests_are_clear_errors(doc):
    with pytest.raises(LibreOfficeError, match="no sheet named 'Nope'"):
        doc.get("Nope", "A1")
    with pytest.raises(LibreOfficeError, match="bad cell address"):
        doc.set(SHEET, "A1:B2", 1)
    with pytest.raises(LibreOfficeError, match="sheet index 9 out of range"):
        doc.get(9, "A1")
    with pytest.raises(TypeError):
        doc.set(SHEET, "B3", object())
    assert doc.get(SHEET, "B3") == pytest.approx(0.5)   # the session survives errors


# ---------------------------------------------------------------------------
# saving


def test_save_as_xlsx_ods_pdf(libreoffice, workbook, tmp_path):
    with libreoffice.open(workbook) as doc:
        doc.set_many([(SHEET, "B3", 0.95), (SHEET, "B5", dt.date(2025, 6, 30)),
                      (SHEET, "B4", "fatto")])
        doc.recalculate()
        xlsx = doc.save_as(tmp_path / "out" / "saved.xlsx")
        ods = doc.save_as(tmp_path / "out" / "saved.ods")
        pdf = doc.save_as(tmp_path / "out" / "saved.pdf")

    # .xlsx: values and cached formula results as LibreOffice computed them
    values = openpyxl.load_workbook(xlsx, data_only=True)
    ws = values[SHEET]
    assert ws["B3"].value == pytest.approx(0.95)
    assert ws["C3"].value == pytest.approx(95)
    assert ws["B4"].value == "fatto"
    assert ws["B5"].value == dt.datetime(2025, 6, 30)
    assert values[SUMMARY]["B1"].value == pytest.approx(190)
    formulas = openpyxl.load_workbook(xlsx)
    ws = formulas[SHEET]
    assert ws["C3"].value == "=B3*100"
    assert ws.protection.sheet is True                  # protection survives
    assert ws["B3"].protection.locked is False
    assert ws["C3"].protection.locked is True
    assert formulas["Nascosto"].sheet_state == "hidden"

    # .ods: a real ODF spreadsheet, and it reopens with the values
    with zipfile.ZipFile(ods) as z:
        assert z.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
    with libreoffice.open(ods) as reopened:
        assert reopened.get(SHEET, "C3") == pytest.approx(95)
        assert reopened.is_protected(SHEET)
        assert reopened.is_locked(SHEET, "C3") and not reopened.is_locked(SHEET, "B3")

    # .pdf
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(str(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Scheda obiettivo" in text and "Totale" in text
    assert "non stampare" not in text                   # hidden sheets are not exported
    assert len(reader.pages) == 2                       # one page per print area


# ---------------------------------------------------------------------------
# process handling


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid and _pid_alive(int(entry)):
                    pids.append(int(entry))
            except (ProcessLookupError, PermissionError):
                pass
    return pids


@pytest.mark.libreoffice
@pytest.mark.skipif(not lo_available() and not os.environ.get("CI"), reason="LibreOffice unavailable")
def test_instances_are_independent_and_leave_no_process(workbook, tmp_path):
    with LibreOffice(transport="tcp") as a, LibreOffice() as b:
        assert a.ready_info["profile"] != b.ready_info["profile"]
        assert "127.0.0.1" in a.ready_info["connect"]
        with a.open(workbook) as da, b.open(workbook) as db:
            da.set(SHEET, "B3", 0.1)
            db.set(SHEET, "B3", 0.2)
            assert da.get(SHEET, "C3") == pytest.approx(10)
            assert db.get(SHEET, "C3") == pytest.approx(20)
        pgids = [a.ready_info["soffice_pgid"], b.ready_info["soffice_pgid"]]
        profiles = [a.ready_info["profile"], b.ready_info["profile"]]
        assert all(_group_pids(g) for g in pgids)
    assert not any(_group_pids(g) for g in pgids)
    assert not any(os.path.exists(p) for p in profiles)
    assert not a.running and not b.running


@pytest.mark.libreoffice
@pytest.mark.skipif(not lo_available() and not os.environ.get("CI"), reason="LibreOffice unavailable")
def test_driver_batch_mode(workbook, tmp_path):
    """The driver also runs one-shot: a JSON list on stdin, a JSON list on stdout."""
    pdf = tmp_path / "batch.pdf"
    commands = [
        {"cmd": "open", "path": str(workbook)},
        {"cmd": "set", "cells": [{"sheet": SHEET, "cell": "B3", "value": 0.25},
                                 {"sheet": SHEET, "cell": "B5", "value": "2025-01-31", "kind": "date"}]},
        {"cmd": "recalculate"},
        {"cmd": "get", "sheet": SHEET, "cells": ["C3", "C5"]},
        {"cmd": "save_as", "path": str(pdf)},
        {"cmd": "set", "cells": [{"sheet": SHEET, "cell": "C3", "value": 1}]},
        {"cmd": "close"},
    ]
    proc = subprocess.run([lo_python(), str(DRIVER)],
                          input=json.dumps(commands), capture_output=True, text=True, timeout=120)
    results = json.loads(proc.stdout)
    assert proc.returncode == 1                      # the locked write failed...
    assert len(results) == 6                         # ...and stopped the batch
    assert all(r["ok"] for r in results[:5])
    c3, c5 = results[3]["result"]
    assert c3["value"] == pytest.approx(25)
    assert c5["date"] == "2025-03-02"
    assert results[5]["error_type"] == "ProtectedCell"
    assert pdf.read_bytes()[:4] == b"%PDF"


@pytest.mark.libreoffice
@pytest.mark.skipif(not lo_available() and not os.environ.get("CI"), reason="LibreOffice unavailable")
def test_hung_office_times_out_and_is_killed(workbook):
    """A frozen soffice (SIGSTOP) turns into a Timeout error, not a hang."""
    lo = LibreOffice()
    with lo:
        doc = lo.open(workbook)
        pgid = lo.ready_info["soffice_pgid"]
        os.killpg(pgid, signal.SIGSTOP)
        with pytest.raises(LibreOfficeTimeout):
            lo.call("get", doc=doc.id, sheet=SHEET, cells=["C3"], timeout=2)
        with pytest.raises(LibreOfficeError) as err:
            doc.get(SHEET, "C3")
        assert err.value.error_type == "OfficeDead"
    assert not _group_pids(pgid)
