"""Sending each sector head the sector's workbook by e-mail: settings, preflight, messages, log, SMTP.

The flow goes one way:

    load_settings(config, environ)        -> MailSettings, findings   (config file, environment)
    read_log(path)                        -> what was already sent     (the send log, JSON lines)
    prepare(plan, folder, settings, ...)  -> Batch: messages to send, sectors skipped, findings
    send(batch, settings, password, ...)  -> SendReport; each message is logged once accepted
    write_drafts(batch, folder)           -> .eml files instead of sending (dry run, outbox)

The preflight is all or nothing: when `prepare` finds an error (a workbook or an address
missing, no deadline...) the batch is not `ok` and `send` refuses it. The password is a
parameter of `connect`/`send` only: it is not part of the settings, the findings or the log.
"""

from __future__ import annotations

import copy
import email.policy
import hashlib
import json
import os
import re
import smtplib
import socket
import ssl
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, getaddresses, make_msgid, parseaddr
from importlib import resources
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# The same address rules as the plan checks, so a plan that validates is a plan that sends.
from ..plan.checks import _EMAIL, _EXAMPLE_DOMAIN, line_break
from ..files import atomic_write, describe_os_error
from ..findings import Finding, Result, SchedeError, finding, has_errors
from ..sheet.layout import ROUND_LABELS
from ..plan.model import Plan, Sector
from ..plan.targets import MONTHS
from .names import CONFIG_FILE, DRAFTS_DIR, LOG_FILE

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
"""MIME type of the attached workbooks (maintype, subtype)."""

PASSWORD_ENV = "SCHEDE_SMTP_PASSWORD"
"""The environment variable holding the SMTP password (the only place it is read from, besides a prompt)."""

PLACEHOLDERS = ("ente", "anno", "settore", "codice", "responsabile", "turno", "verifica", "scadenza",
                "istruzioni", "file")
"""The $placeholders a message template may use."""

SECURITY = ("starttls", "ssl", "none")
_DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
_MONTH_NAMES = {number: name for name, number in MONTHS.items()}

# (section, key) of the config file -> MailSettings field.
_CONFIG_KEYS = {
    ("smtp", "server"): "host",
    ("smtp", "porta"): "port",
    ("smtp", "sicurezza"): "security",
    ("smtp", "utente"): "user",
    ("smtp", "certificato_ca"): "ca_file",
    ("smtp", "timeout"): "timeout",
    ("messaggio", "mittente"): "sender",
    ("messaggio", "cc"): "cc",
    ("messaggio", "rispondi_a"): "reply_to",
    ("messaggio", "modello"): "template",
    ("messaggio", "istruzioni"): "instructions",
    ("messaggio", "scadenza"): "deadline",
}
_ENV_KEYS = {
    "SCHEDE_SMTP_HOST": "host",
    "SCHEDE_SMTP_PORT": "port",
    "SCHEDE_SMTP_SECURITY": "security",
    "SCHEDE_SMTP_USER": "user",
    "SCHEDE_SMTP_FROM": "sender",
    "SCHEDE_SMTP_CA_FILE": "ca_file",
}


@dataclass(frozen=True)
class MailSettings:
    """How to send: the SMTP server and the fixed parts of every message. Never holds the password."""

    host: str = ""
    """SMTP server name or address (config `[smtp] server`, env SCHEDE_SMTP_HOST)."""
    port: int | None = None
    """SMTP port; None means the usual one for `security` (587, 465, 25)."""
    security: str = "starttls"
    """`starttls` (plain connection upgraded to TLS), `ssl` (TLS from the start) or `none`."""
    user: str = ""
    """Login name; empty when the server takes mail without authentication."""
    ca_file: Path | None = None
    """PEM file of the authority that signed the server's certificate, instead of the system's ones."""
    timeout: float = 30.0
    """Seconds to wait for the server at each step."""
    sender: str = ""
    """From: `personale@comune.it` or `Ufficio personale <personale@comune.it>`."""
    cc: tuple[str, ...] = ()
    """Addresses in copy of every message, e.g. the segretario."""
    reply_to: tuple[str, ...] = ()
    """Reply-To addresses, when replies should not go to the sender."""
    template: Path | None = None
    """The office's own message template; None for the packaged `templates/invio.txt`."""
    instructions: str | None = None
    """Text for $istruzioni; None for the packaged `templates/istruzioni.txt`."""
    deadline: date | None = None
    """Date by which the filled-in workbooks are due ($scadenza)."""

    @property
    def smtp_port(self) -> int:
        """The port actually used."""
        return self.port or _DEFAULT_PORTS[self.security]

    @property
    def server(self) -> str:
        """`host:port`, as messages name the server."""
        return f"{self.host}:{self.smtp_port}"


def load_settings(config: str | Path | None = None,
                  environ: Mapping[str, str] | None = None) -> tuple[MailSettings, list[Finding]]:
    """Settings from a TOML config file (optional) and the environment, which wins; with the problems found.

    The config file has an `[smtp]` and a `[messaggio]` section (see README, `schede send`);
    relative paths in it are relative to the file. A `password` key is refused (MAIL_011).
    """
    environ = os.environ if environ is None else environ
    values: dict = {}
    findings: list[Finding] = []
    if config is not None:
        path = Path(config)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            findings.append(finding("MAIL_010", file=str(path),
                                    detail=f"il file non si può leggere ({describe_os_error(error)})"))
            data = {}
        except tomllib.TOMLDecodeError as error:
            where = re.search(r"line (\d+)", str(error))
            findings.append(finding("MAIL_010", file=str(path), line=int(where.group(1)) if where else None,
                                    detail="il file non è TOML valido (controllare virgolette, parentesi e segni =)"))
            data = {}
        sections = {s for s, _ in _CONFIG_KEYS}
        for section, table in data.items():
            if section == "imap":  # the mailbox's, read by mail.receiving
                continue
            if not isinstance(table, dict):
                table = {section: table}
                section = ""
            for key, value in table.items():
                if "password" in key.lower():
                    findings.append(finding("MAIL_011", file=str(path), path=f"{section}.{key}".strip(".")))
                    continue
                name = _CONFIG_KEYS.get((section, key))
                if name is None and section not in sections:
                    findings.append(finding("MAIL_010", file=str(path), detail=f"«{section or key}» sconosciuto; ammesse "
                                            "solo le sezioni [smtp], [messaggio] e [imap]"))
                    break
                if name is None:
                    known = ", ".join(k for s, k in _CONFIG_KEYS if s == section)
                    findings.append(finding("MAIL_010", file=str(path), path=f"{section}.{key}",
                                            detail=f"chiave «{key}» sconosciuta in [{section}]; ammesse: {known}"))
                    continue
                try:
                    values[name] = _convert(name, value, path.parent)
                except ValueError as error:
                    findings.append(finding("MAIL_010", file=str(path), detail=f"[{section}] {key}: {error}"))
    for variable, name in _ENV_KEYS.items():
        if environ.get(variable):
            try:
                values[name] = _convert(name, environ[variable], Path.cwd())
            except ValueError as error:
                findings.append(finding("MAIL_010", detail=f"variabile {variable}: {error}"))
    return MailSettings(**values), findings


def port_value(value) -> int:
    """A port from a config file or the environment; ValueError with Italian text."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"porta «{value}» non valida; atteso un numero da 1 a 65535")
    return int(text)


def seconds_value(value) -> float:
    """A timeout in seconds from a config file or the environment; ValueError with Italian text."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = 0
    if isinstance(value, bool) or seconds <= 0:
        raise ValueError(f"«{value}» non valido; atteso un numero di secondi")
    return seconds


def _convert(name: str, value, base: Path):
    """A config or environment value as the settings field wants it; ValueError with Italian text."""
    if name == "port":
        return port_value(value)
    if name == "timeout":
        return seconds_value(value)
    if name == "security":
        text = {"nessuna": "none", "tls": "ssl"}.get(str(value).strip().lower(), str(value).strip().lower())
        if text not in SECURITY:
            raise ValueError(f"sicurezza «{value}» non ammessa; ammesse: starttls, ssl, nessuna")
        return text
    if name in ("cc", "reply_to"):
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise ValueError("atteso un indirizzo o un elenco di indirizzi tra virgolette")
        return tuple(formataddr(pair) for pair in getaddresses(items) if pair[1] or pair[0])
    if name == "deadline":
        return value if isinstance(value, date) and not isinstance(value, datetime) else parse_date(str(value))
    if not isinstance(value, str):
        raise ValueError("atteso un testo tra virgolette")
    if name in ("ca_file", "template"):
        return base / Path(value).expanduser()
    return value.strip() if name != "instructions" else value.strip("\n")


def parse_date(text: str) -> date:
    """A date written `15/07/2023` or `2023-07-15`; ValueError with an Italian message otherwise."""
    text = text.strip()
    try:
        if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text):
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"«{text}» non è una data; attesa una data come 15/07/2023") from None


def italian_date(day: date) -> str:
    """`15 luglio 2023`."""
    return f"{day.day} {_MONTH_NAMES[day.month]} {day.year}"


# --- The message template -------------------------------------------------------------------------

@dataclass(frozen=True)
class MessageTemplate:
    """An e-mail template: a subject line and a body, with `string.Template` $placeholders.

    The text form: comment lines starting with `#` at the top, then the subject (an `Oggetto:`
    prefix is allowed), then the body. The placeholders are those in `PLACEHOLDERS`.
    """

    subject: str
    body: str

    @classmethod
    def parse(cls, text: str) -> MessageTemplate:
        """The template in `text`; ValueError (Italian) when there is no subject line."""
        lines = text.splitlines()
        while lines and (lines[0].startswith("#") or not lines[0].strip()):
            lines.pop(0)
        if not lines:
            raise ValueError("il modello è vuoto; attesi l'oggetto sulla prima riga, una riga vuota e il testo")
        subject = re.sub(r"^\s*oggetto\s*:\s*", "", lines[0], flags=re.IGNORECASE).strip()
        return cls(subject, "\n".join(lines[1:]).strip("\n") + "\n")

    @classmethod
    def default(cls) -> MessageTemplate:
        """The packaged template, `templates/invio.txt`."""
        return cls.parse(_package_text("invio.txt"))

    def render(self, values: Mapping[str, object]) -> tuple[str, str]:
        """Subject and body filled in; ValueError (Italian) for an unknown placeholder or a stray `$`."""
        try:
            # A header must be one line, whatever a plan value holds.
            return (" ".join(string.Template(self.subject).substitute(values).split()),
                    string.Template(self.body).substitute(values))
        except KeyError as error:
            raise ValueError(f"segnaposto ${error.args[0]} sconosciuto") from None
        except ValueError:
            raise ValueError("simbolo $ non seguito dal nome di un segnaposto (per scrivere il dollaro: $$)") from None


def _package_text(name: str) -> str:
    return resources.files("schede_excel.mail").joinpath("templates", name).read_text(encoding="utf-8")


def default_instructions() -> str:
    """The packaged instructions for filling in and returning a workbook, `templates/istruzioni.txt`."""
    return _package_text("istruzioni.txt").strip("\n")


def build_message(*, subject: str, body: str, to: str, attachment: bytes, filename: str, sender: str = "",
                  cc: Iterable[str] = (), reply_to: Iterable[str] = (), when: datetime | None = None) -> EmailMessage:
    """One e-mail: plain-text body and the workbook attached, with Date and a new Message-ID."""
    message = EmailMessage()
    message["Subject"] = subject
    if sender:
        message["From"] = sender
    message["To"] = to
    if cc := list(cc):
        message["Cc"] = ", ".join(cc)
    if reply_to := list(reply_to):
        message["Reply-To"] = ", ".join(reply_to)
    message["Date"] = format_datetime(when or datetime.now().astimezone())
    # make_msgid() would otherwise ask the resolver for this machine's name, which can be slow.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "schede-excel.invalid"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(body)
    message.add_attachment(attachment, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=filename)
    return message


# --- The send log ---------------------------------------------------------------------------------

# SentRecord field -> key in the log (Italian, like every file a user may open).
_LOG_KEYS = {"plan": "piano", "sector": "settore", "round": "turno", "to": "destinatari", "cc": "cc",
             "message_id": "message_id", "sent_at": "inviato_il", "file": "file", "sha256": "sha256",
             "subject": "oggetto", "status": "stato"}
_OPTIONAL_KEYS = {"subject", "status"}  # logs written before these fields existed lack them

SENT = "inviato"
"""Status of a message the server accepted (250 after DATA)."""
IN_FLIGHT = "in_invio"
"""Status of the line written just before DATA: until the server's reply replaces it, nobody knows if it arrived."""


class SentRecord(Result):
    """One message the server accepted: one line of the send log."""

    plan: str
    """Plan identifier, e.g. `caluso-2023`."""
    sector: str
    """Sector code."""
    round: str
    """`interim` or `final`."""
    to: tuple[str, ...]
    """To addresses."""
    cc: tuple[str, ...]
    """Cc addresses."""
    message_id: str
    """The Message-ID header, to match the replies (In-Reply-To)."""
    sent_at: str
    """When the server accepted it, ISO 8601 with the UTC offset."""
    file: str
    """File name of the attached workbook."""
    sha256: str
    """SHA-256 of the attached workbook, hex."""
    subject: str = ""
    """The Subject header."""
    status: str = SENT
    """inviato (accepted) or in_invio (DATA begun and no reply recorded: the outcome is unknown)."""

    def to_json(self) -> str:
        """The log line (without newline)."""
        row = {_LOG_KEYS[name]: list(v) if isinstance(v := getattr(self, name), tuple) else v for name in type(self).model_fields}
        return json.dumps(row, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> SentRecord:
        """A log line read back; ValueError when it is not one."""
        row = json.loads(line)
        if not isinstance(row, dict):
            raise ValueError("non è un oggetto JSON")
        try:
            values = {name: row[key] for name, key in _LOG_KEYS.items() if name not in _OPTIONAL_KEYS or key in row}
        except KeyError as error:
            raise ValueError(f"manca il campo «{error.args[0]}»") from None
        values["to"], values["cc"] = tuple(values["to"]), tuple(values["cc"])
        return cls(**values)


def read_log(path: str | Path) -> tuple[list[SentRecord], list[Finding]]:
    """The records of a send log (none if the file does not exist) and a finding for each unreadable line."""
    path = Path(path)
    if not path.exists():
        return [], []
    records, findings = [], []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        return [], [finding("MAIL_014", file=str(path), detail=f"il file non si può leggere ({error})")]
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(SentRecord.from_json(line))
        except (ValueError, TypeError) as error:
            findings.append(finding("MAIL_014", file=str(path), line=number, detail=f"riga non leggibile ({error})"))
    return records, findings


def append_log(path: str | Path, record: SentRecord) -> None:
    """Add one record to the send log; the file is rewritten atomically, so a crash never leaves half a line."""
    path = Path(path)
    old = path.read_bytes() if path.exists() else b""
    if old and not old.endswith(b"\n"):
        old += b"\n"
    atomic_write(path, old + record.to_json().encode("utf-8") + b"\n")


def settle_log(path: str | Path, message_id: str, record: SentRecord | None) -> None:
    """Replace a message's in-flight line by `record` (the server accepted it), or drop it (None: refused).

    The log keeps one line per message that may have arrived; rewritten atomically, like `append_log`.
    """
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    out, done = [], False
    for line in lines:
        if not done and message_id in line:
            try:
                old = SentRecord.from_json(line)
            except (ValueError, TypeError):
                old = None
            if old is not None and old.message_id == message_id and old.status == IN_FLIGHT:
                done = True
                if record is not None:
                    out.append(record.to_json())
                continue
        out.append(line)
    if not done and record is not None:
        out.append(record.to_json())
    atomic_write(path, "".join(f"{line}\n" for line in out).encode("utf-8"))


def last_sent(records: Iterable[SentRecord], plan: str, sector: str, round_: str) -> SentRecord | None:
    """The latest record of a sector's workbook for a plan and round that may have reached the head:
    accepted, or in flight (status `in_invio`: the outcome is unknown)."""
    matching = [r for r in records if (r.plan, r.sector, r.round) == (plan, sector, round_)
                and r.status in (SENT, IN_FLIGHT)]
    return matching[-1] if matching else None


# --- Preflight ------------------------------------------------------------------------------------

class Outgoing(Result):
    """A message ready to go: the sector, its workbook file and fingerprint, the e-mail."""

    plan: str
    """Plan identifier."""
    round: str
    """interim or final."""
    sector: Sector
    """The sector whose head gets it."""
    path: Path
    """The attached workbook."""
    sha256: str
    """SHA-256 of the attached workbook, hex."""
    message: EmailMessage
    """The e-mail, with its Message-ID."""

    @property
    def to(self) -> tuple[str, ...]:
        """The To addresses, without display names."""
        return tuple(address for _, address in getaddresses(self.message.get_all("To", [])))

    @property
    def cc(self) -> tuple[str, ...]:
        """The Cc addresses, without display names."""
        return tuple(address for _, address in getaddresses(self.message.get_all("Cc", [])))

    def record(self, sent_at: datetime, status: str = SENT) -> SentRecord:
        """The log record for this message at `sent_at` (accepted, unless `status` says otherwise)."""
        return SentRecord(plan=self.plan, sector=self.sector.code, round=self.round, to=self.to,
                          cc=self.cc, message_id=self.message["Message-ID"],
                          sent_at=sent_at.isoformat(timespec="seconds"), file=self.path.name, sha256=self.sha256,
                          subject=str(self.message["Subject"]), status=status)


class Skipped(Result):
    """A sector not sent again: already sent (`changed` False), or sent and its file changed since."""

    sector: Sector
    """The sector."""
    record: SentRecord
    """The earlier sending, from the send log."""
    changed: bool
    """True when the workbook changed since it was sent (then --resend sends it again)."""

    @property
    def uncertain(self) -> bool:
        """True when the earlier sending was interrupted after DATA: it may or may not have arrived."""
        return self.record.status == IN_FLIGHT


class Batch(Result):
    """What `prepare` found: messages to send, sectors skipped, and the findings of the preflight."""

    outgoing: list[Outgoing] = []
    """The messages to send, one per sector."""
    skipped: list[Skipped] = []
    """The sectors already sent in this round."""
    findings: list[Finding] = []
    """What the preflight found; any error and nothing may be sent."""

    @property
    def ok(self) -> bool:
        """True when no finding is an error: the batch may be sent."""
        return not has_errors(self.findings)


def prepare(plan: Plan, folder: str | Path, settings: MailSettings, *, round_: str = "interim",
            sent: Iterable[SentRecord] = (), resend: Iterable[str] = (), drafts: bool = False,
            today: date | None = None) -> Batch:
    """Check everything and build one message per sector workbook (the annex is not sent).

    `folder` holds the workbooks `generate` wrote; `sent` is the send log's records: a sector
    already sent for this plan and round is skipped, with a warning when its file changed
    since (MAIL_013), unless its code is in `resend`. With `drafts` the messages are for .eml
    files, so the SMTP server and sender are not required and example addresses are allowed.
    """
    from ..sheet.generate import planned_workbooks, review_for  # and XlsxWriter, which `send --help` has no use for

    folder = Path(folder)
    resend = set(resend)
    batch = Batch()
    found = batch.findings.append
    template, instructions, source = _template(settings, batch.findings)
    batch.findings.extend(_settings_problems(settings, drafts, today or date.today()))

    books = planned_workbooks(plan, round_, annex=False)
    codes = [book.sector.code for book in books]
    for code in sorted(resend - set(codes)):
        found(finding("MAIL_012", sector=code, known=", ".join(codes)))
    review = review_for(plan, round_)
    records = list(sent)
    for book in books:
        sector, path = book.sector, folder / book.filename
        if sector.direct_assessment and not sector.email:
            continue  # the plan sends the Segretario nothing: no address, nothing to fill in
        problems = _sector_problems(sector, path, folder, drafts)
        batch.findings.extend(problems)
        if problems:
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        last = last_sent(records, plan.plan_id, sector.code, round_)
        if last is not None and sector.code not in resend:
            changed = last.sha256 != digest
            if last.status == IN_FLIGHT:
                found(finding("MAIL_031", file=str(path), sector=sector.code, message_id=last.message_id,
                              started=_when(last.sent_at), to=", ".join(last.to)))
            elif changed:
                found(finding("MAIL_013", file=str(path), name=path.name, sector=sector.code, sent_at=_when(last.sent_at),
                              to=", ".join(last.to)))
            batch.skipped.append(Skipped(sector=sector, record=last, changed=changed))
            continue
        if template is None or settings.deadline is None:
            continue
        values = {"ente": plan.entity, "anno": plan.year, "settore": sector.name, "codice": sector.code,
                  "responsabile": sector.head or "Responsabile", "turno": ROUND_LABELS[round_],
                  "verifica": f"{review.date:%d/%m/%Y}", "scadenza": italian_date(settings.deadline),
                  "istruzioni": instructions, "file": path.name}
        try:
            # Directly assessed: sent for information, with its own packaged text (nothing to return).
            chosen = MessageTemplate.parse(_package_text("informazione.txt")) if sector.direct_assessment else template
            subject, body = chosen.render(values)
        except ValueError as error:
            found(finding("MAIL_009", template=source, detail=str(error), allowed=_allowed()))
            template = None
            continue
        message = build_message(subject=subject, body=body, to=formataddr((sector.head, sector.email)),
                                attachment=data, filename=path.name, sender=settings.sender, cc=settings.cc,
                                reply_to=settings.reply_to)
        batch.outgoing.append(Outgoing(plan=plan.plan_id, round=round_, sector=sector, path=path, sha256=digest, message=message))
    return batch


def _template(settings: MailSettings, findings: list[Finding]) -> tuple[MessageTemplate | None, str, str]:
    """The message template, the instructions text and how to name the template in messages."""
    source = str(settings.template) if settings.template else "predefinito"
    try:
        text = settings.template.read_text(encoding="utf-8") if settings.template else _package_text("invio.txt")
        template = MessageTemplate.parse(text)
    except (OSError, UnicodeDecodeError) as error:
        detail = f"il file non si può leggere ({describe_os_error(error)})"
        findings.append(finding("MAIL_009", template=source, detail=detail, allowed=_allowed()))
        template = None
    except ValueError as error:
        findings.append(finding("MAIL_009", template=source, detail=str(error), allowed=_allowed()))
        template = None
    instructions = default_instructions() if settings.instructions is None else settings.instructions
    return template, instructions, source


def _settings_problems(settings: MailSettings, drafts: bool, today: date) -> list[Finding]:
    """Addresses, deadline, and for real sending the server and the sender."""
    problems = []
    for label, addresses in (("Mittente", [settings.sender] if settings.sender else []),
                             ("Cc", settings.cc), ("Rispondi a", settings.reply_to)):
        problems += [finding("MAIL_005", field=label, email=address)
                     for address in addresses if not _EMAIL.match(parseaddr(address)[1])]
    if not drafts:
        if not settings.host:
            problems.append(finding("MAIL_006", what="il server di posta", key="[smtp] server", env="SCHEDE_SMTP_HOST"))
        if not settings.sender:
            problems.append(finding("MAIL_006", what="il mittente", key="[messaggio] mittente", env="SCHEDE_SMTP_FROM"))
        if settings.ca_file and not settings.ca_file.is_file():
            problems.append(finding("MAIL_010", detail=f"certificato_ca: il file {settings.ca_file} non esiste"))
        if settings.user and settings.security == "none":
            problems.append(finding("MAIL_015"))
    if settings.deadline is None:
        problems.append(finding("MAIL_007"))
    elif settings.deadline < today:
        problems.append(finding("MAIL_008", deadline=f"{settings.deadline:%d/%m/%Y}", today=f"{today:%d/%m/%Y}"))
    return problems


def _sector_problems(sector: Sector, path: Path, folder: Path, drafts: bool) -> list[Finding]:
    problems = []
    for field, text in (("responsabile", sector.head), ("email", sector.email)):
        if bad := line_break(text):  # never a header written from it: it could add one, or another address
            problems.append(finding("MAIL_032", sector=sector.code, field=field, char=bad))
    if problems:
        return problems
    if not path.is_file():
        problems.append(finding("MAIL_001", file=str(path), name=path.name, sector=sector.code, folder=str(folder)))
    if not sector.email:
        problems.append(finding("MAIL_002", sector=sector.code))
    elif not _EMAIL.match(sector.email):
        problems.append(finding("MAIL_003", sector=sector.code, email=sector.email))
    elif not drafts and _EXAMPLE_DOMAIN.search(sector.email):
        problems.append(finding("MAIL_004", sector=sector.code, email=sector.email))
    return problems


def _allowed() -> str:
    return " ".join(f"${name}" for name in PLACEHOLDERS)


def _when(iso: str) -> str:
    try:
        return f"{datetime.fromisoformat(iso):%d/%m/%Y %H:%M}"
    except ValueError:
        return iso


# --- Output: drafts or SMTP -----------------------------------------------------------------------

def write_drafts(batch: Batch, folder: str | Path) -> list[Path]:
    """Write each message as `<workbook name>.eml` in `folder`, marked as a draft (X-Unsent: 1).

    Mail clients open such a file as a message ready to send; nothing is sent and nothing is
    written to the send log. Returns the paths written.
    """
    paths = []
    for item in batch.outgoing:
        message = copy.deepcopy(item.message)
        message["X-Unsent"] = "1"
        path = Path(folder) / f"{item.path.stem}.eml"
        atomic_write(path, message.as_bytes(policy=email.policy.SMTP))
        paths.append(path)
    return paths


def connect(settings: MailSettings, password: str | None = None) -> smtplib.SMTP:
    """An SMTP connection, secured and logged in as `settings` say.

    The server certificate is verified against the system's authorities, or only against
    `settings.ca_file` when given. Raises `SchedeError` with one finding (MAIL_020..024).
    """
    smtp = None
    try:
        context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
        if settings.security == "ssl":
            smtp = smtplib.SMTP_SSL(settings.host, settings.smtp_port, timeout=settings.timeout, context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.smtp_port, timeout=settings.timeout)
        if settings.security == "starttls":
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise SchedeError([finding("MAIL_024", server=settings.server, feature="STARTTLS",
                                           fix="usare sicurezza «ssl» (di solito porta 465) oppure chiedere "
                                               "all'amministratore del server")])
            smtp.starttls(context=context)
        if settings.user:
            smtp.login(settings.user, password or "")
    except SchedeError:
        _close(smtp)
        raise
    except (smtplib.SMTPException, OSError) as error:
        _close(smtp)
        raise SchedeError([_connection_finding(error, settings)]) from None
    return smtp


def _connection_finding(error: Exception, settings: MailSettings) -> Finding:
    server = settings.server
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return finding("MAIL_022", server=server, user=settings.user, reply=_reply(error))
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return finding("MAIL_024", server=server, feature="l'autenticazione (AUTH)",
                       fix="usare sicurezza starttls o ssl, oppure togliere l'utente se il server non la chiede")
    if isinstance(error, ssl.SSLCertVerificationError):
        return finding("MAIL_023", server=server, detail=f"certificato non riconosciuto ({error.verify_message})")
    if isinstance(error, ssl.SSLError):
        return finding("MAIL_023", server=server, detail=f"errore TLS ({error.reason or error})")
    if _timed_out(error):
        return finding("MAIL_021", server=server, timeout=f"{settings.timeout:g}")
    if isinstance(error, smtplib.SMTPResponseException):
        return finding("MAIL_020", server=server, detail=f"risposta del server {_reply(error)}")
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return finding("MAIL_020", server=server, detail="il server ha chiuso la connessione")
    if isinstance(error, ConnectionRefusedError):
        return finding("MAIL_020", server=server, detail="connessione rifiutata (nessun server in ascolto su quella porta)")
    if isinstance(error, socket.gaierror):
        return finding("MAIL_020", server=server, detail=f"nome del server «{settings.host}» sconosciuto")
    return finding("MAIL_020", server=server, detail=describe_os_error(error))


def _timed_out(error: Exception) -> bool:
    # smtplib reports a timeout while waiting for a reply as SMTPServerDisconnected.
    return isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError)


def _reply(error: smtplib.SMTPResponseException) -> str:
    text = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
    return f"{error.smtp_code} {text}".strip()


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


class SendReport(Result):
    """The outcome of `send`: the records logged, the messages not sent, the findings."""

    sent: list[SentRecord] = []
    """The messages the server accepted, as logged."""
    unsent: list[Outgoing] = []
    """The messages that did not go: running again sends them."""
    findings: list[Finding] = []
    """What went wrong, message by message."""

    @property
    def ok(self) -> bool:
        """True when every message went and no finding is an error."""
        return not self.unsent and not has_errors(self.findings)


def send(batch: Batch, settings: MailSettings, password: str | None = None, *, log_path: str | Path,
         progress: Callable[[Outgoing, bool], None] | None = None) -> SendReport:
    """Send the batch over one SMTP connection, appending each message to the send log once accepted.

    When the server refuses the head's address the message counts as not sent, even if the Cc
    got it (MAIL_025), and the next one goes; a refused Cc only warns (MAIL_026). Any other
    failure (connection, authentication, a message refused, a timeout)
    stops: what was sent is in the log, the rest in `unsent`, and running again with the same
    log sends only the rest. `progress(item, sent)` is called after each message.
    Raises `SchedeError` if the batch has errors (the preflight failed): nothing is sent.
    """
    if not batch.ok:
        raise SchedeError([f for f in batch.findings if has_errors([f])])
    report = SendReport()
    if not batch.outgoing:
        return report
    try:
        smtp = connect(settings, password)
    except SchedeError as error:
        report.findings.extend(error.findings)
        report.unsent.extend(batch.outgoing)
        return report
    try:
        for index, item in enumerate(batch.outgoing):
            data_begun = _log_before_data(smtp, item, log_path)
            try:
                refused = smtp.send_message(item.message)
            except smtplib.SMTPRecipientsRefused as error:
                refused = error.recipients
            except _LogUnwritable as error:
                report.findings.append(finding("MAIL_033", sector=item.sector.code, log=str(log_path),
                                               detail=describe_os_error(error.__cause__ or error)))
                report.unsent.extend(batch.outgoing[index:])
                break
            except (smtplib.SMTPException, OSError) as error:
                if data_begun() and not isinstance(error, smtplib.SMTPResponseException):
                    # The message went out but the reply did not come back: it may be in the mailbox.
                    report.findings.append(finding("MAIL_030", sector=item.sector.code,
                                                   message_id=item.message["Message-ID"], log=str(log_path),
                                                   detail=_message_finding(error, item, settings).params.get("reply")
                                                   or "tempo scaduto"))
                else:
                    if data_begun():  # the server answered DATA with a refusal: it did not arrive
                        _settle(log_path, item, None, report)
                    report.findings.append(_message_finding(error, item, settings))
                    report.unsent.append(item)
                report.unsent.extend(batch.outgoing[index + 1:])
                break
            # Only the head matters: a message that reached the Cc but not the head is not sent.
            if any(address in refused for address in item.to):
                if data_begun():
                    _settle(log_path, item, None, report)
                report.findings.append(_refused(item, refused))
                report.unsent.append(item)
                if progress:
                    progress(item, False)
                continue
            record = item.record(datetime.now().astimezone())
            report.sent.append(record)
            try:
                settle_log(log_path, record.message_id, record)
            except OSError as error:
                report.findings.append(finding("MAIL_028", sector=item.sector.code, message_id=record.message_id,
                                               log=str(log_path), detail=describe_os_error(error)))
                report.unsent.extend(batch.outgoing[index + 1:])
                break
            if refused:
                report.findings.append(_refused(item, refused, code="MAIL_026"))
            if progress:
                progress(item, True)
    finally:
        _close(smtp)
    return report


class _LogUnwritable(Exception):
    """The in-flight line could not be written: DATA is not sent."""


def _log_before_data(smtp: smtplib.SMTP, item: Outgoing, log_path) -> Callable[[], bool]:
    """Make `smtp` write the message's in-flight line to the log just before DATA; returns 'has DATA begun?'.

    From that moment the outcome may be unknown (a reply lost, the program killed while waiting):
    the line stays in the log, and a rerun reports the message instead of sending it twice.
    """
    begun = False
    data = type(smtp).data.__get__(smtp)

    def logged_data(message):
        nonlocal begun
        try:
            append_log(log_path, item.record(datetime.now().astimezone(), IN_FLIGHT))
        except OSError as error:
            try:
                smtp.rset()  # leave the transaction without sending its DATA
            except (smtplib.SMTPException, OSError):
                pass
            raise _LogUnwritable() from error
        begun = True
        return data(message)

    smtp.data = logged_data
    return lambda: begun


def _settle(log_path, item: Outgoing, record: SentRecord | None, report: SendReport) -> None:
    """Settle an in-flight line: replaced by `record`, or dropped (the message did not arrive)."""
    try:
        settle_log(log_path, item.message["Message-ID"], record)
    except OSError as error:
        report.findings.append(finding("MAIL_033", sector=item.sector.code, log=str(log_path),
                                       detail=describe_os_error(error)))


def _refused(item: Outgoing, recipients: dict, code: str = "MAIL_025") -> Finding:
    replies = {f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
               for code, text in recipients.values()}
    return finding(code, sector=item.sector.code, recipients=", ".join(recipients), reply="; ".join(sorted(replies)))


def _message_finding(error: Exception, item: Outgoing, settings: MailSettings) -> Finding:
    if _timed_out(error):
        return finding("MAIL_021", server=settings.server, timeout=f"{settings.timeout:g}")
    if isinstance(error, smtplib.SMTPSenderRefused):
        reply = f"mittente {error.sender} rifiutato: {_reply(error)}"
    elif isinstance(error, smtplib.SMTPResponseException):
        reply = _reply(error)
    elif isinstance(error, smtplib.SMTPServerDisconnected):
        reply = "il server ha chiuso la connessione"
    else:
        reply = getattr(error, "strerror", None) or str(error)
    return finding("MAIL_027", sector=item.sector.code, reply=reply)
