#!/usr/bin/python3
"""Drive a headless LibreOffice Calc through UNO, speaking JSON.

This script must run with a Python interpreter that can ``import uno``: on
Debian that is the *system* Python (``/usr/bin/python3`` together with the
``python3-uno`` package), not the project's virtualenv.  The pytest side talks
to it through :mod:`tests.libreoffice`; it can also be used by hand.

It starts its own ``soffice`` (headless, private throw-away user profile,
listening on a private named pipe or on a free 127.0.0.1 TCP port), or
attaches to an already running one with ``--connect``, then executes commands.
The fresh profile is seeded with a few settings: no document lock files
(``.~lock.*#`` would otherwise make a second instance refuse the same file and
be left behind by a crash), no backups, no autosave.  Documents are opened
hidden; opening the same file twice gives two independent documents.

Modes
-----
Batch (default)::

    echo '[{"cmd": "open", "path": "in.xlsx"},
           {"cmd": "set", "cells": [{"sheet": 0, "cell": "B1", "value": 3}]},
           {"cmd": "recalculate"},
           {"cmd": "get", "sheet": 0, "cells": ["C1"]},
           {"cmd": "save_as", "path": "out.pdf"}]' | /usr/bin/python3 tests/lo_driver.py

  stdin holds one JSON command or a JSON list of commands; stdout gets one JSON
  list with one response per executed command.  Execution stops at the first
  error; the exit status is 1 when a command failed (2 when soffice could not
  be started: the list then holds that single error).

Serve (``--serve``)::

  first line on stdout: ``{"ready": true, "soffice_pid": ..., "soffice_pgid": ...,
  "startup_seconds": ..., "profile": ..., "connect": ...}`` (or ``{"ready": false,
  "error": ...}``); then one JSON command per stdin line and one JSON response
  per stdout line, until ``{"cmd": "quit"}`` or end of stdin.

Responses are ``{"id": <echoed>, "ok": true, "result": ...}`` or
``{"id": <echoed>, "ok": false, "error": "<message>", "error_type": "<kind>"}``;
``error_type`` is one of ``ProtectedCell``, ``Timeout``, ``BadRequest``,
``NotFound``, ``OfficeDead``, ``Uno`` or ``Internal``.

Commands (fields other than ``cmd`` and ``id``; ``doc`` defaults to the
document opened last):

``open``         path, hidden=true, read_only=false, recalculate=false
                 -> {doc, path, sheets, null_date}
``set``          doc, cells=[{sheet, cell, value, kind}], respect_protection=true
                 kind: number | string | date | formula | formula_native | clear
                 (inferred from the JSON type of value when omitted).
                 number -> setValue, string -> setString, date -> the date
                 serial number via setValue (the cell keeps its number format),
                 formula -> Excel/OOXML syntax (``=SUM(A1,B1)``, parsed with the
                 OOXML grammar), formula_native -> XCell.setFormula (LibreOffice
                 API syntax, ``;`` separators), clear -> contents removed,
                 formatting kept.  With respect_protection a locked cell on a
                 protected sheet is refused (ProtectedCell) and *nothing* of the
                 batch is written; without it, sheets protected without password
                 are unprotected for the write and protected again.
``recalculate``  doc -> calculateAll()
``get``          doc, sheet, cells=[...] or range="A1:D9", detail=false,
                 values_only=false -> list of cell records (a list of rows for
                 a range; with values_only a list of rows of plain values,
                 read in bulk: fast for large ranges)
``sheets``       doc -> [{index, name, visible, protected}]
``cell_info``    doc, sheet, cell -> {locked, formula_hidden, hidden,
                 print_hidden, sheet_protected}
``save_as``      doc, path, filter=null (from the suffix: .xlsx, .ods, .pdf,
                 .xls, .csv) -> {path, filter}; storeToURL, i.e. a copy: the
                 open document stays bound to its original file.
``close``        doc
``ping``         -> {"pong": true}
``quit``         (serve mode) closes everything and exits.

Every command may carry ``timeout`` (seconds, default ``--command-timeout``):
when it is exceeded the office is killed, so a hung call cannot hang the
caller; later commands then fail with ``OfficeDead``.

Cleanup: on exit (normal, error, SIGTERM/SIGINT/SIGHUP, end of stdin) open
documents are closed, the office is asked to terminate and then its whole
process group is killed, and the private profile directory is removed.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as _dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path

try:
    import uno
    from com.sun.star.beans import PropertyValue
    from com.sun.star.connection import NoConnectException
    from com.sun.star.table import CellAddress
except ImportError as exc:  # pragma: no cover - depends on the interpreter
    sys.stdout.write(json.dumps({"ready": False, "ok": False, "error_type": "Internal",
                                 "error": f"cannot import uno with {sys.executable}: {exc}"}) + "\n")
    sys.exit(2)


# --------------------------------------------------------------------------
# Constants

FILTERS = {
    ".xlsx": "Calc MS Excel 2007 XML",
    ".ods": "calc8",
    ".pdf": "calc_pdf_Export",
    ".xls": "MS Excel 97",
    ".csv": "Text - txt - csv (StarCalc)",
}

# com.sun.star.sheet.CellFlags: VALUE | DATETIME | STRING | FORMULA (keeps formats, notes)
_CLEAR_CONTENT_FLAGS = 1 | 2 | 4 | 16
# com.sun.star.sheet.FormulaResult
_FORMULA_RESULT = {1: "value", 2: "text", 4: "error"}
# com.sun.star.util.NumberFormat bits
_NF_DATE, _NF_TIME = 2, 4
# com.sun.star.sheet.FormulaLanguage.OOXML, FormulaMapGroup.SPECIAL / ALL_EXCEPT_SPECIAL,
# com.sun.star.sheet.AddressConvention.XL_OOX
_LANG_OOXML, _GROUP_SPECIAL, _GROUP_ALL_EXCEPT_SPECIAL, _CONV_XL_OOX = 5, 1, 0x7FFFFFFF, 3

# Written into the fresh profile before soffice starts: no lock files next to
# the documents (two instances may open the same file; a crash leaves no
# stale ``.~lock.*#``), no first-start or update dialogs, and the Italian locale
# of the offices that use the workbooks (numbers print 91,9, not 91.9), whatever
# the machine's own.
_PROFILE_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="UseLocking" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="UseDocumentOOoLockFile" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="UseDocumentSystemFileLocking" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="ShowTipOfTheDay" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Save/Document"><prop oor:name="CreateBackup" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Recovery/AutoSave"><prop oor:name="Enabled" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>it-IT</value></prop></item>
</oor:items>
"""

_CELL_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
_PR_SET_CHILD_SUBREAPER = 36


class DriverError(Exception):
    """An error reported to the client as ``{"error": ..., "error_type": ...}``."""

    def __init__(self, message: str, error_type: str = "BadRequest", **details):
        super().__init__(message)
        self.error_type = error_type
        self.details = details


def _prop(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def _log(msg: str) -> None:
    sys.stderr.write(f"[lo_driver {time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------
# The office process


class Office:
    """A headless soffice process (or a connection to an existing one)."""

    def __init__(self, soffice: str, start_timeout: float, transport: str = "pipe",
                 connect: str | None = None, keep_profile: bool = False):
        self.soffice = soffice
        self.start_timeout = start_timeout
        self.transport = transport
        self.connect_url = connect
        self.keep_profile = keep_profile
        self.proc: subprocess.Popen | None = None
        self.pgid: int | None = None
        self.profile_dir: str | None = None
        self.log_path: str | None = None
        self.ctx = None
        self.desktop = None
        self.startup_seconds: float | None = None
        self.dead_reason: str | None = None
        self._lock = threading.Lock()

    # -- start -------------------------------------------------------------

    def start(self) -> None:
        t0 = time.monotonic()
        if self.connect_url:
            self._connect(self.connect_url, t0 + self.start_timeout)
        else:
            self._launch_and_connect(t0)
        self.startup_seconds = round(time.monotonic() - t0, 3)

    def _launch_and_connect(self, t0: float) -> None:
        exe = shutil.which(self.soffice) or self.soffice
        if not os.path.exists(exe):
            raise DriverError(f"soffice not found: {self.soffice}", "OfficeDead")
        self.profile_dir = tempfile.mkdtemp(prefix="schede-lo-")
        profile_url = Path(self.profile_dir, "profile").as_uri()
        user_dir = Path(self.profile_dir, "profile", "user")
        user_dir.mkdir(parents=True)
        (user_dir / "registrymodifications.xcu").write_text(_PROFILE_XCU, encoding="utf-8")
        self.log_path = os.path.join(self.profile_dir, "soffice.log")
        if self.transport == "tcp":
            port = _free_loopback_port()
            accept = f"socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext"
        else:
            accept = f"pipe,name=schede_lo_{os.getpid()}_{uuid.uuid4().hex[:12]};urp;StarOffice.ComponentContext"
        args = [exe, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
                "--nolockcheck", f"-env:UserInstallation={profile_url}", f"--accept={accept}"]
        _log("starting " + " ".join(args))
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True, close_fds=True)
        self.pgid = self.proc.pid  # new session => pgid == pid
        self._connect("uno:" + accept, t0 + self.start_timeout)

    def _connect(self, url: str, deadline: float) -> None:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        last_exc = None
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise DriverError(f"soffice exited with status {self.proc.returncode} before "
                                  f"accepting connections; log: {self._log_tail()!r}", "OfficeDead")
            try:
                self.ctx = resolver.resolve(url)
                break
            except NoConnectException as exc:
                last_exc = exc
            if time.monotonic() > deadline:
                raise DriverError(f"soffice did not accept a connection on {url} within "
                                  f"{self.start_timeout:g}s ({last_exc}); log: {self._log_tail()!r}",
                                  "Timeout")
            time.sleep(0.05)
        self.connect_url = url
        smgr = self.ctx.ServiceManager
        self.desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)

    def _log_tail(self, n: int = 2000) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    # -- liveness / stop ---------------------------------------------------

    def check_alive(self) -> None:
        if self.dead_reason:
            raise DriverError(f"LibreOffice is not running: {self.dead_reason}", "OfficeDead")
        if self.proc is not None and self.proc.poll() is not None:
            self.dead_reason = f"soffice exited with status {self.proc.returncode}"
            raise DriverError(f"LibreOffice is not running: {self.dead_reason}", "OfficeDead")

    def kill(self, reason: str) -> None:
        """Kill the office process group at once (used on timeouts)."""
        self.dead_reason = self.dead_reason or reason
        if self.pgid is not None:
            _killpg(self.pgid, signal.SIGKILL)

    def stop(self) -> None:
        """Terminate politely, then kill the process group; remove the profile."""
        with self._lock:
            owned = self.proc is not None
            asked = False
            if self.desktop is not None and owned and not self.dead_reason:
                try:
                    self.desktop.terminate()
                    asked = True
                except Exception:  # noqa: BLE001 - the bridge dies with the office
                    asked = True
            self.desktop = None
            self.ctx = None
            if owned:
                try:
                    self.proc.wait(timeout=10 if asked else 0.01)
                except subprocess.TimeoutExpired:
                    if asked:
                        _log("soffice did not terminate in 10s; killing its process group")
                _killpg(self.pgid, signal.SIGTERM)
                _wait_group_gone(self.pgid, 3)
                _killpg(self.pgid, signal.SIGKILL)
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
                _reap_orphans()
                self.proc = None
            if self.profile_dir and not self.keep_profile:
                shutil.rmtree(self.profile_dir, ignore_errors=True)
                self.profile_dir = None


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _killpg(pgid: int | None, sig: int) -> None:
    if pgid is None:
        return
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def _wait_group_gone(pgid: int | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while pgid is not None and _group_alive(pgid) and time.monotonic() < deadline:
        _reap_orphans()
        time.sleep(0.05)


def _reap_orphans() -> None:
    """Reap children re-parented to us (we are a child subreaper, see main())."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _become_subreaper() -> None:
    """Best effort: orphaned soffice.bin (if oosplash dies first) is re-parented
    to this process, so it can be reaped instead of lingering as a zombie."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


# --------------------------------------------------------------------------
# Watchdog


class Watchdog:
    """Kills the office when a single command runs past its deadline."""

    def __init__(self, office: Office):
        self.office = office
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self.fired = False
        t = threading.Thread(target=self._run, name="lo-watchdog", daemon=True)
        t.start()

    def arm(self, seconds: float) -> None:
        with self._cond:
            self.fired = False
            self._deadline = time.monotonic() + seconds
            self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            self._deadline = None
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while True:
                if self._deadline is None:
                    self._cond.wait()
                    continue
                left = self._deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                self.fired = True
                self._deadline = None
                _log("command timed out; killing soffice")
                self.office.kill("killed after a command timed out")


# --------------------------------------------------------------------------
# Documents and commands


class DocState:
    """An open document and lazily built helpers."""

    def __init__(self, doc_id: str, path: str, component):
        self.id = doc_id
        self.path = path
        self.doc = component
        self._parser = None
        self._formats: dict[int, tuple[str, int]] = {}
        nd = component.NullDate
        self.null_date = _dt.date(nd.Year, nd.Month, nd.Day)

    def ooxml_parser(self):
        """A com.sun.star.sheet.FormulaParser set up for Excel (OOXML) syntax."""
        if self._parser is None:
            parser = self.doc.createInstance("com.sun.star.sheet.FormulaParser")
            mapper = self.doc.createInstance("com.sun.star.sheet.FormulaOpCodeMapper")
            entries = (tuple(mapper.getAvailableMappings(_LANG_OOXML, _GROUP_SPECIAL))
                       + tuple(mapper.getAvailableMappings(_LANG_OOXML, _GROUP_ALL_EXCEPT_SPECIAL)))
            uno.invoke(parser, "setPropertyValue",
                       ("OpCodeMap", uno.Any("[]com.sun.star.sheet.FormulaOpCodeMapEntry", entries)))
            parser.setPropertyValue("FormulaConvention", _CONV_XL_OOX)
            parser.setPropertyValue("CompileEnglish", True)
            self._parser = parser
        return self._parser

    def number_format(self, key: int) -> tuple[str, int]:
        if key not in self._formats:
            try:
                fmt = self.doc.NumberFormats.getByKey(key)
                self._formats[key] = (fmt.FormatString, fmt.Type)
            except Exception:  # noqa: BLE001
                self._formats[key] = ("", 0)
        return self._formats[key]


class Session:
    """Executes commands against one office."""

    def __init__(self, office: Office, command_timeout: float):
        self.office = office
        self.command_timeout = command_timeout
        self.watchdog = Watchdog(office)
        self.docs: dict[str, DocState] = {}
        self._last_doc: str | None = None
        self._counter = 0

    # -- dispatch ------------------------------------------------------------

    def execute(self, command) -> dict:
        cid = command.get("id") if isinstance(command, dict) else None
        try:
            if not isinstance(command, dict) or not isinstance(command.get("cmd"), str):
                raise DriverError('a command must be a JSON object with a string "cmd"')
            handler = getattr(self, "cmd_" + command["cmd"], None)
            if handler is None:
                raise DriverError(f"unknown command {command['cmd']!r}")
            self.office.check_alive()
            timeout = float(command.get("timeout") or self.command_timeout)
            self.watchdog.arm(timeout)
            try:
                result = handler(command)
            finally:
                self.watchdog.disarm()
            if self.watchdog.fired:
                raise DriverError(f"command {command['cmd']!r} exceeded {timeout:g}s", "Timeout")
            return {"id": cid, "ok": True, "result": result}
        except DriverError as exc:
            return _error(cid, str(exc), exc.error_type, exc.details)
        except Exception as exc:  # noqa: BLE001 - UNO exceptions are not a common base
            if self.watchdog.fired:
                return _error(cid, f"command {command.get('cmd')!r} timed out; office killed", "Timeout")
            if self.office.dead_reason or (self.office.proc and self.office.proc.poll() is not None):
                self.office.dead_reason = self.office.dead_reason or "soffice died"
                return _error(cid, f"LibreOffice died: {type(exc).__name__}: {exc}", "OfficeDead")
            etype = "Uno" if type(exc).__module__.startswith("uno") or "com.sun.star" in repr(type(exc)) else "Internal"
            return _error(cid, f"{type(exc).__name__}: {getattr(exc, 'Message', '') or exc}", etype,
                          {"traceback": traceback.format_exc(limit=5)})

    def close_all(self) -> None:
        for doc_id in list(self.docs):
            try:
                self._close(doc_id)
            except Exception:  # noqa: BLE001
                pass

    # -- helpers ---------------------------------------------------------------

    def _doc(self, command) -> DocState:
        doc_id = command.get("doc") or self._last_doc
        if doc_id is None:
            raise DriverError("no document is open", "NotFound")
        try:
            return self.docs[doc_id]
        except KeyError:
            raise DriverError(f"unknown document {doc_id!r}", "NotFound") from None

    @staticmethod
    def _sheet(ds: DocState, ref):
        sheets = ds.doc.Sheets
        if isinstance(ref, bool) or ref is None:
            raise DriverError(f"bad sheet reference {ref!r}")
        if isinstance(ref, int):
            if not 0 <= ref < sheets.Count:
                raise DriverError(f"sheet index {ref} out of range (0..{sheets.Count - 1})", "NotFound")
            return sheets.getByIndex(ref)
        if not sheets.hasByName(str(ref)):
            raise DriverError(f"no sheet named {ref!r}; sheets: {list(sheets.ElementNames)}", "NotFound")
        return sheets.getByName(str(ref))

    @staticmethod
    def _cell(sheet, address):
        if not isinstance(address, str) or not _CELL_RE.match(address.strip()):
            raise DriverError(f"bad cell address {address!r} (expected e.g. 'D20')")
        return sheet.getCellRangeByName(address.strip().replace("$", "").upper())

    def _to_serial(self, ds: DocState, value) -> float:
        if not isinstance(value, str):
            raise DriverError(f"a date value must be an ISO string, got {value!r}")
        try:
            if "T" in value or " " in value.strip():
                d = _dt.datetime.fromisoformat(value.strip())
                delta = d - _dt.datetime.combine(ds.null_date, _dt.time())
                return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6
            return float((_dt.date.fromisoformat(value.strip()) - ds.null_date).days)
        except ValueError as exc:
            raise DriverError(f"bad ISO date {value!r}: {exc}") from None

    def _from_serial(self, ds: DocState, serial: float, with_time: bool) -> str:
        base = _dt.datetime.combine(ds.null_date, _dt.time())
        d = base + _dt.timedelta(milliseconds=round(serial * 86_400_000))
        return d.isoformat() if with_time else d.date().isoformat()

    def _cell_record(self, ds: DocState, sheet, cell, address: str, detail: bool) -> dict:
        ctype = cell.Type.value  # EMPTY | VALUE | TEXT | FORMULA
        rec = {"cell": address, "type": ctype.lower()}
        if ctype == "EMPTY":
            rec["value"] = None
        elif ctype == "VALUE":
            rec["value"] = cell.getValue()
        elif ctype == "TEXT":
            rec["value"] = cell.getString()
        else:
            rtype = _FORMULA_RESULT.get(cell.FormulaResultType2, "value")
            err = cell.getError()
            if err:
                rtype = "error"
            rec["result_type"] = rtype
            rec["formula"] = cell.getFormula()
            rec["error_code"] = err
            if rtype == "value":
                rec["value"] = cell.getValue()
            else:
                rec["value"] = cell.getString()
        rec["string"] = cell.getString()
        if detail or ctype in ("VALUE", "FORMULA"):
            fmt, ftype = ds.number_format(cell.NumberFormat)
            rec["number_format"] = fmt
            if (ftype & (_NF_DATE | _NF_TIME)) and isinstance(rec["value"], float):
                rec["date"] = self._from_serial(ds, rec["value"], with_time=bool(ftype & _NF_TIME))
        if detail:
            prot = cell.CellProtection
            rec["locked"] = bool(prot.IsLocked)
            rec["sheet_protected"] = bool(sheet.isProtected())
            if ctype == "FORMULA":
                try:
                    addr = cell.CellAddress
                    rec["formula_excel"] = "=" + ds.ooxml_parser().printFormula(
                        cell.getTokens(), CellAddress(addr.Sheet, addr.Column, addr.Row))
                except Exception:  # noqa: BLE001
                    rec["formula_excel"] = None
        return rec

    # -- commands ------------------------------------------------------------

    def cmd_ping(self, command):
        return {"pong": True}

    def cmd_open(self, command):
        path = command.get("path")
        if not path:
            raise DriverError("open needs a path")
        path = os.path.abspath(path)
        if not os.path.isfile(path):
            raise DriverError(f"no such file: {path}", "NotFound")
        props = (_prop("Hidden", bool(command.get("hidden", True))),
                 _prop("ReadOnly", bool(command.get("read_only", False))),
                 _prop("MacroExecutionMode", 0),  # NEVER_EXECUTE
                 _prop("UpdateDocMode", 0))       # NO_UPDATE of links
        component = self.office.desktop.loadComponentFromURL(uno.systemPathToFileUrl(path),
                                                             "_blank", 0, props)
        if component is None or not hasattr(component, "Sheets"):
            if component is not None:
                component.close(True)
            raise DriverError(f"LibreOffice could not open {path} as a spreadsheet")
        self._counter += 1
        doc_id = f"doc{self._counter}"
        ds = DocState(doc_id, path, component)
        self.docs[doc_id] = ds
        self._last_doc = doc_id
        if command.get("recalculate"):
            component.calculateAll()
        return {"doc": doc_id, "path": path, "sheets": self.cmd_sheets({"doc": doc_id}),
                "null_date": ds.null_date.isoformat()}

    def cmd_sheets(self, command):
        ds = self._doc(command)
        out = []
        sheets = ds.doc.Sheets
        for i in range(sheets.Count):
            sh = sheets.getByIndex(i)
            out.append({"index": i, "name": sh.Name, "visible": bool(sh.IsVisible),
                        "protected": bool(sh.isProtected())})
        return out

    def cmd_cell_info(self, command):
        ds = self._doc(command)
        sheet = self._sheet(ds, command.get("sheet"))
        cell = self._cell(sheet, command.get("cell"))
        prot = cell.CellProtection
        return {"locked": bool(prot.IsLocked), "formula_hidden": bool(prot.IsFormulaHidden),
                "hidden": bool(prot.IsHidden), "print_hidden": bool(prot.IsPrintHidden),
                "sheet_protected": bool(sheet.isProtected())}

    def cmd_set(self, command):
        ds = self._doc(command)
        items = command.get("cells")
        if not isinstance(items, list) or not items:
            raise DriverError('set needs a non-empty list "cells"')
        respect = bool(command.get("respect_protection", True))
        # 1) resolve and validate everything first: the batch is all or nothing
        plan, refused = [], []
        for item in items:
            if not isinstance(item, dict):
                raise DriverError(f"bad cell item {item!r}")
            sheet = self._sheet(ds, item.get("sheet"))
            cell = self._cell(sheet, item.get("cell"))
            kind, payload = self._prepare_value(ds, item)
            if respect and sheet.isProtected() and cell.CellProtection.IsLocked:
                refused.append(f"{sheet.Name}!{item['cell']}")
            plan.append((sheet, cell, kind, payload, item))
        if refused:
            raise DriverError("cannot write locked cell(s) of a protected sheet: " + ", ".join(refused),
                              "ProtectedCell", cells=refused)
        # 2) unprotect what has to be (respect_protection=false only)
        reprotect = []
        if not respect:
            seen = set()
            for sheet, *_ in plan:
                if sheet.Name in seen or not sheet.isProtected():
                    continue
                seen.add(sheet.Name)
                try:
                    sheet.unprotect("")
                except Exception:  # noqa: BLE001
                    raise DriverError(f"sheet {sheet.Name!r} is protected with a password",
                                      "ProtectedCell") from None
                reprotect.append(sheet)
        # 3) write
        try:
            for sheet, cell, kind, payload, item in plan:
                if kind == "number" or kind == "date":
                    cell.setValue(payload)
                elif kind == "string":
                    cell.setString(payload)
                elif kind == "formula_native":
                    cell.setFormula(payload)
                elif kind == "formula":
                    addr = cell.CellAddress
                    tokens = ds.ooxml_parser().parseFormula(
                        payload, CellAddress(addr.Sheet, addr.Column, addr.Row))
                    cell.setTokens(tokens)
                elif kind == "clear":
                    cell.clearContents(_CLEAR_CONTENT_FLAGS)
        finally:
            for sheet in reprotect:
                sheet.protect("")
        return {"written": len(plan)}

    def _prepare_value(self, ds: DocState, item: dict):
        value = item.get("value")
        kind = item.get("kind")
        if kind is None:
            if value is None:
                kind = "clear"
            elif isinstance(value, (bool, int, float)):
                kind = "number"
            elif isinstance(value, str):
                kind = "string"
            else:
                raise DriverError(f"cannot infer the kind of {value!r}")
        if kind == "number":
            if isinstance(value, str):
                try:
                    value = float(value)
                except ValueError:
                    raise DriverError(f"not a number: {value!r}") from None
            if not isinstance(value, (bool, int, float)):
                raise DriverError(f"not a number: {value!r}")
            return kind, float(value)
        if kind == "string":
            return kind, "" if value is None else str(value)
        if kind == "date":
            return kind, self._to_serial(ds, value)
        if kind in ("formula", "formula_native"):
            if not isinstance(value, str) or not value.strip():
                raise DriverError(f"a formula must be a non-empty string, got {value!r}")
            text = value.strip()
            if kind == "formula":
                return kind, text[1:] if text.startswith("=") else text
            return kind, text if text.startswith("=") else "=" + text
        if kind == "clear":
            return kind, None
        raise DriverError(f"unknown kind {kind!r} (number, string, date, formula, formula_native, clear)")

    def cmd_recalculate(self, command):
        ds = self._doc(command)
        t0 = time.monotonic()
        ds.doc.calculateAll()
        return {"seconds": round(time.monotonic() - t0, 4)}

    def cmd_get(self, command):
        ds = self._doc(command)
        sheet = self._sheet(ds, command.get("sheet"))
        detail = bool(command.get("detail", False))
        out = []
        if command.get("range"):
            rng = sheet.getCellRangeByName(str(command["range"]).replace("$", "").upper())
            ra = rng.RangeAddress
            cols = ra.EndColumn - ra.StartColumn + 1
            rows = ra.EndRow - ra.StartRow + 1
            if rows * cols > 200_000:
                raise DriverError(f"range {command['range']} is too large ({rows * cols} cells)")
            if command.get("values_only"):
                return self._range_values(rng, ra)
            for r in range(rows):
                row = []
                for c in range(cols):
                    cell = rng.getCellByPosition(c, r)
                    address = _col_letters(ra.StartColumn + c) + str(ra.StartRow + r + 1)
                    row.append(self._cell_record(ds, sheet, cell, address, detail))
                out.append(row)
            return out
        cells = command.get("cells")
        if isinstance(cells, str):
            cells = [cells]
        if not isinstance(cells, list) or not cells:
            raise DriverError('get needs "cells" (a list of addresses) or "range"')
        for address in cells:
            cell = self._cell(sheet, address)
            out.append(self._cell_record(ds, sheet, cell, address.strip().replace("$", "").upper(), detail))
        return out

    @staticmethod
    def _range_values(rng, ra) -> list:
        """Fast path: a 2D list of plain values from three bulk calls."""
        data = rng.getDataArray()        # float or str per cell; "" for empty cells
        formulas = rng.getFormulaArray()  # "" only for empty cells
        errors = set()
        try:
            for cell_range in rng.queryFormulaCells(4).RangeAddresses:  # FormulaResult.ERROR
                for r in range(cell_range.StartRow, cell_range.EndRow + 1):
                    for c in range(cell_range.StartColumn, cell_range.EndColumn + 1):
                        errors.add((r - ra.StartRow, c - ra.StartColumn))
        except Exception:  # noqa: BLE001 - no error cells
            pass
        out = []
        for r, (drow, frow) in enumerate(zip(data, formulas)):
            row = []
            for c, (d, f) in enumerate(zip(drow, frow)):
                if (r, c) in errors:
                    row.append(rng.getCellByPosition(c, r).getString())
                elif d == "" and f == "":
                    row.append(None)
                else:
                    row.append(d)
            out.append(row)
        return out

    def cmd_save_as(self, command):
        ds = self._doc(command)
        path = command.get("path")
        if not path:
            raise DriverError("save_as needs a path")
        path = os.path.abspath(path)
        filt = command.get("filter") or FILTERS.get(Path(path).suffix.lower())
        if not filt:
            raise DriverError(f"no filter known for {Path(path).suffix!r}; pass one of "
                              f"{sorted(FILTERS)} or an explicit filter name")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        props = [_prop("FilterName", filt), _prop("Overwrite", True)]
        ds.doc.storeToURL(uno.systemPathToFileUrl(path), tuple(props))
        return {"path": path, "filter": filt, "bytes": os.path.getsize(path)}

    def cmd_close(self, command):
        ds = self._doc(command)
        self._close(ds.id)
        return {"closed": ds.id}

    def _close(self, doc_id: str) -> None:
        ds = self.docs.pop(doc_id)
        if self._last_doc == doc_id:
            self._last_doc = next(reversed(self.docs), None) if self.docs else None
        try:
            ds.doc.setModified(False)
        except Exception:  # noqa: BLE001
            pass
        try:
            ds.doc.close(True)
        except Exception:  # noqa: BLE001 - CloseVetoException etc.
            ds.doc.dispose()

    def cmd_quit(self, command):
        return {"bye": True}


def _col_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _error(cid, message: str, error_type: str, details: dict | None = None) -> dict:
    out = {"id": cid, "ok": False, "error": message, "error_type": error_type}
    if details:
        out["details"] = details
    return out


# --------------------------------------------------------------------------
# Main


class _Terminate(BaseException):
    """Raised from signal handlers so that ``finally`` blocks clean up."""


def _on_signal(signum, frame):  # noqa: ARG001
    raise _Terminate(signum)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--serve", action="store_true", help="JSON lines protocol (see module doc)")
    ap.add_argument("--soffice", default=os.environ.get("SCHEDE_LO_SOFFICE", "soffice"))
    ap.add_argument("--transport", choices=("pipe", "tcp"), default="pipe")
    ap.add_argument("--connect", help="UNO URL of a running office, e.g. "
                    "'uno:socket,host=127.0.0.1,port=2002;urp;StarOffice.ComponentContext'")
    ap.add_argument("--start-timeout", type=float, default=60.0)
    ap.add_argument("--command-timeout", type=float, default=120.0)
    ap.add_argument("--keep-profile", action="store_true", help="do not delete the profile dir")
    args = ap.parse_args(argv)

    # The protocol owns the real stdout; anything else printing to fd 1 (LibreOffice
    # libraries, stray prints) is sent to stderr instead.
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(obj) -> None:
        proto.write(json.dumps(obj, ensure_ascii=False) + "\n")
        proto.flush()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    _become_subreaper()

    commands = None
    if not args.serve:  # batch: validate the input before paying for a start-up
        try:
            commands = json.loads(sys.stdin.read())
        except ValueError as exc:
            send([_error(None, f"invalid JSON on stdin: {exc}", "BadRequest")])
            return 1
        if isinstance(commands, dict):
            commands = [commands]
        if not isinstance(commands, list):
            send([_error(None, "stdin must hold a JSON command or a list of commands", "BadRequest")])
            return 1

    office = Office(args.soffice, args.start_timeout, args.transport, args.connect, args.keep_profile)
    session = None
    status = 0
    try:
        try:
            office.start()
        except DriverError as exc:
            failure = {"ready": False, "ok": False, "error": str(exc), "error_type": exc.error_type}
            send(failure if args.serve else [failure])
            return 2
        session = Session(office, args.command_timeout)
        if args.serve:
            send({"ready": True, "soffice_pid": office.proc.pid if office.proc else None,
                  "soffice_pgid": office.pgid, "startup_seconds": office.startup_seconds,
                  "profile": office.profile_dir, "connect": office.connect_url,
                  "driver_pid": os.getpid()})
            for line in sys.stdin:
                if not line.strip():
                    continue
                try:
                    command = json.loads(line)
                except ValueError as exc:
                    send(_error(None, f"invalid JSON: {exc}", "BadRequest"))
                    continue
                response = session.execute(command)
                if isinstance(command, dict) and command.get("cmd") == "quit":
                    session.close_all()
                    send(response)
                    break
                send(response)
        else:
            results = []
            for command in commands:
                response = session.execute(command)
                results.append(response)
                if not response["ok"]:
                    status = 1
                    break
            send(results)
    except _Terminate:
        status = 3
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            if session is not None and not office.dead_reason:
                session.close_all()
        except Exception:  # noqa: BLE001
            pass
        office.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
