"""Last year's schede, made by hand in Excel, turned into next year's plan.

A municipality that starts using this tool has last year's annex as a workbook made by hand:
one worksheet per objective in the familiar layout, but with its own column positions, merges,
blank rows and spelling of the labels. `migrate_workbook(data)` finds each section of each
sheet by its label (case, spacing, accents, punctuation and merges do not matter), reads what
the plan needs and builds the plan data for the next year: year plus one, review dates and
dated ATTESO one year on, RAGGIUNTO, the review texts and the staff left out. What it cannot
recover is reported as findings (with sheet and cell) and written as comments in the plan
file, which `planyaml.plan_to_yaml` writes. No file I/O here.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..spreadsheet.grid import Grid, NotAWorkbook, plain, read_grids
from ..findings import Finding, Result, finding
from .layout import MONTH_LETTERS, Label, a1
from ..plan.model import CROSS_CUTTING, IndicatorKind
from ..plan.targets import MONTH_ABBREVIATIONS

PLACEHOLDER_SECTOR = "DA-INDICARE"
PLACEHOLDER_TITLE = "DA COMPLETARE"
_ABBREVIATION = {month: abbr for abbr, month in MONTH_ABBREVIATIONS.items() if len(abbr) == 3}

# Labels reduced with `plain`; a cell is a label when its reduced text is one of these.
_EXACT = {
    plain(Label.SECTOR): "sector", plain(Label.OBJECTIVE): "objective", plain(Label.DESCRIPTION): "description",
    plain("descrizione dell'obiettivo"): "description", plain(Label.WEIGHT): "weight",
    plain(Label.TIMELINE): "timeline", plain(Label.TIMELINE_SUB): "timeline", plain(Label.INDICATORS): "indicators",
    plain(Label.TARGET): "target", plain(Label.ACHIEVED): "achieved", plain(Label.STAFF): "staff",
    plain(Label.STAFF_NAME): "staff_name", plain(Label.STAFF_TOTAL): "staff_total",
    **{plain(text): "review" for text in (Label.VALUE_SCORE, Label.TIME_SCORE, Label.ANALYSIS, Label.CAUSES,
                                          Label.EFFECTS, Label.ACTIONS, Label.ACTIONS_TAKEN, Label.ACTIONS_PLANNED)},
}
# Labels that vary more, matched on the reduced text; strict enough not to take a description
# such as «verifica finale dei lavori» for a label.
_PATTERNS = (
    (re.compile(rf"^{plain(Label.INTERIM).removesuffix(' al')}( al\b.*)?$"), "interim"),
    (re.compile(rf"^{plain(Label.FINAL).removesuffix(' al')}( al\b.*)?$"), "final"),
    (re.compile(r"^responsabile( de(i|l|lla)? (servizio|settore|area)| di (servizio|settore|area))?$"), "head"),
    (re.compile(r"^collegamento (con (la )?rel\b.*|.*\bdup)$"), "dup"),
    (re.compile(r"^(descrizione delle )?fasi di attuazione$"), "phases"),
    (re.compile(r"^scost(amento|amenti)?$"), "deviation"),
)
_KIND = re.compile(r"^indic[ei] (?:di )?(quantita|tempo|costo|qualita)$")
# Labels that may carry their value in the same cell after a colon: «SETTORE: FINANZIARIO».
_INLINE = {"sector", "head", "objective", "description", "weight"}
# Where a section ends: the next of these labels below it.
_SECTIONS = {"dup", "phases", "timeline", "indicators", "interim", "final", "review", "staff", "staff_name",
             "staff_total", *(kind.value for kind in IndicatorKind)}

_ENTITY = re.compile(r"comune\s+di\s+(.+?)\s+anno\b", re.IGNORECASE)
_YEAR = re.compile(r"\banno\s+(\d{4})\b", re.IGNORECASE)
_NUMBER = re.compile(r"obiettivo(?:\s+strategico)?\s+n\s*(?:°|º|\.|ro|um\.?|umero)?\s*[°º.:]?\s*(\d+)", re.IGNORECASE)
_WEIGHT = re.compile(r"\bpeso\s*:?\s*(\d+(?:[.,]\d+)?)", re.IGNORECASE)
_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b")
_FULL_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_HONORIFICS = {"sig", "sig ra", "sigra", "dott", "dott ssa", "dr", "dr ssa", "arch", "ing", "geom", "rag", "avv", "prof"}


class Migration(Result):
    """The outcome: plan data for the new year (None when nothing could be migrated), the
    comments to write in the plan file by key path, and the findings."""

    data: dict[str, Any] | None
    """The plan as plan-file data (Italian keys), ready for `plan_to_yaml`."""
    comments: dict[tuple[str | int, ...], list[str]] = {}
    """Comment lines to write above a key path, e.g. what is still to be filled in."""
    findings: list[Finding] = []
    """What was found, guessed or is missing, with sheet and cell."""


@dataclass
class _Found:
    """A label cell: where it is, which label, and any value written after it in the same cell."""

    row: int
    col: int
    key: str
    rest: str = ""


@dataclass
class _Scheda:
    """What one objective's sheet says, as found."""

    sheet: str
    top: int
    entity: str | None = None
    year: int | None = None
    number: int | None = None
    weight: object = None
    sector: str | None = None
    head: str = ""
    title: str | None = None
    description: str = ""
    dup: list[str] = field(default_factory=list)
    phases: list[dict] = field(default_factory=list)
    timeline: bool = False
    indicators: dict[str, list[tuple]] | None = None  # kind -> [(description, value, format, cell)]
    interim: date | None = None
    final: date | None = None
    staff_rows: int | None = None
    cells: dict[str, str] = field(default_factory=dict)


def _classify(text: str) -> str | None:
    reduced = plain(text)
    if reduced in _EXACT:
        return _EXACT[reduced]
    if m := _KIND.match(reduced):
        return m.group(1)
    return next((key for pattern, key in _PATTERNS if pattern.match(reduced)), None)


def _label(value) -> _Found | None:
    if not isinstance(value, str) or len(value) > 120:
        return None
    head, colon, rest = value.partition(":")
    if colon and rest.strip() and (key := _classify(head)) in _INLINE:
        return _Found(0, 0, key, rest.strip())
    key = _classify(value)
    return _Found(0, 0, key) if key else None


def _clean(value, *, one_line: bool = False) -> str:
    """A text cell as the plan wants it: no fill-in underscores, no stray spaces."""
    if value is None:
        return ""
    if isinstance(value, float):
        value = f"{value:g}".replace(".", ",")
    text = re.sub(r"_{2,}", " ", str(value))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    text = "\n".join(line for line in lines if line) if not one_line else " ".join(line for line in lines if line)
    return text.strip()


def _row_text(grid: Grid, row: int) -> str:
    return " ".join(_clean(v, one_line=True) for v in (grid.rows[row] if row < grid.height else []) if v is not None)


class _SheetReader:
    """Finds the sections of one scheda (rows `top` to `bottom` of a sheet) by their labels."""

    def __init__(self, grid: Grid, top: int, bottom: int):
        self.grid, self.top, self.bottom = grid, top, bottom
        self.labels: list[_Found] = []
        for r in range(top, bottom):
            for c, value in enumerate(grid.rows[r] if r < grid.height else []):
                if (found := _label(value)) is not None:
                    found.row, found.col = r, c
                    self.labels.append(found)

    def first(self, *keys: str) -> _Found | None:
        return next((f for f in self.labels if f.key in keys), None)

    def all(self, *keys: str) -> list[_Found]:
        return [f for f in self.labels if f.key in keys]

    def section_end(self, after: int) -> int:
        """The row of the next section label below `after`, or the bottom of the scheda."""
        return min((f.row for f in self.labels if f.key in _SECTIONS and f.row > after), default=self.bottom)

    def is_label(self, row: int, col: int) -> bool:
        return any(f.row == row and f.col == col for f in self.labels)

    def _span_end(self, row: int, col: int) -> int:
        merge = self.grid.merge_at(row, col)
        return merge.last_col if merge else col

    def value_of(self, label: _Found):
        """The value beside a label: after a colon in its cell, to its right, or below it."""
        if label.rest:
            return label.rest, (label.row, label.col)
        grid = self.grid
        row = grid.rows[label.row]
        for c in range(self._span_end(label.row, label.col) + 1, len(row)):
            if row[c] is not None:
                if self.is_label(label.row, c):
                    break
                return row[c], (label.row, c)
        right = [f.col for f in self.labels if f.row == label.row and f.col > label.col]
        last_col = min(right) if right else grid.width
        blank = 0
        for r in range(label.row + 1, self.bottom):
            cells = [(c, grid.value(r, c)) for c in range(label.col, last_col) if grid.value(r, c) is not None]
            if any(self.is_label(r, c) for c, _ in cells):
                return None, None
            if cells:
                return cells[0][1], (r, cells[0][0])
            blank += 1
            if blank > 3:
                break
        return None, None

    def months(self) -> tuple[int, list[int]] | None:
        """The row of the month letters G F M A M G L A S O N D and their columns."""
        wanted = [m.lower() for m in MONTH_LETTERS]
        for r in range(self.top, self.bottom):
            cells = [(c, plain(v)) for c, v in enumerate(self.grid.rows[r] if r < self.grid.height else [])
                     if isinstance(v, str) and len(plain(v)) == 1]
            letters = [letter for _, letter in cells]
            for start in range(len(letters) - 11):
                if letters[start:start + 12] == wanted:
                    return r, [c for c, _ in cells[start:start + 12]]
        return None

    def texts_left_of(self, row: int, limit: int) -> str:
        """The text of a row left of column `limit`, without a leading item number."""
        cells = [(c, v) for c, v in enumerate(self.grid.rows[row][:limit]) if v is not None]
        if cells and isinstance(cells[0][1], int):
            cells = cells[1:]
        return " ".join(_clean(v, one_line=True) for _, v in cells if not isinstance(v, (date, bool))).strip()


def _read_scheda(grid: Grid, top: int, bottom: int) -> _Scheda:
    reader = _SheetReader(grid, top, bottom)
    scheda = _Scheda(grid.name, top)
    objective = reader.first("objective")
    heading = " ".join(_row_text(grid, r) for r in range(top, objective.row if objective else min(top + 3, bottom)))
    if m := _ENTITY.search(heading):
        scheda.entity = _clean(m.group(1), one_line=True)
    if m := _YEAR.search(heading):
        scheda.year = int(m.group(1))
    if m := _NUMBER.search(heading):
        scheda.number = int(m.group(1))
    scheda.cells["title"] = a1(top, 0)
    if (weight := reader.first("weight")) is not None:
        scheda.weight, where = reader.value_of(weight)
        scheda.cells["weight"] = a1(*(where or (weight.row, weight.col)))
    elif m := _WEIGHT.search(heading):
        scheda.weight = m.group(1)

    for key in ("sector", "head", "objective", "description"):
        label = reader.first(key)
        if label is None:
            continue
        value, _ = reader.value_of(label)
        scheda.cells[key] = a1(label.row, label.col)
        text = _clean(value, one_line=key != "description")
        if key == "sector":
            scheda.sector = text or None
        elif key == "head":
            scheda.head = "" if plain(text) in _HONORIFICS else text
        elif key == "objective":
            scheda.title = text or None
        else:
            scheda.description = text

    if (dup := reader.first("dup")) is not None:
        scheda.dup = _dup_links(grid, dup.row + 1, reader.section_end(dup.row))
    _read_phases(reader, scheda)
    _read_indicators(reader, scheda)
    for key in ("interim", "final"):
        if (label := reader.first(key)) is not None:
            setattr(scheda, key, _review_date(grid, label))
    names, total = reader.first("staff_name"), reader.first("staff_total")
    if names is not None and total is not None and total.row > names.row + 1:
        scheda.staff_rows = total.row - names.row - 1
    return scheda


def _dup_links(grid: Grid, first: int, end: int) -> list[str]:
    """The DUP slots: a number 1-8 and the text after it, in any arrangement of rows and columns."""
    slots: dict[int, str] = {}
    for r in range(first, end):
        row = grid.rows[r] if r < grid.height else []
        for c, value in enumerate(row):
            number = value if isinstance(value, int) else (int(value.strip().rstrip(".")) if isinstance(value, str)
                                                           and value.strip().rstrip(".").isdigit() else None)
            if number is None or not 1 <= number <= 8:
                continue
            text = next((v for v in row[c + 1:] if v is not None), None)
            if text is not None and not isinstance(text, int):
                slots.setdefault(number, _clean(text, one_line=True))
    if not slots:
        return []
    return [slots.get(n, "") for n in range(1, max(slots) + 1)]


def _read_phases(reader: _SheetReader, scheda: _Scheda) -> None:
    grid = reader.grid
    label = reader.first("phases")
    months = reader.months()
    heads = [f.row for f in reader.all("phases", "timeline")] + ([months[0]] if months else [])
    if not heads:
        return
    scheda.timeline = months is not None
    start = max(heads) + 1
    merge = grid.merge_at(label.row, label.col) if label else None
    if merge:
        start = max(start, merge.last_row + 1)
    end = reader.section_end(start - 1)
    month_cols = months[1] if months else []
    rows = range(start, end)
    filled = {grid.fills.get((r, c)) for r in rows for c in month_cols}
    header_fills = {grid.fills.get((months[0], c)) for c in month_cols} if months else set()
    # A grid filled all over in one colour is a background, not a plan.
    background = header_fills | ({None, "FFFFFF", "000000"}) | (filled if len(filled) == 1 and len(rows) > 1 else set())
    for r in rows:
        description = reader.texts_left_of(r, month_cols[0] if month_cols else grid.width)
        planned = [m for m, c in enumerate(month_cols, start=1)
                   if grid.value(r, c) is not None or grid.fills.get((r, c)) not in background]
        if description or planned:
            scheda.phases.append({"descrizione": description, "mesi": planned})
    scheda.cells["phases"] = a1(start, 0)


def _read_indicators(reader: _SheetReader, scheda: _Scheda) -> None:
    grid = reader.grid
    blocks = reader.all(*(kind.value for kind in IndicatorKind))
    if not blocks and reader.first("indicators") is None:
        return
    scheda.indicators = {}
    target_col = None
    for block in blocks:
        target = next((f for f in reader.labels if f.key == "target" and f.row == block.row), None)
        target = target or next((f for f in reversed(reader.labels) if f.key == "target" and f.row < block.row), None)
        target_col = target.col if target else target_col
        if target_col is None:
            continue
        found = scheda.indicators.setdefault(block.key, [])
        for r in range(block.row + 1, reader.section_end(block.row)):
            description = reader.texts_left_of(r, target_col)
            value = grid.value(r, target_col)
            if description or value is not None:
                found.append((description, value, grid.formats.get((r, target_col)), a1(r, target_col)))


def _review_date(grid: Grid, label: _Found) -> date | None:
    text = label.rest or str(grid.value(label.row, label.col))
    candidates = [text] + [v for v in (grid.rows[label.row][label.col + 1:]) if v is not None]
    for value in candidates:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str) and (m := _DATE.search(value)):
            day, month, year = (int(g) for g in m.groups())
            try:
                return date(year + 2000 if year < 100 else year, month, day)
            except ValueError:
                return None
    return None


def _schede_of(grid: Grid) -> list[_Scheda]:
    """The schede of a sheet: usually one; a sheet with several titles holds one per title."""
    titles = [r for r in range(grid.height) if _NUMBER.search(_row_text(grid, r)) and _YEAR.search(_row_text(grid, r))]
    if len(titles) > 1:
        return [_read_scheda(grid, top, bottom) for top, bottom in zip(titles, titles[1:] + [grid.height])]
    scheda = _read_scheda(grid, 0, grid.height)
    return [scheda] if scheda.title is not None or scheda.number is not None else []


def _shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a year without it
        return day.replace(year=day.year + years, day=28)


def _target_text(value, number_format: str | None, old_year: int | None, shift: int) -> tuple[str, str | None]:
    """ATTESO as the new plan writes it, and what it was when a date had to move on."""
    fmt = (number_format or "").lower()
    if isinstance(value, bool):
        return ("sì" if value else "no"), None
    if isinstance(value, (int, float)):
        if "%" in fmt:
            return f"{value * 100:g}%".replace(".", ","), None
        return (str(value) if isinstance(value, int) else f"{value:g}".replace(".", ",")), None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        if "mmm" in fmt:
            return f"{value.day}-{_ABBREVIATION[value.month]}", None
        if "y" not in fmt and fmt:
            return f"{value:%d/%m}", None
        old = f"{value:%d/%m/%Y}"
        moved = _shift_year(value, shift) if value.year == old_year else value
        return f"{moved:%d/%m/%Y}", (old if moved != value else None)
    text = _clean(value, one_line=True)
    if (m := _FULL_DATE.match(text)) and old_year is not None and int(m.group(3)) == old_year:
        try:
            moved = _shift_year(date(int(m.group(3)), int(m.group(2)), int(m.group(1))), shift)
        except ValueError:
            return text, None
        return f"{moved:%d/%m/%Y}", text
    return text, None


def sector_code(name: str, taken: set[str]) -> str:
    """A short code for a sector name: its first significant word, cut to 6 letters, made unique."""
    words = [w for w in plain(name).split() if w not in {"settore", "area", "servizio", "servizi", "ufficio", "uffici",
                                                         "e", "ed", "di", "del", "della", "dei", "degli", "delle"}]
    base = (words[0] if words else "settore")[:6].upper() or "SETT"
    code, n = base, 2
    while code in taken or code == CROSS_CUTTING:
        code = f"{base}{n}"
        n += 1
    taken.add(code)
    return code


def _most_common(values, what: str, findings: list, file: str | None):
    counted = Counter(v for v in values if v is not None)
    if not counted:
        return None
    used = counted.most_common(1)[0][0]
    if len(counted) > 1:
        found = ", ".join(str(v) for v in counted)
        findings.append(finding("MIGR_013", file=file, what=what, found=found, used=used))
    return used


def migrate_workbook(data: bytes, *, file: str | None = None, year: int | None = None,
                     entity: str | None = None) -> Migration:
    """Plan data for the year after the hand-made schede in `data` (the workbook's bytes).

    `year` is the new plan's year (default: the schede's year plus one) and `entity` the
    ente's name (default: from the titles «Comune di … ANNO …»). Returns a `Migration`: its
    `data` is None when the work cannot go on (not a workbook, no scheda found, no year or
    ente), with the findings that say why.
    """
    try:
        grids = read_grids(data, detail=True)
    except NotAWorkbook as error:
        return Migration(data=None, findings=[finding("BOOK_001", file=file, detail=error.detail)])
    findings: list[Finding] = []
    schede: list[_Scheda] = []
    for grid in grids:
        found = _schede_of(grid)
        if not found:
            findings.append(finding("MIGR_002", file=file, sheet=grid.name))
        schede.extend(found)
    if not schede:
        return Migration(data=None, findings=findings + [finding("MIGR_001", file=file)])

    old_year = _most_common((s.year for s in schede), "anni", findings, file)
    name = entity or _most_common((s.entity for s in schede), "nomi dell'ente", findings, file)
    if year is None and old_year is None:
        findings.append(finding("MIGR_003", file=file, sheet=schede[0].sheet, cell=schede[0].cells["title"]))
    if not name:
        findings.append(finding("MIGR_004", file=file, sheet=schede[0].sheet, cell=schede[0].cells["title"]))
    if (year is None and old_year is None) or not name:
        return Migration(data=None, findings=findings)
    new_year = year if year is not None else old_year + 1
    shift = new_year - old_year if old_year is not None else 0
    return _Builder(schede, file, findings, name, old_year, new_year, shift).build()


class _Builder:
    """Turns the schede found into plan data, comments and findings."""

    def __init__(self, schede, file, findings, entity, old_year, new_year, shift):
        self.schede, self.file, self.findings = schede, file, findings
        self.entity, self.old_year, self.new_year, self.shift = entity, old_year, new_year, shift
        self.comments: dict[tuple, list[str]] = {}
        self.todo: list[str] = []

    def note(self, code: str, scheda: _Scheda | None = None, cell: str | None = None, **params) -> None:
        self.findings.append(finding(code, file=self.file, sheet=scheda.sheet if scheda else None, cell=cell, **params))

    def comment(self, path: tuple, text: str) -> None:
        self.comments.setdefault(path, []).append(text)

    def build(self) -> Migration:
        data = {"ente": self.entity, "anno": self.new_year, "triennio": f"{self.new_year}-{self.new_year + 2}"}
        self.comment(("triennio",), "calcolato dall'anno: da controllare")
        data |= self._reviews()
        staff = Counter(s.staff_rows for s in self.schede if s.staff_rows)
        if staff:
            data["righe_personale"] = min(60, staff.most_common(1)[0][0])
        codes = self._sectors()
        data["settori"] = [sector for sector, _ in codes.values()]
        data["obiettivi"] = self._objectives(codes)
        self._header()
        return Migration(data=data, comments=self.comments, findings=self.findings)

    def _reviews(self) -> dict:
        out = {}
        defaults = {"interim": date(self.new_year, 6, 30), "final": date(self.new_year, 12, 31)}
        missing = False
        for key, name in (("interim", "verifica_intermedia"), ("final", "verifica_finale")):
            found = Counter(getattr(s, key) for s in self.schede if getattr(s, key))
            if found:
                old = found.most_common(1)[0][0]
                out[name] = _shift_year(old, self.shift) if self.old_year else old.replace(year=self.new_year)
                self.comment((name,), f"nelle schede: {old:%d/%m/%Y}, portata all'anno nuovo")
            else:
                out[name] = defaults[key]
                missing = True
                self.comment((name,), "non trovata nelle schede: data proposta, da controllare")
        if missing:
            self.note("MIGR_010", interim=f"{out['verifica_intermedia']:%d/%m/%Y}", final=f"{out['verifica_finale']:%d/%m/%Y}")
            self.todo.append("le date delle verifiche")
        return out

    def _sectors(self) -> dict[str, tuple[dict, list[_Scheda]]]:
        """Sectors by reduced name, in order of appearance, with the schede of each."""
        groups: dict[str, list[_Scheda]] = {}
        names: dict[str, str] = {}
        for scheda in self.schede:
            if scheda.sector is None:
                self.note("MIGR_007", scheda, scheda.cells.get("title"), sector=PLACEHOLDER_SECTOR)
                self.todo.append(f"il settore della scheda del foglio «{scheda.sheet}»")
                key = plain(PLACEHOLDER_SECTOR)
                names.setdefault(key, "SETTORE DA INDICARE")
            elif plain(scheda.sector).startswith(plain(CROSS_CUTTING)):
                continue
            else:
                key = plain(scheda.sector)
                names.setdefault(key, scheda.sector)
            groups.setdefault(key, []).append(scheda)
        taken: set[str] = set()
        out = {}
        for i, (key, group) in enumerate(groups.items()):
            code = PLACEHOLDER_SECTOR if key == plain(PLACEHOLDER_SECTOR) else sector_code(names[key], taken)
            head = next((s.head for s in group if s.head), "")
            sector = {"codice": code, "nome": names[key], "responsabile": head, "email": ""}
            self.comment(("settori", i, "email"), "da completare: l'indirizzo non è nelle schede")
            if not head:
                self.comment(("settori", i, "responsabile"), "non trovato nelle schede: da completare")
            without = [s.sheet for s in group if s.indicators is None]
            if len(without) == len(group):
                sector["valutazione_diretta"] = True
                self.comment(("settori", i, "valutazione_diretta"), "le sue schede non hanno INDICI DI RISULTATO")
            elif without:
                self.note("MIGR_014", group[0], sector=code, sheets=", ".join(without))
            out[key] = (sector, group)
        self.comment(("settori",), "codici proposti dai nomi: si possono cambiare (compaiono nei nomi dei file)")
        self.note("MIGR_016", codes=", ".join(f"{s['codice']} = {s['nome']}" for s, _ in out.values()))
        self.note("MIGR_011", sectors=", ".join(s["codice"] for s, _ in out.values()))
        self.todo.append("gli indirizzi e-mail dei responsabili")
        return out

    def _objectives(self, sectors) -> list[dict]:
        code_of = {id(s): sector["codice"] for sector, group in sectors.values() for s in group}
        used: dict[str, set[int]] = {}
        objectives = []
        for i, scheda in enumerate(self.schede):
            path = ("obiettivi", i)
            code = code_of.get(id(scheda), CROSS_CUTTING)
            self.comment(path, f"foglio «{scheda.sheet}»")
            numbers = used.setdefault(code, set())
            number = scheda.number
            if number is None:
                number = max(numbers, default=0) + 1
                self.note("MIGR_005", scheda, scheda.cells.get("title"), number=number)
                self.comment(path + ("numero",), "non trovato nella scheda: da controllare")
            numbers.add(number)
            objective = {"settore": code, "numero": number, "peso": self._weight(scheda, path),
                         "titolo": scheda.title or PLACEHOLDER_TITLE}
            if scheda.title is None:
                self.note("MIGR_008", scheda, scheda.cells.get("objective"), title=PLACEHOLDER_TITLE)
                self.comment(path + ("titolo",), "non trovato nella scheda: da completare")
            if scheda.description:
                objective["descrizione"] = scheda.description
            if scheda.dup:
                objective["dup"] = scheda.dup
            if scheda.phases:
                objective["fasi"] = [{"descrizione": p["descrizione"], **({"mesi": p["mesi"]} if p["mesi"] else {})}
                                     for p in scheda.phases]
                if not scheda.timeline:
                    self.note("MIGR_012", scheda, scheda.cells.get("phases"))
                    self.comment(path + ("fasi",), "cronoprogramma non trovato: mesi da completare")
                elif not any(p["mesi"] for p in scheda.phases):
                    self.note("MIGR_017", scheda, scheda.cells.get("phases"))
                    self.comment(path + ("fasi",), "nessun mese segnato nel cronoprogramma: da completare")
            if scheda.indicators:
                objective["indicatori"] = self._indicators(scheda, path)
            objectives.append(objective)
        return objectives

    def _weight(self, scheda: _Scheda, path: tuple) -> int:
        value = scheda.weight
        if isinstance(value, str) and value.strip().replace(",", ".").replace(".", "", 1).isdigit():
            value = float(value.strip().replace(",", "."))
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100:
            return value
        self.note("MIGR_006", scheda, scheda.cells.get("weight", scheda.cells.get("title")),
                  found=_clean(value, one_line=True) or "vuoto")
        self.comment(path + ("peso",), "PESO non trovato nella scheda: da completare")
        self.todo.append(f"il PESO della scheda del foglio «{scheda.sheet}»")
        return 0

    def _indicators(self, scheda: _Scheda, path: tuple) -> dict:
        blocks = {}
        for kind in IndicatorKind:
            rows = scheda.indicators.get(kind.value) or []
            if not rows:
                continue
            items = []
            for k, (description, value, number_format, cell) in enumerate(rows):
                here = path + ("indicatori", kind.value, k)
                if value is None:
                    text = ""
                    self.note("MIGR_009", scheda, cell, indicator=description)
                    self.comment(here + ("atteso",), "ATTESO mancante nella scheda: da completare")
                    self.todo.append(f"l'ATTESO di «{description}» (foglio «{scheda.sheet}»)")
                else:
                    text, old = _target_text(value, number_format, self.old_year, self.shift)
                    if old:
                        self.note("MIGR_015", scheda, cell, old=old, new=text)
                        self.comment(here + ("atteso",), f"nelle schede: {old}")
                items.append({"descrizione": description, "atteso": text})
            blocks[kind.value] = items
        return blocks

    def _header(self) -> None:
        lines = [
            f"Piano {self.new_year} del Comune di {self.entity}, ricavato con «schede migrate» dalle schede "
            + (f"{self.old_year}" if self.old_year else "dell'anno scorso") + (f" ({self.file})." if self.file else "."),
            "Da rivedere prima dell'uso: titoli, descrizioni, fasi e indicatori sono quelli dell'anno scorso",
            "(anni citati nei testi compresi). Non ripresi: RAGGIUNTO, verifiche, personale coinvolto.",
            "Date delle verifiche e ATTESO con la data dell'anno scorso sono portati avanti di un anno.",
            "Controllo: schede validate con il nome di questo file.",
        ]
        if self.todo:
            lines += ["", "Da completare:"] + [f"- {item}" for item in dict.fromkeys(self.todo)]
        self.comments[()] = lines
