"""Build a plan in code rather than in a file, check it and generate its workbooks.

Shows: the model accepts English field names in code (the plan file uses the Italian keys);
`check_plan` gives the same findings `schede validate` prints; `generate` writes one workbook
per sector plus the whole annex, atomically, into the folder given.

    python examples/plan_in_code.py [out-folder]
"""

import sys
import tempfile
from datetime import date

from schede_excel import Indicator, Indicators, Objective, Phase, Plan, Sector, check_plan, generate

plan = Plan(
    entity="Borgo Esempio",
    year=2024,
    interim_review=date(2024, 6, 30),
    final_review=date(2024, 12, 31),
    sectors=[Sector(code="AMM", name="AMMINISTRATIVO", head="DR.SSA LAURA VERDI", email="amm@example.org")],
    objectives=[
        Objective(
            sector="TUTTI", number=1, weight=30, title="TRASPARENZA",
            phases=(Phase(description="Aggiornamento sezioni", months=(3, 4, 5)),),
            indicators=Indicators(quantita=(Indicator(description="Sottosezioni aggiornate", target="95%"),)),
        ),
        Objective(
            sector="AMM", number=1, weight=70, title="DIGITALIZZAZIONE ARCHIVIO",
            description="Scansione e conservazione digitale delle pratiche dal 2010.",
            phases=(Phase(description="Scansione", months=tuple(range(2, 10))),),
            indicators=Indicators(
                quantita=(Indicator(description="Pratiche digitalizzate", target="2.000"),),
                tempo=(Indicator(description="Conclusione", target="30-set"),),
            ),
        ),
    ],
)

for f in check_plan(plan):
    print(f)
out = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="schede-")
for written in generate(plan, out, overwrite=True):
    print(f"{written.status}: {written.path} ({written.sheets} schede)")
