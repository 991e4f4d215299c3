"""The `schede ricevi` command: collect the returned workbooks from the office mailbox (a thin layer over `mail.receiving`).

Exit codes: 0 everything in the mailbox handled; 1 something is left (connection lost, a receipt
not sent): running again completes it, without doubles; 2 bad input: nothing was read.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import click

from ..files import describe_os_error
from ..mail.names import CONFIG_FILE, LOG_FILE
from .common import CONTEXT, ItalianCommand, date_callback, PLAN_ARGUMENT, fail, load_or_exit, plural, print_findings, round_option

SOMETHING_LEFT = 1


def _password(variable: str, user: str, server: str) -> str | None:
    password = os.environ.get(variable)
    if password:
        return password
    if not sys.stdin or not sys.stdin.isatty():
        return None
    try:
        return click.prompt(f"Password di {user} su {server}", hide_input=True, err=True)
    except click.Abort:
        return None


@click.command("ricevi", cls=ItalianCommand, context_settings=CONTEXT)
@PLAN_ARGUMENT
@click.option("--ritorni", "returns_dir", default="ritorni", type=click.Path(file_okay=False),
              metavar="CARTELLA", help="Cartella in cui salvare i file restituiti (predefinita: ritorni).")
@click.option("--cartella", "folder", default="out", type=click.Path(file_okay=False),
              metavar="CARTELLA", help=f"Cartella dei file inviati, con il registro degli invii {LOG_FILE} "
                                       "(predefinita: out).")
@click.option("--registro", "log_file", type=click.Path(dir_okay=False), metavar="PERCORSO",
              help=f"Registro degli invii (predefinito: CARTELLA/{LOG_FILE}).")
@round_option(default="interim", help_text="Verifica di cui si raccolgono le restituzioni (predefinita: interim).")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False), metavar="PERCORSO",
              help=f"File di configurazione della posta, sezione [imap] (predefinito: {CONFIG_FILE} qui, se c'è).")
@click.option("--dal", "since", metavar="GG/MM/AAAA", callback=date_callback,
              help="Legge i messaggi da questa data (predefinita: il primo invio della verifica nel registro).")
@click.option("--sposta", "move_to", metavar="CARTELLA",
              help="Sposta nella cartella della casella ogni messaggio, una volta salvati tutti i suoi allegati "
                   "(senza: la casella è solo letta).")
@click.option("--ricevuta", "receipts", is_flag=True,
              help="Risponde a ogni responsabile con la ricevuta: cosa è arrivato e i problemi trovati, con foglio e cella.")
@click.option("--dry-run", "--prova", "dry_run", is_flag=True,
              help="Con --ricevuta: scrive le ricevute come file .eml in RITORNI/ricevute-bozze invece di inviarle.")
@click.option("-v", "--dettagli", "verbose", is_flag=True, help="Mostra anche le segnalazioni informative.")
def ricevi(piano, returns_dir, folder, log_file, round_, config_file, since, move_to, receipts, dry_run, verbose):
    """Raccoglie dalla casella dell'ufficio i file restituiti dai settori, anche per PEC.

    Legge i messaggi arrivati dal primo invio della verifica, prende le cartelle allegate (anche
    dentro un messaggio inoltrato o una busta PEC), le riconosce (piano, settore, verifica; la
    risposta al messaggio inviato; il mittente) e le salva in RITORNI con un nome che dice
    settore, verifica, data e impronta. Quelli di un altro piano o di un mittente sconosciuto
    vanno in RITORNI/da-verificare. Ogni file è annotato nel registro RITORNI/ricezioni.jsonl:
    rilanciando il comando nulla viene salvato due volte e nulla si perde.

    Server, porta, sicurezza (ssl o starttls), utente e cartella dalla sezione [imap] del file
    di configurazione o dalle variabili SCHEDE_IMAP_*; la password solo da SCHEDE_IMAP_PASSWORD
    o dalla richiesta a video.

    \b
    Esempio:
      schede ricevi schede/caluso-2023.yaml --ritorni ritorni/ --cartella out/
      schede ricevi schede/caluso-2023.yaml --ricevuta --sposta Restituzioni
    """
    from ..findings import SchedeError, finding, has_errors
    from ..mail.receiving import (APART, PASSWORD_ENV, RECEIVE_LOG, load_mailbox_settings, open_mailbox, receive,
                                  smtp_receipts)
    from ..mail.sending import PASSWORD_ENV as SMTP_PASSWORD_ENV, load_settings, read_log

    plan = load_or_exit(piano).plan
    if config_file is None and Path(CONFIG_FILE).is_file():
        config_file = CONFIG_FILE
    settings, findings = load_mailbox_settings(config_file)
    sent, log_findings = read_log(Path(log_file) if log_file else Path(folder) / LOG_FILE)
    findings += log_findings
    smtp_settings = None
    if receipts:
        smtp_settings, smtp_findings = load_settings(config_file)
        findings += smtp_findings
        if not dry_run and not smtp_settings.host:
            findings.append(finding("MBOX_002", what="il server SMTP per le ricevute (`[smtp] server` o SCHEDE_SMTP_HOST)"))
    print_findings(findings)
    if has_errors(findings):
        raise click.exceptions.Exit(fail("Nessun messaggio è stato letto: correggere e riprovare."))
    password = _password(PASSWORD_ENV, settings.user, settings.server)
    if password is None:
        raise click.exceptions.Exit(fail(f"Manca la password della casella: impostare {PASSWORD_ENV} o lanciare il "
                                         "comando da un terminale, che la chiede."))
    receipt = None
    if receipts:
        drafts = Path(returns_dir) / "ricevute-bozze" if dry_run else None
        smtp_password = None if dry_run or not smtp_settings.user else _password(
            SMTP_PASSWORD_ENV, smtp_settings.user, smtp_settings.server)
        receipt = smtp_receipts(plan, smtp_settings, smtp_password, drafts=drafts)
    try:
        imap = open_mailbox(settings, password)
    except SchedeError as error:
        print_findings(error.findings)
        raise click.exceptions.Exit(fail("Nessun messaggio è stato letto.")) from None
    click.echo(f"Lettura della cartella «{settings.folder}» di {settings.server}.", err=True)
    try:
        with click.progressbar(length=1, label="Messaggi", file=sys.stderr) as bar:
            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(1)

            reception = receive(plan, imap, folder=settings.folder, returns_dir=returns_dir, round_=round_, sent=sent,
                                since=since, move_to=move_to, receipt=receipt, progress=progress)
    except OSError as error:
        raise click.exceptions.Exit(fail(f"Impossibile scrivere in {returns_dir}: {describe_os_error(error)}.")) from None
    finally:
        if receipt is not None:
            receipt.close()
        try:
            imap.logout()
        except Exception:  # noqa: BLE001 - the connection may already be gone
            pass
    for item in reception.handled:
        where = f"settore {item.sector}, {item.sheets} schede su {item.expected}" if item.sector else ""
        via = ", per PEC" if item.pec else ""
        shown = item.path if item.path else item.name
        click.echo(f"{item.outcome:>14}  {shown}" + (f"  ({where}{via})" if where or via else ""))
    print_findings(reception.findings, quiet=not verbose)
    counts = Counter(item.outcome for item in reception.handled)
    parts = [plural(counts[o], one, many) for o, one, many in (
        ("salvato", "salvato", "salvati"), ("da verificare", "da verificare", "da verificare"),
        ("scartato", "scartato", "scartati"), ("già ricevuto", "già ricevuto", "già ricevuti")) if counts[o]]
    click.echo(f"{plural(reception.messages, 'messaggio letto', 'messaggi letti')}: "
               + (", ".join(parts) if parts else "nessun file Excel allegato")
               + (f"; {plural(len(reception.receipts), 'ricevuta', 'ricevute')}" if receipts else "")
               + (f"; {plural(len(reception.moved), 'messaggio spostato', 'messaggi spostati')} in «{move_to}»" if move_to else "")
               + f". Registro: {Path(returns_dir) / RECEIVE_LOG}.")
    if counts["da verificare"]:
        click.echo(f"Controllare i file in {Path(returns_dir) / APART}.")
    if not reception.ok:
        raise click.exceptions.Exit(SOMETHING_LEFT)

