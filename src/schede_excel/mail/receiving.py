"""Collecting the returned workbooks from the office mailbox, PEC included, with a receipt to each head.

The flow, each step safe to repeat:

    load_mailbox_settings(config, environ) -> MailboxSettings, findings  (`[imap]` of schede-mail.toml)
    open_mailbox(settings, password)       -> an IMAP connection over TLS, certificate verified
    receive(plan, mailbox, ...)            -> Reception: every attachment saved, set apart or refused

Each message's workbooks are taken from the message itself, from a forwarded message (.eml
attached) and from a PEC envelope (`postacert.eml`, with the receipt data of `daticert.xml`).
Each is read in memory first with the hardened reader (a bomb is never written to disk), then
matched to its sector and round: by the workbook's own identity, by the reply's
`In-Reply-To`/`References` against the send log, by the sender's address. What matches is saved
into the returns folder under a name that says plan, round, sector, date and a short hash;
what does not (another plan, year or round, an unknown sender) goes to `da-verificare/`.

Every file is written atomically and synced, then recorded in the receive log (JSON lines, like
the send log); the same attachment is never saved twice, and a run stopped at any point
(dropped connection, kill) is completed by running again. The mailbox is only read unless
`move_to` is given; a message is moved only once all its attachments are on disk. A receipt
(threaded to the head's message) is sent at most once per attachment: it is recorded as under
way, with its Message-ID, before it is handed to the server.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import imaplib
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr, parsedate_to_datetime
from pathlib import Path

from defusedxml import ElementTree as SafeXML

from ..files import atomic_write, describe_os_error, safe_filename
from ..findings import Finding, Result, SchedeError, Severity, finding, has_errors
from ..plan.model import Plan, Sector
from ..returns.importer import SUFFIXES, read_return
from ..sheet.layout import ROUND_LABELS
from .sending import MailSettings, SentRecord, connect, port_value, seconds_value

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

RECEIVE_LOG = "ricezioni.jsonl"
"""Name of the receive log, in the returns folder."""
APART = "da-verificare"
"""Folder, inside the returns folder, for the workbooks that could not be matched."""
PASSWORD_ENV = "SCHEDE_IMAP_PASSWORD"
"""The environment variable holding the mailbox password (the only place it is read from, besides a prompt)."""
MAX_MESSAGE_BYTES = 60 * 1024 * 1024
MAX_DEPTH = 4  # messages inside messages: a forward of a PEC envelope is three deep
_SECURITY = ("ssl", "starttls")
_DEFAULT_PORTS = {"ssl": 993, "starttls": 143}
_CONFIG_KEYS = {"server": "host", "porta": "port", "sicurezza": "security", "utente": "user",
                "cartella": "folder", "certificato_ca": "ca_file", "timeout": "timeout"}
_ENV_KEYS = {"SCHEDE_IMAP_HOST": "host", "SCHEDE_IMAP_PORT": "port", "SCHEDE_IMAP_SECURITY": "security",
             "SCHEDE_IMAP_USER": "user", "SCHEDE_IMAP_FOLDER": "folder", "SCHEDE_IMAP_CA_FILE": "ca_file"}
_WORKBOOK_TYPES = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
                   "application/vnd.ms-excel.sheet.macroenabled.12": ".xlsm",
                   "application/vnd.oasis.opendocument.spreadsheet": ".ods"}


@dataclass(frozen=True)
class MailboxSettings:
    """Where the returns arrive: the IMAP server and folder. Never holds the password."""

    host: str = ""
    """IMAP server name or address (config `[imap] server`, env SCHEDE_IMAP_HOST)."""
    port: int | None = None
    """IMAP port; None means the usual one for `security` (993 for ssl, 143 for starttls)."""
    security: str = "ssl"
    """`ssl` (TLS from the start) or `starttls`; the certificate is always verified."""
    user: str = ""
    """Login name."""
    folder: str = "INBOX"
    """The folder to read."""
    ca_file: Path | None = None
    """PEM file of the authority that signed the server's certificate, instead of the system's ones."""
    timeout: float = 60.0
    """Seconds to wait for the server at each step."""

    @property
    def server(self) -> str:
        """`host:port`, as messages name the server."""
        return f"{self.host}:{self.port or _DEFAULT_PORTS[self.security]}"


def load_mailbox_settings(config: str | Path | None = None,
                          environ: Mapping[str, str] | None = None) -> tuple[MailboxSettings, list[Finding]]:
    """The `[imap]` section of the mail config file (optional) and the environment, which wins; with the problems."""
    environ = os.environ if environ is None else environ
    values: dict = {}
    findings: list[Finding] = []
    base = Path.cwd()
    if config is not None and Path(config).exists():
        path = Path(config)
        base = path.parent
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("imap", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            return MailboxSettings(), [finding("MBOX_001", file=str(path), detail=describe_os_error(error)
                                               if isinstance(error, OSError) else "il file non è TOML valido")]
        if not isinstance(table, dict):
            table = {}
        for key, value in table.items():
            if "password" in key.lower():
                findings.append(finding("MAIL_011", file=str(path), path=f"imap.{key}"))
                continue
            if key not in _CONFIG_KEYS:
                findings.append(finding("MBOX_001", file=str(path), detail=f"chiave «{key}» sconosciuta in [imap]; "
                                        f"ammesse: {', '.join(_CONFIG_KEYS)}"))
                continue
            values[_CONFIG_KEYS[key]] = (key, value)
    for variable, name in _ENV_KEYS.items():
        if environ.get(variable):
            values[name] = (variable, environ[variable])
    settings: dict = {}
    for name, (source, value) in values.items():
        try:
            settings[name] = _convert(name, value, base)
        except ValueError as error:
            findings.append(finding("MBOX_001", file=str(config) if config else None, detail=f"{source}: {error}"))
    result = MailboxSettings(**settings)
    if not result.host:
        findings.append(finding("MBOX_002", what="il server IMAP (`[imap] server` o SCHEDE_IMAP_HOST)"))
    if not result.user:
        findings.append(finding("MBOX_002", what="l'utente della casella (`[imap] utente` o SCHEDE_IMAP_USER)"))
    return result, findings


def _convert(name: str, value, base: Path):
    if name == "port":
        return port_value(value)
    if name == "timeout":
        return seconds_value(value)
    if not isinstance(value, str):
        raise ValueError("atteso un testo tra virgolette")
    if name == "security":
        text = {"tls": "ssl"}.get(value.strip().lower(), value.strip().lower())
        if text not in _SECURITY:
            raise ValueError(f"sicurezza «{value}» non ammessa per la casella; ammesse: ssl, starttls "
                             "(la casella si legge solo su una connessione cifrata)")
        return text
    if name == "ca_file":
        return base / Path(value).expanduser()
    return value.strip()


# --- The connection -------------------------------------------------------------------------------

def open_mailbox(settings: MailboxSettings, password: str) -> imaplib.IMAP4:
    """A logged-in IMAP connection over TLS, the certificate verified. `SchedeError` (MBOX_010..013) otherwise."""
    imap = None
    try:
        context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
        port = settings.port or _DEFAULT_PORTS[settings.security]
        if settings.security == "ssl":
            imap = imaplib.IMAP4_SSL(settings.host, port, ssl_context=context, timeout=settings.timeout)
        else:
            imap = imaplib.IMAP4(settings.host, port, timeout=settings.timeout)
            imap.starttls(ssl_context=context)
        if "AUTH=PLAIN" in imap.capabilities:  # takes UTF-8, where LOGIN takes only ASCII
            credentials = b"\0" + settings.user.encode("utf-8") + b"\0" + password.encode("utf-8")
            imap.authenticate("PLAIN", lambda _: credentials)
        else:
            imap.login(settings.user, password)
        status, data = imap.capability()  # after login a server offers more (MOVE, UIDPLUS)
        if status == "OK" and data and data[-1]:
            imap.capabilities = tuple(data[-1].decode("ascii", "replace").upper().split())
    except UnicodeEncodeError:
        _logout(imap)
        raise SchedeError([finding("MBOX_011", server=settings.server, user=settings.user)]) from None
    except imaplib.IMAP4.error as error:
        _logout(imap)
        text = str(error)
        if "LOGIN" in text.upper() or "AUTHENTICAT" in text.upper() or "credentials" in text.lower():
            raise SchedeError([finding("MBOX_011", server=settings.server, user=settings.user)]) from None
        raise SchedeError([finding("MBOX_010", server=settings.server, detail=_imap_text(error))]) from None
    except ssl.SSLCertVerificationError as error:
        _logout(imap)
        raise SchedeError([finding("MBOX_012", server=settings.server,
                                   detail=f"certificato non riconosciuto ({error.verify_message})")]) from None
    except (ssl.SSLError, OSError) as error:
        _logout(imap)
        raise SchedeError([_network_finding(error, settings)]) from None
    return imap


def _network_finding(error: BaseException, settings: MailboxSettings) -> Finding:
    if isinstance(error, ssl.SSLError):
        return finding("MBOX_012", server=settings.server, detail=f"errore TLS ({error.reason or error})")
    if isinstance(error, (TimeoutError, socket.timeout)):
        return finding("MBOX_013", server=settings.server, timeout=f"{settings.timeout:g}")
    if isinstance(error, ConnectionRefusedError):
        return finding("MBOX_010", server=settings.server, detail="connessione rifiutata (nessun server in ascolto su quella porta)")
    if isinstance(error, socket.gaierror):
        return finding("MBOX_010", server=settings.server, detail=f"nome del server «{settings.host}» sconosciuto")
    return finding("MBOX_010", server=settings.server, detail=describe_os_error(error))


def _imap_text(error: BaseException) -> str:
    text = str(error)
    return text[2:-1] if text.startswith("b'") else text


def _logout(imap: imaplib.IMAP4 | None) -> None:
    if imap is None:
        return
    try:
        imap.logout()
    except (imaplib.IMAP4.error, OSError):
        pass


# --- What a message carries -----------------------------------------------------------------------

@dataclass(frozen=True)
class PecReceipt:
    """The certification data of a PEC envelope (`daticert.xml`)."""

    identifier: str
    """The PEC provider's identifier of the message."""
    sender: str
    """The certified sender."""
    sent_at: str
    """Date and time the provider certified, as it writes them."""


@dataclass
class Carried:
    """One workbook found in a message, with the message that carried it."""

    name: str
    data: bytes
    sender: str
    """The address of whoever sent the innermost message that carried the file."""
    subject: str
    references: tuple[str, ...]
    """Message-IDs the carrying message answers (In-Reply-To and References)."""
    via: str
    """messaggio, inoltro or PEC."""
    pec: PecReceipt | None = None


def carried_workbooks(message: EmailMessage) -> tuple[list[Carried], list[str]]:
    """The workbooks in a message, forwarded messages and PEC envelopes included; with the problems found.

    Problems are Italian phrases (a broken envelope, a depth limit); the caller makes them findings.
    """
    found: list[Carried] = []
    problems: list[str] = []
    _walk(message, found, problems, depth=0, via="messaggio", pec=None)
    return found, problems


def _walk(message: EmailMessage, found: list[Carried], problems: list[str], *, depth: int, via: str,
          pec: PecReceipt | None) -> None:
    if depth > MAX_DEPTH:
        problems.append(f"messaggi annidati oltre {MAX_DEPTH} livelli: non letti")
        return
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    subject = str(message.get("Subject", ""))
    references = tuple(re.findall(r"<[^<>\s]+>", " ".join(str(message.get(h, "")) for h in ("In-Reply-To", "References"))))
    parts = list(message.walk()) if message.is_multipart() else [message]
    envelope = next((p for p in parts if (p.get_filename() or "").lower() == "daticert.xml"), None)
    if envelope is not None:
        pec = _daticert(envelope, problems) or pec
    for part in parts:
        if part is message and message.is_multipart():
            continue
        name = part.get_filename() or ""
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                is_pec = (name.lower() == "postacert.eml" or envelope is not None)
                _walk(inner[0], found, problems, depth=depth + 1, via="PEC" if is_pec else "inoltro", pec=pec)
            continue
        lowered = name.lower()
        if lowered.endswith(".eml") or (lowered == "postacert.eml"):
            try:
                payload = part.get_payload(decode=True) or b""
                inner_message = email.message_from_bytes(payload, policy=email.policy.default)
            except Exception as error:  # noqa: BLE001 - a broken attachment is a problem to report, not a crash
                problems.append(f"il messaggio allegato «{name}» non si legge ({type(error).__name__})")
                continue
            is_pec = lowered == "postacert.eml"
            _walk(inner_message, found, problems, depth=depth + 1, via="PEC" if is_pec else "inoltro", pec=pec)
            continue
        suffix = Path(lowered).suffix
        if suffix in SUFFIXES or (ctype in _WORKBOOK_TYPES and part.get_content_disposition() == "attachment"):
            try:
                data = part.get_payload(decode=True)
            except Exception:  # noqa: BLE001
                data = None
            if not data:
                problems.append(f"l'allegato «{name or ctype}» è vuoto o non si decodifica")
                continue
            found.append(Carried(name=name or f"allegato{_WORKBOOK_TYPES.get(ctype, '.xlsx')}", data=data,
                                 sender=pec.sender.lower() if via == "PEC" and pec and pec.sender else sender,
                                 subject=subject, references=references, via=via, pec=pec if via == "PEC" else None))


def _daticert(part: EmailMessage, problems: list[str]) -> PecReceipt | None:
    try:
        root = SafeXML.fromstring(part.get_payload(decode=True) or b"")
    except Exception as error:  # noqa: BLE001 - defusedxml refuses entities; anything broken is reported
        problems.append(f"busta PEC con daticert.xml non leggibile ({type(error).__name__})")
        return None

    def text(path: str) -> str:
        node = root.find(path)
        return (node.text or "").strip() if node is not None else ""

    when = " ".join(t for t in (text("dati/data/giorno"), text("dati/data/ora")) if t)
    return PecReceipt(identifier=text("dati/identificativo"), sender=parseaddr(text("intestazione/mittente"))[1],
                      sent_at=when)


# --- The receive log ------------------------------------------------------------------------------

class UncertainReceipt(SchedeError):
    """A receipt handed to the server whose outcome is unknown (the connection dropped during DATA)."""


class ReceivedRecord(Result):
    """One line of the receive log."""

    kind: str
    """allegato (a workbook handled), ricevuta (a receipt under way or sent) or spostato (a message moved)."""
    message_id: str
    """The Message-ID of the message as it is in the mailbox (or uid:UIDVALIDITY:UID when it has none)."""
    sha256: str = ""
    """SHA-256 of the attachment, hex."""
    outcome: str = ""
    """For an attachment: salvato, da verificare or scartato; for a receipt: in corso, inviata or non inviata."""
    sector: str = ""
    """The sector it was matched to."""
    round: str = ""
    """interim or final."""
    file: str = ""
    """Where it was saved, relative to the returns folder."""
    matched_by: str = ""
    """How it was matched: identità, risposta or mittente."""
    reason: str = ""
    """Why it was set apart or refused."""
    sender: str = ""
    """The sender's address (the certified one for a PEC)."""
    pec_id: str = ""
    """The PEC identifier from daticert.xml, when it came by PEC."""
    receipt_id: str = ""
    """For a receipt: its own Message-ID."""
    at: str = ""
    """When this was recorded, ISO 8601 with the UTC offset."""


def read_receive_log(path: str | Path) -> tuple[list[ReceivedRecord], list[Finding]]:
    """The records of a receive log (none if it does not exist), with a finding per unreadable line.

    A last line cut short (a write interrupted by a crash) is not an unreadable line: it is the
    record that was never completed, and the run that follows redoes that step.
    """
    path = Path(path)
    if not path.exists():
        return [], []
    records: list[ReceivedRecord] = []
    findings: list[Finding] = []
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError as error:
        return [], [finding("MBOX_005", file=str(path), detail=describe_os_error(error))]
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                records.append(ReceivedRecord.model_validate_json(line.decode("utf-8")))
            except ValueError:  # UnicodeDecodeError included
                if number == len(lines):  # no newline after it: the write a crash cut short
                    continue
                findings.append(finding("MBOX_005", file=str(path), line=number, detail="riga non leggibile"))
    return records, findings


def _append(path: Path, record: ReceivedRecord) -> None:
    """One record added to the receive log, appended and synced (a kill leaves at most a partial last line)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as handle:
            if handle.tell():
                with open(path, "rb") as reader:
                    reader.seek(-1, os.SEEK_END)
                    if reader.read(1) != b"\n":  # a record a crash cut short: dropped, it is redone now
                        handle.truncate(path.read_bytes().rfind(b"\n") + 1)
            handle.write(record.model_dump_json().encode("utf-8") + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        _sync_dir(path.parent)
    except OSError as error:
        raise SchedeError([finding("MBOX_032", file=str(path), detail=describe_os_error(error))]) from None


def _sync_dir(folder: Path) -> None:
    """The folder's entries on disk too, so a file just renamed into it survives a power cut."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- Receiving ------------------------------------------------------------------------------------

class Handled(Result):
    """What became of one workbook found in the mailbox."""

    message_id: str
    """The carrying message."""
    name: str
    """The attachment's file name."""
    sha256: str
    """SHA-256 of the attachment, hex."""
    outcome: str
    """salvato, da verificare, scartato or già ricevuto."""
    path: Path | None = None
    """Where it is on disk (None when refused)."""
    sector: str = ""
    """The sector it was matched to."""
    matched_by: str = ""
    """identità, risposta or mittente."""
    findings: list[Finding] = []
    """The import's findings on it (sheets, cells), for the receipt."""
    sheets: int = 0
    """Objective sheets read from it."""
    expected: int = 0
    """Objective sheets the sector reports on."""
    sender: str = ""
    """Who sent it."""
    subject: str = ""
    """The carrying message's subject."""
    pec: str = ""
    """The PEC identifier, when it came by PEC."""


class Reception(Result):
    """The outcome of `receive`: every workbook handled, the receipts, the findings."""

    handled: list[Handled] = []
    """Every workbook found, in mailbox order."""
    receipts: list[Path | str] = []
    """The receipts sent (their Message-IDs) or written as drafts (their paths)."""
    moved: list[str] = []
    """The Message-IDs of the messages moved to the `move_to` folder."""
    messages: int = 0
    """Messages looked at."""
    findings: list[Finding] = []
    """What went wrong or needs a look, message by message."""

    @property
    def ok(self) -> bool:
        """True when nothing is left to do: no error (running again adds nothing)."""
        return not has_errors(self.findings)


def _since(sent: Iterable[SentRecord], plan: Plan, round_: str) -> date | None:
    dates = [datetime.fromisoformat(r.sent_at).date() for r in sent if r.plan == plan.plan_id and r.round == round_]
    return min(dates) if dates else None


def _imap_date(day: date) -> str:
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{day.day:02d}-{months[day.month - 1]}-{day.year}"


def receive(plan: Plan, imap: imaplib.IMAP4, *, folder: str, returns_dir: str | Path, round_: str,
            sent: list[SentRecord] = (), since: date | None = None, move_to: str | None = None,
            receipt: Callable[[Handled, str, tuple[str, ...]], str | Path] | None = None,
            progress: Callable[[int, int], None] | None = None) -> Reception:
    """Save every returned workbook of `round_` found in `folder` since `since` (default: the round's first sending).

    `receipt(handled, reply_to_message_id, references)` sends or drafts the receipt of one
    saved workbook and returns its Message-ID or path; it is called at most once per workbook.
    """
    returns = Path(returns_dir)
    log_path = returns / RECEIVE_LOG
    log, findings = read_receive_log(log_path)
    reception = Reception(findings=list(findings))
    if findings:  # without the whole log, files would be saved and receipts sent again
        return reception
    saved = {r.sha256: r for r in log if r.kind == "allegato" and r.outcome in ("salvato", "da verificare")}
    receipts = {r.sha256: r for r in log if r.kind == "ricevuta"}  # the last word on each receipt
    receipts = {sha: r for sha, r in receipts.items() if r.outcome != "non inviata"}
    moved = {r.message_id for r in log if r.kind == "spostato"}
    sent_ids = {r.message_id: r for r in sent if r.plan == plan.plan_id}
    since = since or _since(sent, plan, round_)
    looked_at = 0
    try:
        status, _ = imap.select(_quoted(mailbox_name(folder)), readonly=move_to is None)
        if status != "OK":
            reception.findings.append(finding("MBOX_014", folder=folder))
            return reception.model_copy(update={"messages": 0})
        criteria = f"SINCE {_imap_date(since)}" if since else "ALL"
        status, data = imap.uid("SEARCH", None, criteria)
        uids = data[0].split() if status == "OK" and data and data[0] else []
        validity = _uidvalidity(imap)
        for number, uid in enumerate(uids, start=1):
            if progress:
                progress(number, len(uids))
            _one_message(plan, imap, uid.decode(), validity, returns, log_path, round_, sent_ids, saved, receipts,
                         moved, move_to, receipt, reception)
            looked_at = number
    except SchedeError as error:  # a file or the log could not be written: stop here, the next run goes on
        reception.findings.extend(error.findings)
    except UnicodeEncodeError:
        reception.findings.append(finding("MBOX_014", folder=f"{folder} / {move_to or ''}".strip(" /")))
    except (imaplib.IMAP4.abort, OSError) as error:
        reception.findings.append(finding("MBOX_015", detail=_imap_text(error) if isinstance(error, imaplib.IMAP4.error)
                                          else describe_os_error(error)))
    except imaplib.IMAP4.error as error:
        reception.findings.append(finding("MBOX_015", detail=_imap_text(error)))
    return reception.model_copy(update={"messages": looked_at})


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(imap: imaplib.IMAP4) -> str:
    status, data = imap.response("UIDVALIDITY")
    return data[0].decode() if status == "OK" and data and data[0] else "0"


def _one_message(plan, imap, uid, validity, returns: Path, log_path: Path, round_, sent_ids, saved, receipts,
                 moved, move_to, receipt, reception: Reception) -> None:
    status, data = imap.uid("FETCH", uid, "(RFC822.SIZE)")
    size = int(m.group(1)) if status == "OK" and data and (m := re.search(rb"RFC822\.SIZE (\d+)", data[0] or b"")) else 0
    key = f"uid:{validity}:{uid}"
    if size > MAX_MESSAGE_BYTES:
        reception.findings.append(finding("MBOX_020", message=key, size=f"{size // 2**20} MB",
                                          limit=f"{MAX_MESSAGE_BYTES // 2**20} MB"))
        return
    status, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
    raw = next((part[1] for part in data if isinstance(part, tuple)), None) if status == "OK" else None
    if raw is None:
        reception.findings.append(finding("MBOX_021", message=key, detail="il server non l'ha consegnato"))
        return
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        message_id = str(message.get("Message-ID", "")).strip() or key
        workbooks, problems = carried_workbooks(message)
    except Exception as error:  # noqa: BLE001 - a malformed MIME structure is that message's finding
        reception.findings.append(finding("MBOX_021", message=key, detail=f"struttura MIME non valida ({type(error).__name__})"))
        return
    sender = parseaddr(str(message.get("From", "")))[1]
    for problem in problems:
        reception.findings.append(finding("MBOX_021", message=message_id, detail=problem))
    if not workbooks:
        if not problems:
            reception.findings.append(finding("MBOX_022", message=message_id, sender=sender or "?",
                                              subject=_short(str(message.get("Subject", "")))))
        return
    received_at = _date_of(message)
    own_id = str(message.get("Message-ID", "")).strip()
    on_disk = True
    for carried in workbooks:
        sha = hashlib.sha256(carried.data).hexdigest()
        owed = receipt is not None and sha not in receipts
        handled = _handle(plan, carried, message_id, received_at, returns, log_path, round_, sent_ids, saved, reception,
                          owed=owed)
        reception.handled.append(handled)
        on_disk = on_disk and handled.path is not None
        is_return = handled.outcome == "salvato" or (handled.outcome == "già ricevuto" and handled.sheets)
        if owed and is_return and handled.sha256 not in receipts:
            _send_receipt(handled, own_id, carried.references, log_path, receipt, receipts, reception)
    # Moved only when all its workbooks are on disk: a refused one stays in view in the mailbox.
    if move_to and on_disk and message_id not in moved:
        if _move(imap, uid, move_to):
            _append(log_path, ReceivedRecord(kind="spostato", message_id=message_id, at=_now()))
            moved.add(message_id)
            reception.moved.append(message_id)
        else:
            reception.findings.append(finding("MBOX_023", message=message_id, folder=move_to))


def _handle(plan: Plan, carried: Carried, message_id: str, received_at: datetime, returns: Path, log_path: Path,
            round_: str, sent_ids: dict, saved: dict, reception: Reception, *, owed: bool = False) -> Handled:
    """Save one workbook, or say why not. `owed`: a receipt is still due, so a workbook saved before is read again."""
    sha = hashlib.sha256(carried.data).hexdigest()
    base = dict(message_id=message_id, name=carried.name, sha256=sha, sender=carried.sender, subject=carried.subject,
                pec=carried.pec.identifier if carried.pec else "")
    earlier = saved.get(sha)
    if earlier is not None and earlier.outcome == "salvato" and earlier.file and (returns / earlier.file).exists():
        path = returns / earlier.file
        if not owed:
            return Handled(**base, outcome="già ricevuto", path=path, sector=earlier.sector)
        read = read_return(plan, carried.data, carried.name, modified=received_at)
        sector = plan.sector(earlier.sector)
        return Handled(**base, outcome="già ricevuto", path=path, sector=earlier.sector, matched_by=earlier.matched_by,
                       findings=read.findings, sheets=len(read.objectives), expected=len(plan.objectives_of(sector)))
    read = read_return(plan, carried.data, carried.name, modified=received_at)
    if not read.file.readable:
        reasons = "; ".join(f.message for f in read.findings if f.severity is Severity.ERROR) or "file non leggibile"
        reception.findings.append(finding("MBOX_030", message=message_id, name=carried.name, reason=reasons))
        if sha not in saved:
            _append(log_path, ReceivedRecord(kind="allegato", message_id=message_id, sha256=sha, outcome="scartato",
                                             reason=reasons, sender=carried.sender, at=_now()))
        return Handled(**base, outcome="scartato", findings=read.findings)
    sector, matched_by, reason = _match(plan, read, carried, round_, sent_ids)
    stamp = received_at.astimezone().strftime("%Y%m%d-%H%M%S")
    if sector is not None and not reason:
        name = f"{plan.plan_id}-{ROUND_LABELS[round_]}-{safe_filename(sector.code)}-{stamp}-{sha[:8]}{Path(carried.name).suffix.lower()}"
        path, outcome = returns / name, "salvato"
    else:
        stem = safe_filename(Path(carried.name).stem)
        path, outcome = returns / APART / f"{stamp}-{sha[:8]}-{stem}{Path(carried.name).suffix.lower()}", "da verificare"
        reception.findings.append(finding("MBOX_031", message=message_id, name=carried.name, sender=carried.sender or "?",
                                          reason=reason or "mittente e contenuto non riconducibili a un settore",
                                          folder=f"{returns.name}/{APART}"))
    if outcome == "da verificare" and earlier is not None:  # set apart before, maybe moved by hand since
        return Handled(**base, outcome="già ricevuto", path=returns / earlier.file if earlier.file else None,
                       findings=read.findings)
    _write_file(path, carried.data, sha)
    _append(log_path, ReceivedRecord(kind="allegato", message_id=message_id, sha256=sha, outcome=outcome,
                                     sector=sector.code if sector else "", round=round_,
                                     file=str(path.relative_to(returns)), matched_by=matched_by, reason=reason,
                                     sender=carried.sender, pec_id=base["pec"], at=_now()))
    saved[sha] = ReceivedRecord(kind="allegato", message_id=message_id, sha256=sha, outcome=outcome, matched_by=matched_by,
                                sector=sector.code if sector else "", file=str(path.relative_to(returns)))
    expected = len(plan.objectives_of(sector)) if sector else 0
    return Handled(**base, outcome=outcome, path=path, sector=sector.code if sector else "", matched_by=matched_by,
                   findings=read.findings, sheets=len(read.objectives), expected=expected)


def _write_file(path: Path, data: bytes, sha: str) -> None:
    """The workbook on disk, whole and synced; a file already there with the same bytes is left as it is."""
    try:
        if not (path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == sha):
            atomic_write(path, data)
            _sync_dir(path.parent)
    except OSError as error:
        raise SchedeError([finding("MBOX_032", file=str(path), detail=describe_os_error(error))]) from None


def _match(plan: Plan, read, carried: Carried, round_: str, sent_ids: dict) -> tuple[Sector | None, str, str]:
    """The sector a workbook belongs to, how that was found, and why it must be set apart (empty: it need not)."""
    sectors = {s.code: s for s in plan.sectors}
    by_address: dict[str, set[str]] = {}
    for s in plan.sectors:
        if s.email:
            by_address.setdefault(s.email.lower(), set()).add(s.code)
    other_plan = next((f for f in read.findings if f.code == "RET_004"), None)
    if not read.objectives:
        if other_plan is not None:
            return None, "", f"schede di un altro piano ({other_plan.params.get('found', '?')})"
        return None, "", "nessuna scheda obiettivo di questo piano nel file"
    if read.file.round and read.file.round != round_:
        return None, "", (f"schede della verifica {ROUND_LABELS.get(read.file.round, read.file.round)}, "
                          f"attesa la verifica {ROUND_LABELS[round_]}")
    identity = sectors.get(read.file.sector or "")
    replied = next((sent_ids[r] for r in carried.references if r in sent_ids), None)
    heads_of = by_address.get(carried.sender.lower(), set())  # one head may lead several sectors
    if identity is None:
        return None, "", "le schede del file sono di più settori"
    if replied is not None and replied.sector == identity.code:
        return identity, "identità e risposta", ""
    if identity.code in heads_of:
        return identity, "identità e mittente", ""
    if replied is not None or heads_of:
        other = replied.sector if replied is not None else ", ".join(sorted(heads_of))
        return None, "", f"le schede sono del settore {identity.code}, ma il messaggio viene dal settore {other}"
    return None, "", f"le schede sono del settore {identity.code}, ma il mittente {carried.sender or '?'} non è il suo responsabile"


def _send_receipt(handled: Handled, reply_to: str, references: tuple[str, ...], log_path: Path, receipt, receipts: dict,
                  reception: Reception) -> None:
    prior = receipts.get(handled.sha256)
    if prior is not None:
        if prior.outcome == "in corso":
            reception.findings.append(finding("MBOX_041", name=handled.name, receipt=prior.receipt_id))
        return
    receipt_id = make_msgid(domain="schede-excel.invalid")
    pending = ReceivedRecord(kind="ricevuta", message_id=handled.message_id, sha256=handled.sha256, outcome="in corso",
                             sector=handled.sector, receipt_id=receipt_id, at=_now())
    _append(log_path, pending)
    receipts[handled.sha256] = pending
    try:
        where = receipt(handled, reply_to, (*references, reply_to) if reply_to else references)
    except UncertainReceipt as error:  # the server may have it: stays «in corso», never sent twice
        reception.findings.extend(error.findings)
        return
    except Exception as error:  # noqa: BLE001 - it did not go: recorded so, and the next run tries again
        reception.findings.extend(error.findings if isinstance(error, SchedeError) else
                                  [finding("MBOX_040", name=handled.name, to=handled.sender, detail=str(error)[:200])])
        _append(log_path, pending.model_copy(update={"outcome": "non inviata", "at": _now()}))
        del receipts[handled.sha256]
        return
    _append(log_path, pending.model_copy(update={"outcome": "inviata", "at": _now()}))
    receipts[handled.sha256] = pending.model_copy(update={"outcome": "inviata"})
    reception.receipts.append(where)


def _move(imap: imaplib.IMAP4, uid: str, folder: str) -> bool:
    """Move one message; never expunges other messages. False when the server cannot do it safely."""
    target = _quoted(mailbox_name(folder))
    imap.create(target)  # already there: the server says NO, which is fine
    capabilities = {c.upper() for c in getattr(imap, "capabilities", ())}
    if "MOVE" in capabilities:
        status, _ = imap.uid("MOVE", uid, target)
        return status == "OK"
    if "UIDPLUS" not in capabilities:  # without UID EXPUNGE the copy could only be left beside the original
        return False
    status, _ = imap.uid("COPY", uid, target)
    if status != "OK":
        return False
    imap.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
    status, _ = imap.uid("EXPUNGE", uid)
    return status == "OK"


def mailbox_name(folder: str) -> str:
    """A folder name as IMAP writes it: modified UTF-7 (RFC 3501), so «Già ricevute» can be named."""
    out, pending = [], ""

    def flush() -> None:
        nonlocal pending
        if pending:
            encoded = __import__("base64").b64encode(pending.encode("utf-16-be")).decode("ascii").rstrip("=")
            out.append("&" + encoded.replace("/", ",") + "-")
            pending = ""

    for ch in folder:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending += ch
    flush()
    return "".join(out)


def _date_of(message: EmailMessage) -> datetime:
    try:
        moment = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        moment = None
    if moment is None or not 2000 <= moment.year <= 2100:
        return datetime.now(timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _short(text: str, size: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


# --- Receipts -------------------------------------------------------------------------------------

def receipt_message(plan: Plan, handled: Handled, *, sender: str, to: str, reply_to: str,
                    references: tuple[str, ...], receipt_id: str | None = None) -> EmailMessage:
    """The Italian reply that tells a head what was received, threaded to the head's message."""
    message = EmailMessage()
    subject = handled.subject or f"Schede obiettivi {plan.year}"
    message["Subject"] = subject if subject.lower().startswith(("re:", "r:")) else f"R: {subject}"
    if sender:
        message["From"] = sender
    message["To"] = to
    if reply_to:
        message["In-Reply-To"] = reply_to
    if references:
        message["References"] = " ".join(dict.fromkeys(references))
    message["Date"] = email.utils.format_datetime(datetime.now().astimezone())
    domain = parseaddr(sender)[1].rpartition("@")[2] or "schede-excel.invalid"
    message["Message-ID"] = receipt_id or make_msgid(domain=domain)
    problems = [f for f in handled.findings if f.severity is not Severity.INFO]
    complete = handled.sheets >= handled.expected and not has_errors(problems)
    lines = [
        "Gentile responsabile,",
        "",
        f"abbiamo ricevuto il file «{handled.name}» del settore {handled.sector} "
        f"(Comune di {plan.entity}, schede obiettivi {plan.year}).",
        f"Schede trovate: {handled.sheets} su {handled.expected}.",
    ]
    if handled.pec:
        lines.append(f"Ricevuto per PEC (identificativo {handled.pec}).")
    if complete and not problems:
        lines += ["", "Le schede sono complete e non presentano problemi. Grazie."]
    else:
        lines += ["", "Le schede presentano questi punti da controllare:" if problems else
                  "Mancano alcune schede: si prega di rispedire il file completo."]
        for f in problems:
            lines.append(f"- {f.location.replace(str(handled.name), '').strip(', ') or 'file'}: {f.message}")
        lines += ["", "Correggere la cartella e rispedirla in risposta a questo messaggio: vale il file più recente."]
    lines += ["", "Messaggio inviato automaticamente dall'ufficio che raccoglie le schede."]
    message.set_content("\n".join(lines) + "\n")
    return message


def smtp_receipts(plan: Plan, settings: MailSettings, password: str | None, *, drafts: Path | None = None):
    """A `receipt` function for `receive`: sends through SMTP (or, with `drafts`, writes .eml files there)."""
    smtp = None

    def send(handled: Handled, reply_to: str, references: tuple[str, ...]) -> str | Path:
        nonlocal smtp
        to = handled.sender
        message = receipt_message(plan, handled, sender=settings.sender, to=to, reply_to=reply_to, references=references)
        if drafts is not None:
            message["X-Unsent"] = "1"
            path = drafts / f"ricevuta-{handled.sector}-{handled.sha256[:8]}.eml"
            atomic_write(path, message.as_bytes(policy=email.policy.SMTP))
            return path
        if smtp is None:
            smtp = connect(settings, password)
        try:
            smtp.send_message(message)
        except (smtplib.SMTPServerDisconnected, TimeoutError, OSError) as error:
            smtp = None  # cut while the server had the message: it may have gone
            raise UncertainReceipt([finding("MBOX_041", name=handled.name, receipt=str(message["Message-ID"]))]) from error
        except smtplib.SMTPException as error:  # refused: it did not go
            smtp = None
            raise SchedeError([finding("MBOX_040", name=handled.name, to=to, detail=str(error)[:200])]) from None
        return str(message["Message-ID"])

    def close() -> None:
        if smtp is not None:
            try:
                smtp.quit()
            except Exception:  # noqa: BLE001
                pass

    send.close = close  # type: ignore[attr-defined]
    return send


def receive_log_path(returns_dir: str | Path) -> Path:
    """Where the receive log of a returns folder is."""
    return Path(returns_dir) / RECEIVE_LOG


def received_by_sector(records: Iterable[ReceivedRecord], round_: str) -> dict[str, ReceivedRecord]:
    """The latest workbook received by mail for each sector in `round_`, from the receive log."""
    out: dict[str, ReceivedRecord] = {}
    for record in records:
        if record.kind == "allegato" and record.outcome == "salvato" and record.round == round_ and record.sector:
            out[record.sector] = record
    return out

