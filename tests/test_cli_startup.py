"""Start-up: `schede --help` and every command's help load only click; `validate` of a YAML plan no workbook library."""

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from schede_excel.cli.common import ItalianGroup
from schede_excel.cli.main import COMMANDS, cli

ROOT = Path(__file__).parent.parent
WORKBOOK_LIBRARIES = {"pandas", "openpyxl", "xlsxwriter", "python_calamine", "lxml", "matplotlib", "docx", "odf"}
NOT_FOR_HELP = WORKBOOK_LIBRARIES | {"pydantic", "yaml"}  # a help page needs click and the command's module

# Runs `python -m schede_excel ARGS...` in this fresh interpreter and, at exit, writes the top-level
# packages it imported to the file named by the first argument.
_LOADED_AT_EXIT = """
import atexit, json, runpy, sys
report, sys.argv = sys.argv[1], ["schede", *sys.argv[2:]]
atexit.register(lambda: open(report, "w").write(json.dumps(sorted({m.split(".")[0] for m in sys.modules}))))
runpy.run_module("schede_excel", run_name="__main__")
"""


def loaded_by(args: list[str], tmp_path: Path) -> tuple[int, set[str]]:
    report = tmp_path / "moduli.json"
    done = subprocess.run([sys.executable, "-c", _LOADED_AT_EXIT, str(report), *args], capture_output=True,
                          text=True, cwd=ROOT)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, set(json.loads(report.read_text()))


def test_the_listing_is_each_commands_own_help():
    ctx = click.Context(cli, info_name="schede")
    assert cli.command_lines(ctx) == ItalianGroup.command_lines(cli, ctx)
    assert {name: cli.commands[name].name for name in COMMANDS} == {name: name for name in COMMANDS}


def test_the_help_lists_the_commands_without_importing_them(tmp_path):
    code, loaded = loaded_by(["--help"], tmp_path)
    assert code == 0
    assert "schede_excel" in loaded and loaded & NOT_FOR_HELP == set()


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_commands_help_loads_no_library_it_does_not_need(command, tmp_path):
    code, loaded = loaded_by([command, "--help"], tmp_path)
    assert code == 0
    assert loaded & NOT_FOR_HELP == set()


def test_validate_of_a_yaml_plan_loads_no_workbook_library(tmp_path):
    code, loaded = loaded_by(["validate", str(ROOT / "schede" / "caluso-2023.yaml")], tmp_path)
    assert code == 0
    assert loaded & WORKBOOK_LIBRARIES == set()


def test_generate_loads_only_the_workbook_writer(tmp_path):
    code, loaded = loaded_by(["generate", str(ROOT / "schede" / "caluso-2023.yaml"), "-o", str(tmp_path / "out")], tmp_path)
    assert code == 0
    assert loaded & WORKBOOK_LIBRARIES == {"xlsxwriter"}
