"""Write schede obiettivi workbooks with XlsxWriter, in the layout of `layout.py`.

`build_workbook()` returns the .xlsx as bytes (no file I/O); `generate()` in `generate.py`
decides which workbooks a plan needs and writes them atomically.

Every sheet: the annex's labels, borders and merges; input cells unlocked and tinted, all else
locked under sheet protection; data validation with Italian messages on every input; live
formulas for Scost. and the two averages with the right cached values; hidden identity
metadata and sheet-scoped defined names for the reader; A4 print setup one page wide.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
from dataclasses import dataclass
from typing import NamedTuple
from datetime import date, datetime

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from ..version import __version__
from .formulas import achievement_formula, average_formula, deviation_formula, serial
from .layout import (
    CARRIED_COLS, COL_ACHIEVEMENT, COL_META, COL_NUMBER, COLUMN_WIDTHS, HALF_WIDTHS,
    LAYOUT_VERSION, MONTH_COLS, MONTH_LETTERS, ROUND_LABELS, STAFF_CATEGORY_COL,
    STAFF_NAME_COLS, STAFF_PARTICIPATION_COL, TEXT_WIDTH, TIME_KINDS, VALUE_KINDS, Label,
    INSTRUCTIONS_META, INSTRUCTIONS_METADATA, SheetLayout, Span, a1, col_letter, sheet_layout, sheet_metadata,
    sheet_names, span, span_points, description_chunks,
)
from ..plan.model import CROSS_CUTTING, IndicatorKind, Objective, Plan, Sector
from .filled import FilledSheet
from .printing import FOOTER_MARGIN, MARGINS, plan_pages
from ..plan.rules import deviation, sheet_achievement, sheet_average
from ..plan.targets import Entry, Target, TargetKind
from ..spreadsheet.text import MAX_ROW_HEIGHT, column_points, line_height, text_height

CATEGORIES = ("Operatori", "Operatori esperti", "Istruttori", "Funzionari e EQ",
              "A", "B", "B3", "C", "D", "D3", "Dirigente")
INPUT_FILL = "#FFF2CC"
HEADER_FILL = "#D9D9D9"
FORMULA_FILL = "#EDEDED"
LOCKED_FILL = "#F2F2F2"
MONTH_FILL = "#8EA9DB"
NUMBER_FORMATS = {Entry.PERCENT: "0%", Entry.NUMBER: "#,##0.##", Entry.DATE: "dd/mm/yyyy", Entry.DAYS: "0",
                  Entry.PERIODS: "0", Entry.COUNT: "0", Entry.YES_NO: "General"}


def _cell_value(achieved):
    """A RAGGIUNTO as the sheet stores it: a date as its serial number, Sì/No as text."""
    if isinstance(achieved, bool):
        return "Sì" if achieved else "No"
    if isinstance(achieved, date):
        return float(serial(achieved))
    return achieved


def _row_height(text: str, where: Span, *, bold=False, minimum=1) -> float:
    """The height that shows all of `text` in `where`, never above Excel's largest."""
    return min(MAX_ROW_HEIGHT, text_height(text, span_points(where), bold=bold, minimum_lines=minimum))


@dataclass(frozen=True)
class Page:
    """One objective sheet to write.

    `sector` is the sector reporting on it (None in the plan's annex, where a sheet belongs to
    its objective's own sector and the cross-cutting ones to TUTTI). `values` fills the sheet
    with what a sector returned (the annex of results); `carried` is the interim review of the
    same sector, shown locked on a final-round sheet.
    """

    objective: Objective
    sector: Sector | None = None
    values: FilledSheet | None = None
    carried: FilledSheet | None = None


@dataclass(frozen=True)
class Review:
    """Which review a workbook is for, with its date; the other block is shown but locked."""

    round: str
    date: date

    @property
    def final(self) -> bool:
        return self.round == "final"


class _Styles:
    """The workbook's formats, created once (XlsxWriter formats are per workbook)."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self.covered: dict[int, object] = {}
        """An input format -> its locked twin, for the cells a merge hides: what cannot be seen cannot be typed in."""

        def fmt(**props):
            base = {"font_name": "Calibri", "font_size": 11, "valign": "vcenter", "border": 1}
            base.update(props)
            made = wb.add_format(base)
            if base.get("locked") is False:
                self.covered[id(made)] = wb.add_format({**base, "locked": True})
            return made

        self.title = fmt(bold=True, font_size=12, bottom=2, top=2, left=2, right=2)
        self.weight_label = fmt(bold=True, font_size=12, align="right", top=2, bottom=2)
        self.weight = fmt(bold=True, font_size=12, align="center", top=2, bottom=2, right=2)
        self.header = fmt(bold=True, bg_color=HEADER_FILL, align="center", text_wrap=True)
        self.header_left = fmt(bold=True, bg_color=HEADER_FILL, text_wrap=True)
        self.label = fmt(bold=True, text_wrap=True)
        self.label_small = fmt(italic=True, font_size=10, text_wrap=True)
        self.text = fmt(text_wrap=True)
        self.text_top = fmt(text_wrap=True, valign="top")
        self.text_bold = fmt(bold=True, text_wrap=True)
        self.center = fmt(align="center", text_wrap=True)
        self.number = fmt(align="center")
        self.month_letter = fmt(bold=True, align="center", font_size=9, bg_color=HEADER_FILL)
        self.month_on = fmt(align="center", bold=True, bg_color=MONTH_FILL)
        self.month_off = fmt()
        self.locked_blank = fmt(bg_color=LOCKED_FILL)
        self.hidden = wb.add_format({"locked": True, "hidden": True})
        unlocked = {"locked": False, "bg_color": INPUT_FILL}
        self.input_text = fmt(text_wrap=True, valign="top", **unlocked)
        self.input_entry = {e: fmt(num_format=NUMBER_FORMATS[e], align="center", **unlocked) for e in Entry}
        self.carried_entry = {e: fmt(num_format=NUMBER_FORMATS[e], align="center", bg_color=LOCKED_FILL)
                              for e in Entry}
        self.input_category = fmt(align="center", **unlocked)
        self.carried_participation = fmt(num_format="0%", align="center", bg_color=LOCKED_FILL)
        self.carried_average = fmt(bold=True, num_format='0.0" %"', align="center", bg_color=LOCKED_FILL)
        self.input_participation = fmt(num_format="0%", align="center", **unlocked)
        self.deviation = {
            Entry.PERCENT: fmt(num_format="+0%;-0%;0%", align="center", bg_color=FORMULA_FILL),
            Entry.NUMBER: fmt(num_format="+#,##0.##;-#,##0.##;0", align="center", bg_color=FORMULA_FILL),
            Entry.DATE: fmt(num_format='+0" gg";-0" gg";0" gg"', align="center", bg_color=FORMULA_FILL),
            Entry.DAYS: fmt(num_format='+0" gg";-0" gg";0" gg"', align="center", bg_color=FORMULA_FILL),
            Entry.PERIODS: fmt(num_format="+0;-0;0", align="center", bg_color=FORMULA_FILL),
            Entry.COUNT: fmt(num_format="0", align="center", bg_color=FORMULA_FILL),
            Entry.YES_NO: fmt(align="center", bg_color=FORMULA_FILL),
        }
        self.average = fmt(bold=True, num_format='0.0" %"', align="center", bg_color=FORMULA_FILL)
        self.total = fmt(bold=True, num_format="0%", align="center", bg_color=FORMULA_FILL)
        self.achievement = wb.add_format({"num_format": "0.00"})
        self.instructions_title = wb.add_format({"bold": True, "font_size": 14})
        self.instructions = wb.add_format({"text_wrap": True, "valign": "top"})


_VALIDATION_MESSAGES = {
    Entry.PERCENT: ("Percentuale raggiunta", "Inserire la percentuale raggiunta, es. 95%.",
                    "Inserire una percentuale tra 0% e 200%, es. 95%."),
    Entry.NUMBER: ("Valore raggiunto", "Inserire il valore raggiunto (un numero).",
                   "Inserire un numero maggiore o uguale a zero."),
    Entry.DATE: ("Data di completamento", "Inserire la data in cui l'attività è stata completata (gg/mm/aaaa). "
                 "Lasciare vuoto se non ancora completata.", "Inserire una data valida, es. 30/06/{year}."),
    Entry.DAYS: ("Giorni impiegati", "Inserire il numero di giorni impiegati.",
                 "Inserire un numero intero di giorni, zero o più."),
    Entry.PERIODS: ("Scadenze rispettate", "Inserire quante scadenze sono state rispettate ({due} previste a questa verifica).",
                    "Inserire un numero intero, zero o più."),
    Entry.COUNT: ("Numero di casi", "Inserire il numero di casi verificatisi (atteso: nessuno). Scrivere 0 se nessuno.",
                  "Inserire un numero intero, zero o più."),
    Entry.YES_NO: ("Raggiunto?", "Scegliere Sì oppure No dall'elenco.", "Scegliere Sì oppure No."),
}


def _validation(entry: Entry, year: int, due: int) -> dict:
    title, message, error = _VALIDATION_MESSAGES[entry]
    options: dict
    if entry is Entry.YES_NO:
        options = {"validate": "list", "source": ["Sì", "No"]}
    elif entry is Entry.DATE:
        options = {"validate": "date", "criteria": "between",
                   "minimum": date(year - 1, 1, 1), "maximum": date(year + 2, 12, 31)}
    elif entry is Entry.PERCENT:
        options = {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 2}
    elif entry is Entry.NUMBER:
        options = {"validate": "decimal", "criteria": ">=", "value": 0}
    else:
        options = {"validate": "integer", "criteria": ">=", "value": 0}
    options.update(input_title=title, input_message=message.format(due=due)[:255],
                   error_title="Valore non valido", error_message=error.format(year=year)[:255])
    return options


@dataclass(frozen=True)
class _Formula:
    text: str
    cached: object


class _Grid:
    """A sheet's cells, collected in any order and written row by row.

    The workbook uses XlsxWriter's constant_memory mode, which keeps memory flat in the number
    of sheets but accepts cells only in row order; merges are registered without XlsxWriter's
    per-cell overlap bookkeeping, since the layout guarantees they do not overlap.
    """

    def __init__(self, covered: dict[int, object] | None = None):
        self.cells: dict[tuple[int, int], tuple] = {}
        self.heights: dict[int, float] = {}
        self.merges: list[Span] = []
        self.covered = covered or {}

    def put(self, row: int, col: int, value, fmt) -> None:
        self.cells[(row, col)] = (value, fmt)

    def merge(self, where: Span, value, fmt) -> None:
        cells = self.cells
        hidden = self.covered.get(id(fmt), fmt)
        for r in range(where.row, where.last_row + 1):
            for c in range(where.col, where.last_col + 1):
                cells[(r, c)] = (None, hidden)
        cells[(where.row, where.col)] = (value, fmt)
        if not where.single:
            self.merges.append(where)

    def height(self, row: int, points: float) -> None:
        self.heights[row] = points

    def flush(self, ws) -> None:
        for row, points in sorted(self.heights.items()):
            ws.set_row(row, points)
        row_cells: list[tuple[int, object, object]] = []
        current = None
        for (row, col), (value, fmt) in sorted(self.cells.items()):
            if row != current and row_cells:
                ws.put_row(current, row_cells)
                row_cells = []
            current = row
            row_cells.append((col, value, fmt))
        if row_cells:
            ws.put_row(current, row_cells)
        ws.merge.extend([m.row, m.col, m.last_row, m.last_col] for m in self.merges)


_COLUMN_LETTERS = [col_letter(c) for c in range(26)]  # a form uses columns A to S
MAX_TEXT = 32767
_NEEDS_ESCAPING = re.compile(r"[&<>\x00-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")  # what XlsxWriter's escapes change


class _RowXML(NamedTuple):
    """All the cells of one row, as the XML XlsxWriter would write for them."""

    xml: str
    format: None = None  # read by XlsxWriter's row writer like any cell's


class _FormSheet(Worksheet):
    """A worksheet that writes a form's rows faster.

    A form is mostly bordered blank cells (about 550 of a sheet's 670); XlsxWriter's generic
    path checks, stores, builds and escapes each cell separately. This builds each row's XML in
    one go, with XlsxWriter's own escaping. It relies on XlsxWriter 3's constant_memory
    internals (`table`, `previous_row`), which the dependency range pins and the tests exercise
    through openpyxl and LibreOffice.
    """

    def put_row(self, row: int, cells) -> None:
        """Store a row's cells, given as (col, value, format) in column order, as one piece of XML.

        The XML is what XlsxWriter's write_blank/write_string/write_number/write_formula produce
        in constant_memory mode; the row's other columns stay out of the table, so XlsxWriter
        walks past them. Values: None (a formatted blank), str, a number, or a `_Formula`.
        """
        self._check_dimensions(row, cells[0][0])
        self._check_dimensions(row, cells[-1][0])
        if row > self.previous_row:
            self._write_single_row(row)
        parts = []
        number = row + 1
        for col, value, fmt in cells:
            attrs = f'r="{_COLUMN_LETTERS[col]}{number}"' if fmt is None else (
                f'r="{_COLUMN_LETTERS[col]}{number}" s="{fmt._get_xf_index()}"')
            if value is None:
                parts.append(f"<c {attrs}/>")
            elif isinstance(value, str):
                value = value[:MAX_TEXT]  # Excel's limit for a cell, as XlsxWriter's write_string enforces
                text = value if not _NEEDS_ESCAPING.search(value) else self._escape_data(
                    self._escape_control_characters(value))
                space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
                parts.append(f'<c {attrs} t="inlineStr"><is><t{space}>{text}</t></is></c>')
            elif isinstance(value, _Formula):
                cached = value.cached
                kind = ' t="str"' if isinstance(cached, str) and cached else ""
                formula = self._escape_data(self._prepare_formula(value.text))
                parts.append(f"<c {attrs}{kind}><f>{formula}</f><v>{self._escape_data(cached)}</v></c>")
            elif math.isfinite(value):
                parts.append(f"<c {attrs}><v>{value:.16G}</v></c>")
            else:  # a spreadsheet cannot store infinity: as blank, like XlsxWriter refusing it
                parts.append(f"<c {attrs}/>")
        self.table[row][cells[0][0]] = _RowXML("".join(parts))

    def _prepare_formula(self, formula, expand_future_functions=False):
        # Our formulas use only functions of Excel 2007 (formulas.py): nothing to expand.
        return formula[1:] if formula.startswith("=") else formula

    def _write_cell(self, row, col, cell):
        if cell.__class__ is _RowXML:
            self.fh.write(cell.xml)
        else:
            super()._write_cell(row, col, cell)


class _SheetWriter:
    """Writes one objective's worksheet."""

    def __init__(self, wb, styles: _Styles, plan: Plan, review: Review, password: str | None, editable: bool):
        self.wb, self.s, self.plan, self.review, self.password = wb, styles, plan, review, password
        self.editable = editable

    def write(self, ws, name: str, page: Page) -> None:
        plan, s, review = self.plan, self.s, self.review
        objective, sector = page.objective, page.sector
        g = _Grid(s.covered)
        direct = (sector.direct_assessment if sector else
                  (objective.sector != CROSS_CUTTING and plan.sector(objective.sector).direct_assessment))
        people = len(page.values.staff) if page.values else 0
        lay = sheet_layout(objective, staff_rows=max(plan.staff_rows, people), direct_assessment=direct)

        for col, width in COLUMN_WIDTHS.items():
            ws.set_column(col, col, width)
        ws.set_column(COL_ACHIEVEMENT, COL_META, 12, s.hidden, {"hidden": True})

        g.merge(lay.title, Label.TITLE.format(entity=plan.entity, year=plan.year, number=objective.number), s.title)
        g.merge(lay.weight_label, Label.WEIGHT, s.weight_label)
        g.merge(lay.weight, objective.weight, s.weight)
        g.height(0, text_height(Label.TITLE, span_points(lay.title), 12, bold=True) + 3)

        g.merge(lay.sector_label, Label.SECTOR, s.header)
        g.merge(lay.head_label, Label.HEAD, s.header)
        if objective.cross_cutting:
            sector_text = f"{CROSS_CUTTING} - {sector.name}" if sector else CROSS_CUTTING
            head_text = sector.head if sector else ""
        else:
            owner = plan.sector(objective.sector)
            sector_text, head_text = owner.name, owner.head
        g.merge(lay.sector, sector_text, s.center)
        g.merge(lay.head, head_text, s.center)
        g.height(2, max(_row_height(sector_text, lay.sector), _row_height(head_text, lay.head)))

        g.merge(lay.objective_label, Label.OBJECTIVE, s.label)
        g.merge(lay.objective, objective.title, s.text_bold)
        g.height(3, _row_height(objective.title, lay.objective, bold=True))
        g.merge(lay.description_label, Label.DESCRIPTION, s.label)
        for where, text in zip(lay.description_rows, description_chunks(objective.description)):
            g.merge(where, text, s.text_top)
            g.height(where.row, _row_height(text, where, minimum=2 if len(lay.description_rows) == 1 else 1))

        g.merge(lay.dup_header, Label.DUP, s.header_left)
        for i, (number_cell, text_span) in enumerate(lay.dup_slots):
            g.put(*number_cell, i + 1, s.number)
            text = objective.dup_links[i] if i < len(objective.dup_links) else ""
            g.merge(text_span, text, s.text)

        g.merge(lay.phases_label, Label.PHASES, s.header_left)
        g.merge(lay.timeline_label, Label.TIMELINE, s.header)
        g.merge(lay.timeline_sub, Label.TIMELINE_SUB, s.header)
        for col, letter in zip(MONTH_COLS, MONTH_LETTERS):
            g.put(lay.months_row, col, letter, s.month_letter)
        for slot in lay.phases:
            g.put(slot.row, COL_NUMBER, slot.index, s.number)
            text = slot.phase.description if slot.phase else ""
            g.merge(slot.description, text, s.text)
            months = set(slot.phase.months) if slot.phase else set()
            for month, col in enumerate(MONTH_COLS, start=1):
                if month in months:
                    g.put(slot.row, col, "X", s.month_on)
                else:
                    g.put(slot.row, col, None, s.month_off)
            if text:
                g.height(slot.row, _row_height(text, slot.description))

        if not direct:
            self._indicators_reviews_staff(ws, g, lay, page)
            for row in lay.spacers():
                g.height(row, SPACER_HEIGHT)
                g.put(row, COL_NUMBER, None, None)  # constant_memory writes a row only with a cell in it

        meta = sheet_metadata(plan, objective, sector, review.round)
        g.put(*lay.meta, json.dumps(meta, ensure_ascii=False), s.hidden)
        g.flush(ws)
        self._names(ws, name, lay)
        self._page_setup(ws, lay, g.heights, objective)
        ws.protect(self.password or "", {"format_rows": True, "insert_rows": True,
                                         "select_locked_cells": True, "select_unlocked_cells": True})

    def _entry_format(self, entry: Entry, open_: bool):
        return self.s.input_entry[entry] if open_ and self.editable else self.s.carried_entry[entry]

    def _indicators_reviews_staff(self, ws, g: _Grid, lay: SheetLayout, page: Page) -> None:
        plan, s, review = self.plan, self.s, self.review
        values = page.values
        entered = {(i.kind, i.index): i.achieved for i in values.indicators} if values else {}
        g.merge(lay.indicators_header, Label.INDICATORS, s.header_left)
        for kind, row in lay.block_headers.items():
            g.merge(Span(row, COL_NUMBER, row, 1), kind.label, s.header_left)
            g.put(row, 2, Label.TARGET, s.header)
            g.put(row, 3, Label.ACHIEVED, s.header)
            g.put(row, 4, Label.DEVIATION, s.header)
            if page.carried is not None and review.final:
                g.merge(span(row, *CARRIED_COLS), Label.CARRIED, s.header)
        carried = {(i.kind, i.index): i.achieved for i in page.carried.indicators} if page.carried else {}

        pairs: dict[IndicatorKind, list[tuple[Target, object]]] = {k: [] for k in IndicatorKind}
        for slot in lay.indicators:
            target = slot.indicator.parsed_target(plan.year, cost=slot.kind is IndicatorKind.COST)
            achieved = entered.get((slot.kind, slot.index))
            pairs[slot.kind].append((target, achieved))
            entry = target.entry
            g.merge(slot.description, slot.indicator.description, s.text)
            g.put(*slot.target, target.text, s.center)
            g.height(slot.row, _row_height(slot.indicator.description, slot.description))
            achieved_ref = a1(*slot.achieved)
            g.put(*slot.achieved, _cell_value(achieved), self._entry_format(entry, True))
            if page.carried is not None and review.final:
                g.merge(slot.carried, _cell_value(carried.get((slot.kind, slot.index))), s.carried_entry[entry])
            if self.editable:
                due = target.due_periods(review.date) if target.kind is TargetKind.RECURRING else 0
                ws.data_validation(*slot.achieved, *slot.achieved, _validation(entry, plan.year, due))
            dev = deviation_formula(target, achieved_ref, review.date)
            if dev:
                cached = deviation(target, achieved, review.date)
                g.put(*slot.deviation, _Formula(dev, "" if cached is None else cached), s.deviation[entry])
            else:
                g.put(*slot.deviation, None, s.deviation[entry])
            cached = sheet_achievement(target, achieved, review.date, plan.scoring, final=review.final)
            formula = achievement_formula(target, achieved_ref, review.date, plan.scoring, final=review.final)
            g.put(*slot.achievement, _Formula(formula, "" if cached is None else cached), s.achievement)

        for block in lay.reviews.values():
            self._review_block(g, lay, block, pairs, page)

        g.merge(lay.staff_header, Label.STAFF, s.header_left)
        row = lay.staff_columns_row
        g.merge(span(row, *STAFF_NAME_COLS), Label.STAFF_NAME, s.header)
        g.put(row, STAFF_CATEGORY_COL, Label.STAFF_CATEGORY, s.header)
        g.put(row, STAFF_PARTICIPATION_COL, Label.STAFF_PARTICIPATION, s.header)
        g.height(row, _row_height(Label.STAFF_PARTICIPATION, span(row, STAFF_PARTICIPATION_COL, STAFF_PARTICIPATION_COL), bold=True))
        # A final-round sheet starts from the interim staff, still editable.
        people = list((values or page.carried).staff) if (values or page.carried) else []
        text_fmt, category_fmt, share_fmt = ((s.input_text, s.input_category, s.input_participation) if self.editable
                                             else (s.text, s.center, s.carried_participation))
        for k, r in enumerate(lay.staff_rows):
            person = people[k] if k < len(people) else None
            g.merge(span(r, *STAFF_NAME_COLS), person.name if person else None, text_fmt)
            g.put(r, STAFF_CATEGORY_COL, person.category if person else None, category_fmt)
            g.put(r, STAFF_PARTICIPATION_COL, person.participation if person else None, share_fmt)
        first, last = lay.staff_rows[0], lay.staff_rows[-1]
        if self.editable:
            ws.data_validation(first, STAFF_CATEGORY_COL, last, STAFF_CATEGORY_COL, {
                "validate": "list", "source": list(CATEGORIES), "error_type": "warning",
                "input_title": "Categoria", "input_message": "Area o categoria del dipendente (CCNL): scegliere dall'elenco.",
                "error_title": "Categoria non in elenco",
                "error_message": "La categoria non è tra quelle dell'elenco. Confermare solo se corretta."})
            ws.data_validation(first, STAFF_PARTICIPATION_COL, last, STAFF_PARTICIPATION_COL, {
                "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1,
                "input_title": "% Partecipazione",
                "input_message": "Quota di partecipazione del dipendente a questo obiettivo, es. 50%.",
                "error_title": "Valore non valido", "error_message": "Inserire una percentuale tra 0% e 100%, es. 50%."})
        total = lay.staff_total_row
        g.merge(span(total, *STAFF_NAME_COLS), Label.STAFF_TOTAL, s.label)
        g.put(total, STAFF_CATEGORY_COL, None, s.locked_blank)
        column = f"{a1(first, STAFF_PARTICIPATION_COL)}:{a1(last, STAFF_PARTICIPATION_COL)}"
        shares = [p.participation for p in people if p.participation is not None]
        g.put(total, STAFF_PARTICIPATION_COL, _Formula(f'=IF(COUNT({column})=0,"",SUM({column}))',
                                                       sum(shares) if shares else ""), s.total)

    def _review_block(self, g: _Grid, lay: SheetLayout, block, pairs, page: Page) -> None:
        s, review, plan = self.s, self.review, self.plan
        when = plan.interim_review if block.round == "interim" else plan.final_review
        label = Label.INTERIM if block.round == "interim" else Label.FINAL
        open_ = block.round == review.round
        source = page.values if open_ else (page.carried if block.round == "interim" else None)
        texts = source.review(block.round) if source else None
        g.merge(block.header, f"{label} {when:%d/%m/%Y}", s.header_left)
        groups = ((block.value_label, block.value_score, Label.VALUE_SCORE, VALUE_KINDS),
                  (block.time_label, block.time_score, Label.TIME_SCORE, TIME_KINDS))
        for label_span, value_span, text, kinds in groups:
            g.merge(label_span, text, s.label)
            slots = lay.indicator_rows(kinds)
            formula = average_formula([a1(*slot.achievement) for slot in slots])
            if formula and open_:
                entries = [p for k in kinds for p in pairs[k]]
                cached = sheet_average(entries, when, plan.scoring, final=block.round == "final")
                g.merge(value_span, _Formula(formula, "" if cached is None else cached), s.average)
            elif formula and source is not None:
                carried = {(i.kind, i.index): i.achieved for i in source.indicators}
                entries = [(slot.indicator.parsed_target(plan.year, cost=slot.kind is IndicatorKind.COST),
                            carried.get((slot.kind, slot.index))) for slot in slots]
                average = sheet_average(entries, when, plan.scoring, final=block.round == "final")
                g.merge(value_span, average, s.carried_average)
            else:
                g.merge(value_span, None, s.average if open_ else s.locked_blank)
        g.merge(block.analysis, Label.ANALYSIS, s.header_left)
        g.merge(block.actions, Label.ACTIONS, s.header_left)
        labels = block.text_labels()
        for field_name, text_span in block.texts().items():
            label_span, text = labels[field_name]
            g.merge(label_span, text, s.label_small)
            value = getattr(texts, field_name) if texts else ""
            fmt = s.input_text if open_ and self.editable else (s.text_top if value else s.locked_blank)
            g.merge(text_span, value or None, fmt)
            g.height(text_span.row, max(g.heights.get(text_span.row, 0), _row_height(value, text_span, minimum=2)))

    def _names(self, ws, name: str, lay: SheetLayout) -> None:
        quoted = "'" + name.replace("'", "''") + "'"

        def define(local: str, first: tuple[int, int], last: tuple[int, int] | None = None):
            ref = f"{quoted}!{a1(*first, absolute=True)}"
            if last:
                ref += f":{a1(*last, absolute=True)}"
            self.wb.define_name(f"{quoted}!{local}", f"={ref}")

        define("SCHEDA_META", lay.meta)
        for slot in lay.indicators:
            define(slot.name, slot.achieved)
        for block in lay.reviews.values():
            for field_name, where in block.texts().items():
                define(block.name(field_name), (where.row, where.col))
            define(block.name("value_score"), (block.value_score.row, block.value_score.col))
            define(block.name("time_score"), (block.time_score.row, block.time_score.col))
        if lay.staff_rows:
            define("PERSONALE", (lay.staff_rows[0], COL_NUMBER), (lay.staff_rows[-1], STAFF_PARTICIPATION_COL))

    def _page_setup(self, ws, lay: SheetLayout, heights: dict[int, float], objective: Objective) -> None:
        area = lay.print_area
        rows = [heights.get(r, DEFAULT_ROW_HEIGHT) for r in range(area.row, area.last_row + 1)]
        pages = plan_pages(rows, span_points(area), lay.sections())
        _a4(ws)
        if pages.one_page:
            ws.fit_to_pages(1, 1)
        else:
            ws.set_print_scale(int(pages.scale * 100))
            ws.set_h_pagebreaks(list(pages.breaks))
        ws.repeat_rows(0)
        ws.center_horizontally()
        ws.print_area(area.row, area.col, area.last_row, area.last_col)
        title = objective.title if len(objective.title) <= 70 else objective.title[:69] + "…"
        ws.set_start_page(1)
        plan_text = f"Comune di {self.plan.entity} - {self.plan.year} - Obiettivo {objective.key}: {title}"
        # «&» starts a code in a footer: the plan's own text doubles it.
        ws.set_footer(f"&L&9{plan_text.replace('&', '&&')}&R&9Pagina &P di {pages.pages}"[:255],
                      {"margin": FOOTER_MARGIN})
        ws.hide_gridlines(2)


DEFAULT_ROW_HEIGHT = 15.0  # XlsxWriter's, for the rows the writer leaves alone
SPACER_HEIGHT = 6.0  # the empty rows between sections: enough to part them, little paper


def _a4(ws) -> None:
    ws.set_paper(9)
    ws.set_portrait()
    ws.set_margins(**MARGINS)


INSTRUCTIONS_WIDTH = 100


def _instructions(wb, styles: _Styles, plan: Plan, sector: Sector | None, review: Review, password: str | None) -> None:
    ws = wb.add_worksheet("Istruzioni", worksheet_class=_FormSheet)
    g = _Grid()
    ws.set_column(0, 0, INSTRUCTIONS_WIDTH)
    _a4(ws)
    ws.fit_to_pages(1, 0)
    round_label = ROUND_LABELS[review.round]
    who = f"Settore {sector.name}" if sector else "Allegato completo"
    title = [
        (f"Comune di {plan.entity} - Schede obiettivi {plan.year}", styles.instructions_title),
        (f"{who} - verifica {round_label} al {review.date:%d/%m/%Y}", styles.label),
        ("", None),
    ]
    if sector is not None and sector.direct_assessment:
        # The Segretario's sheets have nothing to fill in: they are sent for information.
        body = [
            ("Le schede sono inviate per informazione: non c'è nulla da compilare né da restituire.", styles.instructions),
            ("Gli obiettivi non hanno indici di risultato: ognuno è valutato direttamente dal Nucleo di valutazione/OIV, "
             "nel file delle valutazioni preparato dall'ufficio (una riga per obiettivo).", styles.instructions),
        ]
    else:
        body = [
            ("Ogni foglio è la scheda di un obiettivo. Le celle da compilare sono in giallo; le altre sono protette.", styles.instructions),
            ("RAGGIUNTO: inserire il valore nella forma indicata dal messaggio che compare selezionando la cella "
             "(percentuale, numero, data di completamento gg/mm/aaaa, oppure Sì/No dall'elenco). Scriverlo come valore, "
             "non come testo: un numero incollato come testo non conta.", styles.instructions),
            ("Scost. e le medie della verifica si calcolano da sole; un RAGGIUNTO lasciato vuoto conta 0 se l'indicatore "
             "è già dovuto.", styles.instructions),
            (f"Compilare la VERIFICA {round_label.upper()}: analisi degli scostamenti, provvedimenti correttivi e il personale "
             "coinvolto con la % di partecipazione (es. 50%).", styles.instructions),
            ("Il file si può rinominare e salvare in .xlsx (o .ods con LibreOffice): i fogli vengono riconosciuti "
             "automaticamente al rientro. Non modificare i testi del piano. Rispedire il file in risposta al messaggio.",
             styles.instructions),
            ("I fogli sono protetti con password: per modificarli chiederla all'ufficio che li ha inviati." if password else
             "La protezione dei fogli non ha password: se fosse proprio necessario toglierla, i valori del piano "
             "verranno comunque ricontrollati al rientro.", styles.instructions),
        ]
    lines = title + body
    for row, (text, fmt) in enumerate(lines):
        if fmt:
            g.put(row, 0, text, fmt)
        if fmt is styles.instructions:
            g.height(row, min(MAX_ROW_HEIGHT, text_height(text, column_points(INSTRUCTIONS_WIDTH))))
    g.put(*INSTRUCTIONS_META, json.dumps(INSTRUCTIONS_METADATA), styles.hidden)
    g.flush(ws)
    ws.set_column(INSTRUCTIONS_META[1], INSTRUCTIONS_META[1], None, None, {"hidden": True})
    ws.protect(password or "")


def _fast_tmpdir() -> str | None:
    # XlsxWriter keeps one temporary file per sheet; on Linux a RAM-backed folder makes them cheap.
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


def build_workbook(plan: Plan, objectives: list[Objective], *, sector: Sector | None, review: Review,
                   password: str | None = None, instructions: bool = True) -> bytes:
    """One sector's workbook (or, with `sector=None`, the plan's whole annex) as .xlsx bytes."""
    return build_pages(plan, [Page(o, sector) for o in objectives], review=review, sector=sector,
                       password=password, instructions=instructions)


def build_pages(plan: Plan, pages: list[Page], *, review: Review, sector: Sector | None = None,
                password: str | None = None, editable: bool = True, instructions: bool = True) -> bytes:
    """A workbook with one sheet per page, returned as .xlsx bytes.

    `sector` is the workbook's sector, if it has one. With `editable=False` nothing is left to
    fill in: every cell is locked (the annex of results, for the Relazione sulla performance).
    """
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"constant_memory": True, "tmpdir": _fast_tmpdir(), "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False})
    styles = _Styles(wb)
    wb.set_properties({
        "title": f"Schede obiettivi {plan.year} - " + (sector.name if sector else "allegato completo"),
        "subject": plan.title or f"Piano della performance {plan.triennium or plan.year}",
        "author": "schede-excel", "company": f"Comune di {plan.entity}",
        "created": datetime(plan.year, 1, 1),  # fixed, so the same plan always gives the same bytes
    })
    for key, value in {"schede_piano": plan.plan_id, "schede_anno": plan.year,
                       "schede_settore": sector.code if sector else "", "schede_turno": review.round,
                       "schede_layout": LAYOUT_VERSION, "schede_versione": __version__}.items():
        wb.set_custom_property(key, value)
    if instructions:
        _instructions(wb, styles, plan, sector, review, password)
    sheet_writer = _SheetWriter(wb, styles, plan, review, password, editable)
    several = len({page.sector.code if page.sector else None for page in pages}) > 1
    prefixes = [page.sector.code if several and page.sector and page.objective.cross_cutting else "" for page in pages]
    for name, page in zip(sheet_names([p.objective for p in pages], prefixes), pages):
        ws = wb.add_worksheet(name, worksheet_class=_FormSheet)
        sheet_writer.write(ws, name, page)
    wb.close()
    return buffer.getvalue()
