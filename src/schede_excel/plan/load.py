"""Plan files in, by their kind: YAML text or a plan workbook, each read into a checked `Plan`."""

from __future__ import annotations

from pathlib import Path

from ..files import describe_os_error
from ..findings import finding
from .model import Plan
from .parse import PlanResult, parse_plan

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods")


def load_plan(path: str | Path) -> PlanResult:
    """Read a plan file and check it: YAML, or a plan workbook (.xlsx, .xlsm, .ods) by its suffix."""
    path = Path(path)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        from .workbook import read_plan_workbook  # planbook builds on this module

        return read_plan_workbook(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return PlanResult(plan=None, findings=[finding("PLAN_001", file=str(path), detail="il file non esiste")])
    except UnicodeDecodeError:
        return PlanResult(plan=None, findings=[finding("PLAN_001", file=str(path), detail="non è un testo UTF-8 (è forse un file Excel? il nome deve finire con .xlsx, .xlsm o .ods)")])
    except OSError as error:
        return PlanResult(plan=None, findings=[finding("PLAN_001", file=str(path), detail=describe_os_error(error))])
    return parse_plan(text, file=str(path))


def plan_schema() -> dict:
    """The JSON Schema of plan files, with the Italian keys, for editors."""
    schema = Plan.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Piano delle schede obiettivi (schede-excel)"
    return schema
