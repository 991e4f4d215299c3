"""The signed printout: every objective sheet printed through LibreOffice to PDF, page by page.

One A4 portrait page wherever the content fits with body text of at least 8 points; otherwise
pages that break only between sections, each opening with the title row again, and a footer
that names the objective and says «Pagina N di M». Row heights come from the font's metrics.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from plans import small_plan_data
from schede_excel.plan.parse import plan_from_data
from schede_excel.sheet.generate import generate
from schede_excel.sheet.layout import description_chunks, sheet_layout
from schede_excel.sheet.printing import plan_pages, printable
from schede_excel.spreadsheet.text import text_height, text_width, wrap

SECTION_STARTS = ("SETTORE", "OBIETTIVO", "descrizione obiettivo", "collegamento con Rel. Prev. Prog./DUP",
                  "Descrizione delle fasi di attuazione:", "INDICI DI RISULTATO", "Indici di Quantità",
                  "Indici di Tempo", "Indici di Costo", "Indici di Qualità", "VERIFICA INTERMEDIA AL",
                  "PERSONALE COINVOLTO NELL'OBIETTIVO")
LONG = ("La descrizione dell'obiettivo riporta il contesto, le finalità e le attività previste, con i "
        "riferimenti agli atti di programmazione dell'ente e ai soggetti coinvolti nell'attuazione. ")


def _stress_plan():
    data = small_plan_data()
    nine_phases = [{"descrizione": f"Fase {i}: attività di attuazione numero {i} dell'obiettivo", "mesi": [i]}
                   for i in range(1, 10)]
    eight = [{"descrizione": f"Indicatore di quantità numero {i} con una descrizione di media lunghezza",
              "atteso": f"{10 * i}%"} for i in range(1, 9)]
    data["obiettivi"][1].update(fasi=nine_phases, indicatori={"quantita": eight})
    data["obiettivi"][2].update(descrizione=(LONG * 17)[:3000])
    data["obiettivi"][3].update(descrizione=(LONG * 60).strip())  # past one row's 409 points
    result = plan_from_data(data)
    assert result.plan is not None, result.findings
    return result.plan


def _pages(pdf: Path) -> list[dict]:
    from pypdf import PdfReader

    out = []
    for page in PdfReader(str(pdf)).pages:
        sizes: Counter = Counter()

        def visit(text, cm, tm, font, size, sizes=sizes):
            footer = re.fullmatch(r"Comune di .* - Obiettivo .*|Pagina ?|\d+|di \d+| di \d+", text.strip())
            if text.strip() and not footer:
                scale = math.hypot(tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3])
                sizes[round(size * scale, 1)] += len(text.strip())

        text = page.extract_text(visitor_text=visit) or ""
        footer = re.search(r"Obiettivo (\S+): .*", text)
        number = re.search(r"Pagina (\d+) di (\d+)", text)
        out.append({"text": text, "objective": footer.group(1) if footer else None,
                    "page": (int(number.group(1)), int(number.group(2))) if number else None,
                    "body": sizes.most_common(1)[0][0] if sizes else 0})
    return out


@pytest.fixture(scope="session")
def printed(libreoffice, caluso_plan, tmp_path_factory):
    """The Caluso annex and a plan of stress shapes, each printed once to PDF by LibreOffice."""
    folder = tmp_path_factory.mktemp("stampa")
    out = {}
    for name, plan in (("caluso", caluso_plan), ("stress", _stress_plan())):
        written = generate(plan, folder / name)
        annex = next(w.path for w in written if w.path.name.endswith("allegato.xlsx"))
        with libreoffice.open(annex) as doc:
            out[name] = (plan, _pages(doc.save_as(folder / f"{name}.pdf")))
    return out


def _by_objective(pages):
    sheets = defaultdict(list)
    for page in pages:
        if page["objective"]:
            sheets[page["objective"]].append(page)
    return sheets


@pytest.mark.parametrize("name", ["caluso", "stress"])
def test_each_sheet_prints_as_many_pages_as_its_footer_says(printed, name):
    plan, pages = printed[name]
    sheets = _by_objective(pages)
    assert set(sheets) == {o.key for o in plan.objectives}
    for key, own in sheets.items():
        assert [p["page"] for p in own] == [(n, len(own)) for n in range(1, len(own) + 1)], key


def test_the_caluso_annex_prints_nearly_every_sheet_on_one_page(printed):
    _, pages = printed["caluso"]
    counts = {key: len(own) for key, own in _by_objective(pages).items()}
    # 33 of the 35 sheets fit one page at 8 points or more; TUTTI/1 and TUTTI/3 carry six phases,
    # eight indicators and long descriptions, and continue on a second page.
    assert sum(counts.values()) <= 37
    assert sum(1 for n in counts.values() if n == 1) >= 33
    assert len([p for p in pages if "Ogni foglio è la scheda di un obiettivo" in p["text"]]) == 1


@pytest.mark.parametrize("name", ["caluso", "stress"])
def test_body_text_is_printed_at_eight_points_or_more(printed, name):
    _, pages = printed[name]
    for page in pages:
        if page["objective"]:
            assert page["body"] >= 7.95, (page["objective"], page["page"], page["body"])


@pytest.mark.parametrize("name", ["caluso", "stress"])
def test_every_page_opens_with_the_title_and_no_page_starts_inside_a_block(printed, name):
    _, pages = printed[name]
    for page in pages:
        if not page["objective"]:
            continue
        text = page["text"]
        where = (page["objective"], page["page"])
        assert "Obiettivo strategico n°" in text and "PESO:" in text, where
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        body = [line for line in lines if not line.startswith(("Comune di", "Pagina", "PESO:"))
                and not re.fullmatch(r"\d+|Pagina \d+ di \d+", line)]
        if page["page"][0] > 1:
            assert body and body[0].startswith(SECTION_STARTS), (where, body[:2])
        # Blocks that must stay whole on their page.
        for first, last in (("Descrizione delle fasi di attuazione:", "CRONOPROGRAMMA"),
                            ("VERIFICA INTERMEDIA AL", "Da attivare"),
                            ("PERSONALE COINVOLTO NELL'OBIETTIVO", "totale partecipazione agli obiettivi")):
            if first in text:
                assert last in text, (where, first)


def test_stress_shapes_break_between_sections(printed):
    plan, pages = printed["stress"]
    sheets = _by_objective(pages)
    long = plan.objectives[3]
    assert len(description_chunks(long.description)) > 1
    assert len(sheets[long.key]) > 1
    text = " ".join(p["text"] for p in sheets[long.key])
    assert "Sicurezza".upper() in text  # the title is there on every page
    nine = plan.objectives[1]
    assert any("Fase 9" in p["text"] for p in sheets[nine.key])


def test_row_heights_come_from_the_fonts_widths():
    # Calibri/Carlito: «i» is narrow, «W» wide; capitals take more room than lower case.
    assert text_width("iiii") < text_width("WWWW")
    assert len(wrap("MAIUSCOLO " * 30, 200)) > len(wrap("minuscolo " * 30, 200))
    assert text_height("breve", 300) == 15.0
    assert text_height("parola " * 200, 300) > 15.0 * 5
    plan = _stress_plan()
    lay = sheet_layout(plan.objectives[3], staff_rows=plan.staff_rows)
    assert len(lay.description_rows) == len(description_chunks(plan.objectives[3].description)) > 1


def test_a_sheet_too_tall_for_one_readable_page_breaks_at_section_starts():
    width = 700.0
    heights = [20.0] + [15.0] * 120
    pages = plan_pages(heights, width, sections=[1, 30, 60, 90])
    assert not pages.one_page and pages.breaks and set(pages.breaks) <= {30, 60, 90}
    assert plan_pages([20.0] + [15.0] * 30, width, sections=[1]).one_page
    assert printable()[1] < 842


def test_the_shipped_widths_are_carlitos():
    fontTools = pytest.importorskip("fontTools")  # noqa: F841 - the test extras install it
    from fontmetrics import FONTS, TABLE, table
    import json

    if not (FONTS / "Carlito-Regular.ttf").exists():
        pytest.skip("Carlito is not installed (the test run installs fonts-crosextra-carlito)")
    assert json.loads(TABLE.read_text(encoding="utf-8")) == table()


def _reference_starts(text: str, width_points: float) -> list[int]:
    """The wrapping rule written out plainly, character by character: what line_starts must give."""
    from schede_excel.spreadsheet.text import CELL_PADDING, text_width

    room = max(width_points - CELL_PADDING, 11)
    starts, line = [0], 0
    for end in range(1, len(text) + 1):
        if end - line > 1 and text_width(text[line:end]) > room:
            starts.append(end - 1)
            line = end - 1
    return starts


@pytest.mark.parametrize("length", [1, 7, 300, 2500, 40_000])
def test_a_word_longer_than_the_cell_breaks_where_it_must(length):
    from schede_excel.spreadsheet.text import line_starts

    word = ("Wxiàm" * (length // 5 + 1))[:length]  # a pasted link or code: no space to break at
    assert line_starts(word, 120) == _reference_starts(word, 120)
    if length > 100:  # it does not fit after a first word: it starts on a line of its own
        assert line_starts("inizio " + word, 120)[1] == len("inizio ")
