"""Test-side wrapper around a headless LibreOffice Calc.

The project's tests run in a virtualenv whose Python cannot ``import uno``.
This module therefore runs ``tests/lo_driver.py`` with the system Python
(``/usr/bin/python3``, which has ``python3-uno``) as one long-lived
subprocess per :class:`LibreOffice` context and talks to it with JSON lines
over its stdin/stdout.  The driver owns one headless ``soffice`` with a
private, throw-away user profile, so starting LibreOffice (about a second)
is paid once per context, not once per call.

Example::

    from tests.libreoffice import LibreOffice, lo_available

    with LibreOffice() as lo:
        with lo.open("scheda.xlsx") as doc:
            doc.set("Scheda 1", "D20", 0.95)          # number
            doc.set("Scheda 1", "D21", date(2024, 6, 30))
            doc.recalculate()
            assert doc.get("Scheda 1", "E20") == 95.0
            doc.save_as(tmp_path / "out.pdf")

Values read with :meth:`Document.get` are what LibreOffice computed:
``float`` for numbers (dates are serial numbers; see :meth:`Document.get_date`),
``str`` for text and for formula errors (``"#DIV/0!"``), ``None`` for empty
cells.

LibreOffice quirks worth knowing (see also the driver's module docstring):

* The UNO API ignores sheet protection: ``setValue`` on a locked cell of a
  protected sheet silently overwrites it.  The driver therefore checks
  ``CellProtection.IsLocked`` itself and refuses (:class:`ProtectedCellError`)
  unless ``respect_protection=False``.
* ``.xlsx`` files written by XlsxWriter carry cached formula results of ``0``
  and LibreOffice, by default, does *not* recalculate xlsx files on load: call
  :meth:`Document.recalculate` (or ``open(..., recalculate=True)``) before
  reading formula results.  Formulas depending on a cell you set are updated
  by autocalc, but other formulas keep their stale cached values, and
  ``save_as`` writes whatever is cached.
* ``XCell.getFormula`` returns LibreOffice's own syntax (``=SUM(A1;B1)``,
  ``$Sheet.A1``); :meth:`Document.get_formula` returns Excel syntax by default.

Environment: ``SCHEDE_LO_PYTHON`` (interpreter with ``uno``, default
``/usr/bin/python3``) and ``SCHEDE_LO_SOFFICE`` (default ``soffice``).
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Sequence

__all__ = [
    "LibreOffice",
    "Document",
    "CellInfo",
    "SheetInfo",
    "LibreOfficeError",
    "ProtectedCellError",
    "LibreOfficeTimeout",
    "lo_available",
    "lo_unavailable_reason",
    "lo_python",
    "DRIVER",
]

DRIVER = Path(__file__).with_name("lo_driver.py")
DEFAULT_PYTHON = "/usr/bin/python3"


class LibreOfficeError(RuntimeError):
    """An error reported by the driver (or the driver/office died)."""

    def __init__(self, message: str, error_type: str = "Internal", details: dict | None = None):
        super().__init__(message)
        self.error_type = error_type
        self.details = details or {}


class ProtectedCellError(LibreOfficeError):
    """Writing a locked cell of a protected sheet was refused."""

    @property
    def cells(self) -> list[str]:
        return list(self.details.get("cells", []))


class LibreOfficeTimeout(LibreOfficeError):
    """A command (or the start-up) exceeded its time limit; the office was killed."""


_ERRORS = {"ProtectedCell": ProtectedCellError, "Timeout": LibreOfficeTimeout}


# --------------------------------------------------------------------------
# Availability


def lo_python() -> str:
    """The interpreter that runs the driver (must be able to ``import uno``)."""
    return os.environ.get("SCHEDE_LO_PYTHON", DEFAULT_PYTHON)


def _soffice() -> str | None:
    name = os.environ.get("SCHEDE_LO_SOFFICE", "soffice")
    found = shutil.which(name)
    if found:
        return found
    for candidate in ("/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice",
                      "/opt/libreoffice/program/soffice"):
        if os.path.exists(candidate):
            return candidate
    return None


@functools.lru_cache(maxsize=None)
def lo_unavailable_reason() -> str | None:
    """Why LibreOffice cannot be driven here, or ``None`` when it can."""
    python = lo_python()
    if not os.path.exists(python):
        return f"{python} not found (set SCHEDE_LO_PYTHON to a Python with the uno module)"
    if _soffice() is None:
        return "soffice not found (apt-get install libreoffice-calc-nogui python3-uno)"
    try:
        proc = subprocess.run([python, "-c", "import uno"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run {python}: {exc}"
    if proc.returncode != 0:
        return f"{python} cannot import uno (apt-get install python3-uno): {proc.stderr.strip()[-300:]}"
    return None


def lo_available() -> bool:
    """True when the system Python can ``import uno`` and ``soffice`` exists."""
    return lo_unavailable_reason() is None


# --------------------------------------------------------------------------
# Data classes


@dataclass(frozen=True)
class SheetInfo:
    index: int
    name: str
    visible: bool
    protected: bool


@dataclass(frozen=True)
class CellInfo:
    """Everything the driver reports about one cell."""

    cell: str
    type: str                        # "empty" | "value" | "text" | "formula"
    value: float | str | None        # see Document.get
    string: str                      # the text LibreOffice displays
    formula: str | None = None       # LibreOffice syntax, e.g. "=SUM(A1;B1)"
    formula_excel: str | None = None  # Excel syntax (only with detail=True)
    result_type: str | None = None   # formulas: "value" | "text" | "error"
    error_code: int = 0              # LibreOffice error code (e.g. 532 = #DIV/0!)
    number_format: str | None = None
    date: _dt.date | _dt.datetime | None = None  # when the number format is a date/time
    locked: bool | None = None       # only with detail=True
    sheet_protected: bool | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_record(cls, rec: dict) -> "CellInfo":
        date = rec.get("date")
        if date:
            date = _dt.datetime.fromisoformat(date) if "T" in date else _dt.date.fromisoformat(date)
        return cls(cell=rec["cell"], type=rec["type"], value=rec.get("value"),
                   string=rec.get("string", ""), formula=rec.get("formula"),
                   formula_excel=rec.get("formula_excel"), result_type=rec.get("result_type"),
                   error_code=rec.get("error_code", 0), number_format=rec.get("number_format"),
                   date=date or None, locked=rec.get("locked"),
                   sheet_protected=rec.get("sheet_protected"), raw=rec)

    @property
    def is_error(self) -> bool:
        return self.result_type == "error"


# --------------------------------------------------------------------------
# The office


def _kill_group(pgid: int | None) -> None:
    if not pgid:
        return
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _finalize(proc: subprocess.Popen | None, pgid_box: list, profile_box: list) -> None:
    """Last-resort cleanup (garbage collection / interpreter exit)."""
    if proc is not None and proc.poll() is None:
        try:
            proc.stdin.close()
            proc.wait(timeout=15)
        except Exception:  # noqa: BLE001
            proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
    _kill_group(pgid_box[0] if pgid_box else None)
    if profile_box and profile_box[0]:
        shutil.rmtree(profile_box[0], ignore_errors=True)


class LibreOffice:
    """One headless LibreOffice, driven through ``lo_driver.py --serve``.

    Use as a context manager (or call :meth:`start` / :meth:`close`).  Not
    thread-safe beyond serialising calls with a lock.
    """

    def __init__(self, *, python: str | None = None, soffice: str | None = None,
                 start_timeout: float = 60.0, command_timeout: float = 120.0,
                 transport: str = "pipe", connect: str | None = None):
        self.python = python or lo_python()
        self.soffice = soffice or _soffice() or "soffice"
        self.start_timeout = start_timeout
        self.command_timeout = command_timeout
        self.transport = transport
        self.connect = connect
        self.startup_seconds: float | None = None   # soffice start + UNO connect, in the driver
        self.ready_info: dict = {}
        self._proc: subprocess.Popen | None = None
        self._stderr = None
        self._lines: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._next_id = 0
        self._pgid_box: list = [None]
        self._profile_box: list = [None]
        self._finalizer = None
        self._documents: dict[str, Document] = {}

    # -- lifecycle -------------------------------------------------------------

    def __enter__(self) -> "LibreOffice":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> "LibreOffice":
        if self._proc is not None:
            return self
        reason = lo_unavailable_reason() if self.python == lo_python() else None  # cached check
        if reason:
            raise LibreOfficeError(f"LibreOffice is not available: {reason}", "Unavailable")
        cmd = [self.python, str(DRIVER), "--serve", "--soffice", self.soffice,
               "--start-timeout", str(self.start_timeout),
               "--command-timeout", str(self.command_timeout), "--transport", self.transport]
        if self.connect:
            cmd += ["--connect", self.connect]
        self._stderr = tempfile.TemporaryFile(prefix="lo-driver-stderr-")
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=self._stderr, text=True, encoding="utf-8", bufsize=1)
        self._finalizer = weakref.finalize(self, _finalize, self._proc, self._pgid_box,
                                          self._profile_box)
        threading.Thread(target=self._pump, args=(self._proc.stdout, self._lines),
                         name="lo-driver-reader", daemon=True).start()
        ready = self._read(self.start_timeout + 15, "start-up")
        if not ready.get("ready"):
            self.close()
            err = _ERRORS.get(ready.get("error_type"), LibreOfficeError)
            raise err(f"LibreOffice did not start: {ready.get('error')}", ready.get("error_type", "Internal"))
        self.ready_info = ready
        self.startup_seconds = ready.get("startup_seconds")
        self._pgid_box[0] = ready.get("soffice_pgid")
        self._profile_box[0] = ready.get("profile")
        return self

    def close(self) -> None:
        """Close all documents, stop soffice and the driver. Idempotent."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.poll() is None:
                try:
                    self._send(proc, {"cmd": "quit", "id": -1})
                    self._read(30, "quit")
                except (LibreOfficeError, OSError):
                    pass
                try:
                    proc.stdin.close()
                except OSError:
                    pass
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.terminate()
                    try:
                        proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait(timeout=5)
        finally:
            _kill_group(self._pgid_box[0])
            self._pgid_box[0] = None
            profile = self.ready_info.get("profile")
            if profile and os.path.basename(profile).startswith("schede-lo-"):
                shutil.rmtree(profile, ignore_errors=True)  # the driver died before removing it
            if self._finalizer is not None:
                self._finalizer.detach()
            for doc in self._documents.values():
                doc._closed = True
            self._documents.clear()
            if proc.stdout:
                proc.stdout.close()
            if self._stderr is not None:
                self._stderr.close()
                self._stderr = None

    # -- protocol ----------------------------------------------------------------

    @staticmethod
    def _pump(stream, lines: queue.Queue) -> None:
        try:
            for line in stream:
                lines.put(line)
        except (OSError, ValueError):
            pass
        lines.put(None)

    @staticmethod
    def _send(proc: subprocess.Popen, obj: dict) -> None:
        proc.stdin.write(json.dumps(obj) + "\n")
        proc.stdin.flush()

    def _stderr_tail(self, n: int = 3000) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.flush()
            self._stderr.seek(0)
            return self._stderr.read()[-n:].decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def _read(self, timeout: float, what: str) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                tail = self._stderr_tail()
                self._abort()
                raise LibreOfficeTimeout(f"no answer from the LibreOffice driver to {what} within "
                                         f"{timeout:g}s; driver stderr: {tail}", "Timeout") from None
            if line is None:
                tail = self._stderr_tail()
                self._abort()
                raise LibreOfficeError(f"the LibreOffice driver exited during {what}; "
                                       f"driver stderr: {tail}", "OfficeDead")
            try:
                return json.loads(line)
            except ValueError:
                continue  # not ours; keep reading

    def _abort(self) -> None:
        """Kill the driver and soffice after a protocol failure."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        _kill_group(self._pgid_box[0])

    def call(self, cmd: str, *, timeout: float | None = None, **args: Any) -> Any:
        """Send one raw driver command and return its ``result`` (or raise)."""
        with self._lock:
            if self._proc is None:
                raise LibreOfficeError("LibreOffice is not running (use `with LibreOffice() as lo:`)",
                                       "OfficeDead")
            if self._proc.poll() is not None:
                tail = self._stderr_tail()
                self._abort()
                raise LibreOfficeError(f"the LibreOffice driver exited (status {self._proc.returncode}); "
                                       f"driver stderr: {tail}", "OfficeDead")
            self._next_id += 1
            request = {"cmd": cmd, "id": self._next_id, **args}
            if timeout is not None:
                request["timeout"] = timeout
            try:
                self._send(self._proc, request)
            except OSError as exc:
                raise LibreOfficeError(f"cannot talk to the driver: {exc}; "
                                       f"stderr: {self._stderr_tail()}", "OfficeDead") from None
            wait = (timeout or self.command_timeout) + 15
            response = self._read(wait, cmd)
            while response.get("id") not in (self._next_id, None):
                response = self._read(wait, cmd)  # a stale answer: skip it
        if not response.get("ok"):
            err = _ERRORS.get(response.get("error_type"), LibreOfficeError)
            raise err(response.get("error", "unknown error"), response.get("error_type", "Internal"),
                      response.get("details"))
        return response.get("result")

    # -- documents -----------------------------------------------------------------

    def open(self, path: str | os.PathLike, *, read_only: bool = False, hidden: bool = True,
             recalculate: bool = False) -> "Document":
        """Open a workbook (.xlsx, .ods, ...).  See the module docstring about
        ``recalculate`` and xlsx cached values."""
        res = self.call("open", path=str(Path(path).resolve()), read_only=read_only,
                        hidden=hidden, recalculate=recalculate)
        doc = Document(self, res)
        self._documents[doc.id] = doc
        return doc

    def close_all(self) -> None:
        """Close every document still open (e.g. between tests)."""
        for doc in list(self._documents.values()):
            doc.close()

    @property
    def documents(self) -> list["Document"]:
        return list(self._documents.values())


# --------------------------------------------------------------------------
# A document


def _encode_value(value: Any, kind: str | None) -> dict:
    """Map a Python value to the driver's {value, kind}."""
    if kind is not None:
        if kind == "date" and isinstance(value, (_dt.date, _dt.datetime)):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = float(value)
        return {"value": value, "kind": kind}
    if value is None:
        return {"value": None, "kind": "clear"}
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            raise ValueError(f"spreadsheet dates have no time zone: {value!r}")
        return {"value": value.isoformat(), "kind": "date"}
    if isinstance(value, _dt.date):
        return {"value": value.isoformat(), "kind": "date"}
    if isinstance(value, bool):
        return {"value": 1.0 if value else 0.0, "kind": "number"}
    if isinstance(value, (int, float, Decimal)):
        return {"value": float(value), "kind": "number"}
    if isinstance(value, str):
        return {"value": value, "kind": "string"}
    raise TypeError(f"cannot write a {type(value).__name__} to a cell: {value!r}")


class Document:
    """An open spreadsheet document.  Sheets are given by name or 0-based index."""

    def __init__(self, lo: LibreOffice, open_result: dict):
        self._lo = lo
        self.id: str = open_result["doc"]
        self.path = Path(open_result["path"])
        self.null_date = _dt.date.fromisoformat(open_result["null_date"])
        self._closed = False

    def __repr__(self) -> str:
        return f"<Document {self.id} {self.path.name}{' closed' if self._closed else ''}>"

    def __enter__(self) -> "Document":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, cmd: str, **args: Any) -> Any:
        if self._closed:
            raise LibreOfficeError(f"{self!r} is closed", "NotFound")
        return self._lo.call(cmd, doc=self.id, **args)

    # -- writing ---------------------------------------------------------------

    def set(self, sheet: str | int, cell: str, value: Any, *, kind: str | None = None,
            respect_protection: bool = True) -> None:
        """Write one cell like a user would.

        ``value``: int/float/Decimal/bool -> number, str -> text, ``date`` /
        ``datetime`` -> date serial number (the cell keeps its number format),
        ``None`` -> clear.  ``kind`` forces one of ``number``, ``string``,
        ``date``, ``formula`` (Excel syntax, ``"=SUM(A1,B1)"``),
        ``formula_native`` (LibreOffice syntax, ``"=SUM(A1;B1)"``), ``clear``.

        Raises :class:`ProtectedCellError` for a locked cell of a protected
        sheet unless ``respect_protection=False`` (then sheets protected without
        a password are unprotected for the write and protected again).
        """
        self.set_many([(sheet, cell, value, kind)], respect_protection=respect_protection)

    def set_many(self, items: Iterable[Sequence | dict], *, respect_protection: bool = True) -> int:
        """Write several cells at once, all or nothing with respect to protection.

        Items are ``(sheet, cell, value)`` or ``(sheet, cell, value, kind)``
        tuples, or dicts with those keys.
        """
        cells = []
        for item in items:
            if isinstance(item, dict):
                sheet, cell, value, kind = item["sheet"], item["cell"], item.get("value"), item.get("kind")
            elif len(item) == 3:
                (sheet, cell, value), kind = item, None
            else:
                sheet, cell, value, kind = item
            cells.append({"sheet": sheet, "cell": cell, **_encode_value(value, kind)})
        if not cells:
            return 0
        return self._call("set", cells=cells, respect_protection=respect_protection)["written"]

    def clear(self, sheet: str | int, cell: str, *, respect_protection: bool = True) -> None:
        self.set(sheet, cell, None, respect_protection=respect_protection)

    def recalculate(self) -> float:
        """Hard recalculation of every formula (``calculateAll``); returns seconds."""
        return self._call("recalculate")["seconds"]

    # -- reading ----------------------------------------------------------------

    def cell(self, sheet: str | int, cell: str, *, detail: bool = True) -> CellInfo:
        """Everything about one cell (value, displayed string, formulas, lock...)."""
        return CellInfo.from_record(self._call("get", sheet=sheet, cells=[cell], detail=detail)[0])

    def cells(self, sheet: str | int, cells: Sequence[str], *, detail: bool = False) -> list[CellInfo]:
        return [CellInfo.from_record(r) for r in self._call("get", sheet=sheet, cells=list(cells),
                                                            detail=detail)]

    def get(self, sheet: str | int, cell: str) -> float | str | None:
        """The value LibreOffice holds: float, str (text or error such as
        ``"#DIV/0!"``) or None for an empty cell."""
        return self._call("get", sheet=sheet, cells=[cell])[0]["value"]

    def get_many(self, sheet: str | int, cells: Sequence[str]) -> dict[str, float | str | None]:
        records = self._call("get", sheet=sheet, cells=list(cells))
        return {cell: rec["value"] for cell, rec in zip(cells, records)}

    def get_range(self, sheet: str | int, range_: str) -> list[list[float | str | None]]:
        """Values of a rectangular range (``"A1:D9"``), row by row."""
        return self._call("get", sheet=sheet, range=range_, values_only=True)

    def range_cells(self, sheet: str | int, range_: str, *, detail: bool = False) -> list[list[CellInfo]]:
        """Full :class:`CellInfo` records of a range, row by row (about 1 ms per cell)."""
        return [[CellInfo.from_record(r) for r in row]
                for row in self._call("get", sheet=sheet, range=range_, detail=detail)]

    def get_string(self, sheet: str | int, cell: str) -> str:
        """The text LibreOffice displays for the cell (number format applied)."""
        return self._call("get", sheet=sheet, cells=[cell])[0]["string"]

    def get_date(self, sheet: str | int, cell: str) -> _dt.date | _dt.datetime | None:
        """The cell's number read as a date (``datetime`` if it has a time part)."""
        value = self.get(sheet, cell)
        if value is None or value == "":
            return None
        if not isinstance(value, float):
            raise ValueError(f"{sheet}!{cell} holds {value!r}, not a date serial number")
        moment = (_dt.datetime.combine(self.null_date, _dt.time())
                  + _dt.timedelta(milliseconds=round(value * 86_400_000)))
        return moment.date() if moment.time() == _dt.time() else moment

    def get_formula(self, sheet: str | int, cell: str, *, syntax: str = "excel") -> str | None:
        """The cell's formula (None if it holds none); ``syntax`` is ``"excel"``
        (``=SUM(A1,B1)``, ``Sheet2!A1``) or ``"native"`` (``=SUM(A1;B1)``, ``$Sheet2.A1``)."""
        rec = self._call("get", sheet=sheet, cells=[cell], detail=True)[0]
        if rec["type"] != "formula":
            return None
        return rec.get("formula_excel") if syntax == "excel" else rec.get("formula")

    def is_locked(self, sheet: str | int, cell: str) -> bool:
        """``CellProtection.IsLocked`` (whether or not the sheet is protected)."""
        return self._call("cell_info", sheet=sheet, cell=cell)["locked"]

    def cell_protection(self, sheet: str | int, cell: str) -> dict:
        """locked, formula_hidden, hidden, print_hidden, sheet_protected."""
        return self._call("cell_info", sheet=sheet, cell=cell)

    def sheets(self) -> list[SheetInfo]:
        return [SheetInfo(**s) for s in self._call("sheets")]

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets()]

    def is_protected(self, sheet: str | int) -> bool:
        for s in self.sheets():
            if s.name == sheet or s.index == sheet:
                return s.protected
        raise LibreOfficeError(f"no sheet {sheet!r}", "NotFound")

    # -- output -----------------------------------------------------------------

    def save_as(self, path: str | os.PathLike, *, filter: str | None = None) -> Path:  # noqa: A002
        """Store a copy: ``.xlsx`` (Calc MS Excel 2007 XML), ``.ods`` (calc8),
        ``.pdf`` (calc_pdf_Export: every visible sheet, honouring print ranges
        and page setup), ``.xls``, ``.csv`` (first sheet); or an explicit
        filter name.  The document stays open, bound to its original file."""
        res = self._call("save_as", path=str(Path(path).resolve()), filter=filter)
        return Path(res["path"])

    def close(self) -> None:
        if self._closed:
            return
        try:
            if self._lo.running:
                self._lo.call("close", doc=self.id)
        finally:
            self._closed = True
            self._lo._documents.pop(self.id, None)
