"""The commands after the final round: relazione, dossier, trasparenza (a thin layer over `deliverables`)."""

from __future__ import annotations

from pathlib import Path

import click

from ..files import atomic_write, describe_os_error
from ..mail.names import LOG_FILE
from .common import (BAD_INPUT, CONTEXT, ItalianCommand, PLAN_ARGUMENT, PROCESSES_OPTION, RETURNS_ARGUMENT, exit_if_unreadable,
                     fail, load_or_exit, print_findings, print_unreadable, round_option)

_OVERRIDES = click.option("--valutazioni", "overrides_file", type=click.Path(exists=True, dir_okay=False), metavar="PERCORSO",
                          help="Le valutazioni del Nucleo/OIV (CSV o Excel, come per consolidate).")
_ROUND = round_option(default="final", help_text="Verifica (predefinita: final, la verifica finale).")
_OVERWRITE = click.option("--sovrascrivi", "--force", "overwrite", is_flag=True,
                          help="Sostituisce quanto c'è già nella destinazione.")


def _results(piano: str, ritorni, round_: str, overrides_file: str | None, interim=(), processes: int | None = None):
    from ..deliverables.results import round_results
    from ..findings import SchedeError
    from ..scoring.overrides import load_overrides

    plan = load_or_exit(piano).plan
    overrides = []
    if overrides_file:
        overrides, problems = load_overrides(overrides_file, plan)
        print_findings(problems)
        if problems:
            raise click.exceptions.Exit(fail(f"Correggere il file delle valutazioni {overrides_file} e riprovare."))
    try:
        results = round_results(plan, ritorni, round_=round_, interim_paths=interim, overrides=overrides,
                                processes=processes)
    except SchedeError as error:
        print_findings(error.findings)
        raise click.exceptions.Exit(BAD_INPUT) from None
    print_unreadable(results.result)
    return results, overrides


def _folder(out: str, overwrite: bool) -> Path:
    folder = Path(out)
    if folder.exists() and any(folder.iterdir()) and not overwrite:
        raise click.exceptions.Exit(fail(f"La cartella {folder} non è vuota: indicarne un'altra o aggiungere --sovrascrivi."))
    return folder


def _write(path: Path, data: bytes) -> None:
    try:
        atomic_write(path, data)
    except OSError as error:
        raise click.exceptions.Exit(fail(f"Impossibile scrivere {path}: {describe_os_error(error)}.")) from None


@click.command("relazione", cls=ItalianCommand, context_settings=CONTEXT)
@PLAN_ARGUMENT
@RETURNS_ARGUMENT
@click.option("-o", "--output", "out_file", default="relazione.docx", type=click.Path(dir_okay=False), metavar="PERCORSO",
              help="Documento da scrivere (predefinito: relazione.docx).")
@_ROUND
@click.option("--intermedia", "interim", multiple=True, type=click.Path(), metavar="RITORNI",
              help="Le restituzioni della verifica intermedia, per il confronto con la finale (ripetibile).")
@_OVERRIDES
@click.option("--modello", "template", type=click.Path(exists=True, dir_okay=False), metavar="PERCORSO",
              help="Modello .docx dell'ufficio (carta intestata, stili).")
@click.option("--individuali", "individual", is_flag=True,
              help="Riporta il punteggio di ogni persona (predefinito: solo in forma aggregata).")
@_OVERWRITE
@PROCESSES_OPTION
def relazione(piano, ritorni, out_file, round_, interim, overrides_file, template, individual, overwrite,
              processes):
    """Scrive la bozza della Relazione sulla performance, da completare in Word o LibreOffice Writer.

    Segue la struttura delle linee guida della Funzione Pubblica (n. 3/2018): risultati
    principali, contesto e risorse, performance organizzativa (per settore e obiettivo, con
    indicatori, scostamenti e provvedimenti come scritti dai responsabili), obiettivi
    individuali, processo di valutazione, validazione. Le parti da scrivere sono evidenziate.

    \b
    Esempio:
      schede relazione schede/caluso-2023.yaml ritorni-finale/ --intermedia ritorni/ -o relazione-2023.docx
    """
    from ..deliverables.relazione import build_relazione
    from ..findings import SchedeError

    results, _ = _results(piano, ritorni, round_, overrides_file, interim, processes)
    if Path(out_file).exists() and not overwrite:
        raise click.exceptions.Exit(fail(f"{out_file} esiste già: indicarne un altro o aggiungere --sovrascrivi."))
    try:
        document = build_relazione(results, individual=individual, template=template)
    except SchedeError as error:
        print_findings(error.findings)
        raise click.exceptions.Exit(BAD_INPUT) from None
    _write(Path(out_file), document)
    click.echo(f"Bozza della Relazione scritta in {out_file}.")
    exit_if_unreadable(results.result)


@click.command("dossier", cls=ItalianCommand, context_settings=CONTEXT)
@PLAN_ARGUMENT
@RETURNS_ARGUMENT
@click.option("-o", "--output", "out_dir", default="dossier", type=click.Path(file_okay=False), metavar="CARTELLA",
              help="Cartella del dossier (predefinita: dossier).")
@_ROUND
@_OVERRIDES
@click.option("--cartella", "folder", default="out", type=click.Path(file_okay=False), metavar="CARTELLA",
              help=f"Cartella dei file inviati, con il registro degli invii {LOG_FILE} (predefinita: out).")
@_OVERWRITE
@PROCESSES_OPTION
def dossier(piano, ritorni, out_dir, round_, overrides_file, folder, overwrite, processes):
    """Scrive il dossier di validazione per l'OIV / Nucleo di valutazione.

    Un indice (cartella Excel e PDF) con ogni file restituito (settore, verifica, invio e arrivo,
    impronta SHA-256, schede, segnalazioni), le valutazioni del Nucleo con motivazione e punteggio
    prima e dopo, i valori del piano trovati modificati, le schede mancanti, le regole in vigore e
    la lista di controllo della validazione. MANIFEST.sha256 riporta l'impronta di ogni file del
    dossier: «sha256sum -c MANIFEST.sha256» mostra qualsiasi modifica.

    \b
    Esempio:
      schede dossier schede/caluso-2023.yaml ritorni-finale/ --valutazioni nucleo.csv -o dossier/
    """
    from ..deliverables.dossier import INDEX, MANIFEST, dossier_files, manifest, to_pdf
    from ..mail.receiving import read_receive_log, receive_log_path
    from ..mail.sending import read_log

    results, overrides = _results(piano, ritorni, round_, overrides_file, processes=processes)
    target = _folder(out_dir, overwrite)
    sent, problems = read_log(Path(folder) / LOG_FILE)
    received = []
    for given in ritorni:
        if Path(given).is_dir():
            log, more = read_receive_log(receive_log_path(given))
            received += log
            problems += more
    print_findings(problems)
    written = []
    for name, data in dossier_files(results, sent=sent, received=received, overrides=overrides).items():
        _write(target / name, data)
        written.append(target / name)
    pdf = to_pdf(target / INDEX)
    if pdf is None:
        click.secho("L'indice in PDF non è stato scritto: serve LibreOffice (pacchetto libreoffice-calc-nogui) "
                    "e che riesca ad aprire l'indice.", fg="yellow", err=True)
    else:
        written.append(pdf)
    _write(target / MANIFEST, manifest(written, target))
    for path in written:
        click.echo(f"Scritto {path}")
    click.echo(f"Impronte in {target / MANIFEST}.")
    exit_if_unreadable(results.result)


@click.command("trasparenza", cls=ItalianCommand, context_settings=CONTEXT)
@PLAN_ARGUMENT
@RETURNS_ARGUMENT
@click.option("-o", "--output", "out_dir", default="trasparenza", type=click.Path(file_okay=False), metavar="CARTELLA",
              help="Cartella dei dati aperti (predefinita: trasparenza).")
@_ROUND
@_OVERRIDES
@click.option("--nominativi", "names", is_flag=True,
              help="Aggiunge le valutazioni individuali con i nomi (solo se il sistema di valutazione ne prevede "
                   "la pubblicazione; predefinito: il personale solo in forma aggregata).")
@_OVERWRITE
@PROCESSES_OPTION
def trasparenza(piano, ritorni, out_dir, round_, overrides_file, names, overwrite, processes):
    """Scrive le tabelle di dati aperti per Amministrazione trasparente.

    Risultati per obiettivo e per settore, distribuzione delle valutazioni per fascia (per
    settore e categoria del personale) e grado di differenziazione, in CSV per Excel, JSON e ODS,
    con datapackage.json (Frictionless, licenza CC-BY 4.0). Nessun nome di persona, salvo
    --nominativi.

    \b
    Esempio:
      schede trasparenza schede/caluso-2023.yaml ritorni-finale/ -o trasparenza/
    """
    from ..deliverables.transparency import transparency_files

    results, _ = _results(piano, ritorni, round_, overrides_file, processes=processes)
    target = _folder(out_dir, overwrite)
    for name, data in transparency_files(results, names=names).items():
        _write(target / name, data)
        click.echo(f"Scritto {target / name}")
    exit_if_unreadable(results.result)
