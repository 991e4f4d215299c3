"""The seven choices the scoring rules left open, each decided on purpose (README, «Le regole di punteggio»).

Each test names its rule as the README and the Regole sheet number it; where a choice could let
a score rise by leaving something blank, the test checks that it cannot.
"""

from __future__ import annotations

from datetime import date

import pytest

from schede_excel.plan.parse import parse_plan
from schede_excel.italian import number
from schede_excel.plan.model import ScoringPolicy
from schede_excel.scoring.evaluate import MISSING, NOT_DUE, NOT_MET, PARTIAL, Override, band, evaluate
from tests.plans import as_yaml, small_plan_data
from tests.test_evaluate import C, L, Q, T, by_objective, record

# FIN/1, every indicator filled: 3 of 6 monthly reports, no rejections, checked in 45 days,
# 6 of 6 reports by the 5th, 1.250 spent of 1.000, solleciti tempestivi.
FIN1 = {(Q, 1): 3.0, (Q, 2): 0.0, (T, 1): 45.0, (T, 2): 6.0, (C, 1): 1250.0, (L, 1): True}
# Values per indicator from good to bad, to try against a blank.
TRIES = {(Q, 1): (6.0, 1.0, 0.0), (Q, 2): (0.0, 4.0), (T, 1): (10.0, 200.0), (T, 2): (6.0, 0.0),
         (C, 1): (500.0, 10**9), (L, 1): (True, False)}


def plan_of(**changes):
    return parse_plan(as_yaml(small_plan_data(**changes))).plan


@pytest.fixture(scope="module")
def plan():
    return plan_of()


def score_of(plan, values, round_="interim", key="FIN/1"):
    return by_objective(evaluate(plan, [record("FIN", key, values, round_)], round_), "FIN", key)


@pytest.mark.parametrize("round_", ["interim", "final"])
def test_rule_1_a_blank_on_a_due_indicator_counts_0_and_never_raises_a_score(plan, round_):
    values = FIN1 | {(C, 1): None}
    ev = evaluate(plan, [record("FIN", "FIN/1", values, round_)], round_)
    cost = next(i for i in ev.indicators if i.objective == "FIN/1" and i.kind is C)
    assert (cost.status, cost.counted, cost.achievement) == (MISSING, True, 0.0)
    reports = 50 if round_ == "interim" else 25  # 3 of the 6 (12) monthly reports due
    assert by_objective(ev, "FIN", "FIN/1").value_score == pytest.approx((reports + 100 + 0 + 100) / 4)
    for slot, tries in TRIES.items():
        blank = score_of(plan, FIN1 | {slot: None}, round_).score
        for value in tries:
            assert blank <= score_of(plan, FIN1 | {slot: value}, round_).score, (slot, value)


def test_rule_1_a_later_deadline_left_blank_at_the_interim_is_not_due(plan):
    ev = evaluate(plan, [record("FIN", "TUTTI/1", {(Q, 1): 0.9, (T, 1): date(2023, 1, 20), (T, 2): None, (L, 1): 1.0})],
                  "interim")
    later = next(i for i in ev.indicators if i.objective == "TUTTI/1" and i.kind is T and i.index == 2)
    assert (later.status, later.counted) == (NOT_DUE, False)
    assert by_objective(ev, "FIN", "TUTTI/1").time_score == 100


def test_rule_2_a_completion_date_after_the_review_date_counts_as_written_with_a_warning(plan):
    ev = evaluate(plan, [record("PM", "PM/1", {(T, 1): date(2023, 7, 10)})], "interim")
    assert by_objective(ev, "PM", "PM/1").time_score == pytest.approx(100 - 10 * 100 / 90)
    assert "EVAL_006" in [f.code for f in ev.findings]
    ev = evaluate(plan, [record("PM", "PM/1", {(T, 1): date(2023, 6, 10)})], "interim")
    assert "EVAL_006" not in [f.code for f in ev.findings]


def test_rule_3_an_objective_is_left_out_only_when_nothing_is_due_yet():
    data = small_plan_data()
    data["obiettivi"][3]["indicatori"]["tempo"][0]["atteso"] = "settembre"  # PM/1 due after the interim
    plan = parse_plan(as_yaml(data)).plan
    tutti = {(Q, 1): 0.9, (T, 1): date(2023, 1, 20), (T, 2): None, (L, 1): 1.0}
    ev = evaluate(plan, [record("PM", "TUTTI/1", tutti), record("PM", "PM/1", {(T, 1): None})], "interim")
    pm1 = by_objective(ev, "PM", "PM/1")
    assert pm1.score is None and pm1.band == "non valutabile"
    assert next(s for s in ev.sectors if s.sector == "PM").score == 100  # TUTTI/1 alone
    # Not returned is like blank: TUTTI/1's due indicators count 0, so the sector cannot gain by not returning it.
    ev = evaluate(plan, [record("PM", "PM/1", {(T, 1): None})], "interim")
    assert by_objective(ev, "PM", "TUTTI/1").score == 0
    assert next(s for s in ev.sectors if s.sector == "PM").score == 0


def test_rule_4_the_segretario_enters_the_ente_score_only_with_a_weight_of_his_own(plan):
    records = [record("FIN", "FIN/2", {(Q, 1): 4.0}), record("PM", "PM/1", {(T, 1): date(2023, 6, 1)})]
    nucleo = [Override(sector="SEG", objective="SEG/1", score=20.0)]
    without, assessed = evaluate(plan, records, "interim"), evaluate(plan, records, "interim", nucleo)
    assert without.ente_score == assessed.ente_score
    weighted = plan_of(punteggio={"pesi_settori": {"SEG": 1}})
    ev = evaluate(weighted, records, "interim", nucleo)
    sectors = {s.sector: s.score for s in ev.sectors}
    assert ev.ente_score == pytest.approx((sectors["FIN"] + sectors["PM"] + 20) / 3)


def test_rule_5_the_same_person_twice_on_a_sheet_sums_with_a_warning(plan):
    staff = [("Verdi Anna", 0.3), ("verdi  anna", 0.7)]
    ev = evaluate(plan, [record("FIN", "FIN/1", FIN1, staff=staff)], "interim")
    verdi = next(p for p in ev.people if p.name == "Verdi Anna")
    assert verdi.shares == {"FIN/1": pytest.approx(1.0)}
    assert [f.code for f in ev.findings].count("EVAL_004") == 1


def test_rule_6_a_missing_share_leaves_the_person_score_open(plan):
    good = {(Q, 1): 4.0}
    records = [record("FIN", "FIN/1", FIN1 | {(C, 1): 10**9}, staff=[("Verdi Anna", None)]),
               record("FIN", "FIN/2", good, staff=[("Verdi Anna", 1.0)])]
    ev = evaluate(plan, records, "interim")
    verdi = next(p for p in ev.people if p.name == "Verdi Anna")
    assert verdi.score is None  # not FIN/2's 100 alone: leaving FIN/1's share blank gains nothing
    assert "EVAL_005" in [f.code for f in ev.findings]
    assert "EVAL_003" not in [f.code for f in ev.findings]  # one root cause, one finding


def test_rule_7_a_recurring_target_in_the_time_block_counts_in_the_time_average(plan):
    fin1 = score_of(plan, FIN1 | {(T, 2): 3.0})  # 3 of 6 reports by the 5th
    assert fin1.time_score == pytest.approx(((100 - 15 * 100 / 90) + 50) / 2)


def test_the_status_of_an_indicator_at_0_is_non_raggiunto(plan):
    ev = evaluate(plan, [record("FIN", "FIN/1", FIN1 | {(Q, 1): 0.0, (Q, 2): 2.0})], "interim")
    status = {(i.kind, i.index): i.status for i in ev.indicators if i.objective == "FIN/1"}
    assert status[(Q, 1)] == status[(Q, 2)] == NOT_MET
    assert status[(C, 1)] == PARTIAL


def test_every_decided_rule_is_printed_in_the_regole_sheet(plan):
    rules = dict(evaluate(plan, [], "interim").rules())
    for name in ("RAGGIUNTO non compilato", "Completamento dopo la data della verifica", "Obiettivo senza medie",
                 "Punteggio ente", "Persona ripetuta nella stessa scheda", "Persona senza % partecipazione",
                 "MEDIA RISPETTO DEI TEMPI %", "RAGGIUNTO scritto come testo"):
        assert rules.get(name), name


@pytest.mark.parametrize("score, expected", [
    (89.96, "raggiunto"), (90.0, "raggiunto"), (89.94, "parzialmente raggiunto"), (89.95, "raggiunto"),
    (59.95, "parzialmente raggiunto"), (59.94, "non raggiunto"), (None, "non valutabile"),
])
def test_the_band_is_that_of_the_score_as_shown(score, expected):
    """A reader who sees 90,0 next to «>= 90 raggiunto» sees raggiunto."""
    assert band(score, ScoringPolicy()) == expected
    if score is not None and expected == "raggiunto":
        assert float(number(score).replace(",", ".")) >= 90
