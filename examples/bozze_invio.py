"""Prepare the e-mails to the sector heads as drafts, without sending anything.

Shows: `mail.prepare` checks everything before a message could leave (every sector has its
workbook and a usable address, the template fills in) and builds one message per sector with
its workbook attached; `write_drafts` saves them as .eml files that any mail client opens as
drafts. The Caluso plan's addresses are placeholders on example.org: for real sending they
are refused, for drafts they are allowed. Real sending is `schede send` (see README).

    python examples/bozze_invio.py [out-folder]
"""

import sys
import tempfile
from datetime import date
from pathlib import Path

from schede_excel import MailSettings, generate, load_plan, prepare, write_drafts

plan = load_plan(Path(__file__).resolve().parent.parent / "schede" / "caluso-2023.yaml").require()
out = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="bozze-"))
generate(plan, out, annex=False, overwrite=True)
settings = MailSettings(sender="Ufficio personale <personale@example.org>", cc=("segretario@example.org",),
                        deadline=date(2023, 7, 15))
batch = prepare(plan, out, settings, round_="interim", drafts=True, today=date(2023, 7, 1))
for problem in batch.findings:
    print(problem)
for path in write_drafts(batch, out / "bozze"):
    print(f"bozza: {path.name}")
print(f"{len(batch.outgoing)} messaggi pronti in {out / 'bozze'}; nulla è stato inviato.")
