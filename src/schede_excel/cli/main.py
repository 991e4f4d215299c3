"""The `schede` command group and its entry point: every command comes from its group's module."""

from __future__ import annotations

import os
import sys

import click

from ..version import __version__
from .common import BAD_INPUT, CONTEXT, ItalianGroup, italian_usage_error
from .cycle import consolidate, generate, import_, schema, validate
from .mail import send, status
from .deliverables import dossier, relazione, trasparenza
from .mailbox import ricevi
from .plan import migrate, plan_export, plan_template


@click.group(cls=ItalianGroup, context_settings=CONTEXT)
@click.version_option(__version__, "--version", message="schede-excel %(version)s", help="Mostra la versione ed esce.")
def cli() -> None:
    """Schede obiettivi del Piano della performance: genera le cartelle Excel per i settori,
    le rilegge compilate, le controlla, le valuta e le consolida.

    \b
    Esempio:
      schede validate schede/caluso-2023.yaml
      schede generate schede/caluso-2023.yaml -o out/
    """


for _command in (validate, generate, send, ricevi, import_, status, consolidate, relazione, dossier, trasparenza, schema,
                 plan_template, plan_export, migrate):
    cli.add_command(_command)


def main() -> None:
    """Entry point of the `schede` script: a bug shows a short Italian message, not a traceback."""
    try:
        code = cli.main(prog_name="schede", standalone_mode=False)
    except click.UsageError as error:
        if error.ctx is not None:
            click.echo(error.ctx.get_usage(), err=True)
        click.secho(f"Errore: {italian_usage_error(error.format_message())}", fg="red", err=True)
        command = error.ctx.command_path if error.ctx is not None else "schede"
        click.echo(f"Per l'aiuto: {command} --help", err=True)
        sys.exit(BAD_INPUT)
    except click.ClickException as error:
        click.secho(f"Errore: {italian_usage_error(error.format_message())}", fg="red", err=True)
        sys.exit(error.exit_code)
    except click.Abort:
        click.echo("Interrotto.", err=True)
        sys.exit(1)
    except Exception as error:  # noqa: BLE001 - last resort, see docstring
        if os.environ.get("SCHEDE_DEBUG"):
            raise
        click.secho(f"Errore imprevisto ({type(error).__name__}: {error}). È un difetto del programma: "
                    "rilanciare con SCHEDE_DEBUG=1 per i dettagli e segnalarlo.", fg="red", err=True)
        sys.exit(3)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
