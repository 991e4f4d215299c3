"""Read the cells of a returned workbook (.xlsx, .xlsm, .ods) safely and fast.

Returned files come from outside: this reader never trusts them. It reads the bytes only (the
file is never opened for writing), bounds the file size, the uncompressed size and the
compression ratio of every part (zip bombs), refuses XML with a DTD (entity expansion and
external entities, as defusedxml does), stops reading a sheet past a row limit, never evaluates
formulas (it reads the values the spreadsheet cached) and never follows external links or runs
macros (it only reports them).

It parses the XML with lxml directly rather than through openpyxl: the sheets hold a few
hundred cells each and openpyxl's object model costs several times the parse (see
bench/import.py). `read_workbook(data, name)` returns a `RawWorkbook`; problems that stop the
reading raise `UnreadableFile` carrying a finding.
"""

from __future__ import annotations

import io
import math
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from posixpath import dirname, join, normpath

from lxml import etree

from ..findings import Finding, SchedeError, finding


@dataclass(frozen=True)
class Limits:
    """Bounds on what a returned file may contain."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_part_bytes: int = 100 * 1024 * 1024
    """A part that is streamed (a large worksheet, an .ods content.xml)."""
    max_xml_bytes: int = 32 * 1024 * 1024
    """A part that is parsed whole (workbook, styles, shared strings, a small worksheet)."""
    max_total_bytes: int = 300 * 1024 * 1024
    max_ratio: int = 200
    """Compression ratio refused for a part larger than `ratio_from_bytes` (a 10 MB text compresses well)."""
    ratio_from_bytes: int = 16 * 1024 * 1024
    max_members: int = 10_000
    """Parts in the zip: a returned workbook has a few dozen."""
    max_strings: int = 200_000
    """Shared strings: a returned workbook has a few thousand."""
    max_cells: int = 1_000_000
    """Cells with a value read from the whole workbook."""
    max_elements: int = 500_000
    """Cell elements parsed within `max_rows` and `max_cols` in one streamed part (a large sheet, an .ods
    content.xml), blank ones included: a form has a few tens of thousands."""
    max_rows: int = 5000
    max_cols: int = 64
    columns: frozenset[int] | None = None
    """Read only these columns (0-based, A to Z); None reads every column up to `max_cols`."""


class UnreadableFile(SchedeError):
    """The file cannot be read at all; `findings` says why."""


@dataclass(slots=True)
class RawCell:
    """A cell as stored: the cached value, whether its format is a date or a percentage, its formula."""

    value: float | str | bool | None
    is_date: bool = False
    is_percent: bool = False
    formula: str | None = None
    date1904: bool = False
    """The workbook counts dates from 1904: a number not formatted as a date is a serial 1,462 days short.
    (Date-formatted numbers are already converted to the 1900 system by the reader.)"""


@dataclass
class RawSheet:
    """One worksheet: its cells by (row, col), 0-based, and its sheet-scoped defined names."""

    name: str
    index: int
    hidden: bool = False
    cells: dict[tuple[int, int], RawCell] = field(default_factory=dict)
    names: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    rows_cut: bool = False
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    """The merged ranges the file declares, (first row, first col, last row, last col), 0-based."""
    cut_texts: set[tuple[int, int]] = field(default_factory=set)
    """Cells whose text was longer than a cell holds (`MAX_CELL_TEXT`) and was read only that far."""
    written_formats: dict[tuple[int, int], str] = field(default_factory=dict)
    """The number format of the numbers whose format says how they are written beyond date or
    percentage: currencies (`0,00 €`) and dates without a year (`29-feb`). A plan workbook keeps
    its ATTESO as typed from these."""

    def value(self, row: int, col: int):
        cell = self.cells.get((row, col))
        return None if cell is None else cell.value

    def text(self, row: int, col: int) -> str:
        """The cell as text ('' when empty), for labels."""
        value = self.value(row, col)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)


@dataclass
class RawWorkbook:
    """A returned file's worksheets and facts about it."""

    name: str
    format: str
    sheets: list[RawSheet]
    modified: datetime | None = None
    has_macros: bool = False
    external_links: int = 0
    findings: list[Finding] = field(default_factory=list)


_EPOCH = datetime(1899, 12, 30)
DAYS_1904 = 1462  # from the 1900 system's day 0 to the 1904 system's
_DATE_IDS = set(range(14, 23)) | {45, 46, 47}
_PERCENT_IDS = {9, 10}
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")
_RANGE_REF = re.compile(r"\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?$")
# huge_tree: one text node may pass libxml2's 10 MB default (a long text cell); the size of what is
# parsed is bounded by `Limits.max_xml_bytes` before parsing.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
                          remove_comments=True)

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
M = "{%s}" % NS_MAIN
# Strict Open XML (Excel's «Cartella di lavoro Strict Open XML») names the same elements in other
# namespaces; the parts are read as the transitional ones they map to one for one.
_STRICT = ((b"http://purl.oclc.org/ooxml/spreadsheetml/main", NS_MAIN.encode()),
           (b"http://purl.oclc.org/ooxml/officeDocument/relationships", NS_REL.encode()))


def serial_to_datetime(value: float) -> datetime:
    """A spreadsheet date serial (1900 system) as a datetime."""
    return _EPOCH + timedelta(days=value)


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _unreadable(name: str, reason: str, code: str = "READ_001") -> UnreadableFile:
    return UnreadableFile([finding(code, file=name, reason=reason)])


_DTD_MARKS = tuple(mark.encode(codec) for mark in ("<!DOCTYPE", "<!ENTITY") for codec in ("utf-8", "utf-16-le", "utf-16-be"))


def _dtd_refused(name: str, part: str) -> UnreadableFile:
    return _unreadable(name, f"la parte {part} contiene una DTD, che un file Excel o ODS non ha "
                       "(possibile attacco XML)", "READ_004")


def _has_dtd(tree_or_data) -> bool:
    """A DTD in a parsed part (exact, whatever the encoding), or anywhere in a part's bytes."""
    if isinstance(tree_or_data, bytes):
        return any(mark in tree_or_data for mark in _DTD_MARKS)
    docinfo = tree_or_data.getroottree().docinfo
    return bool(docinfo.doctype) or docinfo.internalDTD is not None


def _number(text):
    """A stored number; text that is not a finite number is kept as found, for the reader to refuse at its cell."""
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


class _Zip:
    """A zip archive whose parts are read with size and ratio bounds."""

    def __init__(self, data: bytes, name: str, limits: Limits):
        self.name, self.limits = name, limits
        members = _declared_members(data)
        if members is not None and members > limits.max_members:
            # Refused from the archive's last bytes, before its directory of members is parsed.
            raise _unreadable(name, f"l'archivio dichiara {members:,} parti, oltre il limite di "
                              f"{limits.max_members:,} (una cartella di lavoro ne ha qualche decina)".replace(",", "."),
                              "READ_003")
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            self.infos = {info.filename: info for info in self.zip.infolist()}
        except (zipfile.BadZipFile, EOFError, ValueError, UnicodeDecodeError, struct.error) as error:
            raise _unreadable(name, f"archivio danneggiato o troncato ({error})", "READ_002") from None
        if len(self.infos) > limits.max_members:
            raise _unreadable(name, f"l'archivio contiene {len(self.infos):,} parti, oltre il limite di "
                              f"{limits.max_members:,}".replace(",", "."), "READ_003")
        total = sum(info.file_size for info in self.infos.values())
        if total > limits.max_total_bytes:
            raise _unreadable(name, f"contenuto non compresso di {total // 2**20} MB, oltre il limite di "
                              f"{limits.max_total_bytes // 2**20} MB (possibile «zip bomb»)", "READ_003")

    def has(self, part: str) -> bool:
        return part in self.infos

    def read(self, part: str, *, whole: bool = True) -> bytes:
        """A part's bytes; `whole` when it will be parsed whole (a tighter bound than a streamed part)."""
        info = self.infos[part]
        limits = self.limits
        bound = limits.max_xml_bytes if whole else limits.max_part_bytes
        if info.file_size > bound or (
                info.compress_size and info.file_size > limits.ratio_from_bytes
                and info.file_size / info.compress_size > limits.max_ratio):
            raise _unreadable(self.name, f"la parte {part} si espande a {info.file_size // 2**20} MB "
                              f"(rapporto {info.file_size // max(1, info.compress_size)}:1, limite {bound // 2**20} MB; "
                              "possibile «zip bomb»)", "READ_003")
        try:
            with self.zip.open(info) as handle:
                data = handle.read(info.file_size + 1)  # the declared size may lie: never read past it
        except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError, zlib.error,
                ValueError, UnicodeDecodeError) as error:
            raise _unreadable(self.name, f"la parte {part} non si legge ({error})", "READ_002") from None
        if len(data) > info.file_size:
            raise _unreadable(self.name, f"la parte {part} è più grande di quanto dichiarato", "READ_003")
        return data

    def stream(self, part: str) -> "_Stream":
        """A part to parse as it inflates (bounded as `read(whole=False)`): memory does not grow with its size."""
        info = self.infos[part]
        limits = self.limits
        if info.file_size > limits.max_part_bytes or (
                info.compress_size and info.file_size > limits.ratio_from_bytes
                and info.file_size / info.compress_size > limits.max_ratio):
            raise _unreadable(self.name, f"la parte {part} si espande a {info.file_size // 2**20} MB "
                              f"(rapporto {info.file_size // max(1, info.compress_size)}:1, limite "
                              f"{limits.max_part_bytes // 2**20} MB; possibile «zip bomb»)", "READ_003")
        return _Stream(self, info)

    def xml(self, part: str, data: bytes | None = None):
        """Parse an XML part (its bytes, if already read), refusing DTDs (entity expansion, external entities)."""
        data = self.read(part) if data is None else data
        if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data[:4096]:
            raise _dtd_refused(self.name, part)
        data = _transitional(data)
        try:
            root = etree.fromstring(data, _PARSER)
        except etree.XMLSyntaxError as error:
            # libxml2 stops entity expansion itself (amplification limit): say it was an attack.
            if _has_dtd(data):
                raise _dtd_refused(self.name, part) from None
            raise _unreadable(self.name, f"XML non valido in {part} ({error})", "READ_002") from None
        # The first bytes alone miss a DTD after a long comment, or in a part encoded in UTF-16.
        if _has_dtd(root):
            raise _dtd_refused(self.name, part)
        return root


class _Stream:
    """A zip part read in chunks for lxml's iterparse, with the zip's errors turned into findings."""

    CHUNK = 1 << 16

    def __init__(self, archive: _Zip, info: zipfile.ZipInfo):
        self.archive, self.info, self.part = archive, info, info.filename
        self._handle = self._open()
        self.head = self._chunk(self.CHUNK)
        self._pending = self.head

    def _open(self):
        try:
            return self.archive.zip.open(self.info)
        except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError, zlib.error,
                ValueError, UnicodeDecodeError) as error:
            raise _unreadable(self.archive.name, f"la parte {self.part} non si legge ({error})", "READ_002") from None

    def _chunk(self, size: int, handle=None) -> bytes:
        try:
            return (handle or self._handle).read(size)  # never past the declared size: zipfile stops there
        except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError, zlib.error,
                ValueError) as error:
            raise _unreadable(self.archive.name, f"la parte {self.part} non si legge ({error})", "READ_002") from None

    def read(self, size: int = -1) -> bytes:
        if self._pending:
            out, self._pending = self._pending, b""
            return out
        return self._chunk(self.CHUNK if size is None or size < 0 else size)

    def has_dtd(self) -> bool:
        """A DTD anywhere in the part, read again chunk by chunk (after a parse error, to say it was an attack)."""
        handle, tail = self._open(), b""
        try:
            while chunk := self._chunk(self.CHUNK, handle):
                if _has_dtd(tail + chunk):
                    return True
                tail = chunk[-32:]
        except UnreadableFile:
            return False
        finally:
            handle.close()
        return False

    def close(self) -> None:
        self._handle.close()


def _transitional(data: bytes) -> bytes:
    """A Strict Open XML part with the transitional namespaces (the same elements, other names)."""
    if b"purl.oclc.org/ooxml/" in data[:8192]:
        for strict, transitional in _STRICT:
            data = data.replace(strict, transitional)
    return data


def _declared_members(data: bytes) -> int | None:
    """The number of members an archive's end record declares (zip64 too), or None if there is none."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        return None
    count = struct.unpack_from("<H", data, end + 10)[0]
    locator = end - 20
    if count == 0xFFFF and locator >= 0 and data[locator:locator + 4] == b"PK\x06\x07":
        offset = struct.unpack_from("<Q", data, locator + 8)[0]
        if offset + 56 <= len(data) and data[offset:offset + 4] == b"PK\x06\x06":
            count = struct.unpack_from("<Q", data, offset + 32)[0]
    return count


def _sniff(data: bytes, name: str) -> None:
    """Recognise what a file that is not a readable workbook is, to say so."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data:
            raise _unreadable(name, "la cartella è protetta da password (cifrata): salvarla senza password e rispedirla", "READ_005")
        raise _unreadable(name, "è nel vecchio formato .xls (o un documento Office non cifrato): aprirlo e salvarlo come .xlsx", "READ_006")
    if data.startswith(b"%PDF"):
        raise _unreadable(name, "è un PDF", "READ_006")
    if not data.startswith(b"PK"):
        raise _unreadable(name, "non è in un formato di foglio di calcolo", "READ_006")


def read_workbook(data: bytes, name: str, limits: Limits = Limits()) -> RawWorkbook:
    """Read a returned workbook's cells from its bytes; raises `UnreadableFile`."""
    if len(data) > limits.max_file_bytes:
        raise _unreadable(name, f"file di {len(data) // 2**20} MB, oltre il limite di {limits.max_file_bytes // 2**20} MB", "READ_003")
    _sniff(data, name)
    archive = _Zip(data, name, limits)
    try:
        if archive.has("xl/workbook.xml"):
            return _read_xlsx(archive, name, limits)
        if archive.has("content.xml") and archive.has("mimetype") and b"spreadsheet" in archive.read("mimetype"):
            if archive.has("META-INF/manifest.xml") and b"encryption-data" in archive.read("META-INF/manifest.xml"):
                raise _unreadable(name, "il foglio di calcolo è protetto da password (cifrato): salvarlo senza "
                                  "password e rispedirlo", "READ_005")
            return _read_ods(archive, name, limits)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, RecursionError,
            zlib.error) as error:
        # Whatever else a crafted file holds (a style index "x", a repeat count "-"), it never escapes as an exception.
        raise _unreadable(name, f"contenuto non valido ({type(error).__name__}: {error})", "READ_002") from None
    if archive.has("word/document.xml"):
        raise _unreadable(name, "è un documento Word (.docx)", "READ_006")
    if archive.has("content.xml"):
        raise _unreadable(name, "è un documento LibreOffice ma non un foglio di calcolo", "READ_006")
    raise _unreadable(name, "è un archivio zip di altro tipo", "READ_006")


# ---------------------------------------------------------------- xlsx

def _rels(archive: _Zip, part: str) -> dict[str, str]:
    rels_part = join(dirname(part), "_rels", part.rsplit("/", 1)[-1] + ".rels")
    if not archive.has(rels_part):
        return {}
    out = {}
    for rel in archive.xml(rels_part):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        out[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else normpath(join(dirname(part), target))
    return out


def _styles(archive: _Zip) -> tuple[list[bool], list[bool], list[str]]:
    """For each cell style index: is it a date format, a percentage format, and the format when it writes
    a currency or a date without its year."""
    if not archive.has("xl/styles.xml"):
        return [], [], []
    root = archive.xml("xl/styles.xml")
    custom, written = {}, {16: "d-mmm"}  # 16: Excel's built-in day-month, what typing «29-feb» gives
    for fmt in root.iterfind(f"{M}numFmts/{M}numFmt"):
        raw = fmt.get("formatCode", "")
        code = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", raw).lower()
        custom[int(fmt.get("numFmtId"))] = code
        if "€" in raw or ("mmm" in code and "y" not in code and "0" not in code):
            written[int(fmt.get("numFmtId"))] = raw
    dates, percents, formats = [], [], []
    for xf in root.iterfind(f"{M}cellXfs/{M}xf"):
        fmt_id = int(xf.get("numFmtId", "0"))
        code = custom.get(fmt_id, "")
        dates.append(fmt_id in _DATE_IDS or (bool(code) and bool(re.search(r"[dy]|mmm", code)) and "0" not in code))
        percents.append(fmt_id in _PERCENT_IDS or "%" in code)
        formats.append(written.get(fmt_id, ""))
    return dates, percents, formats


def _shared_strings(archive: _Zip, limits: Limits) -> list[str]:
    if not archive.has("xl/sharedStrings.xml"):
        return []
    root = archive.xml("xl/sharedStrings.xml")
    strings = []
    for si in root.iterfind(f"{M}si"):
        if len(strings) >= limits.max_strings:
            raise _unreadable(archive.name, f"oltre {limits.max_strings:,} testi diversi nella cartella (una scheda "
                              "ne ha qualche centinaio)".replace(",", "."), "READ_003")
        strings.append("".join(t.text or "" for t in si.iter(f"{M}t") if t.getparent().tag != f"{M}rPh"))
    return strings


def _modified(archive: _Zip) -> datetime | None:
    for part in ("docProps/core.xml", "meta.xml"):
        if archive.has(part):
            text = re.search(rb"<(?:dcterms:modified|dc:date)[^>]*>([^<]+)<", archive.read(part))
            if text:
                try:
                    return datetime.fromisoformat(text.group(1).decode("utf-8", "replace").strip()
                                                  .replace("Z", "+00:00")[:25])
                except (ValueError, OverflowError):
                    return None
    return None


def _parse_ref(text: str) -> tuple[str | None, tuple[int, int, int, int] | None]:
    """'Foglio 1'!$D$20:$D$21 -> ('Foglio 1', (19, 3, 20, 3))."""
    sheet, _, ref = text.rpartition("!")
    sheet = sheet.strip("'").replace("''", "'") if sheet else None
    return sheet, _span(ref.strip())


@lru_cache(maxsize=4096)
def _span(ref: str) -> tuple[int, int, int, int] | None:
    # Every sheet of a sector's workbook names the same ranges: each is parsed once.
    m = _RANGE_REF.match(ref)
    if not m:
        return None
    r1, c1 = int(m.group(2)) - 1, col_index(m.group(1))
    r2 = int(m.group(4)) - 1 if m.group(4) else r1
    c2 = col_index(m.group(3)) if m.group(3) else c1
    return r1, c1, r2, c2


def _read_xlsx(archive: _Zip, name: str, limits: Limits) -> RawWorkbook:
    workbook = archive.xml("xl/workbook.xml")
    rels = _rels(archive, "xl/workbook.xml")
    dates, percents, formats = _styles(archive)
    strings = _shared_strings(archive, limits)
    properties = workbook.find(f"{M}workbookPr")
    date1904 = properties is not None and properties.get("date1904", "").lower() in ("1", "true")
    sheets: list[RawSheet] = []
    parts = []
    for index, sheet in enumerate(workbook.iterfind(f"{M}sheets/{M}sheet")):
        part = rels.get(sheet.get(f"{{{NS_REL}}}id"))
        sheets.append(RawSheet(sheet.get("name", f"Foglio{index + 1}"), index, sheet.get("state", "visible") != "visible"))
        parts.append(part)
    for defined in workbook.iterfind(f"{M}definedNames/{M}definedName"):
        local = defined.get("localSheetId")
        if local is None or not local.isdigit() or int(local) >= len(sheets):
            continue
        _, ref = _parse_ref(defined.text or "")
        if ref:
            sheets[int(local)].names[defined.get("name")] = ref
    book = RawWorkbook(name, "xlsm" if archive.has("xl/vbaProject.bin") else "xlsx", sheets,
                       modified=_modified(archive), has_macros=archive.has("xl/vbaProject.bin"),
                       external_links=sum(1 for p in archive.infos if p.startswith("xl/externalLinks/") and p.endswith(".xml")))
    styles = _Styles(strings, dates, percents, date1904, _Budget(limits.max_cells, name), formats)
    refs: dict = {}  # the sheets of a workbook share their cell references and merged ranges: parsed once
    spans: dict = {}
    for sheet, part in zip(sheets, parts):
        if part and archive.has(part):
            _read_xlsx_sheet(archive, part, sheet, styles, limits, refs, spans)
    return book


@dataclass(slots=True)
class _Styles:
    """What reading a worksheet's cells needs from the rest of the workbook."""

    strings: list[str]
    dates: list[bool]
    percents: list[bool]
    date1904: bool
    budget: "_Budget"
    formats: list[str]
    kinds: dict = field(default_factory=dict)
    """A cell's style attribute -> (style index, is a date, is a percentage, written format), found once."""
    plain: dict = field(default_factory=dict)
    """(style, type, text) of a cell holding a <v> alone -> `_plain_cell`: the cells stored are shared
    by the sheets (a RawCell is never changed once read)."""

    def kind(self, s: str | None) -> tuple[int, bool, bool, str]:
        found = self.kinds.get(s)
        if found is None:
            style = int("0" if s is None else s)
            found = (style, style < len(self.dates) and self.dates[style],
                     style < len(self.percents) and self.percents[style],
                     (style < len(self.formats) and self.formats[style]) or "")
            if len(self.kinds) < MAX_CACHED_REFS:
                self.kinds[s] = found
        return found


class _Budget:
    """Work done so far (cells stored, elements parsed) against a limit; past it the file is refused."""

    def __init__(self, count: int, name: str,
                 reason: str = "troppe celle compilate (oltre il limite di celle lette in una cartella)"):
        self.left, self.name, self.reason = count, name, reason

    def spend(self, count: int = 1) -> None:
        self.left -= count
        if self.left < 0:
            raise _unreadable(self.name, self.reason, "READ_003")


SMALL_SHEET = 4 * 2**20  # bytes of XML parsed whole (a worksheet, an .ods content.xml); larger is streamed
_BLANK_CELL = re.compile(rb'<c r="[^"]*"(?: s="[^"]*")?/>')
"""A formatted blank, as Excel and LibreOffice write the most cells of a form: it holds nothing to read,
and taking it out of the bytes before parsing halves the parse. The pattern is a whole empty element or
nothing (a quoted value cannot hold a quote), so no cell with content is ever touched."""


def _only_elements(data: bytes) -> bool:
    """No comment, CDATA section, DTD or processing instruction past the XML declaration: where none is,
    `_BLANK_CELL` can only match a real empty <c> (inside one, the same bytes would be text or could end it)."""
    head = data.lstrip(b"\xef\xbb\xbf")
    start = head.find(b"?>") + 2 if head.startswith(b"<?xml") else 0
    return b"<!" not in data and head.find(b"<?", start) < 0


_SHEET_DATA, _ROW, _C = f"{M}sheetData", f"{M}row", f"{M}c"
_MERGE_CELLS, _MERGE_CELL = f"{M}mergeCells", f"{M}mergeCell"
_CELL_CHILDREN = etree.XPath("m:sheetData/m:row/m:c/*", namespaces={"m": NS_MAIN})
_SKIP = (-1, -1)  # a cell reference that is never read: malformed, or outside the columns asked for
_ROWS_CUT = (-2, -2)  # a cell reference past `Limits.max_rows`
_DIGITS = frozenset("0123456789")
MAX_CACHED_REFS = 100_000  # cell references parsed once per workbook; a crafted sheet cannot grow the cache past this
MAX_CACHED_TEXT = 256  # characters of a cell's text or attributes past which what it means is not kept for the workbook


def _position(ref: str | None, letters: str | None, limits: Limits) -> tuple[int, int]:
    """Where a small sheet's <c r="…"> is read: (row, col), or `_SKIP`, or `_ROWS_CUT`.

    With `letters` (the columns asked for), only a single-letter column among them followed by an
    ASCII digit is read, as the XPath `m:c[contains(letters, substring(@r, 1, 1)) and
    substring(@r, 2, 1) >= 0]` this replaces selected."""
    if letters is not None and (ref is None or len(ref) < 2 or ref[0] not in letters or ref[1] not in _DIGITS):
        return _SKIP
    m = _CELL_REF.match(ref or "")
    if not m:
        return _SKIP
    col, row = col_index(m.group(1)), int(m.group(2)) - 1
    if row >= limits.max_rows:
        return _ROWS_CUT
    if col >= limits.max_cols or (limits.columns is not None and col not in limits.columns):
        return _SKIP
    return row, col


_V, _F, _IS, _T, _IS_T = f"{M}v", f"{M}f", f"{M}is", f"{M}t", f"{M}is/{M}t"


_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """Excel writes control characters as _xHHHH_ (and a literal "_x" of that shape as _x005F_x…)."""
    return _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _read_cell(c, row: int | None, sheet: RawSheet, styles: _Styles, limits) -> None:
    """Store one streamed <c> that has content (a value, a formula or inline text)."""
    m = _CELL_REF.match(c.get("r") or "")
    if not m:
        return
    col = col_index(m.group(1))
    if row is None:
        row = int(m.group(2)) - 1
        if row >= limits.max_rows:
            sheet.rows_cut = True
            return
    if col >= limits.max_cols or (limits.columns is not None and col not in limits.columns):
        return
    raw, written = _other_cell(c, None, styles)
    if raw is not None:
        styles.budget.spend()
        sheet.cells[(row, col)] = raw
        if written:
            sheet.written_formats[(row, col)] = written


def _inline_text(c) -> str | None:
    """The text of an inline string cell: its first <is><t>, else every <t> of its rich text runs."""
    value = c.findtext(_IS_T)
    if value is None:  # rich text: runs of <r><t>
        inline = c.find(_IS)
        value = "".join(t.text or "" for t in inline.iter(_T)) if inline is not None else None
    return value


def _value(kind: str, text: str | None, is_date, styles: _Styles):
    """A stored value from a cell's type and the text of its <v>; and whether it is a date."""
    if kind == "s":
        strings = styles.strings
        value = strings[int(text)] if text is not None and text.isdigit() and int(text) < len(strings) else None
    elif kind in ("str", "e"):
        value = text
    elif kind == "b":
        value = text == "1"
    elif kind == "d":  # an ISO 8601 date (Strict Open XML, some writers)
        value = _iso_serial(text)
        is_date = isinstance(value, float)
    else:
        value = None if text is None else _number(text)
        if styles.date1904 and is_date and isinstance(value, float):
            value += DAYS_1904
    return value, is_date


def _read_small_sheet(root, sheet: RawSheet, styles: _Styles, limits: Limits, refs: dict) -> None:
    """Store the cells of a sheet parsed whole that have an element inside (most cells of a form are
    formatted blanks), as `_read_cell` would one by one, without its per-cell costs.

    libxml2 hands over the cells' child elements (`_CELL_CHILDREN`, in document order, so those of one
    cell come together) and no blank cell is ever made a Python object; a cell reference is parsed
    once per workbook (`refs`), a style attribute too (`_Styles.kind`), and so is a value alone
    (`_Styles.plain`); the children are looked at directly, not through ElementPath."""
    letters = None if limits.columns is None else "".join(chr(65 + c) for c in sorted(limits.columns) if c < 26)
    cells, written_formats, budget, plain = sheet.cells, sheet.written_formats, styles.budget, styles.plain
    left = budget.left
    cell = None
    try:
        for child in _CELL_CHILDREN(root):
            c = child.getparent()
            if c is cell:
                continue  # another child of the cell just read
            cell = c
            ref = c.get("r")
            at = refs.get(ref)
            if at is None:
                at = _position(ref, letters, limits)
                if len(refs) < MAX_CACHED_REFS:
                    refs[ref] = at
            if at is _SKIP:
                continue
            if at is _ROWS_CUT:
                sheet.rows_cut = True
                continue
            if len(c) == 1 and child.tag == _V:
                # A value alone (most cells: the labels, the numbers): what it stores is the same for the
                # same style, type and text, in every sheet of the workbook, so it is worked out once.
                key = (c.get("s"), c.get("t"), child.text)
                made = plain.get(key)
                if made is None:
                    made = _plain_cell(key, styles)
                    if len(plain) < MAX_CACHED_REFS and len(key[2] or "") <= MAX_CACHED_TEXT:
                        plain[key] = made
                raw, written = made
            else:
                raw, written = _other_cell(c, child if len(c) == 1 else None, styles)
            if raw is None:
                continue
            left -= 1
            if left < 0:
                budget.left = left + 1
                budget.spend()
            cells[at] = raw
            if written:
                written_formats[at] = written
    finally:
        budget.left = left


def _other_cell(c, only, styles: _Styles) -> tuple[RawCell | None, str]:
    """What a <c> stores (None when it holds nothing) and its written format ("" when none is kept):
    any cell, streamed or, when it is more than a value alone (`_plain_cell`), parsed whole. `only`:
    its one child, when the caller knows it has just one; else the first <v>, <is> and <f> are taken,
    as findtext finds them."""
    v = f = inline = None
    if only is not None:
        tag = only.tag
        if tag == _IS:
            inline = only
        elif tag == _F:
            f = only
    else:
        for child in c:  # the first of each, as findtext finds it
            tag = child.tag
            if tag == _V:
                if v is None:
                    v = child
            elif tag == _IS:
                if inline is None:
                    inline = child
            elif tag == _F and f is None:
                f = child
    formula = None if f is None else f.text or ""
    s = c.get("s")
    _, is_date, is_percent, written = styles.kinds.get(s) or styles.kind(s)
    t = c.get("t")
    if t == "inlineStr":
        first = inline[0] if inline is not None and len(inline) else None
        value = (first.text or "") if first is not None and first.tag == _T else _inline_text(c)
    else:
        value, is_date = _value(t, None if v is None else v.text or "", is_date, styles)
    if value.__class__ is str and "_x" in value:
        value = _unescape(value)
    if value is None and formula is None:
        return None, ""
    return (RawCell(value, is_date, is_percent, formula, styles.date1904 and not is_date),
            written if value.__class__ is float else "")


def _plain_cell(key: tuple[str | None, str | None, str | None], styles: _Styles) -> tuple[RawCell | None, str]:
    """What a cell with a <v> and nothing else stores, from its style and type attributes and the <v>'s
    text: the cell (None when it holds nothing) and its written format ("" when none is kept)."""
    s, t, text = key
    _, is_date, is_percent, written = styles.kind(s)
    if t == "inlineStr":  # the text of an inline string is in <is>, and it has none
        value = None
    else:
        value, is_date = _value(t, text or "", is_date, styles)
    if value.__class__ is str and "_x" in value:
        value = _unescape(value)
    if value is None:
        return None, ""
    return (RawCell(value, is_date, is_percent, None, styles.date1904 and not is_date),
            written if value.__class__ is float else "")


def _iso_serial(text: str | None):
    """An ISO date as a 1900-system serial; the text as found when it is not one."""
    try:
        return (datetime.fromisoformat((text or "").strip()).replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
    except (ValueError, OverflowError):
        return text or None


def _merge(ref: str | None):
    _, span = _parse_ref(ref or "")
    return span


def _read_xlsx_sheet(archive, part, sheet, styles: _Styles, limits, refs: dict, spans: dict) -> None:
    """A form's sheet is small: parsed whole, and only the cells that hold something read (most are
    bordered blanks). A large one is streamed row by row, so memory stays bounded."""
    if archive.infos[part].file_size <= SMALL_SHEET:
        data = archive.read(part)
        if _only_elements(data):
            data = _BLANK_CELL.sub(b"", data)
        root = archive.xml(part, data)
        _read_small_sheet(root, sheet, styles, limits, refs)
        for merges in root.iterchildren(_MERGE_CELLS):
            for merge in merges.iterchildren(_MERGE_CELL):
                ref = merge.get("ref")
                span = spans.get(ref)
                if span is None:
                    span = _merge(ref) or ()
                    if len(spans) < MAX_CACHED_REFS:
                        spans[ref] = span
                if span:
                    sheet.merges.append(span)
        return
    stream = archive.stream(part)
    if b"<!DOCTYPE" in stream.head[:4096] or b"<!ENTITY" in stream.head[:4096]:
        raise _dtd_refused(archive.name, part)
    # A Strict part (rare) is renamed whole; any other is parsed as it inflates.
    source = io.BytesIO(_transitional(archive.read(part, whole=False))) if b"purl.oclc.org/ooxml/" in stream.head[:8192] \
        else stream
    context = etree.iterparse(source, events=("start", "end"), tag=(f"{M}row", f"{M}c", f"{M}mergeCell"),
                              resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    elements = _Budget(limits.max_elements, archive.name, "troppi elementi XML in un foglio (oltre il limite di "
                       "elementi letti)")
    next_row, row = 0, 0
    try:
        for event, el in context:
            tag = el.tag
            if tag == f"{M}c":
                # Each cell is read as it ends and dropped: a row of millions of cells costs time, not memory.
                if event == "end":
                    elements.spend()
                    if len(el):  # a childless <c> is a formatted blank: most cells of a form, nothing to read
                        _read_cell(el, row, sheet, styles, limits)
                    parent = el.getparent()
                    if parent is not None:
                        parent.remove(el)
            elif tag == f"{M}row":
                if event == "start":
                    number = el.get("r")
                    row = int(number) - 1 if number and number.isdigit() else next_row
                    if row >= limits.max_rows:
                        sheet.rows_cut = True
                        break
                else:
                    next_row = row + 1
                    el.clear()
                    while el.getprevious() is not None:  # keep the tree from growing with the rows read
                        del el.getparent()[0]
            elif event == "end":  # mergeCell
                elements.spend()
                span = _merge(el.get("ref"))
                if span and len(sheet.merges) < limits.max_rows:
                    sheet.merges.append(span)
    except etree.XMLSyntaxError as error:
        if stream.has_dtd():
            raise _dtd_refused(archive.name, part) from None
        raise _unreadable(archive.name, f"XML non valido nel foglio «{sheet.name}» ({error})", "READ_002") from None
    finally:
        stream.close()
    if context.root is not None and _has_dtd(context.root):
        raise _dtd_refused(archive.name, part)


# ---------------------------------------------------------------- ods

T = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
O = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
X = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


_X_P = f"{X}p"
MAX_SPACES = 1000  # a run of spaces in an ODS cell is a count: a crafted one must not fill the memory
MAX_CELL_TEXT = 32767  # what a spreadsheet cell can hold


def _ods_inline(element) -> str:
    """The text of an ODF paragraph, with its encoded runs of spaces, tabs and line breaks."""
    out = [element.text or ""]
    for child in element:
        if child.tag == f"{X}s":
            count = child.get(f"{X}c", "1")
            out.append(" " * min(int(count) if count.isdigit() else 1, MAX_SPACES))
        elif child.tag == f"{X}tab":
            out.append("\t")
        elif child.tag == f"{X}line-break":
            out.append("\n")
        else:
            out.append(_ods_inline(child))
        out.append(child.tail or "")
    return "".join(out)


def _ods_text(cell) -> str:
    """A cell's text, paragraphs joined, at most one character past `MAX_CELL_TEXT` (that one says it was longer)."""
    out, size = [], 0
    for p in cell.iterfind(_X_P):
        out.append(_ods_inline(p))
        size += len(out[-1]) + 1
        if size > MAX_CELL_TEXT:  # runs of spaces can multiply a text: never build more than a cell holds
            break
    return "\n".join(out)[:MAX_CELL_TEXT + 1]


def _ods_range(address: str):
    # $'Sheet 1'.$D$20:.$D$21  or  $Foglio.$D$20
    parts = address.split(":")
    if "." not in parts[0]:
        return None, None
    sheet, first = parts[0].rsplit(".", 1)
    sheet = sheet.lstrip("$").strip("'").replace("''", "'")
    last = parts[1].rsplit(".", 1)[-1] if len(parts) > 1 else first
    _, ref = _parse_ref(f"{first.replace('$', '')}:{last.replace('$', '')}")
    return sheet, ref


S = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_ROW_PARENTS = {f"{T}table", f"{T}table-rows", f"{T}table-row-group", f"{T}table-header-rows"}


# ODF's qualified names, built once: the reader compares and looks them up for every cell.
_O_BOOLEAN_VALUE = f"{O}boolean-value"
_O_DATE_VALUE = f"{O}date-value"
_O_SPREADSHEET = f"{O}spreadsheet"
_O_STRING_VALUE = f"{O}string-value"
_O_VALUE = f"{O}value"
_O_VALUE_TYPE = f"{O}value-type"
_S_DISPLAY = f"{S}display"
_S_NAME = f"{S}name"
_S_STYLE = f"{S}style"
_T_CELL_RANGE_ADDRESS = f"{T}cell-range-address"
_T_COVERED_TABLE_CELL = f"{T}covered-table-cell"
_T_DISPLAY = f"{T}display"
_T_FORMULA = f"{T}formula"
_T_NAME = f"{T}name"
_T_NAMED_RANGE = f"{T}named-range"
_T_NUMBER_COLUMNS_REPEATED = f"{T}number-columns-repeated"
_T_NUMBER_COLUMNS_SPANNED = f"{T}number-columns-spanned"
_T_NUMBER_ROWS_REPEATED = f"{T}number-rows-repeated"
_T_NUMBER_ROWS_SPANNED = f"{T}number-rows-spanned"
_T_STYLE_NAME = f"{T}style-name"
_T_TABLE = f"{T}table"
_T_TABLE_CELL = f"{T}table-cell"
_T_TABLE_ROW = f"{T}table-row"
_T_TABLE_SOURCE = f"{T}table-source"


def _read_ods(archive: _Zip, name: str, limits: Limits) -> RawWorkbook:
    if archive.infos["content.xml"].file_size <= SMALL_SHEET:
        data = archive.read("content.xml")
        root = archive.xml("content.xml", data)
        if _walk_reads_as_stream(root, data):
            try:
                return _read_ods_tree(root, archive, name, limits)
            except _Restream:
                pass
        del root, data
    # A large content.xml is streamed row by row and each row dropped once read: a sheet of a million
    # rows costs the time to parse it, not a tree of a million rows in memory.
    stream = archive.stream("content.xml")
    if b"<!DOCTYPE" in stream.head[:4096] or b"<!ENTITY" in stream.head[:4096]:
        raise _dtd_refused(name, "content.xml")
    budget = _Budget(limits.max_cells, name)
    seen: dict = {}  # a table-cell's attributes -> what they say, for `_ods_row`
    context = etree.iterparse(stream, events=("start", "end"), resolve_entities=False, no_network=True,
                              load_dtd=False, huge_tree=True, remove_comments=True,
                              tag=(_O_SPREADSHEET, _T_TABLE, _T_TABLE_ROW, _T_TABLE_CELL,
                                   _T_COVERED_TABLE_CELL, _T_NAMED_RANGE, _T_TABLE_SOURCE, _S_STYLE))
    elements = _Budget(limits.max_elements, name, "troppi elementi XML in content.xml (oltre il limite di celle "
                       "lette)")
    row_col = 0  # columns of the current row kept so far: cells past `max_cols` are dropped as they end
    hidden_styles, sheets, body_names = set(), [], []
    external, spreadsheet, sheet, row = 0, False, None, 0
    try:
        for event, el in context:
            tag = el.tag
            if tag == _O_SPREADSHEET:
                spreadsheet = event == "start"
            elif tag == _T_TABLE:
                if el.getparent() is None or el.getparent().tag != _O_SPREADSHEET:
                    continue
                if event == "start":
                    sheet = RawSheet(el.get(_T_NAME, f"Foglio{len(sheets) + 1}"), len(sheets),
                                     el.get(_T_STYLE_NAME) in hidden_styles)
                    sheets.append(sheet)
                    row = 0
                else:
                    sheet = None
                    el.clear()
            elif tag in (_T_TABLE_CELL, _T_COVERED_TABLE_CELL):
                if event == "end" and el.getparent() is not None and el.getparent().tag == _T_TABLE_ROW:
                    if row < limits.max_rows:
                        elements.spend()  # a row of millions of cells is refused, not parsed for seconds
                    if row >= limits.max_rows or row_col >= limits.max_cols:
                        # Never read: dropped as it ends (rows past the limit cost time only, never memory).
                        if row >= limits.max_rows and sheet is not None and (el.get(_O_VALUE_TYPE) or len(el)):
                            sheet.rows_cut = True
                        el.getparent().remove(el)
                        continue
                    repeat = el.get(_T_NUMBER_COLUMNS_REPEATED, "1")
                    row_col += int(repeat) if repeat.isdigit() else 1
            elif event == "start":
                if tag == _T_TABLE_ROW:
                    row_col = 0
                continue
            elif tag == _T_TABLE_ROW:
                if sheet is not None and el.getparent().tag in _ROW_PARENTS:
                    row = _ods_row(el, row, sheet, limits, budget, seen)
                    el.clear()
                    while el.getprevious() is not None:
                        del el.getparent()[0]
            elif tag == _T_NAMED_RANGE:
                sheet_name, ref = _ods_range(el.get(_T_CELL_RANGE_ADDRESS, ""))
                if ref and sheet is not None:
                    sheet.names[el.get(_T_NAME)] = ref
                elif ref and spreadsheet:
                    body_names.append((sheet_name, el.get(_T_NAME), ref))
            elif tag == _T_TABLE_SOURCE:
                external += 1
            elif tag == _S_STYLE and not spreadsheet:
                # LibreOffice writes table:display on the table's style (style:display is not ODF).
                if any("false" in (p.get(_T_DISPLAY), p.get(_S_DISPLAY)) for p in el):
                    hidden_styles.add(el.get(_S_NAME))
    except etree.XMLSyntaxError as error:
        if stream.has_dtd():
            raise _dtd_refused(name, "content.xml") from None
        raise _unreadable(name, f"XML non valido in content.xml ({error})", "READ_002") from None
    finally:
        stream.close()
    if context.root is not None and _has_dtd(context.root):
        raise _dtd_refused(name, "content.xml")
    if context.root is None or not any(True for _ in context.root.iter(_O_SPREADSHEET)):
        raise _unreadable(name, "è un documento ODS senza fogli", "READ_006")
    return _ods_workbook(archive, name, sheets, body_names, external)


_ROW_IN_ROW = etree.XPath("boolean(//t:table-row//t:table-row)", namespaces={"t": T[1:-1]})
_ODD_REPEAT = re.compile(rb"""columns-repeated\s*=\s*["'](?![0-9]+["'])""")
"""A column count that is not plain digits (or that this pattern cannot tell is): the stream counts it
as one column when it drops the cells past `Limits.max_cols`, `_ods_row` as the number it reads."""


class _Restream(Exception):
    """The tree walk met what only the stream reads exactly: read the part again, streamed."""


def _walk_reads_as_stream(root, data: bytes) -> bool:
    """Whether `_read_ods_tree` reads this content.xml exactly as the stream would: one office:spreadsheet,
    every table directly in it, no row inside a row (the stream takes rows in the order they end), column
    counts in digits."""
    spreadsheets = root.iter(_O_SPREADSHEET)
    first = next(spreadsheets, None)
    if first is None or next(spreadsheets, None) is not None:
        return False
    return (all(table.getparent() is first for table in root.iter(_T_TABLE)) and not _ROW_IN_ROW(root)
            and _ODD_REPEAT.search(data) is None)


def _read_ods_tree(root, archive: _Zip, name: str, limits: Limits) -> RawWorkbook:
    """A content.xml parsed whole (a few hundred KB for a sector's forms), read as `_read_ods` streams
    a large one: the same sheets, cells, names, limits and findings, without a Python step per element."""
    spreadsheet = next(root.iter(_O_SPREADSHEET))
    hidden_styles = set()
    for el in root.iter(_S_STYLE, _O_SPREADSHEET):  # the styles a table can name are those before the body
        if el is spreadsheet:
            break
        if any("false" in (p.get(_T_DISPLAY), p.get(_S_DISPLAY)) for p in el):
            hidden_styles.add(el.get(_S_NAME))
    budget = _Budget(limits.max_cells, name)
    seen: dict = {}  # a table-cell's attributes -> what they say, for `_ods_row`
    elements_left = limits.max_elements  # past it, the stream decides (it counts only cells, and refuses)
    sheets, by_table = [], {}
    for table in spreadsheet.iterchildren(_T_TABLE):
        sheet = RawSheet(table.get(_T_NAME, f"Foglio{len(sheets) + 1}"), len(sheets),
                         table.get(_T_STYLE_NAME) in hidden_styles)
        sheets.append(sheet)
        by_table[table] = sheet
        row = 0
        for row_el in table.iter(_T_TABLE_ROW):
            if row_el.getparent().tag not in _ROW_PARENTS:
                continue
            if row < limits.max_rows:
                elements_left -= len(row_el)  # its cells, each one element
                if elements_left < 0:
                    raise _Restream
            row = _ods_row(row_el, row, sheet, limits, budget, seen)
    body_names = []
    for el in spreadsheet.iter(_T_NAMED_RANGE):
        sheet_name, ref = _ods_range(el.get(_T_CELL_RANGE_ADDRESS, ""))
        if not ref:
            continue
        table = el.getparent()
        while table is not None and table not in by_table:
            table = table.getparent()
        if table is not None:
            by_table[table].names[el.get(_T_NAME)] = ref
        else:
            body_names.append((sheet_name, el.get(_T_NAME), ref))
    return _ods_workbook(archive, name, sheets, body_names, sum(1 for _ in root.iter(_T_TABLE_SOURCE)))


def _ods_workbook(archive: _Zip, name: str, sheets: list[RawSheet], body_names, external: int) -> RawWorkbook:
    by_name = {s.name: s for s in sheets}
    for sheet_name, range_name, ref in body_names:
        # Workbook-level names still tell where our sheet-scoped ones pointed.
        if sheet_name in by_name:
            by_name[sheet_name].names.setdefault(range_name, ref)
    return RawWorkbook(name, "ods", sheets, modified=_modified(archive),
                       has_macros=any(p.startswith("Basic/") or p.startswith("Scripts/") for p in archive.infos),
                       external_links=external)


def _ods_row(row_el, row: int, sheet: RawSheet, limits: Limits, budget: _Budget, seen: dict) -> int:
    """Store one table-row's cells at `row`; returns the next row number.

    A cell's attributes are taken in one call (`items()`) rather than looked up one by one: each lookup
    by qualified name costs as much as taking them all, and a blank cell has one or none. What a set
    of attributes means (`_ods_attributes`) is worked out once per workbook, in `seen`."""
    repeat_rows = int(row_el.get(_T_NUMBER_ROWS_REPEATED, "1"))
    if row >= limits.max_rows:
        if any(c.get(_O_VALUE_TYPE) or len(c) for c in row_el):
            sheet.rows_cut = True
        return row + repeat_rows
    max_cols, columns, merges = limits.max_cols, limits.columns, sheet.merges
    col = 0
    row_cells = []
    for cell in row_el:
        if col >= max_cols:
            break
        attributes = cell.items()
        if len(attributes) <= 1 and not len(cell):  # a third of a form's cells: a blank with a style or a count
            key = attributes[0][0] if attributes else _T_STYLE_NAME
            if key == _T_STYLE_NAME:
                col += 1
                continue
            if key == _T_NUMBER_COLUMNS_REPEATED:
                col += int(attributes[0][1])
                continue
        attribute_set = tuple(attributes)
        meaning = seen.get(attribute_set)
        if meaning is None:
            meaning = _ods_attributes(dict(attributes))
            # Kept only when short: a crafted value of megabytes is not held for the whole workbook.
            if len(seen) < MAX_CACHED_REFS and sum(len(v) for _, v in attributes) <= MAX_CACHED_TEXT:
                seen[attribute_set] = meaning
        repeat, spanned, kind, formula, raw, string_value = meaning
        if spanned is not None and len(merges) < limits.max_rows:
            merges.append((row, col, row + spanned[0] - 1, col + spanned[1] - 1))
        if raw is _FROM_TEXT:
            if kind is None and not len(cell):
                if formula is None:  # a blank: only its place counts
                    col += repeat
                    continue
                value = None
            else:
                value = string_value
                if value is None:
                    first = cell[0] if len(cell) == 1 else None  # most texts: one plain paragraph
                    value = (first.text or "") if first is not None and not len(first) and first.tag == _X_P \
                        else _ods_text(cell)
                if len(value) > MAX_CELL_TEXT:  # said at its cell by the sheet reader, never cut silently
                    value = value[:MAX_CELL_TEXT]
                    sheet.cut_texts.add((row, col))
                if kind is None and not value:
                    value = None
            # one record for the columns it repeats over
            raw = None if value is None and formula is None else RawCell(value, False, False, formula)
        if raw is not None:
            for k in range(min(repeat, max_cols - col)):
                if columns is None or col + k in columns:
                    row_cells.append((col + k, raw))
        col += repeat
    if row_cells and row + repeat_rows > limits.max_rows:
        sheet.rows_cut = True
    rows = max(0, min(repeat_rows, limits.max_rows - row)) if row_cells else 0  # a count below 0 repeats nothing
    if rows:
        budget.spend(len(row_cells) * rows)
        cells = sheet.cells
        for r in range(row, row + rows):
            for c, raw in row_cells:
                cells[(r, c)] = raw
    return row + repeat_rows


_FROM_TEXT = object()
"""In `_ods_attributes`: the value is the cell's text (or, with no type and no paragraph, there is none)."""


def _ods_attributes(found: dict) -> tuple:
    """What a table-cell's attributes say: (columns it repeats over, (rows, columns) it spans or None,
    value type, formula, the RawCell they make or `_FROM_TEXT`, the string-value attribute)."""
    repeat = int(found.get(_T_NUMBER_COLUMNS_REPEATED, "1"))
    spanned_cols, spanned_rows = found.get(_T_NUMBER_COLUMNS_SPANNED), found.get(_T_NUMBER_ROWS_SPANNED)
    spanned = None
    if spanned_cols or spanned_rows:
        cols_spanned = int(spanned_cols) if spanned_cols and spanned_cols.isdigit() else 1
        rows_spanned = int(spanned_rows) if spanned_rows and spanned_rows.isdigit() else 1
        if cols_spanned > 1 or rows_spanned > 1:
            spanned = (rows_spanned, cols_spanned)
    kind = found.get(_O_VALUE_TYPE)
    formula = found.get(_T_FORMULA)
    value, is_date, is_percent = None, False, False
    if kind in ("float", "currency"):
        value = _number(found.get(_O_VALUE))
    elif kind == "percentage":
        value, is_percent = _number(found.get(_O_VALUE)), True
    elif kind == "date":
        text = found.get(_O_DATE_VALUE, "")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = None
        value = None if moment is None else (moment - _EPOCH).total_seconds() / 86400
        is_date = moment is not None
    elif kind == "boolean":
        value = found.get(_O_BOOLEAN_VALUE) == "true"
    elif kind == "string" or kind is None:
        return repeat, spanned, kind, formula, _FROM_TEXT, found.get(_O_STRING_VALUE)
    raw = None if value is None and formula is None else RawCell(value, is_date, is_percent, formula)
    return repeat, spanned, kind, formula, raw, None


def as_date(value) -> date | None:
    """A date from a serial number or datetime, else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 2958466:
        return serial_to_datetime(float(value)).date()
    return None
