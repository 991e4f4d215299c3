"""The municipality-wide summary workbook (riepilogo) and its exports.

`table_rows(evaluation, result)` gives every table of the summary row by row, with Italian
column names declared column by column in `SCHEMAS` (kind, decimals, unit); `summary_tables()`
gives the same tables as pandas DataFrames. The summary workbook formats each column from
there, and the exports (`exports.py`) write the same tables as CSV for an Italian Excel and as
JSON. `write_summary()` writes the workbook to a file, row by row (`build_summary()` gives its
bytes): Riepilogo with charts, Obiettivi, Indicatori, Personale (long form: one row per person
and objective, with the person's totals and score), Personale per settore (each sector's people
by its objectives, only for the sectors whose objectives fit the width of the printed page),
Consegne, Anomalie, Regole. Text that came from a returned file is always written as text,
never as a formula.

Nothing here grows faster than the data: one column per objective exists only in the per-sector
tables, bounded by `MATRIX_MAX_OBJECTIVES`; lookups are by dictionary; rows are made as they are
written, never held as a second copy of the tables.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, datetime
from typing import IO, TYPE_CHECKING, Any, Callable, Iterable, Iterator

import xlsxwriter

from ..exports import Column, Kind, blank, export_files, iter_export_files
from ..italian import SCORE_DECIMALS, achieved, rounded
from ..plan.targets import TargetKind
from ..scoring.evaluate import DIRECT
from ..returns.importer import ImportResult
from ..scoring.evaluate import Evaluation, IndicatorScore
from ..sheet.layout import ROUND_LABELS
from ..spreadsheet.text import column_points, text_height

if TYPE_CHECKING:
    import pandas as pd

BAND_COLOURS = {"raggiunto": "#C6EFCE", "parzialmente raggiunto": "#FFEB9C", "non raggiunto": "#FFC7CE"}
BAR_COLOURS = {"raggiunto": "#63BE7B", "parzialmente raggiunto": "#FFD966", "non raggiunto": "#F8696B",
               "non valutabile": "#BFBFBF"}
KIND_LABELS = {"quantita": "Quantità", "tempo": "Tempo", "costo": "Costo", "qualita": "Qualità"}
HEADER_FILL = "#D9E1F2"

_T, _I, _N, _P, _D, _DT, _V = Kind.TEXT, Kind.INTEGER, Kind.NUMBER, Kind.PERCENT, Kind.DATE, Kind.DATETIME, Kind.VALUE
SCORE = dict(kind=_N, decimals=SCORE_DECIMALS, unit="punti su 100")
SCHEMAS: dict[str, list[Column]] = {
    "Settori": [Column("Settore", description="codice del settore"), Column("Nome"), Column("Responsabile"),
                Column("Schede attese", _I), Column("Schede restituite", _I),
                Column("Punteggio", **SCORE, description="punteggio del settore"), Column("Fascia")],
    "Obiettivi": [Column("Settore"), Column("Obiettivo", description="chiave: settore/numero"), Column("N°", _I),
                  Column("Titolo"), Column("Trasversale"), Column("Peso", _I), Column("Restituito"),
                  Column("Media valore %", **SCORE, description="MEDIA VALORE RAGGIUNTO %"),
                  Column("Media tempi %", **SCORE, description="MEDIA RISPETTO DEI TEMPI %"),
                  Column("Punteggio", **SCORE, description="punteggio dell'obiettivo"),
                  Column("Contributo pesato", _N, 2, "peso x punteggio / 100", "punti"), Column("Fascia"),
                  Column("Valutazione Nucleo/OIV"), Column("Nota")],
    "Indicatori": [Column("Settore"), Column("Obiettivo"), Column("Blocco"), Column("N°", _I), Column("Indicatore"),
                   Column("Tipo", description="significato dell'ATTESO"), Column("ATTESO", description="come scritto nel piano"),
                   Column("RAGGIUNTO", description="come lo legge una persona"),
                   Column("Valore raggiunto", _V, None, "il RAGGIUNTO come numero (le percentuali in frazione: 0,9 = 90%), "
                          "data o Sì/No"),
                   Column("Scost.", _N, 2, "raggiunto - atteso, nell'unità indicata accanto", trim=True),
                   Column("Unità Scost.", description="punti %, giorni, scadenze, casi o l'unità dell'ATTESO"),
                   Column("Raggiungimento %", **SCORE, description="raggiungimento dell'indicatore, 0-100"),
                   Column("Stato"), Column("Valutazione Nucleo/OIV"), Column("Nota")],
    "Personale": [Column("Settore"), Column("Cognome e Nome"), Column("Cat."),
                  Column("Obiettivo", description="chiave: settore/numero; vuota per chi non ha quote"),
                  Column("Titolo"), Column("% partecipazione", _P, 0, "quota della persona nell'obiettivo"),
                  Column("Punteggio obiettivo", **SCORE),
                  Column("Totale partecipazione", _P, 0, "somma delle % di partecipazione della persona nel settore"),
                  Column("Totale 100%"), Column("Punteggio persona", **SCORE, description="punteggio individuale")],
    "Consegne": [Column("Settore"), Column("Verifica"), Column("File"), Column("Data", _DT, description="salvato il"),
                 Column("Impronta SHA-256"), Column("Stato")],
    "Anomalie": [Column("Gravità"), Column("Codice"), Column("File"), Column("Foglio"), Column("Cella"),
                 Column("Messaggio")],
    "Regole": [Column("Regola"), Column("Valore")],
}
WIDTHS = {"Fascia": 23, "Stato": 18, "Titolo": 48, "Indicatore": 48, "Messaggio": 90, "Nome": 36, "Valore": 90,
          "Regola": 40, "File": 40, "Responsabile": 28, "Cognome e Nome": 26, "Nota": 30, "Impronta SHA-256": 71,  # 64 of the widest hex digits
          "Data": 17, "Obiettivo": 11, "ATTESO": 16, "RAGGIUNTO": 14, "Unità Scost.": 12, "Tipo": 12,
          "Valutazione Nucleo/OIV": 13, "Blocco": 10, "Punteggio obiettivo": 11, "Punteggio persona": 11,
          "% partecipazione": 13, "Totale partecipazione": 13, "Cat.": 15, "Foglio": 24}
WRAPPED = {"Titolo", "Indicatore", "Messaggio", "Valore", "Nome", "Nota", "File", "Regola", "Responsabile", "ATTESO",
           "Foglio", "Stato"}


def shown_achieved(score: IndicatorScore) -> str:
    """A RAGGIUNTO as a person reads it: 90%, 15/07/2023, 1.600, Sì."""
    return achieved(score.achieved, is_percent=score.target_kind is TargetKind.PERCENT)


def deviation_in_unit(score: IndicatorScore) -> tuple[float | None, str]:
    """Scost. in the unit of its indicator, with the unit's name."""
    value, kind = score.deviation, score.target_kind
    if value is None:
        return None, ""
    if kind is TargetKind.PERCENT:
        return value * 100, "punti %"
    if kind in (TargetKind.DEADLINE, TargetKind.WITHIN_DAYS):
        return value, "giorni"
    if kind is TargetKind.RECURRING:
        return value, "scadenze"
    if kind is TargetKind.ZERO:
        return value, "casi"
    return value, "€" if "€" in score.target else ""


def _person_rows(evaluation: Evaluation) -> Iterator[dict]:
    """Personale in long form: one row per person and objective, with the person's totals on each row.

    A person listed on a sheet without a % partecipazione has that row with the share blank; one
    with no objective at all (no share anywhere) still has a row, without objective.
    """
    plan = evaluation.plan
    scores = {(o.sector, o.objective): o.score for o in evaluation.objectives}
    for p in evaluation.people:
        person = {"Totale partecipazione": p.total, "Totale 100%": _total_flag(p.total), "Punteggio persona": p.score}
        keys = [*p.shares, *(k for k in p.unfilled if k not in p.shares)]
        for key in keys or [""]:
            yield {"Settore": p.sector, "Cognome e Nome": p.name, "Cat.": p.category, "Obiettivo": key,
                   "Titolo": _title(plan, key), "% partecipazione": p.shares.get(key),
                   "Punteggio obiettivo": scores.get((p.sector, key)), **person}


def _person_row_count(evaluation: Evaluation) -> int:
    return sum(max(1, len(p.shares) + sum(1 for k in p.unfilled if k not in p.shares)) for p in evaluation.people)


def _total_flag(total: float) -> str:
    return "Sì" if abs(total - 1) <= 0.005 else "NO"


def _title(plan, key: str) -> str:
    objective = plan.find_objective(key)
    return objective.title if objective else ""


def _indicator_rows(evaluation: Evaluation) -> Iterator[dict]:
    for i in evaluation.indicators:
        deviation, unit = deviation_in_unit(i)
        yield {"Settore": i.sector, "Obiettivo": i.objective, "Blocco": KIND_LABELS[i.kind.value], "N°": i.index,
               "Indicatore": i.description, "Tipo": i.target_kind.value, "ATTESO": i.target, "RAGGIUNTO": shown_achieved(i),
               "Valore raggiunto": i.achieved, "Scost.": deviation, "Unità Scost.": unit,
               "Raggiungimento %": i.achievement, "Stato": i.status,
               "Valutazione Nucleo/OIV": "Sì" if i.overridden else "", "Nota": i.note}


def _delivery_rows(evaluation: Evaluation, result: ImportResult) -> list[dict]:
    plan = evaluation.plan
    rows = []
    returned = {(f.sector, f.round): f for f in result.files if f.used and f.sector}
    own: dict[str, list] = {}
    for o in evaluation.objectives:
        own.setdefault(o.sector, []).append(o)
    for sector in plan.sectors:
        file = returned.get((sector.code, evaluation.round))
        state = "restituito" if file else "mancante"
        if sector.direct_assessment:  # a copy of his file sent back is not a return (evaluate counts none)
            assessed = own.get(sector.code, [])
            state = f"{DIRECT}: {sum(o.overridden for o in assessed)} su {len(assessed)} obiettivi valutati"
        rows.append({"Settore": sector.code, "Verifica": ROUND_LABELS[evaluation.round],
                     "File": file.path if file else "", "Data": _naive(file.modified) if file else None,
                     "Impronta SHA-256": file.sha256 if file else "", "Stato": state})
    for f in result.files:
        if not f.used:
            rows.append({"Settore": f.sector or "", "Verifica": ROUND_LABELS.get(f.round or "", ""), "File": f.path,
                         "Data": _naive(f.modified), "Impronta SHA-256": f.sha256,
                         "Stato": "non leggibile" if not f.readable else "non usato (vedi Anomalie)"})
    return rows


def table_rows(evaluation: Evaluation, result: ImportResult) -> dict[str, tuple[Iterable[dict], int]]:
    """Every table of the summary as (rows, how many), keyed by sheet name: each row a dict keyed by
    the column names of `SCHEMAS`. The big tables are generators, made row by row as they are read."""
    findings = result.findings + evaluation.findings
    deliveries = _delivery_rows(evaluation, result)
    rules = evaluation.rules()
    return {
        "Settori": (({"Settore": s.sector, "Nome": s.name, "Responsabile": s.head, "Schede attese": s.expected,
                      "Schede restituite": s.returned, "Punteggio": s.score, "Fascia": s.band} for s in evaluation.sectors),
                    len(evaluation.sectors)),
        "Obiettivi": (({"Settore": o.sector, "Obiettivo": o.objective, "N°": o.number, "Titolo": o.title,
                        "Trasversale": "Sì" if o.cross_cutting else "No", "Peso": o.weight,
                        "Restituito": "Sì" if o.returned else "No", "Media valore %": o.value_score,
                        "Media tempi %": o.time_score, "Punteggio": o.score, "Contributo pesato": o.contribution,
                        "Fascia": o.band, "Valutazione Nucleo/OIV": "Sì" if o.overridden else "", "Nota": o.note}
                       for o in evaluation.objectives), len(evaluation.objectives)),
        "Indicatori": (_indicator_rows(evaluation), len(evaluation.indicators)),
        "Personale": (_person_rows(evaluation), _person_row_count(evaluation)),
        "Consegne": (deliveries, len(deliveries)),
        "Anomalie": (({"Gravità": f.severity.value, "Codice": f.code, "File": f.file or "", "Foglio": f.sheet or "",
                       "Cella": f.cell or "", "Messaggio": f.message} for f in findings), len(findings)),
        "Regole": (({"Regola": rule, "Valore": value} for rule, value in rules), len(rules)),
    }


def summary_tables(evaluation: Evaluation, result: ImportResult) -> dict[str, pd.DataFrame]:
    """Every table of the summary, keyed by sheet name, as pandas DataFrames with the columns of `SCHEMAS`."""
    import pandas as pd

    return {name: pd.DataFrame(list(rows), columns=[c.name for c in SCHEMAS[name]])
            for name, (rows, _) in table_rows(evaluation, result).items()}


def _naive(moment: datetime | None) -> datetime | None:
    """A file's save time in local time, as the office reads it, without the zone (a cell has none)."""
    return moment.astimezone().replace(tzinfo=None) if moment else None


class _Formats:
    """The summary's formats: explicit cell formats, so that LibreOffice shows them as Excel does."""

    def __init__(self, wb):
        base = {"font_name": "Calibri", "font_size": 11, "valign": "top", "border": 1, "border_color": "#BFBFBF"}

        def fmt(**props):
            return wb.add_format({**base, **props})

        self.wb = wb
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.subtitle = wb.add_format({"italic": True, "font_color": "#595959"})
        self.bold = wb.add_format({"bold": True})
        self.big = wb.add_format({"bold": True, "font_size": 20, "num_format": '0.0" punti"', "align": "left"})
        self.band = {b: wb.add_format({"bold": True, "font_size": 12, "bg_color": c}) for b, c in BAND_COLOURS.items()}
        self.header = fmt(bold=True, bg_color=HEADER_FILL, text_wrap=True, valign="vcenter", align="center")
        self.text = fmt()
        self.wrapped = fmt(text_wrap=True)
        self.by_kind = {
            Kind.INTEGER: fmt(num_format="0", align="center"),
            Kind.NUMBER: fmt(num_format="0.0", align="center"),
            Kind.PERCENT: fmt(num_format="0%", align="center"),
            Kind.DATE: fmt(num_format="dd/mm/yyyy", align="center"),
            Kind.DATETIME: fmt(num_format="dd/mm/yyyy hh:mm", align="center"),
        }
        self.two_decimals = fmt(num_format="0.00", align="center")
        self.deviation = {"punti %": fmt(num_format='+0.0;-0.0;0'), "giorni": fmt(num_format='+0;-0;0'),
                          "scadenze": fmt(num_format='+0;-0;0'), "casi": fmt(num_format="0"),
                          "€": fmt(num_format='+#,##0.00 €;-#,##0.00 €;0 €')}
        self.achieved = {"percent": fmt(num_format="0%", align="center"),
                         "percent_decimal": fmt(num_format="0.0#########%", align="center"), "date": fmt(num_format="dd/mm/yyyy", align="center"),
                         "integer": fmt(num_format="#,##0", align="center"), "decimal": fmt(num_format="#,##0.0#########", align="center"),
                         "text": fmt(align="center")}
        self.flag = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.percent_flag = fmt(num_format="0%", align="center", bg_color="#FFC7CE", font_color="#9C0006")
        self.matrix_title = wb.add_format({"bold": True, "font_size": 12, "valign": "bottom"})
        self.matrix_label = fmt(italic=True, bg_color="#F2F2F2")
        self.matrix_score = fmt(italic=True, bg_color="#F2F2F2", num_format="0.0", align="center")
        self.bands = {b: wb.add_format({"bg_color": c}) for b, c in BAND_COLOURS.items()}

    def number_like(self, value: float, integer_fmt, decimal_fmt):
        return integer_fmt if float(value).is_integer() else decimal_fmt


def _write(ws, row: int, col: int, value: Any, fmt) -> None:
    if blank(value):
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        ws.write_string(row, col, value, fmt)  # never a formula, whatever the text starts with
    elif hasattr(value, "to_pydatetime"):  # a pandas Timestamp
        ws.write_datetime(row, col, value.to_pydatetime(), fmt)
    elif isinstance(value, datetime):
        ws.write_datetime(row, col, value, fmt)
    elif isinstance(value, date):
        ws.write_datetime(row, col, datetime(value.year, value.month, value.day), fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, "Sì" if value else "No", fmt)
    else:
        ws.write_number(row, col, float(value), fmt)


def _shown_score(score: float | None) -> float | None:
    return None if score is None else rounded(score, SCORE_DECIMALS)


def _as_shown(value: Any, column: Column) -> Any:
    """A score written as it is shown (89.95 for 89.94999999999999 at one decimal): each program rounds the
    binary value its own way, and the summary must read as the library, the CSV and the bands. What a
    person typed (a % of participation, a RAGGIUNTO) is written as typed."""
    if column.kind is not Kind.NUMBER or column.trim or column.decimals is None or blank(value) \
            or isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return rounded(value, column.decimals)


def _cell_format(f: _Formats, column: Column, value: Any, row: dict):
    """The format of one cell: by its column's kind, and for Indicatori by the indicator's own unit."""
    if column.name == "Scost.":
        return f.deviation.get(row.get("Unità Scost.", ""), f.number_like(value, f.by_kind[Kind.INTEGER], f.by_kind[Kind.NUMBER])
                               if not blank(value) else f.text)
    if column.name == "RAGGIUNTO":
        return f.achieved["text"]
    if column.name == "Contributo pesato":
        return f.two_decimals
    if column.kind in f.by_kind:
        return f.by_kind[column.kind]
    return f.wrapped if column.name in WRAPPED else f.text


def _achieved_cell(f: _Formats, row: dict):
    """RAGGIUNTO as a number, date or Sì/No with the format its ATTESO asks for (not 0.9 beside 90%)."""
    value = row["Valore raggiunto"]
    if blank(value):
        return None, f.achieved["text"]
    if isinstance(value, bool):
        return ("Sì" if value else "No"), f.achieved["text"]
    if isinstance(value, date) or hasattr(value, "to_pydatetime"):
        return value, f.achieved["date"]
    if row["Tipo"] == TargetKind.PERCENT.value:  # 89,65% is not 90%: the decimals typed show, as in the CSV
        whole = abs(value * 100 - round(value * 100)) < 1e-6
        return value, f.achieved["percent" if whole else "percent_decimal"]
    return value, f.number_like(value, f.achieved["integer"], f.achieved["decimal"])


def _table(ws, rows: Iterable[dict], name: str, f: _Formats, *, first_row: int = 0,
           hidden: tuple[str, ...] = (), extra: Callable[[Any, int, dict | None], None] | None = None) -> None:
    """Rows as an Excel table with explicit header and cell formats, widths, heights and print setup.

    Written row by row, top to bottom (the workbook streams its rows to disk); `extra(ws, row, record)`
    writes more cells of the same row (the header's with `record` None) before the next row starts."""
    columns = [c for c in SCHEMAS[name] if c.name not in hidden]
    names = [c.name for c in columns]
    widths = [WIDTHS.get(c.name, max(9, min(18, len(c.name) + 2))) for c in columns]
    wrapped = [c.name in WRAPPED for c in columns]
    header_height = max(text_height(c.name, column_points(w), bold=True) for c, w in zip(columns, widths))
    ws.set_row(first_row, header_height)
    for c, column in enumerate(names):
        ws.write_string(first_row, c, column, f.header)
    if extra:
        extra(ws, first_row, None)
    r = first_row
    for r, record in enumerate(rows, start=first_row + 1):
        height = 15.0
        for c, column in enumerate(columns):
            value = record[column.name]
            if column.name == "RAGGIUNTO":
                value, fmt = _achieved_cell(f, record)
            else:
                fmt = _cell_format(f, column, value, record)
                value = _as_shown(value, column)
            _write(ws, r, c, value, fmt)
            if wrapped[c] and value and isinstance(value, str):
                height = max(height, text_height(value, column_points(widths[c])))
        if extra:
            extra(ws, r, record)
        if height > 15.0:
            ws.set_row(r, min(height, 409.0))  # LibreOffice honours only heights it is given
    count = r - first_row  # the table is declared once its rows are written: generators need no count
    last_row = first_row + max(count, 1)
    if not count:
        for c in range(len(columns)):
            ws.write_blank(last_row, c, None, f.text)
    _declare_table(ws, first_row, last_row, name, columns, f)
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
    if "ATTESO" in names:
        col = names.index("ATTESO")
        ws.ignore_errors({"number_stored_as_text": f"{_col(col)}{first_row + 2}:{_col(col)}{last_row + 1}"})
    ws.freeze_panes(first_row + 1, 0)
    if "Fascia" in names and count:
        col = names.index("Fascia")
        for band_name, fmt in f.bands.items():
            ws.conditional_format(first_row + 1, col, last_row, col,
                                  {"type": "cell", "criteria": "==", "value": f'"{band_name}"', "format": fmt})
    if "Totale 100%" in names and count:
        col = names.index("Totale 100%")
        ws.conditional_format(first_row + 1, col, last_row, col,
                              {"type": "cell", "criteria": "==", "value": '"NO"', "format": f.flag})
    _print_setup(ws, name)
    ws.repeat_rows(first_row)


class _NoOverlaps(dict):
    """A table_cells that keeps nothing: see `_declare_table`."""

    def __setitem__(self, key, value) -> None:
        pass


def _declare_table(ws, first_row: int, last_row: int, name: str, columns: list[Column], f: _Formats) -> None:
    """The Excel table over rows already written, declared without the two costs XlsxWriter adds for it.

    - XlsxWriter refuses tables while it streams rows to disk only because it would write the header
      cells itself, into rows already gone: they are written, so streaming is lifted for the call.
    - To refuse overlapping tables it keeps an entry for every cell of every table (50 MB for 30,000
      indicators): each sheet here has one table, so nothing is kept.
    Tests check that every table is in the file."""
    streaming, cells = ws.constant_memory, ws.table_cells
    ws.constant_memory, ws.table_cells = False, _NoOverlaps()
    try:
        ws.add_table(first_row, 0, last_row, max(len(columns) - 1, 0), {
            "name": name.replace(" ", "_"), "style": "Table Style Light 9", "autofilter": True,
            "columns": [{"header": c.name, "header_format": f.header} for c in columns], "data": []})
    finally:
        ws.constant_memory, ws.table_cells = streaming, cells
    if streaming:
        ws.table.pop(first_row, None)  # the header cells add_table put back in memory: written already


def _col(col: int) -> str:
    from ..spreadsheet.cells import col_letter

    return col_letter(col)


PAPER_POINTS = (841.89, 595.28)
"""A4 landscape, width and height in points: every sheet of the summary prints on it."""
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.5, "bottom": 0.6}
"""Page margins in inches."""
PRINTABLE_POINTS = (PAPER_POINTS[0] - (MARGINS["left"] + MARGINS["right"]) * 72,
                    PAPER_POINTS[1] - (MARGINS["top"] + MARGINS["bottom"]) * 72)
SMALLEST_SCALE = 8 / 11
"""The most a sheet may shrink to fit the page's width: its 11-point text printed at 8 points."""
MATRIX_WIDTHS = {"Cognome e Nome": 28, "Cat.": 15, "objective": 8, "Totale partecipazione": 13, "Punteggio persona": 11}
"""Column widths (in characters) of the per-sector tables of Personale per settore."""
MATRIX_MAX_OBJECTIVES = int(
    (PRINTABLE_POINTS[0] / SMALLEST_SCALE
     - sum(column_points(w) for k, w in MATRIX_WIDTHS.items() if k != "objective"))
    // column_points(MATRIX_WIDTHS["objective"]))
"""The most objectives a sector may have for its table of people by objective: one more column
and the page would print it below 8 points. A sector with more is only in the long form."""


def _print_setup(ws, title: str) -> None:
    ws.set_landscape()
    ws.set_paper(9)
    ws.set_margins(**MARGINS)
    ws.fit_to_pages(1, 0)
    ws.set_footer(f"&L&9{title.replace('&', '&&')}&R&9Pagina &P di &N")


def _riepilogo(wb, f: _Formats, evaluation: Evaluation, sectors_rows) -> None:
    plan = evaluation.plan
    ws = wb.add_worksheet("Riepilogo")
    review = f"verifica {ROUND_LABELS[evaluation.round]} al {evaluation.review_date:%d/%m/%Y}"
    ws.write_string(0, 0, f"Comune di {plan.entity} - Piano della performance {plan.year}: riepilogo", f.title)
    ws.write_string(1, 0, f"Schede obiettivi, {review}", f.subtitle)
    ws.write_string(3, 0, "Punteggio dell'ente", f.bold)
    if evaluation.ente_score is None:
        ws.write_string(3, 2, "non valutabile")
    else:
        ws.write_number(3, 2, rounded(evaluation.ente_score, SCORE_DECIMALS), f.big)
    ws.write_string(3, 3, evaluation.ente_band, f.band.get(evaluation.ente_band))
    ws.set_row(3, 30)
    returned = sum(s.returned for s in evaluation.sectors)
    expected = sum(s.expected for s in evaluation.sectors)
    ws.write_string(4, 0, f"Schede restituite: {returned} su {expected}")
    sectors = evaluation.sectors
    first, last = 7, 6 + max(len(sectors), 1)
    # The chart's data, beside each sector's row: one column per band, so that the legend explains the colours.
    bands = ["raggiunto", "parzialmente raggiunto", "non raggiunto"]
    data_col = 20

    def chart_data(ws, row: int, record: dict | None) -> None:
        if record is None:
            ws.write_row(row, data_col, ["Settore", *bands], f.bold)
            return
        ws.write_string(row, data_col, record["Settore"])
        for b, band_name in enumerate(bands, start=1):
            if record["Fascia"] == band_name and record["Punteggio"] is not None:
                ws.write_number(row, data_col + b, rounded(record["Punteggio"], SCORE_DECIMALS))

    _table(ws, sectors_rows, "Settori", f, first_row=6, extra=chart_data)
    ws.freeze_panes(7, 0)
    ws.set_column(data_col, data_col + len(bands), None, None, {"hidden": True})
    chart = wb.add_chart({"type": "column"})
    for b, band_name in enumerate(bands, start=1):
        chart.add_series({"name": band_name.capitalize(), "categories": ["Riepilogo", first, data_col, last, data_col],
                          "values": ["Riepilogo", first, data_col + b, last, data_col + b],
                          "fill": {"color": BAR_COLOURS[band_name]}, "border": {"color": "#7F7F7F"},
                          "data_labels": {"value": True, "num_format": "0.0"}})  # as the table beside it
    chart.set_title({"name": "Punteggio per settore", "name_font": {"size": 12}})
    chart.set_x_axis({"name": "Settore"})
    chart.set_y_axis({"name": "Punteggio (punti su 100)", "min": 0, "max": 100, "major_unit": 20,
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"position": "bottom"})
    chart.show_hidden_data()  # its data sit in hidden columns: Excel plots hidden cells only when told
    chart.set_plotarea({"layout": {"x": 0.1, "y": 0.12, "width": 0.85, "height": 0.62}})
    ws.insert_chart(last + 2, 0, chart, {"x_scale": 1.5, "y_scale": 1.25})
    counts = Counter(o.band for o in evaluation.objectives)
    all_bands = [*bands, "non valutabile"]
    ws.write_row(last + 2, 10, ["Fascia", "Obiettivi"], f.bold)
    ws.set_column(10, 10, 23)
    for k, band_name in enumerate(all_bands, start=1):
        ws.write_string(last + 2 + k, 10, band_name)
        ws.write_number(last + 2 + k, 11, counts.get(band_name, 0))
    pie = wb.add_chart({"type": "pie"})
    pie.add_series({"name": "Obiettivi per fascia", "categories": ["Riepilogo", last + 3, 10, last + 6, 10],
                    "values": ["Riepilogo", last + 3, 11, last + 6, 11],
                    "data_labels": {"value": True, "percentage": False},
                    "points": [{"fill": {"color": BAR_COLOURS[b]}} for b in all_bands]})
    pie.set_title({"name": "Obiettivi per fascia (numero di obiettivi)", "name_font": {"size": 12}})
    pie.set_legend({"position": "right"})
    ws.insert_chart(last + 9, 10, pie, {"x_scale": 1.0, "y_scale": 1.0})
    _print_setup(ws, "Riepilogo")
    ws.fit_to_pages(1, 1)


def _matrix_sectors(evaluation: Evaluation) -> tuple[list[tuple], list[tuple]]:
    """(sector, its objectives, its people) for the sectors whose table fits the page, and for those it does not."""
    plan = evaluation.plan
    people: dict[str, list] = {}
    for p in evaluation.people:
        people.setdefault(p.sector, []).append(p)
    fits, too_wide = [], []
    for sector in plan.sectors:
        if sector.code in people:
            objectives = plan.objectives_of(sector)
            (fits if len(objectives) <= MATRIX_MAX_OBJECTIVES else too_wide).append(
                (sector, objectives, people[sector.code]))
    return fits, too_wide


def _matrix(wb, f: _Formats, evaluation: Evaluation, fits: list[tuple], too_wide: list[tuple]) -> None:
    """Personale per settore: for each sector that fits the page, its people by its objectives (% partecipazione),
    with each objective's score above and each person's total and score beside; every block starts where the
    page has room for its header and carries it again on each page it runs on to."""
    ws = wb.add_worksheet("Personale per settore")
    width = max(len(objectives) for _, objectives, _ in fits)
    ws.set_column(0, 0, MATRIX_WIDTHS["Cognome e Nome"])
    ws.set_column(1, 1, MATRIX_WIDTHS["Cat."])
    ws.set_column(2, 1 + width, MATRIX_WIDTHS["objective"])
    ws.set_column(2 + width, 2 + width, MATRIX_WIDTHS["Totale partecipazione"])
    ws.set_column(3 + width, 3 + width, MATRIX_WIDTHS["Punteggio persona"])
    ws.write_string(0, 0, "Personale per settore: % di partecipazione agli obiettivi e punteggio", f.title)
    note = ("Una tabella per settore; i dati, una riga per persona e obiettivo, sono nel foglio Personale.")
    if too_wide:
        note += (f" Solo nel foglio Personale i settori con più di {MATRIX_MAX_OBJECTIVES} obiettivi, che non "
                 "entrerebbero nella larghezza della pagina: "
                 + ", ".join(f"{s.code} ({len(o)} obiettivi)" for s, o, _ in too_wide) + ".")
    ws.write_string(1, 0, note, f.subtitle)
    header_height = max(text_height(t, column_points(MATRIX_WIDTHS[t]), bold=True)
                        for t in ("Totale partecipazione", "Punteggio persona"))
    page = PRINTABLE_POINTS[1] - 15  # a little room for rounding: a block never ends under the footer
    block_head = 21 + header_height + 15  # title, header, the objectives' scores
    used, row, breaks = 21.0 + 15.0 + 15.0, 3, []
    scores = {(o.sector, o.objective): o.score for o in evaluation.objectives}
    per_page = max(1, int((page - block_head) // 15))
    for sector, objectives, people in fits:
        start = 0
        while start < len(people):
            left = len(people) - start
            room = int((page - used - block_head) // 15)  # people rows the current page still takes
            # A block that fits a page is never split: it starts a new page when this one has no room for it.
            # A longer one fills the page, and goes on with its header on the next.
            if room < (left if left <= per_page else 3):
                breaks.append(row)
                used, room = 0.0, per_page
            chunk = people[start:start + max(1, room)]
            title = f"Settore {sector.code} - {sector.name}" + (f" (responsabile {sector.head})" if sector.head else "")
            ws.set_row(row, 21)
            ws.write_string(row, 0, title + (" (segue)" if start else ""), f.matrix_title)
            ws.set_row(row + 1, header_height)
            ws.write_string(row + 1, 0, "Cognome e Nome", f.header)  # row by row: the rows stream to disk
            ws.write_string(row + 1, 1, "Cat.", f.header)
            for c, objective in enumerate(objectives, start=2):
                ws.write_string(row + 1, c, objective.key, f.header)
            for c in range(2 + len(objectives), 2 + width):  # a narrower sector: its block stays one box
                ws.write_blank(row + 1, c, None, f.header)
            ws.write_string(row + 1, 2 + width, "Totale partecipazione", f.header)
            ws.write_string(row + 1, 3 + width, "Punteggio persona", f.header)
            ws.write_string(row + 2, 0, "Punteggio dell'obiettivo", f.matrix_label)
            ws.write_blank(row + 2, 1, None, f.matrix_label)
            for c, objective in enumerate(objectives, start=2):
                _write(ws, row + 2, c, _shown_score(scores.get((sector.code, objective.key))), f.matrix_score)
            for c in range(2 + len(objectives), 4 + width):
                ws.write_blank(row + 2, c, None, f.matrix_label)
            for r, person in enumerate(chunk, start=row + 3):
                ws.write_string(r, 0, person.name, f.text)
                ws.write_string(r, 1, person.category, f.text)
                for c, objective in enumerate(objectives, start=2):
                    _write(ws, r, c, person.shares.get(objective.key), f.by_kind[Kind.PERCENT])
                for c in range(2 + len(objectives), 2 + width):
                    ws.write_blank(r, c, None, f.text)
                ok = _total_flag(person.total) == "Sì"
                ws.write_number(r, 2 + width, person.total, f.by_kind[Kind.PERCENT] if ok else f.percent_flag)
                _write(ws, r, 3 + width, _shown_score(person.score), f.by_kind[Kind.NUMBER])
            used += block_head + 15 * len(chunk) + 15
            row += 4 + len(chunk)
            start += len(chunk)
    ws.set_h_pagebreaks(breaks)
    _print_setup(ws, "Personale per settore")


def write_summary(evaluation: Evaluation, result: ImportResult, target: str | IO[bytes]) -> None:
    """Write the summary workbook to `target`, a path or a binary file, row by row.

    The cells of the sheets are held until the workbook is closed, and nothing else: the tables are
    made row by row from the scores, and the sheets' XML goes through temporary files."""
    plan = evaluation.plan
    tables = table_rows(evaluation, result)
    wb = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False,
                                      "strings_to_urls": False, "strings_to_numbers": False})
    wb.set_properties({"title": f"Riepilogo schede obiettivi {plan.year}", "author": "schede-excel",
                       "company": f"Comune di {plan.entity}"})
    f = _Formats(wb)
    _riepilogo(wb, f, evaluation, tables["Settori"][0])
    fits, too_wide = _matrix_sectors(evaluation)
    for name in ("Obiettivi", "Indicatori", "Personale", "Consegne", "Anomalie", "Regole"):
        _table(wb.add_worksheet(name), tables[name][0], name, f, hidden=("Valore raggiunto",))
        if name == "Personale" and fits:
            _matrix(wb, f, evaluation, fits, too_wide)
    wb.close()


def build_summary(evaluation: Evaluation, result: ImportResult) -> bytes:
    """The summary workbook as .xlsx bytes (`write_summary` writes it to a file)."""
    buffer = io.BytesIO()
    write_summary(evaluation, result, buffer)
    return buffer.getvalue()


def export_rows(evaluation: Evaluation, result: ImportResult, *, title: str = "Riepilogo delle schede obiettivi",
                description: str = "") -> Iterator[tuple[str, bytes]]:
    """Every table of the summary as CSV (Italian Excel) and JSON, then the data package: (file name, bytes),
    one file at a time, each made from the scores row by row (no DataFrame)."""
    tables = table_rows(evaluation, result)
    yield from iter_export_files({name: rows for name, (rows, _) in tables.items()}, SCHEMAS, title=title,
                                 description=description or DESCRIPTION)


DESCRIPTION = "Le tabelle del riepilogo delle schede obiettivi, come nel foglio di riepilogo dell'ente."


def export_tables(tables: dict[str, pd.DataFrame], *, title: str = "Riepilogo delle schede obiettivi",
                  description: str = "") -> dict[str, bytes]:
    """Every table of the summary as CSV (Italian Excel) and JSON, with the data package: file name -> bytes."""
    return export_files(tables, SCHEMAS, title=title, description=description or DESCRIPTION)
