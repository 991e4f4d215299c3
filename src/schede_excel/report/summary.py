"""The municipality-wide summary workbook (riepilogo) and its exports.

`summary_tables(evaluation, result)` gives every table of the summary as a pandas DataFrame with
Italian column names, declared column by column in `SCHEMAS` (kind, decimals, unit): the summary
workbook formats each column from there, and the exports (`exports.py`) write the same tables as
CSV for an Italian Excel and as JSON. `build_summary()` writes the workbook: Riepilogo with
charts, Obiettivi, Indicatori, Personale (a person's totals), Partecipazione (one row per person
and objective), Consegne, Anomalie, Regole. Text that came from a returned file is always
written as text, never as a formula.
"""

from __future__ import annotations

import io
import math
from datetime import date, datetime
from typing import Any

import pandas as pd
import xlsxwriter

from ..exports import Column, Kind, export_files
from ..italian import achieved
from ..plan.targets import TargetKind
from ..scoring.evaluate import DIRECT
from ..returns.importer import ImportResult
from ..scoring.evaluate import Evaluation, IndicatorScore
from ..sheet.layout import ROUND_LABELS
from ..spreadsheet.text import column_points, text_height

BAND_COLOURS = {"raggiunto": "#C6EFCE", "parzialmente raggiunto": "#FFEB9C", "non raggiunto": "#FFC7CE"}
BAR_COLOURS = {"raggiunto": "#63BE7B", "parzialmente raggiunto": "#FFD966", "non raggiunto": "#F8696B",
               "non valutabile": "#BFBFBF"}
KIND_LABELS = {"quantita": "Quantità", "tempo": "Tempo", "costo": "Costo", "qualita": "Qualità"}
HEADER_FILL = "#D9E1F2"

_T, _I, _N, _P, _D, _DT, _V = Kind.TEXT, Kind.INTEGER, Kind.NUMBER, Kind.PERCENT, Kind.DATE, Kind.DATETIME, Kind.VALUE
SCORE = dict(kind=_N, decimals=1, unit="punti su 100")
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
    "Personale": [Column("Settore"), Column("Cognome e Nome"), Column("Cat."), Column("Obiettivi", _I),
                  Column("Totale partecipazione", _P, 0, "somma delle % di partecipazione del settore"),
                  Column("Totale 100%"), Column("Punteggio", **SCORE, description="punteggio individuale")],
    "Partecipazione": [Column("Settore"), Column("Cognome e Nome"), Column("Cat."), Column("Obiettivo"),
                       Column("Titolo"), Column("% partecipazione", _P, 0),
                       Column("Punteggio obiettivo", **SCORE)],
    "Consegne": [Column("Settore"), Column("Verifica"), Column("File"), Column("Data", _DT, description="salvato il"),
                 Column("Impronta SHA-256"), Column("Stato")],
    "Anomalie": [Column("Gravità"), Column("Codice"), Column("File"), Column("Foglio"), Column("Cella"),
                 Column("Messaggio")],
    "Regole": [Column("Regola"), Column("Valore")],
}
WIDTHS = {"Fascia": 23, "Stato": 18, "Titolo": 48, "Indicatore": 48, "Messaggio": 90, "Nome": 36, "Valore": 90,
          "Regola": 40, "File": 40, "Responsabile": 28, "Cognome e Nome": 26, "Nota": 30, "Impronta SHA-256": 66,
          "Data": 17, "Obiettivo": 11, "ATTESO": 16, "RAGGIUNTO": 14, "Unità Scost.": 12, "Tipo": 12,
          "Valutazione Nucleo/OIV": 13, "Blocco": 10}
WRAPPED = {"Titolo", "Indicatore", "Messaggio", "Valore", "Nome", "Nota", "File", "Regola", "Responsabile", "ATTESO"}


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


def _frame(name: str, rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[c.name for c in SCHEMAS[name]])


def summary_tables(evaluation: Evaluation, result: ImportResult) -> dict[str, pd.DataFrame]:
    """Every table of the summary, keyed by sheet name, with the columns of `SCHEMAS`."""
    plan = evaluation.plan
    sectors = _frame("Settori", [{
        "Settore": s.sector, "Nome": s.name, "Responsabile": s.head, "Schede attese": s.expected,
        "Schede restituite": s.returned, "Punteggio": s.score, "Fascia": s.band} for s in evaluation.sectors])
    objectives = _frame("Obiettivi", [{
        "Settore": o.sector, "Obiettivo": o.objective, "N°": o.number, "Titolo": o.title,
        "Trasversale": "Sì" if o.cross_cutting else "No", "Peso": o.weight, "Restituito": "Sì" if o.returned else "No",
        "Media valore %": o.value_score, "Media tempi %": o.time_score, "Punteggio": o.score,
        "Contributo pesato": o.contribution, "Fascia": o.band,
        "Valutazione Nucleo/OIV": "Sì" if o.overridden else "", "Nota": o.note} for o in evaluation.objectives])
    indicators = []
    for i in evaluation.indicators:
        deviation, unit = deviation_in_unit(i)
        indicators.append({
            "Settore": i.sector, "Obiettivo": i.objective, "Blocco": KIND_LABELS[i.kind.value], "N°": i.index,
            "Indicatore": i.description, "Tipo": i.target_kind.value, "ATTESO": i.target, "RAGGIUNTO": shown_achieved(i),
            "Valore raggiunto": i.achieved, "Scost.": deviation, "Unità Scost.": unit,
            "Raggiungimento %": i.achievement, "Stato": i.status,
            "Valutazione Nucleo/OIV": "Sì" if i.overridden else "", "Nota": i.note})
    titles = {o.key: o.title for o in plan.objectives}
    scores = {(o.sector, o.objective): o.score for o in evaluation.objectives}
    people = _frame("Personale", [{
        "Settore": p.sector, "Cognome e Nome": p.name, "Cat.": p.category, "Obiettivi": len(p.shares),
        "Totale partecipazione": p.total, "Totale 100%": "Sì" if abs(p.total - 1) <= 0.005 else "NO",
        "Punteggio": p.score} for p in evaluation.people])
    shares = _frame("Partecipazione", [{
        "Settore": p.sector, "Cognome e Nome": p.name, "Cat.": p.category, "Obiettivo": key,
        "Titolo": titles.get(key, ""), "% partecipazione": share, "Punteggio obiettivo": scores.get((p.sector, key))}
        for p in evaluation.people for key, share in p.shares.items()])
    deliveries = []
    returned = {(f.sector, f.round): f for f in result.files if f.used and f.sector}
    for sector in plan.sectors:
        file = returned.get((sector.code, evaluation.round))
        state = "restituito" if file else "mancante"
        if sector.direct_assessment and not file:
            own = [o for o in evaluation.objectives if o.sector == sector.code]
            state = f"{DIRECT}: {sum(o.overridden for o in own)} su {len(own)} obiettivi valutati"
        deliveries.append({"Settore": sector.code, "Verifica": ROUND_LABELS[evaluation.round],
                           "File": file.path if file else "", "Data": _naive(file.modified) if file else None,
                           "Impronta SHA-256": file.sha256 if file else "", "Stato": state})
    for f in result.files:
        if not f.used:
            deliveries.append({"Settore": f.sector or "", "Verifica": ROUND_LABELS.get(f.round or "", ""), "File": f.path,
                               "Data": _naive(f.modified), "Impronta SHA-256": f.sha256,
                               "Stato": "non leggibile" if not f.readable else "non usato (vedi Anomalie)"})
    findings = _frame("Anomalie", [{
        "Gravità": f.severity.value, "Codice": f.code, "File": f.file or "", "Foglio": f.sheet or "",
        "Cella": f.cell or "", "Messaggio": f.message} for f in result.findings + evaluation.findings])
    rules = _frame("Regole", [{"Regola": rule, "Valore": value} for rule, value in evaluation.rules()])
    return {"Settori": sectors, "Obiettivi": objectives, "Indicatori": _frame("Indicatori", indicators),
            "Personale": people, "Partecipazione": shares, "Consegne": _frame("Consegne", deliveries),
            "Anomalie": findings, "Regole": rules}


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
                         "percent_decimal": fmt(num_format="0.0%", align="center"), "date": fmt(num_format="dd/mm/yyyy", align="center"),
                         "integer": fmt(num_format="#,##0", align="center"), "decimal": fmt(num_format="#,##0.00", align="center"),
                         "text": fmt(align="center")}
        self.flag = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.bands = {b: wb.add_format({"bg_color": c}) for b, c in BAND_COLOURS.items()}

    def number_like(self, value: float, integer_fmt, decimal_fmt):
        return integer_fmt if float(value).is_integer() else decimal_fmt


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT


def _write(ws, row: int, col: int, value: Any, fmt) -> None:
    if _blank(value):
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        ws.write_string(row, col, value, fmt)  # never a formula, whatever the text starts with
    elif isinstance(value, pd.Timestamp):
        ws.write_datetime(row, col, value.to_pydatetime(), fmt)
    elif isinstance(value, datetime):
        ws.write_datetime(row, col, value, fmt)
    elif isinstance(value, date):
        ws.write_datetime(row, col, datetime(value.year, value.month, value.day), fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, "Sì" if value else "No", fmt)
    else:
        ws.write_number(row, col, float(value), fmt)


def _cell_format(f: _Formats, column: Column, value: Any, row: dict):
    """The format of one cell: by its column's kind, and for Indicatori by the indicator's own unit."""
    if column.name == "Scost.":
        return f.deviation.get(row.get("Unità Scost.", ""), f.number_like(value, f.by_kind[Kind.INTEGER], f.by_kind[Kind.NUMBER])
                               if not _blank(value) else f.text)
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
    if _blank(value):
        return None, f.achieved["text"]
    if isinstance(value, bool):
        return ("Sì" if value else "No"), f.achieved["text"]
    if isinstance(value, (date, pd.Timestamp)):
        return value, f.achieved["date"]
    if row["Tipo"] == TargetKind.PERCENT.value:  # 89.6% is not 90%: the decimal shows when there is one
        whole = abs(value * 100 - round(value * 100)) < 1e-6
        return value, f.achieved["percent" if whole else "percent_decimal"]
    return value, f.number_like(value, f.achieved["integer"], f.achieved["decimal"])


def _table(ws, frame: pd.DataFrame, name: str, f: _Formats, *, first_row: int = 0,
           hidden: tuple[str, ...] = ()) -> None:
    """A frame as an Excel table with explicit header and cell formats, widths, heights and print setup."""
    columns = [c for c in SCHEMAS[name] if c.name not in hidden]
    last_row = first_row + max(len(frame), 1)
    ws.add_table(first_row, 0, last_row, max(len(columns) - 1, 0), {
        "name": name, "style": "Table Style Light 9", "autofilter": True,
        "columns": [{"header": c.name, "header_format": f.header} for c in columns], "data": []})
    widths = [WIDTHS.get(c.name, max(9, min(18, len(c.name) + 2))) for c in columns]
    header_height = max(text_height(c.name, column_points(w), bold=True) for c, w in zip(columns, widths))
    ws.set_row(first_row, header_height)
    for r, record in enumerate(frame.to_dict("records"), start=first_row + 1):
        height = 15.0
        for c, column in enumerate(columns):
            value = record[column.name]
            if column.name == "RAGGIUNTO":
                value, fmt = _achieved_cell(f, record)
            else:
                fmt = _cell_format(f, column, value, record)
            _write(ws, r, c, value, fmt)
            if column.name in WRAPPED and isinstance(value, str) and value:
                height = max(height, text_height(value, column_points(widths[c])))
        if height > 15.0:
            ws.set_row(r, min(height, 409.0))  # LibreOffice honours only heights it is given
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
    if "ATTESO" in [c.name for c in columns]:
        col = [c.name for c in columns].index("ATTESO")
        ws.ignore_errors({"number_stored_as_text": f"{_col(col)}{first_row + 2}:{_col(col)}{last_row + 1}"})
    ws.freeze_panes(first_row + 1, 0)
    names = [c.name for c in columns]
    if "Fascia" in names and len(frame):
        col = names.index("Fascia")
        for band_name, fmt in f.bands.items():
            ws.conditional_format(first_row + 1, col, last_row, col,
                                  {"type": "cell", "criteria": "==", "value": f'"{band_name}"', "format": fmt})
    if "Totale 100%" in names and len(frame):
        col = names.index("Totale 100%")
        ws.conditional_format(first_row + 1, col, last_row, col,
                              {"type": "cell", "criteria": "==", "value": '"NO"', "format": f.flag})
    _print_setup(ws, f"{name}")
    ws.repeat_rows(first_row)


def _col(col: int) -> str:
    from ..spreadsheet.cells import col_letter

    return col_letter(col)


def _print_setup(ws, title: str) -> None:
    ws.set_landscape()
    ws.set_paper(9)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.fit_to_pages(1, 0)
    ws.set_footer(f"&L&9{title.replace('&', '&&')}&R&9Pagina &P di &N")


def _riepilogo(wb, f: _Formats, evaluation: Evaluation, tables: dict[str, pd.DataFrame]) -> None:
    plan = evaluation.plan
    ws = wb.add_worksheet("Riepilogo")
    review = f"verifica {ROUND_LABELS[evaluation.round]} al {evaluation.review_date:%d/%m/%Y}"
    ws.write_string(0, 0, f"Comune di {plan.entity} - Piano della performance {plan.year}: riepilogo", f.title)
    ws.write_string(1, 0, f"Schede obiettivi, {review}", f.subtitle)
    ws.write_string(3, 0, "Punteggio dell'ente", f.bold)
    if evaluation.ente_score is None:
        ws.write_string(3, 2, "non valutabile")
    else:
        ws.write_number(3, 2, evaluation.ente_score, f.big)
    ws.write_string(3, 3, evaluation.ente_band, f.band.get(evaluation.ente_band))
    ws.set_row(3, 30)
    returned = sum(s.returned for s in evaluation.sectors)
    expected = sum(s.expected for s in evaluation.sectors)
    ws.write_string(4, 0, f"Schede restituite: {returned} su {expected}")
    _table(ws, tables["Settori"], "Settori", f, first_row=6)
    ws.freeze_panes(7, 0)
    sectors = evaluation.sectors
    first, last = 7, 6 + max(len(sectors), 1)
    # The chart's data: one column per band, so that the legend explains the colours.
    bands = ["raggiunto", "parzialmente raggiunto", "non raggiunto"]
    data_col = 20
    ws.write_row(6, data_col, ["Settore", *bands], f.bold)
    for k, s in enumerate(sectors):
        ws.write_string(first + k, data_col, s.sector)
        for b, band_name in enumerate(bands, start=1):
            if s.band == band_name and s.score is not None:
                ws.write_number(first + k, data_col + b, s.score)
    ws.set_column(data_col, data_col + len(bands), None, None, {"hidden": True})
    chart = wb.add_chart({"type": "column"})
    for b, band_name in enumerate(bands, start=1):
        chart.add_series({"name": band_name.capitalize(), "categories": ["Riepilogo", first, data_col, last, data_col],
                          "values": ["Riepilogo", first, data_col + b, last, data_col + b],
                          "fill": {"color": BAR_COLOURS[band_name]}, "border": {"color": "#7F7F7F"},
                          "data_labels": {"value": True, "num_format": "0"}})
    chart.set_title({"name": "Punteggio per settore", "name_font": {"size": 12}})
    chart.set_x_axis({"name": "Settore"})
    chart.set_y_axis({"name": "Punteggio (punti su 100)", "min": 0, "max": 100, "major_unit": 20,
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"position": "bottom"})
    chart.show_hidden_data()  # its data sit in hidden columns: Excel plots hidden cells only when told
    chart.set_plotarea({"layout": {"x": 0.1, "y": 0.12, "width": 0.85, "height": 0.62}})
    ws.insert_chart(last + 2, 0, chart, {"x_scale": 1.5, "y_scale": 1.25})
    counts = tables["Obiettivi"]["Fascia"].value_counts() if len(tables["Obiettivi"]) else pd.Series(dtype=int)
    all_bands = [*bands, "non valutabile"]
    ws.write_row(last + 2, 10, ["Fascia", "Obiettivi"], f.bold)
    ws.set_column(10, 10, 23)
    for k, band_name in enumerate(all_bands, start=1):
        ws.write_string(last + 2 + k, 10, band_name)
        ws.write_number(last + 2 + k, 11, int(counts.get(band_name, 0)))
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


def build_summary(evaluation: Evaluation, result: ImportResult) -> bytes:
    """The summary workbook as .xlsx bytes."""
    plan = evaluation.plan
    tables = summary_tables(evaluation, result)
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                      "strings_to_numbers": False})
    wb.set_properties({"title": f"Riepilogo schede obiettivi {plan.year}", "author": "schede-excel",
                       "company": f"Comune di {plan.entity}"})
    f = _Formats(wb)
    _riepilogo(wb, f, evaluation, tables)
    for name in ("Obiettivi", "Indicatori", "Personale", "Partecipazione", "Consegne", "Anomalie", "Regole"):
        _table(wb.add_worksheet(name), tables[name], name, f, hidden=("Valore raggiunto",))
    wb.close()
    return buffer.getvalue()


def export_tables(tables: dict[str, pd.DataFrame], *, title: str = "Riepilogo delle schede obiettivi",
                  description: str = "") -> dict[str, bytes]:
    """Every table of the summary as CSV (Italian Excel) and JSON, with the data package: file name -> bytes."""
    return export_files(tables, SCHEMAS, title=title,
                        description=description or "Le tabelle del riepilogo delle schede obiettivi, "
                                                   "come nel foglio di riepilogo dell'ente.")
