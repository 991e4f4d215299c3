"""schede-excel: the objective sheets (schede obiettivi) of an Italian municipality's performance plan.

The cycle, one step per subpackage, each function a step a Python user can call:

1. Plan (`plan`): ``load_plan(path)`` reads a YAML plan or a plan workbook into a checked
   ``Plan``; ``PlanResult.require()`` gives the plan or raises ``SchedeError`` with the findings.
   ``parse_plan``, ``build_plan_workbook``, ``read_plan_workbook``, ``plan_to_yaml_text`` and
   ``plan_schema`` move the plan between its forms; ``migrate_workbook`` reads last year's
   hand-made sheets into a new plan.
2. Sheets (`sheet`): ``generate(plan, out_dir)`` writes one workbook per sector plus the annex;
   ``build_workbook`` gives one workbook's bytes without touching the disk.
3. Send and collect (`mail`): ``load_settings``, ``prepare``, ``send`` and ``write_drafts`` e-mail
   each sector head the sector's workbook, with a send log; ``open_mailbox`` and ``receive`` collect
   the returns from the office mailbox (PEC included) with a receive log; ``sector_status`` and
   ``reminders`` track the round.
4. Returns (`returns`): ``import_returns(plan, paths)`` identifies, reads and checks the returned
   workbooks; ``ImportResult.frames()`` gives pandas DataFrames.
5. Scores (`scoring`): ``evaluate(plan, records, round_)`` scores indicators, the sheet's averages,
   objectives, sectors, people and the ente; ``load_overrides`` reads the evaluator's overrides and
   ``assessment_workbook`` prefills them for the directly assessed objectives (the Segretario's).
6. Summary (`report`): ``consolidate(plan, paths, out_file)`` does 4 and 5 and writes the summary
   workbook, the exports and the annex of results; ``write_summary`` writes the summary workbook
   alone, row by row (``build_summary`` gives its bytes); ``summary_tables`` gives its tables as
   DataFrames.
7. After the final round (`deliverables`): ``round_results`` reads and scores a round once;
   ``build_relazione`` writes the draft Relazione sulla performance (.docx), ``dossier_files`` the
   evaluator's validation dossier, ``transparency_files`` the open data for Amministrazione trasparente.

Problems are data: every step returns ``Finding`` objects (code, severity, place, Italian
message) rather than raising; ``SchedeError`` carries them when work cannot go on.
Names are imported on first use, so ``import schede_excel`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .version import __version__

_HOMES = {
    # ground
    "Finding": "findings", "Severity": "findings", "SchedeError": "findings", "has_errors": "findings",
    # 1. plan
    "Plan": "plan.model", "Sector": "plan.model", "Objective": "plan.model", "Indicator": "plan.model",
    "Phase": "plan.model", "Indicators": "plan.model", "IndicatorKind": "plan.model", "ScoringPolicy": "plan.model",
    "check_plan": "plan.checks",
    "Target": "plan.targets", "TargetKind": "plan.targets", "parse_target": "plan.targets",
    "PlanResult": "plan.parse", "parse_plan": "plan.parse",
    "load_plan": "plan.load", "plan_schema": "plan.load",
    "plan_to_yaml_text": "plan.yamlwriter",
    "build_plan_workbook": "plan.workbook", "read_plan_workbook": "plan.workbook",
    # 2. sheets
    "generate": "sheet.generate", "planned_workbooks": "sheet.generate", "Written": "sheet.generate",
    "WorkbookPlan": "sheet.generate", "review_for": "sheet.generate", "build_workbook": "sheet.writer", "Review": "sheet.writer",
    "migrate_workbook": "sheet.migrate", "Migration": "sheet.migrate",
    # 3. send
    "MailSettings": "mail.sending", "load_settings": "mail.sending", "prepare": "mail.sending",
    "send": "mail.sending", "write_drafts": "mail.sending", "read_log": "mail.sending",
    "Batch": "mail.sending", "SendReport": "mail.sending", "SentRecord": "mail.sending",
    "sector_status": "mail.status", "reminders": "mail.status", "SectorStatus": "mail.status",
    "MailboxSettings": "mail.receiving", "load_mailbox_settings": "mail.receiving", "open_mailbox": "mail.receiving",
    "receive": "mail.receiving", "Reception": "mail.receiving", "Handled": "mail.receiving",
    "ReceivedRecord": "mail.receiving", "read_receive_log": "mail.receiving",
    # 4. returns
    "import_returns": "returns.importer", "read_return": "returns.importer", "ImportResult": "returns.importer",
    "ObjectiveReturn": "returns.model", "IndicatorReturn": "returns.model", "ReviewReturn": "returns.model",
    "StaffReturn": "returns.model", "ReturnedFile": "returns.model",
    # 5. scores
    "evaluate": "scoring.evaluate", "Evaluation": "scoring.evaluate", "Override": "scoring.evaluate",
    "IndicatorScore": "scoring.evaluate", "ObjectiveScore": "scoring.evaluate",
    "SectorScore": "scoring.evaluate", "PersonScore": "scoring.evaluate",
    "load_overrides": "scoring.overrides", "read_overrides": "scoring.overrides",
    "assessment_workbook": "scoring.overrides",
    # 6. summary
    "consolidate": "report.consolidate", "Consolidation": "report.consolidate",
    "results_annex": "report.consolidate", "summary_tables": "report.summary", "build_summary": "report.summary",
    "write_summary": "report.summary",
    # 7. deliverables
    "RoundResults": "deliverables.results", "round_results": "deliverables.results",
    "build_relazione": "deliverables.relazione", "transparency_tables": "deliverables.transparency",
    "transparency_files": "deliverables.transparency", "dossier_tables": "deliverables.dossier",
    "dossier_files": "deliverables.dossier",
}

__all__ = [
    "__version__", "assessment_workbook", "Batch", "build_plan_workbook", "build_relazione", "build_summary",
    "build_workbook", "check_plan", "consolidate", "Consolidation", "dossier_files", "dossier_tables",
    "evaluate", "Evaluation", "Finding", "generate", "Handled", "has_errors", "import_returns", "ImportResult",
    "Indicator", "IndicatorKind", "IndicatorReturn", "Indicators", "IndicatorScore", "load_mailbox_settings",
    "load_overrides", "load_plan", "load_settings", "MailboxSettings", "MailSettings", "migrate_workbook",
    "Migration", "Objective", "ObjectiveReturn", "ObjectiveScore", "open_mailbox", "Override", "parse_plan",
    "parse_target", "PersonScore", "Phase", "Plan", "plan_schema", "plan_to_yaml_text", "planned_workbooks",
    "PlanResult", "prepare", "read_log", "read_overrides", "read_plan_workbook", "read_receive_log",
    "read_return", "receive", "ReceivedRecord", "Reception", "reminders", "results_annex", "ReturnedFile",
    "Review", "review_for", "ReviewReturn", "round_results", "RoundResults", "SchedeError", "ScoringPolicy",
    "Sector", "sector_status", "SectorScore", "SectorStatus", "send", "SendReport", "SentRecord", "Severity",
    "StaffReturn", "summary_tables", "Target", "TargetKind", "transparency_files", "transparency_tables",
    "WorkbookPlan", "write_drafts", "write_summary", "Written",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'schede_excel' has no attribute {name!r}")
    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from .findings import Finding, SchedeError, Severity, has_errors
    from .mail.sending import (Batch, MailSettings, SendReport, SentRecord, load_settings, prepare, read_log, send,
                               write_drafts)
    from .mail.receiving import (Handled, MailboxSettings, ReceivedRecord, Reception, load_mailbox_settings,
                                 open_mailbox, read_receive_log, receive)
    from .mail.status import SectorStatus, reminders, sector_status
    from .plan.load import load_plan, plan_schema
    from .plan.checks import check_plan
    from .plan.model import Indicator, IndicatorKind, Indicators, Objective, Phase, Plan, ScoringPolicy, Sector
    from .plan.parse import PlanResult, parse_plan
    from .plan.targets import Target, TargetKind, parse_target
    from .plan.workbook import build_plan_workbook, read_plan_workbook
    from .plan.yamlwriter import plan_to_yaml_text
    from .report.consolidate import Consolidation, consolidate, results_annex
    from .deliverables.dossier import dossier_files, dossier_tables
    from .deliverables.relazione import build_relazione
    from .deliverables.results import RoundResults, round_results
    from .deliverables.transparency import transparency_files, transparency_tables
    from .report.summary import build_summary, summary_tables, write_summary
    from .returns.importer import ImportResult, import_returns, read_return
    from .returns.model import IndicatorReturn, ObjectiveReturn, ReturnedFile, ReviewReturn, StaffReturn
    from .scoring.evaluate import (Evaluation, IndicatorScore, ObjectiveScore, Override, PersonScore, SectorScore,
                                   evaluate)
    from .scoring.overrides import assessment_workbook, load_overrides, read_overrides
    from .sheet.generate import WorkbookPlan, Written, generate, planned_workbooks, review_for
    from .sheet.migrate import Migration, migrate_workbook
    from .sheet.writer import Review, build_workbook
