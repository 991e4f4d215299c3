"""Every piece of click's text a user can meet is Italian: help pages, usage lines, usage errors.

Runs `schede` as the script does (`cli.main.main`), for the group and every command: `--help`,
and every kind of usage error the command's parameters allow (a missing argument or option,
an unknown option, an extra argument, an option without its value, a wrong choice, a number that
is not one, a path that does not exist, an unknown command). Fails on any English word of
click's vocabulary; option names (`--dry-run`) are the user's to type, not text, and are left out.
"""

from __future__ import annotations

import re
import sys

import click
import pytest

from schede_excel.cli.main import cli, main

ENGLISH = re.compile(
    r"\b(Usage|Options?|Arguments?|Positional|Commands?|required|default|dynamic|Error|Missing|Invalid|"
    r"No such|Try|Show|exit|Aborted|Did you mean|Got|unexpected|extra|requires|does|not|is|one of|"
    r"choose|valid|value|values|integer|float|boolean|directory|path|readable|writable|Choice)\b"
    r"|\b(TEXT|INTEGER|FLOAT|FILE|DIRECTORY|PATH|BOOLEAN|FILENAME)\b", re.IGNORECASE)


def english_words(text: str) -> list[str]:
    text = re.sub(r"(?<!\w)--?[\w-]+", " ", text)  # option names are typed, not read
    found = []
    for m in ENGLISH.finditer(text):
        word = m.group(0)
        if m.group(2) and word != word.upper():  # «file» in lower case is Italian too
            continue
        found.append(word)
    return found


def run(args, capsys, monkeypatch) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["schede", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    out = capsys.readouterr()
    return stop.value.code, out.out + out.err


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory):
    from tests.plans import as_yaml, small_plan_data

    path = tmp_path_factory.mktemp("cli") / "piano.yaml"
    path.write_text(as_yaml(small_plan_data()), encoding="utf-8")
    return path


def _valid_args(command: click.Command, plan_file, folder) -> list[str]:
    """Arguments that satisfy the command's required parameters."""
    args = []
    for param in command.params:
        if isinstance(param, click.Argument):
            args.append(str(plan_file) if param.name == "piano" else str(folder) if param.name in ("cartella", "ritorni")
                        else str(plan_file))
    for param in command.params:
        if isinstance(param, click.Option) and param.required:
            args += [param.opts[0], str(folder / "x.xlsx")]
    return args


def usage_errors(name: str, command: click.Command, plan_file, folder) -> list[list[str]]:
    """Every kind of usage error this command's parameters allow, as argument lists."""
    valid = _valid_args(command, plan_file, folder)
    cases = [[name, "--nonesiste"], [name, *valid, "--dettagl"]]
    if any(isinstance(p, click.Argument) or (isinstance(p, click.Option) and p.required) for p in command.params):
        cases.append([name])
    if not any(isinstance(p, click.Argument) and p.nargs == -1 for p in command.params):
        cases.append([name, *valid, "in-più", "ancora"])
    for param in command.params:
        if not isinstance(param, click.Option) or param.is_flag:
            continue
        cases.append([name, *valid, param.opts[0]])
        if isinstance(param.type, click.Choice):
            cases.append([name, *valid, param.opts[0], "nessuna-scelta"])
        if isinstance(param.type, (click.types.IntParamType, click.types.FloatParamType)):
            cases.append([name, *valid, param.opts[0], "tre"])
        if isinstance(param.type, click.IntRange) and param.type.min is not None:
            cases.append([name, *valid, param.opts[0], str(param.type.min - 1)])
        if isinstance(param.type, click.Path) and param.type.exists:
            cases.append([name, *valid, param.opts[0], str(folder / "non-esiste")])
    for param in command.params:
        if isinstance(param, click.Argument) and isinstance(param.type, click.Path) and param.type.exists:
            args = [str(folder / "non-esiste") if p is param else a
                    for p, a in zip([p for p in command.params if isinstance(p, click.Argument)], valid)]
            cases.append([name, *args, *valid[len(args):]])
    return cases


def test_every_help_page_is_italian_and_describes_every_parameter(capsys, monkeypatch):
    pages = {"": []} | {name: [name] for name in cli.commands}
    for name, prefix in pages.items():
        code, text = run([*prefix, "--help"], capsys, monkeypatch)
        assert code == 0, (name, text)
        assert text.startswith("Uso: "), (name, text)
        assert english_words(text) == [], (name, english_words(text), text)
    for name, command in cli.commands.items():
        for param in command.params:
            if isinstance(param, click.Argument):
                assert getattr(param, "description", ""), (name, param.name)
            elif not param.hidden:
                assert param.help, (name, param.name)


def test_every_usage_error_is_italian(capsys, monkeypatch, plan_file, tmp_path):
    folder = tmp_path / "ritorni"
    folder.mkdir()
    cases = [["nonesiste"], ["generat"]]
    for name, command in cli.commands.items():
        cases += usage_errors(name, command, plan_file, folder)
    assert len(cases) > 60
    for args in cases:
        code, text = run(args, capsys, monkeypatch)
        assert code == 2, (args, code, text)
        assert "Errore: " in text and "Errore: Uso" not in text, (args, text)
        assert english_words(text) == [], (args, english_words(text), text)
        assert not re.search(r"\bx\s*[<>]", text), (args, text)  # click's own «x>=1» for a range


def test_schede_alone_prints_the_help_not_an_error(capsys, monkeypatch):
    code, text = run([], capsys, monkeypatch)
    assert code == 0 and text.startswith("Uso: schede") and "Errore" not in text


def test_ctrl_c_exits_130(capsys, monkeypatch, plan_file):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("schede_excel.plan.load.load_plan", interrupted)
    code, text = run(["validate", str(plan_file)], capsys, monkeypatch)
    assert code == 130 and "Interrotto" in text
