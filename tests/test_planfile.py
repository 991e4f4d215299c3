"""Plan files: a valid plan loads; each kind of mistake gives its finding code at the right line."""

import json

import pytest

from schede_excel.findings import Severity
from schede_excel.plan.load import load_plan, plan_schema
from schede_excel.plan import yamlread
from schede_excel.plan.parse import parse_plan
from tests.plans import as_yaml, small_plan_data


@pytest.fixture(params=["libyaml", "python"], autouse=True)
def yaml_reader(request, monkeypatch):
    """Every plan-file test runs with libyaml's parser and with PyYAML's own: the same findings at the same lines."""
    if request.param == "libyaml" and not yamlread.LIBYAML:
        pytest.skip("PyYAML without libyaml here")
    monkeypatch.setattr(yamlread, "LIBYAML", request.param == "libyaml")
    return request.param


def codes(result, severity=None):
    return [f.code for f in result.findings if severity is None or f.severity is severity]


def test_small_plan_is_valid():
    result = parse_plan(as_yaml(small_plan_data()), "piano.yaml")
    assert result.ok, [str(f) for f in result.findings]
    plan = result.plan
    assert plan.year == 2023 and plan.entity == "Borgo Prova"
    assert [o.key for o in plan.objectives_of(plan.sector("FIN"))] == ["TUTTI/1", "FIN/1", "FIN/2"]
    assert [o.key for o in plan.objectives_of(plan.sector("SEG"))] == ["SEG/1"]
    assert codes(result, Severity.WARNING) == ["PLAN_010"]  # Polizia Municipale has no head


def test_yaml_syntax_error_names_the_line():
    text = as_yaml(small_plan_data()).replace("anno: 2023", "anno: [2023")
    result = parse_plan(text, "piano.yaml")
    assert result.plan is None
    assert codes(result) == ["PLAN_002"]
    assert result.findings[0].line is not None and result.findings[0].file == "piano.yaml"


def test_schema_violations_are_all_reported_with_lines():
    data = small_plan_data()
    data["obiettivi"][1]["peso"] = "molto"
    data["obiettivi"][2]["colore"] = "rosso"
    del data["verifica_finale"]
    text = as_yaml(data)
    result = parse_plan(text, "piano.yaml")
    assert result.plan is None
    by_path = {f.path: f for f in result.findings}
    assert set(by_path) == {"obiettivi[1].peso", "obiettivi[2].colore", "verifica_finale"}
    assert all(f.code == "PLAN_003" for f in result.findings)
    lines = text.splitlines()
    assert "peso: molto" in lines[by_path["obiettivi[1].peso"].line - 1]
    assert "colore: rosso" in lines[by_path["obiettivi[2].colore"].line - 1]
    assert "intero" in by_path["obiettivi[1].peso"].message


def test_weights_must_total_100_with_the_cross_cutting_ones():
    data = small_plan_data()
    data["obiettivi"][2]["peso"] = 25
    result = parse_plan(as_yaml(data))
    assert "PLAN_004" in codes(result)
    message = next(f for f in result.findings if f.code == "PLAN_004").message
    assert "FIN" in message and "95" in message


def test_direct_assessment_weights_total_100_alone_and_have_no_indicators():
    data = small_plan_data()
    data["obiettivi"][4]["peso"] = 90
    data["obiettivi"][4]["indicatori"] = {"quantita": [{"descrizione": "x", "atteso": "1"}]}
    result = parse_plan(as_yaml(data))
    assert {"PLAN_005", "PLAN_013"} <= set(codes(result))


def test_duplicate_numbers_unknown_sector_bad_email_bad_month():
    data = small_plan_data()
    data["obiettivi"][2]["numero"] = 1
    data["obiettivi"][3]["settore"] = "VIG"
    data["settori"][0]["email"] = "fin.comune.it"
    data["obiettivi"][0]["fasi"][0]["mesi"] = [3, 13]
    text = as_yaml(data)
    result = parse_plan(text, "piano.yaml")
    found = set(codes(result))
    assert {"PLAN_006", "PLAN_008", "PLAN_009", "PLAN_003"} <= found
    month = next(f for f in result.findings if f.code == "PLAN_003")
    assert month.path == "obiettivi[0].fasi[0].mesi[1]"
    assert "- 13" in text.splitlines()[month.line - 1]


def test_target_not_understood_names_objective_indicator_and_accepted_forms():
    data = small_plan_data()
    data["obiettivi"][1]["indicatori"]["tempo"][0]["atteso"] = "31-feb"
    text = as_yaml(data)
    result = parse_plan(text, "piano.yaml")
    bad = next(f for f in result.findings if f.code == "PLAN_007")
    assert bad.severity is Severity.ERROR
    assert "FIN n° 1" in bad.message and "verifica della proposta" in bad.message
    assert "31 febbraio" in bad.message and "Forme accettate" in bad.message
    assert "31-feb" in text.splitlines()[bad.line - 1]


def test_review_dates_in_order():
    result = parse_plan(as_yaml(small_plan_data(verifica_finale="30/06/2023")))
    assert "PLAN_014" in codes(result)


def test_load_plan_file_problems(tmp_path):
    assert codes(load_plan(tmp_path / "manca.yaml")) == ["PLAN_001"]
    binary = tmp_path / "piano.yaml"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00garbage")
    assert codes(load_plan(binary)) == ["PLAN_001"]
    listing = tmp_path / "lista.yaml"
    listing.write_text("- a\n- b\n")
    assert codes(load_plan(listing)) == ["PLAN_001"]


def test_english_names_work_in_code():
    from schede_excel.plan.model import Objective

    objective = Objective(sector="FIN", number=1, weight=25, title="SPORTELLO")
    assert objective.key == "FIN/1"


@pytest.mark.parametrize("key", ["ente", "anno", "settori", "obiettivi", "punteggio"])
def test_schema_uses_the_file_keys(key):
    schema = plan_schema()
    assert key in schema["properties"]
    json.dumps(schema)


@pytest.mark.parametrize("text, words", [
    ("ente: Prova\nanno: 2023\n\tsettori: []\n", "tabulazione"),
    ("ente: Prova: bis\n", "virgolette"),
    ("ente: [Prova\n", "non chiuso"),
])
def test_yaml_mistakes_are_explained_in_italian(text, words):
    result = parse_plan(text, "piano.yaml")
    assert [f.code for f in result.findings] == ["PLAN_002"]
    assert words in result.findings[0].message and result.findings[0].line


def test_one_wrong_cross_cutting_weight_is_one_error():
    data = small_plan_data()
    data["obiettivi"][0]["peso"] = 25  # TUTTI/1: every sector then totals 95
    result = parse_plan(as_yaml(data))
    assert codes(result).count("PLAN_019") == 1 and "PLAN_004" not in codes(result)
    only_fin = small_plan_data()
    only_fin["obiettivi"][2]["peso"] = 25  # FIN/2: one sector's own weight, as before
    assert codes(parse_plan(as_yaml(only_fin)), Severity.ERROR) == ["PLAN_004"]


def test_an_unknown_key_does_not_hide_the_other_problems():
    data = small_plan_data()
    data["obiettivi"][1]["colore"] = "rosso"
    data["obiettivi"][2]["peso"] = 25
    data["settori"][0]["email"] = "non-un-indirizzo"
    result = parse_plan(as_yaml(data))
    assert result.plan is None
    assert {"PLAN_003", "PLAN_004"} <= set(codes(result))
    assert len([c for c in codes(result) if c != "PLAN_003"]) >= 2


def test_ente_written_with_comune_di_is_not_doubled():
    result = parse_plan(as_yaml(small_plan_data(ente="Comune di Valfiorita")))
    assert result.ok and result.plan.entity == "Valfiorita"
    assert "PLAN_020" in codes(result, Severity.WARNING)
    assert "PLAN_020" not in codes(parse_plan(as_yaml(small_plan_data(ente="Valfiorita"))))


# --- issue 14: one YAML loader, hostile plans -------------------------------------------------------

import time  # noqa: E402
import tracemalloc  # noqa: E402

from schede_excel.plan.yamlread import MAX_DEPTH  # noqa: E402


@pytest.mark.parametrize("key, written, reading", [
    ("numero", "010", "8"), ("atteso", "012", "10"), ("atteso", "1:30", "90"), ("atteso", "0x1F", "31"),
    ("atteso", "1_000", "1000"), ("peso", "0o17", "15"),
])
def test_yaml_1_1_numbers_are_refused_with_a_hint_to_quote(key, written, reading):
    data = small_plan_data()
    text = as_yaml(data)
    line = {"numero": "  numero: 1\n", "peso": "  peso: 40\n", "atteso": "      atteso: 90%\n"}[key]
    assert line in text
    text = text.replace(line, line.replace(line.split(": ")[1].strip(), written), 1)
    result = parse_plan(text, "piano.yaml")
    refused = [f for f in result.findings if f.code == "PLAN_025"]
    assert result.plan is None and len(refused) == 1
    assert f"«{written}»" in refused[0].message and f'"{written}"' in refused[0].message
    assert reading in refused[0].message and refused[0].line == text[:text.index(written)].count("\n") + 1


def test_quoted_forms_are_kept_as_written():
    text = as_yaml(small_plan_data()).replace("      atteso: 90%\n", '      atteso: "012"\n', 1)
    result = parse_plan(text)
    assert "PLAN_025" not in codes(result) and result.ok
    assert result.plan.objectives[0].indicators.quantita[0].target == "012"  # the text as written, not 10


def test_yes_and_no_stay_text():
    data = small_plan_data()
    data["settori"][1]["responsabile"] = "no"
    text = as_yaml(data).replace("responsabile: 'no'", "responsabile: no")
    assert "responsabile: no\n" in text
    result = parse_plan(text)
    assert result.ok and result.plan.sectors[1].head == "no"


def test_a_comment_after_a_text_value_is_warned():
    text = as_yaml(small_plan_data()).replace("titolo: TRASPARENZA", "titolo: TRASPARENZA #1 PRIORITÀ")
    result = parse_plan(text, "piano.yaml")
    [cut] = [f for f in result.findings if f.code == "PLAN_026"]
    assert cut.severity is Severity.WARNING and "«TRASPARENZA»" in cut.message
    assert cut.line == text[:text.index("#1")].count("\n") + 1


def test_duplicate_keys_are_an_error_at_the_second():
    text = as_yaml(small_plan_data()).replace("anno: 2023\n", "anno: 2023\nanno: 2024\n", 1)
    result = parse_plan(text, "piano.yaml")
    [dup] = [f for f in result.findings if f.code == "PLAN_027"]
    assert result.plan is None and dup.line == 3
    assert "anno" in dup.message and "riga 2" in dup.message


def _bounded(function, *args):
    tracemalloc.start()
    start = time.process_time()
    try:
        return function(*args), time.process_time() - start, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_an_alias_bomb_is_refused_at_once():
    """1 KB of anchors that would expand to 10^9 values: refused while composing, in bounded memory."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for k in range(1, 9):
        lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]")
    text = "\n".join(lines) + "\nente: *a8\n"
    assert len(text) < 1100
    result, _, peak = _bounded(parse_plan, text, "bomba.yaml")
    assert codes(result) == ["PLAN_028"] and "alias" in result.findings[0].message
    assert peak < 50


@pytest.mark.parametrize("text", ["ente: " + "[" * 20_000 + "]" * 20_000,
                                  "ente:\n" + "".join("  " * k + "- x:\n" for k in range(1, 2000))],
                         ids=["parentesi", "rientri"])
def test_deep_nesting_is_refused_with_an_italian_message(text):
    result = parse_plan(text, "profondo.yaml")
    assert codes(result) == ["PLAN_028"]
    assert f"oltre {MAX_DEPTH} livelli" in result.findings[0].message and result.findings[0].line


def test_a_duplicated_sector_code_is_a_finding_not_a_crash():
    data = small_plan_data()
    data["settori"].append(dict(data["settori"][0]))
    result = parse_plan(as_yaml(data), "piano.yaml")
    assert "PLAN_012" in codes(result) and not result.ok


@pytest.mark.parametrize("head", ["DR. ROSSI\r\nBcc: x@y.it", "DR. ROSSI\nX", "DR. ROSSI\u2028<spia@altrove.it>"])
def test_line_breaks_in_the_head_are_refused_at_validate(head):
    data = small_plan_data()
    data["settori"][0]["responsabile"] = head
    result = parse_plan(as_yaml(data), "piano.yaml")
    [bad] = [f for f in result.findings if f.code == "PLAN_024"]
    assert not result.ok and bad.path == "settori[0].responsabile" and bad.line


def test_pydantic_messages_are_italian():
    data = small_plan_data()
    text = as_yaml(data).replace("righe_personale: 4", "righe_personale: .inf")
    text = text if ".inf" in text else text.replace("anno: 2023\n", "anno: 2023\npunteggio:\n  peso_valore: .inf\n", 1)
    result = parse_plan(text, "piano.yaml")
    assert result.findings
    for f in result.findings:
        assert "Input should" not in f.message and "should be" not in f.message, f.message


def test_an_unquoted_thousand_in_atteso_is_pointed_out():
    text = as_yaml(small_plan_data()).replace("atteso: '1.000'", "atteso: 1.250", 1)
    assert "atteso: 1.250" in text
    result = parse_plan(text, "piano.yaml")
    [hint] = [f for f in result.findings if f.code == "PLAN_029"]
    assert hint.line == text[:text.index("1.250")].count("\n") + 1 and "1250" in hint.message
    quoted = parse_plan(as_yaml(small_plan_data()))
    assert "PLAN_029" not in codes(quoted)


def test_lookups_by_code_and_key():
    plan = parse_plan(as_yaml(small_plan_data())).plan
    assert plan.sector("FIN").name == "FINANZIARIO" and plan.find_sector("FIN") is plan.sector("FIN")
    assert plan.objective("FIN/2").title == "TRIBUTI" and plan.find_objective("FIN/2") is plan.objective("FIN/2")
    assert plan.find_sector("XYZ") is None and plan.find_sector(None) is None
    assert plan.find_objective("FIN/9") is None and plan.find_objective(None) is None
    with pytest.raises(KeyError):
        plan.sector("XYZ")


@pytest.mark.parametrize("written", ['!!int "abc"', '!!float "x"', "!!timestamp ieri"])
def test_a_tag_that_does_not_fit_its_value_is_a_finding(written):
    text = as_yaml(small_plan_data()).replace("anno: 2023", f"anno: {written}")
    result = parse_plan(text, "piano.yaml")
    assert result.plan is None and codes(result) == ["PLAN_002"]
    assert "«!!»" in result.findings[0].message
    assert result.findings[0].line == text[:text.index(written)].count("\n") + 1


def test_a_tag_that_fits_its_value_is_read():
    result = parse_plan(as_yaml(small_plan_data()).replace("anno: 2023", 'anno: !!int "2023"'), "piano.yaml")
    assert result.ok and result.plan.year == 2023


@pytest.mark.parametrize("written", ["1" * 5000, '!!int "' + "7" * 5000 + '"'])
def test_a_number_of_thousands_of_digits_is_a_finding_at_its_line(written):
    """Python converts at most 4,300 digits to a whole number: a weight of 5,000 is said, never a crash."""
    text = as_yaml(small_plan_data()).replace("anno: 2023", f"anno: {written}")
    result = parse_plan(text, "piano.yaml")
    assert result.plan is None and codes(result) == ["PLAN_002"]
    assert result.findings[0].line == text[:text.index(written)].count("\n") + 1
