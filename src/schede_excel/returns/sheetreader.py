"""Read one worksheet of a returned file: which objective it is, and what was entered on it.

Identification: the hidden metadata cell the writer put on every sheet; failing that, the
sheet's labels (title row, SETTORE, OBIETTIVO). Positions: found by the labels of the layout
(`layout.Label`), so rows inserted or deleted by a user (e.g. in the staff table) do not matter,
with `layout.sheet_layout()` and the sheet-scoped defined names as fall-backs.
Plan-owned values found changed are reported; the plan's value is the one used.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache

from ..findings import Finding, finding
from ..sheet.layout import (
    COL_ACHIEVED, COL_META, COL_NUMBER, COL_TARGET, COL_TEXT, LAYOUT_VERSION, MONTH_COLS, ROUND_LABELS,
    INSTRUCTIONS_META, REVIEW_ROWS, STAFF_CATEGORY_COL, STAFF_NAME_COLS, STAFF_PARTICIPATION_COL, Label, a1,
    SheetLayout, achieved_name, objective_fingerprint, review_block, sheet_layout,
)
from ..plan.model import CROSS_CUTTING, IndicatorKind, Objective, Plan, Sector
from .model import IndicatorReturn, ObjectiveReturn, ReviewReturn, StaffReturn
from ..spreadsheet.reader import MAX_CELL_TEXT, RawSheet
from ..plan.targets import Entry
from .values import EXPECTED, Note, read_value

_TITLE = re.compile(r"comune di (.+?) anno (\d{4}) - obiettivo strategico n° ?(\d+)")


def norm(text) -> str:
    """Text compared the way a person would: case, accents of spacing and runs of spaces ignored."""
    text = text if type(text) is str else str(text or "")
    return _normalised(text) if len(text) <= 200 else _normalise(text)


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


# A sheet's labels are compared again on every sheet: each short text normalised once.
_normalised = lru_cache(maxsize=4096)(_normalise)


@dataclass
class Identity:
    """Which plan, sector, objective and round a sheet belongs to, and how that was found."""

    plan_id: str | None
    year: int | None
    sector: str | None
    objective: str | None
    round: str | None
    fingerprint: str | None = None
    by_labels: bool = False
    instructions: bool = False
    reason: str = ""


@dataclass
class SheetResult:
    identity: Identity
    record: ObjectiveReturn | None = None
    findings: list[Finding] = field(default_factory=list)


def _metadata(sheet: RawSheet) -> dict | None:
    def candidates():  # lazily: the first one is the writer's cell, nearly always there
        yield sheet.cells.get((0, COL_META))
        if "SCHEDA_META" in sheet.names:
            r, c, _, _ = sheet.names["SCHEDA_META"]
            yield sheet.cells.get((r, c))
        yield from (cell for (r, c), cell in sheet.cells.items() if c in (COL_META, INSTRUCTIONS_META[1]))

    for cell in candidates():
        if cell is not None and isinstance(cell.value, str) and cell.value.startswith('{"app": "schede-excel"'):
            try:
                found = json.loads(cell.value)
            except (ValueError, RecursionError):  # a hand-edited cell, or JSON nested thousands deep
                continue
            if isinstance(found, dict):
                return found
    return None


def identify(sheet: RawSheet, plan: Plan) -> Identity:
    """Who a sheet is: from its hidden metadata, else from its labels."""
    meta = _metadata(sheet)
    if meta is not None:
        if meta.get("istruzioni"):
            return Identity(None, None, None, None, None, instructions=True)
        def text(key):  # a hand-edited value of the wrong type counts as missing
            value = meta.get(key)
            return value if isinstance(value, str) else None

        year = meta.get("anno")
        return Identity(text("piano"), year if isinstance(year, int) else None, text("settore"), text("obiettivo"),
                        text("turno"), text("impronta"),
                        reason="" if meta.get("layout") == LAYOUT_VERSION else f"versione di layout {meta.get('layout')}")
    title = _TITLE.search(norm(sheet.text(0, 0)))
    if not title:
        return Identity(None, None, None, None, None, reason="né metadati nascosti né il titolo «Comune di … ANNO … - Obiettivo strategico n° …» in A1")
    entity, year, number = title.group(1), int(title.group(2)), int(title.group(3))
    sector_text = norm(sheet.text(2, 0))
    objective_title = norm(sheet.text(3, COL_TARGET))
    reporting, owner = None, None
    for sector in plan.sectors:
        if sector_text == norm(sector.name):
            reporting, owner = sector.code, sector.code
        elif sector_text == norm(f"{CROSS_CUTTING} - {sector.name}"):
            reporting, owner = sector.code, CROSS_CUTTING
    if sector_text == norm(CROSS_CUTTING):
        owner = CROSS_CUTTING
    candidates = [o for o in plan.objectives if o.number == number and (owner is None or o.sector == owner)]
    if len(candidates) > 1:
        candidates = [o for o in candidates if norm(o.title) == objective_title] or candidates
    plan_id = plan.plan_id if norm(entity) == norm(plan.entity) else f"{entity}-{year}"
    if len(candidates) != 1:
        return Identity(plan_id, year, reporting, None, None, by_labels=True,
                        reason=f"obiettivo n° {number} del settore «{sheet.text(2, 0)}» non trovato nel piano")
    objective = candidates[0]
    return Identity(plan_id, year, reporting or objective.sector, objective.key, None, by_labels=True)


def _review_fields(round_: str) -> tuple[int, list[tuple[str, str, int, int, int]]]:
    """A review block's column, and for each text in the order the sheet shows them: its field, its
    label, the rows of the label and of the input below the block's header, the input's last column."""
    block = review_block(round_, 0)
    inputs = block.texts()
    return block.header.col, [(name, label, label_span.row, inputs[name].row, inputs[name].last_col)
                              for name, (label_span, label) in block.text_labels().items()]


_REVIEW_FIELDS = {round_: _review_fields(round_) for round_ in ("interim", "final")}


LABEL_COLS = {COL_NUMBER, MONTH_COLS[0], MONTH_COLS[7]}  # where the layout puts labels: A, F (right half), M (PESO)


class _Labels:
    """Where each label text sits on a sheet (normalised text -> [(row, col)])."""

    def __init__(self, sheet: RawSheet):
        self.at: dict[str, list[tuple[int, int]]] = {}
        self._starting: dict[tuple[str, int], int | None] = {}
        for (r, c), cell in sheet.cells.items():
            if c in LABEL_COLS and isinstance(cell.value, str):
                self.at.setdefault(norm(cell.value), []).append((r, c))
        for rows in self.at.values():
            rows.sort()

    def rows(self, label: str, col: int | None = None, after: int = -1) -> list[int]:
        return [r for r, c in self.at.get(norm(label), []) if r > after and (col is None or c == col)]

    def first_row(self, label: str, col: int | None = None, after: int = -1) -> int | None:
        rows = self.rows(label, col, after)
        return rows[0] if rows else None

    def row_starting(self, prefix: str, col: int) -> int | None:
        key = (prefix, col)
        if key not in self._starting:  # the indicators' end and the interim block ask the same
            prefix = norm(prefix)
            rows = [r for text, places in self.at.items() if text.startswith(prefix) for r, c in places if c == col]
            self._starting[key] = min(rows) if rows else None
        return self._starting[key]


def read_sheet(sheet: RawSheet, plan: Plan, identity: Identity, sector: Sector, objective: Objective,
               round_: str, file: str) -> SheetResult:
    """Extract the entered values of an identified sheet, with findings on everything unusual."""
    result = SheetResult(identity)
    out = result.findings
    where = {"file": file, "sheet": sheet.name}
    labels = _Labels(sheet)
    # The reader finds rows by their labels, and what it needs besides (a review block's rows below its
    # header, the defined names) does not depend on the objective (`_REVIEW_FIELDS`): the sheet's layout
    # as the plan lays it out is made only when a label is missing and a row must be taken from it.
    lay = cache(lambda: sheet_layout(objective, staff_rows=plan.staff_rows))

    if identity.fingerprint and identity.fingerprint != objective_fingerprint(plan, objective):
        out.append(finding("RET_009", **where, objective=objective.key))
    _check_plan_values(sheet, labels, plan, objective, where, out)

    indicators = _indicators(sheet, labels, plan, objective, lay, round_, where, out)
    merged = _merged_from(sheet)
    reviews = tuple(_review(sheet, labels, lay, rnd, merged) for rnd in ("interim", "final"))
    staff = _staff(sheet, labels, where, out, merged)
    _hidden_values(sheet, where, out)
    for r, c in sorted(sheet.cut_texts):
        out.append(finding("RET_024", **where, cell=a1(r, c), limit=f"{MAX_CELL_TEXT:,}".replace(",", ".")))
    result.record = ObjectiveReturn(sector=sector.code, objective=objective.key, round=round_, file=file,
                                    sheet=sheet.name, indicators=tuple(indicators), reviews=reviews, staff=tuple(staff))
    return result


def _changed(found: str, expected: str) -> bool:
    return found != expected and norm(found) != norm(expected)  # nearly always as written: equal, nothing to normalise


def _check_plan_values(sheet, labels: _Labels, plan, objective: Objective, where, out) -> None:
    row = labels.first_row(Label.OBJECTIVE, COL_NUMBER)
    if row is not None and _changed(sheet.text(row, COL_TARGET), objective.title):
        out.append(finding("RET_020", **where, cell=a1(row, COL_TARGET), field="OBIETTIVO",
                           found=sheet.text(row, COL_TARGET), expected=objective.title))
    row = labels.first_row(Label.DESCRIPTION, COL_NUMBER)
    if row is not None:  # a long description continues in the rows down to the DUP links
        end = labels.first_row(Label.DUP, COL_NUMBER) or row + 1
        found = " ".join(sheet.text(r, COL_TARGET) for r in range(row, max(end, row + 1)))
        if _changed(found, objective.description):
            out.append(finding("RET_020", **where, cell=a1(row, COL_TARGET), field="descrizione obiettivo",
                               found=_short(found), expected=_short(objective.description)))
    weight_label = next(((r, c) for r, c in labels.at.get(norm(Label.WEIGHT), []) if r < 3), None)
    if weight_label:
        r, c = weight_label
        found = next((sheet.value(r, k) for k in range(c + 1, MONTH_COLS[-1] + 1) if sheet.value(r, k) is not None), None)
        if found != objective.weight:
            out.append(finding("RET_020", **where, cell=a1(r, c + 3), field="PESO", found=_short(str(found)),
                               expected=str(objective.weight)))
    months_row = labels.first_row(Label.TIMELINE_SUB)
    if months_row is not None:
        for slot, phase in zip(range(months_row + 2, months_row + 2 + len(objective.phases)), objective.phases):
            if _changed(sheet.text(slot, COL_TEXT), phase.description):
                out.append(finding("RET_020", **where, cell=a1(slot, COL_TEXT), field="fase di attuazione",
                                   found=_short(sheet.text(slot, COL_TEXT)), expected=_short(phase.description)))


def _short(text: str, size: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= size else text[: size - 1] + "…"


def _indicators(sheet, labels: _Labels, plan: Plan, objective: Objective, lay: Callable[[], SheetLayout], round_,
                where, out):
    review_date = plan.interim_review if round_ == "interim" else plan.final_review
    headers = {kind: labels.first_row(kind.label, COL_NUMBER) for kind in IndicatorKind}
    end = labels.row_starting(Label.INTERIM, COL_NUMBER) or lay().reviews["interim"].header.row
    starts = sorted(r for r in headers.values() if r is not None) + [end]
    records = []
    for kind, block in objective.indicators.by_kind():
        header = headers[kind]
        if header is not None:
            # A text above the block that reads like the interim review's heading ends nothing below it.
            stop = next((r for r in starts if r > header), header + 1 + len(block))
            rows = [r for r in range(header + 1, stop) if sheet.text(r, COL_NUMBER) or sheet.value(r, COL_ACHIEVED) is not None]
        else:
            rows = []
        if len(rows) != len(block):
            out.append(finding("RET_021", **where, cell=a1(header, COL_NUMBER) if header is not None else None,
                               block=kind.label, found=len(rows), expected=len(block)))
        named = [sheet.names.get(achieved_name(kind, i)) for i in range(1, len(block) + 1)]
        rows = _match_rows(sheet, block, rows, [n[0] if n else None for n in named])
        for index, (indicator, row) in enumerate(zip(block, rows), start=1):
            target = indicator.parsed_target(plan.year, cost=kind is IndicatorKind.COST)
            if row is None:
                if header is not None:
                    out.append(finding("RET_022", **where, cell=a1(header, COL_NUMBER), block=kind.label,
                                       indicator=_short(indicator.description, 50)))
                records.append(IndicatorReturn(kind=kind, index=index, description=indicator.description, target=indicator.target))
                continue
            cell_ref = a1(row, COL_ACHIEVED)
            if _changed(sheet.text(row, COL_NUMBER), indicator.description):
                out.append(finding("RET_020", **where, cell=a1(row, COL_NUMBER), field=f"{kind.label}: indicatore",
                                   found=_short(sheet.text(row, COL_NUMBER)), expected=_short(indicator.description)))
            if _changed(sheet.text(row, COL_TARGET), indicator.target):
                out.append(finding("RET_020", **where, cell=a1(row, COL_TARGET), field=f"ATTESO di «{_short(indicator.description, 40)}»",
                                   found=sheet.text(row, COL_TARGET), expected=indicator.target))
            raw = sheet.cells.get((row, COL_ACHIEVED))
            value, notes = read_value(raw, target.entry, plan.year)
            if value is not None and target.entry is not Entry.YES_NO and isinstance(raw.value, str):
                # The sheet's formulas read numbers only; the scoring follows them (rules.counted_achievement).
                notes = [Note("RET_015", raw.value, EXPECTED[target.entry])]
                value = None
            for note in notes:
                out.append(finding(note.code, **where, cell=cell_ref, indicator=_short(indicator.description, 50),
                                   found=note.found, detail=note.detail))
            if value is None and not any(n.code in ("RET_011", "RET_015") for n in notes):
                if round_ == "final" or target.is_due(review_date):
                    out.append(finding("RET_013", **where, cell=cell_ref, indicator=_short(indicator.description, 50),
                                       target=indicator.target, review=ROUND_LABELS[round_]))
            records.append(IndicatorReturn(kind=kind, index=index, description=indicator.description,
                                           target=indicator.target, achieved=value, cell=cell_ref))
    return records


MAX_MERGE_CELLS = 400  # a form's merged ranges are a row or three of at most 17 columns


def _covering(sheet: RawSheet) -> dict[int, list[tuple[int, int, int, int]]]:
    """The file's merged ranges by the rows they span (a range of more than `MAX_MERGE_CELLS` cells
    is no form's, and ranges past 100,000 cells in all are left out: a crafted file costs no more)."""
    by_row: dict[int, list[tuple[int, int, int, int]]] = {}
    budget = 100_000
    for span in sheet.merges:
        r1, c1, r2, c2 = span
        area = (r2 - r1 + 1) * (c2 - c1 + 1)
        if r2 < r1 or c2 < c1 or area > MAX_MERGE_CELLS or area > budget:  # corners the wrong way round cover nothing
            continue
        budget -= area
        if r1 == r2:  # most ranges: part of one row
            if r1 in by_row:
                by_row[r1].append(span)
            else:
                by_row[r1] = [span]
            continue
        for r in range(r1, r2 + 1):
            by_row.setdefault(r, []).append(span)
    return by_row


def _merged_from(sheet: RawSheet) -> set[tuple[int, int]]:
    """The first cells of the file's merged ranges."""
    return {(r1, c1) for r1, c1, _, _ in sheet.merges}


def _hidden_values(sheet: RawSheet, where, out) -> None:
    """Report every value a person cannot see, in a cell a merged range covers: such a value is never data."""
    by_row = _covering(sheet)
    if not by_row:
        return
    hidden = []
    for (r, c), cell in sheet.cells.items():
        spans = by_row.get(r)
        if spans is None:
            continue
        value = cell.value
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        for span in spans:  # the first range in the file's order that covers the cell, but not as its first cell
            if span[1] <= c <= span[3] and (r != span[0] or c != span[1]):
                hidden.append((r, c, span))
                break
    for r, c, (r1, c1, r2, c2) in sorted(hidden):
        out.append(finding("RET_023", **where, cell=a1(r, c), found=_short(sheet.text(r, c)),
                           range=f"{a1(r1, c1)}:{a1(r2, c2)}", first=a1(r1, c1)))


def _visible_text(sheet: RawSheet, row: int, first: int, last: int, merged: set) -> str:
    """The text a person sees in an input range: its first cell when the range is merged; when a user
    unmerged it, every cell of the range that holds something, left to right."""
    if (row, first) in merged:
        return sheet.text(row, first).strip() if sheet.value(row, first) is not None else ""
    parts = [sheet.text(row, c).strip() for c in range(first, last + 1) if sheet.value(row, c) is not None]
    return " ".join(p for p in parts if p)


def _match_rows(sheet, block, rows: list[int], named: list[int | None]) -> list[int | None]:
    """The row of each indicator of a block, found by its plan-owned text (column A).

    Rows sorted or deleted by a user never move a value to another indicator: a row is taken by
    its text; failing that (the text edited), by its place when the block still has its rows,
    or by its defined name, and then only if its text is not another indicator's. None: not found.
    """
    texts = [norm(i.description) for i in block]
    by_text: dict[str, list[int]] = {}
    for r in rows:
        by_text.setdefault(norm(sheet.text(r, COL_NUMBER)), []).append(r)
    taken: set[int] = set()
    out: list[int | None] = []
    for k, text in enumerate(texts):
        same = [j for j in range(len(texts)) if texts[j] == text]
        matches = by_text.get(text, [])
        row = matches[same.index(k)] if len(matches) == len(same) else None
        if row is None:
            for fallback in (rows[k] if len(rows) == len(block) else None, named[k]):
                if fallback is not None and fallback not in taken and norm(sheet.text(fallback, COL_NUMBER)) not in texts:
                    row = fallback
                    break
        if row is not None:
            taken.add(row)
        out.append(row)
    return out


def _review(sheet, labels: _Labels, lay: Callable[[], SheetLayout], round_: str, merged: set) -> ReviewReturn:
    col, fields = _REVIEW_FIELDS[round_]
    top = labels.row_starting(Label.INTERIM if round_ == "interim" else Label.FINAL, col)
    if top is None:  # rows below are taken relative to the block's header: only this one needs the real layout
        top = lay().reviews[round_].header.row
    texts = {}
    after = top
    for field_name, label, label_offset, input_offset, last_col in fields:
        found = labels.rows(label, col, after=after)
        expected = top + label_offset
        # The label where the layout puts it; else the next one below the previous text, so that a
        # text that reads like a label («Intrapresi») is never taken for it.
        label_row = expected if expected in found else next((r for r in found if r < top + REVIEW_ROWS + 5), None)
        row = label_row + 1 if label_row is not None else top + input_offset
        texts[field_name] = _visible_text(sheet, row, col, last_col, merged)
        after = row
    return ReviewReturn(round=round_, **texts)


def _staff(sheet, labels: _Labels, where, out, merged: set) -> list[StaffReturn]:
    # The staff table is the sheet's last block: its header is found below the last PERSONALE
    # COINVOLTO label, so a review text that reads «Cognome e Nome» is never taken for it.
    blocks = labels.rows(Label.STAFF, COL_NUMBER)
    header = labels.first_row(Label.STAFF_NAME, COL_NUMBER, after=max(blocks) if blocks else -1)
    if header is None:
        return []
    total = labels.first_row(Label.STAFF_TOTAL, COL_NUMBER, after=header)
    end = total if total is not None else header + 1 + 200
    people = []
    for row in range(header + 1, end):
        # The name is what shows in the merged A:B cell, that is A (a value under the merge is reported).
        name = _visible_text(sheet, row, STAFF_NAME_COLS[0], STAFF_NAME_COLS[-1], merged)
        category = sheet.text(row, STAFF_CATEGORY_COL).strip()
        cell = sheet.cells.get((row, STAFF_PARTICIPATION_COL))
        if not name and not category and (cell is None or cell.value in (None, "")):
            continue
        ref = a1(row, STAFF_PARTICIPATION_COL)
        share = None
        if cell is not None and cell.value not in (None, ""):
            share, notes = read_value(cell, Entry.PERCENT, 0)
            for note in notes:
                out.append(finding(note.code, **where, cell=ref, indicator=f"% partecipazione di {name or '?'}",
                                   found=note.found, detail=note.detail))
            if share is not None and not 0 <= share <= 1:
                out.append(finding("RET_030", **where, cell=ref, name=name or "?", found=f"{share * 100:g}%"))
                share = None
        if not name:
            out.append(finding("RET_031", **where, cell=a1(row, COL_NUMBER)))
        people.append(StaffReturn(name=name, category=category, participation=share, cell=ref))
    return people

