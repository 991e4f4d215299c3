"""Plan data written as a readable YAML plan file, with comments where the office has to look.

`plan_to_yaml(data, comments)` writes plan data (the plan file's Italian keys, in the order
given) the way `schede/caluso-2023.yaml` is written: two-space indents, lists of sections as
`- key: value`, months as `[3, 4, 5]`, long texts as folded blocks wrapped at 100 columns
(a blank line for each line break), and comment lines above the keys they concern.
`plan_data(plan)` gives the data of a `Plan`, leaving out what is at its default. Reading the
text back gives the same data: scalars that YAML would read as something else are quoted.
"""

from __future__ import annotations

import re
from datetime import date

import yaml

from .model import Plan, ScoringPolicy
from .yamlread import reads_as_text

WIDTH = 100
_SPACED = ("settori", "obiettivi", "punteggio")  # top-level sections set apart by a blank line


def _plain_scalar(value) -> str:
    # Non-printable characters (NEL, line separators) are only safe escaped, in double quotes.
    printable = not isinstance(value, str) or value.isprintable()
    text = yaml.safe_dump(value, allow_unicode=printable, width=10**9, default_flow_style=True)
    text = text.removesuffix("\n").removesuffix("\n...").strip()
    if isinstance(value, str) and text == value and not reads_as_text(text):
        # PyYAML (YAML 1.1) leaves 08 or 1_0 bare; the plan loader (YAML 1.2, stricter) needs them quoted.
        text = yaml.safe_dump(value, allow_unicode=printable, width=10**9, default_style='"').strip()
        text = text.removesuffix("\n...").strip()
    return text


def _foldable(text: str) -> bool:
    return all(line.isprintable() and line == line.strip() for line in text.split("\n")) and text == text.strip()


def _literal_ok(text: str) -> bool:
    lines = text.split("\n")
    return (all(line.isprintable() for line in lines) and text == text.strip()
            and all(line == line.rstrip() for line in lines))


def _wrap(text: str, width: int) -> list[str]:
    # A line break folds back into one space: break only at a single space between two words.
    lines, current = [], ""
    for word in re.split(r"(?<=\S) (?=\S)", text):
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    return lines + [current]


def scalar(value, indent: int, room: int) -> list[str]:
    """A value as YAML: one piece to put after `key: `, then continuation lines already indented.

    `indent` is the indentation of the key; `room` the columns left after `key: `.
    """
    if isinstance(value, str) and (len(value) > room or "\n" in value) and _foldable(value):
        # In a folded block a blank line stands for a line break of the text.
        lines = []
        for n, paragraph in enumerate(value.split("\n")):
            lines += [""] * (n > 0) + (_wrap(paragraph, WIDTH - indent - 2) if paragraph else [])
        return [">-"] + [(" " * (indent + 2) + line) if line else "" for line in lines]
    if isinstance(value, str) and "\n" in value and _literal_ok(value):
        return ["|-"] + [(" " * (indent + 2) + line) if line else "" for line in value.split("\n")]
    if isinstance(value, date):
        return [value.isoformat()]
    return [_plain_scalar(value)]


def _flow(values: list) -> str:
    return "[" + ", ".join(_plain_scalar(v) for v in values) + "]"


def _emit(data: dict, path: tuple, indent: int, comments: dict, out: list[str]) -> None:
    pad = " " * indent
    for key, value in data.items():
        here = path + (key,)
        if indent == 0 and key in _SPACED:
            out.append("")
        out.extend(f"{pad}# {line}" if line else f"{pad}#" for line in comments.get(here, ()))
        if isinstance(value, dict) and value:
            out.append(f"{pad}{key}:")
            _emit(value, here, indent + 2, comments, out)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out.append(f"{pad}{key}:")
            for i, item in enumerate(value):
                if indent == 0 and key == "obiettivi" and i:
                    out.append("")
                out.extend(f"{pad}  # {line}" if line else f"{pad}  #" for line in comments.get(here + (i,), ()))
                lines: list[str] = []
                _emit(item, here + (i,), indent + 4, comments, lines)
                first = next(n for n, line in enumerate(lines) if not line.lstrip().startswith("#"))
                lines[:first] = [f"{pad}  {line.lstrip()}" for line in lines[:first]]
                lines[first] = f"{pad}  - {lines[first][indent + 4:]}"
                out.extend(lines)
        elif isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
            out.append(f"{pad}{key}: {_flow(value)}")
        elif isinstance(value, list) and value:
            out.append(f"{pad}{key}:")
            for item in value:
                first, *rest = scalar(item, indent + 2, WIDTH - indent - 4)
                out.append(f"{pad}  - {first}")
                out.extend(rest)
        elif isinstance(value, (list, dict)):
            out.append(f"{pad}{key}: {'[]' if isinstance(value, list) else '{}'}")
        else:
            first, *rest = scalar(value, indent, WIDTH - indent - len(str(key)) - 2)
            out.append(f"{pad}{key}: {first}")
            out.extend(rest)


def plan_to_yaml(data: dict, comments: dict[tuple, list[str]] | None = None) -> str:
    """The plan data as YAML text; `comments[path]` are comment lines written above that key.

    The path of a key is as in the findings (`("obiettivi", 3, "peso")`); `()` is the top of
    the file and `("obiettivi", 3)` the objective as a whole.
    """
    comments = comments or {}
    out = [f"# {line}" if line else "#" for line in comments.get((), ())]
    _emit(data, (), 0, comments, out)
    return "\n".join(out).lstrip("\n") + "\n"


def plan_data(plan: Plan) -> dict:
    """A plan as plan-file data in the usual key order, without the values left at their default."""
    data: dict = {"ente": plan.entity, "anno": plan.year}
    if plan.triennium:
        data["triennio"] = plan.triennium
    if plan.title:
        data["titolo"] = plan.title
    data |= {"verifica_intermedia": plan.interim_review, "verifica_finale": plan.final_review,
             "righe_personale": plan.staff_rows}
    data["settori"] = []
    for sector in plan.sectors:
        item = {"codice": sector.code, "nome": sector.name, "responsabile": sector.head, "email": sector.email}
        if sector.direct_assessment:
            item["valutazione_diretta"] = True
        data["settori"].append(item)
    data["obiettivi"] = [_objective_data(o) for o in plan.objectives]
    scoring = plan.scoring.model_dump(by_alias=True, exclude_defaults=True)
    if scoring:
        defaults = ScoringPolicy().model_dump(by_alias=True)
        data["punteggio"] = {key: scoring[key] for key in defaults if key in scoring}
    return data


def _objective_data(objective) -> dict:
    item = {"settore": objective.sector, "numero": objective.number, "peso": objective.weight, "titolo": objective.title}
    if objective.description:
        item["descrizione"] = objective.description
    if objective.dup_links:
        item["dup"] = list(objective.dup_links)
    if objective.phases:
        item["fasi"] = [{"descrizione": p.description, **({"mesi": list(p.months)} if p.months else {})}
                        for p in objective.phases]
    blocks = {}
    for kind, block in objective.indicators.by_kind():
        if block:
            blocks[kind.value] = [_indicator_data(i) for i in block]
    if blocks:
        item["indicatori"] = blocks
    return item


def _indicator_data(indicator) -> dict:
    item = {"descrizione": indicator.description, "atteso": indicator.target}
    if indicator.kind is not None:
        item["tipo"] = indicator.kind.value
    if indicator.better is not None:
        item["migliore"] = indicator.better.value
    if indicator.start is not None:
        item["dal"] = indicator.start
    return item


def plan_to_yaml_text(plan: Plan) -> str:
    """A plan as the text of a plan file: read back, it gives the same plan."""
    return plan_to_yaml(plan_data(plan))
