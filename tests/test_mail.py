"""`schede send` against a real SMTP server (aiosmtpd on 127.0.0.1): headers, attachments, the send
log and resuming after a failure, authentication, STARTTLS and SSL with a test CA, dry runs, preflight.
"""

from __future__ import annotations

import hashlib
import json
import socket
import ssl
import threading
from datetime import date, timedelta
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

from schede_excel.cli.main import cli
from schede_excel.sheet.generate import generate
from schede_excel.mail.sending import (MailSettings, MessageTemplate, SentRecord, load_settings, prepare, read_log,
                               send)
from schede_excel.plan.load import load_plan
from tests.plans import as_yaml, small_plan_data

USER = "personale@comune.borgoprova.it"
PASSWORD = "Segreta-42!xyz"
DEADLINE = date.today() + timedelta(days=20)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECTORS = {"FIN": "fin@comune.borgoprova.it", "PM": "pm@comune.borgoprova.it", "SEG": "segretario@comune.borgoprova.it"}


class Mailbox:
    """An aiosmtpd handler that keeps what it receives; it can refuse recipients, or every message after N."""

    def __init__(self, accept: int | None = None, reply: str = "451 4.3.0 Troppi messaggi, riprovare più tardi",
                 refuse=()):
        self.accept, self.reply, self.refuse = accept, reply, set(refuse)
        self.messages, self.envelopes, self.mechanisms = [], [], []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Destinatario sconosciuto"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.accept is not None and len(self.messages) >= self.accept:
            return self.reply
        self.envelopes.append(envelope)
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 2.0.0 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.mechanisms.append(mechanism)
        good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            USER.encode(), PASSWORD.encode())
        return AuthResult(success=good, handled=False)  # handled=False: the server answers 535


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def ca(tmp_path_factory):
    """A throwaway certificate authority, its PEM file, and a server context for 127.0.0.1."""
    authority = trustme.CA()
    pem = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(pem))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    return pem, server_context


@pytest.fixture
def smtp_server(ca):
    """Start aiosmtpd servers on 127.0.0.1: `start(mailbox, security=...)`; all stopped at the end, no thread left."""
    before = set(threading.enumerate())
    controllers = []

    def start(mailbox: Mailbox, *, security="starttls", auth=True, **smtp_options):
        _, server_context = ca
        options = {"authenticator": mailbox.authenticate, "auth_required": True} if auth else {}
        if security == "starttls":
            options.update(tls_context=server_context, require_starttls=True)
        elif security == "ssl":
            # With implicit TLS aiosmtpd cannot tell the connection is encrypted: allow AUTH anyway.
            options.update(ssl_context=server_context, auth_require_tls=False)
        controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), ready_timeout=10,
                                **options, **smtp_options)
        controller.start()
        controllers.append(controller)
        return controller.port

    yield start
    for controller in controllers:
        controller.stop()
    assert not [t for t in set(threading.enumerate()) - before if t.is_alive()]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No SMTP settings from the developer's environment or a config file in the current folder."""
    for name in ("HOST", "PORT", "SECURITY", "USER", "FROM", "CA_FILE", "PASSWORD"):
        monkeypatch.delenv(f"SCHEDE_SMTP_{name}", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def office(tmp_path, ca):
    """A plan file, its workbooks generated into out/, and a function writing the mail config file."""
    return Office(tmp_path, ca[0])


class Office:
    def __init__(self, root, ca_file, plan_data=None):
        self.root = root
        self.plan = root / "piano.yaml"
        self.plan.write_text(as_yaml(plan_data or small_plan_data()), encoding="utf-8")
        self.out = root / "out"
        generate(load_plan(self.plan).plan, self.out)
        self.ca_file = ca_file
        self.config = root / "schede-mail.toml"

    def configure(self, port, *, security="starttls", ca=True, user=USER, extra=""):
        lines = ["[smtp]", 'server = "127.0.0.1"', f"porta = {port}", f'sicurezza = "{security}"', "timeout = 10"]
        if user:
            lines.append(f'utente = "{user}"')
        if ca:
            lines.append(f'certificato_ca = "{self.ca_file}"')
        lines += ["", "[messaggio]", 'mittente = "Ufficio personale <personale@comune.borgoprova.it>"',
                  'cc = ["Segretario comunale <segretario.generale@comune.borgoprova.it>"]',
                  'rispondi_a = "protocollo@comune.borgoprova.it"', extra]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return self

    def workbook(self, code):
        return self.out / f"borgo-prova-2023-intermedia-{code}.xlsx"

    def log(self):
        path = self.out / "invii.jsonl"
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []

    def send(self, *args, env=None, input=None):
        env = {"SCHEDE_SMTP_PASSWORD": PASSWORD} if env is None else env
        argv = ["send", str(self.plan), str(self.out), "--config", str(self.config),
                "--scadenza", DEADLINE.strftime("%d/%m/%Y"), *map(str, args)]
        return CliRunner(env=env).invoke(cli, argv, input=input, catch_exceptions=False)


def attachment(message):
    parts = list(message.iter_attachments())
    assert len(parts) == 1
    return parts[0]


def assert_password_nowhere(office, *results):
    for result in results:
        assert PASSWORD not in result.output
    for path in office.root.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


# --- Sending -------------------------------------------------------------------------------------

def test_messages_arrive_with_headers_and_the_workbooks_attached(office, smtp_server):
    mailbox = Mailbox()
    office.configure(smtp_server(mailbox))
    result = office.send()
    assert result.exit_code == 0, result.output
    assert "3 messaggi inviati" in result.output
    assert len(mailbox.messages) == 3

    log = office.log()
    by_code = {entry["settore"]: entry for entry in log}
    assert set(by_code) == set(SECTORS)  # the annex is not sent
    for message, envelope in zip(mailbox.messages, mailbox.envelopes):
        to = getaddresses([message["To"]])[0][1]
        code = next(code for code, address in SECTORS.items() if address == to)
        assert message["From"] == "Ufficio personale <personale@comune.borgoprova.it>"
        assert message["Cc"] == "Segretario comunale <segretario.generale@comune.borgoprova.it>"
        assert message["Reply-To"] == "protocollo@comune.borgoprova.it"
        assert message["Subject"].startswith("Piano della performance 2023, verifica intermedia")
        assert parsedate_to_datetime(message["Date"]).tzinfo is not None
        assert message["Message-ID"] == by_code[code]["message_id"]
        assert sorted(envelope.rcpt_tos) == sorted([to, "segretario.generale@comune.borgoprova.it"])
        assert envelope.mail_from == "personale@comune.borgoprova.it"
        body = message.get_body(("plain",)).get_content()
        if code == "SEG":  # sent for information: nothing to fill in or return (test_segretario.py)
            assert "per informazione" in body and "Come compilare" not in body and "entro il" not in body
        else:
            assert "entro il" in body and str(DEADLINE.year) in body and "Come compilare" in body
        part = attachment(message)
        assert part.get_content_type() == XLSX
        assert part.get_filename() == office.workbook(code).name
        assert part.get_content() == office.workbook(code).read_bytes()
        assert by_code[code]["file"] == office.workbook(code).name
    fin = next(m for m in mailbox.messages if "FINANZIARIO" in m["Subject"])
    assert "DR. MARIO ROSSI" in fin["To"] and "Gentile DR. MARIO ROSSI," in fin.get_body(("plain",)).get_content()
    assert mailbox.mechanisms == ["PLAIN"]
    assert_password_nowhere(office, result)


def test_send_log_records_what_status_needs(office, smtp_server):
    office.configure(smtp_server(Mailbox()))
    office.send()
    records, findings = read_log(office.out / "invii.jsonl")
    assert findings == []
    fin = next(r for r in records if r.sector == "FIN")
    assert (fin.plan, fin.round, fin.to, fin.cc) == ("borgo-prova-2023", "interim", (SECTORS["FIN"],),
                                                     ("segretario.generale@comune.borgoprova.it",))
    assert fin.sha256 == hashlib.sha256(office.workbook("FIN").read_bytes()).hexdigest()
    assert fin.sent_at[:10] == date.today().isoformat() and fin.message_id.startswith("<")
    assert SentRecord.from_json(fin.to_json()) == fin


def test_running_again_sends_nothing_twice(office, smtp_server):
    mailbox = Mailbox()
    office.configure(smtp_server(mailbox))
    office.send()
    again = office.send()
    assert again.exit_code == 0, again.output
    assert len(mailbox.messages) == 3
    assert again.output.count("già inviato") == 3 and "Nessun messaggio da inviare" in again.output
    assert len(office.log()) == 3


def test_a_changed_workbook_is_not_resent_without_resend(office, smtp_server):
    mailbox = Mailbox()
    office.configure(smtp_server(mailbox))
    office.send()
    office.workbook("FIN").write_bytes(office.workbook("FIN").read_bytes() + b"\0")
    changed = office.send()
    assert changed.exit_code == 0
    assert "MAIL_013" in changed.output and "--resend FIN" in changed.output
    assert len(mailbox.messages) == 3

    resent = office.send("--resend", "FIN")
    assert resent.exit_code == 0, resent.output
    assert len(mailbox.messages) == 4
    assert attachment(mailbox.messages[-1]).get_content() == office.workbook("FIN").read_bytes()
    assert [entry["settore"] for entry in office.log()].count("FIN") == 2


@pytest.mark.parametrize("reply", ["451 4.3.0 Troppi messaggi, riprovare più tardi", "554 5.7.1 Messaggio rifiutato"])
def test_a_server_failing_halfway_stops_and_the_next_run_sends_only_the_rest(office, smtp_server, reply):
    mailbox = Mailbox(accept=1, reply=reply)
    office.configure(smtp_server(mailbox))
    first = office.send()
    assert first.exit_code == 1
    assert "MAIL_027" in first.output and reply.split()[0] in first.output
    assert "1 messaggio inviato" in first.output and "2 messaggi non inviati" in first.output
    assert len(mailbox.messages) == 1 and len(office.log()) == 1

    mailbox.accept = None
    second = office.send()
    assert second.exit_code == 0, second.output
    assert "2 messaggi inviati" in second.output and "già inviato" in second.output
    delivered = [getaddresses([m["To"]])[0][1] for m in mailbox.messages]
    assert sorted(delivered) == sorted(SECTORS.values())
    assert sorted(entry["settore"] for entry in office.log()) == sorted(SECTORS)


def test_a_refused_recipient_does_not_stop_the_others(office, smtp_server):
    mailbox = Mailbox(refuse={SECTORS["PM"]})
    office.configure(smtp_server(mailbox))
    result = office.send()
    assert result.exit_code == 1
    assert "MAIL_025" in result.output and SECTORS["PM"] in result.output
    assert sorted(entry["settore"] for entry in office.log()) == ["FIN", "SEG"]
    assert len(mailbox.messages) == 3  # PM's reached the Cc only: not sent as far as the log goes

    mailbox.refuse.clear()
    again = office.send()
    assert again.exit_code == 0, again.output
    assert mailbox.envelopes[-1].rcpt_tos[0] == SECTORS["PM"]
    assert sorted(entry["settore"] for entry in office.log()) == ["FIN", "PM", "SEG"]


def test_a_refused_copy_only_warns(office, smtp_server):
    mailbox = Mailbox(refuse={"segretario.generale@comune.borgoprova.it"})
    office.configure(smtp_server(mailbox))
    result = office.send()
    assert result.exit_code == 0, result.output
    assert result.output.count("MAIL_026") == 3 and len(office.log()) == 3


# --- Authentication and TLS ------------------------------------------------------------------------

@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_authentication_mechanisms(office, smtp_server, mechanism):
    other = {"LOGIN": "PLAIN", "PLAIN": "LOGIN"}[mechanism]
    mailbox = Mailbox()
    office.configure(smtp_server(mailbox, auth_exclude_mechanism=[other]))
    result = office.send()
    assert result.exit_code == 0, result.output
    assert mailbox.mechanisms == [mechanism] and len(mailbox.messages) == 3


def test_a_wrong_password_sends_nothing_with_a_clear_message(office, smtp_server):
    mailbox = Mailbox()
    office.configure(smtp_server(mailbox))
    result = office.send(env={"SCHEDE_SMTP_PASSWORD": "sbagliata"})
    assert result.exit_code == 1
    assert "MAIL_022" in result.output and "ha rifiutato utente o password" in result.output
    assert "Traceback" not in result.output and "sbagliata" not in result.output
    assert mailbox.messages == [] and office.log() == []


def test_the_password_can_be_typed_at_the_prompt(office, smtp_server):
    mailbox = Mailbox()
    office.configure(smtp_server(mailbox))
    result = office.send(env={}, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Password di" in result.output and len(mailbox.messages) == 3
    assert_password_nowhere(office, result)


def test_no_password_and_no_terminal_sends_nothing(office, smtp_server):
    mailbox = Mailbox()
    office.configure(smtp_server(mailbox))
    result = office.send(env={}, input="")
    assert result.exit_code == 2
    assert "MAIL_016" in result.output and mailbox.messages == []


def test_starttls_verifies_the_server_certificate(office, smtp_server):
    mailbox = Mailbox()
    office.configure(smtp_server(mailbox), ca=False)  # the test CA is not among the system's ones
    result = office.send()
    assert result.exit_code == 1
    assert "MAIL_023" in result.output and "certificato" in result.output
    assert mailbox.messages == [] and mailbox.mechanisms == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls(office, smtp_server):
    mailbox = Mailbox()
    office.configure(smtp_server(mailbox, security="ssl"), security="ssl")
    result = office.send()
    assert result.exit_code == 0, result.output
    assert len(mailbox.messages) == 3 and mailbox.mechanisms == ["PLAIN"]


def test_a_server_without_starttls_is_refused(office, smtp_server):
    mailbox = Mailbox()
    office.configure(smtp_server(mailbox, security="none", auth=False))
    result = office.send()
    assert result.exit_code == 1
    assert "MAIL_024" in result.output and "STARTTLS" in result.output and mailbox.messages == []


def test_plain_connection_without_authentication(office, smtp_server):
    mailbox = Mailbox()
    office.configure(smtp_server(mailbox, security="none", auth=False), security="nessuna", user="")
    result = office.send(env={})
    assert result.exit_code == 0, result.output
    assert len(mailbox.messages) == 3


def test_connection_refused(office):
    office.configure(free_port())
    result = office.send()
    assert result.exit_code == 1
    assert "MAIL_020" in result.output and "connessione rifiutata" in result.output
    assert "3 messaggi non inviati" in result.output and office.log() == []


def test_a_silent_server_times_out(office):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        office.configure(silent.getsockname()[1], extra="")
        office.config.write_text(office.config.read_text().replace("timeout = 10", "timeout = 0.5"))
        result = office.send()
    assert result.exit_code == 1
    assert "MAIL_021" in result.output and "0.5 secondi" in result.output


# --- Dry run and outbox --------------------------------------------------------------------------

@pytest.mark.parametrize("option", ["--dry-run", "--outbox"])
def test_dry_run_writes_drafts_and_sends_nothing(office, smtp_server, option, tmp_path):
    mailbox = Mailbox()
    office.configure(smtp_server(mailbox))
    drafts = tmp_path / "posta" if option == "--outbox" else office.out / "bozze"
    result = office.send(*([option, drafts] if option == "--outbox" else [option]))
    assert result.exit_code == 0, result.output
    assert "nulla è stato inviato" in result.output
    assert mailbox.messages == [] and mailbox.mechanisms == []
    assert not (office.out / "invii.jsonl").exists()
    files = sorted(drafts.glob("*.eml"))
    assert [f.stem for f in files] == sorted(office.workbook(code).stem for code in SECTORS)
    for path in files:
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert message["X-Unsent"] == "1" and message["Subject"] and message["To"]
        assert attachment(message).get_content() == (office.out / f"{path.stem}.xlsx").read_bytes()
    assert_password_nowhere(office, result)


def test_dry_run_needs_no_server(office):
    office.config.write_text('[messaggio]\nmittente = "personale@comune.borgoprova.it"\n', encoding="utf-8")
    result = office.send("--dry-run", env={})
    assert result.exit_code == 0, result.output
    assert len(list((office.out / "bozze").glob("*.eml"))) == 3


# --- Preflight -----------------------------------------------------------------------------------

def test_a_sector_without_email_sends_nothing(tmp_path, ca, smtp_server):
    data = small_plan_data()
    data["settori"][1]["email"] = ""
    office = Office(tmp_path, ca[0], data)
    mailbox = Mailbox()
    office.configure(smtp_server(mailbox))
    result = office.send()
    assert result.exit_code == 2
    assert "MAIL_002" in result.output and "Settore PM" in result.output and "Nessun messaggio" in result.output
    assert mailbox.messages == [] and mailbox.mechanisms == [] and office.log() == []


def test_a_missing_workbook_sends_nothing(office, smtp_server):
    mailbox = Mailbox()
    office.configure(smtp_server(mailbox))
    office.workbook("SEG").unlink()
    result = office.send()
    assert result.exit_code == 2
    assert "MAIL_001" in result.output and office.workbook("SEG").name in result.output
    assert mailbox.messages == [] and office.log() == []


def test_missing_settings_are_all_reported_at_once(office):
    office.config.write_text("", encoding="utf-8")
    result = CliRunner(env={}).invoke(cli, ["send", str(office.plan), str(office.out), "--config", str(office.config)])
    assert result.exit_code == 2
    assert result.output.count("MAIL_006") == 2 and "MAIL_007" in result.output


def test_a_password_in_the_config_file_is_refused_and_not_shown(office):
    office.configure(25, extra=f'password = "{PASSWORD}"')
    result = office.send()
    assert result.exit_code == 2
    assert "MAIL_011" in result.output and PASSWORD not in result.output


def test_example_addresses_are_refused_for_sending_but_fine_for_drafts(tmp_path, ca):
    data = small_plan_data()
    data["settori"][0]["email"] = "fin@example.org"
    office = Office(tmp_path, ca[0], data).configure(free_port())
    assert "MAIL_004" in office.send().output
    assert office.send("--dry-run").exit_code == 0


def test_unknown_resend_sector_and_bad_deadline(office):
    office.configure(free_port())
    result = office.send("--resend", "XYZ", "--dry-run")
    assert result.exit_code == 2 and "MAIL_012" in result.output
    bad = CliRunner().invoke(cli, ["send", str(office.plan), str(office.out), "--scadenza", "31/02/2030"])
    assert bad.exit_code == 2 and "non è una data" in bad.output


# --- Library -------------------------------------------------------------------------------------

def test_template_with_an_unknown_placeholder(office, tmp_path):
    template = tmp_path / "modello.txt"
    template.write_text("Oggetto: Schede $settore\n\nGentile $dirigente,\n", encoding="utf-8")
    plan = load_plan(office.plan).plan
    settings = MailSettings(deadline=DEADLINE, template=template)
    batch = prepare(plan, office.out, settings, drafts=True)
    assert [f.code for f in batch.findings] == ["MAIL_009"] and "$dirigente" in batch.findings[0].message
    assert not batch.ok
    with pytest.raises(Exception):
        send(batch, settings, log_path=tmp_path / "invii.jsonl")


def test_default_template_names_every_placeholder_it_uses():
    template = MessageTemplate.default()
    values = {name: f"<{name}>" for name in ("ente", "anno", "settore", "codice", "responsabile", "turno",
                                             "verifica", "scadenza", "istruzioni", "file")}
    subject, body = template.render(values)
    assert "<anno>" in subject and "<settore>" in subject
    assert "<scadenza>" in body and "<istruzioni>" in body


def test_settings_from_file_and_environment(tmp_path):
    config = tmp_path / "posta.toml"
    config.write_text('[smtp]\nserver = "smtp.comune.it"\nsicurezza = "ssl"\nporta = "x"\nservre = "y"\n'
                      '[messaggio]\ncc = "a@comune.it, b@comune.it"\nscadenza = 2030-07-15\nmodello = "m.txt"\n',
                      encoding="utf-8")
    settings, findings = load_settings(config, {"SCHEDE_SMTP_HOST": "posta.comune.it", "SCHEDE_SMTP_USER": "io"})
    assert [f.code for f in findings] == ["MAIL_010", "MAIL_010"]
    assert "porta" in findings[0].message and "«servre» sconosciuta in [smtp]" in findings[1].message
    assert (settings.host, settings.user, settings.security, settings.smtp_port) == ("posta.comune.it", "io", "ssl", 465)
    assert settings.cc == ("a@comune.it", "b@comune.it") and settings.deadline == date(2030, 7, 15)
    assert settings.template == tmp_path / "m.txt"


def test_an_unreadable_log_line_stops_before_sending(office):
    office.configure(free_port())
    (office.out / "invii.jsonl").write_text('{"settore": "FIN"}\nnon json\n', encoding="utf-8")
    result = office.send()
    assert result.exit_code == 2
    assert result.output.count("MAIL_014") == 2 and "riga 2" in result.output


def test_final_round_uses_the_final_workbooks(tmp_path):
    plan = load_plan(Office(tmp_path, None).plan).plan
    generate(plan, tmp_path / "finale", round_="final", annex=False)
    batch = prepare(plan, tmp_path / "finale", MailSettings(deadline=DEADLINE), round_="final", drafts=True)
    assert batch.ok, batch.findings
    assert [item.path.name for item in batch.outgoing] == [f"borgo-prova-2023-finale-{code}.xlsx" for code in SECTORS]
    assert all("verifica finale" in item.message["Subject"] for item in batch.outgoing)
    assert "al 31/12/2023" in batch.outgoing[0].message.get_body(("plain",)).get_content()


def test_the_readme_config_example_is_valid(tmp_path):
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### `schede send"):]
    example = section[section.index("```toml") + len("```toml"):section.index("```", section.index("```toml") + 7)]
    config = tmp_path / "schede-mail.toml"
    config.write_text(example, encoding="utf-8")
    settings, findings = load_settings(config, {})
    assert findings == []
    assert settings.security == "starttls" and settings.cc and settings.deadline == date(2023, 7, 15)


# --- Exactly once when the outcome is uncertain --------------------------------------------------

class StoringThenSilent(Mailbox):
    """Stores the first message, then never replies to its DATA: drops the connection (`drop`), or
    holds the reply until `release` (the client times out, or is killed while it waits)."""

    def __init__(self, *, drop: bool):
        super().__init__()
        self.drop, self.release, self.stored = drop, threading.Event(), threading.Event()

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        first = not self.messages
        reply = await super().handle_DATA(server, session, envelope)
        if not first:
            return reply
        self.stored.set()
        if self.drop:
            server.transport.abort()  # stored, and the 250 never leaves
            return reply
        for _ in range(400):  # at most 20 s, the test releases it sooner
            if self.release.is_set():
                break
            await asyncio.sleep(0.05)
        return reply


def _in_flight(office):
    return [entry for entry in office.log() if entry.get("stato") == "in_invio"]


@pytest.mark.parametrize("drop", [True, False], ids=["connessione-chiusa", "risposta-in-ritardo"])
def test_a_message_stored_without_reply_is_never_sent_twice(office, smtp_server, drop):
    mailbox = StoringThenSilent(drop=drop)
    office.configure(smtp_server(mailbox))
    office.config.write_text(office.config.read_text().replace("timeout = 10", "timeout = 1"))
    try:
        first = office.send()
    finally:
        mailbox.release.set()
    assert first.exit_code == 1
    assert "MAIL_030" in first.output and "--resend FIN" in first.output
    assert len(mailbox.messages) == 1
    [uncertain] = _in_flight(office)
    assert uncertain["settore"] == "FIN" and uncertain["message_id"] == mailbox.messages[0]["Message-ID"]

    again = office.send()
    assert again.exit_code == 0, again.output
    assert "MAIL_031" in again.output and "in sospeso" in again.output and uncertain["message_id"] in again.output
    assert [m["To"] for m in mailbox.messages].count(mailbox.messages[0]["To"]) == 1  # FIN once
    assert len(mailbox.messages) == 3
    assert {entry["settore"]: entry.get("stato", "inviato") for entry in office.log()} == {
        "FIN": "in_invio", "PM": "inviato", "SEG": "inviato"}

    resent = office.send("--resend", "FIN")  # the operator checked: it had not arrived
    assert resent.exit_code == 0, resent.output
    assert len(mailbox.messages) == 4 and _in_flight(office) == [uncertain]


def test_a_sender_killed_while_waiting_for_the_reply_sends_nothing_twice(office, smtp_server):
    import os
    import signal
    import subprocess
    import sys

    mailbox = StoringThenSilent(drop=False)
    office.configure(smtp_server(mailbox))
    argv = ["send", str(office.plan), str(office.out), "--config", str(office.config),
            "--scadenza", DEADLINE.strftime("%d/%m/%Y")]
    sender = subprocess.Popen([sys.executable, "-c", "import sys; from schede_excel.cli.main import cli; cli(sys.argv[1:])",
                               *argv], env={**os.environ, "SCHEDE_SMTP_PASSWORD": PASSWORD},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert mailbox.stored.wait(30), "the sender never reached DATA"
        sender.send_signal(signal.SIGKILL)  # killed while it waits for the 250
        sender.wait(10)
    finally:
        if sender.poll() is None:
            sender.kill()
        mailbox.release.set()
    assert len(mailbox.messages) == 1
    [uncertain] = _in_flight(office)
    assert uncertain["message_id"] == mailbox.messages[0]["Message-ID"]

    again = office.send()
    assert again.exit_code == 0, again.output
    assert "MAIL_031" in again.output and uncertain["message_id"] in again.output
    assert len(mailbox.messages) == 3
    assert sorted(getaddresses([m["To"]])[0][1] for m in mailbox.messages) == sorted(SECTORS.values())


def test_a_refused_message_leaves_no_in_flight_line(office, smtp_server):
    mailbox = Mailbox(accept=0, reply="554 5.7.1 Messaggio rifiutato")
    office.configure(smtp_server(mailbox))
    result = office.send()
    assert result.exit_code == 1 and "MAIL_027" in result.output
    assert office.log() == []  # refused after DATA: it did not arrive, the next run sends it


@pytest.mark.parametrize("head", ["DR. MARIO ROSSI\r\nBcc: spia@altrove.it", "DR. MARIO ROSSI\u2028<spia@altrove.it>"])
def test_a_line_break_in_the_head_never_reaches_a_header(tmp_path, ca, smtp_server, head):
    from schede_excel.plan.model import Plan

    data = small_plan_data()
    office = Office(tmp_path, ca[0])
    mailbox = Mailbox()
    office.configure(smtp_server(mailbox))
    plan = load_plan(office.plan).plan
    sectors = [s.model_copy(update={"head": head}) if s.code == "FIN" else s for s in plan.sectors]
    tampered = Plan.model_validate({**plan.model_dump(by_alias=True), "settori": [s.model_dump(by_alias=True) for s in sectors]})
    import dataclasses

    settings, _ = load_settings(office.config, environ={})
    batch = prepare(tampered, office.out, dataclasses.replace(settings, deadline=DEADLINE))
    assert [f.code for f in batch.findings if f.code == "MAIL_032"] == ["MAIL_032"]
    assert not batch.ok and all(item.sector.code != "FIN" for item in batch.outgoing)
    # and the plan itself is refused at validate
    office.plan.write_text(as_yaml({**data, "settori": [{**s, "responsabile": head} if s["codice"] == "FIN" else s
                                                        for s in data["settori"]]}), encoding="utf-8")
    assert "PLAN_024" in {f.code for f in load_plan(office.plan).findings}
    assert mailbox.messages == []
