"""Where each sector stands in a round: sent when, returned or not, with what problems, days left.

`sector_status()` joins the plan, the send log (`mail.read_log`) and the import of the returns;
`reminders()` prepares the reminder e-mails for the sectors still missing, with the same checks
and template machinery as the first sending.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Iterable

from ..findings import Result, Severity
from ..returns.importer import ImportResult
from .receiving import ReceivedRecord, received_by_sector
from .sending import Batch, MailSettings, SentRecord, last_sent, prepare
from ..plan.model import Plan


class SectorStatus(Result):
    """One sector in one round."""

    sector: str
    """Sector code."""
    name: str
    """Sector name."""
    sent_at: datetime | None
    """When its workbook was sent, from the send log."""
    sent_to: tuple[str, ...]
    """To whom."""
    returned_file: str | None
    """The returned files, when any."""
    returned_at: datetime | None
    """When the newest of them was saved."""
    objectives_returned: int
    """Sheets returned."""
    objectives_expected: int
    """Sheets expected."""
    errors: int
    """Errors found in its returns."""
    warnings: int
    """Warnings found in its returns."""
    days_left: int | None
    """Days to the deadline, when one was given (negative: past)."""
    expected: bool = True
    """False for a sector assessed directly (the segretario): nothing to return."""
    received_at: datetime | None = None
    """When its latest workbook arrived by mail, from the receive log of `schede ricevi`."""
    received_file: str | None = None
    """That workbook, as saved in the returns folder."""

    @property
    def returned(self) -> bool:
        """A copy of a directly assessed sector's file sent back is not a return: it has nothing to return."""
        return self.expected and self.returned_file is not None


def sector_status(plan: Plan, result: ImportResult, sent: list[SentRecord], round_: str,
                  deadline: date | None = None, today: date | None = None,
                  received: Iterable[ReceivedRecord] = ()) -> list[SectorStatus]:
    """The state of every sector of the plan in `round_`; `received` is the receive log of the returns folder."""
    today = today or date.today()
    by_mail = received_by_sector(received, round_)
    out = []
    for sector in plan.sectors:
        mail = by_mail.get(sector.code)
        record = last_sent(sent, plan.plan_id, sector.code, round_)
        # A sector may have sent a correction after its first return: every file in use counts.
        records = [r for r in result.objectives if r.sector == sector.code and r.round == round_]
        paths = {r.file for r in records}
        files = [f for f in result.files if f.path in paths]
        newest = max(files, key=lambda f: (f.modified is not None, f.modified and f.modified.timestamp() or 0),
                     default=None)
        found = [f for f in result.findings if f.file in paths]
        out.append(SectorStatus(
            sector=sector.code, name=sector.name,
            sent_at=datetime.fromisoformat(record.sent_at) if record else None,
            sent_to=record.to if record else (),
            returned_file=", ".join(sorted(paths)) if paths else None,
            returned_at=newest.modified if newest else None,
            objectives_returned=len(records),
            objectives_expected=0 if sector.direct_assessment else len(plan.objectives_of(sector)),
            errors=sum(f.severity is Severity.ERROR for f in found),
            warnings=sum(f.severity is Severity.WARNING for f in found),
            days_left=(deadline - today).days if deadline else None,
            expected=not sector.direct_assessment,
            received_at=datetime.fromisoformat(mail.at) if mail and mail.at else None,
            received_file=mail.file if mail else None))
    return out


REMINDER_TEMPLATE = Path(__file__).parent / "templates" / "sollecito.txt"


def reminders(plan: Plan, folder: str | Path, settings: MailSettings, statuses: list[SectorStatus], *,
              round_: str, template: Path | None = None, today: date | None = None) -> Batch:
    """Reminder messages, with the workbook attached again, for the sectors not yet returned.

    `template` is the office's own reminder text; by default the packaged `templates/sollecito.txt`.
    """
    missing = {s.sector for s in statuses if s.expected and not s.returned}
    settings = replace(settings, template=template or REMINDER_TEMPLATE)
    batch = prepare(plan, folder, settings, round_=round_, resend=missing, drafts=True, today=today)
    return batch.model_copy(update={
        "outgoing": [o for o in batch.outgoing if o.sector.code in missing],
        "findings": [f for f in batch.findings if f.params.get("sector", "") in missing or "sector" not in f.params]})
