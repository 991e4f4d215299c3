"""Problems as data: one catalogue of finding codes and the `Finding` record.

Every problem the library reports, in a plan file or in a returned workbook, is a `Finding`
with a stable code from `CATALOGUE`, a severity, a location (file, sheet, cell, or line and
path in a plan file) and an Italian message that says where, what was found and what was
expected. Exceptions are used only for what stops the work, and they carry findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    """How bad a finding is; values are the Italian words printed to users."""

    ERROR = "errore"
    WARNING = "avviso"
    INFO = "info"


# code -> (severity, Italian message template). Templates are filled with str.format(**params).
CATALOGUE: dict[str, tuple[Severity, str]] = {
    # Plan files
    "PLAN_001": (Severity.ERROR, "Il file del piano non si può leggere: {detail}."),
    "PLAN_002": (Severity.ERROR, "YAML non valido: {detail}. Controllare rientri, due punti e virgolette."),
    "PLAN_003": (Severity.ERROR, "{field}: {detail}."),
    "PLAN_004": (
        Severity.ERROR,
        "Settore {sector}: i pesi degli obiettivi del settore ({own}) più quelli trasversali TUTTI "
        "({shared}) danno {total}; atteso 100.",
    ),
    "PLAN_005": (
        Severity.ERROR,
        "Settore {sector}: i pesi degli obiettivi danno {total}; atteso 100 (valutazione diretta, "
        "senza obiettivi trasversali).",
    ),
    "PLAN_006": (Severity.ERROR, "Settore {sector}: l'obiettivo n° {number} compare più volte; i numeri devono essere unici nel settore."),
    "PLAN_007": (
        Severity.ERROR,
        "Obiettivo {objective}, indicatore «{indicator}»: ATTESO «{text}» non riconosciuto ({detail}). "
        "Forme accettate: {accepted}.",
    ),
    "PLAN_008": (Severity.ERROR, "Obiettivo {objective}: il settore «{sector}» non esiste; settori del piano: {known}."),
    "PLAN_009": (Severity.ERROR, "Settore {sector}: indirizzo e-mail «{email}» non valido; atteso nome@dominio.it."),
    "PLAN_010": (Severity.WARNING, "Settore {sector}: responsabile non indicato (la scheda lo mostrerà vuoto)."),
    "PLAN_011": (Severity.WARNING, "Settore {sector}: indirizzo e-mail del responsabile non indicato (non si potrà inviare la cartella)."),
    "PLAN_012": (Severity.ERROR, "Settore {sector}: il codice «{code}» è usato da più settori; i codici devono essere unici."),
    "PLAN_013": (
        Severity.ERROR,
        "Obiettivo {objective}: il settore {sector} è a valutazione diretta e i suoi obiettivi non "
        "hanno indici di risultato; trovati {count} indicatori.",
    ),
    "PLAN_014": (Severity.ERROR, "Le date delle verifiche non sono in ordine: intermedia {interim}, finale {final}; la finale deve seguire l'intermedia."),
    "PLAN_015": (Severity.INFO, "Obiettivo {objective}: nessun mese pianificato nel cronoprogramma."),
    "PLAN_016": (Severity.ERROR, "Obiettivo {objective}: {count} collegamenti DUP; al massimo 8."),
    "PLAN_017": (Severity.INFO, "Settore {sector}: indirizzo e-mail {email} di esempio (dominio example), da sostituire prima dell'invio."),
    # Generation
    "GEN_001": (
        Severity.ERROR,
        "Il file esiste già con un contenuto diverso (forse è già stato compilato): non viene "
        "sostituito. Spostarlo, oppure rigenerare con --sovrascrivi.",
    ),
}


@dataclass(frozen=True)
class Finding:
    """One problem found in a plan or in a workbook.

    `line`/`path` locate it in a plan file (line as an editor shows it, path as dotted keys);
    `sheet`/`cell` locate it in a workbook, with the cell as the spreadsheet shows it ("D20").
    """

    code: str
    message: str
    severity: Severity
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None
    line: int | None = None
    path: str | None = None
    params: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def location(self) -> str:
        """The place as a user reads it: `file, riga 12 (obiettivi[3].peso)` or `file, foglio X, cella D20`."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"foglio «{self.sheet}»")
        if self.cell:
            parts.append(f"cella {self.cell}")
        if self.line:
            parts.append(f"riga {self.line}")
        where = ", ".join(parts)
        if self.path:
            where = f"{where} ({self.path})" if where else self.path
        return where

    def __str__(self) -> str:
        where = self.location
        return f"{self.severity.value.upper()} {self.code} {where}: {self.message}" if where else (
            f"{self.severity.value.upper()} {self.code}: {self.message}"
        )

    def as_row(self) -> dict:
        """A flat dict, one column per field, for tables and exports."""
        return {
            "codice": self.code,
            "gravita": self.severity.value,
            "file": self.file,
            "foglio": self.sheet,
            "cella": self.cell,
            "riga": self.line,
            "percorso": self.path,
            "messaggio": self.message,
        }


def finding(code: str, *, file=None, sheet=None, cell=None, line=None, path=None, **params) -> Finding:
    """Build a finding from the catalogue, filling its message template with `params`."""
    severity, template = CATALOGUE[code]
    return Finding(
        code=code,
        message=template.format(**params),
        severity=severity,
        file=file,
        sheet=sheet,
        cell=cell,
        line=line,
        path=path,
        params=params,
    )


def has_errors(findings) -> bool:
    """True when any finding is an error."""
    return any(f.severity is Severity.ERROR for f in findings)


class SchedeError(Exception):
    """Work that cannot go on; carries the findings that say why."""

    def __init__(self, findings: list[Finding]):
        self.findings = list(findings)
        super().__init__("\n".join(str(f) for f in self.findings))
