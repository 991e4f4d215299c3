"""What every `schede` command shares: Italian help and usage errors, printing findings, loading the plan.

Exit codes: 0 done; 1 done but with errors found in the data (e.g. returned files); 2 bad
input (a plan with errors, a missing file, a wrong option): nothing was written; 3 a defect of
the program; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
import click.core
import click.decorators
import click.exceptions
import click.formatting
import click.parser
import click.termui
import click.types

if TYPE_CHECKING:
    from ..findings import Finding
    from ..plan.parse import PlanResult
    from ..returns.importer import ImportResult

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
BAD_INPUT = 2
SOME_UNREADABLE = 1  # done, with returned files that could not be read
INTERRUPTED = 130

# Click's own words, by the message ids it marks for gettext, in Italian. Click looks each one up
# through the `_`/`ngettext` names of its modules when it prints it; the CLI points those names
# at this table (below), so usage lines, help sections, [obbligatorio] and every usage error read
# Italian. A message missing here stays English, and the CLI test that scans every help page and
# usage error for click's English words fails.
CLICK_ITALIAN = {
    "Usage:": "Uso:",
    "Options": "Opzioni",
    "Positional arguments": "Argomenti",
    "Commands": "Comandi",
    "required": "obbligatorio",
    "default: {default}": "predefinito: {default}",
    "(dynamic)": "(calcolato)",
    "Show this message and exit.": "Mostra questo aiuto ed esce.",
    "Show the version and exit.": "Mostra la versione ed esce.",
    "Aborted!": "Interrotto.",
    "Error: {message}": "Errore: {message}",
    "Try '{command} {option}' for help.": "Per l'aiuto: {command} {option}",
    "Missing command.": "manca il comando.",
    "Missing argument": "manca l'argomento",
    "Missing option": "manca l'opzione",
    "Missing parameter": "manca il parametro",
    "Missing {param_type}": "manca {param_type}",
    "Missing parameter: {param_name}": "manca il parametro {param_name}",
    "Invalid value: {message}": "valore non valido: {message}",
    "Invalid value for {param_hint}: {message}": "valore non valido per {param_hint}: {message}",
    "No such option {name!r}.": "opzione sconosciuta: {name}.",
    "No such command {name!r}.": "comando sconosciuto: «{name}».",
    "Did you mean {possibility}?": "Forse {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(forse una tra: {possibilities}?)",
    "Got unexpected extra argument ({args})": "argomento in più non previsto: {args}",
    "Got unexpected extra arguments ({args})": "argomenti in più non previsti: {args}",
    "Option {name!r} requires an argument.": "l'opzione {name} vuole un valore.",
    "Option {name!r} requires {nargs} arguments.": "l'opzione {name} vuole {nargs} valori.",
    "Option {name!r} does not take a value.": "l'opzione {name} non vuole un valore.",
    "Argument {name!r} takes {nargs} values.": "l'argomento {name} vuole {nargs} valori.",
    "{value!r} is not {choice}.": "«{value}» non è {choice}.",
    "{value!r} is not one of {choices}.": "«{value}» non è tra {choices}.",
    "{value!r} is not a valid {number_type}.": "«{value}» non è un numero valido.",
    "{value} is not in the range {range}.": "{value} (serve {range}).",
    "{value!r} is not a valid boolean. Recognized values: {states}": "«{value}» non è sì o no; valori ammessi: {states}",
    "{value!r} does not match the format {format}.": "«{value}» non è nella forma {format}.",
    "{value!r} does not match the formats {formats}.": "«{value}» non è in nessuna delle forme {formats}.",
    "file": "file",
    "directory": "cartella",
    "path": "percorso",
    "{name} {filename!r} does not exist.": "{name} «{filename}» non esiste.",
    "{name} {filename!r} is a file.": "{name} «{filename}» è un file, non una cartella.",
    "{name} {filename!r} is a directory.": "{name} «{filename}» è una cartella, non un file.",
    "{name} {filename!r} is not readable.": "{name} «{filename}» non si può leggere.",
    "{name} {filename!r} is not writable.": "{name} «{filename}» non si può scrivere.",
    "{name} {filename!r} is not executable.": "{name} «{filename}» non è eseguibile.",
    "Could not open file {filename!r}: {message}": "impossibile aprire «{filename}»: {message}",
    "Value must be an iterable.": "servono più valori.",
    "Takes {nargs} values but 1 was given.": "vuole {nargs} valori, ne è stato dato 1.",
    "Takes {nargs} values but {len} were given.": "vuole {nargs} valori, ne sono stati dati {len}.",
    "Repeat for confirmation": "Ripetere per conferma",
    "Error: The two entered values do not match.": "Errore: i due valori non coincidono.",
    "Error: invalid input": "Errore: valore non valido",
}
# Placeholders of option values, by click's type name (Choice and dates show their own forms).
METAVARS = {"text": "TESTO", "integer": "NUMERO", "float": "NUMERO", "file": "PERCORSO", "cartella": "CARTELLA",
            "percorso": "PERCORSO", "boolean": "SÌ/NO", "filename": "PERCORSO"}


def _gettext(message: str) -> str:
    return CLICK_ITALIAN.get(message, message)


def _ngettext(singular: str, plural_: str, n: int) -> str:
    return _gettext(singular if n == 1 else plural_)


for _module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.termui, click.types):
    if hasattr(_module, "_"):
        setattr(_module, "_", _gettext)
    if hasattr(_module, "ngettext"):
        setattr(_module, "ngettext", _ngettext)


class DescribedArgument(click.Argument):
    """A positional argument with a description for the help page (click < 8.5 has none)."""

    def __init__(self, *args, help: str = "", **kwargs):  # noqa: A002 - click's own name for it
        super().__init__(*args, **kwargs)
        self.description = help


def argument(*decls, help: str, **attrs):  # noqa: A002
    """`click.argument` with the description every argument of `schede` must have."""
    return click.argument(*decls, cls=DescribedArgument, help=help, **attrs)


PLAN_ARGUMENT = argument("piano", type=click.Path(dir_okay=False),
                         help="Il file del piano: YAML (.yaml) o file Excel del piano (.xlsx, .xlsm, .ods).")
"""The PIANO argument every command takes."""
RETURNS_ARGUMENT = argument("ritorni", nargs=-1, required=True, type=click.Path(),
                            help="I file restituiti dai settori (.xlsx, .xlsm, .ods) o le cartelle che li contengono; "
                                 "uno o più.")
"""The RITORNI argument of the commands that read the returns."""


class WholeNumber(click.IntRange):
    """A whole number within bounds, its range said in Italian («almeno 1», «da 1 a 8»)."""

    def _describe_range(self) -> str:
        if self.min is not None and self.max is not None:
            return f"un numero da {self.min} a {self.max}"
        return f"almeno {self.min}" if self.min is not None else f"al massimo {self.max}"


PROCESSES_OPTION = click.option(
    "--processi", "processes", type=WholeNumber(min=1), default=None, metavar="NUMERO",
    help="Quanti processi usare insieme per leggere o scrivere i file (predefinito: uno per processore, "
         "quando i file sono abbastanza da guadagnarci; 1 per uno solo). Il risultato è lo stesso.")
"""The --processi option of every command that reads the returns or writes the workbooks."""


class _ItalianHelp:
    """Help pages in Italian: usage, Argomenti (described), Opzioni, Comandi."""

    def format_usage(self, ctx, formatter):
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix="Uso: ")

    def format_arguments(self, ctx, formatter):
        pass  # written by format_options, before the options

    def format_options(self, ctx, formatter):
        params = self.get_params(ctx)
        arguments = [(p.make_metavar(ctx), getattr(p, "description", "")) for p in params if isinstance(p, click.Argument)]
        if arguments:
            with formatter.section("Argomenti"):
                formatter.write_dl(arguments)
        rows = [r for p in params if not isinstance(p, click.Argument) and (r := p.get_help_record(ctx)) is not None]
        if rows:
            with formatter.section("Opzioni"):
                formatter.write_dl(rows)
        if isinstance(self, click.Group):
            self.format_commands(ctx, formatter)

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "Mostra questo aiuto ed esce."
        return option


def _italian_metavars(params) -> None:
    for param in params:
        if (isinstance(param, click.Option) and param.metavar is None and not param.is_flag
                and not isinstance(param.type, (click.Choice, click.DateTime))):
            param.metavar = METAVARS.get(param.type.name, "VALORE")


class ItalianCommand(_ItalianHelp, click.Command):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[OPZIONI]")
        super().__init__(*args, **kwargs)
        _italian_metavars(self.params)


class ItalianGroup(_ItalianHelp, click.Group):
    command_class = ItalianCommand

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[OPZIONI]")
        kwargs.setdefault("subcommand_metavar", "COMANDO [ARGOMENTI]...")
        super().__init__(*args, **kwargs)
        _italian_metavars(self.params)

    def format_commands(self, ctx, formatter):
        rows = self.command_lines(ctx)
        if rows:
            with formatter.section("Comandi"):
                formatter.write_dl(rows)

    def command_lines(self, ctx) -> list[tuple[str, str]]:
        """The `Comandi` section: each listed command's name and the start of its help."""
        return [(name, command.get_short_help_str(limit=80)) for name in self.list_commands(ctx)
                if (command := self.get_command(ctx, name)) is not None and not command.hidden]


def _once(text: str) -> bool:
    """True the first time this run prints `text` (the run's click context remembers what it printed)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return True
    printed = ctx.meta.setdefault("schede.printed", set())
    if text in printed:
        return False
    printed.add(text)
    return True


def print_findings(findings: list[Finding], *, quiet: bool = False) -> None:
    """Print findings on stderr, errors in red and warnings in yellow; each one once per run, INFO only when not quiet."""
    from ..findings import Severity

    for f in findings:
        if quiet and f.severity is Severity.INFO:
            continue
        text = str(f)
        if not _once(text):
            continue
        colour = {"errore": "red", "avviso": "yellow"}.get(f.severity.value)
        click.secho(text, fg=colour, err=True)


def print_unreadable(result: ImportResult) -> bool:
    """Print why each returned file that could not be read was left out (file, what is wrong, what to do);
    whether there was one: the command does its work with the others, then exits `SOME_UNREADABLE`."""
    from ..findings import Severity

    left_out = {f.path for f in result.unreadable}
    print_findings([f for f in result.findings if f.file in left_out and f.severity is Severity.ERROR])
    return bool(left_out)


def exit_if_unreadable(result: ImportResult) -> None:
    """At the end of a command: exit `SOME_UNREADABLE` when a returned file could not be read."""
    if result.unreadable:
        raise click.exceptions.Exit(SOME_UNREADABLE)


def load_or_exit(path: str) -> PlanResult:
    """The plan, or exit 2 with its errors; its warnings as one line (`schede validate` shows them)."""
    from ..findings import Severity
    from ..plan.load import load_plan

    result = load_plan(path)
    print_findings([f for f in result.findings if f.severity is Severity.ERROR])
    if not result.ok:
        errors = sum(f.severity is Severity.ERROR for f in result.findings)
        raise click.exceptions.Exit(fail(f"Il piano {path} ha {plural(errors, 'errore', 'errori')}: "
                                         f"{'correggerlo' if errors == 1 else 'correggerli'} e riprovare."))
    warnings = sum(f.severity is Severity.WARNING for f in result.findings)
    if warnings:
        notice = (f"Il piano ha {plural(warnings, 'avviso', 'avvisi')}: per "
                  f"{'vederlo' if warnings == 1 else 'vederli'}, schede validate {path}")
        if _once(notice):
            click.secho(notice, fg="yellow", err=True)
    return result


ROUND_NAMES = {"interim": "interim", "final": "final", "intermedia": "interim", "finale": "final"}


def round_option(*, help_text: str, default: str | None = None):
    """The --turno option of every command that works on one review: Italian or English names."""
    return click.option("--turno", "--round", "round_", type=click.Choice(list(ROUND_NAMES)), default=default,
                        callback=lambda ctx, param, value: ROUND_NAMES.get(value), help=help_text)


def date_callback(ctx, param, value):
    """A click callback for the GG/MM/AAAA options: the date, or an Italian usage error."""
    from ..mail.sending import parse_date

    try:
        return parse_date(value) if value else None
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def plural(count: int, one: str, many: str) -> str:
    """`1 errore`, `3 errori`."""
    return f"{count} {one if count == 1 else many}"


def fail(message: str) -> int:
    click.secho(message, fg="red", err=True)
    return BAD_INPUT




def require_suffix(path: str, suffixes: tuple[str, ...], what: str) -> None:
    """Exit 2 unless `path` ends with one of `suffixes`: a file is never written under a name that lies about it."""
    if Path(path).suffix.lower() not in suffixes:
        raise click.exceptions.Exit(fail(f"{what}: il nome del file deve finire con {' o '.join(suffixes)} ({path})."))
