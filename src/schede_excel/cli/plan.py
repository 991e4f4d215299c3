"""The `schede` commands for writing the plan in a spreadsheet: plan-template, plan-export, migrate.

A thin layer like `cli.py`: parse the options, call the library (`planbook`, `planyaml`,
`migrate`), print the findings, set the exit code. Each file is written whole or not at all,
and a different file already at the destination is replaced only with --sovrascrivi.
"""

from __future__ import annotations

from pathlib import Path

import click

from .common import CONTEXT, ItalianCommand, PLAN_ARGUMENT, argument, fail, plural, print_findings, require_suffix
from ..files import atomic_write, describe_os_error

_YAML = (".yaml", ".yml")
_OVERWRITE = click.option("--sovrascrivi", "--force", "overwrite", is_flag=True,
                          help="Sostituisce il file se esiste già con un contenuto diverso.")


def _write(path: str, data: bytes, overwrite: bool) -> str:
    """Write the file unless a different one is there; returns «creato», «aggiornato» or «invariato»."""
    from ..findings import finding

    target = Path(path)
    if target.exists():
        if target.read_bytes() == data:
            return "invariato"
        if not overwrite:
            print_findings([finding("GEN_001", file=str(target))])
            raise click.exceptions.Exit(fail("Nessun file è stato scritto."))
    status = "aggiornato" if target.exists() else "creato"
    try:
        atomic_write(target, data)
    except OSError as error:
        raise click.exceptions.Exit(fail(f"Impossibile scrivere {path}: {describe_os_error(error)}.")) from None
    return status


@click.command("plan-template", cls=ItalianCommand, context_settings=CONTEXT)
@click.option("-o", "--output", "out_file", required=True, type=click.Path(dir_okay=False),
              help="Il file Excel (.xlsx) da scrivere.")
@_OVERWRITE
def plan_template(out_file: str, overwrite: bool) -> None:
    """Scrive il modello vuoto del piano, da compilare in Excel o LibreOffice.

    Fogli Ente, Settori, Obiettivi, Fasi (con il cronoprogramma) e Indicatori, con elenchi a
    discesa, l'aiuto su ogni colonna e i pesi di ogni settore sommati nel foglio Settori.
    Compilato, si usa al posto del file YAML in ogni comando.

    \b
    Esempio:
      schede plan-template -o piano-2024.xlsx
      schede validate piano-2024.xlsx
      schede generate piano-2024.xlsx -o out/
    """
    from ..plan.workbook import build_plan_workbook

    require_suffix(out_file, (".xlsx",), "Modello del piano")
    status = _write(out_file, build_plan_workbook(None), overwrite)
    click.echo(f"{status:>10}  {out_file}")


@click.command("plan-export", cls=ItalianCommand, context_settings=CONTEXT)
@PLAN_ARGUMENT
@click.option("-o", "--output", "out_file", required=True, type=click.Path(dir_okay=False),
              help="Il file da scrivere: .xlsx (file Excel del piano) oppure .yaml.")
@_OVERWRITE
def plan_export(piano: str, out_file: str, overwrite: bool) -> None:
    """Scrive il piano in un'altra forma: da YAML a file Excel, o viceversa.

    Il piano riletto dal file scritto è identico all'originale. Un piano con errori (per
    esempio pesi che non danno 100) si esporta lo stesso, per correggerlo nell'altra forma.

    \b
    Esempio:
      schede plan-export schede/caluso-2023.yaml -o piano-2023.xlsx
      schede plan-export piano-2024.xlsx -o schede/piano-2024.yaml
    """
    from ..findings import Severity
    from ..plan.load import load_plan
    from ..plan.workbook import build_plan_workbook
    from ..plan.yamlwriter import plan_to_yaml_text

    require_suffix(out_file, (".xlsx", *_YAML), "Piano esportato")
    result = load_plan(piano)
    print_findings(result.findings, quiet=True)
    if result.plan is None:
        raise click.exceptions.Exit(fail(f"Il piano {piano} non si può leggere: nessun file è stato scritto."))
    plan = result.plan
    if Path(out_file).suffix.lower() in _YAML:
        data = plan_to_yaml_text(plan).encode("utf-8")
    else:
        data = build_plan_workbook(plan)
    status = _write(out_file, data, overwrite)
    errors = sum(f.severity is Severity.ERROR for f in result.findings)
    click.echo(f"{status:>10}  {out_file}  ({plural(len(plan.sectors), 'settore', 'settori')}, "
               f"{plural(len(plan.objectives), 'obiettivo', 'obiettivi')})")
    if errors:
        click.secho(f"Il piano ha {plural(errors, 'errore', 'errori')}: esportato lo stesso, da correggere.", fg="yellow", err=True)


@click.command("migrate", cls=ItalianCommand, context_settings=CONTEXT)
@argument("schede", metavar="SCHEDE", type=click.Path(exists=True, dir_okay=False),
          help="Il file Excel (.xlsx, .xlsm, .ods, .xls) con le schede dell'anno scorso.")
@click.option("-o", "--output", "out_file", required=True, type=click.Path(dir_okay=False),
              help="Il file YAML del nuovo piano da scrivere.")
@click.option("--anno", type=int, default=None, help="Anno del nuovo piano (predefinito: quello delle schede più uno).")
@click.option("--ente", default=None, help="Nome dell'ente, se le schede non lo riportano («Comune di …»).")
@_OVERWRITE
def migrate(schede: str, out_file: str, anno: int | None, ente: str | None, overwrite: bool) -> None:
    """Ricava il piano dell'anno nuovo dalle schede dell'anno scorso fatte a mano.

    SCHEDE è un file Excel di schede nel formato consueto (.xlsx, .xlsm, .ods, .xls), una
    scheda per foglio, anche non fatta con questo programma: le sezioni si trovano dalle
    etichette. Il piano scritto ha l'anno più uno, le date delle verifiche e gli ATTESO con
    data portati avanti di un anno, senza RAGGIUNTO, verifiche e personale. Quello che manca
    è elencato a video e nei commenti del file, da completare prima di «schede validate».

    \b
    Esempio:
      schede migrate allegato-2023.xlsx -o schede/piano-2024.yaml
      schede validate schede/piano-2024.yaml
    """
    from ..findings import Severity
    from ..plan.parse import parse_plan
    from ..plan.yamlwriter import plan_to_yaml
    from ..sheet.migrate import migrate_workbook

    require_suffix(out_file, _YAML, "Piano ricavato")
    outcome = migrate_workbook(Path(schede).read_bytes(), file=schede, year=anno, entity=ente)
    print_findings(outcome.findings)
    if outcome.data is None:
        raise click.exceptions.Exit(fail("Nessun piano è stato scritto."))
    text = plan_to_yaml(outcome.data, outcome.comments)
    status = _write(out_file, text.encode("utf-8"), overwrite)
    checked = parse_plan(text, file=out_file)
    print_findings(checked.findings, quiet=True)
    data = outcome.data
    click.echo(f"{status:>10}  {out_file}  (piano {data['anno']}: {plural(len(data['settori']), 'settore', 'settori')}, "
               f"{plural(len(data['obiettivi']), 'obiettivo', 'obiettivi')})")
    problems = sum(f.severity is not Severity.INFO for f in checked.findings + outcome.findings)
    if problems:
        click.echo(f"Da completare: {plural(problems, 'segnalazione', 'segnalazioni')} qui sopra e i commenti nel file; "
                   f"poi: schede validate {out_file}")
