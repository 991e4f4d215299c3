"""Where every field sits on a scheda obiettivo: the one place that knows rows, columns and labels.

The writer asks `sheet_layout()` where to put each field; the reader asks the same function
where to find them, and uses the labels and defined names declared here when a user moved
things. Rows and columns are 0-based as in XlsxWriter; `a1()` gives the address a user sees.
Nothing here writes or reads a file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache

from ..plan.model import Indicator, IndicatorKind, Objective, Phase, Plan, Sector
from ..plan.targets import MONTH_LETTERS
from ..spreadsheet.cells import Span, a1, col_letter, span
from ..spreadsheet.text import MAX_ROW_HEIGHT, column_points, line_height, line_starts

LAYOUT_VERSION = 1

# Columns: A number, B text, C ATTESO, D RAGGIUNTO, E Scost., F..Q the twelve months.
COL_NUMBER = 0
COL_TEXT = 1
COL_TARGET = 2
COL_ACHIEVED = 3
COL_DEVIATION = 4
MONTH_COLS = tuple(range(5, 17))
LAST_COL = MONTH_COLS[-1]
COL_ACHIEVEMENT = 17  # hidden: each indicator's achievement %, averaged by the review formulas
COL_META = 18  # hidden: the sheet's identity (see `metadata` in the writer)
LEFT = (COL_NUMBER, COL_DEVIATION)  # the left half: interim review, staff table
RIGHT = (MONTH_COLS[0], LAST_COL)  # the right half: final review
CARRIED_COLS = (MONTH_COLS[0], MONTH_COLS[5])  # beside the indicators, empty but on final-round sheets
COLUMN_WIDTHS = {COL_NUMBER: 4, COL_TEXT: 34, COL_TARGET: 12, COL_ACHIEVED: 13, COL_DEVIATION: 10,
                 **{c: 3.9 for c in MONTH_COLS}}
TEXT_WIDTH = sum(COLUMN_WIDTHS.values()) - COLUMN_WIDTHS[COL_NUMBER] - COLUMN_WIDTHS[COL_TEXT]
HALF_WIDTHS = (sum(COLUMN_WIDTHS[c] for c in range(LEFT[0], LEFT[1] + 1)),
               sum(COLUMN_WIDTHS[c] for c in MONTH_COLS))

READ_COLUMNS = frozenset({COL_NUMBER, COL_TEXT, COL_TARGET, COL_ACHIEVED, MONTH_COLS[0], MONTH_COLS[7],
                          MONTH_COLS[10], COL_META})
"""The columns a returned sheet is read from: labels and texts, ATTESO, RAGGIUNTO, the right half's
labels and texts, PESO and its value, the hidden identity. (Formula results and month marks are not read.)"""

VISIBLE_COLUMNS = frozenset(range(COL_NUMBER, LAST_COL + 1))
"""Every column a person sees on the sheet (A to Q): read too, so that a value under a merged range is found."""

MIN_PHASE_ROWS = 6


class Label:
    """The Italian labels of the sheet, exactly as the annex prints them."""

    TITLE = "Comune di {entity} ANNO {year} - Obiettivo strategico n° {number}"
    WEIGHT = "PESO:"
    SECTOR = "SETTORE"
    HEAD = "RESPONSABILE DI SERVIZIO"
    OBJECTIVE = "OBIETTIVO"
    DESCRIPTION = "descrizione obiettivo"
    DUP = "collegamento con Rel. Prev. Prog./DUP"
    PHASES = "Descrizione delle fasi di attuazione:"
    TIMELINE = "CRONOPROGRAMMA"
    TIMELINE_SUB = "FASI E TEMPI"
    INDICATORS = "INDICI DI RISULTATO"
    TARGET = "ATTESO"
    ACHIEVED = "RAGGIUNTO"
    DEVIATION = "Scost."
    INTERIM = "VERIFICA INTERMEDIA AL"
    FINAL = "VERIFICA FINALE AL"
    VALUE_SCORE = "MEDIA VALORE RAGGIUNTO %"
    TIME_SCORE = "MEDIA RISPETTO DEI TEMPI %"
    ANALYSIS = "Analisi degli scostamenti"
    CAUSES = "Cause"
    EFFECTS = "Effetti"
    ACTIONS = "Provvedimenti correttivi"
    ACTIONS_TAKEN = "Intrapresi"
    ACTIONS_PLANNED = "Da attivare"
    STAFF = "PERSONALE COINVOLTO NELL'OBIETTIVO"
    STAFF_NAME = "Cognome e Nome"
    STAFF_CATEGORY = "Cat."
    STAFF_PARTICIPATION = "% Partecipazione"
    STAFF_TOTAL = "totale partecipazione agli obiettivi"
    CARRIED = "RAGGIUNTO intermedio"  # final-round sheets only: the interim value, locked


ROUNDS = ("interim", "final")
ROUND_LABELS = {"interim": "intermedia", "final": "finale"}


INSTRUCTIONS_META = (0, 3)  # the hidden cell that marks the instructions sheet as ours
INSTRUCTIONS_METADATA = {"app": "schede-excel", "istruzioni": True}


def objective_fingerprint(plan: Plan, objective: Objective) -> str:
    """A short hash of the plan-owned values of a sheet, to tell on import whether they changed."""
    return _fingerprint(plan.plan_id, objective)


@lru_cache(maxsize=4096)
def _fingerprint(plan_id: str, objective: Objective) -> str:
    owned = {"plan": plan_id, "objective": objective.model_dump(mode="json", by_alias=True)}
    return hashlib.sha256(json.dumps(owned, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def sheet_metadata(plan: Plan, objective: Objective, sector: Sector | None, round_: str) -> dict:
    """What the hidden cell of a sheet says about its identity (see `SheetLayout.meta`)."""
    return {
        "app": "schede-excel", "layout": LAYOUT_VERSION, "piano": plan.plan_id, "anno": plan.year,
        "settore": sector.code if sector else objective.sector, "obiettivo": objective.key,
        "turno": round_, "impronta": objective_fingerprint(plan, objective),
    }


@dataclass(frozen=True)
class PhaseSlot:
    """A phase row: number, description, and one cell per month of the cronoprogramma."""

    index: int
    phase: Phase | None
    row: int

    @property
    def description(self) -> Span:
        return span(self.row, COL_TEXT, COL_DEVIATION)


@dataclass(frozen=True)
class IndicatorSlot:
    """An indicator row: description, ATTESO, RAGGIUNTO (input), Scost. and hidden achievement."""

    kind: IndicatorKind
    index: int  # 1-based within its block
    indicator: Indicator
    row: int

    @property
    def description(self) -> Span:
        return span(self.row, COL_NUMBER, COL_TEXT)

    @property
    def target(self) -> tuple[int, int]:
        return (self.row, COL_TARGET)

    @property
    def achieved(self) -> tuple[int, int]:
        return (self.row, COL_ACHIEVED)

    @property
    def deviation(self) -> tuple[int, int]:
        return (self.row, COL_DEVIATION)

    @property
    def carried(self) -> Span:
        """Where a final-round sheet shows the RAGGIUNTO of the interim review."""
        return span(self.row, *CARRIED_COLS)

    @property
    def achievement(self) -> tuple[int, int]:
        return (self.row, COL_ACHIEVEMENT)

    @property
    def name(self) -> str:
        """Defined name of the RAGGIUNTO cell."""
        return achieved_name(self.kind, self.index)


def achieved_name(kind: IndicatorKind, index: int) -> str:
    """Defined name of the RAGGIUNTO cell of a block's `index`-th indicator (1-based)."""
    return f"RAGGIUNTO_{kind.value.upper()}_{index}"


@dataclass(frozen=True)
class ReviewBlock:
    """One of the two review blocks (VERIFICA INTERMEDIA / FINALE), on its half of the sheet."""

    round: str
    header: Span
    value_label: Span
    value_score: Span
    time_label: Span
    time_score: Span
    analysis: Span
    causes_label: Span
    causes: Span
    effects_label: Span
    effects: Span
    actions: Span
    actions_taken_label: Span
    actions_taken: Span
    actions_planned_label: Span
    actions_planned: Span

    def texts(self) -> dict[str, Span]:
        """The four text inputs by model field name."""
        return {"causes": self.causes, "effects": self.effects,
                "actions_taken": self.actions_taken, "actions_planned": self.actions_planned}

    def text_labels(self) -> dict[str, tuple[Span, str]]:
        """Where each text input's label sits, and its text (the input is on the row below)."""
        return {"causes": (self.causes_label, Label.CAUSES), "effects": (self.effects_label, Label.EFFECTS),
                "actions_taken": (self.actions_taken_label, Label.ACTIONS_TAKEN),
                "actions_planned": (self.actions_planned_label, Label.ACTIONS_PLANNED)}

    def name(self, field_name: str) -> str:
        """Defined name of an input of this block, e.g. CAUSE_INTERMEDIA."""
        stem = {"causes": "CAUSE", "effects": "EFFETTI", "actions_taken": "INTRAPRESI",
                "actions_planned": "DA_ATTIVARE", "value_score": "MEDIA_VALORE",
                "time_score": "MEDIA_TEMPI"}[field_name]
        return f"{stem}_{ROUND_LABELS[self.round].upper()}"


@dataclass(frozen=True)
class SheetLayout:
    """Every position on one objective's sheet."""

    title: Span
    weight_label: Span
    weight: Span
    sector_label: Span
    head_label: Span
    sector: Span
    head: Span
    objective_label: Span
    objective: Span
    description_label: Span
    description: Span
    """The first row of the description; a long one continues in `description_rows`."""
    dup_header: Span
    dup_slots: tuple[tuple[tuple[int, int], Span], ...]  # (number cell, text span) for 1..8
    phases_label: Span
    timeline_label: Span
    timeline_sub: Span
    months_row: int
    phases: tuple[PhaseSlot, ...]
    indicators_header: Span | None = None
    block_headers: dict[IndicatorKind, int] = field(default_factory=dict)
    indicators: tuple[IndicatorSlot, ...] = ()
    reviews: dict[str, ReviewBlock] = field(default_factory=dict)
    staff_header: Span | None = None
    staff_columns_row: int | None = None
    staff_rows: tuple[int, ...] = ()
    staff_total_row: int | None = None
    description_rows: tuple[Span, ...] = ()
    """Every row of the description, the first included: no row may be taller than Excel allows."""
    last_row: int = 0

    @property
    def meta(self) -> tuple[int, int]:
        """The hidden cell holding the sheet's identity."""
        return (0, COL_META)

    @property
    def print_area(self) -> Span:
        return Span(0, 0, self.last_row, LAST_COL)

    def spacers(self) -> list[int]:
        """The empty rows between the phases, the indicators, the reviews and the staff."""
        if self.indicators_header is None:
            return []
        return [self.indicators_header.row - 1, next(iter(self.reviews.values())).header.row - 1,
                self.staff_header.row - 1]

    def sections(self) -> list[int]:
        """The rows where a page may begin: each section's first row (a block is never split).

        A long description may break between its rows, the indicators between their blocks.
        """
        starts = [self.sector_label.row, self.objective_label.row, *(r.row for r in self.description_rows),
                  self.dup_header.row, self.phases_label.row]
        if self.indicators_header is not None:
            first_block = min(self.block_headers.values())
            starts += [self.indicators_header.row, *(r for r in self.block_headers.values() if r != first_block)]
            starts.append(next(iter(self.reviews.values())).header.row)
        if self.staff_header is not None:
            starts.append(self.staff_header.row)
        return sorted(set(starts))

    def indicator_rows(self, kinds) -> list[IndicatorSlot]:
        return [slot for slot in self.indicators if slot.kind in kinds]


STAFF_NAME_COLS = (COL_NUMBER, COL_TEXT)
STAFF_CATEGORY_COL = COL_TARGET
STAFF_PARTICIPATION_COL = COL_ACHIEVED
VALUE_KINDS = (IndicatorKind.QUANTITY, IndicatorKind.COST, IndicatorKind.QUALITY)
TIME_KINDS = (IndicatorKind.TIME,)


def review_block(round_: str, top: int) -> ReviewBlock:
    """The review block of `round_` (interim on the left half, final on the right) with its header at row `top`."""
    first, last = LEFT if round_ == "interim" else RIGHT
    label_last = first + (2 if first == LEFT[0] else 7)

    def full(r):
        return span(r, first, last)

    return ReviewBlock(
        round=round_,
        header=full(top),
        value_label=span(top + 1, first, label_last), value_score=span(top + 1, label_last + 1, last),
        time_label=span(top + 2, first, label_last), time_score=span(top + 2, label_last + 1, last),
        analysis=full(top + 3),
        causes_label=full(top + 4), causes=full(top + 5),
        effects_label=full(top + 6), effects=full(top + 7),
        actions=full(top + 8),
        actions_taken_label=full(top + 9), actions_taken=full(top + 10),
        actions_planned_label=full(top + 11), actions_planned=full(top + 12),
    )


REVIEW_ROWS = 13


def span_points(where: Span) -> float:
    """The width of a span in points, as Excel lays it out (the narrower of the two spreadsheets)."""
    return sum(column_points(COLUMN_WIDTHS.get(c, 0)) for c in range(where.col, where.last_col + 1))


DESCRIPTION_POINTS = sum(column_points(COLUMN_WIDTHS[c]) for c in range(COL_TARGET, LAST_COL + 1))
_DESCRIPTION_LINES = int((MAX_ROW_HEIGHT - 3) // line_height())


def description_chunks(text: str) -> list[str]:
    """The description cut into pieces that each fit a row of Excel's largest height, where its lines end.

    Each cut falls at a space or a line break, so the pieces joined with spaces read as the text
    (the reader compares them with runs of white space folded).
    """
    starts = line_starts(text, DESCRIPTION_POINTS)
    if len(starts) <= _DESCRIPTION_LINES:
        return [text]
    cuts, line = [0], _DESCRIPTION_LINES
    while line < len(starts):
        cut = line
        while cut > line - _DESCRIPTION_LINES + 1 and not text[starts[cut] - 1:starts[cut]].isspace():
            cut -= 1  # a word broken for its length: cut at the line before it instead
        if not text[starts[cut] - 1:starts[cut]].isspace():
            cut = line
        cuts.append(starts[cut])
        line = cut + _DESCRIPTION_LINES
    pieces = [text[a:b].strip(" \n") for a, b in zip(cuts, cuts[1:] + [len(text)])]
    return [piece for piece in pieces if piece] or [text]


def sheet_layout(objective: Objective, *, staff_rows: int, direct_assessment: bool = False) -> SheetLayout:
    """The positions of every field for this objective's sheet."""
    full = (COL_NUMBER, LAST_COL)
    label = (COL_NUMBER, COL_TEXT)
    value = (COL_TARGET, LAST_COL)
    weight_first = MONTH_COLS[7]
    more = len(description_chunks(objective.description)) - 1  # rows below the description move down
    parts: dict = dict(
        title=span(0, COL_NUMBER, weight_first - 1),
        weight_label=span(0, weight_first, weight_first + 2),
        weight=span(0, weight_first + 3, LAST_COL),
        sector_label=span(1, COL_NUMBER, COL_TARGET), head_label=span(1, COL_ACHIEVED, LAST_COL),
        sector=span(2, COL_NUMBER, COL_TARGET), head=span(2, COL_ACHIEVED, LAST_COL),
        objective_label=span(3, *label), objective=span(3, *value),
        description_label=span(4, *label, last_row=4 + more), description=span(4, *value),
        description_rows=tuple(span(4 + i, *value) for i in range(more + 1)),
        dup_header=span(5 + more, *full),
        dup_slots=tuple(
            ((6 + more + i, COL_NUMBER), span(6 + more + i, COL_TEXT, COL_TARGET)) for i in range(4)
        ) + tuple(
            ((6 + more + i, COL_ACHIEVED), span(6 + more + i, COL_DEVIATION, LAST_COL)) for i in range(4)
        ),
        phases_label=span(10 + more, COL_NUMBER, COL_DEVIATION, last_row=12 + more),
        timeline_label=span(10 + more, MONTH_COLS[0], LAST_COL),
        timeline_sub=span(11 + more, MONTH_COLS[0], LAST_COL),
        months_row=12 + more,
    )
    row = 13 + more
    count = max(MIN_PHASE_ROWS, len(objective.phases))
    phases = list(objective.phases) + [None] * (count - len(objective.phases))
    parts["phases"] = tuple(PhaseSlot(i + 1, phase, row + i) for i, phase in enumerate(phases))
    row += count
    if direct_assessment:
        return SheetLayout(**parts, last_row=row - 1)

    row += 1
    parts["indicators_header"] = span(row, *full)
    row += 1
    headers, slots = {}, []
    for kind, block in objective.indicators.by_kind():
        headers[kind] = row
        row += 1
        for index, indicator in enumerate(block, start=1):
            slots.append(IndicatorSlot(kind, index, indicator, row))
            row += 1
    parts["block_headers"], parts["indicators"] = headers, tuple(slots)

    row += 1
    parts["reviews"] = {"interim": review_block("interim", row), "final": review_block("final", row)}
    row += REVIEW_ROWS + 1

    parts["staff_header"] = span(row, *full)
    parts["staff_columns_row"] = row + 1
    parts["staff_rows"] = tuple(range(row + 2, row + 2 + staff_rows))
    parts["staff_total_row"] = row + 2 + staff_rows
    return SheetLayout(**parts, last_row=parts["staff_total_row"])


SHEET_NAME_UNITS = 31  # Excel counts a sheet name's length in UTF-16 units: an emoji counts two


def _cut_utf16(text: str, units: int) -> str:
    """`text` cut to at most `units` UTF-16 code units, never inside a character."""
    out, used = [], 0
    for ch in text:
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > units:
            break
        out.append(ch)
    return "".join(out).rstrip()


def sheet_names(objectives: list[Objective], prefixes: list[str] | None = None) -> list[str]:
    """Unique, valid, readable worksheet names: `FIN 1 SPORTELLO UNICO TELEMATI`.

    `prefixes` (one per objective, may be empty) go in front, e.g. the reporting sector of a
    cross-cutting sheet in a workbook that holds several sectors: `FIN TUTTI 1 PREVENZIONE`.
    """
    names, seen = [], set()
    for k, objective in enumerate(objectives):
        prefix = f"{prefixes[k]} " if prefixes and prefixes[k] else ""
        base = f"{prefix}{objective.sector} {objective.number} {objective.title}"
        base = "".join(" " if ch in "[]:*?/\\'" or not ch.isprintable() else ch for ch in base)
        base = _cut_utf16(" ".join(base.split()), SHEET_NAME_UNITS)
        name, n = base, 2
        while name.lower() in seen:
            suffix = f" ({n})"
            name = _cut_utf16(base, SHEET_NAME_UNITS - len(suffix)) + suffix
            n += 1
        seen.add(name.lower())
        names.append(name)
    return names
