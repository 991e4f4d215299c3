"""The printout, measured and shown: pages per sheet of the Caluso annex, and PNG renders to look at.

    python bench/print.py [out-folder]        (default: a new temporary folder)

Runs the whole Caluso cycle (examples/ciclo_caluso.py), prints the annex, a sector workbook and
the summary through LibreOffice headless to PDF, counts the pages of every objective sheet (its
footer names it), and turns pages into PNG with pdftoppm: one sheet of the annex, one that
continues on a second page, and every page of the summary, as an Italian LibreOffice prints them
(numbers 91,9). Needs LibreOffice (`soffice`) and poppler-utils (`pdftoppm`), as Debian packages.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# A throwaway profile in the Italian locale of the offices: numbers print 91,9 whatever this machine's own.
ITALIAN_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>it-IT</value></prop></item>
</oor:items>
"""


def to_pdf(workbook: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="stampa-lo-") as profile:
        (Path(profile) / "user").mkdir()
        (Path(profile) / "user" / "registrymodifications.xcu").write_text(ITALIAN_PROFILE, encoding="utf-8")
        subprocess.run(["soffice", f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(workbook.parent), str(workbook)], check=True, capture_output=True, timeout=300)
    return workbook.with_suffix(".pdf")


def pages_of(pdf: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(str(pdf)).pages]


def png(pdf: Path, first: int, last: int, stem: Path) -> None:
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", str(first), "-l", str(last), str(pdf), str(stem)],
                   check=True, capture_output=True)


def main() -> None:
    for tool in ("soffice", "pdftoppm"):
        if shutil.which(tool) is None:
            sys.exit(f"Manca {tool}: installare libreoffice-calc-nogui e poppler-utils.")
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="stampa-"))
    subprocess.run([sys.executable, str(ROOT / "examples" / "ciclo_caluso.py"), str(out)], check=True,
                   capture_output=True)
    annex = to_pdf(out / "caluso-2023-allegato.xlsx")
    pages = pages_of(annex)
    per_sheet = Counter(m.group(1) for text in pages if (m := re.search(r"Obiettivo (\S+): ", text)))
    one_page = sum(1 for n in per_sheet.values() if n == 1)
    print(f"Allegato di Caluso: {len(per_sheet)} schede, {sum(per_sheet.values())} pagine "
          f"(più {len(pages) - sum(per_sheet.values())} di istruzioni); {one_page} schede su una pagina.")
    for key, n in sorted(per_sheet.items()):
        if n > 1:
            print(f"  {key}: {n} pagine (non sta in una pagina con il testo ad almeno 8 punti)")
    renders = out / "anteprime"
    renders.mkdir(exist_ok=True)
    first_sheet = next(i for i, text in enumerate(pages, start=1) if "Obiettivo TUTTI/2" in text)
    png(annex, first_sheet, first_sheet, renders / "scheda")
    continued = [i for i, text in enumerate(pages, start=1) if "Pagina 2 di" in text]
    if continued:
        png(annex, continued[0] - 1, continued[0], renders / "scheda-su-due-pagine")
    summary = to_pdf(out / "riepilogo.xlsx")
    png(summary, 1, len(pages_of(summary)), renders / "riepilogo")
    print(f"Riepilogo: {len(pages_of(summary))} pagine. Anteprime PNG in {renders}")


if __name__ == "__main__":
    main()
