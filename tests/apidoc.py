"""The API page, docs/api.md, made from the package's own docstrings and signatures.

    python tests/apidoc.py        rewrites docs/api.md; tests/test_api.py fails when it is stale
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import schede_excel

PAGE = Path(__file__).resolve().parent.parent / "docs" / "api.md"
SECTIONS = [
    ("plan", "1. Il piano (`schede_excel.plan`)"),
    ("sheet", "2. Le schede (`schede_excel.sheet`)"),
    ("mail", "3. L'invio (`schede_excel.mail`)"),
    ("returns", "4. Il rientro (`schede_excel.returns`)"),
    ("scoring", "5. La valutazione (`schede_excel.scoring`)"),
    ("report", "6. Il riepilogo (`schede_excel.report`)"),
    ("deliverables", "7. Dopo la verifica finale (`schede_excel.deliverables`)"),
    ("findings", "Segnalazioni (`schede_excel.findings`)"),
]


def _first_paragraph(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _entry(name: str) -> list[str]:
    obj = getattr(schede_excel, name)
    if inspect.isfunction(obj):
        signature = str(inspect.signature(obj)).replace("'", "")
        return [f"### `{name}{signature}`", "", _first_paragraph(obj), ""]
    lines = [f"### `{name}`", "", _first_paragraph(obj), ""]
    fields = getattr(obj, "model_fields", None)
    if fields:
        for field, info in fields.items():
            alias = f" (`{info.alias}`)" if info.alias else ""
            lines.append(f"- `{field}`{alias}: {info.description or ''}".rstrip(": "))
        lines.append("")
    elif isinstance(obj, type) and issubclass(obj, __import__("enum").Enum):
        lines.append("Valori: " + ", ".join(f"`{m.value}`" for m in obj) + ".")
        lines.append("")
    return lines


def page() -> str:
    homes = schede_excel._HOMES
    out = ["# API di schede-excel", "",
           "Generata da `python tests/apidoc.py` a partire dalle docstring (in inglese, come il codice).",
           "Tutti i nomi si importano da `schede_excel`: `from schede_excel import load_plan, generate`.", ""]
    for step, title in SECTIONS:
        names = [n for n in schede_excel.__all__ if n in homes and homes[n].split(".")[0] == step]
        out += [f"## {title}", ""]
        for name in names:
            out += _entry(name)
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    PAGE.parent.mkdir(exist_ok=True)
    PAGE.write_text(page(), encoding="utf-8")
    sys.stdout.write(f"scritto {PAGE}\n")
