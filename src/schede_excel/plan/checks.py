"""Checks on a well-formed plan: weights, numbering, sectors, targets, e-mails, months, heads.

`check_plan(plan, place)` returns findings; `place(path)` turns a key path of the plan file
(Italian keys, list indices) into location fields, so the same checks serve YAML files, plan
workbooks and plans built in code.
"""

from __future__ import annotations

import re
from typing import Callable
from collections import Counter

from ..findings import Finding, finding
from ..italian import number
from .model import CROSS_CUTTING, MAX_DUP_LINKS, IndicatorKind, Plan
from .targets import ACCEPTED_FORMS, TargetError

_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_EXAMPLE_DOMAIN = re.compile(r"@(.+\.)?example\.(org|com|net|it)$", re.IGNORECASE)


# What ends a line somewhere (a mail header, a CSV row, a terminal): CR, LF, and the Unicode
# separators a mail program may treat as one (U+2028 makes a To: header that parses as two).
_LINE_BREAKS = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")
_CHAR_NAMES = {"\r": "a capo (CR)", "\n": "a capo (LF)", "\t": "tabulazione", "\u2028": "separatore di riga U+2028",
               "\u2029": "separatore di paragrafo U+2029", "\x85": "a capo U+0085"}


def line_break(text: str) -> str | None:
    """The Italian name of the first line break or control character in `text`, or None."""
    found = _LINE_BREAKS.search(text or "")
    if not found:
        return None
    ch = found.group()
    return _CHAR_NAMES.get(ch, f"carattere di controllo U+{ord(ch):04X}")


def _no_place(path: tuple[str | int, ...]) -> dict[str, object]:
    return {}


def objective_label(objective) -> str:
    """How messages name an objective: `FIN n° 1 «SPORTELLO UNICO…»`."""
    title = objective.title if len(objective.title) <= 40 else objective.title[:39] + "…"
    return f"{objective.sector} n° {objective.number} «{title}»"


def check_plan(plan: Plan, place: Callable[[tuple[str | int, ...]], dict[str, object]] | None = None) -> list[Finding]:
    """Every problem of a plan, errors and warnings, in file order.

    `place(path)` gives the location fields of a key path (file, line or sheet and cell) for the findings.
    """
    place = place or _no_place
    out: list[Finding] = []
    codes = {s.code for s in plan.sectors}

    if plan.final_review <= plan.interim_review:
        out.append(finding("PLAN_014", **place(("verifica_finale",)),
                           interim=f"{plan.interim_review:%d/%m/%Y}", final=f"{plan.final_review:%d/%m/%Y}"))

    for code, count in Counter(s.code for s in plan.sectors).items():
        if count > 1 or code == CROSS_CUTTING:
            index = next(i for i, s in enumerate(plan.sectors) if s.code == code)
            out.append(finding("PLAN_012", **place(("settori", index, "codice")), sector=code))

    if bad := line_break(plan.entity):
        out.append(finding("PLAN_024", **place(("ente",)), field="ente", char=bad))
    for i, sector in enumerate(plan.sectors):
        for key, text in (("nome", sector.name), ("responsabile", sector.head), ("email", sector.email)):
            if bad := line_break(text):
                out.append(finding("PLAN_024", **place(("settori", i, key)), field=f"settore {sector.code}, {key}", char=bad))
        if not sector.head:
            out.append(finding("PLAN_010", **place(("settori", i)), sector=sector.code))
        if not sector.email:
            if not sector.direct_assessment:  # the Segretario without an address is simply not sent his sheets
                out.append(finding("PLAN_011", **place(("settori", i)), sector=sector.code))
        elif not _EMAIL.match(sector.email):
            out.append(finding("PLAN_009", **place(("settori", i, "email")), sector=sector.code, email=sector.email))
        elif _EXAMPLE_DOMAIN.search(sector.email):
            out.append(finding("PLAN_017", **place(("settori", i, "email")), sector=sector.code, email=sector.email))

    seen: set[tuple[str, int]] = set()
    for i, objective in enumerate(plan.objectives):
        where = ("obiettivi", i)
        label = objective_label(objective)
        if objective.sector != CROSS_CUTTING and objective.sector not in codes:
            out.append(finding("PLAN_008", **place(where + ("settore",)), objective=label,
                               sector=objective.sector, known=", ".join(sorted(codes)) + f", {CROSS_CUTTING}"))
        if (objective.sector, objective.number) in seen:
            out.append(finding("PLAN_006", **place(where + ("numero",)), sector=objective.sector, number=objective.number))
        seen.add((objective.sector, objective.number))
        if len(objective.dup_links) > MAX_DUP_LINKS:
            out.append(finding("PLAN_016", **place(where + ("dup",)), objective=label, count=len(objective.dup_links)))
        for p, phase in enumerate(objective.phases):
            for m, month in enumerate(phase.months):
                if not 1 <= month <= 12:
                    out.append(finding("PLAN_003", **place(where + ("fasi", p, "mesi", m)),
                                       field=f"obiettivo {label}, fase {p + 1}",
                                       detail=f"mese {month} non valido; attesi i numeri da 1 (gennaio) a 12 (dicembre)"))
        if objective.phases and not any(phase.months for phase in objective.phases):
            out.append(finding("PLAN_015", **place(where + ("fasi",)), objective=label))
        owner = plan.find_sector(objective.sector)
        if owner is not None and owner.direct_assessment and len(objective.indicators):
            out.append(finding("PLAN_013", **place(where + ("indicatori",)), objective=label,
                               sector=owner.code, count=len(objective.indicators)))
        for kind, block in objective.indicators.by_kind():
            for k, indicator in enumerate(block):
                try:
                    indicator.parsed_target(plan.year, cost=kind is IndicatorKind.COST)
                except TargetError as error:
                    out.append(finding("PLAN_007", **place(where + ("indicatori", kind.value, k, "atteso")),
                                       objective=label, indicator=indicator.description, text=indicator.target,
                                       detail=str(error), accepted=ACCEPTED_FORMS))

    policy = plan.scoring
    if policy.partial_threshold > policy.achieved_threshold:
        out.append(finding("PLAN_018", **place(("punteggio", "soglia_parziale")),
                           detail=f"la soglia di parzialmente raggiunto ({number(policy.partial_threshold, None)}) supera quella "
                                  f"di raggiunto ({number(policy.achieved_threshold, None)})"))
    if policy.value_weight + policy.time_weight == 0:
        out.append(finding("PLAN_018", **place(("punteggio", "peso_valore")),
                           detail="peso_valore e peso_tempi non possono essere entrambi 0"))
    for code in policy.sector_weights:
        if code not in codes:
            out.append(finding("PLAN_018", **place(("punteggio", "pesi_settori", code)),
                               detail=f"pesi_settori nomina il settore «{code}», che non c'è; settori: {', '.join(sorted(codes))}"))

    out.extend(_weight_totals(plan, place))
    return out


def _weight_totals(plan: Plan, place) -> list[Finding]:
    """Each sector's weights total 100, cross-cutting ones included; one root cause, one error.

    When every sector with indicators misses 100 by the same amount with the same own total,
    the cross-cutting weights are what is wrong: one PLAN_019 on them, not one PLAN_004 per sector.
    """
    out = []
    shared = sum(o.weight for o in plan.objectives if o.cross_cutting)
    wrong = []
    totals: dict[str, int] = {}
    for objective in plan.objectives:
        totals[objective.sector] = totals.get(objective.sector, 0) + objective.weight
    for i, sector in enumerate(plan.sectors):
        own = totals.get(sector.code, 0)
        if sector.direct_assessment:
            if own != 100:
                out.append(finding("PLAN_005", **place(("settori", i)), sector=sector.code, total=own))
        elif own + shared != 100:
            wrong.append(finding("PLAN_004", **place(("settori", i)), sector=sector.code, own=own,
                                 shared=shared, total=own + shared))
    with_indicators = [s for s in plan.sectors if not s.direct_assessment]
    owns = {f.params["own"] for f in wrong}
    first_shared = next((i for i, o in enumerate(plan.objectives) if o.cross_cutting), None)
    if len(with_indicators) > 1 and len(wrong) == len(with_indicators) and len(owns) == 1 and first_shared is not None:
        own = owns.pop()
        return out + [finding("PLAN_019", **place(("obiettivi", first_shared, "peso")), shared=shared, own=own,
                              expected=100 - own, sectors=len(wrong))]
    return out + wrong
