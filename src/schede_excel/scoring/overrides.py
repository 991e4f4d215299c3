"""The evaluator's assessments (Nucleo di valutazione / OIV), read from a CSV or a workbook.

One row per assessment: `settore`, `obiettivo` (FIN/1 or just 1), `valutazione` (0-100), and
for a single indicator `blocco` (quantita, tempo, costo, qualita) and `numero`; `nota` is free
text (why), `valutatore` who assessed it (both shown in the validation dossier). Every row is
checked against the plan before anything is computed, so a typo stops the consolidation with its
row number instead of being ignored. A row whose `valutazione` is blank is not yet assessed and
is skipped, so the prefilled workbook of `assessment_workbook()` (one row per directly assessed
objective) can be filled a little at a time.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import xlsxwriter

from .evaluate import Override
from ..files import describe_os_error
from ..findings import Finding, finding
from ..plan.model import IndicatorKind, Plan
from ..sheet.layout import ROUND_LABELS

COLUMNS = ("settore", "obiettivo", "valutazione", "blocco", "numero", "nota", "valutatore")
BLOCKS = {"quantita": "quantita", "quantità": "quantita", "tempo": "tempo", "costo": "costo",
          "qualita": "qualita", "qualità": "qualita"}  # as written in files and as printed on the sheets


def assessment_filename(plan: Plan, round_: str) -> str:
    """The name of the prefilled assessments workbook, beside the sectors' workbooks."""
    return f"{plan.plan_id}-{ROUND_LABELS[round_]}-valutazioni.xlsx"


def assessment_workbook(plan: Plan, round_: str) -> bytes | None:
    """The evaluator's workbook, prefilled: one row per directly assessed objective (the Segretario's).

    Columns settore, obiettivo, valutazione (to fill, 0-100), nota, and the objective's title
    and weight for reference; `read_overrides` reads it back as it is. None when no sector of
    the plan is assessed directly.
    """
    rows = [(sector, objective) for sector in plan.sectors if sector.direct_assessment
            for objective in plan.objectives_of(sector)]
    if not rows:
        return None
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"title": f"Valutazioni dirette {plan.year}", "author": "schede-excel",
                       "company": f"Comune di {plan.entity}",
                       "created": datetime(plan.year, 1, 1)})  # fixed: regenerating gives the same bytes
    ws = wb.add_worksheet("Valutazioni")
    header = wb.add_format({"bold": True, "bg_color": "#D9D9D9", "border": 1})
    locked = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    open_ = wb.add_format({"border": 1, "locked": False, "bg_color": "#FFF2CC", "valign": "top", "text_wrap": True})
    columns = [("settore", 10), ("obiettivo", 12), ("titolo", 50), ("peso", 7), ("valutazione", 13), ("nota", 50)]
    for col, (name, width) in enumerate(columns):
        ws.write_string(0, col, name, header)
        ws.set_column(col, col, width)
    for row, (sector, objective) in enumerate(rows, start=1):
        ws.write_string(row, 0, sector.code, locked)
        ws.write_string(row, 1, objective.key, locked)
        ws.write_string(row, 2, objective.title, locked)
        ws.write_number(row, 3, objective.weight, locked)
        ws.write_blank(row, 4, None, open_)
        ws.write_blank(row, 5, None, open_)
    ws.data_validation(1, 4, len(rows), 4, {
        "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100,
        "input_title": "Valutazione", "input_message": "Valutazione dell'obiettivo, da 0 a 100 (es. 95).",
        "error_title": "Valore non valido", "error_message": "Inserire un numero da 0 a 100."})
    ws.write_string(len(rows) + 2, 0, f"Piano della performance {plan.year}, verifica "
                    f"{ROUND_LABELS[round_]}: compilare valutazione (e nota) nelle celle "
                    "in giallo; una riga vuota è una valutazione non ancora inserita. Poi: schede consolidate "
                    "... --valutazioni con questo file.")
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})
    wb.close()
    return buffer.getvalue()


def _rows_from_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # what Excel in Italian saves as «CSV»
    sample = text[:4096]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _rows_from_workbook(data: bytes, name: str) -> list[list[str]]:
    from ..spreadsheet.reader import read_workbook  # here, not at the top: `generate` writes this file and needs no reader (lxml)

    sheets = read_workbook(data, name).sheets
    if not sheets or not sheets[0].cells:
        return []
    sheet = sheets[0]
    rows = max(r for r, _ in sheet.cells) + 1
    cols = max(c for _, c in sheet.cells) + 1

    def text(r, c):
        cell = sheet.cells.get((r, c))
        if cell is not None and cell.is_percent and isinstance(cell.value, float):
            return f"{cell.value * 100:g}"  # 90% typed in a cell is stored as 0.9
        return sheet.text(r, c)

    return [[text(r, c) for c in range(cols)] for r in range(rows)]


def read_overrides(data: bytes, name: str, plan: Plan) -> tuple[list[Override], list[Finding]]:
    """The assessments in a file's bytes, checked against the plan; any finding is an error."""
    from ..spreadsheet.reader import UnreadableFile

    try:
        if Path(name).suffix.lower() in (".xlsx", ".xlsm", ".ods"):
            rows = _rows_from_workbook(data, name)
        else:
            rows = _rows_from_csv(data)
    except UnreadableFile as error:
        return [], [finding("EVAL_010", file=name, reason=error.findings[0].message.rstrip("."))]
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return [], [finding("EVAL_010", file=name, reason="il file è vuoto")]
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [c for c in COLUMNS[:3] if c not in header]
    if missing:
        return [], [finding("EVAL_010", file=name, reason=f"mancano le colonne {', '.join(missing)} nella prima riga")]
    objectives = {o.key: o for o in plan.objectives}
    out, problems, seen = [], [], {}
    for number, row in enumerate(rows[1:], start=2):
        values = {c: (row[header.index(c)].strip() if c in header and header.index(c) < len(row) else "")
                  for c in COLUMNS}
        at = {"file": name, "line": number}
        if not values["valutazione"]:
            continue  # not yet assessed
        sector = values["settore"].upper()
        objective = values["obiettivo"].upper()
        if objective and "/" not in objective:
            objective = f"{sector}/{objective}"
        try:
            score = float(values["valutazione"].replace("%", "").replace(",", ".").strip())
            if not 0 <= score <= 100:
                raise ValueError
        except ValueError:
            problems.append(finding("EVAL_011", **at, found=values["valutazione"]))
            continue
        if not plan.reports(sector, objective):
            problems.append(finding("EVAL_001", **at, sector=sector or "?", objective=objective or "?"))
            continue
        written, index = values["blocco"], None
        kind = BLOCKS.get(written.lower().removeprefix("indici di ").strip()) if written else None
        if written:
            if kind is None:
                problems.append(finding("EVAL_012", **at, found=written))
                continue
            try:
                index = int(values["numero"] or "1")
            except ValueError:
                problems.append(finding("EVAL_015", **at, found=values["numero"]))
                continue
            block = getattr(objectives[objective].indicators, kind)
            if not 1 <= index <= len(block):
                problems.append(finding("EVAL_013", **at, objective=objective, block=kind, index=index, count=len(block)))
                continue
            kind = IndicatorKind(kind)
        key = (sector, objective, kind, index)
        if key in seen:
            problems.append(finding("EVAL_014", **at, other=seen[key]))
            continue
        seen[key] = number
        out.append(Override(sector=sector, objective=objective, score=score, kind=kind, index=index, note=values["nota"],
                            by=values["valutatore"]))
    return out, problems


def load_overrides(path: str | Path, plan: Plan) -> tuple[list[Override], list[Finding]]:
    """The assessments of a CSV or workbook file, checked against the plan."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        return [], [finding("EVAL_010", file=str(path), reason=describe_os_error(error))]
    return read_overrides(data, str(path), plan)
