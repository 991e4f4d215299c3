"""The municipality-wide summary workbook (riepilogo) and the data exports.

`summary_tables(evaluation, result)` gives every table of the summary as a pandas DataFrame with
Italian column names (the exports write them as CSV and JSON); `build_summary()` writes them
into one workbook: Riepilogo with charts, Obiettivi, Indicatori, Personale, Consegne, Anomalie,
Regole. Text that came from a returned file is always written as text, never as a formula.
"""

from __future__ import annotations

import io
from datetime import date, datetime

import pandas as pd
import xlsxwriter

from ..scoring.evaluate import DIRECT, Evaluation
from ..returns.importer import ImportResult
from ..sheet.layout import ROUND_LABELS

BAND_COLOURS = {"raggiunto": "#C6EFCE", "parzialmente raggiunto": "#FFEB9C", "non raggiunto": "#FFC7CE"}
KIND_LABELS = {"quantita": "Quantità", "tempo": "Tempo", "costo": "Costo", "qualita": "Qualità"}


def _shown(value):
    """A RAGGIUNTO as a person reads it."""
    if isinstance(value, bool):
        return "Sì" if value else "No"
    return value


def summary_tables(evaluation: Evaluation, result: ImportResult) -> dict[str, pd.DataFrame]:
    """Every table of the summary, keyed by sheet name."""
    plan = evaluation.plan
    sectors = pd.DataFrame([{
        "Settore": s.sector, "Nome": s.name, "Responsabile": s.head, "Schede attese": s.expected,
        "Schede restituite": s.returned, "Punteggio": s.score, "Fascia": s.band} for s in evaluation.sectors])
    objectives = pd.DataFrame([{
        "Settore": o.sector, "Obiettivo": o.objective, "N°": o.number, "Titolo": o.title,
        "Trasversale": "Sì" if o.cross_cutting else "No", "Peso": o.weight, "Restituito": "Sì" if o.returned else "No",
        "Media valore %": o.value_score, "Media tempi %": o.time_score, "Punteggio": o.score,
        "Contributo pesato": o.contribution, "Fascia": o.band,
        "Valutazione Nucleo/OIV": "Sì" if o.overridden else "", "Nota": o.note} for o in evaluation.objectives])
    indicators = pd.DataFrame([{
        "Settore": i.sector, "Obiettivo": i.objective, "Blocco": KIND_LABELS[i.kind.value], "N°": i.index,
        "Indicatore": i.description, "Tipo": i.target_kind.value, "ATTESO": i.target, "RAGGIUNTO": _shown(i.achieved),
        "Scost.": i.deviation, "Raggiungimento %": i.achievement, "Stato": i.status,
        "Valutazione Nucleo/OIV": "Sì" if i.overridden else "", "Nota": i.note} for i in evaluation.indicators])
    keys = sorted({k for p in evaluation.people for k in p.shares})
    people = pd.DataFrame([{
        "Settore": p.sector, "Cognome e Nome": p.name, "Cat.": p.category,
        **{k: p.shares.get(k) for k in keys}, "Totale partecipazione": p.total,
        "Totale 100%": "Sì" if abs(p.total - 1) <= 0.005 else "NO", "Punteggio": p.score}
        for p in evaluation.people], columns=["Settore", "Cognome e Nome", "Cat.", *keys, "Totale partecipazione",
                                              "Totale 100%", "Punteggio"])
    deliveries = []
    returned = {(f.sector, f.round): f for f in result.files if f.used and f.sector}
    for sector in plan.sectors:
        file = returned.get((sector.code, evaluation.round))
        state = "restituito" if file else "mancante"
        if sector.direct_assessment and not file:
            own = [o for o in evaluation.objectives if o.sector == sector.code]
            state = f"{DIRECT}: {sum(o.overridden for o in own)} su {len(own)} obiettivi valutati"
        deliveries.append({"Settore": sector.code, "Verifica": ROUND_LABELS[evaluation.round],
                           "File": file.path if file else "", "Data": file.modified.replace(tzinfo=None) if file and file.modified else None,
                           "Impronta": file.sha256[:16] if file else "", "Stato": state})
    for f in result.files:
        if not f.used:
            deliveries.append({"Settore": f.sector or "", "Verifica": ROUND_LABELS.get(f.round or "", ""), "File": f.path,
                               "Data": f.modified.replace(tzinfo=None) if f.modified else None, "Impronta": f.sha256[:16],
                               "Stato": "non leggibile" if not f.readable else "non usato (vedi Anomalie)"})
    findings = pd.DataFrame([{
        "Gravità": f.severity.value, "Codice": f.code, "File": f.file or "", "Foglio": f.sheet or "",
        "Cella": f.cell or "", "Messaggio": f.message} for f in result.findings + evaluation.findings],
        columns=["Gravità", "Codice", "File", "Foglio", "Cella", "Messaggio"])
    rules = pd.DataFrame(evaluation.rules(), columns=["Regola", "Valore"])
    return {"Settori": sectors, "Obiettivi": objectives, "Indicatori": indicators, "Personale": people,
            "Consegne": pd.DataFrame(deliveries, columns=["Settore", "Verifica", "File", "Data", "Impronta", "Stato"]),
            "Anomalie": findings, "Regole": rules}


class _Formats:
    def __init__(self, wb):
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.subtitle = wb.add_format({"italic": True, "font_color": "#595959"})
        self.big = wb.add_format({"bold": True, "font_size": 20, "num_format": '0.0" %"', "align": "left"})
        self.band = {b: wb.add_format({"bold": True, "font_size": 12, "bg_color": c}) for b, c in BAND_COLOURS.items()}
        self.score = wb.add_format({"num_format": "0.0"})
        self.percent = wb.add_format({"num_format": "0%"})
        self.number = wb.add_format({"num_format": "#,##0.##"})
        self.date = wb.add_format({"num_format": "dd/mm/yyyy"})
        self.datetime = wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
        self.text = wb.add_format({"text_wrap": True, "valign": "top"})
        self.flag = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.bands = {b: wb.add_format({"bg_color": c}) for b, c in BAND_COLOURS.items()}


SCORE_COLUMNS = {"Punteggio", "Media valore %", "Media tempi %", "Raggiungimento %", "Contributo pesato"}
WIDE_COLUMNS = {"Fascia": 23, "Stato": 16, "Titolo": 50, "Indicatore": 50, "Messaggio": 90, "Nome": 40, "Valore": 90, "Regola": 40,
                "File": 45, "Responsabile": 30, "Cognome e Nome": 28, "Nota": 30}


def _cell(ws, row, col, value, fmt, f: _Formats):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        ws.write_string(row, col, value, fmt)  # never a formula, whatever the text starts with
    elif isinstance(value, (datetime, pd.Timestamp)):
        ws.write_datetime(row, col, value.to_pydatetime() if isinstance(value, pd.Timestamp) else value, f.datetime)
    elif isinstance(value, date):
        ws.write_datetime(row, col, datetime(value.year, value.month, value.day), f.date)
    elif isinstance(value, bool):
        ws.write_string(row, col, "Sì" if value else "No", fmt)
    else:
        ws.write_number(row, col, float(value), fmt)


def _table(wb, ws, frame: pd.DataFrame, f: _Formats, *, first_row: int = 0, name: str) -> None:
    """A frame as an Excel table: autofilter, frozen header, formats and widths by column."""
    columns = list(frame.columns)
    formats = []
    for column in columns:
        if column in SCORE_COLUMNS:
            formats.append(f.score)
        elif column in ("Totale partecipazione",) or "/" in str(column):
            formats.append(f.percent)
        elif column in ("Scost.",):
            formats.append(f.number)
        elif column in WIDE_COLUMNS:
            formats.append(f.text)
        else:
            formats.append(None)
    last_row = first_row + max(len(frame), 1)
    ws.add_table(first_row, 0, last_row, max(len(columns) - 1, 0), {
        "name": name, "style": "Table Style Light 9", "autofilter": True,
        "columns": [{"header": str(c)} for c in columns], "data": []})
    for r, values in enumerate(frame.itertuples(index=False), start=first_row + 1):
        for c, value in enumerate(values):
            if value is not None and value == value:  # blanks (None, NaN) need no cell: the table styles them
                _cell(ws, r, c, value, formats[c], f)
    for c, column in enumerate(columns):
        ws.set_column(c, c, WIDE_COLUMNS.get(str(column), max(10, min(22, len(str(column)) + 2))))
    ws.freeze_panes(first_row + 1, 0)
    if "Fascia" in columns and len(frame):
        col = columns.index("Fascia")
        for band_name, fmt in f.bands.items():
            ws.conditional_format(first_row + 1, col, last_row, col,
                                  {"type": "cell", "criteria": "==", "value": f'"{band_name}"', "format": fmt})
    if "Totale 100%" in columns and len(frame):
        col = columns.index("Totale 100%")
        ws.conditional_format(first_row + 1, col, last_row, col,
                              {"type": "cell", "criteria": "==", "value": '"NO"', "format": f.flag})
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(first_row)
    ws.set_footer("&L&8&A&R&8Pagina &P di &N")


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

    ws = wb.add_worksheet("Riepilogo")
    review = f"verifica {ROUND_LABELS[evaluation.round]} al {evaluation.review_date:%d/%m/%Y}"
    ws.write_string(0, 0, f"Comune di {plan.entity} - Piano della performance {plan.year}: riepilogo", f.title)
    ws.write_string(1, 0, f"Schede obiettivi, {review}", f.subtitle)
    ws.write_string(3, 0, "Punteggio dell'ente", wb.add_format({"bold": True}))
    if evaluation.ente_score is None:
        ws.write_string(3, 2, "non valutabile")
    else:
        ws.write_number(3, 2, evaluation.ente_score, f.big)
    ws.write_string(3, 3, evaluation.ente_band, f.band.get(evaluation.ente_band))
    ws.set_row(3, 30)
    returned = sum(s.returned for s in evaluation.sectors)
    expected = sum(s.expected for s in evaluation.sectors)
    ws.write_string(4, 0, f"Schede restituite: {returned} su {expected}")
    _table(wb, ws, tables["Settori"], f, first_row=6, name="Settori")
    ws.freeze_panes(0, 0)
    last = 6 + max(len(tables["Settori"]), 1)
    chart = wb.add_chart({"type": "column"})
    bar_colours = {"raggiunto": "#63BE7B", "parzialmente raggiunto": "#FFD966", "non raggiunto": "#F8696B"}
    chart.add_series({"name": "Punteggio", "categories": ["Riepilogo", 7, 0, last, 0],
                      "values": ["Riepilogo", 7, 5, last, 5], "data_labels": {"value": True, "num_format": "0"},
                      "points": [{"fill": {"color": bar_colours.get(s.band, "#BFBFBF")}} for s in evaluation.sectors]})
    chart.set_title({"name": "Punteggio per settore"})
    chart.set_y_axis({"min": 0, "max": 100, "major_gridlines": {"visible": True}})
    chart.set_legend({"none": True})
    ws.insert_chart(last + 2, 0, chart, {"x_scale": 1.6, "y_scale": 1.2})
    counts = tables["Obiettivi"]["Fascia"].value_counts() if len(tables["Obiettivi"]) else pd.Series(dtype=int)
    bands = ["raggiunto", "parzialmente raggiunto", "non raggiunto", "non valutabile"]
    ws.write_row(last + 2, 9, ["Fascia", "Obiettivi"], wb.add_format({"bold": True}))
    ws.set_column(9, 9, 23)
    for k, band_name in enumerate(bands, start=1):
        ws.write_string(last + 2 + k, 9, band_name)
        ws.write_number(last + 2 + k, 10, int(counts.get(band_name, 0)))
    pie = wb.add_chart({"type": "pie"})
    pie.add_series({"name": "Obiettivi per fascia", "categories": ["Riepilogo", last + 3, 9, last + 6, 9],
                    "values": ["Riepilogo", last + 3, 10, last + 6, 10], "data_labels": {"value": True},
                    "points": [{"fill": {"color": c}} for c in ("#63BE7B", "#FFD966", "#F8696B", "#BFBFBF")]})
    pie.set_title({"name": "Obiettivi per fascia"})
    ws.insert_chart(last + 2, 12, pie)
    ws.set_landscape()
    ws.fit_to_pages(1, 1)

    for name in ("Obiettivi", "Indicatori", "Personale", "Consegne", "Anomalie", "Regole"):
        sheet = wb.add_worksheet(name)
        _table(wb, sheet, tables[name], f, name=name)
    wb.close()
    return buffer.getvalue()


def _inert(value):
    """CSV cells that a spreadsheet would run as formulas get a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_tables(tables: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    """CSV (UTF-8 with BOM, `;` as Excel in Italian expects) and JSON of every table: file name -> bytes."""
    out = {}
    for name, frame in tables.items():
        safe = frame.map(_inert) if len(frame) else frame
        stem = name.lower()
        out[f"{stem}.csv"] = safe.to_csv(index=False, sep=";", decimal=",", date_format="%d/%m/%Y").encode("utf-8-sig")
        out[f"{stem}.json"] = frame.to_json(orient="records", date_format="iso", force_ascii=False,
                                            indent=2).encode("utf-8")
    return out
