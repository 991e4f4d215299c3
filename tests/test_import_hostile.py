"""Broken and hostile returned files: each gives its finding, none stops the others, none is touched.

The corpus is built on the fly by `tests/hostile.py` (nothing binary is committed): files that
are not workbooks, damaged, encrypted or in the old .xls format; zip bombs; XML entity attacks;
a file of 300 MB and a sheet of a million rows; formulas and external links in input cells;
macros; sheets renamed, moved, hidden, copied, added or stripped of their metadata; returns of
another plan or round; duplicates. Every file is read alone (`read_return`) and all of them
together with one good return in one folder (`import_returns`): the good one still imports.
"""

from __future__ import annotations

import hashlib
import io
import os
import json
import pathlib
import re
import socket
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile
import zlib

import pytest

from schede_excel.findings import Severity
from schede_excel.returns.importer import import_returns, read_return
from schede_excel.sheet.layout import sheet_names
from schede_excel.spreadsheet.reader import Limits, UnreadableFile, read_workbook
from tests import hostile
from tests.hostile import CASE_FILES, achieved, corpus_plan, fill, parts, set_cells, sheet_parts

MB = 2**20


@pytest.fixture(scope="module")
def plan():
    return corpus_plan()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """(folder, cases by file name): the whole corpus, built once for the module."""
    folder = tmp_path_factory.mktemp("ritorni")
    return folder, hostile.build_corpus(folder)


@pytest.fixture
def no_network(monkeypatch):
    """Every attempt to open a connection is recorded and refused."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("rete vietata nei test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def codes(findings) -> set[str]:
    return {f.code for f in findings}


def peak_mb(function, *args, **kwargs):
    """(result, peak MB allocated by Python while running it)."""
    tracemalloc.start()
    try:
        result = function(*args, **kwargs)
        return result, tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()


def test_the_corpus_is_what_the_tests_name(corpus):
    folder, cases = corpus
    assert set(cases) == set(CASE_FILES)
    assert sorted(p.name for p in folder.iterdir()) == sorted(CASE_FILES)


# ---------------------------------------------------------------- each file alone

@pytest.mark.parametrize("name", [n for n in CASE_FILES if n != "enorme.xlsx"])
def test_each_file_read_alone_gives_its_finding(plan, corpus, no_network, name):
    folder, cases = corpus
    case = cases[name]
    read = read_return(plan, (folder / name).read_bytes(), name, round_=case.meta.get("round_"))
    found = codes(read.findings)
    assert case.codes <= found, case.what
    assert all(f.file == name for f in read.findings)
    if not case.readable:
        assert found == case.codes, case.what
        assert not read.file.readable and read.objectives == []
        assert all(f.severity is Severity.ERROR for f in read.findings)
    else:
        assert read.file.readable and not any(code.startswith("READ_") for code in found), case.what
    if "expected" in case.meta:
        assert achieved(read.objectives) == case.meta["expected"], case.what
        assert {r.sector for r in read.objectives} == {case.sector}
    assert no_network == []


def test_an_oversized_buffer_is_refused_before_anything_else(plan):
    limits = Limits(max_file_bytes=1000)
    read = read_return(plan, b"PK\x03\x04" + bytes(1000), "enorme.xlsx", limits=limits)
    assert codes(read.findings) == {"READ_003"}


def test_a_file_of_hundreds_of_mb_is_refused_without_reading_it(plan, corpus, monkeypatch):
    folder, _ = corpus
    huge = folder / "enorme.xlsx"
    assert huge.stat().st_size >= 300 * MB
    opened = []
    real_open = pathlib.Path.open

    def spy(self, *args, **kwargs):
        opened.append(self.name)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", spy)
    result, peak = peak_mb(import_returns, plan, [huge])
    assert codes(result.findings) == {"READ_003"}
    assert result.files[0].readable is False
    assert "enorme.xlsx" not in opened
    assert peak < 20


@pytest.mark.parametrize("name", ["bomba.xlsx", "bomba-rapporto.xlsx", "bomba-bugiarda.xlsx"])
def test_zip_bombs_are_refused_in_bounded_memory(plan, corpus, name):
    """2 GB declared, a 1000:1 ratio, a central directory that lies: refused, never inflated."""
    folder, cases = corpus
    data = (folder / name).read_bytes()
    assert len(data) < 3 * MB
    read, peak = peak_mb(read_return, plan, data, name)
    assert codes(read.findings) == cases[name].codes
    assert peak < 20


def test_the_lying_bomb_really_holds_gigabytes(corpus):
    """The central directory says 30 KB; the stream inflates far beyond it (checked on the first 10 MB only)."""
    folder, _ = corpus
    with zipfile.ZipFile(folder / "bomba-bugiarda.xlsx") as z:
        info = z.getinfo("xl/worksheets/sheet2.xml")
        assert info.file_size == 30_000 and info.compress_size > MB
        raw = (folder / "bomba-bugiarda.xlsx").read_bytes()
    start = info.header_offset + 30 + len(info.filename)
    inflater = zlib.decompressobj(-15)
    assert len(inflater.decompress(raw[start:start + 20_000], 10 * MB)) == 10 * MB


@pytest.mark.parametrize("name", [n for n in CASE_FILES if n.startswith("xml-")])
def test_xml_attacks_expand_and_fetch_nothing(plan, corpus, no_network, name):
    folder, _ = corpus
    read, peak = peak_mb(read_return, plan, (folder / name).read_bytes(), name)
    assert codes(read.findings) == {"READ_004"}
    assert "root:" not in json.dumps([f.as_row() for f in read.findings], ensure_ascii=False)
    assert peak < 20
    assert no_network == []


def test_the_xml_attacks_are_in_the_parts_named(corpus):
    folder, _ = corpus
    for attack in ("laughs", "external"):
        for part, short in (("xl/worksheets/sheet2.xml", "foglio"), ("xl/sharedStrings.xml", "stringhe"),
                            ("xl/workbook.xml", "cartella")):
            xml = parts((folder / f"xml-{attack}-{short}.xlsx").read_bytes())[part]
            assert b"<!DOCTYPE" in xml and hostile.ENTITY[attack].encode() in xml
    utf16 = parts((folder / "xml-external-utf16.xlsx").read_bytes())["xl/worksheets/sheet2.xml"]
    assert utf16.startswith(b"\xff\xfe") and b"<!DOCTYPE" not in utf16 and "<!DOCTYPE".encode("utf-16-le") in utf16


def test_a_million_rows_are_cut_quickly_in_bounded_memory(plan, corpus):
    folder, cases = corpus
    name = "righe-milione-S10.xlsx"
    with zipfile.ZipFile(folder / name) as z:
        sheet = sheet_parts((folder / name).read_bytes())[sheet_names(plan.objectives_of(plan.sector("S10")))[-1]]
        assert z.getinfo(sheet).file_size > 30 * MB
    read, peak = peak_mb(read_return, plan, (folder / name).read_bytes(), name)
    cut = [f for f in read.findings if f.code == "RET_014"]
    assert len(cut) == 1 and cut[0].sheet == "S10 1 OBIETTIVO DEL SETTORE 10"
    assert achieved(read.objectives) == cases[name].meta["expected"]
    assert peak < 200


def _ods_with_rows(rows: int) -> bytes:
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        with z.open("content.xml", "w") as handle:
            handle.write(f'<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="{office}" '
                         'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.3">'
                         '<office:body><office:spreadsheet><table:table table:name="Foglio1">'.encode())
            for start in range(0, rows, 10_000):
                handle.write("".join('<table:table-row><table:table-cell office:value-type="float" '
                                     f'office:value="{n}"/></table:table-row>'
                                     for n in range(start, min(rows, start + 10_000))).encode())
            handle.write(b"</table:table></office:spreadsheet></office:body></office:document-content>")
    return out.getvalue()


def test_a_million_rows_in_an_ods_stay_in_bounded_memory(tmp_path):
    """The whole process's peak (libxml2's memory included, which tracemalloc does not see)."""
    path = tmp_path / "righe.ods"
    path.write_bytes(_ods_with_rows(1_000_000))
    script = textwrap.dedent(f"""
        import json, resource
        from schede_excel.spreadsheet.reader import read_workbook
        data = open({str(path)!r}, "rb").read()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sheet = read_workbook(data, "righe.ods").sheets[0]
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        print(json.dumps({{"cells": len(sheet.cells), "cut": sheet.rows_cut, "mb": grown}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    assert result["cells"] == Limits().max_rows and result["cut"]
    assert result["mb"] < 300  # a whole tree of the million rows took about 800 MB


def test_repeated_rows_past_the_limit_are_reported_cut():
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="{office}" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
               '<table:table table:name="Foglio1"><table:table-row table:number-rows-repeated="1000000000">'
               '<table:table-cell table:number-columns-repeated="1000000000" office:value-type="string">'
               '<text:p>x</text:p></table:table-cell></table:table-row></table:table>'
               '</office:spreadsheet></office:body></office:document-content>')
    data = hostile.rewrite_zip(hostile.ods_bytes(), {"content.xml": content.encode()})
    sheet = read_workbook(data, "ripetute.ods").sheets[0]
    limits = Limits()
    assert sheet.rows_cut and len(sheet.cells) == limits.max_rows * limits.max_cols


# ---------------------------------------------------------------- readable but unusual

def test_a_formula_with_an_external_link_gives_its_cached_value(plan, corpus, no_network):
    folder, cases = corpus
    case = cases["formula-esterna-S01.xlsx"]
    read = read_return(plan, (folder / case.file).read_bytes(), case.file)
    formula = [f for f in read.findings if f.code == "RET_012"]
    assert [(f.sheet, f.cell) for f in formula] == [("S01 1 OBIETTIVO DEL SETTORE 1", case.meta["cell"])]
    assert "[1]Foglio1!A1" in formula[0].message
    link = [f for f in read.findings if f.code == "RET_002"]
    assert len(link) == 1 and link[0].severity is Severity.INFO and link[0].params["count"] == 1
    assert achieved(read.objectives)[("S01/1", "quantita", 1)] == 0.9
    assert no_network == []


def test_macros_are_reported_and_never_run(plan, corpus):
    folder, _ = corpus
    data = (folder / "macro-S02.xlsm").read_bytes()
    assert "xl/vbaProject.bin" in parts(data)
    read = read_return(plan, data, "macro-S02.xlsm")
    assert read.file.format == "xlsm"
    assert [f.severity for f in read.findings if f.code == "RET_001"] == [Severity.INFO]


def test_sheets_renamed_reordered_and_hidden_are_still_identified(plan, corpus):
    folder, cases = corpus
    read = read_return(plan, (folder / "rinominati-S03.xlsx").read_bytes(), "rinominati-S03.xlsx")
    assert {(r.objective, r.sheet) for r in read.objectives} == {("TUTTI/1", "Scheda mia 1"), ("S03/1", "Scheda mia 2")}
    book = read_workbook((folder / "rinominati-S03.xlsx").read_bytes(), "rinominati-S03.xlsx")
    assert [(s.name, s.hidden) for s in book.sheets] == [("Scheda mia 2", False), ("Scheda mia 1", True),
                                                         ("Istruzioni", False)]
    assert not codes(read.findings) & {"RET_003", "RET_018"}


def test_a_sheet_copied_into_another_workbook_is_identified(plan, corpus):
    folder, cases = corpus
    read = read_return(plan, (folder / "copiato-S04.xlsx").read_bytes(), "copiato-S04.xlsx")
    assert [(r.objective, r.sheet) for r in read.objectives] == [("S04/1", "Copia della scheda")]
    assert not codes(read.findings) & {"RET_003", "RET_018"}


def test_sheets_added_by_the_user_are_ignored_and_reported(plan, corpus):
    folder, _ = corpus
    read = read_return(plan, (folder / "fogli-aggiunti-S05.xlsx").read_bytes(), "fogli-aggiunti-S05.xlsx")
    assert sorted(f.sheet for f in read.findings if f.code == "RET_003") == ["Appunti", "Riepilogo"]
    assert {r.objective for r in read.objectives} == {"TUTTI/1", "S05/1"}


def test_sheets_without_their_metadata_are_identified_by_their_labels(plan, corpus):
    folder, _ = corpus
    read = read_return(plan, (folder / "senza-metadati-S06.xlsx").read_bytes(), "senza-metadati-S06.xlsx")
    assert sorted(f.sheet for f in read.findings if f.code == "RET_018") == sorted(r.sheet for r in read.objectives)
    assert {r.objective for r in read.objectives} == {"TUTTI/1", "S06/1"}


def test_a_final_review_return_is_read_when_no_round_is_asked(plan, corpus):
    folder, _ = corpus
    read = read_return(plan, (folder / "verifica-finale-S07.xlsx").read_bytes(), "verifica-finale-S07.xlsx")
    assert "RET_005" not in codes(read.findings)
    assert {r.round for r in read.objectives} == {"final"}


# ---------------------------------------------------------------- cells a crafted file can hold

def _good(plan, corpus) -> tuple[bytes, str]:
    folder, _ = corpus
    data = (folder / "00-buono-FIN.xlsx").read_bytes()
    return data, sheet_parts(data)["TUTTI 1 TRASPARENZA"]


@pytest.mark.parametrize("stored", ["<v>abc</v>", "<v>inf</v>", "<v>nan</v>", "<v>-1e999</v>"])
def test_a_stored_number_that_is_not_a_number_is_refused_at_its_cell(plan, corpus, stored):
    data, part = _good(plan, corpus)
    data = hostile.rewrite_zip(data, {part: set_cells(parts(data)[part], {"D23": ("raw", None, stored)})})
    read = read_return(plan, data, "numeri.xlsx")
    refused = [(f.sheet, f.cell) for f in read.findings if f.code == "RET_011"]
    assert refused == [("TUTTI 1 TRASPARENZA", "D23")]
    assert achieved(read.objectives)[("TUTTI/1", "quantita", 1)] is None
    assert len(read.objectives) == 3


@pytest.mark.parametrize("part, old, new", [
    ("sheet", b'<c r="D23" s="17"', b'<c r="D23" s="x"'),
    ("xl/styles.xml", b'numFmtId="', b'numFmtId="x'),
])
def test_garbage_in_the_structure_is_a_damaged_file_not_an_exception(plan, corpus, part, old, new):
    data, sheet = _good(plan, corpus)
    part = sheet if part == "sheet" else part
    data = hostile.rewrite_zip(data, {part: parts(data)[part].replace(old, new, 1)})
    assert codes(read_return(plan, data, "rovinato.xlsx").findings) == {"READ_002"}


@pytest.mark.parametrize("cell", [
    '<table:table-cell office:value-type="float" office:value="abc"/>',
    '<table:table-cell office:value-type="float"/>',
    '<table:table-cell office:value-type="percentage" office:value="inf"/>',
    '<table:table-cell office:value-type="date" office:date-value="31/12/2023"/>',
    '<table:table-cell table:number-columns-repeated="-5" office:value-type="string"><text:p>x</text:p></table:table-cell>',
    '<table:table-cell table:number-columns-repeated="molte"/>',
])
def test_ods_cells_a_crafted_file_holds_never_raise(cell):
    content = (hostile.parts(hostile.ods_bytes())["content.xml"].decode()
               .replace("<table:table-row>", "<table:table-row>" + cell, 1))
    data = hostile.rewrite_zip(hostile.ods_bytes(), {"content.xml": content.encode()})
    try:
        book = read_workbook(data, "celle.ods")
    except UnreadableFile as error:
        assert codes(error.findings) == {"READ_002"}
    else:
        values = [c.value for c in book.sheets[0].cells.values()]
        assert all(v is None or isinstance(v, (str, bool)) or v == v and abs(v) != float("inf") for v in values)


def test_ods_cells_with_one_attribute_and_no_paragraph_keep_their_place_and_content():
    """A childless cell with one attribute is a blank only when that attribute is its style or its column
    count: a formula, a span or a value written without a paragraph is read like any other cell."""
    cells = ('<table:table-cell table:style-name="ce1"/>'  # A: blank
             '<table:table-cell table:number-columns-repeated="2"/>'  # B, C: blank
             '<table:table-cell table:formula="of:=1+1"/>'  # D: a formula, no cached value
             '<table:table-cell table:number-columns-spanned="2"/>'  # E:F merged, empty
             '<table:table-cell table:style-name="ce1"/>'  # F: the covered cell, written as a plain one
             '<table:table-cell office:string-value="solo attributo"/>'  # G: no type, no paragraph: nothing
             '<table:table-cell office:value-type="string" office:string-value="testo"/>'  # H
             '<table:table-cell table:number-columns-repeated="1"/>'  # I
             '<table:table-cell office:value-type="float" office:value="7"/>')  # J
    content = (hostile.parts(hostile.ods_bytes())["content.xml"].decode()
               .replace("<table:table-row>", "<table:table-row>" + cells, 1))
    sheet = read_workbook(hostile.rewrite_zip(hostile.ods_bytes(), {"content.xml": content.encode()}), "x.ods").sheets[0]
    found = {col: (cell.value, cell.formula) for (row, col), cell in sheet.cells.items() if row == 0}
    assert found == {3: (None, "of:=1+1"), 7: ("testo", None), 9: (7.0, None), 10: ("Comune di Borgo Prova", None)}
    assert sheet.merges == [(0, 4, 0, 5)]


def test_ods_cells_with_the_same_attributes_keep_each_their_own_text_place_and_span():
    """What a set of attributes means is worked out once per workbook: the cells that share them still
    keep their own text, column, merged range and cut, in every row they are in."""
    text = '<table:table-cell table:style-name="ce1" office:value-type="string"><text:p>{}</text:p></table:table-cell>'
    span = '<table:table-cell table:number-columns-spanned="2" office:value-type="float" office:value="3"/>'
    long = "x" * 40_000
    row = (text.format("uno") + span + '<table:covered-table-cell/>' + text.format("due")
           + '<table:table-cell office:value-type="percentage" office:value="3"/>' + text.format(long)
           + '<table:table-cell office:value-type="float" office:value="8"/>'
           + '<table:table-cell office:value-type="float" office:value="9"/>')
    content = (hostile.parts(hostile.ods_bytes())["content.xml"].decode()
               .replace("<table:table-row>", f"<table:table-row>{row}</table:table-row><table:table-row>"
                        + row.replace("uno", "tre"), 1))
    sheet = read_workbook(hostile.rewrite_zip(hostile.ods_bytes(), {"content.xml": content.encode()}), "x.ods").sheets[0]
    found = {(r, c): (cell.value, cell.is_percent) for (r, c), cell in sheet.cells.items() if r < 2 and c < 8}
    cut = long[:32767]
    assert found == {(0, 0): ("uno", False), (0, 1): (3.0, False), (0, 3): ("due", False), (0, 4): (3.0, True),
                     (0, 5): (cut, False), (0, 6): (8.0, False), (0, 7): (9.0, False),
                     (1, 0): ("tre", False), (1, 1): (3.0, False), (1, 3): ("due", False),
                     (1, 4): (3.0, True), (1, 5): (cut, False), (1, 6): (8.0, False), (1, 7): (9.0, False)}
    assert sheet.merges[:2] == [(0, 1, 0, 2), (1, 1, 1, 2)] and {(0, 5), (1, 5)} <= sheet.cut_texts


@pytest.mark.parametrize("small_sheet", [True, False])
def test_ods_repeated_rows_count_against_the_cells_limit_and_a_negative_count_repeats_nothing(small_sheet, monkeypatch):
    """A row repeated N times stores its cells N times, each against `Limits.max_cells`; a count below
    zero repeats nothing, so it can never take cells back from the limit (-N then N rows would
    otherwise store N times the row's cells past it)."""
    import schede_excel.spreadsheet.reader as reader

    if not small_sheet:
        monkeypatch.setattr(reader, "SMALL_SHEET", -1)
    cell = '<table:table-cell table:number-columns-repeated="4" office:value-type="float" office:value="1"/>'

    def read(rows: str, limits: Limits):
        content = (hostile.parts(hostile.ods_bytes())["content.xml"].decode()
                   .replace("<table:table-row>", rows + "<table:table-row>", 1))
        return _read_or_findings(hostile.rewrite_zip(hostile.ods_bytes(), {"content.xml": content.encode()}), "r.ods",
                                 limits)

    repeated = f'<table:table-row table:number-rows-repeated="3">{cell}</table:table-row>'
    assert codes(read(repeated, Limits(max_cells=12))) == {"READ_003"}  # 12 of the row, and the title below
    assert len(read(repeated, Limits(max_cells=13)).sheets[0].cells) == 13
    crafted = (f'<table:table-row table:number-rows-repeated="-50">{cell}</table:table-row>'
               f'<table:table-row table:number-rows-repeated="50">{cell}</table:table-row>')
    assert codes(read(crafted, Limits(max_cells=100))) == {"READ_003"}
    assert len(read(crafted, Limits(max_cells=201)).sheets[0].cells) == 201


@pytest.mark.parametrize("cells", [
    '<table:table-cell table:number-columns-repeated="+64"/><table:table-cell table:number-columns-repeated="x"/>',
    '<table:table-cell table:number-columns-repeated="64"/><table:table-cell table:number-columns-repeated="9999"/>',
])
def test_an_ods_cell_past_the_columns_read_is_never_looked_at_by_the_tree_or_the_stream(cells, monkeypatch):
    """Past `Limits.max_cols` the stream drops cells unread; the tree walk stops there too, so a column count
    it could not read in such a cell does not make the file unreadable in one path and not in the other."""
    import schede_excel.spreadsheet.reader as reader

    content = (hostile.parts(hostile.ods_bytes())["content.xml"].decode()
               .replace("<table:table-row>", "<table:table-row>" + cells, 1))
    data = hostile.rewrite_zip(hostile.ods_bytes(), {"content.xml": content.encode()})
    limits = Limits(max_cols=64)
    tree = read_workbook(data, "x.ods", limits).sheets[0]
    monkeypatch.setattr(reader, "SMALL_SHEET", -1)
    stream = read_workbook(data, "x.ods", limits).sheets[0]
    assert tree.cells == stream.cells == {}  # the one text sits past column 64


def _read_or_findings(data: bytes, name: str, limits: Limits = Limits()):
    try:
        return read_workbook(data, name, limits)
    except UnreadableFile as error:
        return error.findings


def test_formatted_blanks_taken_out_before_parsing_change_nothing_read(corpus, monkeypatch):
    """The reader drops `<c r=".." s=".."/>` from a sheet's bytes before parsing it: every file of the
    hostile corpus reads exactly the same with and without that step."""
    from schede_excel.spreadsheet import reader

    folder, _ = corpus
    files = [p for p in sorted(folder.iterdir()) if p.suffix in (".xlsx", ".xlsm") and p.stat().st_size < 2**20]
    assert len(files) > 20
    fast = [_read_or_findings(p.read_bytes(), p.name) for p in files]
    monkeypatch.setattr(reader, "_BLANK_CELL", re.compile(rb"(?!)"))
    assert [_read_or_findings(p.read_bytes(), p.name) for p in files] == fast
    assert sum(isinstance(book, reader.RawWorkbook) for book in fast) >= 10


def test_an_xlsx_sheet_parsed_whole_reads_as_the_stream_reads_it(plan, corpus, tmp_path, monkeypatch):
    """A small worksheet is parsed whole, and what a cell holding a <v> alone stores is worked out once
    per style, type and text for the whole workbook; a large one is streamed cell by cell: the two read
    the same, on the hostile corpus and where the same text means different things from cell to cell."""
    from schede_excel.spreadsheet import reader

    data = hostile.generated(plan, tmp_path)["S20"]
    book = hostile.parts(data)
    forms = [(index, part) for index, part in enumerate(sheet_parts(data).values()) if b'<c r="L1"' in book[part]]
    (one, first), (other, second) = forms[:2]
    styles = reader._styles(reader._Zip(data, "x.xlsx", Limits()))[0]
    date_style = styles.index(True)
    plain = 0 if date_style else 1
    same_text = {  # the same <v> text, typed and styled differently, in both sheets
        "A1": ("raw", "s", "<v>0</v>"), "B1": ("raw", None, "<v>0</v>"), "C1": ("raw", "b", "<v>0</v>"),
        "D1": ("raw", "str", "<v>0</v>"), "E1": ("raw", "inlineStr", "<v>0</v>"), "F1": ("raw", "e", "<v>0</v>"),
        "G1": ("raw", "s", "<v>99999</v>"), "H1": ("raw", "n", "<v>45000</v>"), "I1": ("raw", "d", "<v>2023-10-20</v>"),
        "J1": ("raw", "str", "<v>a_x000D_b</v>"), "K1": ("raw", None, "<v></v>"), "L1": ("raw", None, "<v>inf</v>"),
    }
    xml = {part: book[part] for part in (first, second)}
    for part, style in ((first, date_style), (second, plain)):
        sheet = hostile.set_cells(xml[part], same_text)
        xml[part] = re.sub(rb'(<c r="[A-L]1") s="\d+"', rb'\1 s="%d"' % style, sheet)
    crafted = hostile.rewrite_zip(data, xml)
    # The same again with dates counted from 1904 and a day-month format (its written format is kept) in H1.
    styles_xml = book["xl/styles.xml"]
    day_month = len(re.findall(rb"<xf ", styles_xml.split(b"<cellXfs")[1].split(b"</cellXfs>")[0]))
    styles_xml = styles_xml.replace(b"</cellXfs>", b'<xf numFmtId="16" fontId="0" fillId="0" borderId="0" '
                                    b'xfId="0" applyNumberFormat="1"/></cellXfs>')
    xml[second] = re.sub(rb'(<c r="H1") s="\d+"', rb'\1 s="%d"' % day_month, xml[second])
    crafted_1904 = hostile.rewrite_zip(data, {**xml, "xl/styles.xml": styles_xml, "xl/workbook.xml": book[
        "xl/workbook.xml"].replace(b"<workbookPr ", b'<workbookPr date1904="1" ')})
    folder, _ = corpus
    files = [p.read_bytes() for p in sorted(folder.iterdir())
             if p.suffix in (".xlsx", ".xlsm") and p.stat().st_size < 2**20] + [crafted, crafted_1904]
    whole = [_read_or_findings(d, "r.xlsx") for d in files]
    books = [b for b in whole if isinstance(b, reader.RawWorkbook)]
    assert len(books) >= 10
    read = [whole[-2].sheets[one], whole[-2].sheets[other]]
    assert read[0].cells[(0, 7)].is_date and not read[1].cells[(0, 7)].is_date
    assert (read[0].cells[(0, 1)].value, read[0].cells[(0, 2)].value, read[0].cells[(0, 3)].value) == (0.0, False, "0")
    late = [whole[-1].sheets[one], whole[-1].sheets[other]]
    assert late[0].cells[(0, 7)].value == late[1].cells[(0, 7)].value == 45000 + 1462  # both dates, shifted
    assert late[1].cells[(0, 1)].date1904 and not late[1].cells[(0, 7)].date1904
    assert late[1].written_formats[(0, 7)] == "d-mmm" and (0, 7) not in late[0].written_formats
    stored = sum(len(s.cells) for s in whole[-1].sheets)
    limits = [Limits(), Limits(max_cells=stored), Limits(max_cells=stored - 1)]
    boundary = [_read_or_findings(crafted_1904, "r.xlsx", lim) for lim in limits]
    assert isinstance(boundary[1], reader.RawWorkbook) and codes(boundary[2]) == {"READ_003"}
    monkeypatch.setattr(reader, "SMALL_SHEET", -1)
    assert [_read_or_findings(d, "r.xlsx") for d in files] == whole
    assert [_read_or_findings(crafted_1904, "r.xlsx", lim) for lim in limits] == boundary


def test_a_long_value_that_stores_nothing_is_not_kept_for_the_rest_of_the_workbook(plan, tmp_path):
    """What a value alone means is kept for the workbook only when its text is short: a crafted text
    of megabytes in every sheet, stored nowhere (an inline string with no <is>), is not held."""
    data = hostile.generated(plan, tmp_path)["S20"]
    book = hostile.parts(data)
    forms = [part for part in sheet_parts(data).values() if b'<c r="L1"' in book[part]]
    big = {part: hostile.set_cells(book[part], {"B1": ("raw", "inlineStr", f"<v>{k}{'x' * 3_000_000}</v>")})
           for k, part in enumerate(forms)}
    assert len(big) >= 2
    one, peak_one = peak_mb(read_workbook, hostile.rewrite_zip(data, dict(list(big.items())[:1])), "uno.xlsx")
    every, peak_every = peak_mb(read_workbook, hostile.rewrite_zip(data, big), "tutti.xlsx")
    assert all((0, 1) not in s.cells for s in one.sheets + every.sheets)
    assert peak_every < peak_one + 1, f"{peak_one:.1f} MB with one such sheet, {peak_every:.1f} MB with {len(big)}"


@pytest.mark.parametrize("row", [
    '<row r="1"><!-- <c r="--><c r=\'A1\'><v>7</v></c><!--" s=""/> --></row>',  # a blank's shape across a comment
    '<row r="1"><!-- -<c r="A1"/>-> <c r="B1"><v>5</v></c> --></row>',  # ... inside one, that would end it early
    '<row r="1"><?x <c r="?><c r=\'A1\'><v>7</v></c><?x "/>?></row>',  # ... across processing instructions
    '<row r="1"><c r="A1" s=""><v>7</v></c></row>',  # an empty style attribute
])
def test_a_sheet_with_comments_or_instructions_reads_as_it_parses(plan, tmp_path, monkeypatch, row):
    """Where a blank cell's shape could reach into or out of a comment or an instruction, the
    bytes are parsed as they are: the same reading (or the same refusal) as without the step."""
    from schede_excel.spreadsheet import reader

    data = hostile.generated(plan, tmp_path)["S20"]
    part = next(iter(sheet_parts(data).values()))
    sheet = hostile.parts(data)[part].decode()
    crafted = re.sub(r"<sheetData>.*</sheetData>", f"<sheetData>{row}</sheetData>", sheet, flags=re.S)
    data = hostile.rewrite_zip(data, {part: crafted.encode()})
    fast = _read_or_findings(data, "commenti.xlsx")
    monkeypatch.setattr(reader, "_BLANK_CELL", re.compile(rb"(?!)"))
    assert _read_or_findings(data, "commenti.xlsx") == fast


@pytest.mark.parametrize("limits", [Limits(), Limits(max_rows=30), Limits(max_cols=5), Limits(max_elements=300),
                                    Limits(max_cells=40), Limits(columns=frozenset({0, 3, 6}))])
def test_an_ods_parsed_whole_reads_as_the_stream_reads_it(libreoffice_return, monkeypatch, limits):
    """A small content.xml is parsed whole and walked; a large one streamed: the two read the same."""
    from schede_excel.spreadsheet import reader

    _, data, _ = libreoffice_return
    content = hostile.parts(data)["content.xml"].decode()
    hidden = re.sub(r'(<table:table table:name="[^"]*" table:style-name=")[^"]*"', r'\1nascosto"', content, count=1) \
        .replace("<office:automatic-styles>", '<office:automatic-styles><style:style style:name="nascosto" '
                 'style:family="table"><style:table-properties table:display="false"/></style:style>', 1)
    assert hidden != content
    cell = '<table:table-cell office:value-type="float" office:value="7"><text:p>7</text:p></table:table-cell>'
    odd = [  # rows inside a row's cell; column counts not in digits; a row's child that is not a cell
        '<table:table-row><table:table-cell><table:table-rows><table:table-row>' + cell.replace("7", "1")
        + '</table:table-row></table:table-rows></table:table-cell>' + cell + '</table:table-row>',
        '<table:table-row>' + '<table:table-cell table:number-columns-repeated=" 0"/>' * 64 + cell + '</table:table-row>',
        '<table:table-row><table:table-cell table:number-columns-repeated="64"/>'
        '<table:table-cell table:number-columns-repeated="x"/></table:table-row>',
        '<table:table-row>' + cell + '<text:p>x</text:p>' * 400 + '</table:table-row>',
    ]
    first_row = content.index("<table:table-row")
    variants = [data, hostile.rewrite_zip(data, {"content.xml": hidden.encode()}), hostile.ods_bytes()] + [
        hostile.rewrite_zip(data, {"content.xml": (content[:first_row] + extra + content[first_row:]).encode()})
        for extra in odd]
    whole = [_read_or_findings(d, "r.ods", limits) for d in variants]
    monkeypatch.setattr(reader, "SMALL_SHEET", -1)
    assert [_read_or_findings(d, "r.ods", limits) for d in variants] == whole
    if limits == Limits():
        books = [b for b in whole[:3] if isinstance(b, reader.RawWorkbook)]
        assert len(books) == 3 and books[1].sheets[0].hidden and not books[0].sheets[0].hidden
        assert any(s.names for s in books[0].sheets) and any(s.merges for s in books[0].sheets)


@pytest.mark.parametrize("text", ['a <c r="B1" s="1"/> b', '<c r="B1"/>'])
def test_a_cell_text_that_reads_like_a_blank_cell_is_kept_whole(plan, tmp_path, text):
    """In a CDATA section the bytes of a blank cell are text, and are read as the text they are."""
    data = hostile.generated(plan, tmp_path)["S20"]
    part = next(iter(sheet_parts(data).values()))
    sheet = hostile.parts(data)[part].decode()
    cell = re.search(r'<c r="A1"[^>]*>.*?</c>', sheet).group(0)
    crafted = f'<c r="A1" t="inlineStr"><is><t><![CDATA[{text}]]></t></is></c>'
    data = hostile.rewrite_zip(data, {part: sheet.replace(cell, crafted, 1).encode()})
    book = read_workbook(data, "cdata.xlsx")
    assert book.sheets[0].cells[(0, 0)].value == text
    assert (0, 1) not in book.sheets[0].cells


@pytest.mark.parametrize("serial", ["1e300", "-1e300"])
def test_a_date_serial_out_of_range_is_refused_not_blank(plan, corpus, serial):
    data, part = _good(plan, corpus)
    data = hostile.rewrite_zip(data, {part: set_cells(parts(data)[part], {"D26": ("raw", None, f"<v>{serial}</v>")})})
    read = read_return(plan, data, "date.xlsx")
    assert ("TUTTI 1 TRASPARENZA", "D26") in [(f.sheet, f.cell) for f in read.findings if f.code == "RET_011"]
    assert ("TUTTI 1 TRASPARENZA", "D26") not in [(f.sheet, f.cell) for f in read.findings if f.code == "RET_013"]


_TAMPERED = ['"settore": ["FIN"]', '"obiettivo": {"a": 1}', '"turno": ["interim"]', '"turno": {"a": 1}',
             '"piano": ["x"], "anno": "duemila"', '"layout": [1], "impronta": 5']


@pytest.mark.parametrize("tampered", _TAMPERED)
def test_hidden_metadata_of_the_wrong_types_never_raises(plan, corpus, tampered):
    """Someone edited the hidden JSON by hand: the sheet is read or reported, never an exception."""
    data, part = _good(plan, corpus)
    xml = parts(data)[part]
    meta = json.loads(re.search(rb'\{"app": "schede-excel"[^<]*\}', xml).group(0))
    meta.update(json.loads("{" + tampered + "}"))
    text = json.dumps(meta, ensure_ascii=False).replace("&", "&amp;").replace("<", "&lt;")
    xml = re.sub(rb'\{"app": "schede-excel"[^<]*\}', text.encode().replace(b"\\", b"\\\\"), xml)
    read = read_return(plan, hostile.rewrite_zip(data, {part: xml}), "metadati.xlsx")
    assert read.file.readable
    read_or_reported = ("TUTTI 1 TRASPARENZA" in {r.sheet for r in read.objectives}
                        | {f.sheet for f in read.findings if f.code == "RET_003"}) or "RET_004" in codes(read.findings)
    assert read_or_reported


# ---------------------------------------------------------------- all together

def _snapshot(folder):
    """Bytes (hashed), mtime and mode of every file: the sparse one by its size only."""
    state = {}
    for path in sorted(folder.iterdir()):
        info = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if info.st_size < 100 * MB else info.st_size
        state[path.name] = (digest, info.st_mtime_ns, info.st_mode)
    return state


def test_one_folder_of_everything_one_bad_file_never_stops_the_others(plan, corpus, no_network, monkeypatch):
    folder, cases = corpus
    before = _snapshot(folder)
    written = []
    real_open = pathlib.Path.open

    def spy(self, mode="r", *args, **kwargs):
        if any(flag in mode for flag in "wax+"):
            written.append(self)
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", spy)
    result = import_returns(plan, [folder], round_="interim")

    assert _snapshot(folder) == before and written == []
    assert no_network == []
    files = {pathlib.Path(f.path).name: f for f in result.files}
    assert set(files) == set(CASE_FILES)
    for name, case in cases.items():
        found = codes(result.findings_for(str(folder / name)))
        assert case.codes | case.folder_codes <= found, (name, case.what, found)
        assert files[name].readable is case.readable, name
        used = case.readable if case.used is None else case.used
        assert files[name].used is used, (name, case.what)
    assert sorted(f.path for f in result.unreadable) == sorted(str(folder / n) for n, c in cases.items() if not c.readable)

    # The good return, and every readable one, imported in full.
    by_file = {}
    for record in result.objectives:
        by_file.setdefault(pathlib.Path(record.file).name, []).append(record)
    for name, case in cases.items():
        if "expected" in case.meta:
            assert achieved(by_file[name]) == case.meta["expected"], name
    good = by_file["00-buono-FIN.xlsx"]
    assert {r.objective for r in good} == {o.key for o in plan.objectives_of(plan.sector("FIN"))}
    assert all(i.achieved is not None for r in good for i in r.indicators)
    assert not [f for f in result.findings_for(str(folder / "00-buono-FIN.xlsx")) if f.severity is not Severity.INFO]

    # Superseded and duplicate returns: said where, and the right one counts.
    older = [f for f in result.findings if f.code == "RET_006"]
    assert [(pathlib.Path(f.file).name, pathlib.Path(f.params["newer"]).name) for f in older] == [
        ("a-S09-vecchio.xlsx", "b-S09-nuovo.xlsx")]
    duplicate = [f for f in result.findings if f.code == "RET_007"]
    assert [(pathlib.Path(f.file).name, pathlib.Path(f.params["other"]).name) for f in duplicate] == [
        ("doppio-S08-b-copia.xlsx", "doppio-S08-a.xlsx")]
    assert {r.sector for r in result.objectives} == {"FIN", "S01", "S02", "S03", "S04", "S05", "S06", "S08", "S09", "S10"}
    assert [pathlib.Path(f.file).name for f in result.findings if f.code == "RET_008"] == ["copiato-S04.xlsx"]
    tables = result.frames()
    assert len(tables["obiettivi"]) == len(result.objectives)
    assert set(tables["segnalazioni"]["codice"]) == codes(result.findings)


def test_an_old_xls_in_the_folder_is_reported(plan, corpus, tmp_path):
    folder, _ = corpus
    (tmp_path / "ritorno-FIN.xls").write_bytes(hostile.xls_bytes())
    (tmp_path / "00-buono-FIN.xlsx").write_bytes((folder / "00-buono-FIN.xlsx").read_bytes())
    result = import_returns(plan, [tmp_path])
    assert "READ_006" in codes(result.findings_for(str(tmp_path / "ritorno-FIN.xls")))


def test_an_old_xls_named_explicitly_is_reported(plan, tmp_path):
    path = tmp_path / "ritorno-FIN.xls"
    path.write_bytes(hostile.xls_bytes())
    result = import_returns(plan, [path])
    assert codes(result.findings) == {"READ_006"}


def test_the_built_ole_files_are_real_compound_files():
    olefile = pytest.importorskip("olefile")
    xls = olefile.OleFileIO(io.BytesIO(hostile.xls_bytes()))
    assert xls.listdir() == [["Workbook"]]
    assert xls.openstream("Workbook").read(4) == b"\x09\x08\x10\x00"


def test_the_encrypted_workbook_opens_with_its_password(corpus):
    msoffcrypto = pytest.importorskip("msoffcrypto")
    folder, _ = corpus
    office = msoffcrypto.OfficeFile(io.BytesIO((folder / "con-password.xlsx").read_bytes()))
    assert office.is_encrypted()
    office.load_key(password="segreto")
    out = io.BytesIO()
    office.decrypt(out)
    assert out.getvalue() == (folder / "00-buono-FIN.xlsx").read_bytes()


# ---------------------------------------------------------------- through LibreOffice

def test_an_ods_saved_by_libreoffice_and_a_broken_one(libreoffice, plan, tmp_path):
    books = hostile.generated(plan, tmp_path / "generati")
    data, expected = fill(plan, books["FIN"], "FIN")
    source = tmp_path / "FIN.xlsx"
    source.write_bytes(data)
    folder = tmp_path / "ritorni"
    folder.mkdir()
    with libreoffice.open(source) as doc:
        doc.save_as(folder / "FIN.ods")
    ods = (folder / "FIN.ods").read_bytes()
    (folder / "FIN-troncato.ods").write_bytes(hostile.truncated(ods))
    other, other_expected = fill(plan, books["S01"], "S01")
    (folder / "S01.xlsx").write_bytes(other)

    read = read_return(plan, ods, "FIN.ods")
    assert read.file.format == "ods" and achieved(read.objectives) == expected
    assert not {c for c in codes(read.findings) if c.startswith("READ_")}
    assert codes(read_return(plan, hostile.truncated(ods), "FIN-troncato.ods").findings) == {"READ_002"}

    result = import_returns(plan, [folder])
    assert codes(result.findings_for(str(folder / "FIN-troncato.ods"))) == {"READ_002"}
    assert achieved([r for r in result.objectives if r.sector == "FIN"]) == expected
    assert achieved([r for r in result.objectives if r.sector == "S01"]) == other_expected


def test_a_hidden_sheet_in_an_ods_is_hidden_and_identified(libreoffice, plan, corpus, tmp_path):
    folder, _ = corpus
    with libreoffice.open(folder / "rinominati-S03.xlsx") as doc:
        doc.save_as(tmp_path / "rinominati.ods")
    data = (tmp_path / "rinominati.ods").read_bytes()
    book = read_workbook(data, "rinominati.ods")
    assert [(s.name, s.hidden) for s in book.sheets] == [("Scheda mia 2", False), ("Scheda mia 1", True),
                                                         ("Istruzioni", False)]
    read = read_return(plan, data, "rinominati.ods")
    assert {(r.objective, r.sheet) for r in read.objectives} == {("TUTTI/1", "Scheda mia 1"), ("S03/1", "Scheda mia 2")}


def test_an_ods_run_of_spaces_cannot_fill_the_memory():
    content = (hostile.parts(hostile.ods_bytes())["content.xml"].decode()
               .replace("<table:table-row>", '<table:table-row><table:table-cell office:value-type="string">'
                        '<text:p>a<text:s text:c="1500000000"/>b</text:p></table:table-cell>', 1))
    book = read_workbook(hostile.rewrite_zip(hostile.ods_bytes(), {"content.xml": content.encode()}), "spazi.ods")
    texts = [c.value for c in book.sheets[0].cells.values() if isinstance(c.value, str) and c.value.startswith("a ")]
    assert texts and len(texts[0]) <= 32767


# ---------------------------------------------------------------- issue 14: more hostile returns

from tests.hostile import HIDDEN_MARK, MORE_FILES  # noqa: E402


@pytest.fixture(scope="module")
def more(tmp_path_factory):
    """(folder, cases by file name): the returns of `hostile.build_more`, built once for the module."""
    folder = tmp_path_factory.mktemp("ritorni-piu")
    return folder, hostile.build_more(folder)


def test_the_more_corpus_is_what_the_tests_name(more):
    folder, cases = more
    assert set(cases) == set(MORE_FILES) == {p.name for p in folder.iterdir()}


@pytest.mark.parametrize("name", MORE_FILES)
def test_each_more_file_read_alone_gives_its_finding(plan, more, no_network, name):
    folder, cases = more
    case = cases[name]
    read, peak = peak_mb(read_return, plan, (folder / name).read_bytes(), name)
    found = codes(read.findings)
    assert case.codes <= found, (case.what, found)
    assert all(f.file == name for f in read.findings)
    if not case.readable:
        assert found == case.codes, case.what
        assert not read.file.readable and read.objectives == []
        assert peak < 20, case.what  # bombs and oversized archives refused before inflating anything
    else:
        assert read.file.readable and not any(code.startswith("READ_") for code in found), case.what
    if "expected" in case.meta:
        assert achieved(read.objectives) == case.meta["expected"], case.what
        assert {r.sector for r in read.objectives} == {case.sector}
    assert not any(f.severity is Severity.INFO and f.code in ("RET_011", "RET_025") for f in read.findings)


def test_a_deleted_indicator_row_shifts_no_value(plan, more):
    folder, cases = more
    case = cases["riga-cancellata-S16.xlsx"]
    read = read_return(plan, (folder / case.file).read_bytes(), case.file)
    [missing] = [f for f in read.findings if f.code == "RET_022"]
    assert missing.cell == case.meta["cell"] and "sportelli aperti" in missing.message
    assert missing.severity is Severity.ERROR


def test_sorted_rows_keep_each_value_with_its_indicator(plan, more):
    folder, cases = more
    case = cases["righe-ordinate-S15.xlsx"]
    read = read_return(plan, (folder / case.file).read_bytes(), case.file)
    assert not codes(read.findings) & {"RET_020", "RET_021", "RET_022"}
    own = next(r for r in read.objectives if r.objective == "S15/1")
    assert [(i.description, i.achieved) for i in own.indicators if i.kind.value == "quantita"] == [
        ("pratiche evase nei termini", 0.9), ("sportelli aperti", 7.0), ("controlli effettuati", 12.0)]


def test_a_filled_copy_beats_the_blank_original_and_says_so(plan, more):
    folder, cases = more
    case = cases["copia-compilata-S18.xlsx"]
    read = read_return(plan, (folder / case.file).read_bytes(), case.file)
    own = next(r for r in read.objectives if r.objective == "S18/1")
    assert own.sheet == case.meta["copy"]
    [dropped] = [f for f in read.findings if f.code == "RET_016"]
    assert dropped.sheet == case.meta["blank"] and case.meta["copy"] in dropped.message
    assert "più valori compilati" in dropped.message


def test_values_under_merged_ranges_are_reported_never_read(plan, more):
    folder, cases = more
    case = cases["sotto-unioni-S19.xlsx"]
    read = read_return(plan, (folder / case.file).read_bytes(), case.file)
    hidden = sorted(f.cell for f in read.findings if f.code == "RET_023")
    assert hidden == case.meta["hidden"] and len(hidden) > 100
    assert all(f.sheet == case.meta["sheet"] and f.severity is Severity.WARNING
               for f in read.findings if f.code == "RET_023")
    assert HIDDEN_MARK not in json.dumps([r.model_dump(mode="json") for r in read.objectives])


def test_an_implausible_save_date_never_beats_a_later_correction(plan, more, tmp_path):
    """9999 written in the file: the date on disk decides, and the later file wins."""
    folder, cases = more
    bad = tmp_path / "a-S12-9999.xlsx"
    bad.write_bytes((folder / "data-9999-S12.xlsx").read_bytes())
    corrected, values = fill(plan, hostile.generated(plan, tmp_path / "gen")["S12"], "S12", percent=0.5)
    good = tmp_path / "b-S12-corretto.xlsx"
    good.write_bytes(hostile.with_modified(corrected, hostile.datetime(2023, 7, 10, tzinfo=hostile.timezone.utc)))
    old = hostile.datetime(2023, 7, 1).timestamp()
    os.utime(bad, (old, old))
    result = import_returns(plan, [bad, good])
    assert achieved([r for r in result.objectives if r.sector == "S12"]) == values
    assert "RET_017" in codes(result.findings_for(str(bad)))


def _linked_folder(tmp_path, *folders) -> pathlib.Path:
    together = tmp_path / "tutti"
    together.mkdir()
    for folder in folders:
        for path in folder.iterdir():
            os.link(path, together / path.name)
    return together


def test_good_files_mixed_with_every_bad_one_are_imported_fully(plan, corpus, more, tmp_path, no_network):
    """Both corpora in one folder: every file gets its finding, every readable return its values."""
    together = _linked_folder(tmp_path, corpus[0], more[0])
    cases = {**corpus[1], **more[1]}
    result = import_returns(plan, [together], round_="interim")
    files = {pathlib.Path(f.path).name: f for f in result.files}
    assert set(files) == set(cases)
    by_file = {}
    for record in result.objectives:
        by_file.setdefault(pathlib.Path(record.file).name, []).append(record)
    for name, case in cases.items():
        found = codes(result.findings_for(str(together / name)))
        assert found or "expected" in case.meta, name  # a finding, or a good return read in full (below)
        assert case.codes | case.folder_codes <= found, (name, found)
        assert files[name].readable is case.readable, name
        if "expected" in case.meta and files[name].used:
            assert achieved(by_file[name]) == case.meta["expected"], name
    assert achieved(by_file["00-buono-FIN.xlsx"]) == corpus[1]["00-buono-FIN.xlsx"].meta["expected"]
    assert achieved(by_file["buono-S20.xlsx"]) == more[1]["buono-S20.xlsx"].meta["expected"]


def test_the_import_command_never_exits_3_on_the_whole_corpus(plan, corpus, more, tmp_path):
    from click.testing import CliRunner

    from schede_excel.cli.main import cli
    from tests.plans import as_yaml

    together = _linked_folder(tmp_path, corpus[0], more[0])
    plan_file = tmp_path / "piano.yaml"
    plan_file.write_text(as_yaml(hostile.corpus_plan_data()), encoding="utf-8")
    done = CliRunner().invoke(cli, ["import", str(plan_file), str(together), "-o", str(tmp_path / "r.json"),
                                    "--turno", "interim"], catch_exceptions=False)
    assert done.exit_code in (0, 1), done.output
    assert "Traceback" not in done.output


def test_a_fifo_a_symlink_loop_and_a_name_that_is_not_utf8(plan, corpus, tmp_path):
    folder, _ = corpus
    os.mkfifo(tmp_path / "tubo.xlsx")
    (tmp_path / "anello.xlsx").symlink_to(tmp_path / "anello.xlsx")
    odd = os.fsdecode(b"ritorno-\xe8-FIN.xlsx")  # a Latin-1 name from an old Windows zip
    (tmp_path / odd).write_bytes((folder / "00-buono-FIN.xlsx").read_bytes())
    result = import_returns(plan, [tmp_path])
    messages = {pathlib.Path(f.file).name: f.message for f in result.findings if f.code == "READ_001"}
    assert "pipe" in messages["tubo.xlsx"] and "ciclo" in messages["anello.xlsx"]
    assert [r.sector for r in result.objectives if "ritorno-" in r.file][:1] == ["FIN"]
    json.loads(result.to_json())  # the odd name is shown with a replacement character, not a crash
    assert "ritorno-\ufffd-FIN.xlsx" in result.to_json()
    for item in (tmp_path / "tubo.xlsx", tmp_path / "anello.xlsx"):
        alone = import_returns(plan, [item])
        assert codes(alone.findings) == {"READ_001"} and "non esiste" not in alone.findings[0].message


def test_a_legitimate_10_mb_text_cell_is_read(plan, corpus):
    """Ten MB of text (it compresses 1000:1): read, not mistaken for a bomb."""
    data, part = _good(plan, corpus)
    lay = hostile.sheet_layout(plan.objectives[0], staff_rows=plan.staff_rows)
    where = lay.reviews["interim"].causes
    text = "Ritardo del fornitore. " * (10 * MB // 23)
    strings = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{hostile.NS_MAIN}" count="1" uniqueCount="1">'
               f"<si><t>{text}</t></si></sst>").encode()
    xml = set_cells(parts(data)[part], {hostile.a1(where.row, where.col): ("raw", "s", "<v>0</v>")})
    read = read_return(plan, hostile.rewrite_zip(data, {part: xml, "xl/sharedStrings.xml": strings}), "lungo.xlsx")
    assert read.file.readable, [str(f) for f in read.findings]
    record = next(r for r in read.objectives if r.objective == plan.objectives[0].key)
    assert record.review("interim").causes == text.strip()


def test_an_ods_with_the_1904_null_date_reads_its_dates_as_written():
    """ODS stores dates as ISO text whatever the null date: table:null-date changes nothing read."""
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="{office}" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
               '<table:calculation-settings><table:null-date table:date-value="1904-01-01"/></table:calculation-settings>'
               '<table:table table:name="Foglio1"><table:table-row>'
               '<table:table-cell office:value-type="date" office:date-value="2023-05-01"><text:p>01/05/2023</text:p>'
               '</table:table-cell></table:table-row></table:table></office:spreadsheet></office:body>'
               '</office:document-content>')
    data = hostile.rewrite_zip(hostile.ods_bytes(), {"content.xml": content.encode()})
    cell = read_workbook(data, "1904.ods").sheets[0].cells[(0, 0)]
    from schede_excel.spreadsheet.reader import as_date

    assert cell.is_date and as_date(cell.value) == hostile.date(2023, 5, 1)


def test_save_dates_of_year_1_and_9999_under_europe_rome(plan, more, monkeypatch, tmp_path):
    import time

    monkeypatch.setenv("TZ", "Europe/Rome")
    time.tzset()
    try:
        folder, cases = more
        names = ["data-0001-S13.xlsx", "data-9999-S12.xlsx", "buono-S20.xlsx"]
        result = import_returns(plan, [folder / name for name in names])
        for name in names[:2]:
            assert "RET_017" in codes(result.findings_for(str(folder / name)))
            assert achieved([r for r in result.objectives if r.file == str(folder / name)]) == cases[name].meta["expected"]
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_a_row_of_a_million_cells_is_refused_not_built(plan):
    data = hostile.wide_row_ods(1_000_000)
    read, peak = peak_mb(read_return, plan, data, "riga-larga.ods")
    assert codes(read.findings) == {"READ_003"} and "elementi" in read.findings[0].message
    assert peak < 20


def test_consolidate_on_the_whole_corpus_writes_the_summary(plan, corpus, more, tmp_path):
    """The command that used to exit 3 on one damaged file: the summary is written from the good ones."""
    from click.testing import CliRunner

    from schede_excel.cli.main import cli
    from tests.plans import as_yaml

    together = _linked_folder(tmp_path, corpus[0], more[0])
    plan_file = tmp_path / "piano.yaml"
    plan_file.write_text(as_yaml(hostile.corpus_plan_data()), encoding="utf-8")
    summary = tmp_path / "riepilogo.xlsx"
    done = CliRunner().invoke(cli, ["consolidate", str(plan_file), str(together), "-o", str(summary),
                                    "--turno", "interim"], catch_exceptions=False)
    assert done.exit_code in (0, 1), done.output
    assert summary.exists() and read_workbook(summary.read_bytes(), "riepilogo.xlsx").sheets


def test_an_ods_text_longer_than_a_cell_holds_is_cut_and_said():
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    long_text = "Ritardo del fornitore. " * 2000  # 46,000 characters: LibreOffice holds them, Excel would not
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="{office}" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
               '<table:table table:name="Foglio1"><table:table-row><table:table-cell office:value-type="string">'
               f'<text:p>{long_text}</text:p></table:table-cell><table:table-cell office:value-type="string">'
               '<text:p>breve</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>'
               '</office:body></office:document-content>')
    sheet = read_workbook(hostile.rewrite_zip(hostile.ods_bytes(), {"content.xml": content.encode()}), "x.ods").sheets[0]
    from schede_excel.spreadsheet.reader import MAX_CELL_TEXT

    assert sheet.value(0, 0) == long_text[:MAX_CELL_TEXT] and sheet.cut_texts == {(0, 0)}
    assert sheet.value(0, 1) == "breve"
