"""Scores checked by hand on a small small_plan that covers every target kind (SCORING.md)."""

from __future__ import annotations

from datetime import date

import pytest

from schede_excel.scoring.evaluate import LATE, MET, MISSING, NOT_DUE, OVERRIDDEN, Override, evaluate
from schede_excel.scoring.overrides import read_overrides
from schede_excel.plan.model import IndicatorKind
from schede_excel.plan.parse import parse_plan
from schede_excel.returns.model import IndicatorReturn, ObjectiveReturn, StaffReturn
from tests.plans import as_yaml, small_plan_data

Q, T, C, L = IndicatorKind.QUANTITY, IndicatorKind.TIME, IndicatorKind.COST, IndicatorKind.QUALITY


def record(sector, objective, values, round_="interim", staff=()):
    indicators = tuple(IndicatorReturn(kind=k, index=i, description="", target="", achieved=v)
                       for (k, i), v in values.items())
    return ObjectiveReturn(sector=sector, objective=objective, round=round_, file="f.xlsx", sheet="s",
                           indicators=indicators, staff=tuple(StaffReturn(name=n, participation=p) for n, p in staff))


def returns(round_="interim"):
    return [
        record("FIN", "TUTTI/1", {(Q, 1): 0.81, (T, 1): date(2023, 2, 15), (T, 2): None, (L, 1): 1.0}, round_,
               staff=[("Rossi Mario", 0.5)]),
        record("FIN", "FIN/1", {(Q, 1): 3.0, (Q, 2): 0.0, (T, 1): 45.0, (T, 2): 6.0, (C, 1): 1250.0, (L, 1): True}, round_,
               staff=[("rossi  mario", 0.5), ("Verdi Anna", 0.6)]),
        record("FIN", "FIN/2", {(Q, 1): 5.0}, round_),
        record("PM", "PM/1", {(T, 1): date(2023, 7, 15)}, round_),
    ]


def by_objective(evaluation, sector, key):
    return next(o for o in evaluation.objectives if o.sector == sector and o.objective == key)


def test_interim_scores_by_hand(small_plan):
    nucleo = Override(sector="SEG", objective="SEG/1", score=95.0, note="valutazione del Nucleo")
    ev = evaluate(small_plan, returns(), "interim", [nucleo])
    ind = {(i.sector, i.objective, i.kind, i.index): i for i in ev.indicators}
    # FIN/1: monthly reports 3 of 6 due at 30/06 = 50; "nessuna" with 0 = 100; 30gg done in 45 = 100-15*100/90;
    # by the 5th of each month 6 of 6 = 100; cost 1.000 spent 1.250 = 80; Sì = 100.
    assert ind[("FIN", "FIN/1", Q, 1)].achievement == pytest.approx(50)
    assert ind[("FIN", "FIN/1", Q, 1)].deviation == pytest.approx(-3)
    assert ind[("FIN", "FIN/1", Q, 2)].achievement == 100
    assert ind[("FIN", "FIN/1", T, 1)].achievement == pytest.approx(83.3333, abs=1e-3)
    assert ind[("FIN", "FIN/1", T, 2)].achievement == 100
    assert ind[("FIN", "FIN/1", C, 1)].achievement == pytest.approx(80)
    assert ind[("FIN", "FIN/1", L, 1)].achievement == 100
    fin1 = by_objective(ev, "FIN", "FIN/1")
    assert fin1.value_score == pytest.approx(82.5)
    assert fin1.time_score == pytest.approx(91.6667, abs=1e-3)
    assert fin1.score == pytest.approx(87.0833, abs=1e-3)
    # TUTTI/1 for FIN: 81% of 90% = 90; 31-gen done 15/02 = 15 days late; 31/12/2023 not yet due.
    assert ind[("FIN", "TUTTI/1", T, 1)].status == LATE
    assert ind[("FIN", "TUTTI/1", T, 2)].status == NOT_DUE and not ind[("FIN", "TUTTI/1", T, 2)].counted
    tutti = by_objective(ev, "FIN", "TUTTI/1")
    assert (tutti.value_score, tutti.time_score) == (pytest.approx(95), pytest.approx(83.3333, abs=1e-3))
    assert tutti.score == pytest.approx(89.1667, abs=1e-3)
    assert by_objective(ev, "FIN", "FIN/2").score == 100  # 5 of 4 is capped at 100; no time indicator
    sectors = {s.sector: s for s in ev.sectors}
    assert sectors["FIN"].score == pytest.approx((30 * 89.1667 + 40 * 87.0833 + 30 * 100) / 100, abs=1e-3)
    # TUTTI/1 not returned: like a blank sheet, its due indicators count 0 (its 31/12 deadline is not due yet)
    assert by_objective(ev, "PM", "TUTTI/1").score == 0
    assert sectors["PM"].score == pytest.approx(70 * 83.3333 / 100, abs=1e-3)
    assert sectors["PM"].returned == 1 and sectors["PM"].expected == 2
    assert sectors["SEG"].score == 95 and by_objective(ev, "SEG", "SEG/1").overridden
    assert ev.ente_score == pytest.approx((91.5833 + 58.3333) / 2, abs=1e-3)  # the Segretario has no weight in it
    assert ev.ente_band == "parzialmente raggiunto"
    assert sectors["FIN"].band == "raggiunto"


def test_people_scores_and_participation_totals(small_plan):
    ev = evaluate(small_plan, returns(), "interim")
    people = {p.name: p for p in ev.people}
    rossi = people["Rossi Mario"]  # the same person written two ways
    assert rossi.total == pytest.approx(1.0)
    assert rossi.score == pytest.approx((0.5 * 89.1667 + 0.5 * 87.0833), abs=1e-3)
    assert people["Verdi Anna"].total == pytest.approx(0.6)
    assert [f.params["name"] for f in ev.findings if f.code == "EVAL_003"] == ["Verdi Anna"]


def test_final_review_counts_blanks_and_missing_objectives_as_zero(small_plan):
    ev = evaluate(small_plan, returns("final"), "final")
    tutti_fin = next(i for i in ev.indicators if i.sector == "FIN" and i.objective == "TUTTI/1" and i.kind is T and i.index == 2)
    assert tutti_fin.status == MISSING and tutti_fin.achievement == 0 and tutti_fin.counted
    assert by_objective(ev, "FIN", "TUTTI/1").time_score == pytest.approx((83.3333 + 0) / 2, abs=1e-3)
    assert by_objective(ev, "PM", "TUTTI/1").score == 0 and not by_objective(ev, "PM", "TUTTI/1").returned
    # 15/07 against "giugno" (30/06): 15 days late at the final review too.
    assert next(s for s in ev.sectors if s.sector == "PM").score == pytest.approx(70 * 83.3333 / 100, abs=1e-3)
    assert "EVAL_002" in {f.code for f in ev.findings}  # the segretario has no assessment yet


def test_overrides_replace_and_are_marked(small_plan):
    overrides = [Override(sector="FIN", objective="FIN/1", score=40.0, kind=C, index=1, note="spesa giustificata"),
                 Override(sector="FIN", objective="FIN/2", score=70.0),
                 Override(sector="FIN", objective="FIN/9", score=10.0)]
    ev = evaluate(small_plan, returns(), "interim", overrides)
    cost = next(i for i in ev.indicators if i.objective == "FIN/1" and i.kind is C)
    assert cost.achievement == 40 and cost.status == OVERRIDDEN and cost.overridden and cost.note == "spesa giustificata"
    assert by_objective(ev, "FIN", "FIN/1").value_score == pytest.approx((50 + 100 + 40 + 100) / 4)
    fin2 = by_objective(ev, "FIN", "FIN/2")
    assert fin2.score == 70 and fin2.overridden and fin2.band == "parzialmente raggiunto"
    assert [f.code for f in ev.findings if f.code == "EVAL_001"] == ["EVAL_001"]


def test_policy_from_the_plan(small_plan):
    data = small_plan_data(punteggio={"giorni_ritardo_zero": 30, "peso_valore": 75, "peso_tempi": 25,
                                      "soglia_raggiunto": 95, "soglia_parziale": 70})
    custom = parse_plan(as_yaml(data)).plan
    ev = evaluate(custom, returns(), "interim")
    late = next(i for i in ev.indicators if i.objective == "TUTTI/1" and i.kind is T and i.index == 1)
    assert late.achievement == pytest.approx(50)  # 15 days late of 30
    tutti = by_objective(ev, "FIN", "TUTTI/1")
    assert tutti.score == pytest.approx(0.75 * 95 + 0.25 * 50)
    assert tutti.band == "parzialmente raggiunto"
    rules = dict(ev.rules())
    assert "30 giorni" in rules["Scadenze (date, mesi)"] and "95" in rules["Fasce"]


def test_statuses(small_plan):
    ev = evaluate(small_plan, returns(), "interim")
    statuses = {(i.objective, i.kind, i.index): i.status for i in ev.indicators if i.sector == "FIN"}
    assert statuses[("FIN/1", L, 1)] == MET
    assert statuses[("FIN/1", Q, 1)] == "parziale"


def test_a_copy_of_the_segretario_file_sent_back_is_not_counted_as_a_return(small_plan):
    ev = evaluate(small_plan, returns() + [record("SEG", "SEG/1", {})], "interim")
    counts = {s.sector: (s.returned, s.expected) for s in ev.sectors}
    assert counts["SEG"] == (0, 0)  # directly assessed: nothing expected, so nothing counted as returned
    assert counts["FIN"] == (3, 3)


def test_read_overrides_csv_and_every_mistake_by_row(small_plan):
    text = ("settore;obiettivo;blocco;numero;valutazione;nota\n"
            "SEG;1;;;95;valutazione diretta\n"
            "FIN;FIN/1;costo;1;40%;\n"
            "FIN;2;;;120;\n"
            "FIN;3;;;50;\n"
            "FIN;1;boh;1;50;\n"
            "FIN;1;tempo;9;50;\n"
            "FIN;1;tempo;abc;50;\n"
            "SEG;1;;;90;di nuovo\n").encode()
    overrides, problems = read_overrides(text, "nucleo.csv", small_plan)
    assert [(o.sector, o.objective, o.kind, o.index, o.score) for o in overrides] == [
        ("SEG", "SEG/1", None, None, 95.0), ("FIN", "FIN/1", C, 1, 40.0)]
    assert [(p.code, p.line) for p in problems] == [("EVAL_011", 4), ("EVAL_001", 5), ("EVAL_012", 6),
                                                    ("EVAL_013", 7), ("EVAL_015", 8), ("EVAL_014", 9)]
    _, problems = read_overrides(b"a,b\n1,2\n", "x.csv", small_plan)
    assert [p.code for p in problems] == ["EVAL_010"]
    _, problems = read_overrides(b"%PDF-1.4", "x.xlsx", small_plan)
    assert [p.code for p in problems] == ["EVAL_010"] and "PDF" in problems[0].message


def test_read_overrides_from_a_workbook(small_plan, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["Settore", "Obiettivo", "Valutazione", "Nota"])
    wb.active.append(["seg", 1, 92.5, "buono"])
    wb.active.append(["FIN", 2, 0.9, "scritto come 90%"])
    wb.active["C3"].number_format = "0%"
    wb.save(tmp_path / "nucleo.xlsx")
    overrides, problems = read_overrides((tmp_path / "nucleo.xlsx").read_bytes(), "nucleo.xlsx", small_plan)
    assert not problems and overrides == [Override(sector="SEG", objective="SEG/1", score=92.5, note="buono"),
                                          Override(sector="FIN", objective="FIN/2", score=90.0, note="scritto come 90%")]


def test_a_recurring_target_that_has_not_started_is_not_due():
    from schede_excel.plan.parse import parse_plan
    from tests.plans import as_yaml, small_plan_data

    data = small_plan_data()
    data["obiettivi"][1]["indicatori"]["quantita"][0]["dal"] = "2023-09-01"  # monthly reports from September
    plan = parse_plan(as_yaml(data)).plan
    for achieved in (None, 0.0):
        values = {(Q, 1): achieved, (Q, 2): 0.0, (C, 1): 900.0, (L, 1): True}
        ev = evaluate(plan, [record("FIN", "FIN/1", values)], "interim")
        reports = next(i for i in ev.indicators if i.objective == "FIN/1" and i.kind is Q and i.index == 1)
        assert reports.status == NOT_DUE and not reports.counted and reports.achievement is None
        assert next(o for o in ev.objectives if o.objective == "FIN/1").value_score == 100  # the reports left out
    ev = evaluate(plan, [record("FIN", "FIN/1", {(Q, 1): 4.0}, "final")], "final")
    reports = next(i for i in ev.indicators if i.objective == "FIN/1" and i.kind is Q and i.index == 1)
    assert reports.achievement == 100  # 4 reports, September to December
