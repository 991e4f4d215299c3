"""The plan as a workbook, for the office staff who write it in Excel or LibreOffice.

The plan workbook is the YAML plan file laid out as tables, one sheet per part:

- «Ente»: one row per plan-wide value (ente, anno, triennio, titolo, review dates, staff rows,
  scoring rules), with a column of help;
- «Settori»: one row per sector, and beside it the weights of each sector totalled by formulas
  (its own plus the cross-cutting TUTTI ones, expected 100, red when not);
- «Obiettivi»: one row per objective, DUP links in eight columns;
- «Fasi»: one row per phase, the twelve months G F M A M G L A S O N D marked with X, which is
  the cronoprogramma at a glance;
- «Indicatori»: one row per indicator, ATTESO as written.

Every column has Italian help (a comment on the header and a message on its cells), dropdowns
for sectors, blocks, kinds, months and Sì/No, and checks where a spreadsheet can make them.

`build_plan_workbook(plan)` returns the .xlsx bytes (an empty template for None).
`read_plan_workbook(source)` reads one back (.xlsx, .xlsm or .ods), builds the same data the
YAML loader builds and runs the same checks through `planfile.plan_from_data`; every finding
names the sheet and cell, and all of them are reported at once.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from ..spreadsheet.grid import Grid, NotAWorkbook, plain, read_grids
from ..files import describe_os_error
from ..findings import Finding, finding
from ..spreadsheet.cells import a1, col_letter
from ..italian import number
from .targets import MONTH_ABBREVIATIONS, MONTH_LETTERS
from .model import CROSS_CUTTING, Indicator, IndicatorKind, Objective, Phase, Plan, ScoringPolicy, Sector
from .parse import PlanResult, plan_from_data
from .targets import ACCEPTED_FORMS, TargetKind
from ..spreadsheet.text import LINE_HEIGHT, estimate_lines

ENTITY_SHEET = "Ente"
SECTORS_SHEET = "Settori"
OBJECTIVES_SHEET = "Obiettivi"
PHASES_SHEET = "Fasi"
INDICATORS_SHEET = "Indicatori"
LISTS_SHEET = "Elenchi"
INSTRUCTIONS_SHEET = "Istruzioni"

MONTH_NAMES = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
               "settembre", "ottobre", "novembre", "dicembre")
BLOCK_NAMES = {IndicatorKind.QUANTITY: "Quantità", IndicatorKind.TIME: "Tempo",
               IndicatorKind.COST: "Costo", IndicatorKind.QUALITY: "Qualità"}
YES, NO = "Sì", "No"
NOT_FOUND = "(obiettivo non trovato)"
MONTH_MARK = "X"
# The input message of ATTESO: Excel shows at most 255 characters, so the forms by example.
TARGET_MESSAGE = (
    "Come nella scheda. Forme: 95% · 4 · 1.500,50 · 15/04/2024 · 31/12 · 31-gen · giugno · "
    "30gg · mensile · trimestrale · entro il 5 del mese · nessuna · entro i termini · sì. "
    "Per un altro testo qualitativo: tipo «sino»."
)


@dataclass(frozen=True)
class Column:
    """A column of a table sheet: the plan file key it holds, its header, how it is typed and its help.

    `kind` says how the cells are formatted, checked and read: text, int, float, bool, date,
    sector, target, block, kind, better, month, or computed (a formula the reader ignores).
    """

    key: str
    header: str
    kind: str
    width: float
    help: str
    required: bool = False


@dataclass(frozen=True)
class EntityRow:
    """A row of the «Ente» sheet: the key path of the value in the plan file, its label, kind and help."""

    path: tuple[str, ...]
    label: str
    kind: str
    help: str


def _described(model, name: str, extra: str = "") -> str:
    return (model.model_fields[name].description + (" " + extra if extra else "")).strip()


ENTITY_ROWS = (
    EntityRow(("ente",), "Ente", "text", _described(Plan, "entity")),
    EntityRow(("anno",), "Anno", "int", _described(Plan, "year", "Es. 2024.")),
    EntityRow(("triennio",), "Triennio", "text", _described(Plan, "triennium", "Facoltativo.")),
    EntityRow(("titolo",), "Titolo dell'allegato", "text", _described(Plan, "title", "Facoltativo.")),
    EntityRow(("verifica_intermedia",), "Verifica intermedia al", "date", _described(Plan, "interim_review", "Data gg/mm/aaaa.")),
    EntityRow(("verifica_finale",), "Verifica finale al", "date", _described(Plan, "final_review", "Data gg/mm/aaaa, dopo l'intermedia.")),
    EntityRow(("righe_personale",), "Righe del personale coinvolto", "int", _described(Plan, "staff_rows", "Da 1 a 60; predefinite 8.")),
    EntityRow(("punteggio", "giorni_ritardo_zero"), "Giorni di ritardo a punteggio 0", "int",
              _described(ScoringPolicy, "late_zero_days", "Regola di valutazione (SMVP); predefinito 90.")),
    EntityRow(("punteggio", "peso_valore"), "Peso media valore raggiunto", "float",
              _described(ScoringPolicy, "value_weight", "Predefinito 50.")),
    EntityRow(("punteggio", "peso_tempi"), "Peso media rispetto dei tempi", "float",
              _described(ScoringPolicy, "time_weight", "Predefinito 50.")),
    EntityRow(("punteggio", "soglia_raggiunto"), "Soglia di obiettivo raggiunto", "float",
              _described(ScoringPolicy, "achieved_threshold", "Predefinita 90.")),
    EntityRow(("punteggio", "soglia_parziale"), "Soglia di parzialmente raggiunto", "float",
              _described(ScoringPolicy, "partial_threshold", "Predefinita 60.")),
)

_SECTOR = "Codice del settore, oppure TUTTI per gli obiettivi trasversali: scegliere dall'elenco (i codici del foglio Settori)."
_NUMBER = "Numero dell'obiettivo nel suo settore, come nel foglio Obiettivi."
_TITLE = "Titolo dell'obiettivo, dal foglio Obiettivi (calcolato: non scrivere qui)."

SECTOR_COLUMNS = (
    Column("codice", "codice", "text", 10, _described(Sector, "code", "Lettere, cifre, - e _; al massimo 12."), True),
    Column("nome", "nome", "text", 40, _described(Sector, "name"), True),
    Column("responsabile", "responsabile", "text", 30, _described(Sector, "head")),
    Column("email", "email", "text", 32, _described(Sector, "email")),
    Column("valutazione_diretta", "valutazione diretta", "bool", 12,
           "Sì per il Segretario comunale: schede senza indici, valutate direttamente, senza obiettivi trasversali."),
    Column("peso_ente", "peso nel punteggio dell'ente", "float", 14,
           "Peso del settore nel punteggio dell'ente; vuoto: tutti i settori pesano uguale."),
    Column("pesi_propri", "pesi del settore", "computed", 12, "Somma dei pesi degli obiettivi del settore (calcolata)."),
    Column("pesi_trasversali", "pesi trasversali (TUTTI)", "computed", 14,
           "Somma dei pesi degli obiettivi TUTTI, che vanno in ogni settore tranne quelli a valutazione diretta (calcolata)."),
    Column("totale", "totale pesi", "computed", 11, "Pesi del settore più i trasversali: deve dare 100 (in rosso se no)."),
    Column("atteso", "totale atteso", "computed", 11, "Il totale atteso dei pesi di ogni settore."),
)
OBJECTIVE_COLUMNS = (
    Column("settore", "settore", "sector", 10, _SECTOR, True),
    Column("numero", "numero", "int", 9, _described(Objective, "number", "Intero da 1 in su, unico nel settore."), True),
    Column("peso", "peso", "int", 8, _described(Objective, "weight", "Intero da 0 a 100."), True),
    Column("titolo", "titolo", "text", 45, _described(Objective, "title"), True),
    Column("descrizione", "descrizione", "text", 60, _described(Objective, "description")),
    *(Column(f"dup{n}", f"DUP {n}", "text", 18, f"collegamento con Rel. Prev. Prog./DUP: casella {n} della scheda.")
      for n in range(1, 9)),
    Column("chiave", "chiave", "computed", 10, "Settore e numero (calcolata, per il titolo negli altri fogli)."),
)
PHASE_COLUMNS = (
    Column("settore", "settore", "sector", 10, _SECTOR, True),
    Column("numero", "numero", "int", 9, _NUMBER, True),
    Column("obiettivo", "titolo dell'obiettivo", "computed", 30, _TITLE),
    Column("fase", "fase", "int", 6, "Numero della fase (1, 2, 3…): l'ordine delle fasi nella scheda."),
    Column("descrizione", "descrizione", "text", 50, _described(Phase, "description"), True),
    *(Column(f"mese{m}", letter, "month", 4, f"{MONTH_NAMES[m - 1].capitalize()}: X se la fase è prevista nel mese (cronoprogramma).")
      for m, letter in enumerate(MONTH_LETTERS, start=1)),
)
INDICATOR_COLUMNS = (
    Column("settore", "settore", "sector", 10, _SECTOR, True),
    Column("numero", "numero", "int", 9, _NUMBER, True),
    Column("obiettivo", "titolo dell'obiettivo", "computed", 30, _TITLE),
    Column("blocco", "blocco", "block", 11, "Blocco degli INDICI DI RISULTATO: Quantità, Tempo, Costo o Qualità.", True),
    Column("descrizione", "descrizione", "text", 50, _described(Indicator, "description"), True),
    Column("atteso", "atteso", "target", 16, TARGET_MESSAGE, True),
    Column("tipo", "tipo", "kind", 12, _described(Indicator, "kind", "Di solito vuoto.")),
    Column("migliore", "migliore", "better", 10, _described(Indicator, "better", "Altrimenti vuoto.")),
    Column("dal", "dal", "date", 12, _described(Indicator, "start", "Data gg/mm/aaaa.")),
)
TABLES = {SECTORS_SHEET: SECTOR_COLUMNS, OBJECTIVES_SHEET: OBJECTIVE_COLUMNS,
          PHASES_SHEET: PHASE_COLUMNS, INDICATORS_SHEET: INDICATOR_COLUMNS}


def _position(columns, key: str) -> int:
    return next(i for i, c in enumerate(columns) if c.key == key)


def _letter(columns, key: str) -> str:
    return col_letter(_position(columns, key))


# ---------------------------------------------------------------------------------------------
# Writing


class _Formats:
    """The workbook's formats."""

    def __init__(self, wb):
        base = {"font_name": "Calibri", "font_size": 11, "valign": "top"}

        def fmt(**props):
            return wb.add_format({**base, **props})

        self.header = fmt(bold=True, bg_color="#D9D9D9", text_wrap=True, border=1, valign="vcenter")
        self.title = fmt(bold=True, font_size=14)
        self.text = fmt(text_wrap=True)
        self.help = fmt(text_wrap=True, italic=True, font_color="#595959")
        self.label = fmt(bold=True, text_wrap=True)
        self.number = fmt(align="center")
        self.decimal = fmt(align="center", num_format="0.##")
        self.date = fmt(align="center", num_format="dd/mm/yyyy")
        self.target = fmt(align="center", num_format="@")
        self.center = fmt(align="center")
        self.computed = fmt(italic=True, bg_color="#F2F2F2", font_color="#404040")
        self.computed_number = fmt(italic=True, bg_color="#F2F2F2", align="center")
        self.month_on = wb.add_format({"bg_color": "#8EA9DB", "bold": True})
        self.bad = wb.add_format({"bg_color": "#F8CBAD", "font_color": "#9C0006", "bold": True})
        self.good = wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"})
        self.warning = wb.add_format({"font_color": "#9C0006"})

    def of(self, kind: str):
        return {"int": self.number, "float": self.decimal, "date": self.date, "target": self.target,
                "bool": self.center, "month": self.center, "block": self.center, "kind": self.center,
                "better": self.center, "sector": self.center, "computed": self.computed}.get(kind, self.text)


_LIMITS = {"anno": (2000, 2100), "righe_personale": (1, 60), "numero": (1, None), "fase": (1, None),
           "peso": (0, 100), "giorni_ritardo_zero": (1, None)}


def _validation(kind: str, key: str, cell: str, lists: dict[str, str]) -> dict:
    """The data validation of a column (`cell` is its first data cell, for custom formulas)."""
    if kind == "sector":
        return {"validate": "list", "source": lists["sector"], "error_title": "Settore sconosciuto",
                "error_message": "Scegliere dall'elenco un codice del foglio Settori, oppure TUTTI."}
    if kind == "int":
        low, high = _LIMITS.get(key, (0, None))
        bounds = {"criteria": "between", "minimum": low, "maximum": high} if high else {"criteria": ">=", "value": low}
        return {"validate": "integer", **bounds, "error_title": "Numero non valido",
                "error_message": f"Scrivere un numero intero da {low}" + (f" a {high}." if high else " in su.")}
    if kind == "float":
        return {"validate": "decimal", "criteria": ">=", "value": 0, "error_title": "Numero non valido",
                "error_message": "Scrivere un numero, zero o più."}
    if kind == "date":
        return {"validate": "date", "criteria": "between", "minimum": date(2000, 1, 1),
                "maximum": date(2100, 12, 31), "error_title": "Data non valida",
                "error_message": "Scrivere una data gg/mm/aaaa, es. 30/06/2024."}
    if kind in ("bool", "block", "kind", "better", "month"):
        source = {"bool": [YES, NO], "block": list(BLOCK_NAMES.values()), "kind": [k.value for k in TargetKind],
                  "better": ["maggiore", "minore"], "month": [MONTH_MARK]}[kind]
        return {"validate": "list", "source": source, "error_title": "Valore non in elenco",
                "error_message": "Scegliere un valore dall'elenco: " + ", ".join(source) + "."}
    if kind == "target":
        # A spreadsheet cannot parse ATTESO; it can refuse a blank, and the reader checks the rest.
        return {"validate": "custom", "value": f"=LEN(TRIM({cell}))>0", "ignore_blank": False,
                "error_title": "ATTESO mancante", "error_message": TARGET_MESSAGE}
    return {"validate": "any"}


def _help_message(options: dict, title: str, text: str) -> dict:
    return {**options, "input_title": title[:32], "input_message": text[:255]}


def _print_setup(ws) -> None:
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def _fitted_width(column: Column, rows: list[dict]) -> float:
    """Wide enough for the longest value, within limits: long texts wrap at 60 characters."""
    longest = max((len(line) for r in rows for line in str(r.get(column.key) or "").split("\n")), default=0)
    if column.kind == "text":
        return max(column.width, min(longest + 2, 60))
    return max(column.width, min(longest + 2, 24)) if column.kind != "computed" else column.width


@dataclass
class _Sheet:
    """A table sheet being written: the worksheet, its columns and how many rows are ready for input."""

    ws: object
    columns: tuple[Column, ...]
    capacity: int


class _BookWriter:
    """Writes the plan workbook."""

    def __init__(self, wb, plan: Plan | None):
        self.wb, self.plan, self.f = wb, plan, _Formats(wb)
        plan_objectives = plan.objectives if plan else ()
        phases = sum(len(o.phases) for o in plan_objectives)
        indicators = sum(len(o.indicators) for o in plan_objectives)
        sectors = len(plan.sectors) if plan else 0
        self.capacity = {SECTORS_SHEET: max(30, sectors + 20), OBJECTIVES_SHEET: max(200, len(plan_objectives) + 100),
                         PHASES_SHEET: max(300, phases + 150), INDICATORS_SHEET: max(300, indicators + 150)}
        self.lists = {"sector": f"={LISTS_SHEET}!$A$1:$A${self.capacity[SECTORS_SHEET] + 1}"}

    def write(self) -> None:
        self._instructions()
        self._entity()
        self._sectors()
        self._objectives()
        self._phases()
        self._indicators()
        self._lists()

    def _instructions(self) -> None:
        ws = self.wb.add_worksheet(INSTRUCTIONS_SHEET)
        ws.set_column(0, 0, 110, self.f.text)
        ws.hide_gridlines(2)
        lines = [
            "Piano delle schede obiettivi: da compilare qui, poi «schede validate» e «schede generate».",
            "",
            f"«{ENTITY_SHEET}»: i dati dell'ente e dell'anno, le date delle verifiche e le regole di valutazione.",
            f"«{SECTORS_SHEET}»: un settore per riga con il responsabile e l'e-mail. A destra, calcolati, i pesi di "
            "ogni settore: quelli dei suoi obiettivi più quelli trasversali (TUTTI) devono dare 100 (in rosso se no).",
            f"«{OBJECTIVES_SHEET}»: un obiettivo per riga: settore (oppure TUTTI), numero nel settore, peso, titolo, "
            "descrizione e fino a 8 collegamenti DUP.",
            f"«{PHASES_SHEET}»: una fase per riga, con settore e numero dell'obiettivo; una X nei mesi in cui è "
            "prevista (il cronoprogramma della scheda).",
            f"«{INDICATORS_SHEET}»: un indice di risultato per riga, con settore e numero dell'obiettivo, il blocco "
            "(Quantità, Tempo, Costo, Qualità) e l'ATTESO come va scritto nella scheda.",
            "",
            "Ogni colonna ha un aiuto: il commento sull'intestazione e il messaggio che compare selezionando "
            "una cella. Le colonne in grigio si calcolano da sole. Righe vuote e ordine delle righe non contano, "
            "tranne l'ordine degli obiettivi (quello dell'allegato) e delle fasi e degli indici di un obiettivo.",
            "Controllo: schede validate piano.xlsx (indica foglio e cella di ogni problema). "
            "Generazione: schede generate piano.xlsx -o out/",
        ]
        ws.write_string(0, 0, "Istruzioni", self.f.title)
        for row, text in enumerate(lines, start=2):
            if text:
                ws.write_string(row, 0, text, self.f.text)

    def _entity(self) -> None:
        plan, f = self.plan, self.f
        ws = self.wb.add_worksheet(ENTITY_SHEET)
        widths = (34, 50, 80)
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        for col, header in enumerate(("voce", "valore", "aiuto")):
            ws.write_string(0, col, header, f.header)
        ws.freeze_panes(1, 0)
        _print_setup(ws)
        data = plan.model_dump(by_alias=True, mode="python") if plan else {
            "righe_personale": 8, "punteggio": ScoringPolicy().model_dump(by_alias=True)}
        for row, item in enumerate(ENTITY_ROWS, start=1):
            ws.write_string(row, 0, item.label, f.label)
            ws.write_string(row, 2, item.help, f.help)
            value = data
            for key in item.path:
                value = value.get(key) if isinstance(value, dict) else None
            self._put(ws, row, 1, item.kind, value)
            lines = max(estimate_lines(item.help, widths[2]), estimate_lines(str(value or ""), widths[1]))
            ws.set_row(row, lines * LINE_HEIGHT + 3)
            options = _validation(item.kind, item.path[-1], a1(row, 1), self.lists)
            ws.data_validation(row, 1, row, 1, _help_message(options, item.label, item.help))

    def _put(self, ws, row: int, col: int, kind: str, value) -> None:
        fmt = self.f.of(kind)
        if value is None or value == "":
            ws.write_blank(row, col, None, fmt)
        elif kind == "date":
            ws.write_datetime(row, col, datetime.combine(value, datetime.min.time()), fmt)
        elif kind == "bool":
            ws.write_string(row, col, YES if value else NO, fmt)
        elif isinstance(value, (int, float)) and kind in ("int", "float"):
            ws.write_number(row, col, value, fmt)
        else:
            ws.write_string(row, col, str(value), fmt)

    def _table(self, name: str, rows: list[dict]) -> _Sheet:
        """A table sheet: header with help, the rows, formats, validations, frozen header and filter."""
        columns, f = TABLES[name], self.f
        ws = self.wb.add_worksheet(name)
        capacity = self.capacity[name]
        widths = [_fitted_width(column, rows) for column in columns]
        for col, (column, width) in enumerate(zip(columns, widths)):
            ws.set_column(col, col, width, f.of(column.kind))
            ws.write_string(0, col, column.header, f.header)
            comment = column.help + (f" Forme accettate: {ACCEPTED_FORMS}." if column.kind == "target" else "")
            ws.write_comment(0, col, comment, {"x_scale": 2.2, "y_scale": 1.6, "font_size": 10})
            if column.kind != "computed":
                options = _validation(column.kind, column.key, a1(1, col), self.lists)
                ws.data_validation(1, col, capacity, col, _help_message(options, column.header, column.help))
        for row, values in enumerate(rows, start=1):
            lines = 1
            for col, column in enumerate(columns):
                if column.kind != "computed":
                    self._put(ws, row, col, column.kind, values.get(column.key))
                if column.kind == "text" and values.get(column.key):
                    lines = max(lines, estimate_lines(str(values[column.key]), widths[col]))
            if lines > 1:
                ws.set_row(row, lines * LINE_HEIGHT + 3)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)
        ws.set_row(0, 32)
        _print_setup(ws)
        return _Sheet(ws, columns, capacity)

    def _formula_column(self, sheet: _Sheet, key: str, formula, cached: list) -> None:
        """A computed column: `formula(R)` for each input row R (1-based), cached values for the written rows."""
        col = _position(sheet.columns, key)
        fmt = self.f.computed_number if key in ("pesi_propri", "pesi_trasversali", "totale", "atteso") else self.f.computed
        for row in range(1, sheet.capacity + 1):
            value = cached[row - 1] if row - 1 < len(cached) else ""
            sheet.ws.write_formula(row, col, formula(row + 1), fmt, value)

    def _sectors(self) -> None:
        plan = self.plan
        weights = plan.scoring.sector_weights if plan else {}
        rows = [{**s.model_dump(by_alias=True), "peso_ente": weights.get(s.code)} for s in (plan.sectors if plan else ())]
        sheet = self._table(SECTORS_SHEET, rows)
        oc, c = OBJECTIVE_COLUMNS, SECTOR_COLUMNS
        sector_range = f"{OBJECTIVES_SHEET}!${_letter(oc, 'settore')}:${_letter(oc, 'settore')}"
        weight_range = f"{OBJECTIVES_SHEET}!${_letter(oc, 'peso')}:${_letter(oc, 'peso')}"
        code, direct = _letter(c, "codice"), _letter(c, "valutazione_diretta")
        own, shared, total, expected = (_letter(c, k) for k in ("pesi_propri", "pesi_trasversali", "totale", "atteso"))
        totals = _weight_totals(plan) if plan else []
        self._formula_column(sheet, "pesi_propri", lambda r: f'=IF(${code}{r}="","",SUMIF({sector_range},${code}{r},{weight_range}))',
                             [t[0] for t in totals])
        self._formula_column(sheet, "pesi_trasversali",
                             lambda r: f'=IF(${code}{r}="","",IF(OR(${direct}{r}="{YES}",${direct}{r}="Si"),0,'
                                       f'SUMIF({sector_range},"{CROSS_CUTTING}",{weight_range})))',
                             [t[1] for t in totals])
        self._formula_column(sheet, "totale", lambda r: f'=IF(${code}{r}="","",${own}{r}+${shared}{r})',
                             [t[0] + t[1] for t in totals])
        self._formula_column(sheet, "atteso", lambda r: f'=IF(${code}{r}="","",100)', [100] * len(totals))
        cells = f"{total}2:{total}{sheet.capacity + 1}"
        sheet.ws.conditional_format(cells, {"type": "formula", "criteria": f'=AND(${code}2<>"",${total}2<>${expected}2)',
                                            "format": self.f.bad})
        sheet.ws.conditional_format(cells, {"type": "formula", "criteria": f'=AND(${code}2<>"",${total}2=${expected}2)',
                                            "format": self.f.good})

    def _objectives(self) -> None:
        objectives = self.plan.objectives if self.plan else ()
        rows = []
        for o in objectives:
            row = {"settore": o.sector, "numero": o.number, "peso": o.weight, "titolo": o.title, "descrizione": o.description}
            row.update({f"dup{n}": text for n, text in enumerate(o.dup_links, start=1)})
            rows.append(row)
        sheet = self._table(OBJECTIVES_SHEET, rows)
        c = OBJECTIVE_COLUMNS
        sector, number = _letter(c, "settore"), _letter(c, "numero")
        self._formula_column(sheet, "chiave", lambda r: f'=IF(${sector}{r}="","",${sector}{r}&"/"&${number}{r})',
                             [o.key for o in objectives])
        col = _position(c, "chiave")
        sheet.ws.set_column(col, col, None, None, {"hidden": True})

    def _title_lookup(self, sheet: _Sheet, titles: list[str]) -> None:
        c, oc = sheet.columns, OBJECTIVE_COLUMNS
        sector, number = _letter(c, "settore"), _letter(c, "numero")
        title, key = _letter(oc, "titolo"), _letter(oc, "chiave")
        self._formula_column(
            sheet, "obiettivo",
            lambda r: (f'=IF(${sector}{r}="","",IFERROR(INDEX({OBJECTIVES_SHEET}!${title}:${title},'
                       f'MATCH(${sector}{r}&"/"&${number}{r},{OBJECTIVES_SHEET}!${key}:${key},0)),"{NOT_FOUND}"))'),
            titles)
        col = _position(c, "obiettivo")
        sheet.ws.conditional_format(1, col, sheet.capacity, col, {"type": "cell", "criteria": "==",
                                                                  "value": f'"{NOT_FOUND}"', "format": self.f.warning})

    def _phases(self) -> None:
        rows, titles = [], []
        for o in self.plan.objectives if self.plan else ():
            for n, phase in enumerate(o.phases, start=1):
                row = {"settore": o.sector, "numero": o.number, "fase": n, "descrizione": phase.description}
                row.update({f"mese{m}": MONTH_MARK for m in phase.months})
                rows.append(row)
                titles.append(o.title)
        sheet = self._table(PHASES_SHEET, rows)
        self._title_lookup(sheet, titles)
        first, last = _position(PHASE_COLUMNS, "mese1"), _position(PHASE_COLUMNS, "mese12")
        sheet.ws.conditional_format(1, first, sheet.capacity, last, {"type": "cell", "criteria": "==",
                                                                     "value": f'"{MONTH_MARK}"', "format": self.f.month_on})

    def _indicators(self) -> None:
        rows, titles = [], []
        for o in self.plan.objectives if self.plan else ():
            for kind, block in o.indicators.by_kind():
                for indicator in block:
                    rows.append({"settore": o.sector, "numero": o.number, "blocco": BLOCK_NAMES[kind],
                                 "descrizione": indicator.description, "atteso": indicator.target,
                                 "tipo": indicator.kind.value if indicator.kind else None,
                                 "migliore": indicator.better.value if indicator.better else None,
                                 "dal": indicator.start})
                    titles.append(o.title)
        sheet = self._table(INDICATORS_SHEET, rows)
        self._title_lookup(sheet, titles)

    def _lists(self) -> None:
        ws = self.wb.add_worksheet(LISTS_SHEET)
        ws.write_string(0, 0, CROSS_CUTTING)
        codes = [s.code for s in self.plan.sectors] if self.plan else []
        code = _letter(SECTOR_COLUMNS, "codice")
        for row in range(1, self.capacity[SECTORS_SHEET] + 1):
            cached = codes[row - 1] if row - 1 < len(codes) else ""
            ws.write_formula(row, 0, f'=IF({SECTORS_SHEET}!${code}{row + 1}="","",{SECTORS_SHEET}!${code}{row + 1})', None, cached)
        ws.hide()


def build_plan_workbook(plan: Plan | None = None) -> bytes:
    """The plan workbook as .xlsx bytes; for None, the empty template (scoring rules at their defaults).

    Reading the result with `read_plan_workbook` gives back an equal plan. Sector weights in the
    scoring rules are written beside their sector, so weights of codes that are not sectors
    of the plan are not kept.
    """
    import xlsxwriter  # reading a plan workbook (validate) has no use for it

    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False})
    year = plan.year if plan else 2000
    wb.set_properties({"title": f"Piano delle schede obiettivi {plan.entity} {plan.year}" if plan else "Piano delle schede obiettivi",
                       "author": "schede-excel",
                       "created": datetime(year, 1, 1)})  # fixed, so the same plan always gives the same bytes
    _BookWriter(wb, plan).write()
    wb.worksheets()[1].activate()
    wb.close()
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Reading


_BLOCKS = {plain(name): kind.value for kind, name in BLOCK_NAMES.items()} | {
    plain(kind.label): kind.value for kind in IndicatorKind} | {kind.value: kind.value for kind in IndicatorKind}
_TRUE = {"si", "s", "x", "vero", "true", "1", "yes"}
_FALSE = {"no", "n", "falso", "false", "0"}
_EXCEL_EPOCH = date(1899, 12, 30)


def _text(value):
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def _number(value):
    if isinstance(value, str) and value.strip().replace(",", "", 1).replace(".", "", 1).isdigit():
        return value.strip().replace(",", ".")
    return value


def _boolean(value):
    word = plain(value) if not isinstance(value, bool) else ("vero" if value else "falso")
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return value


def _date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20000 < value < 80000:
        return _EXCEL_EPOCH + timedelta(days=int(value))  # a date serial number in a cell without a date format
    return value.strip() if isinstance(value, str) else value


def _target(value, number_format: str | None):
    """ATTESO as written in the cell: 95% for a percentage, 0,00 € for a currency, 29-feb for a date
    shown without its year, 15/04/2024 for a full date."""
    fmt = number_format or ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "%" in fmt:
            return f"{value * 100:g}%".replace(".", ",")
        if "€" in fmt:
            places = len(re.match(r"[0#]*", fmt.split(".", 1)[1]).group()) if "." in fmt else 0
            return f"{number(float(value), places, grouping=True)} €"
    if isinstance(value, (date, datetime)) and "mmm" in fmt.lower() and "y" not in fmt.lower():
        return f"{value.day}-{MONTH_SHORT[value.month]}"  # the year is the plan's
    return _text(value)


MONTH_SHORT = {n: name for name, n in MONTH_ABBREVIATIONS.items() if name != "sett"}


_CONVERT = {"text": _text, "sector": _text, "int": _number, "float": _number, "bool": _boolean,
            "date": _date, "kind": lambda v: plain(v), "better": lambda v: plain(v)}


def _object_key(sector, number) -> tuple[str, object]:
    number = number.strip() if isinstance(number, str) else number
    if isinstance(number, str) and number.isdigit():
        number = int(number)
    return (str(sector).strip().casefold(), number)


@dataclass
class _Row:
    """A data row of a table sheet: its 0-based row, values by column key, and cells by key."""

    row: int
    values: dict
    cols: dict[str, int]


class _BookReader:
    """Reads the sheets of a plan workbook into plan data, remembering where each value came from."""

    def __init__(self, grids: list[Grid], file: str | None):
        self.file = file
        self.grids = {plain(g.name): g for g in grids}
        self.findings: list[Finding] = []
        self.places: dict[tuple, dict] = {}
        self.structural = False

    def problem(self, code: str, *, sheet: str | None = None, row: int | None = None, col: int | None = None, **params):
        cell = a1(row, col) if row is not None and col is not None else None
        self.findings.append(finding(code, file=self.file, sheet=sheet, cell=cell, **params))

    def place(self, path: tuple, grid: Grid, row: int, col: int, label: str) -> None:
        self.places[path] = {"sheet": grid.name, "cell": a1(row, col), "path": label}

    def locate(self, path) -> dict:
        """Where a key path of the plan data is in the workbook: sheet, cell and column name."""
        path = tuple(path)
        while path and path not in self.places:
            path = path[:-1]
        return self.places.get(path, {})

    def grid(self, name: str) -> Grid | None:
        grid = self.grids.get(plain(name))
        if grid is None:
            self.structural = True
            self.problem("BOOK_002", sheet=name, name=name, found=", ".join(g.name for g in self.grids.values()) or "nessuno")
        return grid

    def table(self, name: str, path: tuple = ()) -> tuple[Grid | None, list[_Row]]:
        """The data rows of a table sheet, its columns found by their headers wherever they are."""
        grid = self.grid(name)
        if grid is None:
            return None, []
        columns = TABLES[name]
        known = {plain(c.header): c for c in columns if c.kind != "month"} | {
            plain(c.key): c for c in columns if c.kind != "month"}
        header, cols = self._header(grid, known)
        months = self._months(grid, header)
        cols.update(months)
        for column in columns:
            if column.required and column.key not in cols:
                self.structural = True
                self.problem("BOOK_003", sheet=grid.name, row=header, col=0, column=column.header, sheet_name=grid.name)
        for col, value in enumerate(grid.rows[header] if header < grid.height else []):
            if value is not None and col not in cols.values():
                self.problem("BOOK_004", sheet=grid.name, row=header, col=col, column=_text(value))
        data_cols = {key: col for key, col in cols.items() if next(c for c in columns if c.key == key).kind != "computed"}
        rows = []
        for r in range(header + 1, grid.height):
            values = {key: grid.value(r, col) for key, col in data_cols.items()}
            if any(v is not None for v in values.values()):
                rows.append(_Row(r, values, data_cols))
        if path:
            self.places[path] = {"sheet": grid.name, "cell": a1(header + 1, 0), "path": name}
        return grid, rows

    def _header(self, grid: Grid, known: dict[str, Column]) -> tuple[int, dict[str, int]]:
        best, best_cols = 0, {}
        for r in range(min(10, grid.height)):
            cols = {}
            for c, value in enumerate(grid.rows[r]):
                column = known.get(plain(value)) if isinstance(value, str) else None
                if column is not None and column.key not in cols:
                    cols[column.key] = c
            if len(cols) > len(best_cols):
                best, best_cols = r, cols
        return best, best_cols

    def _months(self, grid: Grid, header: int) -> dict[str, int]:
        row = grid.rows[header] if header < grid.height else []
        letters = [plain(v) if isinstance(v, str) else "" for v in row]
        wanted = [m.lower() for m in MONTH_LETTERS]
        for start in range(len(letters) - 11):
            if letters[start:start + 12] == wanted:
                return {f"mese{m}": start + m - 1 for m in range(1, 13)}
        return {}

    def read(self) -> dict:
        data: dict = self._entity()
        data["settori"] = self._sectors(data)
        data["obiettivi"] = self._objectives()
        return data

    def _entity(self) -> dict:
        data: dict = {}
        grid = self.grid(ENTITY_SHEET)
        for item in ENTITY_ROWS:
            self.places[item.path] = {"sheet": ENTITY_SHEET, "path": item.label}
        if grid is None:
            return data
        rows = {plain(item.label): item for item in ENTITY_ROWS} | {plain(".".join(item.path)): item for item in ENTITY_ROWS}
        seen = set()
        for r, row in enumerate(grid.rows):
            label = row[0] if row else None
            value = row[1] if len(row) > 1 else None
            item = rows.get(plain(label)) if isinstance(label, str) else None
            if item is None:
                if value is not None and r > 0:
                    self.problem("BOOK_008", sheet=grid.name, row=r, col=0, label=_text(label) if label is not None else "")
                continue
            self.place(item.path, grid, r, 1, item.label)
            if item.path in seen:
                self.problem("BOOK_009", sheet=grid.name, row=r, col=0, label=item.label)
                continue
            seen.add(item.path)
            if value is not None:
                target = data
                for key in item.path[:-1]:
                    target = target.setdefault(key, {})
                target[item.path[-1]] = _CONVERT[item.kind](value)
        return data

    def _sectors(self, data: dict) -> list[dict]:
        grid, rows = self.table(SECTORS_SHEET, ("settori",))
        sectors = []
        for i, row in enumerate(rows):
            sector = self._fields(grid, row, ("settori", i), SECTOR_COLUMNS, exclude=("peso_ente",))
            weight = row.values.get("peso_ente")
            if weight is not None:
                code = sector.get("codice")
                data.setdefault("punteggio", {}).setdefault("pesi_settori", {})[code] = _number(weight)
                self.place(("punteggio", "pesi_settori", code), grid, row.row, row.cols["peso_ente"],
                           "peso nel punteggio dell'ente")
            sectors.append(sector)
        return sectors

    def _fields(self, grid: Grid, row: _Row, path: tuple, columns, exclude=()) -> dict:
        """The plain fields of a row, converted; places every cell of it."""
        out = {}
        self.place(path, grid, row.row, min(row.cols.values()), f"riga {row.row + 1}")
        for column in columns:
            if column.key not in row.cols or column.key in exclude or column.kind in ("computed", "month"):
                continue
            self.place(path + (column.key,), grid, row.row, row.cols[column.key], column.header)
            value = row.values[column.key]
            if value is not None:
                out[column.key] = _CONVERT[column.kind](value)
        return out

    def _objectives(self) -> list[dict]:
        grid, rows = self.table(OBJECTIVES_SHEET, ("obiettivi",))
        objectives, index = [], {}
        for i, row in enumerate(rows):
            dup_keys = [f"dup{n}" for n in range(1, 9)]
            objective = self._fields(grid, row, ("obiettivi", i), OBJECTIVE_COLUMNS, exclude=dup_keys)
            links = [row.values.get(k) for k in dup_keys]
            while links and links[-1] is None:
                links.pop()
            if links:
                objective["dup"] = ["" if v is None else _text(v) for v in links]
                for d, key in enumerate(dup_keys[:len(links)]):
                    if key in row.cols:
                        self.place(("obiettivi", i, "dup", d), grid, row.row, row.cols[key], f"DUP {d + 1}")
            objectives.append(objective)
            index.setdefault(_object_key(row.values.get("settore"), row.values.get("numero")), i)
        self._attach_phases(objectives, index)
        self._attach_indicators(objectives, index)
        return objectives

    def _owner(self, grid: Grid, row: _Row, index: dict) -> int | None:
        key = _object_key(row.values.get("settore"), row.values.get("numero"))
        found = index.get(key)
        if found is None:
            self.problem("BOOK_005", sheet=grid.name, row=row.row, col=row.cols.get("numero", 0),
                         sector=_text(row.values.get("settore") or ""), number=_text(row.values.get("numero") or ""))
        return found

    def _attach_phases(self, objectives: list[dict], index: dict) -> None:
        grid, rows = self.table(PHASES_SHEET)
        by_objective = defaultdict(list)
        for row in rows:
            owner = self._owner(grid, row, index)
            if owner is not None:
                by_objective[owner].append(row)
        for i, phase_rows in by_objective.items():
            numbers = [row.values.get("fase") for row in phase_rows]
            if all(isinstance(n, int) for n in numbers):
                phase_rows = [row for _, row in sorted(zip(numbers, phase_rows), key=lambda pair: pair[0])]
            phases = []
            self.places[("obiettivi", i, "fasi")] = {"sheet": grid.name, "cell": a1(phase_rows[0].row, 0), "path": "fasi"}
            for p, row in enumerate(phase_rows):
                path = ("obiettivi", i, "fasi", p)
                phase = self._fields(grid, row, path, PHASE_COLUMNS, exclude=("settore", "numero", "fase"))
                months = []
                for m in range(1, 13):
                    col = row.cols.get(f"mese{m}")
                    mark = row.values.get(f"mese{m}")
                    if mark is None:
                        continue
                    if plain(mark) != MONTH_MARK.lower():
                        self.problem("BOOK_007", sheet=grid.name, row=row.row, col=col, found=_text(mark),
                                     month=MONTH_NAMES[m - 1])
                        continue
                    self.place(path + ("mesi", len(months)), grid, row.row, col, MONTH_NAMES[m - 1])
                    months.append(m)
                phase["mesi"] = months
                phases.append(phase)
            objectives[i]["fasi"] = phases

    def _attach_indicators(self, objectives: list[dict], index: dict) -> None:
        grid, rows = self.table(INDICATORS_SHEET)
        for row in rows:
            owner = self._owner(grid, row, index)
            if owner is None:
                continue
            block = row.values.get("blocco")
            kind = _BLOCKS.get(plain(block)) if block is not None else None
            if kind is None:
                self.problem("BOOK_006", sheet=grid.name, row=row.row, col=row.cols.get("blocco", 0),
                             found=_text(block) if block is not None else "",
                             accepted=", ".join(BLOCK_NAMES.values()))
                continue
            blocks = objectives[owner].setdefault("indicatori", {})
            path = ("obiettivi", owner, "indicatori", kind, len(blocks.setdefault(kind, [])))
            self.places.setdefault(("obiettivi", owner, "indicatori"),
                                   {"sheet": grid.name, "cell": a1(row.row, 0), "path": "indicatori"})
            indicator = self._fields(grid, row, path, INDICATOR_COLUMNS, exclude=("settore", "numero", "blocco", "atteso"))
            if "atteso" in row.cols:
                self.place(path + ("atteso",), grid, row.row, row.cols["atteso"], "atteso")
                value = row.values.get("atteso")
                if value is not None:
                    indicator["atteso"] = _target(value, grid.formats.get((row.row, row.cols["atteso"])))
            blocks[kind].append(indicator)


def read_plan_workbook(source: str | Path | bytes, *, file: str | None = None) -> PlanResult:
    """Read a plan workbook (.xlsx, .xlsm or .ods; a path or the file's bytes) and check the plan.

    Returns the same `PlanResult` as `planfile.load_plan` for a YAML file, with each finding
    placed at its sheet and cell (`path` holds the column name) and all of them at once. A
    missing sheet or required column stops the reading (the findings say which); a file that
    is not a workbook gives BOOK_001.
    """
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        file = file or str(source)
        try:
            data = Path(source).read_bytes()
        except FileNotFoundError:
            return PlanResult(plan=None, findings=[finding("PLAN_001", file=file, detail="il file non esiste")])
        except OSError as error:
            return PlanResult(plan=None, findings=[finding("PLAN_001", file=file, detail=describe_os_error(error))])
    try:
        grids = read_grids(data)
    except NotAWorkbook as error:
        return PlanResult(plan=None, findings=[finding("BOOK_001", file=file, detail=error.detail)])
    reader = _BookReader(grids, file)
    plan_data = reader.read()
    if reader.structural:
        return PlanResult(plan=None, findings=reader.findings)
    checked = plan_from_data(plan_data, file=file, locate=reader.locate)
    return PlanResult(plan=checked.plan, findings=reader.findings + checked.findings)


def _weight_totals(plan: Plan) -> list[tuple[int, int]]:
    """Each sector's (own weights, cross-cutting weights), in the plan's order of sectors."""
    own: dict[str, int] = {}
    for objective in plan.objectives:
        own[objective.sector] = own.get(objective.sector, 0) + objective.weight
    shared = own.get(CROSS_CUTTING, 0)
    return [(own.get(s.code, 0), 0 if s.direct_assessment else shared) for s in plan.sectors]
