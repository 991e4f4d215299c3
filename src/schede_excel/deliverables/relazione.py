"""The draft Relazione sulla performance, as a Word document the office edits in Word or LibreOffice Writer.

Structure of the Funzione Pubblica guidelines n. 3/2018: 1. the main results; 2. context and
resources; 3. organisational performance (the year's objectives, the three-year ones, overall);
4. individual objectives; 5. the measurement and evaluation process; 6. validation. The parts
only the office can write are marked «Da completare» with a hint of what goes there. Every
number comes from the returned sheets; the causes, effects and corrective actions are quoted
as the sector heads wrote them. Tables use one Word table style, so they restyle in one place;
the office may give its own .docx template (letterhead, styles).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from ..findings import SchedeError, finding
from ..italian import SCORE_DECIMALS, day, number
from ..report.summary import KIND_LABELS, deviation_in_unit, shown_achieved
from ..scoring.evaluate import DIRECT, band
from ..sheet.layout import ROUND_LABELS
from ..spreadsheet.text import text_width
from . import charts
from .results import RoundResults

TABLE_STYLE = "Light List Accent 1"
"""The Word table style of every table (present in python-docx's default template; a template may redefine it)."""

_TO_WRITE = {
    "context": "Descrivere il contesto esterno e interno dell'anno: popolazione, territorio, organizzazione "
               "dell'ente, eventi che hanno inciso sull'attività.",
    "resources": "Indicare le risorse umane (dipendenti per categoria, assunzioni e cessazioni) e finanziarie "
                 "(entrate e spese principali dal rendiconto) con cui gli obiettivi sono stati perseguiti.",
    "triennial": "Riportare lo stato degli obiettivi triennali e strategici del DUP e del PIAO a cui gli obiettivi "
                 "dell'anno contribuiscono.",
    "validation": "Sezione a cura dell'OIV / Nucleo di valutazione: estremi del documento di validazione "
                  "(art. 14, c. 4, lett. c, D.Lgs. 150/2009), data e esito.",
}


def _document(template: str | Path | None):
    from docx import Document

    if not template:
        return _italian_a4(Document())
    try:
        return Document(str(template))
    except Exception as error:  # noqa: BLE001 - python-docx raises several kinds for a file it cannot use
        raise SchedeError([finding("DOC_001", file=str(template), template=str(template), detail=type(error).__name__)]) from None


def _italian_a4(doc):
    """python-docx's own template is US Letter, Cambria and en-US: an Italian office prints on A4, in the
    workbooks' Calibri, and Word checks the spelling in Italian. An office template keeps its own."""
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    for section in doc.sections:
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Cm(2)
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(11)
    for lang in doc.styles.element.iter(qn("w:lang")):
        lang.set(qn("w:val"), "it-IT")
        lang.set(qn("w:eastAsia"), "it-IT")
    return doc


def _heading(doc, text: str, level: int):
    """A heading in the document's own style; a template without it gets bold text of the right size."""
    try:
        return doc.add_heading(text, level=level)
    except KeyError:
        from docx.shared import Pt

        run = doc.add_paragraph().add_run(text)
        run.bold = True
        run.font.size = Pt({0: 20, 1: 16, 2: 14, 3: 12}.get(level, 11))
        return run


def _to_write(doc, key: str) -> None:
    from docx.enum.text import WD_COLOR_INDEX

    paragraph = doc.add_paragraph()
    run = paragraph.add_run(f"[Da completare a cura dell'ufficio] {_TO_WRITE[key]}")
    run.italic = True
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW


TABLE_FONT, TABLE_SIZE = "Calibri", 9
CELL_MARGINS = 10.8 + 3  # points a cell keeps free of text, both sides: Word's 0.19 cm a side, and 3 pt for
# the borders and the rounding to twips, without which LibreOffice broke «Quantità» measured to the point


def _columns(doc, header: list[str], rows: list[list[str]]) -> tuple[list[float], list[bool]]:
    """The widths of a table's columns (`column_widths`) and which hold numbers (aligned to the right), from
    `rows`: the table's own, or every row of the tables of one kind, worked out once, so that they line up."""
    numeric = [all(_NUMERIC.fullmatch(text) for text in column) for column in zip(*rows)] or [False] * len(header)
    return column_widths(header, rows, _text_width(doc)), numeric


def _table(doc, header: list[str], rows: list[list[str]], columns: tuple[list[float], list[bool]] | None = None):
    """A table as wide as the text, its columns sized so that no word is broken and numbers to the right
    (`_columns`); the header repeats on every page the table runs over and no row is split between two pages."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.shared import Pt

    table = doc.add_table(rows=1 + len(rows), cols=len(header))
    names = {s.name for s in doc.styles}
    table.style = TABLE_STYLE if TABLE_STYLE in names else ("Table Grid" if "Table Grid" in names else None)
    widths, numeric = columns or _columns(doc, header, rows)
    table.autofit = False  # LibreOffice reads the grid's widths, Word the cells': both are set
    for column, width in zip(table.columns, widths):
        column.width = Pt(width)
    for k, (row, texts) in enumerate(zip(table.rows, [header, *rows])):
        properties = row._tr.get_or_add_trPr()
        for tag in ("w:cantSplit", "w:tblHeader") if k == 0 else ("w:cantSplit",):
            properties.append(OxmlElement(tag))
        for cell, text, width, right in zip(row.cells, texts, widths, numeric):
            cell.width = Pt(width)
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(text)
            run.font.name, run.font.size = TABLE_FONT, Pt(TABLE_SIZE)
            if right:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return table


OBJECTIVE_HEADER = ["Obiettivo", "Titolo", "Peso", "Punteggio", "Fascia"]
INDICATOR_HEADER = ["Blocco", "Indicatore", "ATTESO", "RAGGIUNTO", "Scost.", "Raggiungimento %", "Stato"]
_NUMERIC = re.compile(r"[-+]?\d[\d.,]*( ?%|/\d+)?|n\.v\.|-")
"""A cell that shows a number (72,4, 90%, 7/7) or its absence: its column is aligned to the right."""


def column_widths(header: list[str], rows: list[list[str]], room: float) -> list[float]:
    """Column widths in points filling `room`: each column at least its longest word (the header and the
    first column are bold in the table style), the rest shared as the columns' full texts need it."""
    least, most = [], []
    for k, (title, *cells) in enumerate(zip(header, *rows)):
        texts = [(title, True)] + [(c, k == 0) for c in cells]
        least.append(CELL_MARGINS + max((text_width(word, TABLE_SIZE, bold=bold) for text, bold in texts
                                         for word in text.split()), default=0))
        most.append(CELL_MARGINS + max(text_width(text, TABLE_SIZE, bold=bold) for text, bold in texts))
    if sum(least) > room:  # a word too long for its share of the page: only the widest columns give way
        return _capped(least, room)
    if sum(most) <= room:
        return [room * w / sum(most) for w in most]
    wanted = [m - w for m, w in zip(most, least)]
    return [w + (room - sum(least)) * extra / sum(wanted) for w, extra in zip(least, wanted)]


def _capped(widths: list[float], room: float) -> list[float]:
    """`widths` brought to sum `room` by cutting the widest to one common width; the others stay whole."""
    ordered = sorted(widths, reverse=True)
    rest = sum(ordered)
    for k, width in enumerate(ordered, start=1):
        rest -= width
        cap = (room - rest) / k
        if k == len(ordered) or cap >= ordered[k]:
            return [min(w, cap) for w in widths]
    return widths  # not reached: the last k always returns


def _text_width(doc) -> float:
    """The width between the margins in points; a template that sets no page size or margins (both optional
    in a .docx) gets the A4 page's 17 cm."""
    from docx.shared import Cm, Length

    section = doc.sections[-1]
    sizes = (section.page_width, section.left_margin, section.right_margin)
    if None in sizes or sizes[0] - sizes[1] - sizes[2] <= Cm(4):
        return Cm(17).pt
    return Length(sizes[0] - sizes[1] - sizes[2]).pt


def _score(value: float | None) -> str:
    return number(value, SCORE_DECIMALS) if value is not None else "n.v."


def _picture(doc, png: bytes, caption: str) -> None:
    from docx.shared import Cm

    doc.add_picture(io.BytesIO(png), width=Cm(16))
    doc.add_paragraph(caption, style="Caption" if "Caption" in [s.name for s in doc.styles] else None)


def build_relazione(results: RoundResults, *, individual: bool = False, template: str | Path | None = None) -> bytes:
    """The draft Relazione as .docx bytes; `individual` adds each person's score (else only in aggregate)."""
    from docx.shared import Pt

    plan, evaluation, result = results.plan, results.evaluation, results.result
    review = evaluation.review_date
    doc = _document(template)
    doc.core_properties.title = f"Relazione sulla performance {plan.year}"
    doc.core_properties.author = f"Comune di {plan.entity}"
    _heading(doc, f"Comune di {plan.entity}", level=0)
    doc.add_paragraph(f"Relazione sulla performance {plan.year} (bozza)").runs[0].bold = True
    doc.add_paragraph(f"Dati della verifica {ROUND_LABELS[evaluation.round]} al {day(review)}, dalle schede obiettivi "
                      f"restituite dai settori. Bozza prodotta da schede-excel: da rivedere e completare nelle parti "
                      f"indicate.")

    _heading(doc, "1. Presentazione e sintesi dei principali risultati", level=1)
    ente = (f"Il punteggio complessivo dell'ente è {_score(evaluation.ente_score)} punti su 100 "
            f"({evaluation.ente_band}).") if evaluation.ente_score is not None else "Il punteggio dell'ente non è valutabile."
    returned = sum(s.returned for s in evaluation.sectors)
    expected = sum(s.expected for s in evaluation.sectors)
    bands = {b: sum(1 for o in evaluation.objectives if o.band == b) for b in charts.BAND_COLOURS}
    doc.add_paragraph(f"{ente} Sono state restituite {returned} schede su {expected}. Degli obiettivi, "
                      f"{bands['raggiunto']} risultano raggiunti, {bands['parzialmente raggiunto']} parzialmente "
                      f"raggiunti, {bands['non raggiunto']} non raggiunti e {bands['non valutabile']} non valutabili.")
    _table(doc, ["Settore", "Nome", "Schede", "Punteggio", "Fascia"],
           [[s.sector, s.name, f"{s.returned}/{s.expected}" if s.expected else "-", _score(s.score), s.band]
            for s in evaluation.sectors])
    _picture(doc, charts.sector_scores(evaluation), "Figura 1 - Punteggio per settore, con le soglie delle fasce.")
    _picture(doc, charts.objective_distribution(evaluation), "Figura 2 - Distribuzione dei punteggi degli obiettivi.")
    if results.interim is not None:
        _picture(doc, charts.interim_and_final(results.interim, evaluation),
                 "Figura 3 - Punteggio per settore alla verifica intermedia e a quella finale.")

    _heading(doc, "2. Il contesto e le risorse", level=1)
    _heading(doc, "2.1 Il contesto", level=2)
    _to_write(doc, "context")
    _heading(doc, "2.2 Le risorse", level=2)
    _to_write(doc, "resources")

    _heading(doc, "3. La performance organizzativa", level=1)
    _heading(doc, "3.1 Gli obiettivi dell'anno", level=2)
    records = {(r.sector, r.objective): r for r in result.objectives}
    indicator_rows: dict[tuple[str, str], list[list[str]]] = {}
    for i in evaluation.indicators:
        value, unit = deviation_in_unit(i)
        deviation = f"{number(value, 2, trim=True)} {unit}".strip() if value is not None else ""
        indicator_rows.setdefault((i.sector, i.objective), []).append(
            [KIND_LABELS[i.kind.value], i.description, i.target, shown_achieved(i) or "-", deviation,
             _score(i.achievement), i.status])
    objectives_of: dict[str, list] = {}
    for o in evaluation.objectives:  # grouped once, not scanned again for every sector
        objectives_of.setdefault(o.sector, []).append(o)
    objective_rows = {code: [[o.objective, o.title, str(o.weight), _score(o.score),
                              o.band + (" (valutazione del Nucleo)" if o.overridden else "")] for o in own]
                      for code, own in objectives_of.items()}
    # one set of columns for every table of a kind, so that they line up page after page
    objective_columns = _columns(doc, OBJECTIVE_HEADER, [row for rows in objective_rows.values() for row in rows])
    indicator_columns = _columns(doc, INDICATOR_HEADER, [row for rows in indicator_rows.values() for row in rows])
    for sector in evaluation.sectors:
        head = f" - responsabile {sector.head}" if sector.head else ""
        _heading(doc, f"Settore {sector.sector} - {sector.name}{head}", level=3)
        doc.add_paragraph(f"Punteggio del settore: {_score(sector.score)} ({sector.band}); "
                          + (f"schede restituite {sector.returned} su {sector.expected}." if sector.expected
                             else f"{DIRECT} del Nucleo di valutazione."))
        own = objectives_of.get(sector.sector, [])
        _table(doc, OBJECTIVE_HEADER, objective_rows.get(sector.sector, []), objective_columns)
        for objective in own:
            _heading(doc, f"{objective.objective} - {objective.title}", level=4)
            doc.add_paragraph(f"Peso {objective.weight}; media valore raggiunto {_score(objective.value_score)}, "
                              f"media rispetto dei tempi {_score(objective.time_score)}; punteggio "
                              f"{_score(objective.score)} ({objective.band}).")
            rows = indicator_rows.get((sector.sector, objective.objective))
            if rows:
                _table(doc, INDICATOR_HEADER, rows, indicator_columns)
            record = records.get((sector.sector, objective.objective))
            texts = record.review(evaluation.round) if record else None
            for label, value in (("Cause degli scostamenti", texts.causes if texts else ""),
                                 ("Effetti", texts.effects if texts else ""),
                                 ("Provvedimenti correttivi intrapresi", texts.actions_taken if texts else ""),
                                 ("Provvedimenti da attivare", texts.actions_planned if texts else "")):
                if value:
                    paragraph = doc.add_paragraph()
                    paragraph.paragraph_format.space_before = Pt(6)  # not glued to the table above
                    paragraph.add_run(f"{label}: ").bold = True
                    paragraph.add_run(value)  # as the sector head wrote it: text stays text
    _heading(doc, "3.2 Gli obiettivi triennali", level=2)
    _to_write(doc, "triennial")
    _heading(doc, "3.3 La performance complessiva dell'ente", level=2)
    weights = plan.scoring.sector_weights
    doc.add_paragraph(f"{ente} Il punteggio dell'ente è la media dei punteggi dei settori"
                      + (" con i pesi stabiliti dal sistema di misurazione." if weights else ", a pesi uguali."))

    _heading(doc, "4. Gli obiettivi individuali", level=1)
    people = evaluation.people
    if individual:
        _table(doc, ["Settore", "Cognome e Nome", "Cat.", "Punteggio"],
               [[p.sector, p.name, p.category, _score(p.score)] for p in people])
    else:
        by_category: dict[str, list] = {}
        for p in people:
            by_category.setdefault(p.category or "non indicata", []).append(p)
        rows = []
        for category in sorted(by_category):
            own = by_category[category]
            counts = [sum(1 for p in own if band(p.score, plan.scoring) == b) for b in charts.BAND_COLOURS]
            rows.append([category, str(len(own)), *map(str, counts)])
        doc.add_paragraph("I punteggi del personale coinvolto negli obiettivi, per categoria e fascia (in forma "
                          "aggregata, come previsto per la pubblicazione).")
        _table(doc, ["Categoria", "Persone", "Raggiunto", "Parzialmente", "Non raggiunto", "Non valutabile"], rows)

    _heading(doc, "5. Il processo di misurazione e valutazione", level=1)
    used = [f for f in result.files if f.used]
    doc.add_paragraph(f"Le schede obiettivi sono state generate dal piano, inviate ai responsabili e restituite "
                      f"compilate: {len(used)} file usati per la verifica {ROUND_LABELS[evaluation.round]}. I valori "
                      f"sono stati letti dai file e controllati con il piano; i punteggi sono calcolati secondo le "
                      f"regole seguenti.")
    overridden = [o for o in evaluation.objectives if o.overridden] + [i for i in evaluation.indicators if i.overridden]
    if overridden:
        doc.add_paragraph(f"Il Nucleo/OIV ha espresso {len(overridden)} valutazioni che sostituiscono il valore calcolato.")
    _table(doc, ["Regola", "Valore"], [[rule, value] for rule, value in evaluation.rules()])

    _heading(doc, "6. La validazione", level=1)
    _to_write(doc, "validation")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
