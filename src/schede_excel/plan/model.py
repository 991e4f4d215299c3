"""The plan model: plain, typed, frozen pydantic models.

Field names are English (see the glossary); each field has the Italian key used in plan files as
its alias, and an Italian description that editors show from the exported JSON Schema. A plan
is built from a file by `planfile.load_plan` or directly in code, with either names:

    Objective(sector="FIN", number=1, weight=25, title="SPORTELLO UNICO TELEMATICO")
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from enum import Enum
from functools import cached_property, lru_cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .targets import Target, TargetKind, parse_target

CROSS_CUTTING = "TUTTI"
"""Sector code of the cross-cutting objectives, which go into every sector's workbook."""

MAX_DUP_LINKS = 8


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, str_strip_whitespace=True)


def _italian_date(value):
    """Accept dd/mm/yyyy as well as ISO dates in plan files."""
    if isinstance(value, str) and (m := re.fullmatch(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*", value)):
        try:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            raise ValueError(f"la data {value.strip()} non esiste") from None
    if isinstance(value, datetime):
        return value.date()
    return value


class IndicatorKind(str, Enum):
    """The four blocks of INDICI DI RISULTATO, in the order the sheet shows them."""

    QUANTITY = "quantita"
    TIME = "tempo"
    COST = "costo"
    QUALITY = "qualita"

    @property
    def label(self) -> str:
        """The block's heading on the sheet."""
        return {"quantita": "Indici di Quantità", "tempo": "Indici di Tempo",
                "costo": "Indici di Costo", "qualita": "Indici di Qualità"}[self.value]


class Direction(str, Enum):
    HIGHER = "maggiore"
    LOWER = "minore"


@lru_cache(maxsize=None)
def _cached_target(text, year, kind, start, lower_is_better, cost) -> Target:
    return parse_target(text, year, kind=kind, start=start, lower_is_better=lower_is_better, cost=cost)


class Indicator(Model):
    """One result indicator: what is measured and its expected value (ATTESO) as written."""

    description: str = Field(alias="descrizione", description="Cosa si misura, come scritto nella scheda.")
    target: str = Field(alias="atteso", description="Valore atteso come scritto nella scheda: 95%, 4, 31-gen, 15/04/2023, giugno, 30gg, mensile, nessuna, entro i termini…")
    kind: TargetKind | None = Field(default=None, alias="tipo", description="Tipo dell'atteso, solo se il testo non basta (es. «sino» per un testo qualitativo).")
    better: Direction | None = Field(default=None, alias="migliore", description="«minore» se un valore più basso è migliore (predefinito per gli indici di costo).")
    start: date | None = Field(default=None, alias="dal", description="Per gli attesi periodici: data da cui si contano le scadenze (predefinita: 1° gennaio).")

    @field_validator("target", mode="before")
    @classmethod
    def _target_as_text(cls, value):
        # YAML reads `4` as an int and `2023-12-31` as a date; the sheet shows the text as written.
        if isinstance(value, bool):
            return "sì" if value else "no"
        if isinstance(value, date):
            return value.strftime("%d/%m/%Y")
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value) if isinstance(value, (int, float)) else value

    _start = field_validator("start", mode="before")(classmethod(lambda cls, v: _italian_date(v)))

    def parsed_target(self, year: int, *, cost: bool = False) -> Target:
        """The typed target; raises `TargetError` when the text is not an accepted form."""
        lower = None if self.better is None else self.better is Direction.LOWER
        return _cached_target(self.target, year, self.kind, self.start, lower, cost)


class Indicators(Model):
    """The four blocks of INDICI DI RISULTATO; a block may be empty."""

    quantita: tuple[Indicator, ...] = Field(default=(), description="Indici di Quantità")
    tempo: tuple[Indicator, ...] = Field(default=(), description="Indici di Tempo")
    costo: tuple[Indicator, ...] = Field(default=(), description="Indici di Costo")
    qualita: tuple[Indicator, ...] = Field(default=(), description="Indici di Qualità")

    def by_kind(self) -> list[tuple[IndicatorKind, tuple[Indicator, ...]]]:
        """The blocks in sheet order with their kind."""
        return [(kind, getattr(self, kind.value)) for kind in IndicatorKind]

    def __len__(self) -> int:
        return sum(len(block) for _, block in self.by_kind())


class Phase(Model):
    """A phase of implementation and the months (1-12) it is planned in."""

    description: str = Field(alias="descrizione", description="Descrizione della fase di attuazione.")
    months: tuple[int, ...] = Field(default=(), alias="mesi", description="Mesi del cronoprogramma in cui la fase è prevista, da 1 (gennaio) a 12 (dicembre).")


class Objective(Model):
    """One objective: one worksheet (scheda obiettivo)."""

    sector: str = Field(alias="settore", description="Codice del settore, oppure TUTTI per gli obiettivi trasversali.")
    number: int = Field(alias="numero", ge=1, description="Numero dell'obiettivo nel settore (Obiettivo strategico n°).")
    weight: int = Field(alias="peso", ge=0, le=100, description="PESO dell'obiettivo; i pesi di un settore, trasversali compresi, danno 100.")
    title: str = Field(alias="titolo", min_length=1, description="OBIETTIVO: il titolo, con l'eventuale nota «(seconda annualità)».")
    description: str = Field(default="", alias="descrizione", description="descrizione obiettivo: testo libero, anche lungo.")
    dup_links: tuple[str, ...] = Field(default=(), alias="dup", description="collegamento con Rel. Prev. Prog./DUP: fino a 8 voci.")
    phases: tuple[Phase, ...] = Field(default=(), alias="fasi", description="Descrizione delle fasi di attuazione, con i mesi del cronoprogramma.")
    indicators: Indicators = Field(default_factory=Indicators, alias="indicatori", description="INDICI DI RISULTATO per blocco: quantita, tempo, costo, qualita.")

    @property
    def key(self) -> str:
        """Identity within the plan: `FIN/1`, `TUTTI/2`."""
        return f"{self.sector}/{self.number}"

    @property
    def cross_cutting(self) -> bool:
        return self.sector == CROSS_CUTTING


class Sector(Model):
    """A sector (settore) and its head."""

    code: str = Field(alias="codice", pattern=r"^[A-Za-z0-9_-]{1,12}$", description="Codice breve del settore (es. FIN), usato negli obiettivi, nei nomi dei fogli e dei file.")
    name: str = Field(alias="nome", min_length=1, description="Nome del settore come appare nella scheda.")
    head: str = Field(default="", alias="responsabile", description="Responsabile di servizio (nome come appare nella scheda); può mancare.")
    email: str = Field(default="", alias="email", description="E-mail del responsabile, per l'invio del file.")
    direct_assessment: bool = Field(default=False, alias="valutazione_diretta", description="Vero per il Segretario comunale: schede senza indici, valutate direttamente, senza obiettivi trasversali.")


class ScoringPolicy(Model):
    """The scoring rules (SMVP) in force; defaults are those of SCORING.md."""

    late_zero_days: int = Field(default=90, alias="giorni_ritardo_zero", ge=1, description="Giorni di ritardo a cui il raggiungimento di una scadenza scende a 0.")
    value_weight: float = Field(default=50, alias="peso_valore", ge=0, description="Peso della media valore raggiunto nel punteggio dell'obiettivo.")
    time_weight: float = Field(default=50, alias="peso_tempi", ge=0, description="Peso della media rispetto dei tempi nel punteggio dell'obiettivo.")
    achieved_threshold: float = Field(default=90, alias="soglia_raggiunto", description="Da questo punteggio in su: raggiunto.")
    partial_threshold: float = Field(default=60, alias="soglia_parziale", description="Da questo punteggio in su (e sotto la soglia di raggiunto): parzialmente raggiunto.")
    sector_weights: dict[str, float] = Field(default_factory=dict, alias="pesi_settori", description="Pesi dei settori nel punteggio dell'ente (predefinito: uguali).")


class Plan(Model):
    """A municipality's plan of objectives for one year."""

    entity: str = Field(alias="ente", min_length=1, description="Nome dell'ente come appare nelle schede, es. «Caluso» (la scheda scrive «Comune di Caluso»).")
    year: int = Field(alias="anno", ge=2000, le=2100, description="Anno delle schede.")
    triennium: str = Field(default="", alias="triennio", description="Triennio del piano, es. 2023-2025.")
    title: str = Field(default="", alias="titolo", description="Titolo dell'allegato.")
    interim_review: date = Field(alias="verifica_intermedia", description="Data della verifica intermedia (VERIFICA INTERMEDIA AL).")
    final_review: date = Field(alias="verifica_finale", description="Data della verifica finale (VERIFICA FINALE AL).")
    staff_rows: int = Field(default=8, alias="righe_personale", ge=1, le=60, description="Righe per il PERSONALE COINVOLTO in ogni scheda.")
    sectors: tuple[Sector, ...] = Field(alias="settori", min_length=1, description="I settori con i responsabili.")
    objectives: tuple[Objective, ...] = Field(alias="obiettivi", min_length=1, description="Gli obiettivi, nell'ordine dell'allegato.")
    scoring: ScoringPolicy = Field(default_factory=ScoringPolicy, alias="punteggio", description="Regole di valutazione (SMVP); ogni valore è facoltativo.")

    _dates = field_validator("interim_review", "final_review", mode="before")(
        classmethod(lambda cls, v: _italian_date(v))
    )

    @property
    def plan_id(self) -> str:
        """A stable identifier for files and metadata, e.g. `caluso-2023`."""
        plain = unicodedata.normalize("NFKD", self.entity).encode("ascii", "ignore").decode()  # Città -> Citta
        slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "ente"
        return f"{slug}-{self.year}"

    def model_copy(self, *, update=None, deep: bool = False):  # type: ignore[override]
        """A copy; the lookups cached on this plan are dropped, since `update` may change what they index."""
        copied = super().model_copy(update=update, deep=deep)
        for name, member in vars(Plan).items():
            if isinstance(member, cached_property):
                copied.__dict__.pop(name, None)
        return copied

    def sector(self, code: str) -> Sector:
        """The sector with this code (the first, if the plan repeats it); KeyError if none."""
        return self._sector_index[code]

    def objective(self, key: str) -> Objective:
        """The objective with this key, e.g. `FIN/2` (the first, if the plan repeats it); KeyError if none."""
        return self._objective_index[key]

    def find_sector(self, code: str | None) -> Sector | None:
        """The sector with this code, or None: for codes read from a file, which may be anything."""
        return self._sector_index.get(code) if code is not None else None

    def find_objective(self, key: str | None) -> Objective | None:
        """The objective with this key, or None: for keys read from a file, which may be anything."""
        return self._objective_index.get(key) if key is not None else None

    @cached_property
    def _sector_index(self) -> dict[str, Sector]:
        return {code: sector for code, sector in reversed([(s.code, s) for s in self.sectors])}

    @cached_property
    def _objective_index(self) -> dict[str, Objective]:
        return {key: objective for key, objective in reversed([(o.key, o) for o in self.objectives])}

    def objectives_of(self, sector: Sector) -> list[Objective]:
        """The objectives a sector reports on: the cross-cutting ones, then its own (only its own for direct assessment)."""
        return list(self._reported[sector.code])

    def reports(self, sector_code: str, objective_key: str) -> bool:
        """True when the sector reports on that objective (its own or a cross-cutting one)."""
        return objective_key in self._reported_keys.get(sector_code, ())

    @cached_property
    def _reported_keys(self) -> dict[str, frozenset[str]]:
        return {code: frozenset(o.key for o in objectives) for code, objectives in self._reported.items()}

    @cached_property
    def _reported(self) -> dict[str, tuple[Objective, ...]]:
        shared = tuple(o for o in self.objectives if o.cross_cutting)
        own: dict[str, list[Objective]] = {s.code: [] for s in self.sectors}
        for objective in self.objectives:
            own.setdefault(objective.sector, []).append(objective)
        return {s.code: tuple(own[s.code]) if s.direct_assessment else shared + tuple(own[s.code])
                for s in self.sectors}
