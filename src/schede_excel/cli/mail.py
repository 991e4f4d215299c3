"""The `schede send` command: e-mail each sector head the sector's workbook (a thin layer over `mail`).

Exit codes: 0 sent (or nothing left to send); 1 some messages could not be sent (the send log
says which went; running again sends the rest); 2 bad input or failed preflight: nothing sent.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import click

from .common import (BAD_INPUT, CONTEXT, ItalianCommand, date_callback, PLAN_ARGUMENT, PROCESSES_OPTION, argument,
                     exit_if_unreadable, fail, load_or_exit, plural, print_findings, print_unreadable, round_option)
from ..files import describe_os_error
from ..mail.names import CONFIG_FILE, DRAFTS_DIR, LOG_FILE

SOME_FAILED = 1


@click.command(cls=ItalianCommand, context_settings=CONTEXT)
@PLAN_ARGUMENT
@argument("cartella", type=click.Path(exists=True, file_okay=False),
          help="La cartella con i file generati da «schede generate», uno per settore.")
@round_option(default="interim", help_text="Verifica dei file da inviare (predefinita: interim, la verifica intermedia).")
@click.option("--scadenza", "deadline", metavar="GG/MM/AAAA", callback=date_callback,
              help="Data entro cui restituire i file compilati, scritta nel messaggio.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help=f"File di configurazione della posta (predefinito: {CONFIG_FILE} nella cartella corrente, se c'è).")
@click.option("--cc", multiple=True, metavar="INDIRIZZO", help="In copia a ogni messaggio, es. il Segretario (ripetibile).")
@click.option("--rispondi-a", "--reply-to", "reply_to", multiple=True, metavar="INDIRIZZO",
              help="Indirizzo a cui vanno le risposte (Reply-To; ripetibile).")
@click.option("--modello", "template", type=click.Path(exists=True, dir_okay=False),
              help="Modello del messaggio (predefinito: quello del programma).")
@click.option("--registro", "log_file", type=click.Path(dir_okay=False),
              help=f"Registro degli invii (predefinito: CARTELLA/{LOG_FILE}).")
@click.option("--dry-run", "--prova", "dry_run", is_flag=True,
              help=f"Non invia nulla: scrive i messaggi come file .eml in CARTELLA/{DRAFTS_DIR} (o in --outbox); "
                   "il registro non cambia.")
@click.option("--outbox", "--bozze", "outbox", type=click.Path(file_okay=False), metavar="CARTELLA",
              help="Scrive i messaggi .eml in questa cartella invece di inviarli (come --dry-run).")
@click.option("--resend", "--reinvia", "resend", multiple=True, metavar="SETTORE",
              help="Invia di nuovo al settore anche se già inviato (ripetibile).")
def send(piano, cartella, round_, deadline, config_file, cc, reply_to, template, log_file, dry_run, outbox, resend):
    """Invia a ogni responsabile di settore il suo file per e-mail.

    Un messaggio per settore, al responsabile indicato nel piano, con il file in allegato e
    il testo del modello (settore, verifica, scadenza, istruzioni). Prima di inviare controlla
    che ci siano tutti i file e tutti gli indirizzi: se manca qualcosa non parte nulla.
    Ogni invio è scritto nel registro: rilanciando si inviano solo i messaggi mancanti.
    Il Segretario (valutazione diretta) riceve il suo file per informazione, senza nulla da
    restituire; nulla, se nel piano non ha un indirizzo e-mail.

    Server, porta, sicurezza, utente e mittente si leggono dal file di configurazione
    (schede-mail.toml) o dalle variabili SCHEDE_SMTP_*; la password solo dalla variabile
    SCHEDE_SMTP_PASSWORD o dalla richiesta a video.

    \b
    Esempio:
      schede send schede/caluso-2023.yaml out/ --scadenza 15/07/2023 --dry-run
      schede send schede/caluso-2023.yaml out/ --scadenza 15/07/2023 --cc segretario@comune.it
    """
    from ..findings import finding, has_errors
    from ..mail.sending import PASSWORD_ENV, load_settings, prepare, read_log, send as send_batch, write_drafts

    plan = load_or_exit(piano).plan
    if config_file is None and Path(CONFIG_FILE).is_file():
        config_file = CONFIG_FILE
    settings, findings = load_settings(config_file)
    overrides = {"deadline": deadline, "cc": cc, "reply_to": reply_to, "template": template and Path(template)}
    settings = dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v})
    folder = Path(cartella)
    log_path = Path(log_file) if log_file else folder / LOG_FILE
    records, log_findings = read_log(log_path)
    drafts = dry_run or outbox is not None
    batch = prepare(plan, folder, settings, round_=round_, sent=records, resend=resend, drafts=drafts)
    findings += log_findings + batch.findings
    print_findings(findings)
    if has_errors(findings):
        raise click.exceptions.Exit(fail("Nessun messaggio è stato inviato: correggere e riprovare."))

    for skipped in batch.skipped:
        state = "in sospeso" if skipped.uncertain else "modificato" if skipped.changed else "già inviato"
        click.echo(f"{state:>12}  {skipped.sector.code:<6} il {skipped.record.sent_at} a {', '.join(skipped.record.to)}")
    if not batch.outgoing:
        click.echo("Nessun messaggio da inviare.")
        return

    if drafts:
        target = Path(outbox) if outbox else folder / DRAFTS_DIR
        try:
            paths = write_drafts(batch, target)
        except OSError as error:
            print_findings([finding("MAIL_029", folder=str(target), detail=describe_os_error(error))])
            raise click.exceptions.Exit(BAD_INPUT) from None
        for path in paths:
            click.echo(f"{'bozza':>12}  {path}")
        click.echo(f"{plural(len(paths), 'messaggio scritto', 'messaggi scritti')} in {target}; nulla è stato inviato.")
        return

    password = os.environ.get(PASSWORD_ENV)
    if settings.user and not password:
        try:
            password = click.prompt(f"Password di {settings.user} sul server {settings.host}", hide_input=True, err=True)
        except click.Abort:
            print_findings([finding("MAIL_016", user=settings.user)])
            raise click.exceptions.Exit(fail("Nessun messaggio è stato inviato.")) from None

    click.echo(f"Invio di {plural(len(batch.outgoing), 'messaggio', 'messaggi')} tramite {settings.server}.", err=True)

    def progress(item, sent):
        to = ", ".join(item.message.get_all("To", []))
        click.echo(f"{'inviato' if sent else 'NON inviato':>12}  {item.sector.code:<6} {to}  {item.path.name}")

    report = send_batch(batch, settings, password, log_path=log_path, progress=progress)
    print_findings(report.findings)
    summary = f"{plural(len(report.sent), 'messaggio inviato', 'messaggi inviati')}; registro: {log_path}."
    if report.ok:
        click.echo(summary)
        return
    click.echo(summary)
    click.secho(f"{plural(len(report.unsent), 'messaggio non inviato', 'messaggi non inviati')}: rilanciare il "
                "comando per inviarli (quelli già inviati non partono di nuovo).", fg="red", err=True)
    raise click.exceptions.Exit(SOME_FAILED)


@click.command(cls=ItalianCommand, context_settings=CONTEXT)
@PLAN_ARGUMENT
@argument("ritorni", nargs=-1, type=click.Path(),
          help="I file restituiti dai settori (.xlsx, .xlsm, .ods) o le cartelle che li contengono; nessuno se non è tornato ancora niente.")
@click.option("--cartella", "folder", default="out", type=click.Path(file_okay=False),
              help=f"Cartella dei file generati e inviati, con il registro {LOG_FILE} (predefinita: out).")
@round_option(default="interim", help_text="Verifica da controllare (predefinita: interim, la verifica intermedia).")
@click.option("--scadenza", "deadline", metavar="GG/MM/AAAA", callback=date_callback,
              help="Data entro cui restituire i file: mostra i giorni che mancano.")
@click.option("--solleciti", "reminders_dir", type=click.Path(file_okay=False), metavar="CARTELLA",
              help="Scrive in questa cartella un sollecito .eml (con il file di nuovo in allegato) per ogni "
                   "settore che non ha ancora restituito; si apre come bozza nel programma di posta.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help=f"File di configurazione della posta, per il mittente dei solleciti (predefinito: {CONFIG_FILE}).")
@PROCESSES_OPTION
def status(piano, ritorni, folder, round_, deadline, reminders_dir, config_file, processes):
    """Mostra a che punto è ogni settore: inviato, restituito, problemi, giorni alla scadenza.

    RITORNI sono i file restituiti (o le cartelle che li contengono). L'invio si legge dal registro
    scritto da «schede send» nella cartella dei file generati.

    \b
    Esempio:
      schede status schede/caluso-2023.yaml ritorni/ --scadenza 15/07/2023
      schede status schede/caluso-2023.yaml ritorni/ --scadenza 15/07/2023 --solleciti solleciti/
    """
    from ..findings import has_errors
    from ..mail.receiving import read_receive_log, receive_log_path
    from ..mail.sending import load_settings, read_log, write_drafts
    from ..mail.status import reminders, sector_status
    from ..returns.importer import import_returns
    from ..scoring.evaluate import DIRECT

    plan = load_or_exit(piano).plan
    records, log_findings = read_log(Path(folder) / LOG_FILE)
    print_findings(log_findings)
    result = import_returns(plan, ritorni, round_=round_, processes=processes)
    print_unreadable(result)  # a file sent back but unreadable: its sector shows NO until it comes again
    received = []
    for folder_given in ritorni:  # what `schede ricevi` saved there, with when it arrived
        log, problems = read_receive_log(receive_log_path(folder_given)) if Path(folder_given).is_dir() else ([], [])
        received += log
        print_findings(problems)
    statuses = sector_status(plan, result, records, round_, deadline, received=received)
    click.echo(f"{'settore':<7} {'inviato il':<17} {'per posta il':<17} {'restituito il':<19} {'schede':>7} "
               f"{'errori':>7} {'avvisi':>7}")
    for s in statuses:
        sent = f"{s.sent_at:%d/%m/%Y %H:%M}" if s.sent_at else "non inviato"
        mail = f"{s.received_at:%d/%m/%Y %H:%M}" if s.received_at else "-"
        back = (f"{s.returned_at:%d/%m/%Y %H:%M}" if s.returned_at else "sì") if s.returned else (
            "NO" if s.expected else DIRECT)
        sheets = f"{s.objectives_returned:>3}/{s.objectives_expected:<3}" if s.expected else f"{'-':>3}    "
        click.echo(f"{s.sector:<7} {sent:<17} {mail:<17} {back:<19} {sheets} {s.errors:>7} {s.warnings:>7}")
        if s.received_file:
            click.echo(f"{'':<7} ricevuto: {s.received_file}")
    missing = [s for s in statuses if s.expected and not s.returned]
    if deadline:
        days = statuses[0].days_left
        when = f"mancano {plural(days, 'giorno', 'giorni')}" if days >= 0 else f"scaduta da {plural(-days, 'giorno', 'giorni')}"
        click.echo(f"Scadenza {deadline:%d/%m/%Y}: {when}.")
    returned = sum(s.returned for s in statuses)
    click.echo(f"{plural(returned, 'settore ha', 'settori hanno')} restituito, "
               f"{plural(len(missing), 'manca', 'mancano')}" + (f": {', '.join(s.sector for s in missing)}." if missing else "."))
    if reminders_dir and missing:
        if config_file is None and Path(CONFIG_FILE).is_file():
            config_file = CONFIG_FILE
        settings, findings = load_settings(config_file)
        if deadline:
            settings = dataclasses.replace(settings, deadline=deadline)
        batch = reminders(plan, folder, settings, statuses, round_=round_)
        print_findings(findings + batch.findings)
        if has_errors(findings + batch.findings):
            raise click.exceptions.Exit(fail("Nessun sollecito è stato scritto."))
        for path in write_drafts(batch, reminders_dir):
            click.echo(f"{'sollecito':>12}  {path}")
    exit_if_unreadable(result)
