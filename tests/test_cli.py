"""The `schede` command: same results as the library, Italian messages, exit codes, no tracebacks."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from schede_excel.cli.main import cli
from schede_excel.plan.load import load_plan
from tests.plans import as_yaml, small_plan_data

ROOT = Path(__file__).parent.parent


@pytest.fixture
def plan_file(tmp_path):
    path = tmp_path / "piano.yaml"
    path.write_text(as_yaml(small_plan_data()), encoding="utf-8")
    return path


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_validate_ok(plan_file):
    result = run("validate", plan_file)
    assert result.exit_code == 0
    assert "Piano valido" in result.output and "5 obiettivi" in result.output


def test_validate_json_matches_the_library(plan_file):
    result = run("validate", "--json", plan_file)
    rows = json.loads(result.stdout)
    assert rows == [f.as_row() for f in load_plan(plan_file).findings]


def test_validate_errors_exit_2(tmp_path):
    data = small_plan_data()
    data["obiettivi"][1]["peso"] = 10
    path = tmp_path / "piano.yaml"
    path.write_text(as_yaml(data), encoding="utf-8")
    result = run("validate", path)
    assert result.exit_code == 2
    assert "PLAN_004" in result.output and "non è valido" in result.output


def test_generate_writes_and_reports(plan_file, tmp_path):
    out = tmp_path / "out"
    result = run("generate", plan_file, "-o", out)
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("*.xlsx"))) == 5  # FIN, PM, SEG, annex, the Segretario's assessments to fill
    assert "creato" in result.output


def test_generate_bad_plan_writes_nothing(tmp_path):
    path = tmp_path / "piano.yaml"
    path.write_text("ente: Prova\nanno: duemila\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run("generate", path, "-o", out)
    assert result.exit_code == 2
    assert not out.exists()


def test_generate_refuses_to_replace_a_filled_file(plan_file, tmp_path):
    out = tmp_path / "out"
    run("generate", plan_file, "-o", out)
    target = sorted(out.glob("*.xlsx"))[0]
    target.write_bytes(b"compilato")
    result = run("generate", plan_file, "-o", out)
    assert result.exit_code == 2
    assert "GEN_001" in result.output and "Nessun file" in result.output
    assert target.read_bytes() == b"compilato"


def test_schema_command(tmp_path):
    out = tmp_path / "schema.json"
    assert run("schema", "-o", out).exit_code == 0
    assert "obiettivi" in json.loads(out.read_text(encoding="utf-8"))["properties"]


@pytest.mark.parametrize("args", [["validate", "nessuno.yaml"], ["generate", "nessuno.yaml"], ["comando-inesistente"],
                                  ["generate", "--turno", "boh", "x.yaml"]])
def test_real_process_gives_no_traceback(args, tmp_path):
    done = subprocess.run([sys.executable, "-m", "schede_excel", *args], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip()


def test_every_command_has_help_with_an_example_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, command in cli.commands.items():
        assert "Esempio" in (command.help or ""), name
        assert re.search(rf"schede {re.escape(name)}\b", readme), f"README does not document `schede {name}`"


def test_import_and_consolidate_refuse_a_missing_folder_and_write_nothing(plan_file, tmp_path):
    out = tmp_path / "riepilogo.xlsx"
    out.write_bytes(b"riepilogo precedente")
    result = run("consolidate", plan_file, tmp_path / "cartella-sbagliata", "-o", out)
    assert result.exit_code == 2 and "CONS_001" in result.output
    assert out.read_bytes() == b"riepilogo precedente"
    empty = tmp_path / "vuota"
    empty.mkdir()
    result = run("consolidate", plan_file, empty, "-o", out)
    assert result.exit_code == 2 and "CONS_002" in result.output
    assert out.read_bytes() == b"riepilogo precedente"
    result = run("import", plan_file, tmp_path / "cartella-sbagliata")
    assert result.exit_code == 2 and "non esiste" in result.output


def test_consolidate_refuses_a_bad_overrides_file_before_anything(plan_file, tmp_path):
    generated = tmp_path / "out"
    run("generate", plan_file, "-o", generated)
    bad = tmp_path / "nucleo.csv"
    bad.write_text("settore;obiettivo;blocco;numero;valutazione\nFIN;1;tempo;abc;50\nXX;1;;;50\n", encoding="utf-8")
    out = tmp_path / "riepilogo.xlsx"
    result = run("consolidate", plan_file, generated, "-o", out, "--valutazioni", bad)
    assert result.exit_code == 2
    assert "EVAL_015" in result.output and "EVAL_001" in result.output and "riga 2" in result.output
    assert not out.exists()


def test_validate_is_quiet_by_default_and_shows_info_with_v(tmp_path):
    data = small_plan_data()
    data["obiettivi"][2]["fasi"] = [{"descrizione": "Avvio", "mesi": []}]  # PLAN_015, an INFO
    path = tmp_path / "piano.yaml"
    path.write_text(as_yaml(data), encoding="utf-8")
    assert "PLAN_015" in [f.code for f in load_plan(path).findings]
    quiet, verbose = run("validate", path), run("validate", "-v", path)
    assert quiet.exit_code == verbose.exit_code == 0
    assert "PLAN_015" not in quiet.output and "PLAN_015" in verbose.output
    assert "PLAN_010" in quiet.output  # warnings are always shown by validate


def test_plan_warnings_are_one_line_outside_validate(plan_file, tmp_path):
    result = run("generate", plan_file, "-o", tmp_path / "out")
    assert result.exit_code == 0
    assert "PLAN_010" not in result.output
    assert result.output.count("schede validate") == 1


def test_a_plan_error_says_correggerlo_for_one(tmp_path):
    data = small_plan_data()
    data["obiettivi"][3]["peso"] = 60  # PM: 30 + 60
    path = tmp_path / "piano.yaml"
    path.write_text(as_yaml(data), encoding="utf-8")
    result = run("generate", path, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "1 errore: correggerlo" in result.output


def test_import_tells_an_empty_folder_from_a_missing_one(plan_file, tmp_path):
    empty = tmp_path / "vuota"
    empty.mkdir()
    result = run("import", plan_file, empty)
    assert result.exit_code == 2
    assert "RET_040" in result.output and "non esistono" not in result.output
    result = run("import", plan_file, tmp_path / "manca")
    assert result.exit_code == 2 and "non esistono" in result.output


def test_consolidate_refuses_a_summary_name_that_is_not_xlsx(plan_file, tmp_path):
    result = run("consolidate", plan_file, tmp_path, "-o", tmp_path / "riep.csv")
    assert result.exit_code == 2 and ".xlsx" in result.output
    assert not (tmp_path / "riep.csv").exists()


def test_consolidate_prints_scores_the_italian_way(plan_file, tmp_path):
    from schede_excel.sheet.generate import generate

    generate(load_plan(plan_file).plan, tmp_path / "out", annex=False)
    result = run("consolidate", plan_file, tmp_path / "out", "-o", tmp_path / "riepilogo.xlsx")
    assert result.exit_code == 0, result.output
    scores = re.findall(r"^\s+(FIN|PM)\s+(\S+)", result.output, re.MULTILINE)
    assert scores and all(re.fullmatch(r"\d+,\d", s) for _, s in scores), result.output
    own = [line for line in result.output.replace(str(tmp_path), "").splitlines()
           if not line.startswith(("AVVISO", "ERRORE", "INFO"))]  # findings quote ATTESO as written (1.000)
    assert not [line for line in own if re.search(r"\d\.\d", line)], own
    segretario = next(line for line in own if line.split()[:1] == ["SEG"])
    assert segretario.rstrip().endswith("valutazione diretta") and "schede 0/0" not in segretario, segretario
    assert "schede 0/0" not in result.output  # a sector that returns no sheet is not "0 of 0 returned"


def test_a_copy_of_the_segretario_file_among_the_returns_is_no_return(plan_file, tmp_path):
    from schede_excel.sheet.generate import generate, planned_workbooks

    plan = load_plan(plan_file).plan
    generate(plan, tmp_path / "out", annex=False)
    returns = tmp_path / "ritorni"
    returns.mkdir()
    for book in planned_workbooks(plan, annex=False):
        if book.sector.code in ("FIN", "SEG"):
            (returns / book.filename).write_bytes((tmp_path / "out" / book.filename).read_bytes())
    status = run("status", plan_file, returns, "--cartella", tmp_path / "out")
    assert status.exit_code == 0, status.output
    assert "1 settore ha restituito, 1 manca: PM." in status.output
    segretario = next(line for line in status.output.splitlines() if line.startswith("SEG"))
    assert "valutazione diretta" in segretario, segretario
    done = run("consolidate", plan_file, returns, "-o", tmp_path / "riepilogo.xlsx")
    assert done.exit_code == 0, done.output
    import openpyxl

    objectives = openpyxl.load_workbook(tmp_path / "riepilogo.xlsx")["Obiettivi"]
    header = [c.value for c in objectives[1]]
    shown = {(r[0], r[1]): r[header.index("Restituito")] for r in objectives.iter_rows(min_row=2, values_only=True) if r[0]}
    assert shown[("SEG", "SEG/1")] == "No" and shown[("FIN", "FIN/1")] == "Sì"


@pytest.mark.parametrize("command, output", [("status", None), ("relazione", "relazione.docx"), ("trasparenza", "trasparenza")])
def test_a_damaged_return_is_named_the_others_used_and_the_exit_is_1(plan_file, tmp_path, command, output):
    from schede_excel.sheet.generate import generate, planned_workbooks

    plan = load_plan(plan_file).plan
    generate(plan, tmp_path / "out", annex=False)
    returns = tmp_path / "ritorni"
    returns.mkdir()
    books = [b for b in planned_workbooks(plan, annex=False) if b.sector.code in ("FIN", "PM")]
    for book in books:
        (returns / book.filename).write_bytes((tmp_path / "out" / book.filename).read_bytes())
    damaged = returns / books[0].filename
    damaged.write_bytes(damaged.read_bytes()[:3000])  # cut short, as a failed download leaves it
    args = [command, plan_file, returns, "--cartella", tmp_path / "out"] if command == "status" else \
        [command, plan_file, returns, "--turno", "interim", "-o", tmp_path / output]
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert f"ERRORE READ_002 {damaged}" in result.output and "rispedirlo" in result.output
    if output:
        assert (tmp_path / output).exists()  # written from the readable return
