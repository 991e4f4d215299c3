"""Broken and hostile returned files, built by the tests: nothing binary is committed.

`build_corpus(folder)` writes into `folder`, next to one good returned workbook, every kind of
file a folder of returns may receive that is not a clean return, and gives back one `Case` per
file with the finding codes the importer must report for it: files that are not workbooks at
all, damaged or encrypted ones, the old .xls format, zip bombs (real and lying), XML entity
attacks, a file of hundreds of MB, a sheet with a million rows, formulas and external links in
input cells, macros, sheets renamed, moved, hidden, copied, added or stripped of their hidden
metadata, returns from another plan or round, duplicates and superseded returns.

The pieces are usable on their own: zip surgery (`rewrite_zip`, `raw_zip`), cell rewriting
(`set_cells`), typing valid values into a generated workbook (`fill`), a zip-bomb stream that
costs nothing to build (`zeros_deflate`), a minimal OLE compound file writer (`ole_file`).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from lxml import etree

from schede_excel.sheet.generate import generate, planned_workbooks
from schede_excel.sheet.layout import ROUND_LABELS, a1, sheet_layout, sheet_names
from schede_excel.plan.model import IndicatorKind, Plan
from schede_excel.plan.parse import parse_plan
from schede_excel.spreadsheet.reader import NS_MAIN, NS_REL
from schede_excel.plan.targets import Entry
from tests.plans import as_yaml, small_plan_data

M = "{%s}" % NS_MAIN
NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MB = 2**20

# ---------------------------------------------------------------- the plan

CORPUS_SECTORS = 20


MANY_INDICATORS = (15, 16)  # sectors whose quantity block has three indicators (rows sorted, a row deleted)


def corpus_plan_data(**changes) -> dict:
    """The small test plan plus sectors S01..S10 with one objective each, so every readable case has its own sector."""
    data = small_plan_data(**changes)
    for k in range(1, CORPUS_SECTORS + 1):
        code = f"S{k:02d}"
        data["settori"].append({"codice": code, "nome": f"SETTORE DI PROVA {k}", "responsabile": f"DR. PERSONA {k}",
                                "email": f"s{k}@comune.borgoprova.it"})
        data["obiettivi"].append({
            "settore": code, "numero": 1, "peso": 70, "titolo": f"OBIETTIVO DEL SETTORE {k}",
            "descrizione": "Riduzione dei tempi dei procedimenti.",
            "fasi": [{"descrizione": "Analisi", "mesi": [1, 2]}, {"descrizione": "Attuazione", "mesi": [3, 9]}],
            "indicatori": {
                "quantita": [{"descrizione": "pratiche evase nei termini", "atteso": "95%"}] + (
                    [{"descrizione": "sportelli aperti", "atteso": "4"},
                     {"descrizione": "controlli effettuati", "atteso": "10"}] if k in MANY_INDICATORS else []),
                "tempo": [{"descrizione": "relazione al sindaco", "atteso": "31/05/2023"}],
                "costo": [{"descrizione": "spesa per consulenze", "atteso": "1.000"}],
                "qualita": [{"descrizione": "reclami", "atteso": "nessuno"}],
            }})
    return data


def corpus_plan(**changes) -> Plan:
    result = parse_plan(as_yaml(corpus_plan_data(**changes)))
    assert result.ok, [str(f) for f in result.findings]
    return result.plan


# ---------------------------------------------------------------- zip surgery

def parts(data: bytes) -> dict[str, bytes]:
    """Every part of a zip, by name, in order."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def rewrite_zip(data: bytes, changes: dict[str, bytes | None]) -> bytes:
    """The same zip with parts replaced or added (bytes) or removed (None); order kept, new parts last."""
    old = parts(data)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in {**old, **changes}.items():
            new = changes.get(name, content)
            if new is not None:
                z.writestr(zipfile.ZipInfo(name, date_time=(2023, 7, 1, 12, 0, 0)), new, zipfile.ZIP_DEFLATED)
    return out.getvalue()


@dataclass(frozen=True)
class RawEntry:
    """A zip entry written byte for byte: its compressed payload and what the headers declare."""

    name: str
    payload: bytes
    crc: int
    size: int  # declared uncompressed size
    method: int = zipfile.ZIP_DEFLATED


def deflated(name: str, content: bytes) -> RawEntry:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return RawEntry(name, packer.compress(content) + packer.flush(), zlib.crc32(content), len(content))


def raw_zip(entries: list[RawEntry]) -> bytes:
    """A zip archive written by hand, so its headers can say what we want (sizes that lie, huge parts)."""
    out = io.BytesIO()
    central = []
    for e in entries:
        offset = out.tell()
        name = e.name.encode()
        fields = (20, 0, e.method, 0x6000, 0x56E1, e.crc & 0xFFFFFFFF, len(e.payload), e.size, len(name))
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", *fields, 0) + name)
        out.write(e.payload)
        central.append(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0, offset) + name)
    start = out.tell()
    out.write(b"".join(central))
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), out.tell() - start, start, 0))
    return out.getvalue()


def zeros_deflate(size: int) -> tuple[bytes, int]:
    """A raw deflate stream of `size` zero bytes (a multiple of 1 MiB) and its CRC, built in milliseconds.

    After a full flush a deflate compressor starts afresh, so 1 MiB of zeros compresses to the
    same ~1 KB every time: the stream is that block repeated, then the final empty block. Only the
    CRC walks the zeros (crc32 runs at GB/s); nothing of `size` is ever held in memory.
    """
    assert size % MB == 0
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(MB)
    first = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    assert packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH) == again
    crc = 0
    for _ in range(size // MB):
        crc = zlib.crc32(chunk, crc)
    return first + again * (size // MB - 1) + packer.flush(), crc


def zip_bomb(workbook: bytes, part: str, size: int, *, declared: int | None = None, ratio_only: bool = False) -> bytes:
    """The workbook with `part` replaced by `size` zero bytes, declaring `declared` bytes (default: the truth).

    With `ratio_only` the zeros are written by zipfile itself, in chunks, to stay faithful to a
    bomb produced by an ordinary zip tool (for sizes of a few MB, where that is cheap).
    """
    if ratio_only:
        old = parts(workbook)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            for name, content in old.items():
                if name != part:
                    z.writestr(name, content)
                    continue
                with z.open(name, "w") as handle:
                    chunk = bytes(MB)
                    for _ in range(size // MB):
                        handle.write(chunk)
        return out.getvalue()
    payload, crc = zeros_deflate(size)
    entries = [RawEntry(part, payload, crc, size if declared is None else declared) if name == part
               else deflated(name, content) for name, content in parts(workbook).items()]
    return raw_zip(entries)


# ---------------------------------------------------------------- cells

def sheet_parts(data: bytes) -> dict[str, str]:
    """Worksheet name -> its part in the zip, in the workbook's order."""
    p = parts(data)
    book = etree.fromstring(p["xl/workbook.xml"])
    rels = etree.fromstring(p["xl/_rels/workbook.xml.rels"])
    targets = {}
    for rel in rels:
        target = rel.get("Target")
        targets[rel.get("Id")] = target[1:] if target.startswith("/") else "xl/" + target
    return {s.get("name"): targets[s.get(f"{{{NS_REL}}}id")] for s in book.iter(f"{M}sheet")}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cell_xml(value) -> tuple[str | None, str]:
    """(cell type, inner XML) for a value as a spreadsheet stores it; dates become serial numbers."""
    if isinstance(value, str):
        return "inlineStr", f"<is><t>{_escape(value)}</t></is>"
    if isinstance(value, bool):
        return "b", f"<v>{int(value)}</v>"
    if isinstance(value, date):
        return None, f"<v>{(value - date(1899, 12, 30)).days}</v>"
    return None, f"<v>{value!r}</v>"


def set_cells(sheet: bytes, cells: dict[str, object]) -> bytes:
    """Rewrite existing cells of a worksheet's XML: ref -> value, or ref -> ('raw', type, inner XML)."""
    for ref, value in cells.items():
        kind, inner = value[1:] if isinstance(value, tuple) else cell_xml(value)
        pattern = re.compile(rb'<c r="%s"([^>]*?)(/>|>.*?</c>)' % ref.encode(), re.S)
        found = pattern.search(sheet)
        if not found:
            raise KeyError(f"cell {ref} not in the sheet")
        attrs = re.sub(rb'\s+t="[^"]*"', b"", found.group(1))
        kind_attr = f' t="{kind}"'.encode() if kind else b""
        sheet = sheet[:found.start()] + b'<c r="%s"%s%s>%s</c>' % (ref.encode(), attrs, kind_attr, inner.encode()) + sheet[found.end():]
    return sheet


def typed_value(entry: Entry, percent: float = 0.9):
    """What a sector head types for an indicator of this kind, and what the import must give back."""
    return {
        Entry.PERCENT: (percent, percent),
        Entry.NUMBER: (3, 3.0),
        Entry.DATE: (date(2023, 5, 31), date(2023, 5, 31)),
        Entry.DAYS: (20, 20.0),
        Entry.PERIODS: (2, 2.0),
        Entry.COUNT: (0, 0.0),
        Entry.YES_NO: ("Sì", True),
    }[entry]


def fill(plan: Plan, data: bytes, sector_code: str, *, percent: float = 0.9) -> tuple[bytes, dict]:
    """Type a valid RAGGIUNTO into every indicator of a sector's generated workbook.

    Returns the new bytes and what the import must read: {(objective key, block, number): value}.
    """
    objectives = plan.objectives_of(plan.sector(sector_code))
    where = sheet_parts(data)
    changes, expected = {}, {}
    for name, objective in zip(sheet_names(objectives), objectives):
        cells = {}
        for slot in sheet_layout(objective, staff_rows=plan.staff_rows).indicators:
            entry = slot.indicator.parsed_target(plan.year, cost=slot.kind is IndicatorKind.COST).entry
            typed, read = typed_value(entry, percent)
            cells[a1(*slot.achieved)] = typed
            expected[(objective.key, slot.kind.value, slot.index)] = read
        changes[where[name]] = set_cells(parts(data)[where[name]], cells)
    return rewrite_zip(data, changes), expected


def achieved(records) -> dict:
    """What an import read, in the shape `fill` returns."""
    return {(r.objective, i.kind.value, i.index): i.achieved for r in records for i in r.indicators}


def with_modified(data: bytes, moment: datetime) -> bytes:
    """The workbook as last saved at `moment` (dcterms:modified in docProps/core.xml)."""
    core = parts(data)["docProps/core.xml"]
    stamp = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    core = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + stamp + rb"\2", core)
    return rewrite_zip(data, {"docProps/core.xml": core})


# ---------------------------------------------------------------- not workbooks

def pdf_bytes() -> bytes:
    """A one-page PDF."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
    out = io.BytesIO(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def docx_bytes() -> bytes:
    """A minimal valid Word document (what Word needs to open it)."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    return rewrite_zip(_empty_zip(), {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>').encode(),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{NS_PKG}">'
            f'<Relationship Id="rId1" Type="{REL_TYPE}/officeDocument" Target="word/document.xml"/>'
            '</Relationships>').encode(),
        "word/document.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{w}"><w:body>'
            '<w:p><w:r><w:t>Relazione sugli obiettivi del settore</w:t></w:r></w:p></w:body></w:document>').encode(),
    })


def _empty_zip() -> bytes:
    out = io.BytesIO()
    zipfile.ZipFile(out, "w").close()
    return out.getvalue()


def ods_bytes() -> bytes:
    """A minimal OpenDocument spreadsheet with one sheet and one cell."""
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="{office}" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
        '<office:body><office:spreadsheet><table:table table:name="Foglio1"><table:table-row>'
        '<table:table-cell office:value-type="string"><text:p>Comune di Borgo Prova</text:p></table:table-cell>'
        '</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>' + " " * 4000)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            '</manifest:manifest>'), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def truncated(data: bytes) -> bytes:
    """The first half of a file, as an interrupted download or a full disk leaves it."""
    return data[: len(data) // 2]


# ---------------------------------------------------------------- OLE compound files

def ole_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file (version 3, 512-byte sectors) holding the given root streams.

    Streams are padded with zeros to 4,096 bytes so all live in regular sectors (no mini stream); enough
    for the old .xls format (a `Workbook` stream) or a vbaProject.bin. olefile reads the result.
    """
    free, end, fat_sector, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    assert len(streams) <= 3
    sizes = [max(4096, len(body)) for body in streams.values()]  # from 4,096 bytes a stream skips the mini stream
    bodies = [body.ljust(size, b"\0") for body, size in zip(streams.values(), sizes)]
    bodies = [body + bytes(-len(body) % 512) for body in bodies]
    fat = [fat_sector, end]  # sector 0: the FAT, sector 1: the directory
    starts = []
    for body in bodies:
        starts.append(len(fat))
        count = len(body) // 512
        fat += list(range(len(fat) + 1, len(fat) + count)) + [end]
    assert len(fat) <= 128
    fat += [free] * (128 - len(fat))

    def entry(name: str, kind: int, start: int, size: int, right=no_stream, child=no_stream) -> bytes:
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return (encoded.ljust(64, b"\0") + struct.pack("<HBBIII", len(encoded), kind, 1, no_stream, right, child)
                + bytes(16 + 4 + 16) + struct.pack("<IQ", start, size))

    names = list(streams)
    directory = entry("Root Entry", 5, end, 0, child=1 if names else no_stream)
    for k, name in enumerate(names):
        directory += entry(name, 2, starts[k], sizes[k], right=k + 2 if k + 1 < len(names) else no_stream)
    directory = directory.ljust(512, b"\0")
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
    return header + struct.pack("<128I", *fat) + directory + b"".join(bodies)


def xls_bytes() -> bytes:
    """An Excel 97-2003 file: an OLE compound file whose Workbook stream opens with a BIFF8 BOF record."""
    bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06)
    eof = struct.pack("<HH", 0x000A, 0)
    return ole_file({"Workbook": bof + eof})


def encrypted(data: bytes, password: str = "segreto") -> bytes:
    """The workbook as Excel saves it with «Proteggi con password»: ECMA-376 agile encryption in an OLE file."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


# ---------------------------------------------------------------- XML attacks

LAUGHS = ("<!DOCTYPE {root} [<!ENTITY lol \"lol\">"
          + "".join(f"<!ENTITY lol{k} \"{('&lol%s;' % (k - 1 if k > 1 else '')) * 10}\">" for k in range(1, 10))
          + "]>")
EXTERNAL = '<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
ENTITY = {"laughs": "&lol9;", "external": "&xxe;"}


def _with_doctype(xml: bytes, root: str, attack: str, padding: bytes = b"") -> bytes:
    doctype = (LAUGHS if attack == "laughs" else EXTERNAL).format(root=root).encode()
    declaration = re.match(rb"<\?xml[^>]*\?>\s*", xml)
    head = declaration.group(0) if declaration else b""
    return head + padding + doctype + xml[len(head):]


def xml_attack(data: bytes, part: str, attack: str, *, padding: bytes = b"", utf16: bool = False) -> bytes:
    """The workbook with a DTD in `part` ("laughs": billion laughs; "external": file:///etc/passwd) and the entity used.

    `padding` goes between the XML declaration and the DTD (a comment a few KB long, say);
    `utf16` re-encodes the part in UTF-16, which the XML rules allow.
    """
    ref = ENTITY[attack].encode()
    p = parts(data)
    changes: dict[str, bytes] = {}
    if part == "xl/sharedStrings.xml":
        xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{NS_MAIN}" count="1" uniqueCount="1">'
               f'<si><t>{ENTITY[attack]}</t></si></sst>').encode()
        xml = _with_doctype(xml, "sst", attack, padding)
        rels = p["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>", f'<Relationship Id="rId90" Type="{REL_TYPE}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>".encode())
        types = p["[Content_Types].xml"].replace(
            b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
            b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        changes.update({"xl/_rels/workbook.xml.rels": rels, "[Content_Types].xml": types})
        # A cell of the first objective sheet refers to the poisoned string.
        sheet = list(sheet_parts(data).values())[1]
        changes[sheet] = set_cells(p[sheet], {"B3": ("raw", "s", "<v>0</v>")})
    elif part == "xl/workbook.xml":
        xml = p[part].replace(b"<definedNames>", b'<definedNames><definedName name="NOTE">' + ref + b"</definedName>", 1)
        xml = _with_doctype(xml, "workbook", attack, padding)
    else:
        xml = p[part].replace(b"<t>Comune di", b"<t>" + ref + b"Comune di", 1)
        xml = _with_doctype(xml, "worksheet", attack, padding)
    if utf16:
        xml = xml.replace(b'encoding="UTF-8"', b'encoding="UTF-16"').decode("utf-8").encode("utf-16")
    changes[part] = xml
    return rewrite_zip(data, changes)


# ---------------------------------------------------------------- big things

def sparse_file(path: Path, size: int) -> Path:
    """A file of `size` bytes that takes no disk space: a zip signature, then a hole."""
    with open(path, "wb") as handle:
        handle.write(b"PK\x03\x04")
        handle.truncate(size)
    return path


def with_many_rows(data: bytes, part: str, rows: int) -> bytes:
    """The workbook with `rows` used rows appended to a worksheet, streamed: the sheet is never whole in memory."""
    old = parts(data)
    sheet = old[part]
    cut = sheet.index(b"</sheetData>")
    last = int(re.findall(rb'<row r="(\d+)"', sheet[:cut])[-1])
    head = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:S%d"/>' % (last + rows), sheet[:cut])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in old.items():
            if name != part:
                z.writestr(name, content)
                continue
            with z.open(name, "w") as handle:
                handle.write(head)
                for start in range(last + 1, last + rows + 1, 10_000):
                    handle.write("".join(f'<row r="{n}"><c r="B{n}"><v>{n}</v></c></row>'
                                         for n in range(start, min(start + 10_000, last + rows + 1))).encode())
                handle.write(sheet[cut:])
    return out.getvalue()


# ---------------------------------------------------------------- links and macros

def with_external_formula(data: bytes, sheet: str, ref: str, cached: float,
                          target: str = "http://127.0.0.1:9/bilancio.xlsx") -> bytes:
    """An input cell holding `=[1]Foglio1!A1` (cached value `cached`) and the external link part it points to."""
    p = parts(data)
    part = sheet_parts(data)[sheet]
    link = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><externalLink xmlns="{NS_MAIN}" '
            f'xmlns:r="{REL_TYPE}"><externalBook r:id="rId1"><sheetNames><sheetName val="Foglio1"/></sheetNames>'
            f'<sheetDataSet><sheetData sheetId="0"><row r="1"><cell r="A1"><v>{cached}</v></cell></row></sheetData>'
            '</sheetDataSet></externalBook></externalLink>').encode()
    link_rels = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{NS_PKG}">'
                 f'<Relationship Id="rId1" Type="{REL_TYPE}/externalLinkPath" Target="{target}" TargetMode="External"/>'
                 "</Relationships>").encode()
    return rewrite_zip(data, {
        part: set_cells(p[part], {ref: ("raw", None, f"<f>[1]Foglio1!A1</f><v>{cached}</v>")}),
        "xl/workbook.xml": p["xl/workbook.xml"].replace(
            b"<definedNames>", b'<externalReferences><externalReference r:id="rId91"/></externalReferences><definedNames>', 1),
        "xl/_rels/workbook.xml.rels": p["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>", f'<Relationship Id="rId91" Type="{REL_TYPE}/externalLink" '
            'Target="externalLinks/externalLink1.xml"/></Relationships>'.encode()),
        "[Content_Types].xml": p["[Content_Types].xml"].replace(
            b"</Types>", b'<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>'),
        "xl/externalLinks/externalLink1.xml": link,
        "xl/externalLinks/_rels/externalLink1.xml.rels": link_rels,
    })


def with_macros(data: bytes) -> bytes:
    """The workbook as Excel saves it in .xlsm with a VBA project."""
    p = parts(data)
    vba = ole_file({"PROJECT": b'ID="{00000000-0000-0000-0000-000000000000}"\r\nModule=Modulo1\r\n',
                    "PROJECTwm": b"Modulo1\0M\0o\0d\0u\0l\0o\0001\0\0\0\0\0"})
    types = p["[Content_Types].xml"].replace(
        b"spreadsheetml.sheet.main+xml", b"macroEnabled.main+xml").replace(
        b"application/vnd.openxmlformats-officedocument.macroEnabled.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
        b"<Default Extension=\"rels\"", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        b"<Default Extension=\"rels\"", 1)
    return rewrite_zip(data, {
        "[Content_Types].xml": types,
        "xl/_rels/workbook.xml.rels": p["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>", b'<Relationship Id="rId92" Type="http://schemas.microsoft.com/office/2006/'
            b'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>'),
        "xl/vbaProject.bin": vba,
    })


# ---------------------------------------------------------------- user edits through openpyxl

def _openpyxl(data: bytes):
    import openpyxl

    return openpyxl.load_workbook(io.BytesIO(data))


def _saved(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def renamed_moved_hidden(data: bytes) -> bytes:
    """Every objective sheet renamed, their order reversed, one of them hidden (as a user does in Excel)."""
    wb = _openpyxl(data)
    objective_sheets = wb.worksheets[1:]
    for k, ws in enumerate(objective_sheets, start=1):
        ws.title = f"Scheda mia {k}"
    for ws in objective_sheets:
        wb.move_sheet(ws, offset=-wb.index(ws))  # each to the front: the order ends reversed
    objective_sheets[0].sheet_state = "hidden"
    return _saved(wb)


def copied_into_new_workbook(data: bytes, sheet: str) -> bytes:
    """One sheet's values (the hidden metadata cell in column S included) copied into a brand-new workbook."""
    import openpyxl

    source = _openpyxl(data)[sheet]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Copia della scheda"
    for row in source.iter_rows():
        for cell in row:
            if cell.value is not None and not (isinstance(cell.value, str) and cell.value.startswith("=")):
                ws.cell(row=cell.row, column=cell.column, value=cell.value)
    return _saved(wb)


def with_extra_sheets(data: bytes) -> bytes:
    """Two sheets of the user's own added: notes and a pivot-like summary."""
    wb = _openpyxl(data)
    notes = wb.create_sheet("Appunti")
    notes["A1"] = "Da chiedere all'ufficio personale"
    summary = wb.create_sheet("Riepilogo", 1)
    summary["A1"], summary["B1"] = "Totale pratiche", 1234
    return _saved(wb)


def without_metadata(data: bytes) -> bytes:
    """The hidden identity cell (S1) emptied on every objective sheet, as a user clearing hidden columns does."""
    wb = _openpyxl(data)
    for ws in wb.worksheets[1:]:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith('{"app": "schede-excel"'):
                    cell.value = None
    return _saved(wb)


# ---------------------------------------------------------------- the corpus

@dataclass(frozen=True)
class Case:
    """One file of the corpus and what importing it must say."""

    file: str
    what: str
    codes: frozenset[str]  # finding codes reading the file alone must give (read_return)
    readable: bool = True  # False: the file cannot be read at all (a READ_* code)
    sector: str | None = None  # the sector whose objectives it returns, when readable
    folder_codes: frozenset[str] = frozenset()  # codes only a folder import gives (duplicates, superseded)
    used: bool | None = None  # whether the folder import uses it (None: as `readable`)
    sparse: bool = False  # hundreds of MB on disk: never read its bytes in a test
    meta: dict = field(default_factory=dict, compare=False)


def _codes(*codes: str) -> frozenset[str]:
    return frozenset(codes)


def generated(plan: Plan, folder: Path, round_: str = "interim") -> dict[str, bytes]:
    """The plan's sector workbooks as generated: sector code -> bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    generate(plan, folder, round_=round_, annex=False, overwrite=True)
    return {book.sector.code: (folder / book.filename).read_bytes() for book in planned_workbooks(plan, round_, annex=False)}


CASE_FILES = (
    "00-buono-FIN.xlsx", "pdf-rinominato.xlsx", "word-rinominato.xlsx", "testo.xlsx", "vuoto.xlsx", "troncato.xlsx",
    "troncato.ods", "con-password.xlsx", "vecchio-formato.xlsx", "bomba.xlsx", "bomba-rapporto.xlsx",
    "bomba-bugiarda.xlsx", "xml-laughs-foglio.xlsx", "xml-laughs-stringhe.xlsx", "xml-laughs-cartella.xlsx",
    "xml-external-foglio.xlsx", "xml-external-stringhe.xlsx", "xml-external-cartella.xlsx",
    "xml-laughs-dopo-commento.xlsx", "xml-external-utf16.xlsx", "enorme.xlsx", "righe-milione-S10.xlsx",
    "formula-esterna-S01.xlsx", "macro-S02.xlsm", "rinominati-S03.xlsx", "copiato-S04.xlsx",
    "fogli-aggiunti-S05.xlsx", "senza-metadati-S06.xlsx", "altro-piano.xlsx", "verifica-finale-S07.xlsx",
    "doppio-S08-a.xlsx", "doppio-S08-b-copia.xlsx", "a-S09-vecchio.xlsx", "b-S09-nuovo.xlsx",
)
"""The corpus's file names, known before it is built (for test ids)."""


def build_corpus(folder: Path, *, rows: int = 1_000_000, bomb_size: int = 2 * 2**30) -> dict[str, Case]:
    """Write the whole corpus into `folder` (which must be empty) and say what each file must give, by file name."""
    plan = corpus_plan()
    scratch = folder.parent / (folder.name + "-generati")
    books = generated(plan, scratch / "piano")
    other_plan_books = generated(corpus_plan(ente="Altro Comune"), scratch / "altro-piano")
    final_books = generated(plan, scratch / "finale", round_="final")
    shutil.rmtree(scratch)

    cases: list[Case] = []

    def put(name: str, data: bytes, what: str, codes=(), **more) -> None:
        (folder / name).write_bytes(data)
        cases.append(Case(name, what, _codes(*codes), **more))

    good, good_values = fill(plan, books["FIN"], "FIN")
    put("00-buono-FIN.xlsx", good, "a good return, every RAGGIUNTO typed in", (), sector="FIN",
        meta={"expected": good_values})

    # Not workbooks, damaged, encrypted, old format.
    put("pdf-rinominato.xlsx", pdf_bytes(), "a PDF renamed .xlsx", ["READ_006"], readable=False)
    put("word-rinominato.xlsx", docx_bytes(), "a .docx renamed .xlsx", ["READ_006"], readable=False)
    put("testo.xlsx", "settore;obiettivo;raggiunto\nFIN;1;95%\n".encode(), "a text file named .xlsx",
        ["READ_006"], readable=False)
    put("vuoto.xlsx", b"", "an empty file", ["READ_006"], readable=False)
    put("troncato.xlsx", truncated(good), "a workbook cut in half", ["READ_002"], readable=False)
    put("troncato.ods", truncated(ods_bytes()), "an .ods cut in half", ["READ_002"], readable=False)
    put("con-password.xlsx", encrypted(good), "a workbook protected with a password (encrypted)", ["READ_005"],
        readable=False)
    put("vecchio-formato.xlsx", xls_bytes(), "an Excel 97-2003 .xls renamed .xlsx", ["READ_006"], readable=False)

    # Zip bombs.
    first_sheet = list(sheet_parts(good).values())[1]
    put("bomba.xlsx", zip_bomb(good, first_sheet, bomb_size), f"a sheet part expanding to {bomb_size // 2**30} GB",
        ["READ_003"], readable=False)
    put("bomba-rapporto.xlsx", zip_bomb(good, first_sheet, 40 * MB, ratio_only=True),
        "a 40 MB sheet of zeros in a few KB (ratio about 1000:1)", ["READ_003"], readable=False)
    put("bomba-bugiarda.xlsx", zip_bomb(good, first_sheet, bomb_size, declared=30_000),
        f"a central directory declaring 30 KB for a part of {bomb_size // 2**30} GB", ["READ_002"], readable=False)

    # XML attacks.
    for attack in ("laughs", "external"):
        for part, short in ((first_sheet, "foglio"), ("xl/sharedStrings.xml", "stringhe"), ("xl/workbook.xml", "cartella")):
            put(f"xml-{attack}-{short}.xlsx", xml_attack(good, part, attack), f"{attack} entity in {part}",
                ["READ_004"], readable=False)
    put("xml-laughs-dopo-commento.xlsx",
        xml_attack(good, first_sheet, "laughs", padding=b"<!--" + b" spazio " * 1000 + b"-->"),
        "billion laughs after an 8 KB comment in the prolog", ["READ_004"], readable=False)
    put("xml-external-utf16.xlsx", xml_attack(good, first_sheet, "external", utf16=True),
        "an external entity in a sheet encoded in UTF-16", ["READ_004"], readable=False)

    # Too big.
    sparse_file(folder / "enorme.xlsx", 300 * MB)
    cases.append(Case("enorme.xlsx", "a file of 300 MB (sparse)", _codes("READ_003"), readable=False, sparse=True))
    own = {code: sheet_names(plan.objectives_of(plan.sector(code)))[-1] for code in books}
    rows_book, values = fill(plan, books["S10"], "S10")
    put("righe-milione-S10.xlsx", with_many_rows(rows_book, sheet_parts(rows_book)[own["S10"]], rows),
        f"{rows:,} used rows after the form", ["RET_014"], sector="S10", meta={"expected": values})

    # Formulas, links, macros.
    book, values = fill(plan, books["S01"], "S01")
    objective = plan.objectives_of(plan.sector("S01"))[-1]
    ref = a1(*sheet_layout(objective, staff_rows=plan.staff_rows).indicators[0].achieved)
    put("formula-esterna-S01.xlsx", with_external_formula(book, own["S01"], ref, 0.9),
        "RAGGIUNTO holding =[1]Foglio1!A1 (an external workbook over http), cached 0.9",
        ["RET_012", "RET_002"], sector="S01", meta={"expected": values, "cell": ref})
    book, values = fill(plan, books["S02"], "S02")
    put("macro-S02.xlsm", with_macros(book), "an .xlsm with a vbaProject.bin", ["RET_001"], sector="S02",
        meta={"expected": values})

    # Sheets edited by the user.
    book, values = fill(plan, books["S03"], "S03")
    put("rinominati-S03.xlsx", renamed_moved_hidden(book), "objective sheets renamed, reordered, one hidden", (),
        sector="S03", meta={"expected": values})
    book, values = fill(plan, books["S04"], "S04")
    put("copiato-S04.xlsx", copied_into_new_workbook(book, own["S04"]), "one sheet copied into a new workbook",
        (), sector="S04", folder_codes=_codes("RET_008"),
        meta={"expected": {k: v for k, v in values.items() if k[0] == "S04/1"}})
    book, values = fill(plan, books["S05"], "S05")
    put("fogli-aggiunti-S05.xlsx", with_extra_sheets(book), "two sheets added by the user", ["RET_003"],
        sector="S05", meta={"expected": values})
    book, values = fill(plan, books["S06"], "S06")
    put("senza-metadati-S06.xlsx", without_metadata(book), "the hidden identity cell deleted", ["RET_018"],
        sector="S06", meta={"expected": values})

    # Someone else's files.
    book, _ = fill(corpus_plan(ente="Altro Comune"), other_plan_books["FIN"], "FIN")
    put("altro-piano.xlsx", book, "a return of another municipality's plan", ["RET_004"], used=False)
    book, _ = fill(plan, final_books["S07"], "S07")
    put(f"verifica-{ROUND_LABELS['final']}-S07.xlsx", book, "a return for the final review (interim expected)",
        ["RET_005"], used=False, meta={"round_": "interim"})

    # Duplicates and superseded returns.
    book, values = fill(plan, books["S08"], "S08")
    put("doppio-S08-a.xlsx", book, "a return ...", (), sector="S08", meta={"expected": values})
    put("doppio-S08-b-copia.xlsx", book, "... and the very same file again", (), sector="S08",
        folder_codes=_codes("RET_007"), used=False)
    older, _ = fill(plan, books["S09"], "S09", percent=0.5)
    newer, values = fill(plan, books["S09"], "S09", percent=0.9)
    put("a-S09-vecchio.xlsx", with_modified(older, datetime(2023, 7, 1, 9, 0, tzinfo=timezone.utc)),
        "an older return of S09 (saved 1 July) with a newer file time and a name sorting first", (), sector="S09",
        folder_codes=_codes("RET_006"), used=False)
    put("b-S09-nuovo.xlsx", with_modified(newer, datetime(2023, 7, 10, 9, 0, tzinfo=timezone.utc)),
        "the newer return of S09 (saved 10 July)", (), sector="S09", meta={"expected": values})
    later = datetime(2023, 7, 20).timestamp()
    os.utime(folder / "a-S09-vecchio.xlsx", (later, later))
    return {case.file: case for case in cases}


# ---------------------------------------------------------------- issue 14: more hostile returns

def corrupt_deflate(data: bytes, part: str) -> bytes:
    """The workbook with `part`'s compressed bytes damaged in the middle (sizes and CRC kept): zlib fails."""
    entries = []
    for name, content in parts(data).items():
        entry = deflated(name, content)
        if name == part:
            payload = bytearray(entry.payload)
            middle = len(payload) // 2
            payload[middle:middle + 16] = b"\xff" * 16
            entry = RawEntry(name, bytes(payload), entry.crc, entry.size)
        entries.append(entry)
    return raw_zip(entries)


def with_bad_member_name(data: bytes) -> bytes:
    """An extra member whose name is not UTF-8 (\xe8, Windows' è) although its headers say it is (flag 0x800)."""
    entries = [deflated(name, content) for name, content in parts(data).items()]
    out = raw_zip(entries + [deflated("xl/media/immagine-X.png", b"x")])
    out = out.replace(b"xl/media/immagine-X.png", b"xl/media/immagine-\xe8.png")
    bad = b"xl/media/immagine-\xe8.png"
    for signature, flag_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        start = 0
        while (start := out.find(signature, start)) >= 0:
            if out[start + name_at:start + name_at + len(bad)] == bad:
                out = out[:start + flag_at] + struct.pack("<H", 0x800) + out[start + flag_at + 2:]
            start += 4
    return out


def with_deep_metadata(data: bytes, depth: int = 100_000) -> bytes:
    """The hidden identity JSON of every objective sheet replaced by JSON nested `depth` deep."""
    deep = ('{"app": "schede-excel", "x": ' + "[" * depth + "]" * depth + "}").encode()
    changes = {}
    for name, part in sheet_parts(data).items():
        xml = parts(data)[part]
        new = re.sub(rb'\{"app": "schede-excel"[^<]*\}', lambda m: deep, xml)
        if new != xml:
            changes[part] = new
    return rewrite_zip(data, changes)


def with_core_date(data: bytes, stamp: str) -> bytes:
    """dcterms:modified set to `stamp` as written (e.g. 9999-12-31T23:59:59Z)."""
    core = parts(data)["docProps/core.xml"]
    core = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + stamp.encode() + rb"\2", core)
    return rewrite_zip(data, {"docProps/core.xml": core})


_STRICT_NS = {b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": b"http://purl.oclc.org/ooxml/spreadsheetml/main",
              b"http://schemas.openxmlformats.org/officeDocument/2006/relationships":
                  b"http://purl.oclc.org/ooxml/officeDocument/relationships"}


def as_strict(data: bytes) -> bytes:
    """The workbook as Excel saves it in «Strict Open XML» (the same elements, Strict namespaces)."""
    changes = {}
    for name, content in parts(data).items():
        if name.endswith(".xml"):
            new = content
            for transitional, strict in _STRICT_NS.items():
                new = new.replace(transitional, strict)
            if new != content:
                changes[name] = new
    return rewrite_zip(data, changes)


def without_objective_sheets(data: bytes) -> bytes:
    """Only the user's own sheets left: every sheet of the form deleted."""
    wb = _openpyxl(data)
    notes = wb.create_sheet("Appunti")
    notes["A1"] = "Pratiche da chiudere"
    for ws in list(wb.worksheets):
        if ws.title != "Appunti":
            wb.remove(ws)
    return _saved(wb)


def in_1904(data: bytes, plan: Plan, sector_code: str) -> bytes:
    """The workbook as saved with the 1904 date system: workbookPr date1904, every date serial 1,462 days less."""
    workbook = parts(data)["xl/workbook.xml"]
    if b"<workbookPr" in workbook:
        workbook = re.sub(rb"<workbookPr", b'<workbookPr date1904="1"', workbook, count=1)
    else:
        workbook = workbook.replace(b"<sheets>", b'<workbookPr date1904="1"/><sheets>', 1)
    changes = {"xl/workbook.xml": workbook}
    objectives = plan.objectives_of(plan.sector(sector_code))
    where = sheet_parts(data)
    for name, objective in zip(sheet_names(objectives), objectives):
        cells = {}
        for slot in sheet_layout(objective, staff_rows=plan.staff_rows).indicators:
            if slot.indicator.parsed_target(plan.year, cost=slot.kind is IndicatorKind.COST).entry is Entry.DATE:
                day = typed_value(Entry.DATE)[0]
                cells[a1(*slot.achieved)] = ("raw", None, f"<v>{(day - date(1904, 1, 1)).days}</v>")
        if cells:
            changes[where[name]] = set_cells(parts(data)[where[name]], cells)
    return rewrite_zip(data, changes)


def _own_sheet(plan: Plan, data: bytes, sector_code: str):
    objective = plan.objectives_of(plan.sector(sector_code))[-1]
    name = sheet_names(plan.objectives_of(plan.sector(sector_code)))[-1]
    return objective, name, sheet_parts(data)[name], sheet_layout(objective, staff_rows=plan.staff_rows)


QUANTITY_VALUES = (0.9, 7, 12)  # typed into the three quantity indicators of the MANY_INDICATORS sectors


def with_quantities(plan: Plan, data: bytes, sector_code: str) -> tuple[bytes, dict]:
    """`fill`, then distinct values in the three quantity indicators (so a swap would show)."""
    data, expected = fill(plan, data, sector_code)
    objective, _, part, lay = _own_sheet(plan, data, sector_code)
    slots = [s for s in lay.indicators if s.kind is IndicatorKind.QUANTITY]
    cells = {a1(*slot.achieved): value for slot, value in zip(slots, QUANTITY_VALUES)}
    for slot, value in zip(slots, QUANTITY_VALUES):
        expected[(objective.key, slot.kind.value, slot.index)] = float(value)
    return rewrite_zip(data, {part: set_cells(parts(data)[part], cells)}), expected


def sorted_rows(plan: Plan, data: bytes, sector_code: str) -> bytes:
    """The quantity rows sorted by the user (as LibreOffice's Data > Sort does): last first; text, ATTESO
    and RAGGIUNTO move together."""
    import openpyxl

    objective, name, part, lay = _own_sheet(plan, data, sector_code)
    slots = [s for s in lay.indicators if s.kind is IndicatorKind.QUANTITY]
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[name]
    rows = [[ws.cell(row=s.row + 1, column=c + 1).value for c in (0, 2, 3)] for s in slots]
    cells = {}
    for slot, values in zip(slots, reversed(rows)):
        for col, value in zip((0, 2, 3), values):
            cells[a1(slot.row, col)] = value
    return rewrite_zip(data, {part: set_cells(parts(data)[part], cells)})


def deleted_row(plan: Plan, data: bytes, sector_code: str) -> tuple[bytes, str]:
    """The middle quantity row deleted (rows below move up). Returns the bytes and the block header cell."""
    objective, name, _, lay = _own_sheet(plan, data, sector_code)
    middle = [s for s in lay.indicators if s.kind is IndicatorKind.QUANTITY][1]
    wb = _openpyxl(data)
    ws = wb[name]
    for merged in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(merged))  # openpyxl does not move merges: as Excel would, they go with the rows
    ws.delete_rows(middle.row + 1)
    return _saved(wb), a1(lay.block_headers[IndicatorKind.QUANTITY], 0)


def copy_filled_after_blank(plan: Plan, blank: bytes, sector_code: str) -> tuple[bytes, dict, str, str]:
    """The head copied the sheet (Sposta o copia > Crea una copia), filled the copy, left the original blank."""
    filled, expected = fill(plan, blank, sector_code)
    objective, name, _, _ = _own_sheet(plan, blank, sector_code)
    wb = _openpyxl(blank)
    source = _openpyxl(filled)[name]
    copy = wb.copy_worksheet(wb[name])
    copy.title = f"{name[:27]} (2)"
    for row in source.iter_rows():
        for cell in row:
            if cell.value is not None and type(cell).__name__ != "MergedCell":
                copy.cell(row=cell.row, column=cell.column, value=cell.value)
    keep = {k: v if k[0] == objective.key else None for k, v in expected.items()}  # TUTTI/1 stays blank
    return _saved(wb), keep, name, copy.title


def covered_cells(sheet_xml: bytes) -> list[str]:
    """Every cell a merged range covers (all but its first), as A1 references."""
    from schede_excel.spreadsheet.reader import _parse_ref

    out = []
    for ref in re.findall(rb'<mergeCell ref="([^"]+)"/>', sheet_xml):
        _, (r1, c1, r2, c2) = _parse_ref(ref.decode())
        out += [a1(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1) if (r, c) != (r1, c1)]
    return out


HIDDEN_MARK = "NASCOSTO"


def typed_under_merges(data: bytes, sheet: str, refs: list[str] | None = None) -> tuple[bytes, list[str]]:
    """A value typed into every cell a merged range covers on `sheet` (or only `refs`): returns bytes and cells."""
    part = sheet_parts(data)[sheet]
    xml = parts(data)[part]
    refs = covered_cells(xml) if refs is None else refs
    cells = {ref: f"{HIDDEN_MARK} {ref}" for ref in refs if re.search(rb'<c r="%s"' % ref.encode(), xml)}
    return rewrite_zip(data, {part: set_cells(xml, cells)}), sorted(cells)


def encrypted_ods() -> bytes:
    """An .ods saved by LibreOffice with «Salva con password»: manifest with encryption-data, content scrambled."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        z.writestr("content.xml", os.urandom(4000), zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml" manifest:size="9000">'
            '<manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k" '
            'manifest:checksum="AAAA"><manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc" '
            'manifest:initialisation-vector="AAAA"/><manifest:key-derivation manifest:key-derivation-name="PBKDF2" '
            'manifest:key-size="32" manifest:iteration-count="100000" manifest:salt="AAAA"/></manifest:encryption-data>'
            '</manifest:file-entry></manifest:manifest>'), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def many_members(count: int) -> bytes:
    """A zip of `count` empty members (names xl/m/000001...), written by hand in a fraction of a second."""
    local, central, offset = [], [], 0
    crc = zlib.crc32(b"")
    for k in range(count):
        name = f"xl/m/{k:06d}".encode()
        fields = (20, 0, 0, 0x6000, 0x56E1, crc, 0, 0, len(name))
        header = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", *fields, 0) + name
        local.append(header)
        central.append(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0, offset) + name)
        offset += len(header)
    body, directory = b"".join(local), b"".join(central)
    entries = min(count, 0xFFFF)
    return body + directory + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, entries, entries, len(directory),
                                          len(body), 0)


def shared_strings_bomb(data: bytes, megabytes: int) -> bytes:
    """xl/sharedStrings.xml grown to `megabytes` MB of distinct short strings (ratio about 100:1, not 1000:1)."""
    head = b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="%s">' % NS_MAIN.encode()
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    crc, size, chunks = 0, 0, []
    block = b"".join(b"<si><t>riga %d</t></si>" % (k % 1000) for k in range(40_000))
    for piece in [head] + [block] * (megabytes * MB // len(block)) + [b"</sst>"]:
        crc, size = zlib.crc32(piece, crc), size + len(piece)
        chunks.append(packer.compress(piece))
    chunks.append(packer.flush())
    bomb = RawEntry("xl/sharedStrings.xml", b"".join(chunks), crc, size)
    entries = [deflated(name, content) for name, content in parts(data).items() if name != "xl/sharedStrings.xml"]
    return raw_zip(entries + [bomb])


MORE_FILES = (
    "zlib-rotto.xlsx", "nome-parte-non-utf8.xlsx", "metadati-profondi-S11.xlsx", "data-9999-S12.xlsx",
    "data-0001-S13.xlsx", "strict-S14.xlsx", "senza-schede.xlsx", "date-1904-S17.xlsx", "righe-ordinate-S15.xlsx",
    "riga-cancellata-S16.xlsx", "copia-compilata-S18.xlsx", "sotto-unioni-S19.xlsx", "cifrato.ods",
    "membri-troppi.xlsx", "bomba-stringhe.xlsx", "buono-S20.xlsx",
)
"""The files of `build_more`, known before it is built."""


def build_more(folder: Path) -> dict[str, Case]:
    """The hostile returns of issue 14, written into `folder`, each with what it must give."""
    plan = corpus_plan()
    scratch = folder.parent / (folder.name + "-generati")
    books = generated(plan, scratch / "piano")
    shutil.rmtree(scratch)
    cases: list[Case] = []

    def put(name: str, data: bytes, what: str, codes=(), **more) -> None:
        (folder / name).write_bytes(data)
        cases.append(Case(name, what, _codes(*codes), **more))

    good, good_values = fill(plan, books["S20"], "S20")
    put("buono-S20.xlsx", good, "a good return among them", (), sector="S20", meta={"expected": good_values})
    sheet = list(sheet_parts(good).values())[1]
    put("zlib-rotto.xlsx", corrupt_deflate(good, sheet), "a sheet's deflate stream damaged (zlib.error)",
        ["READ_002"], readable=False)
    put("nome-parte-non-utf8.xlsx", with_bad_member_name(good), "a member name flagged UTF-8 that is not",
        ["READ_002"], readable=False)
    book, values = fill(plan, books["S11"], "S11")
    put("metadati-profondi-S11.xlsx", with_deep_metadata(book), "hidden metadata JSON nested 100,000 deep",
        ["RET_018"], sector="S11", meta={"expected": values})
    book, values = fill(plan, books["S12"], "S12")
    put("data-9999-S12.xlsx", with_core_date(book, "9999-12-31T23:59:59Z"), "saved, it says, in the year 9999",
        ["RET_017"], sector="S12", meta={"expected": values})
    book, values = fill(plan, books["S13"], "S13")
    put("data-0001-S13.xlsx", with_core_date(book, "0001-01-01T00:00:00"), "saved, it says, in the year 1 (local time)",
        ["RET_017"], sector="S13", meta={"expected": values})
    book, values = fill(plan, books["S14"], "S14")
    put("strict-S14.xlsx", as_strict(book), "saved as Strict Open XML", (), sector="S14", meta={"expected": values})
    put("senza-schede.xlsx", without_objective_sheets(books["FIN"]), "a workbook with no objective sheet",
        ["RET_019"], used=False)
    book, values = fill(plan, books["S17"], "S17")
    put("date-1904-S17.xlsx", in_1904(book, plan, "S17"), "saved with the 1904 date system", (), sector="S17",
        meta={"expected": values})
    book, values = with_quantities(plan, books["S15"], "S15")
    put("righe-ordinate-S15.xlsx", sorted_rows(plan, book, "S15"), "the quantity rows sorted, last first", (),
        sector="S15", meta={"expected": values})
    book, values = with_quantities(plan, books["S16"], "S16")
    objective = plan.objectives_of(plan.sector("S16"))[-1]
    deleted, header = deleted_row(plan, book, "S16")
    values = {**values, (objective.key, "quantita", 2): None}
    put("riga-cancellata-S16.xlsx", deleted, "the middle quantity row deleted", ["RET_022", "RET_021"],
        sector="S16", meta={"expected": values, "cell": header})
    book, values, original, copy = copy_filled_after_blank(plan, books["S18"], "S18")
    put("copia-compilata-S18.xlsx", book, "the sheet copied, the copy filled, the original left blank", ["RET_016"],
        sector="S18", meta={"expected": values, "blank": original, "copy": copy})
    book, values = fill(plan, books["S19"], "S19")
    name = sheet_names(plan.objectives_of(plan.sector("S19")))[-1]
    book, hidden = typed_under_merges(book, name)
    put("sotto-unioni-S19.xlsx", book, "a value typed under every merged range of a sheet", ["RET_023"],
        sector="S19", meta={"expected": values, "hidden": hidden, "sheet": name})
    put("cifrato.ods", encrypted_ods(), "an .ods saved with a password by LibreOffice", ["READ_005"], readable=False)
    put("membri-troppi.xlsx", many_members(20_000), "a zip of 20,000 members", ["READ_003"], readable=False)
    put("bomba-stringhe.xlsx", shared_strings_bomb(good, 40), "40 MB of shared strings at a ratio near 100:1",
        ["READ_003"], readable=False)
    return {case.file: case for case in cases}


def wide_row_ods(cells: int) -> bytes:
    """An .ods whose first row holds `cells` distinct blank cells (each its own style: nothing repeats)."""
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        with z.open("content.xml", "w") as handle:
            handle.write(f'<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="{office}" '
                         'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
                         'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
                         '<office:spreadsheet><table:table table:name="Foglio1"><table:table-row>'.encode())
            for start in range(0, cells, 50_000):
                handle.write(b"".join(b'<table:table-cell table:style-name="ce%d"/>' % k
                                      for k in range(start, min(cells, start + 50_000))))
            handle.write(b"</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>")
    return out.getvalue()
