"""The evaluator's validation dossier: what the OIV / Nucleo di valutazione needs to validate the results.

Every returned file (sector, round, when it was sent and received, SHA-256, sheets found, every
finding), every override (who, why, the score before and after), every plan value found changed,
every missing sheet, the rules in force and the choices they imply, and a checklist of what a
validation report must state, each item answered from the data or left to the evaluator. The
dossier's own manifest lists the SHA-256 of each of its files, so nothing in it can be edited
without it showing (`sha256sum -c MANIFEST.sha256`).
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from statistics import pstdev

import xlsxwriter

from ..findings import Severity
from ..italian import day, number
from ..mail.receiving import ReceivedRecord
from ..mail.sending import SentRecord, last_sent
from ..scoring.evaluate import Override, evaluate
from ..sheet.layout import ROUND_LABELS
from ..spreadsheet.text import column_points, text_height
from .results import RoundResults

TAMPER_CODES = ("RET_020", "RET_009")
INDEX = "indice.xlsx"
MANIFEST = "MANIFEST.sha256"


def dossier_tables(results: RoundResults, *, sent: Sequence[SentRecord] = (), received: Iterable[ReceivedRecord] = (),
                   overrides: Sequence[Override] = ()) -> dict[str, tuple[list[str], list[list]]]:
    """Every table of the dossier: name -> (header, rows), Italian."""
    plan, result, evaluation = results.plan, results.result, results.evaluation
    round_ = evaluation.round
    by_sha = {r.sha256: r for r in received if r.kind == "allegato"}
    findings_of: dict[str | None, list] = {}
    for x in result.findings:  # grouped once: a scan of every finding per file grows as files x findings
        findings_of.setdefault(x.file, []).append(x)
    sent_to: dict[str, list[SentRecord]] = {}
    for r in sent:
        sent_to.setdefault(r.sector, []).append(r)
    files = []
    for f in result.files:
        mail = by_sha.get(f.sha256)
        record = last_sent(sent_to.get(f.sector, ()), plan.plan_id, f.sector, round_) if f.sector else None
        found = findings_of.get(f.path, [])
        files.append([f.sector or "", ROUND_LABELS.get(f.round or "", ""), f.path,
                      _when(record.sent_at) if record else "", _when(mail.at) if mail else "",
                      f.modified.astimezone().strftime("%d/%m/%Y %H:%M") if f.modified else "",
                      f.sha256, len(f.objectives), "sì" if f.used else "no",
                      sum(x.severity is Severity.ERROR for x in found), sum(x.severity is Severity.WARNING for x in found)])
    findings = [[x.file or "", x.sheet or "", x.cell or "", x.code, x.severity.value, x.message] for x in result.findings]
    plain = evaluate(plan, result.objectives, round_)  # the same returns without the evaluator's overrides
    before = {(o.sector, o.objective): o.score for o in plain.objectives}
    before_ind = {(i.sector, i.objective, i.kind, i.index): i.achievement for i in plain.indicators}
    after = {(o.sector, o.objective): o.score for o in evaluation.objectives}
    after_ind = {(i.sector, i.objective, i.kind, i.index): i.achievement for i in evaluation.indicators}
    override_rows = []
    for o in overrides:
        key = (o.sector, o.objective, o.kind, o.index)
        was = before_ind.get(key) if o.kind else before.get((o.sector, o.objective))
        now = after_ind.get(key) if o.kind else after.get((o.sector, o.objective))
        override_rows.append([o.sector, o.objective, o.kind.value if o.kind else "obiettivo", o.index or "",
                              o.by or "non indicato", o.note or "NESSUNA MOTIVAZIONE", _n(was), _n(now)])
    tampered = [[x.file or "", x.sheet or "", x.cell or "", x.code, x.message] for x in result.findings
                if x.code in TAMPER_CODES]
    returned = {(r.sector, r.objective) for r in result.objectives if r.round == round_}
    missing = [[s.code, s.name, o.key, o.title] for s in plan.sectors if not s.direct_assessment
               for o in plan.objectives_of(s) if (s.code, o.key) not in returned]
    rules = [[rule, value] for rule, value in evaluation.rules()]
    checklist = _checklist(results, missing, tampered, overrides, files)
    return {
        "File ricevuti": (["Settore", "Verifica", "File", "Inviato il", "Ricevuto per posta il", "Salvato il (nel file)",
                           "SHA-256", "Schede", "Usato", "Errori", "Avvisi"], files),
        "Segnalazioni": (["File", "Foglio", "Cella", "Codice", "Gravità", "Messaggio"], findings),
        "Valutazioni Nucleo": (["Settore", "Obiettivo", "Blocco", "N°", "Chi", "Motivazione", "Punteggio calcolato",
                                "Punteggio dopo la valutazione"], override_rows),
        "Valori modificati": (["File", "Foglio", "Cella", "Codice", "Messaggio"], tampered),
        "Schede mancanti": (["Settore", "Nome", "Obiettivo", "Titolo"], missing),
        "Regole": (["Regola", "Valore"], rules),
        "Lista di controllo": (["Punto della validazione", "Esito", "Dai dati"], checklist),
    }


def _when(iso: str) -> str:
    """An ISO date and time from a log as the office reads it: 10/07/2023 09:30."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return iso


def _n(value) -> str:
    return number(value, 1) if isinstance(value, (int, float)) else ""


def _checklist(results: RoundResults, missing, tampered, overrides, files) -> list[list[str]]:
    result, evaluation = results.result, results.evaluation
    unreadable = [f for f in result.files if not f.readable]
    blanks = [i for i in evaluation.indicators if i.status == "mancante"]
    unexplained = [o for o in overrides if not o.note]
    scores = [o.score for o in evaluation.objectives if o.score is not None]
    spread = pstdev(scores) if len(scores) > 1 else 0.0
    top = sum(1 for o in evaluation.objectives if o.band == "raggiunto") / len(scores) if scores else 0  # over the scored ones
    to_check = "da verificare a cura dell'OIV"
    return [
        ["Tutte le schede attese sono state restituite", "sì" if not missing else "no",
         f"{len(missing)} schede mancanti (foglio Schede mancanti)" if missing else "nessuna scheda mancante"],
        ["Ogni file restituito si è potuto leggere", "sì" if not unreadable else "no",
         f"{len(unreadable)} file non leggibili" if unreadable else f"{len(result.files)} file letti"],
        ["I valori del piano nelle schede restituite non sono stati modificati", "sì" if not tampered else "no",
         f"{len(tampered)} valori modificati (foglio Valori modificati); vale il piano" if tampered else "nessuna modifica"],
        ["Ogni indicatore dovuto ha un valore raggiunto", "sì" if not blanks else "no",
         f"{len(blanks)} indicatori senza valore, che contano 0 alla verifica finale" if blanks else "tutti compilati"],
        ["Ogni valutazione del Nucleo/OIV è motivata", "sì" if not unexplained else "no",
         f"{len(overrides)} valutazioni, {len(unexplained)} senza motivazione" if overrides else "nessuna valutazione"],
        ["Le regole di valutazione in vigore sono indicate", "sì", "foglio Regole"],
        ["I punteggi sono calcolati dai valori restituiti", "sì",
         "ricalcolati dal programma dai valori inseriti, mai letti dalle formule dei file"],
        ["Data di ricezione di ogni file documentata", "sì" if all(row[4] or row[5] for row in files) else "no",
         "foglio File ricevuti: data di arrivo per posta (registro delle ricezioni) o di salvataggio nel file"],
        ["Grado di differenziazione delle valutazioni", to_check,
         f"deviazione standard dei punteggi degli obiettivi {number(spread, 1)}; quota nella fascia «raggiunto» "
         f"{number(top * 100, 1)}%"],
        ["Coerenza della Relazione con i risultati e comprensibilità", to_check, "confrontare con la bozza di Relazione"],
    ]


def _workbook(tables: dict[str, tuple[list[str], list[list]]], title: str) -> bytes:
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                      "strings_to_numbers": False})
    header = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True, "valign": "vcenter"})
    cell = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    widths = {"File": 40, "Messaggio": 70, "SHA-256": 66, "Motivazione": 40, "Titolo": 40, "Valore": 70, "Regola": 36,
              "Punto della validazione": 48, "Dai dati": 60, "Nome": 30}
    for name, (columns, rows) in tables.items():
        ws = wb.add_worksheet(name)
        ws.write_string(0, 0, title, wb.add_format({"bold": True, "font_size": 12}))
        sizes = [widths.get(c, 14) for c in columns]
        for c, (column, size) in enumerate(zip(columns, sizes)):
            ws.set_column(c, c, size)
            ws.write_string(2, c, column, header)
        ws.set_row(2, max(text_height(c, column_points(s), bold=True) for c, s in zip(columns, sizes)))
        for r, row in enumerate(rows, start=3):
            height = 15.0
            for c, value in enumerate(row):
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    ws.write_number(r, c, value, cell)
                else:
                    ws.write_string(r, c, str(value), cell)  # never a formula, whatever the text starts with
                    height = max(height, text_height(str(value), column_points(sizes[c])))
            ws.set_row(r, min(height, 409))
        if not rows:
            ws.write_string(3, 0, "nessuno", cell)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(2)
        ws.set_footer(f"&L&9{title.replace('&', '&&')} - {name}&R&9Pagina &P di &N")
    wb.close()
    return buffer.getvalue()


def to_pdf(workbook: Path) -> Path | None:
    """The workbook printed to PDF by LibreOffice headless, beside it; None when that could not be done.

    The PDF is made in a folder of its own and then moved in, so an old one is never taken for it.
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdf = workbook.with_suffix(".pdf")
    pdf.unlink(missing_ok=True)
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory(prefix="schede-lo-") as work:
        try:
            subprocess.run([soffice, f"-env:UserInstallation=file://{work}/profilo", "--headless", "--convert-to", "pdf",
                            "--outdir", work, str(workbook)], check=True, capture_output=True, timeout=300)
        except (subprocess.SubprocessError, OSError):
            return None
        made = Path(work) / pdf.name
        if not made.exists():
            return None
        shutil.move(str(made), str(pdf))
    return pdf


def manifest(files: Iterable[Path], folder: Path) -> bytes:
    """`sha256sum` lines for the dossier's files, paths relative to the dossier."""
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(folder).as_posix()}\n" for p in sorted(files)]
    return "".join(lines).encode("utf-8")


def dossier_title(results: RoundResults) -> str:
    plan, evaluation = results.plan, results.evaluation
    return (f"Comune di {plan.entity} - dossier di validazione, verifica {ROUND_LABELS[evaluation.round]} "
            f"{plan.year} (al {day(evaluation.review_date)})")


def dossier_files(results: RoundResults, *, sent: Sequence[SentRecord] = (), received: Iterable[ReceivedRecord] = (),
                  overrides: Sequence[Override] = ()) -> dict[str, bytes]:
    """The dossier's index workbook and its data as JSON: file name -> bytes (the PDF and the manifest come after)."""
    tables = dossier_tables(results, sent=sent, received=received, overrides=overrides)
    title = dossier_title(results)
    data = {"titolo": title, "prodotto_il": datetime.now().astimezone().isoformat(timespec="seconds"),
            "tabelle": {name: {"colonne": columns, "righe": rows} for name, (columns, rows) in tables.items()}}
    return {INDEX: _workbook(tables, title),
            "dossier.json": (json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8")}
