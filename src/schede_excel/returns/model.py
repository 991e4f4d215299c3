"""What came back: the values a sector head entered on each sheet, as plain typed records.

These are produced by `sheetreader` and `importer`; scoring and consolidation read them. Field
names are English; the aliases are the Italian keys of the JSON export (`schede import -o`).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from ..plan.model import IndicatorKind

Achieved = float | date | bool | None


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, ser_json_timedelta="float")


class IndicatorReturn(Record):
    """RAGGIUNTO of one indicator, with where it was read."""

    kind: IndicatorKind = Field(alias="blocco", description="the block: quantita, tempo, costo or qualita")
    index: int = Field(alias="numero", description="1-based position within its block")
    description: str = Field(alias="descrizione", description="the indicator as the plan writes it")
    target: str = Field(alias="atteso", description="ATTESO as the plan writes it")
    achieved: Achieved = Field(default=None, alias="raggiunto",
                               description="fraction for percentages, number, date, or bool for Sì/No; None when blank")
    cell: str | None = Field(default=None, alias="cella", description="where RAGGIUNTO was read, e.g. D20")


class ReviewReturn(Record):
    """The texts of one review block (VERIFICA INTERMEDIA or FINALE)."""

    round: str = Field(alias="turno", description="interim or final")
    causes: str = Field(default="", alias="cause", description="Analisi degli scostamenti: Cause")
    effects: str = Field(default="", alias="effetti", description="Analisi degli scostamenti: Effetti")
    actions_taken: str = Field(default="", alias="intrapresi", description="Provvedimenti correttivi: Intrapresi")
    actions_planned: str = Field(default="", alias="da_attivare", description="Provvedimenti correttivi: Da attivare")


class StaffReturn(Record):
    """A row of PERSONALE COINVOLTO NELL'OBIETTIVO."""

    name: str = Field(alias="nome", description="Cognome e Nome")
    category: str = Field(default="", alias="categoria", description="Cat.")
    participation: float | None = Field(default=None, alias="partecipazione", description="fraction: 50% is 0.5")
    cell: str | None = Field(default=None, alias="cella", description="where the row was read, e.g. A41")


class ObjectiveReturn(Record):
    """Everything read from one objective's sheet in one returned file."""

    sector: str = Field(alias="settore", description="the reporting sector's code")
    objective: str = Field(alias="obiettivo", description="the objective's key, e.g. TUTTI/1 or FIN/2")
    round: str = Field(alias="turno", description="interim or final")
    file: str = Field(alias="file", description="the returned file it was read from")
    sheet: str = Field(alias="foglio", description="the worksheet's name in that file")
    indicators: tuple[IndicatorReturn, ...] = Field(default=(), alias="indicatori", description="RAGGIUNTO of every indicator")
    reviews: tuple[ReviewReturn, ...] = Field(default=(), alias="verifiche", description="the texts of the review blocks")
    staff: tuple[StaffReturn, ...] = Field(default=(), alias="personale", description="the filled rows of PERSONALE COINVOLTO")

    def review(self, round_: str) -> ReviewReturn | None:
        return next((r for r in self.reviews if r.round == round_), None)


class ReturnedFile(Record):
    """One file read (or not): its identity, what it held, and whether it counts."""

    path: str = Field(alias="file", description="the file as given or found in a folder")
    sha256: str = Field(default="", alias="impronta", description="SHA-256 of the file's bytes, hex")
    format: str = Field(default="", alias="formato", description="xlsx, xlsm or ods")
    modified: datetime | None = Field(default=None, alias="modificato", description="when it was last saved, as the file says")
    sector: str | None = Field(default=None, alias="settore", description="the reporting sector's code, when one")
    round: str | None = Field(default=None, alias="turno", description="interim or final")
    objectives: tuple[str, ...] = Field(default=(), alias="obiettivi", description="keys of the objective sheets read")
    readable: bool = Field(default=True, alias="leggibile", description="False when the file could not be read at all")
    used: bool = Field(default=True, alias="usato", description="False when superseded by a newer return or unreadable")
