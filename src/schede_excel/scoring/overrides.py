"""The evaluator's assessments (Nucleo di valutazione / OIV), read from a CSV or a workbook.

One row per assessment: `settore`, `obiettivo` (FIN/1 or just 1), `valutazione` (0-100), and
for a single indicator `blocco` (quantita, tempo, costo, qualita) and `numero`; `nota` is free
text (why), `valutatore` who assessed it (both shown in the validation dossier). Every row is checked against the plan before anything is computed, so a typo stops the
consolidation with its row number instead of being ignored.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from .evaluate import Override
from ..files import describe_os_error
from ..findings import Finding, finding
from ..plan.model import IndicatorKind, Plan
from ..spreadsheet.reader import UnreadableFile, read_workbook

COLUMNS = ("settore", "obiettivo", "valutazione", "blocco", "numero", "nota", "valutatore")


def _rows_from_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # what Excel in Italian saves as «CSV»
    sample = text[:4096]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _rows_from_workbook(data: bytes, name: str) -> list[list[str]]:
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
        kind, index = values["blocco"].lower() or None, None
        if kind is not None:
            if kind not in {k.value for k in IndicatorKind}:
                problems.append(finding("EVAL_012", **at, found=kind))
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
