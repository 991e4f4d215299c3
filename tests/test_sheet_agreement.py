"""Property: the sheet's live averages and the library give the same number, whatever is typed.

Hypothesis fills random sheets of both rounds (numbers good and bad, blanks, stray spaces,
numbers and dates typed as text, every Sì/No spelling), once through LibreOffice and once
through openpyxl; LibreOffice recalculates every sheet; the returned file is imported and
scored by the library; every MEDIA VALORE RAGGIUNTO % and MEDIA RISPETTO DEI TEMPI % cell must
equal the library's average (`evaluate`), a blank cell where the library has none.

Batched to stay fast: one plan of 30 objectives with every kind of ATTESO, one workbook of 30
sheets per round and channel, so an example costs four LibreOffice round trips for 120 sheets.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schede_excel.plan.model import IndicatorKind
from schede_excel.plan.parse import parse_plan
from schede_excel.plan.targets import Entry
from schede_excel.returns.importer import read_return
from schede_excel.scoring.evaluate import evaluate
from schede_excel.sheet.generate import review_for
from schede_excel.sheet.layout import a1, sheet_layout, sheet_names
from schede_excel.sheet.writer import build_workbook
from tests.plans import as_yaml

OBJECTIVES = 30
EXAMPLES = 2  # x 2 rounds x 2 channels x 30 sheets = 240 sheets
# ATTESO of every kind, with the block each may sit in (costs in Costo; Sì/No and periodic also in Tempo).
VALUE_TARGETS = ["90%", "100%", "4", "20", "0", "nessuna", "mensile", "trimestrale", "tempestivi", "2%"]
TIME_TARGETS = ["31-gen", "30-giu", "31/12/2023", "settembre", "30gg", "15gg", "entro il 5 del mese", "entro i termini"]
COST_TARGETS = ["1.000", "250"]


def _objective(k: int) -> dict:
    """Objective k: a rotating mix of blocks and kinds, some groups empty, some with several indicators."""
    def pick(pool, count, shift):
        return [{"descrizione": f"indicatore {k}-{shift}-{i}", "atteso": pool[(k * 3 + shift + i) % len(pool)]}
                for i in range(count)]

    blocks = {"quantita": pick(VALUE_TARGETS, k % 3, 0), "tempo": pick(TIME_TARGETS, (k // 2) % 3, 1),
              "costo": pick(COST_TARGETS, k % 2, 2), "qualita": pick(VALUE_TARGETS, (k // 3) % 2, 5)}
    if k % 7 == 3:
        blocks["quantita"].append({"descrizione": f"pratiche arretrate {k}", "atteso": "10", "migliore": "minore"})
    return {"settore": "AAA", "numero": k + 1, "peso": 100 // OBJECTIVES + (100 % OBJECTIVES if k == 0 else 0),
            "titolo": f"OBIETTIVO {k + 1}", "fasi": [{"descrizione": "Fase", "mesi": [k % 12 + 1]}],
            "indicatori": {b: v for b, v in blocks.items() if v}}


@pytest.fixture(scope="module")
def wide_plan():
    data = {"ente": "Prova", "anno": 2023, "verifica_intermedia": "30/06/2023", "verifica_finale": "31/12/2023",
            "righe_personale": 2,
            "settori": [{"codice": "AAA", "nome": "AFFARI GENERALI", "responsabile": "ROSSI", "email": "a@b.it"}],
            "obiettivi": [_objective(k) for k in range(OBJECTIVES)]}
    result = parse_plan(as_yaml(data))
    assert result.ok, [str(f) for f in result.findings]
    return result.plan


class _Books(dict):
    """Each round's generated workbook; a short repr, for Hypothesis's report of a failing example."""

    def __repr__(self) -> str:
        return f"<{len(self)} blank workbooks>"


@pytest.fixture(scope="module")
def blank_books(wide_plan):
    """Each round's generated workbook, as bytes, with its sheets and layouts, and the plan."""
    sector = wide_plan.sectors[0]
    objectives = list(wide_plan.objectives_of(sector))
    names = sheet_names(objectives)
    layouts = [sheet_layout(o, staff_rows=wide_plan.staff_rows) for o in objectives]
    books = _Books({round_: (build_workbook(wide_plan, objectives, sector=sector, review=review_for(wide_plan, round_)),
                             list(zip(names, objectives, layouts)))
                    for round_ in ("interim", "final")})
    books.plan = wide_plan
    return books


def _italian(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def typed(target):
    """What a person may type in RAGGIUNTO for this target: (value, as text?) pairs, None for blank."""
    entry = target.entry
    blank = st.sampled_from([None, " "])
    if entry is Entry.YES_NO:
        return st.one_of(blank, st.sampled_from(["Sì", "No", "si", " SÌ ", "x", "Ok", "forse", "No ", "no", 1.0, 0.0]))
    if entry is Entry.PERCENT:
        number = st.integers(0, 150).map(lambda n: n / 100)
        as_text = number.map(lambda v: _italian(v * 100) + "%")
    elif entry is Entry.NUMBER:
        top = max(1.0, 2 * (target.value or 5))
        number = st.integers(0, int(top * 4)).map(lambda n: n / 4)
        as_text = number.map(_italian)
    elif entry is Entry.DATE:
        number = st.integers(-60, 150).map(lambda d: target.deadline + timedelta(days=d))
        as_text = number.map(lambda d: f"{d:%d/%m/%Y}")
    else:  # days, periods, counts
        number = st.integers(0, 20).map(float)
        as_text = number.map(lambda v: str(int(v)))
    return st.one_of(blank, number, number, as_text)


def _openpyxl_value(value):
    return datetime(value.year, value.month, value.day) if isinstance(value, date) else value


def _lo_item(name, ref, value):
    if isinstance(value, str):
        return (name, ref, value, "string")  # as a paste or a text-formatted cell gives: text, not parsed
    return (name, ref, value)


def _compare(plan, round_, sheets, averages, data, label):
    """Every MEDIA cell LibreOffice computed against the library's score of the same file."""
    read = read_return(plan, data, f"{label}.xlsx")
    assert len(read.objectives) == len(sheets), [str(f) for f in read.findings if f.severity.value == "errore"][:5]
    ev = evaluate(plan, read.objectives, round_)
    scores = {o.objective: o for o in ev.objectives}
    differences = []
    for (name, objective, _), (value, time) in zip(sheets, averages):
        o = scores[objective.key]
        for sheet, library, what in ((value, o.value_score, "valore"), (time, o.time_score, "tempi")):
            same = sheet in (None, "") if library is None else (
                isinstance(sheet, float) and abs(sheet - library) < 1e-9)
            if not same:
                differences.append((label, name, what, sheet, library))
    return differences


@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_average_on_the_sheet_equals_the_library(libreoffice, blank_books, tmp_path_factory, data):
    wide_plan = blank_books.plan
    folder = tmp_path_factory.mktemp("agreement")
    differences, compared = [], 0
    for round_, (blank, sheets) in blank_books.items():
        for channel in ("libreoffice", "openpyxl"):
            fills = []
            for name, objective, lay in sheets:
                for slot in lay.indicators:
                    target = slot.indicator.parsed_target(wide_plan.year, cost=slot.kind is IndicatorKind.COST)
                    value = data.draw(typed(target), label=f"{name} {slot.name}")
                    if value is not None:
                        fills.append((name, a1(*slot.achieved), value))
            path = folder / f"{round_}-{channel}.xlsx"
            if channel == "openpyxl":
                wb = openpyxl.load_workbook(io.BytesIO(blank))
                for name, ref, value in fills:
                    wb[name][ref] = _openpyxl_value(value)
                wb.save(path)
            else:
                path.write_bytes(blank)
            with libreoffice.open(path) as doc:
                if channel == "libreoffice":
                    doc.set_many([_lo_item(*fill) for fill in fills])
                doc.recalculate()
                averages = []
                for name, _, lay in sheets:
                    block = lay.reviews[round_]
                    cells = doc.get_many(name, [a1(block.value_score.row, block.value_score.col),
                                                a1(block.time_score.row, block.time_score.col)])
                    averages.append(tuple(cells.values()))
                if channel == "libreoffice":
                    returned = doc.save_as(folder / f"{round_}-{channel}-saved.xlsx")
                else:
                    returned = path
            differences += _compare(wide_plan, round_, sheets, averages, returned.read_bytes(), f"{round_}-{channel}")
            compared += len(sheets)
    assert compared == 4 * OBJECTIVES
    assert differences == []
