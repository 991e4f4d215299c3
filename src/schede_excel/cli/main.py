"""The `schede` command group and its entry point.

The group knows each command by name, module and one-line help, so `schede --help` lists them
without importing any; a command's module (and what it needs: pandas, openpyxl...) is imported
only when that command runs or its help is asked.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from importlib import import_module

import click

from ..version import __version__
from .common import BAD_INPUT, CONTEXT, INTERRUPTED, ItalianGroup

COMMANDS = {
    # name: (module in schede_excel.cli, function, the start of its help as `schede --help` lists it)
    "validate": ("cycle", "validate", "Controlla un file del piano: YAML oppure file Excel (.xlsx, .xlsm, .ods)."),
    "schema": ("cycle", "schema", "Stampa lo schema JSON dei file del piano."),
    "generate": ("cycle", "generate", "Genera i file Excel delle schede."),
    "send": ("mail", "send", "Invia a ogni responsabile di settore il suo file per e-mail."),
    "status": ("mail", "status", "Mostra a che punto è ogni settore: inviato, restituito, problemi, giorni alla..."),
    "ricevi": ("mailbox", "ricevi", "Raccoglie dalla casella dell'ufficio i file restituiti dai settori, anche per..."),
    "import": ("cycle", "import_", "Legge i file restituiti dai settori e li controlla con il piano."),
    "consolidate": ("cycle", "consolidate", "Valuta le schede restituite e scrive il riepilogo dell'ente."),
    "relazione": ("deliverables", "relazione",
                  "Scrive la bozza della Relazione sulla performance, da completare in Word o..."),
    "dossier": ("deliverables", "dossier", "Scrive il dossier di validazione per l'OIV / Nucleo di valutazione."),
    "trasparenza": ("deliverables", "trasparenza", "Scrive le tabelle di dati aperti per Amministrazione trasparente."),
    "plan-template": ("plan", "plan_template", "Scrive il modello vuoto del piano, da compilare in Excel o LibreOffice."),
    "plan-export": ("plan", "plan_export", "Scrive il piano in un'altra forma: da YAML a file Excel, o viceversa."),
    "migrate": ("plan", "migrate", "Ricava il piano dell'anno nuovo dalle schede dell'anno scorso fatte a mano."),
}
"""Every command of `schede`; a test checks each line against the command's own help."""


class _LazyCommands(Mapping):
    """The commands by name, each imported from its module the first time it is looked up."""

    def __init__(self) -> None:
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            module, function, _ = COMMANDS[name]
            self._loaded[name] = getattr(import_module(f"{__package__}.{module}"), function)
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


class LazyGroup(ItalianGroup):
    """The Italian group whose commands are imported only when wanted; its listing comes from COMMANDS."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, commands=_LazyCommands(), **kwargs)

    def command_lines(self, ctx) -> list[tuple[str, str]]:
        return [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]


_NO_ARGS = getattr(click.exceptions, "NoArgsIsHelpError", ())  # click >= 8.2


@click.group(cls=LazyGroup, context_settings=CONTEXT)
@click.version_option(__version__, "--version", message="schede-excel %(version)s", help="Mostra la versione ed esce.")
def cli() -> None:
    """Schede obiettivi del Piano della performance: genera i file Excel per i settori,
    li rilegge compilati, li controlla, li valuta e li consolida.

    \b
    Esempio:
      schede validate schede/caluso-2023.yaml
      schede generate schede/caluso-2023.yaml -o out/
    """


def main() -> None:
    """Entry point of the `schede` script: a bug shows a short Italian message, not a traceback."""
    try:
        code = cli.main(prog_name="schede", standalone_mode=False)
    except _NO_ARGS as error:  # `schede` alone: the help, not an error
        click.echo(error.ctx.get_help())
        sys.exit(0)
    except click.UsageError as error:
        if error.ctx is not None:
            click.echo(error.ctx.get_usage(), err=True)
        click.secho(f"Errore: {error.format_message()}", fg="red", err=True)
        command = error.ctx.command_path if error.ctx is not None else "schede"
        click.echo(f"Per l'aiuto: {command} --help", err=True)
        sys.exit(BAD_INPUT)
    except click.ClickException as error:
        click.secho(f"Errore: {error.format_message()}", fg="red", err=True)
        sys.exit(error.exit_code)
    except (click.Abort, KeyboardInterrupt):  # Ctrl-C; click turns it into Abort
        click.echo("Interrotto.", err=True)
        sys.exit(INTERRUPTED)
    except Exception as error:  # noqa: BLE001 - last resort, see docstring
        if os.environ.get("SCHEDE_DEBUG"):
            raise
        click.secho(f"Errore imprevisto ({type(error).__name__}: {error}). È un difetto del programma: "
                    "rilanciare con SCHEDE_DEBUG=1 per i dettagli e segnalarlo.", fg="red", err=True)
        sys.exit(3)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
