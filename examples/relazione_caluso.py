"""The deliverables of the Caluso round: the draft Relazione, the dossier, the open data, and PNGs to look at.

Shows: `round_results` reads and scores the returns once; `build_relazione` writes the draft
Relazione sulla performance (.docx), `transparency_files` the open-data tables with their data
package, `dossier_files` the evaluator's index. The returns are those of examples/ciclo_caluso.py
(made first). With LibreOffice and pdftoppm on the machine, the Relazione's first pages and a
chart are also written as PNG in OUT/anteprime/.

    python examples/relazione_caluso.py [out-folder]      (default: out)
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from schede_excel import Override, load_plan
from schede_excel.deliverables import charts
from schede_excel.deliverables.dossier import dossier_files
from schede_excel.deliverables.relazione import build_relazione
from schede_excel.deliverables.results import round_results
from schede_excel.deliverables.transparency import transparency_files

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
    if not (out / "ritorni").is_dir():
        subprocess.run([sys.executable, str(ROOT / "examples" / "ciclo_caluso.py"), str(out)], check=True,
                       capture_output=True)
    plan = load_plan(ROOT / "schede" / "caluso-2023.yaml").require()
    segretario = [Override(sector="SEG", objective=o.key, score=95.0, note="valutazione diretta del Nucleo")
                  for o in plan.objectives if o.sector == "SEG"]
    results = round_results(plan, [out / "ritorni"], round_="interim", overrides=segretario)
    relazione = out / "relazione.docx"
    relazione.write_bytes(build_relazione(results))
    print(f"Bozza della Relazione: {relazione}")
    for name, data in transparency_files(results).items():
        (out / "trasparenza").mkdir(exist_ok=True)
        (out / "trasparenza" / name).write_bytes(data)
    print(f"Dati aperti: {out / 'trasparenza'}")
    for name, data in dossier_files(results, overrides=segretario).items():
        (out / "dossier").mkdir(exist_ok=True)
        (out / "dossier" / name).write_bytes(data)
    print(f"Indice del dossier: {out / 'dossier' / 'indice.xlsx'}")
    previews = out / "anteprime"
    previews.mkdir(exist_ok=True)
    (previews / "grafico-settori.png").write_bytes(charts.sector_scores(results.evaluation))
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if soffice and pdftoppm:
        with tempfile.TemporaryDirectory(prefix="schede-lo-") as profile:
            subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                            "--outdir", str(out), str(relazione)], check=True, capture_output=True, timeout=300)
        subprocess.run([pdftoppm, "-r", "70", "-png", "-f", "1", "-l", "3", str(relazione.with_suffix(".pdf")),
                        str(previews / "relazione")], check=True, capture_output=True)
        print(f"Anteprime PNG della Relazione e di un grafico in {previews}")
    else:
        print(f"Grafico in {previews}; per le anteprime della Relazione servono LibreOffice e pdftoppm.")


if __name__ == "__main__":
    main()
