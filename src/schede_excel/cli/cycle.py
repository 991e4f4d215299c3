"""The commands of the cycle's main line: validate, schema, generate, import, consolidate.

Each command imports the steps it runs when it runs, so `validate` and every `--help` load no
workbook library.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click

from ..files import atomic_write, describe_os_error
from ..italian import number
from .common import BAD_INPUT, CONTEXT, ItalianCommand, PLAN_ARGUMENT, PROCESSES_OPTION, RETURNS_ARGUMENT, exit_if_unreadable, fail, require_suffix, load_or_exit, plural, print_findings, round_option

@click.command(cls=ItalianCommand, context_settings=CONTEXT)
@PLAN_ARGUMENT
@click.option("--json", "as_json", is_flag=True, help="Stampa le segnalazioni in JSON (per altri programmi).")
@click.option("-v", "--dettagli", "verbose", is_flag=True, help="Mostra anche le segnalazioni informative (come è stato letto ogni ATTESO).")
def validate(piano: str, as_json: bool, verbose: bool) -> None:
    """Controlla un file del piano: YAML oppure file Excel (.xlsx, .xlsm, .ods).

    Controlla struttura, pesi, numeri degli obiettivi, ATTESO, mesi, e-mail e responsabili;
    in un file Excel indica foglio e cella di ogni problema.
    Stampa errori e avvisi; con -v anche le segnalazioni informative (--json le dà tutte). Esce con 0 se il piano
    è valido (anche con avvisi), 2 se ha errori.

    \b
    Esempio:
      schede validate schede/caluso-2023.yaml
      schede validate piano-2024.xlsx
    """
    from ..findings import Severity
    from ..plan.load import load_plan

    result = load_plan(piano)
    if as_json:
        click.echo(json.dumps([f.as_row() for f in result.findings], ensure_ascii=False, indent=2))
    else:
        print_findings(result.findings, quiet=not verbose)
    summary_to_stderr = as_json
    if not result.ok:
        errors = sum(f.severity is Severity.ERROR for f in result.findings)
        raise click.exceptions.Exit(fail(f"Il piano {piano} non è valido: {plural(errors, 'errore', 'errori')}."))
    plan = result.plan
    warnings = sum(f.severity is Severity.WARNING for f in result.findings)
    click.echo(f"Piano valido: Comune di {plan.entity}, anno {plan.year}, {len(plan.sectors)} settori, "
               f"{len(plan.objectives)} obiettivi" + (f" ({plural(warnings, 'avviso', 'avvisi')})." if warnings else "."),
               err=summary_to_stderr)


@click.command(cls=ItalianCommand, context_settings=CONTEXT)
@PLAN_ARGUMENT
@click.option("-o", "--output", "out_dir", default="out", type=click.Path(file_okay=False),
              help="Cartella in cui scrivere i file Excel (predefinita: out).")
@round_option(default="interim", help_text="Verifica per cui si generano le schede (predefinita: interim, la verifica intermedia).")
@click.option("--password", default=None, help="Password di protezione dei fogli (predefinita: nessuna).")
@click.option("--senza-allegato", "no_annex", is_flag=True, help="Non scrivere il file con l'allegato completo.")
@click.option("--sovrascrivi", "--force", "overwrite", is_flag=True,
              help="Sostituisce i file già presenti con contenuto diverso (attenzione: potrebbero essere già compilati).")
@click.option("--from", "--da", "carried_from", multiple=True, type=click.Path(exists=True), metavar="RITORNI",
              help="Per la verifica finale: i file restituiti alla verifica intermedia (file o cartella, "
                   "ripetibile); i loro valori e testi sono riportati, bloccati, nelle nuove schede.")
@PROCESSES_OPTION
def generate(piano: str, out_dir: str, round_: str, password: str | None, no_annex: bool, overwrite: bool,
             carried_from: tuple[str, ...], processes: int | None) -> None:
    """Genera i file Excel delle schede.

    Un file per settore (obiettivi del settore più quelli trasversali TUTTI), quella del
    Segretario comunale e l'allegato completo con tutte le schede.

    \b
    Esempio:
      schede generate schede/caluso-2023.yaml -o out/
      schede generate schede/caluso-2023.yaml -o out-finale/ --turno final --from ritorni-interim/
    """
    from ..findings import SchedeError, Severity
    from ..sheet.generate import generate as generate_workbooks
    from ..sheet.generate import missing_interim, planned_workbooks

    plan = load_or_exit(piano).plan
    carried = []
    if carried_from:
        from ..returns.importer import import_returns

        if round_ != "final":
            raise click.exceptions.Exit(fail("--from vale per la verifica finale: aggiungere --turno final."))
        interim = import_returns(plan, carried_from, round_="interim", processes=processes)
        print_findings([f for f in interim.findings if f.severity is Severity.ERROR])
        if interim.unreadable:
            raise click.exceptions.Exit(fail("Alcune restituzioni intermedie non si leggono: nessun file è stato scritto."))
        carried = interim.objectives
        print_findings(missing_interim(plan, carried))
        click.echo(f"Verifica intermedia: {plural(len(carried), 'scheda riportata', 'schede riportate')}.")
    books = planned_workbooks(plan, round_, annex=not no_annex)
    with click.progressbar(length=len(books), label="Generazione", file=sys.stderr,
                           item_show_func=lambda b: b.filename if b else "") as bar:
        try:
            written = generate_workbooks(plan, out_dir, round_=round_, password=password, annex=not no_annex,
                                         overwrite=overwrite, carried=carried, progress=lambda book: bar.update(1, book),
                                         processes=processes)
        except SchedeError as error:
            print_findings(error.findings)
            raise click.exceptions.Exit(fail("Nessun file è stato scritto.")) from None
        except OSError as error:
            raise click.exceptions.Exit(fail(f"Impossibile scrivere in {out_dir}: {describe_os_error(error)}.")) from None
    for item in written:
        click.echo(f"{item.status:>10}  {item.path}  ({plural(item.sheets, 'scheda', 'schede')})")
    _assessments(plan, round_, Path(out_dir), overwrite)
    click.echo(f"{len(written)} file in {Path(out_dir)}.")


def _assessments(plan, round_: str, out_dir: Path, overwrite: bool) -> None:
    """Beside the workbooks, the evaluator's prefilled assessments file (the Segretario's objectives)."""
    from ..scoring.overrides import assessment_filename, assessment_workbook

    data = assessment_workbook(plan, round_)
    if data is None:
        return
    path = out_dir / assessment_filename(plan, round_)
    before = path.read_bytes() if path.exists() else None
    if before is not None and before != data and not overwrite:
        click.echo(f"{'invariato':>10}  {path}  (già presente, forse già compilato: non sostituito senza --sovrascrivi)")
        return
    status = "creato" if before is None else "invariato" if before == data else "aggiornato"
    try:
        if status != "invariato":
            atomic_write(path, data)
    except OSError as error:
        raise click.exceptions.Exit(fail(f"Impossibile scrivere {path}: {describe_os_error(error)}.")) from None
    rows = sum(len(plan.objectives_of(s)) for s in plan.sectors if s.direct_assessment)
    click.echo(f"{status:>10}  {path}  (valutazioni dirette da compilare: {plural(rows, 'obiettivo', 'obiettivi')}; "
               "poi schede consolidate --valutazioni)")


@click.command(cls=ItalianCommand, context_settings=CONTEXT)
@click.option("-o", "--output", "out_file", default="-", type=click.Path(dir_okay=False, allow_dash=True),
              help="File in cui scrivere lo schema (predefinito: a video).")
def schema(out_file: str) -> None:
    """Stampa lo schema JSON dei file del piano.

    Da usare nell'editor per avere completamento e controlli mentre si scrive il piano.

    \b
    Esempio:
      schede schema -o schede/piano.schema.json
    """
    from ..plan.load import plan_schema

    text = json.dumps(plan_schema(), ensure_ascii=False, indent=2) + "\n"
    if out_file == "-":
        click.echo(text, nl=False)
    else:
        atomic_write(out_file, text.encode("utf-8"))
        click.echo(f"Schema scritto in {out_file}.")


@click.command("import", cls=ItalianCommand, context_settings=CONTEXT)
@PLAN_ARGUMENT
@RETURNS_ARGUMENT
@click.option("-o", "--output", "out_file", type=click.Path(dir_okay=False),
              help="File JSON in cui scrivere i dati letti (predefinito: nessuno, solo il resoconto).")
@click.option("--tabelle", "tables_dir", type=click.Path(file_okay=False),
              help="Cartella in cui scrivere le tabelle in CSV per Excel e in JSON (obiettivi, indicatori, verifiche, personale, segnalazioni), con datapackage.json che le descrive.")
@round_option(help_text="Accetta solo le schede di questa verifica (predefinito: quella indicata nei file).")
@click.option("-v", "--dettagli", "verbose", is_flag=True, help="Mostra anche le segnalazioni informative (valori normalizzati).")
@PROCESSES_OPTION
def import_(piano, ritorni, out_file, tables_dir, round_, verbose, processes) -> None:
    """Legge i file restituiti dai settori e li controlla con il piano.

    RITORNI sono file (.xlsx, .xlsm, .ods) o cartelle che li contengono. Per ogni file stampa
    settore, verifica, schede trovate e i problemi con foglio e cella. I file restituiti non
    vengono mai modificati. Esce con 1 solo se un file non si è potuto leggere affatto.

    \b
    Esempio:
      schede import schede/caluso-2023.yaml ritorni/ -o risultati.json
    """
    from ..findings import Severity
    from ..returns.importer import collect_paths, import_returns
    from ..sheet.layout import ROUND_LABELS

    plan = load_or_exit(piano).plan
    paths, missing = collect_paths(ritorni)
    print_findings(missing)
    with click.progressbar(length=len(paths), label="Lettura", file=sys.stderr) as bar:
        result = import_returns(plan, ritorni, round_=round_, progress=lambda _: bar.update(1), processes=processes)
    by_file: dict[str, list] = {}
    for f in result.findings:
        by_file.setdefault(f.file, []).append(f)
    by_file_read = {i.path for i in result.files}
    for item in result.files:
        found = by_file.get(item.path, [])
        counts = Counter(f.severity for f in found)
        if not item.readable:
            state = "NON LEGGIBILE"
        elif not item.used:
            state = "ignorato"
        else:
            sector = item.sector or "più settori"
            state = f"settore {sector}, verifica {ROUND_LABELS.get(item.round, '?')}, {plural(len(item.objectives), 'scheda', 'schede')}"
        problems = ", ".join(plural(counts[s], one, many) for s, one, many in
                             ((Severity.ERROR, "errore", "errori"), (Severity.WARNING, "avviso", "avvisi")) if counts[s])
        click.echo(f"{item.path}: {state}" + (f" ({problems})" if problems else ""))
        print_findings(found, quiet=not verbose)
    print_findings([f for f in result.findings if f.file not in by_file_read], quiet=not verbose)
    try:
        if out_file:
            atomic_write(out_file, result.to_json().encode("utf-8"))
            click.echo(f"Dati scritti in {out_file}.")
        if tables_dir:
            for name, data in result.export_files().items():
                atomic_write(Path(tables_dir) / name, data)
            click.echo(f"Tabelle CSV scritte in {tables_dir}.")
    except OSError as error:
        raise click.exceptions.Exit(fail(f"Impossibile scrivere i risultati: {describe_os_error(error)}.")) from None
    used = sum(1 for f in result.files if f.used)
    click.echo(f"{plural(len(result.files), 'file letto', 'file letti')}, {used} usati, "
               f"{plural(len(result.objectives), 'scheda', 'schede')} importate.")
    if any(f.code == "READ_001" for f in missing):
        raise click.exceptions.Exit(fail("Un file o una cartella indicati non esistono: controllare i nomi."))
    if not paths:
        raise click.exceptions.Exit(fail("Nessun file .xlsx, .xlsm o .ods da leggere nelle cartelle indicate."))
    exit_if_unreadable(result)


@click.command(cls=ItalianCommand, context_settings=CONTEXT)
@PLAN_ARGUMENT
@RETURNS_ARGUMENT
@click.option("-o", "--output", "out_file", default="riepilogo.xlsx", type=click.Path(dir_okay=False),
              help="File Excel del riepilogo da scrivere (.xlsx; predefinito: riepilogo.xlsx).")
@round_option(help_text="Verifica da consolidare (predefinita: quella dei file restituiti).")
@click.option("--valutazioni", "overrides_file", type=click.Path(dir_okay=False),
              help="File CSV o Excel con le valutazioni del Nucleo/OIV: colonne settore, obiettivo, valutazione "
                   "(e blocco, numero per un singolo indicatore; nota).")
@click.option("--esporta", "exports_dir", type=click.Path(file_okay=False),
              help="Cartella in cui scrivere ogni tabella anche in CSV e JSON.")
@click.option("--allegato", "annex_file", type=click.Path(dir_okay=False),
              help="Scrive anche l'allegato dei risultati: le schede compilate con i valori calcolati.")
@click.option("--from", "--da", "carried_from", multiple=True, type=click.Path(exists=True), metavar="RITORNI",
              help="Per l'allegato della verifica finale: i file restituiti alla verifica intermedia (file o "
                   "cartella, ripetibile), riportati accanto, come nelle schede della verifica finale.")
@PROCESSES_OPTION
def consolidate(piano, ritorni, out_file, round_, overrides_file, exports_dir, annex_file, carried_from,
                processes) -> None:
    """Valuta le schede restituite e scrive il riepilogo dell'ente.

    Il riepilogo ha i fogli Riepilogo (ente e settori, con grafici), Obiettivi, Indicatori,
    Personale (una riga per persona e obiettivo), Personale per settore (dove entra nella
    pagina), Consegne, Anomalie e Regole. Il file è scritto per intero o per niente: se
    l'operazione si interrompe resta quello precedente.

    \b
    Esempio:
      schede consolidate schede/caluso-2023.yaml ritorni/ -o riepilogo.xlsx
      schede consolidate schede/caluso-2023.yaml ritorni/ --valutazioni nucleo.csv --allegato risultati.xlsx
    """
    from ..findings import SchedeError, Severity
    from ..report.consolidate import consolidate as run_consolidation
    from ..returns.importer import collect_paths, import_returns
    from ..scoring.overrides import load_overrides
    from ..sheet.layout import ROUND_LABELS

    require_suffix(out_file, (".xlsx",), "Riepilogo")
    plan = load_or_exit(piano).plan
    overrides = []
    if overrides_file:
        overrides, problems = load_overrides(overrides_file, plan)
        print_findings(problems)
        if problems:
            raise click.exceptions.Exit(fail(f"Correggere il file delle valutazioni {overrides_file} e riprovare."))
    carried = []
    if carried_from:
        interim = import_returns(plan, carried_from, round_="interim", processes=processes)
        print_findings([f for f in interim.findings if f.severity is Severity.ERROR])
        carried = interim.objectives
    paths, _ = collect_paths(ritorni)
    try:
        with click.progressbar(length=len(paths), label="Lettura", file=sys.stderr) as bar:
            done = run_consolidation(plan, ritorni, out_file, round_=round_, overrides=overrides,
                                     exports_dir=exports_dir, annex_file=annex_file, carried=carried,
                                     progress=lambda _: bar.update(1), processes=processes)
    except SchedeError as error:
        print_findings(error.findings)
        raise click.exceptions.Exit(BAD_INPUT) from None
    except OSError as error:
        raise click.exceptions.Exit(fail(f"Impossibile scrivere i risultati: {describe_os_error(error)}.")) from None
    print_findings(done.findings, quiet=True)
    evaluation = done.evaluation
    click.echo(f"Verifica {ROUND_LABELS[evaluation.round]}: "
               + (f"punteggio dell'ente {number(evaluation.ente_score)} ({evaluation.ente_band})"
                  if evaluation.ente_score is not None else "punteggio dell'ente non valutabile"))
    for sector in evaluation.sectors:
        score = f"{number(sector.score):>5}" if sector.score is not None else "    -"
        sheets = f"schede {sector.returned}/{sector.expected}" if sector.expected else "valutazione diretta"
        click.echo(f"  {sector.sector:<6} {score}  {sector.band:<24} {sheets}")
    for path in done.written:
        click.echo(f"Scritto {path}")
    exit_if_unreadable(done.result)
