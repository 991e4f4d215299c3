"""The tables a person opens elsewhere, written in one declared convention.

CSV for an Italian Excel: `;` between fields, decimal comma, UTF-8 with BOM, dates dd/mm/yyyy,
numbers rounded to the precision shown, percentages as shown (`90%`), and any text a spreadsheet
would run as a formula made inert. JSON for programs: full precision, ISO dates. A Frictionless
data package (`datapackage.json`, Table Schema) declares every CSV: fields, types, units, decimal
character. `schede import --tabelle` and `schede consolidate --esporta` both write through here.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import IO, Any, Iterator, Mapping, Sequence

from .italian import day, number, percent


class Kind(Enum):
    """How a column's values are written."""

    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    PERCENT = "percent"  # a fraction, shown and written as a percentage
    DATE = "date"
    DATETIME = "datetime"
    VALUE = "value"  # a mix, each cell by its own type (a RAGGIUNTO: number, date or Sì/No)


@dataclass(frozen=True)
class Column:
    """One column of an exported table."""

    name: str
    kind: Kind = Kind.TEXT
    decimals: int | None = 1
    """For numbers and percentages: the decimals shown (None: as many as the value has, up to 10)."""
    description: str = ""
    """Italian: what the column holds, for the data package."""
    unit: str = ""
    """Italian: the unit, when one (punti, giorni, euro, %)."""
    trim: bool = False
    """True: `decimals` is the most shown, and trailing zeros go (12 giorni, -2,5 punti %)."""


_TYPES = {Kind.TEXT: "string", Kind.INTEGER: "integer", Kind.NUMBER: "number", Kind.PERCENT: "number",
          Kind.DATE: "date", Kind.DATETIME: "datetime", Kind.VALUE: "string"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def blank(value: Any) -> bool:
    """True for a value written as an empty cell: None, NaN, pandas' NaT and NA."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        type(value).__name__ in ("NaTType", "NAType"))


def inert(text: str) -> str:
    """Text a spreadsheet would run as a formula (`=…`, `+…`, `-…`, `@…`) gets a leading apostrophe."""
    return "'" + text if text[:1] in FORMULA_STARTS and not _is_number_text(text) else text


def _is_number_text(text: str) -> bool:
    try:
        float(text.replace(",", "."))
        return True
    except ValueError:
        return False


def csv_cell(value: Any, column: Column) -> str:
    """One value as the CSV shows it to an Italian Excel."""
    if blank(value):
        return ""
    kind = column.kind
    if isinstance(value, bool):
        return "Sì" if value else "No"
    if kind is Kind.PERCENT and isinstance(value, (int, float)):
        return percent(float(value), column.decimals)
    if kind in (Kind.NUMBER, Kind.INTEGER) and isinstance(value, (int, float)):
        if column.trim and column.decimals is not None:
            return number(float(value), column.decimals, trim=True)
        return number(float(value), 0 if kind is Kind.INTEGER else column.decimals)
    if isinstance(value, datetime) or hasattr(value, "to_pydatetime"):
        moment = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
        return day(moment.date()) if kind is Kind.DATE else day(moment.replace(tzinfo=None))
    if isinstance(value, date):
        return day(value)
    if isinstance(value, (int, float)):
        return number(float(value), None)
    return inert(str(value))


def json_value(value: Any) -> Any:
    """One value for JSON: full precision, ISO dates, null for blanks."""
    if blank(value):
        return None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _rows(frame: Any, columns: Sequence[Column]) -> Iterator[tuple]:
    """The rows in the schema's column order, from a DataFrame or from dicts keyed by column name: a
    column moved or added cannot mislabel the data."""
    names = [c.name for c in columns]
    if hasattr(frame, "itertuples"):
        return frame[names].itertuples(index=False, name=None)
    return (tuple(row[n] for n in names) for row in frame)


def write_csv(handle: IO[bytes], frame: Any, columns: Sequence[Column]) -> None:
    """A table (a DataFrame, or dicts keyed by column name) written as CSV in the Italian convention, row by row."""
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="", write_through=False)
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    for row in _rows(frame, columns):
        writer.writerow([csv_cell(v, c) for v, c in zip(row, columns)])
    text.flush()
    text.detach()  # the handle stays the caller's


def write_json(handle: IO[bytes], frame: Any, columns: Sequence[Column]) -> None:
    """A table written as a JSON list of records (full precision, ISO dates), one record at a time;
    the same bytes as `json.dumps(records, indent=2)` without holding them all."""
    first = True
    for row in _rows(frame, columns):
        record = json.dumps({c.name: json_value(v) for v, c in zip(row, columns)}, ensure_ascii=False, indent=2)
        handle.write(((("[\n  " if first else ",\n  ") + record.replace("\n", "\n  "))).encode("utf-8"))
        first = False
    handle.write(b"[]\n" if first else b"\n]\n")


def to_csv(frame: Any, columns: Sequence[Column]) -> bytes:
    """A DataFrame (or dicts keyed by column name) as CSV bytes in the Italian convention."""
    buffer = io.BytesIO()
    write_csv(buffer, frame, columns)
    return buffer.getvalue()


def to_json(frame: Any, columns: Sequence[Column]) -> bytes:
    """A DataFrame (or dicts keyed by column name) as a JSON list of records: full precision, ISO dates."""
    buffer = io.BytesIO()
    write_json(buffer, frame, columns)
    return buffer.getvalue()


def _field(column: Column) -> dict:
    field: dict[str, Any] = {"name": column.name, "type": _TYPES[column.kind]}
    if column.description:
        field["description"] = column.description
    if column.kind in (Kind.NUMBER, Kind.PERCENT):
        field.update(decimalChar=",", groupChar=".", bareNumber=column.kind is not Kind.PERCENT)
    if column.kind is Kind.DATE:
        field["format"] = "%d/%m/%Y"
    if column.kind is Kind.DATETIME:
        field["format"] = "%d/%m/%Y %H:%M"
    unit = "%" if column.kind is Kind.PERCENT else column.unit
    if unit:
        field["unit"] = unit
    return field


def resource_name(name: str) -> str:
    """A table's name as a data package resource and file stem: lower case, no spaces."""
    text = "".join(ch if ch.isalnum() and ch.isascii() else "-" for ch in name.lower())
    return "-".join(part for part in text.split("-") if part)


def datapackage(tables: Mapping[str, Sequence[Column]], *, title: str, description: str,
                licence: tuple[str, str] = ("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/")) -> dict:
    """The Frictionless data package that declares each table's CSV."""
    return {
        "profile": "tabular-data-package",
        "name": resource_name(title),
        "title": title,
        "description": description,
        "licenses": [{"name": licence[0], "path": licence[1]}],
        "resources": [{
            "name": resource_name(name), "path": f"{resource_name(name)}.csv", "profile": "tabular-data-resource",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8-sig",
            "dialect": {"delimiter": ";", "lineTerminator": "\r\n", "quoteChar": "\"", "header": True},
            "schema": {"fields": [_field(c) for c in columns]},
        } for name, columns in tables.items()],
    }


def iter_export_files(frames: Mapping[str, Any], schemas: Mapping[str, Sequence[Column]], *, title: str,
                      description: str) -> Iterator[tuple[str, bytes]]:
    """Every table as CSV and JSON, then the data package: (file name, bytes), one file at a time.

    `frames` maps a table's name to a DataFrame or to an iterable of dicts keyed by column name,
    read once."""
    for name, frame in frames.items():
        stem = resource_name(name)
        if hasattr(frame, "itertuples"):
            yield f"{stem}.csv", to_csv(frame, schemas[name])
            yield f"{stem}.json", to_json(frame, schemas[name])
            continue
        rows = list(frame)  # both files read them: one table at a time is held, never all of them
        yield f"{stem}.csv", to_csv(rows, schemas[name])
        yield f"{stem}.json", to_json(rows, schemas[name])
        del rows
    package = datapackage({n: schemas[n] for n in frames}, title=title, description=description)
    yield "datapackage.json", (json.dumps(package, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def export_files(frames: Mapping[str, Any], schemas: Mapping[str, Sequence[Column]], *, title: str,
                 description: str) -> dict[str, bytes]:
    """Every table as CSV and JSON, and the data package: file name -> bytes."""
    return dict(iter_export_files(frames, schemas, title=title, description=description))
