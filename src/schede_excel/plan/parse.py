"""Plan files: YAML text in, a validated `Plan` out, every problem as a finding with its line.

`parse_plan(text, file)` does no I/O (`load.load_plan` reads a file and calls it). It returns a
`PlanResult` with the plan (None if it could not be built) and all the findings, so a user sees
every problem of a file at once.
"""

from __future__ import annotations

import gc
import json
import re
from contextlib import contextmanager

from pydantic import ValidationError

from .checks import check_plan
from ..findings import Finding, Result, SchedeError, Severity, finding, has_errors
from .model import Plan
from .yamlread import YamlRefused, line_of, read_yaml

# Italian for the pydantic error types a plan file can hit.
_PYDANTIC_MESSAGES = {
    "missing": "campo obbligatorio mancante",
    "extra_forbidden": "campo non previsto (controllare il nome)",
    "int_parsing": "atteso un numero intero",
    "int_type": "atteso un numero intero",
    "int_from_float": "atteso un numero intero, senza decimali",
    "float_parsing": "atteso un numero",
    "float_type": "atteso un numero",
    "string_type": "atteso un testo",
    "bool_parsing": "atteso sì/no (true/false)",
    "bool_type": "atteso sì/no (true/false)",
    "date_from_datetime_parsing": "attesa una data (2023-06-30 oppure 30/06/2023)",
    "date_parsing": "attesa una data (2023-06-30 oppure 30/06/2023)",
    "date_type": "attesa una data (2023-06-30 oppure 30/06/2023)",
    "list_type": "atteso un elenco (righe che iniziano con «- »)",
    "tuple_type": "atteso un elenco (righe che iniziano con «- »)",
    "model_type": "attesa una sezione con campi (chiave: valore)",
    "dict_type": "attesa una sezione con campi (chiave: valore)",
    "enum": "valore non ammesso",
    "string_too_short": "non può essere vuoto",
    "too_short": "l'elenco non può essere vuoto",
    "string_pattern_mismatch": "solo lettere, cifre, - e _ (al massimo 12)",
    "greater_than_equal": "valore troppo piccolo",
    "less_than_equal": "valore troppo grande",
    "finite_number": "atteso un numero finito (.inf e .nan non sono numeri da scheda)",
    "greater_than": "valore troppo piccolo",
    "less_than": "valore troppo grande",
    "string_too_long": "testo troppo lungo",
    "too_long": "elenco troppo lungo",
    "literal_error": "valore non ammesso",
    "union_tag_invalid": "valore non ammesso",
    "decimal_parsing": "atteso un numero",
    "datetime_parsing": "attesa una data (2023-06-30 oppure 30/06/2023)",
    "date_from_datetime_inexact": "attesa una data senza ora (2023-06-30)",
    "dict_attributes_type": "attesa una sezione con campi (chiave: valore)",
    "is_instance_of": "valore di tipo non ammesso",
    "frozen_set_type": "atteso un elenco (righe che iniziano con «- »)",
    "set_type": "atteso un elenco (righe che iniziano con «- »)",
}


class PlanResult(Result):
    """A plan file read: the plan (None when it could not be built) and every finding."""

    plan: Plan | None
    """The plan; None when the file could not be read or validated at all."""
    findings: list[Finding] = []
    """Every problem of the file, errors, warnings and notes, in file order."""

    @property
    def ok(self) -> bool:
        """True when the plan was built and no finding is an error."""
        return self.plan is not None and not has_errors(self.findings)

    def require(self) -> Plan:
        """The plan, for a caller that cannot go on without it: `SchedeError` with the findings otherwise."""
        if self.plan is None or has_errors(self.findings):
            raise SchedeError([f for f in self.findings if f.severity is Severity.ERROR])
        return self.plan


def dotted(path) -> str:
    """A key path as a user reads it: `obiettivi[3].indicatori.quantita[0].atteso`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(error: dict) -> str:
    if error["type"] == "value_error":  # raised by our own validators, already in Italian
        return str(error.get("ctx", {}).get("error", error["msg"]))
    message = _PYDANTIC_MESSAGES.get(error["type"])
    if error["type"] == "enum":
        expected = error.get("ctx", {}).get("expected", "")
        return f"valore «{error.get('input')}» non ammesso; ammessi: {expected}"
    if error["type"] in ("greater_than_equal", "less_than_equal"):
        bound = error.get("ctx", {}).get("ge", error.get("ctx", {}).get("le"))
        word = "almeno" if error["type"] == "greater_than_equal" else "al massimo"
        return f"trovato {error.get('input')!r}, atteso {word} {bound}"
    if message and error["type"] not in ("missing", "extra_forbidden"):
        return f"{message}, trovato {_shown_input(error.get('input'))}"
    # pydantic explains in English: a type this table does not know still gets an Italian message.
    return message or f"valore non valido, trovato {_shown_input(error.get('input'))}"


def _shown_input(value) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 80 else text[:79] + "…"


def parse_plan(text: str, file: str | None = None) -> PlanResult:
    """Parse and check a plan written as YAML; no file I/O."""
    with _collector_paused():
        try:
            data, node, yaml_findings = read_yaml(text, file)
        except YamlRefused as error:
            return PlanResult(plan=None, findings=error.findings)
        if not isinstance(data, dict):
            return PlanResult(plan=None, findings=[finding("PLAN_001", file=file, detail="atteso un documento YAML con le sezioni ente, anno, settori, obiettivi")])
        result = plan_from_data(data, file=file, locate=lambda path: line_of(node, path))
    if not yaml_findings:
        return result
    # A refused scalar or a duplicate key means the data is not what the file says: no plan.
    refused = any(f.severity is Severity.ERROR for f in yaml_findings)
    return PlanResult(plan=None if refused else result.plan, findings=yaml_findings + result.findings)


@contextmanager
def _collector_paused():
    """The cyclic garbage collector off while a plan is read: it would walk the new objects again and again
    (a third of the time of a 5,000-objective plan), and the reading leaves no cycles to collect."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def plan_from_data(data: dict, *, file: str | None = None, locate=lambda path: None) -> PlanResult:
    """Validate already-parsed plan data (YAML or a plan workbook) into a `Plan` and check it.

    `locate(path)` says where a key path is, for the findings: a line number (a YAML file), or
    a dict of location fields (a plan workbook: `sheet`, `cell`, and `path`, the column name a
    user sees, which then replaces the dotted key path).
    """

    def place(path):
        found = locate(path)
        where = {"file": file, "path": dotted(path)}
        where.update(found if isinstance(found, dict) else {"line": found})
        return where

    data, named = _entity_without_comune_di(data, place)
    try:
        plan = Plan.model_validate(data)
    except ValidationError as errors:
        findings = list(named)
        for error in errors.errors():
            where = place(tuple(error["loc"]))
            findings.append(finding("PLAN_003", **where, field=where["path"] or "piano", detail=_describe(error)))
        # Unknown keys alone: check the rest too, so that every problem of the file shows at once.
        if all(error["type"] == "extra_forbidden" for error in errors.errors()):
            try:
                rest = Plan.model_validate(_without(data, [tuple(error["loc"]) for error in errors.errors()]))
            except ValidationError:
                rest = None
            if rest is not None:
                findings += check_plan(rest, place)
        return PlanResult(plan=None, findings=findings)
    return PlanResult(plan=plan, findings=named + check_plan(plan, place))


_COMUNE_DI = re.compile(r"^\s*comune\s+di\s+", re.IGNORECASE)


def _entity_without_comune_di(data: dict, place) -> tuple[dict, list]:
    """`ente: Comune di Caluso` read as `Caluso` (the sheets write «Comune di» themselves), with a warning."""
    entity = data.get("ente")
    if not isinstance(entity, str) or not _COMUNE_DI.match(entity) or not _COMUNE_DI.sub("", entity).strip():
        return data, []
    name = _COMUNE_DI.sub("", entity).strip()
    return {**data, "ente": name}, [finding("PLAN_020", **place(("ente",)), found=entity.strip(), name=name)]


def _without(data, paths: list[tuple]):
    """A copy of `data` without the keys at `paths` (each a path of keys and list indexes)."""
    if not paths:
        return data
    dropped = {p[0] for p in paths if len(p) == 1}
    deeper: dict[object, list[tuple]] = {}
    for p in paths:
        if len(p) > 1:
            deeper.setdefault(p[0], []).append(p[1:])
    if isinstance(data, dict):
        return {k: _without(v, deeper.get(k, [])) for k, v in data.items() if k not in dropped}
    if isinstance(data, list):
        return [_without(v, deeper.get(i, [])) for i, v in enumerate(data)]
    return data
