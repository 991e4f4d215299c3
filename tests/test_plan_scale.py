"""A plan of 5,000 objectives loads in one pass, and a mistake anywhere in it is named at its own line."""

from __future__ import annotations

import pytest

from schede_excel.findings import Severity
from schede_excel.plan import yamlread
from schede_excel.plan.parse import parse_plan

PER_SECTOR = 10


def big_plan_text(objectives: int) -> list[str]:
    """The plan's YAML, line by line, written by hand as an office would (not by a YAML library)."""
    lines = ["ente: Grande Prova", "anno: 2023", "verifica_intermedia: 30/06/2023", "verifica_finale: 31/12/2023",
             "settori:"]
    for s in range(objectives // PER_SECTOR):
        lines += [f"  - codice: S{s:04d}", f"    nome: SETTORE {s}", f"    responsabile: DR. PERSONA {s}",
                  f"    email: s{s}@comune.esempio.it"]
    lines.append("obiettivi:")
    for k in range(objectives):
        lines += [f"  - settore: S{k // PER_SECTOR:04d}", f"    numero: {k % PER_SECTOR + 1}", "    peso: 10",
                  f"    titolo: OBIETTIVO {k + 1}", "    descrizione: Revisione dei procedimenti.",
                  "    fasi:", "      - descrizione: Avvio", "        mesi: [3, 4]",
                  "    indicatori:", "      quantita:", "        - descrizione: procedimenti on line",
                  "          atteso: 95%", "      tempo:", "        - descrizione: approvazione",
                  "          atteso: 31-ott"]
    return lines


def _line_of(lines: list[str], objective: int, start: str) -> int:
    """The 1-based line of objective `objective` (0-based) that starts with `start`."""
    first = lines.index(f"    titolo: OBIETTIVO {objective + 1}")
    return next(n for n in range(first - 3, len(lines)) if lines[n].lstrip().startswith(start)) + 1


@pytest.mark.parametrize("reader, objectives", [("libyaml", 5000), ("python", 400)])
def test_mistakes_anywhere_in_a_big_plan_are_named_at_their_lines(monkeypatch, reader, objectives):
    if reader == "libyaml" and not yamlread.LIBYAML:
        pytest.skip("PyYAML without libyaml here")
    monkeypatch.setattr(yamlread, "LIBYAML", reader == "libyaml")
    lines = big_plan_text(objectives)
    clean = parse_plan("\n".join(lines) + "\n", "grande.yaml")
    assert clean.ok, [str(f) for f in clean.findings[:5]]
    assert len(clean.plan.objectives) == objectives and len(clean.plan.sectors) == objectives // PER_SECTOR

    near_end, middle, early = objectives - 7, objectives // 2 + 3, 12
    weight_line = _line_of(lines, near_end, "peso:")
    lines[weight_line - 1] = "    peso: tanto"
    month_line = _line_of(lines, middle, "mesi:")
    lines[month_line - 1] = "        mesi: [3, 14]"
    octal_line = _line_of(lines, early, "atteso: 95%")
    lines[octal_line - 1] = "          atteso: 010"
    comment_line = _line_of(lines, middle + 1, "titolo:")
    lines[comment_line - 1] = f"    titolo: OBIETTIVO {middle + 2} #PRIORITARIO"
    text = "\n".join(lines) + "\n"

    result = parse_plan(text, "grande.yaml")
    assert result.plan is None
    found = {f.code: f for f in result.findings}
    assert found["PLAN_025"].line == octal_line and "«010»" in found["PLAN_025"].message
    assert found["PLAN_026"].line == comment_line and found["PLAN_026"].severity is Severity.WARNING
    weight = next(f for f in result.findings if f.path == f"obiettivi[{near_end}].peso")
    assert weight.code == "PLAN_003" and weight.line == weight_line and "tanto" in weight.message
    assert all(f.file == "grande.yaml" for f in result.findings)

    # With the type mistakes mended, the plan's own checks name their lines too.
    lines[weight_line - 1], lines[octal_line - 1] = "    peso: 10", '          atteso: "010"'
    lines[comment_line - 1] = f"    titolo: OBIETTIVO {middle + 2}"
    result = parse_plan("\n".join(lines) + "\n", "grande.yaml")
    [month] = [f for f in result.findings if f.severity is Severity.ERROR]
    assert month.line == month_line and "14" in month.message


@pytest.mark.parametrize("reader", ["libyaml", "python"])
def test_a_duplicated_objective_number_far_down_is_named_at_its_line(monkeypatch, reader):
    if reader == "libyaml" and not yamlread.LIBYAML:
        pytest.skip("PyYAML without libyaml here")
    monkeypatch.setattr(yamlread, "LIBYAML", reader == "libyaml")
    lines = big_plan_text(600)
    number_line = _line_of(lines, 555, "numero:")
    lines[number_line - 1] = "    numero: 5"  # objective 556 is S0055/6: now a second S0055/5
    result = parse_plan("\n".join(lines) + "\n", "grande.yaml")
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    assert errors and all(f.line is not None for f in errors)
    assert number_line in {f.line for f in errors}
