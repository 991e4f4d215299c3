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

    kind: IndicatorKind = Field(alias="blocco")
    index: int = Field(alias="numero", description="1-based position within its block")
    description: str = Field(alias="descrizione")
    target: str = Field(alias="atteso", description="ATTESO as the plan writes it")
    achieved: Achieved = Field(default=None, alias="raggiunto",
                               description="fraction for percentages, number, date, or bool for Sì/No; None when blank")
    cell: str | None = Field(default=None, alias="cella")


class ReviewReturn(Record):
    """The texts of one review block (VERIFICA INTERMEDIA or FINALE)."""

    round: str = Field(alias="turno")
    causes: str = Field(default="", alias="cause")
    effects: str = Field(default="", alias="effetti")
    actions_taken: str = Field(default="", alias="intrapresi")
    actions_planned: str = Field(default="", alias="da_attivare")


class StaffReturn(Record):
    """A row of PERSONALE COINVOLTO NELL'OBIETTIVO."""

    name: str = Field(alias="nome")
    category: str = Field(default="", alias="categoria")
    participation: float | None = Field(default=None, alias="partecipazione", description="fraction: 50% is 0.5")
    cell: str | None = Field(default=None, alias="cella")


class ObjectiveReturn(Record):
    """Everything read from one objective's sheet in one returned file."""

    sector: str = Field(alias="settore", description="the reporting sector's code")
    objective: str = Field(alias="obiettivo", description="the objective's key, e.g. TUTTI/1 or FIN/2")
    round: str = Field(alias="turno")
    file: str = Field(alias="file")
    sheet: str = Field(alias="foglio")
    indicators: tuple[IndicatorReturn, ...] = Field(default=(), alias="indicatori")
    reviews: tuple[ReviewReturn, ...] = Field(default=(), alias="verifiche")
    staff: tuple[StaffReturn, ...] = Field(default=(), alias="personale")

    def review(self, round_: str) -> ReviewReturn | None:
        return next((r for r in self.reviews if r.round == round_), None)


class ReturnedFile(Record):
    """One file read (or not): its identity, what it held, and whether it counts."""

    path: str = Field(alias="file")
    sha256: str = Field(default="", alias="impronta")
    format: str = Field(default="", alias="formato")
    modified: datetime | None = Field(default=None, alias="modificato")
    sector: str | None = Field(default=None, alias="settore")
    round: str | None = Field(default=None, alias="turno")
    objectives: tuple[str, ...] = Field(default=(), alias="obiettivi")
    readable: bool = Field(default=True, alias="leggibile")
    used: bool = Field(default=True, alias="usato", description="False when superseded by a newer return or unreadable")
