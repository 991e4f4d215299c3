"""Load a plan file and check it: what `schede validate` does, as library calls.

Shows: `load_plan` returns the plan and every finding (code, severity, place, Italian message);
the plan is plain data you can walk, e.g. to total the weights of each sector.

    python examples/load_and_validate.py [schede/caluso-2023.yaml]
"""

import sys
from pathlib import Path

from schede_excel import Severity, load_plan

path = sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent.parent / "schede" / "caluso-2023.yaml"
result = load_plan(path)
for f in result.findings:
    if f.severity is not Severity.INFO:
        print(f)
if result.plan is None or not result.ok:
    sys.exit(2)

plan = result.plan
print(f"Comune di {plan.entity}, {plan.year}: {len(plan.objectives)} obiettivi")
for sector in plan.sectors:
    objectives = plan.objectives_of(sector)
    total = sum(o.weight for o in objectives)
    print(f"  {sector.code:<6} {sector.name[:40]:<40} {len(objectives):>2} schede, pesi {total}")
