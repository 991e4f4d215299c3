"""Score the returns: indicators, the two averages, objectives, sectors, people, the ente.

`evaluate(plan, objectives, round_, overrides)` takes the records the importer produced and
applies the plan's `ScoringPolicy` (SCORING.md's defaults unless the plan overrides them). An
evaluator's override of one indicator or one objective (`Override`) replaces the computed value
and is marked wherever it appears. The result is plain records plus findings.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from pydantic import BaseModel, ConfigDict, Field
from typing import Sequence

from ..findings import Finding, Result, finding
from ..italian import SCORE_DECIMALS, day, number, percent, rounded
from ..sheet.layout import ROUND_LABELS, TIME_KINDS, VALUE_KINDS
from ..plan.model import IndicatorKind, Objective, Plan, ScoringPolicy
from ..returns.model import Achieved, ObjectiveReturn
from ..plan.rules import counted_achievement, deviation, group_average
from ..plan.targets import Target, TargetKind

DIRECT = "valutazione diretta"  # what status, Consegne and the counts say of the Segretario: nothing to return
MET, PARTIAL, NOT_MET, LATE, MISSING, NOT_DUE, OVERRIDDEN = (
    "raggiunto", "parziale", "non raggiunto", "in ritardo", "mancante", "non ancora dovuto", "valutato")


def band(score: float | None, policy: ScoringPolicy) -> str:
    """The band of a score as every reader sees it, to one decimal: 89.96 is shown 90,0 and is raggiunto."""
    if score is None:
        return "non valutabile"
    shown = rounded(score, SCORE_DECIMALS)
    if shown >= policy.achieved_threshold:
        return "raggiunto"
    if shown >= policy.partial_threshold:
        return "parzialmente raggiunto"
    return "non raggiunto"


class Score(BaseModel):
    model_config = ConfigDict(frozen=True)


class Override(Score):
    """An evaluator's assessment replacing a computed value: of an indicator (kind and index set) or of an objective."""

    sector: str = Field(description="code of the sector the assessment is for")
    objective: str = Field(description="objective key, e.g. FIN/1")
    score: float = Field(ge=0, le=100, description="the assessed achievement, 0-100")
    kind: IndicatorKind | None = Field(default=None, description="the indicator's block; None for the whole objective")
    index: int | None = Field(default=None, description="the indicator's 1-based position in its block")
    note: str = Field(default="", description="the evaluator's note, shown beside the value")
    by: str = Field(default="", description="who assessed it (the overrides file's «valutatore» column)")


class IndicatorScore(Score):
    """One indicator of one sector's sheet, scored."""

    sector: str = Field(description="the reporting sector's code")
    objective: str = Field(description="objective key")
    kind: IndicatorKind = Field(description="the block: quantita, tempo, costo or qualita")
    index: int = Field(description="1-based position within its block")
    description: str = Field(description="the indicator as the plan writes it")
    target: str = Field(description="ATTESO as written")
    target_kind: TargetKind = Field(description="what ATTESO means: percentage, number, deadline, ...")
    achieved: Achieved = Field(description="RAGGIUNTO as read (fraction, number, date, bool) or None")
    deviation: float | None = Field(description="Scost.: raggiunto - atteso, days late, periods short")
    achievement: float | None = Field(description="0-100, or None when not counted")
    status: str = Field(description="raggiunto, parziale, non raggiunto, in ritardo, mancante, non ancora dovuto, valutato")
    counted: bool = Field(description="whether it enters the averages")
    overridden: bool = Field(default=False, description="True when the evaluator's assessment replaced the computed value")
    note: str = Field(default="", description="the evaluator's note")


class ObjectiveScore(Score):
    """One objective of one sector, scored."""

    sector: str = Field(description="the reporting sector's code")
    objective: str = Field(description="objective key, e.g. TUTTI/1 or FIN/2")
    number: int = Field(description="the objective's number within its sector")
    title: str = Field(description="the objective's title")
    weight: int = Field(description="PESO in the reporting sector")
    cross_cutting: bool = Field(description="True for the TUTTI objectives every sector reports on")
    returned: bool = Field(description="whether the sector returned this sheet")
    value_score: float | None = Field(description="MEDIA VALORE RAGGIUNTO %")
    time_score: float | None = Field(description="MEDIA RISPETTO DEI TEMPI %")
    score: float | None = Field(description="the objective's score, 0-100; None when it cannot be assessed")
    band: str = Field(description="raggiunto, parzialmente raggiunto, non raggiunto or non valutabile, by the policy's thresholds")
    overridden: bool = Field(default=False, description="True when the evaluator's assessment replaced the computed score")
    note: str = Field(default="", description="the evaluator's note")

    @property
    def contribution(self) -> float | None:
        """Weighted contribution to the sector score (peso x punteggio / 100)."""
        return None if self.score is None else self.weight * self.score / 100


class SectorScore(Score):
    """A sector's score over its own and the cross-cutting objectives."""

    sector: str = Field(description="sector code")
    name: str = Field(description="sector name")
    head: str = Field(description="the sector head's name")
    expected: int = Field(description="sheets the sector reports on; 0 for a directly assessed one, which returns none")
    returned: int = Field(description="sheets it returned")
    score: float | None = Field(description="sum(peso x objective score) / sum(peso), 0-100; None when nothing can be assessed")
    band: str = Field(description="raggiunto, parzialmente raggiunto, non raggiunto or non valutabile, by the policy's thresholds")


class PersonScore(Score):
    """A person's score, weighted by participation over the objectives they worked on."""

    sector: str = Field(description="the sector whose sheets list the person")
    name: str = Field(description="Cognome e Nome as written on the sheets")
    category: str = Field(description="Cat. as written on the sheets")
    shares: dict[str, float] = Field(description="participation by objective key, as fractions")
    unfilled: tuple[str, ...] = Field(default=(), description="keys of the objectives whose sheet lists the person without a % partecipazione")
    total: float = Field(description="sum of the shares; 1.0 is 100%")
    score: float | None = Field(description="sum(share x objective score) / sum(share), 0-100; None without shares")


class Evaluation(Result):
    """Every score of a round, with the policy that produced them and the findings."""

    plan: Plan
    """The plan, whose `scoring` section is the policy in force."""
    round: str
    """interim or final."""
    indicators: list[IndicatorScore]
    """Every indicator of every sheet that counts."""
    objectives: list[ObjectiveScore]
    """Every objective of every sector, returned or not."""
    sectors: list[SectorScore]
    """Every sector's score."""
    people: list[PersonScore]
    """Every person named on the sheets, by sector."""
    ente_score: float | None
    """The ente's score, 0-100; None when no sector can be assessed."""
    ente_band: str
    """The ente's band."""
    findings: list[Finding] = []
    """What the scoring found: missing values, totals of participation other than 100%..."""

    def rules(self) -> list[tuple[str, str]]:
        """The scoring rules in force, as (rule, value) lines in Italian."""
        p = self.plan.scoring
        weights = ", ".join(f"{k} {number(v, None)}" for k, v in p.sector_weights.items()) or "uguali"
        return [
            ("Verifica", f"{ROUND_LABELS[self.round]} al {self.review_date:%d/%m/%Y}"),
            ("Percentuali e numeri (più è meglio)", "raggiunto / atteso x 100, al massimo 100; atteso 0: 100"),
            ("Costi e attesi «meno è meglio»", "100 se raggiunto <= atteso, altrimenti atteso / raggiunto x 100"),
            ("Attesi «nessuno»", "100 se 0 casi, altrimenti 0"),
            ("Scadenze (date, mesi)", f"100 entro la scadenza; in ritardo scende linearmente a 0 a {p.late_zero_days} giorni"),
            ("Entro N giorni", f"100 entro N giorni; oltre scende linearmente a 0 a N + {p.late_zero_days} giorni"),
            ("Periodici (mensile, trimestrale, entro il 5 del mese)", "scadenze rispettate / scadenze dovute alla data della verifica x 100"),
            ("Sì/No e qualitativi", "Sì 100, No 0"),
            ("Indicatori non ancora dovuti", "alla verifica intermedia, un indicatore con scadenza successiva alla verifica e non ancora completato: mostrato, non in media; un periodico senza scadenze ancora dovute: mai in media"),
            ("RAGGIUNTO non compilato", "segnalato; se l'indicatore è dovuto conta 0, in entrambe le verifiche: lasciare vuoto non alza mai una media"),
            ("RAGGIUNTO scritto come testo", "un numero o una data scritti come testo (es. «95%» incollato) non contano, né sulla scheda né nel riepilogo; segnalati da riscrivere"),
            ("Completamento dopo la data della verifica", "la data conta come scritta (le schede si compilano spesso qualche giorno dopo), con un avviso"),
            ("MEDIA VALORE RAGGIUNTO %", "media degli indici di Quantità, Costo e Qualità"),
            ("MEDIA RISPETTO DEI TEMPI %", "media degli indici di Tempo, qualunque sia il tipo di atteso (anche Sì/No e periodici): decide il blocco in cui il piano lo mette"),
            ("Medie sulla scheda", "le formule della scheda applicano le stesse regole: restano vuote solo se nel gruppo nessun indicatore è ancora dovuto"),
            ("Obiettivo senza medie", "«non valutabile» solo quando nessun indicatore è ancora dovuto: escluso dal punteggio del settore"),
            ("Scheda non restituita", "come una scheda lasciata vuota: gli indicatori dovuti contano 0"),
            ("Punteggio obiettivo", f"media pesata delle medie presenti: valore {number(p.value_weight, None)}, tempi {number(p.time_weight, None)}; senza indici: valutazione diretta"),
            ("Punteggio settore", "somma (peso x punteggio obiettivo) / somma pesi, obiettivi trasversali compresi"),
            ("Punteggio persona", "somma (% partecipazione x punteggio obiettivo) / somma % partecipazione"),
            ("Persona ripetuta nella stessa scheda", "le quote si sommano, con un avviso"),
            ("Persona senza % partecipazione", "punteggio non calcolato finché la % manca, con un avviso"),
            ("Punteggio ente", f"media dei punteggi dei settori; pesi: {weights}; i settori a valutazione diretta (Segretario) solo se hanno un peso in pesi_settori"),
            ("Fasce", f">= {number(p.achieved_threshold, None)} raggiunto; >= {number(p.partial_threshold, None)} parzialmente raggiunto; sotto non raggiunto; "
                       "sul punteggio come è mostrato, a un decimale"),
            ("Valutazioni del Nucleo/OIV", "sostituiscono il valore calcolato e sono indicate come tali"),
        ]

    @property
    def review_date(self):
        return self.plan.interim_review if self.round == "interim" else self.plan.final_review


def person_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _score_indicator(plan, record_sector, objective: Objective, kind, index, indicator, achieved, round_, overrides):
    policy, final = plan.scoring, round_ == "final"
    review_date = plan.interim_review if round_ == "interim" else plan.final_review
    target: Target = indicator.parsed_target(plan.year, cost=kind is IndicatorKind.COST)
    override = overrides.get((record_sector, objective.key, kind, index))
    value = counted_achievement(target, achieved, review_date, policy, final=final)
    if override is not None:
        value, status = override.score, OVERRIDDEN
    elif value is None:
        status = NOT_DUE
    elif achieved is None:
        status = MISSING
    elif target.kind is TargetKind.DEADLINE and achieved > target.deadline:
        status = LATE
    else:
        status = MET if value >= 100 else PARTIAL if value > 0 else NOT_MET
    counted = value is not None
    return IndicatorScore(sector=record_sector, objective=objective.key, kind=kind, index=index,
                          description=indicator.description, target=indicator.target, target_kind=target.kind,
                          achieved=achieved, deviation=deviation(target, achieved, review_date), achievement=value,
                          status=status, counted=counted, overridden=override is not None,
                          note=override.note if override else "")


def _weighted(pairs) -> float | None:
    pairs = [(w, s) for w, s in pairs if s is not None and w > 0]
    total = sum(w for w, _ in pairs)
    return sum(w * s for w, s in pairs) / total if total else None


def evaluate(plan: Plan, records: Sequence[ObjectiveReturn], round_: str, overrides: Sequence[Override] = ()) -> Evaluation:
    """All the scores of one round from the imported records."""
    policy, final = plan.scoring, round_ == "final"
    returned = {(r.sector, r.objective): r for r in records if r.round == round_}
    indicator_overrides = {(o.sector, o.objective, o.kind, o.index): o for o in overrides if o.kind is not None}
    objective_overrides = {(o.sector, o.objective): o for o in overrides if o.kind is None}
    findings: list[Finding] = []
    for o in overrides:
        if not plan.reports(o.sector, o.objective):
            findings.append(finding("EVAL_001", sector=o.sector, objective=o.objective))

    indicators, objectives = [], []
    for sector in plan.sectors:
        for objective in plan.objectives_of(sector):
            record = returned.get((sector.code, objective.key))
            achieved = {(i.kind, i.index): i.achieved for i in record.indicators} if record else {}
            scores = []
            for kind, block in objective.indicators.by_kind():
                for index, indicator in enumerate(block, start=1):
                    scores.append(_score_indicator(plan, sector.code, objective, kind, index, indicator,
                                                   achieved.get((kind, index)), round_, indicator_overrides))
            indicators.extend(scores)
            if record is not None:
                _late_completions(record, scores, plan, round_, findings)
            value_score = group_average(s.achievement for s in scores if s.kind in VALUE_KINDS)
            time_score = group_average(s.achievement for s in scores if s.kind in TIME_KINDS)
            score = _weighted([(policy.value_weight, value_score), (policy.time_weight, time_score)])
            override = objective_overrides.get((sector.code, objective.key))
            if override is not None:
                score = override.score
            elif sector.direct_assessment:
                score = None
            elif record is None and final:
                score = 0.0
            objectives.append(ObjectiveScore(
                sector=sector.code, objective=objective.key, number=objective.number, title=objective.title,
                weight=objective.weight, cross_cutting=objective.cross_cutting,
                returned=record is not None and not sector.direct_assessment,  # a copy sent back is not a return
                value_score=value_score, time_score=time_score, score=score, band=band(score, policy),
                overridden=override is not None, note=override.note if override else ""))
            if sector.direct_assessment and override is None:
                findings.append(finding("EVAL_002", sector=sector.code, objective=objective.key))

    sectors = []
    by_sector: dict[str, list[ObjectiveScore]] = {}
    for scored in objectives:
        by_sector.setdefault(scored.sector, []).append(scored)
    for sector in plan.sectors:
        own = by_sector.get(sector.code, [])
        score = _weighted([(o.weight, o.score) for o in own])
        expected = 0 if sector.direct_assessment else len(own)  # the Segretario returns no sheet
        sectors.append(SectorScore(sector=sector.code, name=sector.name, head=sector.head, expected=expected,
                                   returned=sum(o.returned for o in own), score=score, band=band(score, policy)))
    ente = _weighted([(ente_weight(plan, s.sector), s.score) for s in sectors])
    people = _people(plan, records, round_, objectives, findings)
    return Evaluation(plan=plan, round=round_, indicators=indicators, objectives=objectives, sectors=sectors, people=people,
                      ente_score=ente, ente_band=band(ente, policy), findings=findings)


def _late_completions(record: ObjectiveReturn, scores: list[IndicatorScore], plan: Plan, round_: str, findings) -> None:
    """A completion date after the review date counts as written (the sheet is often filled days later), with a warning."""
    review_date = plan.interim_review if round_ == "interim" else plan.final_review
    cells = {(i.kind, i.index): i.cell for i in record.indicators}
    for s in scores:
        if s.target_kind is TargetKind.DEADLINE and isinstance(s.achieved, date) and s.achieved > review_date:
            findings.append(finding("EVAL_006", file=record.file, sheet=record.sheet, cell=cells.get((s.kind, s.index)),
                                    indicator=s.description[:50], found=day(s.achieved), review=day(review_date)))


def ente_weight(plan: Plan, code: str) -> float:
    """A sector's weight in the ente score: `pesi_settori`, else 1; 0 for a directly assessed one not named there.

    The Segretario's assessment is not a result of the ente's structure: it enters the ente score
    only when the plan gives it a weight on purpose, so assessing him never moves the ente's score.
    """
    weights = plan.scoring.sector_weights
    if code in weights:
        return weights[code]
    return 0.0 if plan.sector(code).direct_assessment else 1.0


def _people(plan: Plan, records, round_, objectives: list[ObjectiveScore], findings) -> list[PersonScore]:
    scores = {(o.sector, o.objective): o.score for o in objectives}
    people: dict[tuple[str, str], dict] = {}
    for record in records:
        if record.round != round_:
            continue
        seen: set[str] = set()
        for person in record.staff:
            if not person.name:
                continue
            key = person_key(person.name)
            entry = people.setdefault((record.sector, key),
                                      {"name": person.name, "category": person.category, "shares": {}, "blank": []})
            entry["category"] = entry["category"] or person.category
            if key in seen:  # the same person twice on one sheet: the shares add up, and the sheet should say so
                findings.append(finding("EVAL_004", file=record.file, sheet=record.sheet, cell=person.cell,
                                        name=person.name, objective=record.objective))
            seen.add(key)
            if person.participation is None:
                entry["blank"].append(record.objective)
                findings.append(finding("EVAL_005", file=record.file, sheet=record.sheet, cell=person.cell,
                                        name=person.name, objective=record.objective))
            else:
                entry["shares"][record.objective] = entry["shares"].get(record.objective, 0) + person.participation
    out = []
    for (sector, _), entry in sorted(people.items()):
        shares = entry["shares"]
        total = sum(shares.values())
        # A missing share leaves the score open rather than leaving that objective out of it.
        score = None if entry["blank"] else _weighted([(share, scores.get((sector, key))) for key, share in shares.items()])
        if abs(total - 1) > 0.005 and not entry["blank"]:
            findings.append(finding("EVAL_003", sector=sector, name=entry["name"], total=percent(total)))
        out.append(PersonScore(sector=sector, name=entry["name"], category=entry["category"], shares=shares,
                               unfilled=tuple(dict.fromkeys(entry["blank"])), total=total, score=score))
    return out
