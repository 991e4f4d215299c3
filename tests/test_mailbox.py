"""`schede ricevi` against a real IMAP server (Dovecot on 127.0.0.1) and a real SMTP server for the
receipts (aiosmtpd): plain replies, forwards, PEC envelopes, duplicates, another plan's file, a zip
bomb, a message with nothing attached; resuming after a dropped connection and after a kill.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from xml.sax.saxutils import escape
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import trustme
from click.testing import CliRunner

import hostile
from dovecot import Dovecot, PASSWORD as IMAP_PASSWORD, unavailable_reason
from plans import as_yaml, small_plan_data
from schede_excel.cli.main import cli
from schede_excel.mail.receiving import carried_workbooks, read_receive_log
from schede_excel.plan.load import load_plan
from schede_excel.returns.importer import import_returns
from schede_excel.sheet.generate import generate
from test_mail import PASSWORD as SMTP_PASSWORD, USER as SMTP_USER, Mailbox, ca, smtp_server  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
DEADLINE = (datetime.now() + timedelta(days=20)).strftime("%d/%m/%Y")
HEADS = {"FIN": "fin@comune.borgoprova.it", "PM": "pm@comune.borgoprova.it", "TEC": "tec@comune.borgoprova.it"}


@pytest.fixture(scope="session")
def dovecot():
    reason = unavailable_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"Dovecot is required in CI but unavailable: {reason}", pytrace=False)
        pytest.skip(reason)
    server = Dovecot(trustme.CA())
    yield server
    server.stop()


def plan_data() -> dict:
    data = small_plan_data()
    data["settori"].insert(2, {"codice": "TEC", "nome": "TECNICO", "responsabile": "ING. LUCA NERI",
                               "email": HEADS["TEC"]})
    data["obiettivi"].insert(4, {"settore": "TEC", "numero": 1, "peso": 70, "titolo": "MANUTENZIONI",
                                 "fasi": [{"descrizione": "Interventi", "mesi": [3, 4]}],
                                 "indicatori": {"quantita": [{"descrizione": "interventi", "atteso": "12"}]}})
    return data


class Office:
    """A plan, its workbooks sent to the heads through aiosmtpd (so a real send log), a mailbox of its own."""

    def __init__(self, root: Path, dovecot: Dovecot, smtp_port: int, ca_file: Path, user: str):
        self.root, self.dovecot, self.user = root, dovecot, user
        self.plan_file = root / "piano.yaml"
        self.plan_file.write_text(as_yaml(plan_data()), encoding="utf-8")
        self.plan = load_plan(self.plan_file).require()
        self.out = root / "out"
        generate(self.plan, self.out)
        self.config = root / "schede-mail.toml"
        self.config.write_text("\n".join([
            "[smtp]", 'server = "127.0.0.1"', f"porta = {smtp_port}", 'sicurezza = "starttls"', "timeout = 10",
            f'utente = "{SMTP_USER}"', f'certificato_ca = "{ca_file}"',
            "", "[messaggio]", 'mittente = "Ufficio personale <personale@comune.borgoprova.it>"',
            "", "[imap]", 'server = "127.0.0.1"', f"porta = {dovecot.ssl_port}", 'sicurezza = "ssl"',
            f'utente = "{user}"', f'certificato_ca = "{dovecot.ca_file}"', "timeout = 10"]) + "\n", encoding="utf-8")
        sent = CliRunner(env=self.env()).invoke(cli, ["send", str(self.plan_file), str(self.out), "--config",
                                                      str(self.config), "--scadenza", DEADLINE])
        assert sent.exit_code == 0, sent.output
        self.sent = {json.loads(line)["settore"]: json.loads(line)["message_id"]
                     for line in (self.out / "invii.jsonl").read_text(encoding="utf-8").splitlines()}
        self.returns = root / "ritorni"

    def env(self, **extra) -> dict:
        return {"SCHEDE_SMTP_PASSWORD": SMTP_PASSWORD, "SCHEDE_IMAP_PASSWORD": IMAP_PASSWORD, **extra}

    def workbook(self, code: str) -> bytes:
        return (self.out / f"borgo-prova-2023-intermedia-{code}.xlsx").read_bytes()

    def append(self, message: EmailMessage, folder: str = "INBOX") -> None:
        imap = self.dovecot.client(self.user)
        try:
            status, reply = imap.append(folder, None, None, message.as_bytes(policy=policy.SMTP))
            assert status == "OK", reply
        finally:
            imap.logout()

    def argv(self, *extra: str) -> list[str]:
        return ["ricevi", str(self.plan_file), "--ritorni", str(self.returns), "--cartella", str(self.out),
                "--config", str(self.config), *extra]

    def receive(self, *extra: str):
        return CliRunner(env=self.env()).invoke(cli, self.argv(*extra), catch_exceptions=False)

    def saved(self) -> list[Path]:
        return sorted(p for p in self.returns.glob("*.xls*"))

    def apart(self) -> list[Path]:
        return sorted((self.returns / "da-verificare").glob("*")) if (self.returns / "da-verificare").exists() else []


@pytest.fixture
def office(tmp_path, dovecot, smtp_server, ca, request, monkeypatch):  # noqa: F811
    for name in ("HOST", "PORT", "SECURITY", "USER", "FOLDER", "CA_FILE", "PASSWORD"):
        monkeypatch.delenv(f"SCHEDE_IMAP_{name}", raising=False)
        monkeypatch.delenv(f"SCHEDE_SMTP_{name}", raising=False)
    monkeypatch.chdir(tmp_path)
    outbox = Mailbox()
    port = smtp_server(outbox)
    user = f"{request.node.name[:40]}-{os.getpid()}@comune.borgoprova.it".replace("[", "-").replace("]", "")
    office = Office(tmp_path, dovecot, port, ca[0], user)
    office.outbox = outbox
    outbox.messages.clear()  # the sending of the workbooks is not what the tests look at
    return office


def message(*, sender: str, subject: str, body: str = "In allegato la scheda compilata.", reply_to: str | None = None,
            files: dict[str, bytes] | None = None, when: datetime | None = None) -> EmailMessage:
    out = EmailMessage()
    out["From"], out["To"], out["Subject"] = sender, "personale@comune.borgoprova.it", subject
    out["Date"] = format_datetime(when or datetime(2023, 7, 10, 9, 30, tzinfo=timezone.utc))
    out["Message-ID"] = make_msgid(domain="comune.borgoprova.it")
    if reply_to:
        out["In-Reply-To"] = reply_to
        out["References"] = reply_to
    out.set_content(body)
    for name, data in (files or {}).items():
        out.add_attachment(data, maintype=XLSX[0], subtype=XLSX[1], filename=name)
    return out


def forwarded(original: EmailMessage, *, by: str) -> EmailMessage:
    out = message(sender=by, subject=f"I: {original['Subject']}", body="Inoltro la scheda del collega.")
    out.add_attachment(original)  # message/rfc822
    return out


def pec_envelope(original: EmailMessage, *, identifier: str) -> EmailMessage:
    """As a PEC provider delivers it: the certified envelope, daticert.xml, the original as postacert.eml."""
    sender = original["From"]
    out = EmailMessage()
    out["From"] = f'"Per conto di: {sender}" <posta-certificata@pec.gestore.it>'
    out["To"] = "protocollo@pec.comune.borgoprova.it"
    out["Subject"] = f"POSTA CERTIFICATA: {original['Subject']}"
    out["Date"] = original["Date"]
    out["Message-ID"] = make_msgid(domain="pec.gestore.it")
    out["X-Trasporto"] = "posta-certificata"
    out["X-Riferimento-Message-ID"] = original["Message-ID"]
    out.set_content(f"Messaggio di posta certificata\nIl giorno 10/07/2023 alle ore 11:30:00 il messaggio "
                    f"«{original['Subject']}» è stato inviato da «{sender}».")
    daticert = f"""<?xml version="1.0" encoding="UTF-8"?>
<postacert tipo="posta-certificata" errore="nessuno">
  <intestazione><mittente>{sender}</mittente><destinatari tipo="certificato">protocollo@pec.comune.borgoprova.it</destinatari>
  <risposte>{sender}</risposte><oggetto>{original['Subject']}</oggetto></intestazione>
  <dati><gestore-emittente>GESTORE PEC S.p.A.</gestore-emittente>
  <data zona="+0200"><giorno>10/07/2023</giorno><ora>11:30:00</ora></data>
  <identificativo>{identifier}</identificativo><msgid>{escape(str(original['Message-ID']))}</msgid></dati>
</postacert>"""
    out.add_attachment(daticert.encode(), maintype="application", subtype="xml", filename="daticert.xml")
    out.add_attachment(original.as_bytes(policy=policy.SMTP), maintype="application", subtype="octet-stream",
                       filename="postacert.eml")
    out.add_attachment(b"0\x82firma", maintype="application", subtype="pkcs7-signature", filename="smime.p7s")
    return out


def other_plan_workbook(tmp_path: Path) -> bytes:
    data = plan_data()
    data["ente"] = "Altro Comune"
    plan_file = tmp_path / "altro.yaml"
    plan_file.write_text(as_yaml(data), encoding="utf-8")
    written = generate(load_plan(plan_file).require(), tmp_path / "altro")
    return next(w.path for w in written if w.path.name.endswith("FIN.xlsx")).read_bytes()


def fill_round(office: Office, tmp_path: Path) -> dict[str, EmailMessage]:
    fin = message(sender=HEADS["FIN"], subject="Re: Schede obiettivi FIN", reply_to=office.sent["FIN"],
                  files={"schede-FIN-compilate.xlsx": hostile.fill(office.plan, office.workbook("FIN"), "FIN")[0]})
    pm_original = message(sender=HEADS["PM"], subject="Scheda PM",
                          files={"PM.xlsx": hostile.fill(office.plan, office.workbook("PM"), "PM")[0]})
    tec_original = message(sender=HEADS["TEC"], subject="Re: Schede obiettivi TEC", reply_to=office.sent["TEC"],
                           files={"scheda tecnico.xlsx": office.workbook("TEC")})
    messages = {
        "fin": fin,
        "pm-inoltro": forwarded(pm_original, by="segreteria.pm@comune.borgoprova.it"),
        "tec-pec": pec_envelope(tec_original, identifier="opec210.20230710113000.0001.01.1.1@pec.gestore.it"),
        "doppio": message(sender=HEADS["FIN"], subject="Re: Schede obiettivi FIN (di nuovo)", reply_to=office.sent["FIN"],
                          files={"schede-FIN-compilate.xlsx": fin.get_payload()[1].get_content()}),
        "altro-piano": message(sender=HEADS["FIN"], subject="scheda", files={"altro.xlsx": other_plan_workbook(tmp_path)}),
        "bomba": message(sender=HEADS["PM"], subject="scheda", files={
            "bomba.xlsx": hostile.zip_bomb(office.workbook("PM"), "xl/worksheets/sheet2.xml", 2 * 2**30)}),
        "vuoto": message(sender="ufficio.stampa@comune.borgoprova.it", subject="Comunicazione", body="Nessun allegato."),
    }
    for item in messages.values():
        office.append(item)
    return messages


def test_the_whole_round_through_the_mailbox(office, tmp_path):
    messages = fill_round(office, tmp_path)
    result = office.receive("--ricevuta")
    assert result.exit_code == 0, result.output
    saved = office.saved()
    assert len(saved) == 3
    assert {p.name.split("-")[4] for p in saved} == {"FIN", "PM", "TEC"}  # borgo-prova-2023-intermedia-FIN-...
    assert all(p.name.startswith("borgo-prova-2023-intermedia-") for p in saved)
    assert len(office.apart()) == 1  # another plan's workbook, set apart
    assert "bomba" not in " ".join(p.name for p in office.returns.rglob("*"))  # never written to disk
    assert "MBOX_030" in result.output and "MBOX_031" in result.output
    # Receipts: one per saved workbook, threaded to the head's message, in Italian, with the problems.
    receipts = office.outbox.messages
    assert len(receipts) == 3
    by_to = {str(m["To"]): m for m in receipts}
    assert set(by_to) == {HEADS["FIN"], HEADS["PM"], HEADS["TEC"]}
    assert by_to[HEADS["FIN"]]["In-Reply-To"] == messages["fin"]["Message-ID"]
    body = by_to[HEADS["TEC"]].get_content()
    assert "abbiamo ricevuto" in body and "PEC" in body and "RAGGIUNTO" in body, body  # the blank sheet's findings
    log, problems = read_receive_log(office.returns / "ricezioni.jsonl")
    assert not problems
    pec = next(r for r in log if r.kind == "allegato" and r.sector == "TEC")
    assert pec.pec_id.startswith("opec210") and pec.sender == HEADS["TEC"]
    # The import takes exactly the three returns.
    imported = import_returns(office.plan, [office.returns])
    assert {r.sector for r in imported.objectives} == {"FIN", "PM", "TEC"}
    # Running again saves nothing and sends nothing.
    again = office.receive("--ricevuta")
    assert again.exit_code == 0, again.output
    assert office.saved() == saved and len(office.outbox.messages) == 3
    assert "già ricevuto" in again.output


def test_the_mailbox_is_only_read_unless_asked_to_move(office, tmp_path):
    fill_round(office, tmp_path)
    office.receive()
    imap = office.dovecot.client(office.user)
    try:
        imap.select("INBOX")
        subjects = [imap.fetch(n, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")[1][0][1] for n in imap.search(None, "ALL")[1][0].split()]
        assert len(subjects) == 7, subjects
        assert imap.search(None, "SEEN")[1][0] == b""  # not even marked as read
    finally:
        imap.logout()
    result = office.receive("--sposta", "Restituzioni")
    assert result.exit_code == 0, result.output
    imap = office.dovecot.client(office.user)
    try:
        imap.select("INBOX")
        left = imap.search(None, "ALL")[1][0].split()
        imap.select("Restituzioni")
        moved = imap.search(None, "ALL")[1][0].split()
    finally:
        imap.logout()
    assert len(moved) == 5 and len(left) == 2  # the bomb and the message with nothing attached stay in view


def test_receipts_as_drafts_send_nothing(office, tmp_path):
    fill_round(office, tmp_path)
    result = office.receive("--ricevuta", "--dry-run")
    assert result.exit_code == 0, result.output
    drafts = sorted((office.returns / "ricevute-bozze").glob("*.eml"))
    assert len(drafts) == 3 and not office.outbox.messages
    parsed = BytesParser(policy=policy.default).parsebytes(drafts[0].read_bytes())
    assert parsed["X-Unsent"] == "1" and parsed["In-Reply-To"]


def test_a_workbook_from_an_unknown_sender_is_set_apart(office):
    office.append(message(sender="qualcuno@esterno.it", subject="scheda",
                          files={"FIN.xlsx": office.workbook("FIN")}))
    result = office.receive()
    assert result.exit_code == 0 and not office.saved() and len(office.apart()) == 1
    assert "qualcuno@esterno.it" in result.output


def test_the_final_round_refuses_interim_workbooks(office):
    office.append(message(sender=HEADS["FIN"], subject="Re", reply_to=office.sent["FIN"],
                          files={"FIN.xlsx": office.workbook("FIN")}))
    result = office.receive("--turno", "final", "--dal", "01/01/2023")
    assert not office.saved() and len(office.apart()) == 1 and "intermedia" in result.output


def test_broken_messages_are_findings_not_tracebacks():
    envelope = EmailMessage()
    envelope["From"], envelope["Subject"] = "x@y.it", "POSTA CERTIFICATA: rotta"
    envelope.set_content("busta")
    envelope.add_attachment(b"<postacert><dati>", maintype="application", subtype="xml", filename="daticert.xml")
    envelope.add_attachment(b"\x00\xff non e' un messaggio", maintype="application", subtype="octet-stream",
                            filename="postacert.eml")
    found, problems = carried_workbooks(envelope)
    assert found == [] and any("daticert" in p for p in problems)


def test_wrong_password_and_bad_certificate_read_nothing(office, dovecot, tmp_path):
    result = CliRunner(env=office.env(SCHEDE_IMAP_PASSWORD="sbagliata")).invoke(cli, office.argv())
    assert result.exit_code == 2 and "MBOX_011" in result.output
    other = trustme.CA()
    pem = tmp_path / "altra-ca.pem"
    other.cert_pem.write_to_path(str(pem))
    text = office.config.read_text(encoding="utf-8").replace(str(dovecot.ca_file), str(pem))
    office.config.write_text(text, encoding="utf-8")
    result = office.receive()
    assert result.exit_code == 2 and "MBOX_012" in result.output and not office.returns.exists()


def test_a_plain_connection_is_refused_by_the_settings(office):
    text = office.config.read_text(encoding="utf-8").replace('sicurezza = "ssl"', 'sicurezza = "nessuna"')
    office.config.write_text(text, encoding="utf-8")
    result = office.receive()
    assert result.exit_code == 2 and "MBOX_001" in result.output


def test_starttls_works_too(office, dovecot):
    text = office.config.read_text(encoding="utf-8").replace(f"porta = {dovecot.ssl_port}",
                                                             f"porta = {dovecot.starttls_port}")
    office.config.write_text(text.replace('sicurezza = "ssl"', 'sicurezza = "starttls"'), encoding="utf-8")
    office.append(message(sender=HEADS["FIN"], subject="Re", reply_to=office.sent["FIN"],
                          files={"FIN.xlsx": office.workbook("FIN")}))
    result = office.receive()
    assert result.exit_code == 0, result.output
    assert len(office.saved()) == 1


# --- Resuming ------------------------------------------------------------------------------------

class CuttingProxy:
    """A TCP proxy on 127.0.0.1 to the IMAP server that closes the connection after `limit` bytes from the server."""

    def __init__(self, target_port: int, limit: int):
        self.target, self.limit = target_port, limit
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            client, _ = self.listener.accept()
        except OSError:
            return
        server = socket.create_connection(("127.0.0.1", self.target))
        passed = 0

        def up():
            try:
                while data := client.recv(65536):
                    server.sendall(data)
            except OSError:
                pass

        threading.Thread(target=up, daemon=True).start()
        try:
            while data := server.recv(65536):
                take = data[: max(0, self.limit - passed)]
                client.sendall(take)
                passed += len(take)
                if passed >= self.limit:
                    break
        except OSError:
            pass
        for sock in (client, server):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=5)


def _counts(office) -> tuple[list[str], int]:
    names = [p.name for p in office.saved()]
    return names, len(office.outbox.messages)


@pytest.mark.parametrize("cut_after", [6_000, 60_000])
def test_a_dropped_connection_is_completed_by_running_again(office, dovecot, tmp_path, cut_after):
    fill_round(office, tmp_path)
    proxy = CuttingProxy(dovecot.ssl_port, cut_after)
    text = office.config.read_text(encoding="utf-8")
    office.config.write_text(text.replace(f"porta = {dovecot.ssl_port}", f"porta = {proxy.port}"), encoding="utf-8")
    try:
        first = office.receive("--ricevuta")
    finally:
        proxy.close()
    assert first.exit_code != 0
    assert "MBOX_015" in first.output or "MBOX_010" in first.output
    office.config.write_text(text, encoding="utf-8")
    second = office.receive("--ricevuta")
    assert second.exit_code == 0, second.output
    names, receipts = _counts(office)
    assert len(names) == 3 and len(set(n.split("-")[4] for n in names)) == 3
    assert receipts == 3


DRIVER = """
import os, signal, sys
from schede_excel.mail import receiving
limit, calls = int(sys.argv[1]), [0]
original = receiving._append
def dying(path, record):
    calls[0] += 1
    if calls[0] == limit:
        os.kill(os.getpid(), signal.SIGKILL)
    original(path, record)
receiving._append = dying
from schede_excel.cli.main import main
sys.argv = ["schede", *sys.argv[2:]]
main()
"""


@pytest.mark.parametrize("kill_at", [1, 2, 3, 5, 8])
def test_a_kill_at_any_point_leaves_nothing_missing_or_doubled(office, tmp_path, kill_at):
    """Killed (SIGKILL) before the n-th write of the receive log: after a file is saved, before a receipt is
    handed to the server, after it went but before that was recorded."""
    fill_round(office, tmp_path)
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    env = {**os.environ, **office.env()}
    killed = subprocess.run([sys.executable, str(driver), str(kill_at), *office.argv("--ricevuta")],
                            capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert killed.returncode == -signal.SIGKILL
    again = office.receive("--ricevuta")
    assert again.exit_code == 0, again.output
    names, receipts = _counts(office)
    assert len(names) == 3 and len({n.split("-")[4] for n in names}) == 3
    assert [p.name for p in office.returns.glob(".*.tmp")] == []
    uncertain = again.output.count("MBOX_041")
    assert receipts + uncertain >= 3 and receipts <= 3  # never a receipt twice; an uncertain one is said


def test_status_shows_what_came_by_mail_next_to_what_was_sent(office, tmp_path):
    fill_round(office, tmp_path)
    assert office.receive().exit_code == 0
    result = CliRunner(env=office.env()).invoke(cli, ["status", str(office.plan_file), str(office.returns),
                                                      "--cartella", str(office.out)])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.split()}
    assert "per posta il" in result.output
    for code in ("FIN", "PM", "TEC"):
        assert lines[code].count("/20") >= 2, lines[code]  # sent and received by mail, with their dates
    assert "ricevuto: borgo-prova-2023-intermedia-FIN-" in result.output


def test_an_unreadable_receive_log_stops_before_anything_is_saved_or_sent(office, tmp_path):
    fill_round(office, tmp_path)
    assert office.receive("--ricevuta").exit_code == 0
    with open(office.returns / "ricezioni.jsonl", "ab") as log:
        log.write("{\"kind\": \"allegato\", \"nota\": \"modificato con il Blocco note: \xe8\"}\n".encode("cp1252"))
    again = office.receive("--ricevuta")
    assert again.exit_code != 0 and "MBOX_005" in again.output
    assert len(office.outbox.messages) == 3 and len(office.saved()) == 3


def test_a_file_set_apart_then_sent_by_its_head_is_saved(office, tmp_path):
    data = office.workbook("FIN")
    office.append(message(sender="mario.rossi@gmail.com", subject="scheda", files={"FIN.xlsx": data}))
    assert office.receive().exit_code == 0 and not office.saved() and len(office.apart()) == 1
    (office.apart()[0]).rename(tmp_path / "controllato.xlsx")  # the office looks at it and moves it away
    office.append(message(sender=HEADS["FIN"], subject="Re", reply_to=office.sent["FIN"], files={"FIN.xlsx": data}))
    assert office.receive().exit_code == 0
    assert len(office.saved()) == 1 and not office.apart()  # saved now, and the set-apart copy not rewritten


def test_one_head_for_two_sectors_and_a_folder_with_accents(office, tmp_path):
    text = office.plan_file.read_text(encoding="utf-8").replace(HEADS["TEC"], HEADS["FIN"])
    office.plan_file.write_text(text, encoding="utf-8")
    office.append(message(sender=HEADS["FIN"], subject="schede", files={"FIN.xlsx": office.workbook("FIN"),
                                                                        "TEC.xlsx": office.workbook("TEC")}))
    result = office.receive("--sposta", "Già ricevute")
    assert result.exit_code == 0, result.output
    assert {p.name.split("-")[4] for p in office.saved()} == {"FIN", "TEC"}
    imap = office.dovecot.client(office.user)
    try:
        status, _ = imap.select('"Gi&AOA- ricevute"')
        assert status == "OK" and len(imap.search(None, "ALL")[1][0].split()) == 1
    finally:
        imap.logout()
