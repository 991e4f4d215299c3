"""The bundled Caluso 2023 plan: every sheet of the annex, transcribed faithfully."""

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from schede_excel.findings import Severity
from schede_excel.plan.load import load_plan
from schede_excel.plan.targets import TargetKind


@pytest.fixture(scope="module")
def caluso():
    result = load_plan(Path(__file__).parent.parent / "schede" / "caluso-2023.yaml")
    assert result.ok, [str(f) for f in result.findings if f.severity is Severity.ERROR]
    return result


def test_35_sheets_in_7_sectors(caluso):
    plan = caluso.plan
    assert len(plan.objectives) == 35
    assert Counter(o.sector for o in plan.objectives) == {
        "TUTTI": 3, "FIN": 4, "AMM": 8, "PM": 4, "TEC": 4, "TERR": 3, "STAFF": 3, "SEG": 6}
    assert [s.code for s in plan.sectors] == ["FIN", "AMM", "PM", "TEC", "TERR", "STAFF", "SEG"]


def test_weights_total_100_in_every_sector(caluso):
    plan = caluso.plan
    for sector in plan.sectors:
        assert sum(o.weight for o in plan.objectives_of(sector)) == 100, sector.code
    assert [o.weight for o in plan.objectives if o.cross_cutting] == [10, 10, 10]
    assert [o.weight for o in plan.objectives if o.sector == "SEG"] == [15, 15, 20, 20, 15, 15]


def test_only_the_expected_warnings(caluso):
    warnings = Counter(f.code for f in caluso.findings if f.severity is not Severity.INFO)
    assert warnings == {"PLAN_010": 1}  # Polizia Municipale: no head in the annex
    assert caluso.plan.sector("PM").head == ""


def test_sample_of_exact_texts(caluso):
    plan = caluso.plan
    by_key = {o.key: o for o in plan.objectives}
    assert plan.sector("FIN").head == "DR. DANILO BERTOLDI"
    assert plan.sector("SEG").direct_assessment and plan.sector("SEG").head == "DR. EZIO IVALDI"
    assert by_key["TUTTI/2"].title == "OBIETTIVO GESTIONALE: PERSEGUIMENTO PROGRAMMA AMMINISTRATIVO"
    assert by_key["TUTTI/1"].description.startswith("L' Ente si propone di proseguire nelle strategie")
    assert by_key["TUTTI/1"].indicators.quantita[0].description == "% dipendenti formati nel 2023"
    assert by_key["TUTTI/1"].indicators.quantita[0].target == "90%"
    assert by_key["TUTTI/1"].indicators.tempo[0].target == "31-gen"
    assert by_key["FIN/1"].title == "SPORTELLO UNICO TELEMATICO (seconda annualità)"
    assert by_key["FIN/4"].indicators.tempo[0].target == "15/04/2023"
    assert by_key["SEG/5"].description.endswith("direttamente on line da parte dell'utent.")
    assert sum(o.title == "SPORTELLO UNICO TELEMATICO (seconda annualità)" for o in plan.objectives) == 5
    assert all(not o.indicators for o in plan.objectives if o.sector == "SEG")


def test_every_target_of_the_annex_is_typed(caluso):
    plan = caluso.plan
    kinds = Counter()
    for objective in plan.objectives:
        for kind, block in objective.indicators.by_kind():
            for indicator in block:
                kinds[indicator.parsed_target(plan.year, cost=kind.value == "costo").kind] += 1
    assert {TargetKind.PERCENT, TargetKind.NUMBER, TargetKind.DEADLINE, TargetKind.WITHIN_DAYS,
            TargetKind.RECURRING, TargetKind.ZERO, TargetKind.YES_NO} <= set(kinds)
    fin4 = next(o for o in plan.objectives if o.key == "FIN/4")
    report = fin4.indicators.tempo[2].parsed_target(plan.year)
    assert report.kind is TargetKind.RECURRING and report.due_periods(date(2023, 6, 30)) == 4
