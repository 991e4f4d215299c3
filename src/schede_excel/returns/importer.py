"""Import returned workbooks: read every file, identify every sheet, check it all against the plan.

`read_return(plan, data, name)` reads one file's bytes (no I/O); `import_returns(plan, paths)`
reads files and folders, and across them keeps the newest return of each sector, skips exact
duplicates and reports objectives missing from a return. One bad file never stops the others.
The result holds plain records, findings, and pandas DataFrames per level.
"""

from __future__ import annotations

import errno
import hashlib
import json
import stat
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from ..exports import Column, Kind, export_files
from ..files import describe_os_error
from ..parallel import pool_size, run_tasks
from ..italian import achieved
from ..findings import Finding, Result, Severity, finding
from ..sheet.layout import INSTRUCTIONS_META, READ_COLUMNS, ROUND_LABELS, ROUNDS, VISIBLE_COLUMNS
from ..plan.model import IndicatorKind, Plan
from ..plan.targets import Entry
from .model import IndicatorReturn, ObjectiveReturn, ReturnedFile
from .sheetreader import identify, read_sheet
from ..spreadsheet.reader import Limits, UnreadableFile, read_workbook

if TYPE_CHECKING:
    import pandas as pd

SUFFIXES = (".xlsx", ".xlsm", ".ods")

FRAME_SCHEMAS: dict[str, list[Column]] = {
    "obiettivi": [Column(n) for n in ("settore", "obiettivo", "turno", "titolo")]
    + [Column(n, Kind.INTEGER) for n in ("peso", "indicatori", "compilati", "persone")] + [Column("file"), Column("foglio")],
    "indicatori": [Column(n) for n in ("settore", "obiettivo", "turno", "blocco")] + [Column("numero", Kind.INTEGER)]
    + [Column("descrizione"), Column("atteso", description="come scritto nel piano"),
       Column("raggiunto", description="come lo legge una persona: 90%, 15/07/2023, 1.600, Sì"),
       Column("valore", Kind.VALUE, None, "il raggiunto come numero (le percentuali in frazione: 0,9 = 90%), data o Sì/No"),
       Column("cella"), Column("file"), Column("foglio")],
    "verifiche": [Column(n) for n in ("settore", "obiettivo", "turno", "verifica", "cause", "effetti", "intrapresi",
                                      "da_attivare")],
    "personale": [Column(n) for n in ("settore", "obiettivo", "turno", "nome", "categoria")]
    + [Column("partecipazione", Kind.PERCENT, None, "% di partecipazione all'obiettivo"), Column("cella"), Column("file"),
       Column("foglio")],
    "segnalazioni": [Column(n) for n in ("codice", "gravita", "file", "foglio", "cella")]
    + [Column("riga", Kind.INTEGER), Column("percorso"), Column("messaggio")],
}
"""How each table of `ImportResult.frames()` is exported."""


OLD_SUFFIXES = (".xls", ".xlsb", ".numbers")  # returns a user may save by mistake: read, and refused with the reason


class FileRead(Result):
    """One file: its record, the objective sheets read from it and the findings."""

    file: ReturnedFile
    """The file's identity and whether it could be read."""
    objectives: list[ObjectiveReturn] = []
    """The objective sheets read from it."""
    findings: list[Finding] = []
    """Every problem found in it, with sheet and cell."""
    saved: datetime | None = None
    """When the file was written to disk: breaks ties between dates written inside the files."""


class ImportResult(Result):
    """All returns read: files, the objective records that count, every finding."""

    plan: Plan
    """The plan the returns were checked against."""
    files: list[ReturnedFile]
    """Every file read or tried, with whether it counts."""
    objectives: list[ObjectiveReturn]
    """The objective sheets that count: the newest return of each sector's sheet."""
    findings: list[Finding]
    """Every problem, file by file."""

    @property
    def unreadable(self) -> list[ReturnedFile]:
        return [f for f in self.files if not f.readable]

    def findings_for(self, path: str) -> list[Finding]:
        return [f for f in self.findings if f.file == path]

    def frames(self) -> dict[str, pd.DataFrame]:
        """One table per level, with Italian column names: obiettivi, indicatori, verifiche, personale, segnalazioni."""
        import pandas as pd  # a command that only reads the returns never pays for it

        plan_objectives = {o.key: o for o in self.plan.objectives}
        objectives, indicators, reviews, staff = [], [], [], []
        for record in self.objectives:
            objective = plan_objectives[record.objective]
            base = {"settore": record.sector, "obiettivo": record.objective, "turno": record.round}
            objectives.append({**base, "titolo": objective.title, "peso": objective.weight,
                               "indicatori": len(record.indicators),
                               "compilati": sum(i.achieved is not None for i in record.indicators),
                               "persone": len(record.staff), "file": record.file, "foglio": record.sheet})
            for i in record.indicators:
                indicators.append({**base, "blocco": i.kind.value, "numero": i.index, "descrizione": i.description,
                                   "atteso": i.target, "raggiunto": achieved(i.achieved, is_percent=self._entry(objective, i) is Entry.PERCENT),
                                   "valore": i.achieved, "cella": i.cell, "file": record.file, "foglio": record.sheet})
            for r in record.reviews:
                reviews.append({**base, "verifica": r.round, "cause": r.causes, "effetti": r.effects,
                                "intrapresi": r.actions_taken, "da_attivare": r.actions_planned})
            for s in record.staff:
                staff.append({**base, "nome": s.name, "categoria": s.category, "partecipazione": s.participation,
                              "cella": s.cell, "file": record.file, "foglio": record.sheet})
        columns = {
            "obiettivi": ["settore", "obiettivo", "turno", "titolo", "peso", "indicatori", "compilati", "persone", "file", "foglio"],
            "indicatori": ["settore", "obiettivo", "turno", "blocco", "numero", "descrizione", "atteso", "raggiunto", "valore", "cella", "file", "foglio"],
            "verifiche": ["settore", "obiettivo", "turno", "verifica", "cause", "effetti", "intrapresi", "da_attivare"],
            "personale": ["settore", "obiettivo", "turno", "nome", "categoria", "partecipazione", "cella", "file", "foglio"],
        }
        tables = {name: pd.DataFrame(rows, columns=columns[name])
                  for name, rows in (("obiettivi", objectives), ("indicatori", indicators),
                                     ("verifiche", reviews), ("personale", staff))}
        tables["segnalazioni"] = pd.DataFrame([f.as_row() for f in self.findings],
                                              columns=list(Finding(code="", message="", severity=Severity.INFO).as_row()))
        return tables

    def _entry(self, objective, indicator: IndicatorReturn) -> Entry | None:
        block = dict(objective.indicators.by_kind()).get(indicator.kind, ())
        if not 0 < indicator.index <= len(block):
            return None
        try:
            return block[indicator.index - 1].parsed_target(self.plan.year, cost=indicator.kind is IndicatorKind.COST).entry
        except ValueError:
            return None

    def export_files(self) -> dict[str, bytes]:
        """The tables of `frames()` as CSV for an Italian Excel and JSON, with their data package: file name -> bytes."""
        return export_files(self.frames(), FRAME_SCHEMAS, title=f"Schede restituite {self.plan.entity} {self.plan.year}",
                            description="I valori letti dalle schede obiettivi restituite dai settori, con le segnalazioni.")

    def to_json(self) -> str:
        """The whole import as JSON, with Italian keys: one file, sheet or finding to a line.

        A record to a line reads and compares (grep, diff) as well as an indented tree, and json's
        C encoder writes it: with `indent` json falls back to pure Python, 5x slower."""
        def records(items) -> str:
            lines = ",\n".join("    " + json.dumps(item, ensure_ascii=False) for item in items)
            return f"[\n{lines}\n  ]" if lines else "[]"

        return "\n".join([
            "{",
            f'  "piano": {json.dumps(self.plan.plan_id, ensure_ascii=False)},',
            f'  "anno": {json.dumps(self.plan.year)},',
            f'  "file": {records(f.model_dump(mode="json", by_alias=True) for f in self.files)},',
            f'  "obiettivi": {records(o.model_dump(mode="json", by_alias=True) for o in self.objectives)},',
            f'  "segnalazioni": {records(f.as_row() for f in self.findings)}',
            "}",
        ])


def read_return(plan: Plan, data: bytes, name: str, *, round_: str | None = None,
                limits: Limits = Limits(), modified: datetime | None = None) -> FileRead:
    """Read one returned file from its bytes: every objective sheet of this plan in it, and the findings.

    Whatever the bytes hold, this returns: a file that makes the reading fail in a way nobody
    foresaw is reported as damaged (READ_002) and the other files are read as usual.
    """
    sha = hashlib.sha256(data).hexdigest()
    if limits.columns is None:
        limits = replace(limits, columns=READ_COLUMNS | VISIBLE_COLUMNS | {INSTRUCTIONS_META[1]})
    try:
        return _read_return(plan, data, name, sha, round_, limits, modified)
    except UnreadableFile as error:
        return FileRead(file=ReturnedFile(path=name, sha256=sha, readable=False, used=False), findings=error.findings)
    except (Exception, RecursionError) as error:  # noqa: BLE001 - the one guard around a whole file's reading
        reason = f"contenuto non previsto ({type(error).__name__}"
        reason += f": {_short_error(error)})" if str(error) else ")"
        return FileRead(file=ReturnedFile(path=name, sha256=sha, readable=False, used=False),
                        findings=[finding("READ_002", file=name, reason=reason)])


def _short_error(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 120 else text[:119] + "…"


def _read_return(plan: Plan, data: bytes, name: str, sha: str, round_, limits: Limits, modified) -> FileRead:
    book = read_workbook(data, name, limits)
    out: list[Finding] = list(book.findings)
    where = {"file": name}
    if book.has_macros:
        out.append(finding("RET_001", **where))
    if book.external_links:
        out.append(finding("RET_002", **where, count=book.external_links))
    identities = [(sheet, identify(sheet, plan)) for sheet in book.sheets]
    rounds = Counter(i.round for _, i in identities if i.round)
    file_round = round_ or (rounds.most_common(1)[0][0] if rounds else "interim")
    records, other_plans = [], Counter()
    copies: dict[tuple[str, str], list] = {}
    for sheet, identity in identities:
        at = {**where, "sheet": sheet.name}
        if identity.instructions:
            continue
        if identity.objective is None:
            out.append(finding("RET_003", **at, reason=identity.reason or "non è una scheda obiettivo"))
            continue
        if identity.plan_id != plan.plan_id or identity.year not in (None, plan.year):
            other_plans[f"{identity.plan_id} ({identity.year})"] += 1
            continue
        sheet_round = identity.round or file_round
        if sheet_round not in ROUNDS or (round_ is not None and sheet_round != round_):
            out.append(finding("RET_005", **at, found=ROUND_LABELS.get(sheet_round, str(sheet_round)),
                               expected=ROUND_LABELS.get(round_ or "", "intermedia o finale")))
            continue
        objective = plan.find_objective(identity.objective)
        sector = plan.find_sector(identity.sector)
        if objective is None or sector is None or not plan.reports(sector.code, objective.key):
            out.append(finding("RET_003", **at, reason=f"l'obiettivo {identity.objective} del settore "
                               f"{identity.sector} non è nel piano {plan.plan_id}"))
            continue
        notes = []
        if identity.by_labels:
            notes.append(finding("RET_018", **at))
        if sheet.rows_cut:
            notes.append(finding("RET_014", **at, rows=limits.max_rows))
        result = read_sheet(sheet, plan, identity, sector, objective, sheet_round, name)
        copies.setdefault((sector.code, objective.key), []).append((sheet, result, notes + result.findings))
    for (sector_code, key), found in copies.items():
        # A sheet copied in the workbook: the copy with the most values entered is the one used
        # (a head who fills the copy and leaves the original blank), the first one on a tie.
        ranked = sorted(found, key=lambda item: -_entered(item[1].record))
        sheet, result, sheet_findings = ranked[0]
        out.extend(sheet_findings)
        records.append(result.record)
        for other, other_result, _ in ranked[1:]:
            out.append(finding("RET_016", **where, sheet=other.name, objective=key, used=sheet.name,
                               reason=_why_used(result.record, other_result.record, sheet.index < other.index)))
    for found, count in other_plans.items():
        out.append(finding("RET_004", **where, count=count, found=found, expected=f"{plan.plan_id} ({plan.year})"))
    if not records and not other_plans and not any(f.code == "RET_005" for f in out):
        sheet_list = ", ".join(f"«{s.name}»" for s in book.sheets[:6]) + (" …" if len(book.sheets) > 6 else "")
        out.append(finding("RET_019", **where, count=len(book.sheets), sheets=sheet_list or "nessuno"))
    saved = book.modified
    if saved is not None and not _plausible(saved, modified):
        out.append(finding("RET_017", **where, found=_as_text(saved)))
        saved = None
    sectors = sorted({r.sector for r in records})
    file = ReturnedFile(path=name, sha256=sha, format=book.format, modified=saved or modified,
                        sector=sectors[0] if len(sectors) == 1 else None,
                        round=records[0].round if records else None,
                        objectives=tuple(r.objective for r in records))
    return FileRead(file=file, objectives=records, findings=out)


def _entered(record: ObjectiveReturn) -> int:
    """How many values a head entered on a sheet: RAGGIUNTO, review texts, staff rows."""
    texts = sum(bool(getattr(r, f)) for r in record.reviews
                for f in ("causes", "effects", "actions_taken", "actions_planned"))
    return sum(i.achieved is not None for i in record.indicators) + texts + len(record.staff)


def _why_used(used: ObjectiveReturn, other: ObjectiveReturn, first: bool) -> str:
    mine, theirs = _entered(used), _entered(other)
    if mine > theirs:
        return f"ha più valori compilati ({mine} contro {theirs})"
    return f"ha gli stessi valori compilati ({mine}) ed è {'il primo' if first else 'quello scelto'}"


_EARLIEST_SAVE = datetime(2000, 1, 1, tzinfo=timezone.utc)


def _aware(moment: datetime) -> datetime | None:
    """A moment with its zone (a zoneless one is local time, as LibreOffice writes it); None if out of range."""
    try:
        return moment if moment.tzinfo else moment.astimezone()
    except (OverflowError, ValueError, OSError):
        return None


def _plausible(saved: datetime, on_disk: datetime | None) -> bool:
    """A save date written in a file is believed only between 2000 and a day after now (or the file's own date)."""
    moment = _aware(saved)
    if moment is None:
        return False
    latest = max(datetime.now(timezone.utc), on_disk or _EARLIEST_SAVE) + timedelta(days=1)
    return _EARLIEST_SAVE <= moment <= latest


def _as_text(moment: datetime) -> str:
    try:
        return moment.strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return moment.isoformat()


def display_name(path: Path) -> str:
    """A path as text a terminal and a JSON file can hold: bytes that are not UTF-8 shown as �."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _not_a_file(path: Path) -> str | None:
    """Why `path` cannot be read as a returned file (None when it is a regular file)."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "è un collegamento simbolico che rimanda a se stesso (ciclo di collegamenti)"
        if error.errno == errno.ENOENT and path.is_symlink():
            return "è un collegamento simbolico a un file che non esiste"
        return describe_os_error(error)
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "non è un file ma una «pipe» (FIFO): non si legge, per non restare in attesa"
    if stat.S_ISSOCK(mode) or stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "non è un file normale (dispositivo o socket)"
    return None


def collect_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[Finding]]:
    """The workbook files named or found in the folders named (not recursive), in a stable order."""
    files, out = [], []
    for item in paths:
        path = Path(item)
        if _is_dir(path):
            try:
                entries = sorted(path.iterdir())
            except OSError as error:
                out.append(finding("READ_001", file=display_name(path), reason=describe_os_error(error)))
                continue
            found = []
            for p in entries:
                if p.suffix.lower() not in SUFFIXES + OLD_SUFFIXES or p.name.startswith(("~$", ".~lock", ".")):
                    continue
                if _is_dir(p):
                    continue
                problem = _not_a_file(p)
                if problem:
                    out.append(finding("READ_001", file=display_name(p), reason=problem))
                else:
                    found.append(p)
            if not found and not any(f.code == "READ_001" for f in out):
                out.append(finding("RET_040", file=display_name(path)))
            files.extend(found)
        else:
            problem = _not_a_file(path)
            if problem:
                out.append(finding("READ_001", file=display_name(path), reason=problem))
            else:
                files.append(path)
    return list(dict.fromkeys(files)), out


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a symlink loop on some Pythons
        return False


def import_returns(plan: Plan, paths: Iterable[str | Path], *, round_: str | None = None,
                   limits: Limits = Limits(), progress: Callable[[Path], None] | None = None,
                   processes: int | None = None) -> ImportResult:
    """Read the returned files and folders in `paths` and check them against `plan`.

    `processes` reads the files in that many processes (None: the cores available, when the
    files are enough to make it worth it); the result is the same as in one process.
    """
    files, findings = collect_paths(paths)
    sizes = [_size(path) for path in files]
    workers = pool_size(processes, len(files), enough=sum(sizes) >= POOL_BYTES)
    reads = run_tasks(_read_path, files, (plan, round_, limits), processes=workers, progress=progress,
                      on_crash=_crashed, order=sorted(range(len(files)), key=lambda i: -sizes[i]))
    return _consolidate_reads(plan, reads, findings)


POOL_BYTES = 4 * 2**20
"""Returns that together weigh less than this are read in one process: starting workers would cost more."""


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_path(context: tuple[Plan, str | None, Limits], path: Path) -> FileRead:
    """One returned file read from disk (run by `import_returns`, in this process or in a worker)."""
    plan, round_, limits = context
    name = display_name(path)
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            return FileRead(file=ReturnedFile(path=name, readable=False, used=False),
                            findings=[finding("READ_003", file=name, reason=f"file di {size // 2**20} MB, oltre il limite di {limits.max_file_bytes // 2**20} MB")])
        data = path.read_bytes()
        mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    except (OSError, OverflowError, ValueError) as error:
        return FileRead(file=ReturnedFile(path=name, readable=False, used=False),
                        findings=[finding("READ_001", file=name, reason=describe_os_error(error))])
    read = read_return(plan, data, name, round_=round_, limits=limits, modified=mtime)
    return read.model_copy(update={"saved": mtime})


def _crashed(path: Path, reason: str) -> FileRead:
    name = display_name(path)
    return FileRead(file=ReturnedFile(path=name, readable=False, used=False),
                    findings=[finding("READ_002", file=name, reason=reason)])


def _newest_first(read: FileRead):
    """Sort key: the date saved in the file, then the file's date on disk."""
    def aware(moment):
        # LibreOffice saves the date of an .ods without a zone, in local time (Excel's is UTC).
        found = None if moment is None else _aware(moment)
        return found or datetime.min.replace(tzinfo=timezone.utc)

    return aware(read.file.modified), aware(read.saved)


def _consolidate_reads(plan: Plan, reads: list[FileRead], findings: list[Finding]) -> ImportResult:
    """Across files: drop exact duplicates, keep the newest return of each objective, find what is missing."""
    by_hash: dict[str, str] = {}
    kept: list[FileRead] = []
    files: list[ReturnedFile] = []
    for read in reads:
        findings.extend(read.findings)
        if read.file.readable and read.file.sha256 in by_hash:
            findings.append(finding("RET_007", file=read.file.path, other=by_hash[read.file.sha256]))
            files.append(read.file.model_copy(update={"used": False}))
            continue
        by_hash[read.file.sha256] = read.file.path
        kept.append(read)
    # The newest file wins objective by objective: a head who sends back one corrected sheet
    # replaces that sheet, not the rest of an earlier return.
    candidates: dict[tuple[str, str, str], list[tuple[FileRead, ObjectiveReturn]]] = {}
    for read in kept:
        for record in read.objectives:
            candidates.setdefault((record.sector, record.round, record.objective), []).append((read, record))
    objectives: list[ObjectiveReturn] = []
    replaced: Counter = Counter()
    newest_file: dict[tuple[str, str], FileRead] = {}
    for (sector, round_, _), found in candidates.items():
        found.sort(key=lambda pair: _newest_first(pair[0]), reverse=True)
        winner = found[0]
        objectives.append(winner[1])
        best = newest_file.get((sector, round_))
        if best is None or _newest_first(winner[0]) > _newest_first(best):
            newest_file[(sector, round_)] = winner[0]
        for older, _ in found[1:]:
            replaced[(older.file.path, sector, round_, winner[0].file.path)] += 1
    for (path, sector, round_, newer), count in replaced.items():
        findings.append(finding("RET_006", file=path, sector=sector, review=ROUND_LABELS[round_], newer=newer,
                                count=count, sheets="scheda di questo file è sostituita" if count == 1 else
                                "schede di questo file sono sostituite"))
    # What was found on a sheet that a newer return replaced no longer applies.
    kept_sheets = {(r.file, r.sheet) for r in objectives}
    replaced_sheets = {(read.file.path, r.sheet) for read in kept for r in read.objectives} - kept_sheets
    findings[:] = [f for f in findings if (f.file, f.sheet) not in replaced_sheets]
    used = {id(r) for r in objectives}
    for read in kept:
        files.append(read.file.model_copy(update={"used": read.file.readable and any(id(r) in used for r in read.objectives)}))
    returned: dict[tuple[str, str], set[str]] = {}
    for record in objectives:
        returned.setdefault((record.sector, record.round), set()).add(record.objective)
    for (sector_code, round_), newest in newest_file.items():
        path = newest.file.path
        found = returned.get((sector_code, round_), set())
        for objective in plan.objectives_of(plan.sector(sector_code)):
            if objective.key not in found:
                findings.append(finding("RET_008", file=path, sector=sector_code,
                                        objective=objective.key, title=objective.title[:60]))
    order = {key: k for k, key in enumerate((r.sector, r.round, r.objective) for read in kept for r in read.objectives)}
    objectives.sort(key=lambda r: order[(r.sector, r.round, r.objective)])
    order = {path.file.path: i for i, path in enumerate(reads)}
    files.sort(key=lambda f: order.get(f.path, 0))
    return ImportResult(plan=plan, files=files, objectives=objectives, findings=findings)
