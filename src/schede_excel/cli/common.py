"""What every `schede` command shares: Italian help and usage errors, printing findings, loading the plan.

Exit codes: 0 done; 1 done but with errors found in the data (e.g. returned files); 2 bad
input (a plan with errors, a missing file, a wrong option): nothing was written.
"""

from __future__ import annotations

import re

import click

from ..findings import Finding, Severity
from ..plan.load import load_plan
from ..plan.parse import PlanResult

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
BAD_INPUT = 2

# Click's own words are English; these are the ones a user meets.
_USAGE_ERRORS = [
    (r"No such option: (.+)", r"opzione sconosciuta: \1"),
    (r"No such command '(.+)'\.", r"comando sconosciuto: «\1»"),
    (r"Missing argument '(.+)'\.", r"manca l'argomento \1"),
    (r"Missing option '(.+)'\.", r"manca l'opzione \1"),
    (r"Got unexpected extra arguments? \((.+)\)", r"argomenti in più non previsti: \1"),
    (r"Invalid value for '(.+?)': (.*)", r"valore non valido per \1: \2"),
    (r"Option '(.+)' requires an argument\.", r"l'opzione \1 vuole un valore"),
]
_USAGE_WORDS = [("' / '", " / "), ("is not one of", "non è tra"), ("does not exist", "non esiste"),
                ("is a directory", "è una cartella"), ("is a file", "è un file"), ("is not readable", "non è leggibile"),
                ("is not writable", "non è scrivibile"), ("is not a valid integer", "non è un numero intero"),
                ("is not a valid float", "non è un numero"), ("File", "Il file"), ("Directory", "La cartella"),
                ("Path", "Il percorso")]


def italian_usage_error(message: str) -> str:
    for pattern, replacement in _USAGE_ERRORS:
        if re.match(pattern, message):
            message = re.sub(pattern, replacement, message)
            break
    for english, italian in _USAGE_WORDS:
        message = message.replace(english, italian)
    return message


class _ItalianHelp:
    """Headings of the help pages in Italian."""

    def format_usage(self, ctx, formatter):
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix="Uso: ")

    def format_options(self, ctx, formatter):
        rows = [r for p in self.get_params(ctx) if (r := p.get_help_record(ctx)) is not None]
        if rows:
            with formatter.section("Opzioni"):
                formatter.write_dl(rows)
        if isinstance(self, click.Group):
            commands = [(n, c.get_short_help_str(limit=80)) for n in self.list_commands(ctx)
                        if (c := self.get_command(ctx, n)) is not None and not c.hidden]
            if commands:
                with formatter.section("Comandi"):
                    formatter.write_dl(commands)

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "Mostra questo aiuto ed esce."
        return option


class ItalianCommand(_ItalianHelp, click.Command):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[OPZIONI]")
        super().__init__(*args, **kwargs)


class ItalianGroup(_ItalianHelp, click.Group):
    command_class = ItalianCommand

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[OPZIONI]")
        kwargs.setdefault("subcommand_metavar", "COMANDO [ARGOMENTI]...")
        super().__init__(*args, **kwargs)


def print_findings(findings: list[Finding], *, quiet: bool = False) -> None:
    for f in findings:
        if quiet and f.severity is Severity.INFO:
            continue
        colour = {"errore": "red", "avviso": "yellow"}.get(f.severity.value)
        click.secho(str(f), fg=colour, err=True)


def load_or_exit(path: str, *, quiet: bool = False) -> PlanResult:
    result = load_plan(path)
    print_findings(result.findings, quiet=quiet)
    if not result.ok:
        errors = sum(f.severity is Severity.ERROR for f in result.findings)
        raise click.exceptions.Exit(fail(f"Il piano {path} ha {plural(errors, 'errore', 'errori')}: correggerli e riprovare."))
    return result


ROUND_NAMES = {"interim": "interim", "final": "final", "intermedia": "interim", "finale": "final"}


def round_option(*, help_text: str, default: str | None = None):
    """The --turno option of every command that works on one review: Italian or English names."""
    return click.option("--turno", "--round", "round_", type=click.Choice(list(ROUND_NAMES)), default=default,
                        callback=lambda ctx, param, value: ROUND_NAMES.get(value), help=help_text)


def plural(count: int, one: str, many: str) -> str:
    """`1 errore`, `3 errori`."""
    return f"{count} {one if count == 1 else many}"


def fail(message: str) -> int:
    click.secho(message, fg="red", err=True)
    return BAD_INPUT


