"""The plan workbook: written from a plan and read back equal, errors placed at sheet and cell.

Round trips over the Caluso plan and over random plans (hypothesis); a plan workbook with
several mistakes reports each at its sheet, row and column, all at once; the template is
empty and well formed, with its dropdowns, column help and weight totals.
"""

import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schede_excel.findings import Severity
from schede_excel.plan.model import (CROSS_CUTTING, Direction, Indicator, Indicators, Objective, Phase, Plan,
                                ScoringPolicy, Sector)
from schede_excel.plan.workbook import (ENTITY_ROWS, INDICATORS_SHEET, OBJECTIVES_SHEET, PHASES_SHEET,
                                   SECTORS_SHEET, TABLES, build_plan_workbook, read_plan_workbook)
from schede_excel.plan.load import load_plan
from schede_excel.plan.parse import parse_plan
from schede_excel.plan.yamlwriter import plan_data, plan_to_yaml
from schede_excel.plan.targets import TargetKind
from tests.plans import as_yaml, small_plan_data

CALUSO = Path(__file__).parent.parent / "schede" / "caluso-2023.yaml"


def codes(result):
    return [f.code for f in result.findings]


def edit(data: bytes, changes: dict) -> bytes:
    """The workbook with cells changed: {(sheet, "C3"): value}."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for (sheet, cell), value in changes.items():
        wb[sheet][cell] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_caluso_round_trip(tmp_path):
    plan = load_plan(CALUSO).plan
    path = tmp_path / "piano-2023.xlsx"
    path.write_bytes(build_plan_workbook(plan))
    result = load_plan(path)
    assert result.ok, [str(f) for f in result.findings if f.severity is Severity.ERROR]
    assert result.plan == plan
    assert build_plan_workbook(plan) == path.read_bytes()  # the same plan gives the same bytes


def test_same_checks_as_yaml_with_cells_instead_of_lines(small_plan):
    data = small_plan_data()
    data["obiettivi"][2]["peso"] = 25
    from_yaml = parse_plan(as_yaml(data))
    book = edit(build_plan_workbook(small_plan), {(OBJECTIVES_SHEET, "C4"): 25})
    from_book = read_plan_workbook(book, file="piano.xlsx")
    assert codes(from_book) == codes(from_yaml)
    weights = next(f for f in from_book.findings if f.code == "PLAN_004")
    assert weights.sheet == SECTORS_SHEET and weights.cell == "A2" and weights.file == "piano.xlsx"


def test_errors_name_sheet_row_and_column_all_at_once(small_plan):
    book = edit(build_plan_workbook(small_plan), {
        (OBJECTIVES_SHEET, "C3"): "molto",          # peso of FIN 1
        (INDICATORS_SHEET, "F3"): "31-feb",          # atteso of TUTTI 1, second indicator
        (INDICATORS_SHEET, "D4"): "Quantity",        # blocco
        (PHASES_SHEET, "F2"): "si",                  # a month marked with something else than X
        (PHASES_SHEET, "B4"): 9,                     # a phase of an objective that does not exist
        (SECTORS_SHEET, "D2"): "fin.comune.it",      # e-mail
        ("Ente", "B3"): "duemila",                   # anno
    })
    result = read_plan_workbook(book, file="piano.xlsx")
    assert not result.ok
    found = {(f.code, f.sheet, f.cell) for f in result.findings if f.severity is Severity.ERROR}
    assert ("PLAN_003", OBJECTIVES_SHEET, "C3") in found
    assert ("PLAN_003", "Ente", "B3") in found
    assert ("BOOK_006", INDICATORS_SHEET, "D4") in found
    assert ("BOOK_007", PHASES_SHEET, "F2") in found
    assert ("BOOK_005", PHASES_SHEET, "B4") in found
    peso = next(f for f in result.findings if f.cell == "C3")
    assert peso.path == "peso" and "intero" in peso.message
    assert "foglio «Obiettivi», cella C3 (peso)" in str(peso)


def test_check_errors_point_at_the_cell(small_plan):
    book = edit(build_plan_workbook(small_plan), {(INDICATORS_SHEET, "F3"): "31-feb", (SECTORS_SHEET, "D2"): "fin.comune.it",
                                                 (PHASES_SHEET, "G2"): None, (PHASES_SHEET, "H2"): "x"})
    result = read_plan_workbook(book, file="piano.xlsx")
    found = {(f.code, f.sheet, f.cell, f.path) for f in result.findings if f.severity is Severity.ERROR}
    assert found == {("PLAN_007", INDICATORS_SHEET, "F3", "atteso"), ("PLAN_009", SECTORS_SHEET, "D2", "email")}
    assert result.plan.objectives[0].phases[0].months == (3, 4)  # lower-case x is a mark too


def test_rows_may_move_and_columns_too(small_plan):
    wb = openpyxl.load_workbook(io.BytesIO(build_plan_workbook(small_plan)))
    ws = wb[INDICATORS_SHEET]
    ws.insert_rows(3, 2)   # blank rows in the middle
    ws.insert_cols(1)      # every column one to the right
    ws.insert_rows(1)      # a title above the header
    ws["A1"] = "Indicatori del piano"
    out = io.BytesIO()
    wb.save(out)
    result = read_plan_workbook(out.getvalue())
    assert result.ok, [str(f) for f in result.findings]
    assert result.plan == small_plan


def test_missing_sheet_and_column_stop_with_findings(small_plan):
    wb = openpyxl.load_workbook(io.BytesIO(build_plan_workbook(small_plan)))
    del wb[PHASES_SHEET]
    wb[OBJECTIVES_SHEET]["C1"] = "pesi"
    out = io.BytesIO()
    wb.save(out)
    result = read_plan_workbook(out.getvalue(), file="piano.xlsx")
    assert result.plan is None
    assert {f.code for f in result.findings} == {"BOOK_002", "BOOK_003", "BOOK_004"}
    column = next(f for f in result.findings if f.code == "BOOK_003")
    assert column.sheet == OBJECTIVES_SHEET and "peso" in column.message


@pytest.mark.parametrize("content", [b"", b"ente: Caluso\n", b"PK\x03\x04rotto", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rotto"])
def test_not_a_workbook(tmp_path, content):
    path = tmp_path / "piano.xlsx"
    path.write_bytes(content)
    result = load_plan(path)
    assert result.plan is None and codes(result) == ["BOOK_001"]
    assert result.findings[0].file == str(path)


def test_missing_file():
    assert codes(load_plan("non-esiste.ods")) == ["PLAN_001"]


def test_template_is_empty_and_well_formed():
    result = read_plan_workbook(build_plan_workbook(None), file="modello.xlsx")
    assert result.plan is None
    assert all(f.code == "PLAN_003" for f in result.findings), [str(f) for f in result.findings]
    assert {f.path for f in result.findings} == {"Ente", "Anno", "Verifica intermedia al", "Verifica finale al",
                                                  "Settori", "Obiettivi"}


def test_template_has_dropdowns_help_and_weight_totals():
    wb = openpyxl.load_workbook(io.BytesIO(build_plan_workbook(None)))
    assert wb.sheetnames[:6] == ["Istruzioni", "Ente", SECTORS_SHEET, OBJECTIVES_SHEET, PHASES_SHEET, INDICATORS_SHEET]
    assert wb["Elenchi"].sheet_state == "hidden"

    def validations(sheet):
        return {str(v.sqref).split(":")[0]: v for v in wb[sheet].data_validations.dataValidation}

    for sheet, columns in TABLES.items():
        ws = wb[sheet]
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref
        found = validations(sheet)
        for col, column in enumerate(columns, start=1):
            assert ws.cell(1, col).value == column.header
            assert ws.cell(1, col).comment is not None
            if column.kind != "computed":
                cell = ws.cell(2, col).coordinate
                assert found[cell].prompt and len(found[cell].prompt) <= 255, (sheet, column.key)
    objectives = validations(OBJECTIVES_SHEET)
    assert objectives["A2"].type == "list" and objectives["A2"].formula1.startswith("Elenchi!$A$1")
    assert wb["Elenchi"]["A1"].value == CROSS_CUTTING
    indicators = validations(INDICATORS_SHEET)
    assert indicators["D2"].type == "list" and "Quantità" in indicators["D2"].formula1
    assert indicators["F2"].type == "custom" and "LEN(TRIM(F2))>0" in indicators["F2"].formula1
    assert "31-gen" in indicators["F2"].prompt and "mensile" in indicators["F2"].prompt
    assert validations(PHASES_SHEET)["F2"].formula1 == '"X"'
    settori = wb[SECTORS_SHEET]
    headers = [c.value for c in settori[1]]
    assert headers[6:] == ["pesi del settore", "pesi trasversali (TUTTI)", "totale pesi", "totale atteso"]
    assert "SUMIF(Obiettivi!$A:$A,$A2,Obiettivi!$C:$C)" in settori["G2"].value
    assert '"TUTTI"' in settori["H2"].value
    rules = [r for rng in settori.conditional_formatting for r in rng.rules]
    assert any("$I2<>$J2" in r.formula[0] for r in rules)
    assert len(ENTITY_ROWS) == sum(1 for row in wb["Ente"].iter_rows(min_row=2) if row[0].value)


def test_weight_totals_cached_for_the_written_plan(small_plan):
    wb = openpyxl.load_workbook(io.BytesIO(build_plan_workbook(small_plan)), data_only=True)
    ws = wb[SECTORS_SHEET]
    totals = {ws.cell(r, 1).value: (ws.cell(r, 7).value, ws.cell(r, 8).value, ws.cell(r, 9).value) for r in range(2, 5)}
    assert totals == {"FIN": (70, 30, 100), "PM": (70, 30, 100), "SEG": (100, 0, 100)}
    assert wb[INDICATORS_SHEET]["C2"].value == "TRASPARENZA"


# ---------------------------------------------------------------------------------------------
# Random plans

_TEXT = st.text(st.characters(whitelist_categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=30).map(str.strip).filter(bool)
_LONG = st.lists(_TEXT, min_size=1, max_size=3).map("\n".join)
_TARGETS = st.sampled_from(["95%", "4", "1.500,50", "31-gen", "15/04/2023", "31/12", "giugno", "30gg", "mensile",
                            "trimestrale", "entro il 5 del mese", "nessuna", "entro i termini", "tempestivi", "2,5%"])
_DATES = st.dates(date(2001, 1, 1), date(2099, 12, 31))
_NUMBERS = st.one_of(st.integers(0, 200), st.integers(0, 400).map(lambda n: n / 2))


@st.composite
def indicators(draw):
    def one():
        target = draw(_TARGETS)
        qualitative = draw(st.booleans()) and draw(st.booleans())
        return Indicator(description=draw(_LONG), target=draw(_TEXT) if qualitative else target,
                         kind=TargetKind.YES_NO if qualitative else None,
                         better=draw(st.sampled_from([None, Direction.HIGHER, Direction.LOWER])),
                         start=draw(st.none() | _DATES))

    return Indicators(**{kind: tuple(one() for _ in range(draw(st.integers(0, 2))))
                         for kind in ("quantita", "tempo", "costo", "qualita")})


@st.composite
def plans(draw):
    codes = draw(st.lists(st.from_regex(r"[A-Z][A-Z0-9_-]{0,5}", fullmatch=True).filter(lambda c: c != CROSS_CUTTING),
                          min_size=1, max_size=4, unique=True))
    sectors = tuple(Sector(code=c, name=draw(_TEXT), head=draw(st.just("") | _TEXT), email=draw(st.just("") | _TEXT),
                           direct_assessment=draw(st.booleans())) for c in codes)
    keys = draw(st.lists(st.tuples(st.sampled_from(codes + [CROSS_CUTTING]), st.integers(1, 30)),
                         min_size=1, max_size=6, unique=True))
    objectives = []
    for sector, number in keys:
        dup = draw(st.lists(st.just("") | _TEXT, max_size=8))
        while dup and not dup[-1]:
            dup.pop()
        phases = tuple(Phase(description=draw(_LONG), months=tuple(sorted(draw(st.sets(st.integers(1, 12))))))
                       for _ in range(draw(st.integers(0, 3))))
        objectives.append(Objective(sector=sector, number=number, weight=draw(st.integers(0, 100)), title=draw(_TEXT),
                                    description=draw(st.just("") | _LONG), dup_links=tuple(dup), phases=phases,
                                    indicators=draw(indicators())))
    scoring = ScoringPolicy(late_zero_days=draw(st.integers(1, 400)), value_weight=draw(_NUMBERS), time_weight=draw(_NUMBERS),
                            achieved_threshold=draw(_NUMBERS), partial_threshold=draw(_NUMBERS),
                            sector_weights=draw(st.dictionaries(st.sampled_from(codes), _NUMBERS)))
    return Plan(entity=draw(_TEXT), year=draw(st.integers(2000, 2100)), triennium=draw(st.just("") | _TEXT),
                title=draw(st.just("") | _TEXT), interim_review=draw(_DATES), final_review=draw(_DATES),
                staff_rows=draw(st.integers(1, 60)), sectors=sectors, objectives=tuple(objectives), scoring=scoring)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_random_plans_round_trip(plan):
    result = read_plan_workbook(build_plan_workbook(plan))
    assert result.plan == plan, [str(f) for f in result.findings if f.severity is Severity.ERROR]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_random_plans_yaml_round_trip(plan):
    assert parse_plan(plan_to_yaml(plan_data(plan))).plan == plan


def test_atteso_typed_as_in_excel_is_kept_as_written(caluso_plan):
    """A currency (0,00 €) and a day-month date (29-feb) typed in the plan workbook stay as the cell shows them."""
    import datetime
    import io

    import openpyxl

    from schede_excel.plan.workbook import build_plan_workbook, read_plan_workbook

    wb = openpyxl.load_workbook(io.BytesIO(build_plan_workbook(caluso_plan)))
    ws = wb["Indicatori"]
    column = [c.value for c in ws[1]].index("atteso") + 1
    ws.cell(2, column).value, ws.cell(2, column).number_format = 0, '#,##0.00 [$€-410]'
    ws.cell(3, column).value, ws.cell(3, column).number_format = datetime.datetime(2023, 2, 28), "d-mmm"
    ws.cell(4, column).value, ws.cell(4, column).number_format = datetime.datetime(2023, 4, 15), "dd/mm/yyyy"
    buffer = io.BytesIO()
    wb.save(buffer)
    result = read_plan_workbook(buffer.getvalue(), file="piano.xlsx")
    targets = [i.target for o in result.plan.objectives for _, block in o.indicators.by_kind() for i in block]
    assert targets[:3] == ["0,00 €", "28-feb", "15/04/2023"]
