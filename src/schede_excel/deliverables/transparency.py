"""The open-data tables for Amministrazione trasparente (D.Lgs. 33/2013, art. 10 and 20).

Results per objective and per sector, the distribution of the assessments (objectives and people
in each band, per sector and per staff category) and the degree of differentiation, as CSV for
an Italian Excel, JSON, one ODS workbook, and a Frictionless data package (CC-BY 4.0, Italian
title and description). People appear only in aggregate unless `names=True` (where the office's
SMVP provides for publishing individual results).
"""

from __future__ import annotations

import io
from statistics import mean, pstdev

import pandas as pd

from ..exports import Column, Kind, export_files, resource_name
from ..italian import SCORE_DECIMALS
from .results import RoundResults

BANDS = ("raggiunto", "parzialmente raggiunto", "non raggiunto", "non valutabile")
MIN_GROUP = 3
"""People are counted only in groups of at least this many: a group of one would publish that person's band."""
HIDDEN = f"meno di {MIN_GROUP} persone: dato non pubblicato"
SCORE = dict(kind=Kind.NUMBER, decimals=SCORE_DECIMALS, unit="punti su 100")
SCHEMAS: dict[str, list[Column]] = {
    "Risultati obiettivi": [Column("settore", description="codice del settore"), Column("nome_settore"),
                            Column("obiettivo", description="chiave dell'obiettivo: settore/numero"), Column("titolo"),
                            Column("trasversale", description="Sì per gli obiettivi comuni a tutti i settori"),
                            Column("peso", Kind.INTEGER), Column("punteggio", **SCORE), Column("fascia")],
    "Risultati settori": [Column("settore"), Column("nome_settore"), Column("schede_attese", Kind.INTEGER),
                          Column("schede_restituite", Kind.INTEGER), Column("punteggio", **SCORE), Column("fascia")],
    "Distribuzione": [Column("oggetto", description="obiettivi oppure personale"),
                      Column("settore", description="TOTALE per l'ente"),
                      Column("categoria", description="categoria o area del personale; TUTTE per il totale"),
                      Column("fascia"), Column("numero", Kind.INTEGER), Column("quota", Kind.PERCENT, 1),
                      Column("nota", description=f"gruppi di personale con meno di {MIN_GROUP} persone non pubblicati")],
    "Differenziazione": [Column("oggetto"), Column("settore"), Column("valutati", Kind.INTEGER),
                         Column("media", **SCORE), Column("deviazione_standard", **SCORE), Column("minimo", **SCORE),
                         Column("massimo", **SCORE),
                         Column("quota_fascia_alta", Kind.PERCENT, 1, "quota dei valutati nella fascia «raggiunto»"),
                         Column("nota")],
    "Valutazioni individuali": [Column("settore"), Column("cognome_e_nome"), Column("categoria"),
                                Column("punteggio", **SCORE), Column("fascia")],
}


def transparency_tables(results: RoundResults, *, names: bool = False) -> dict[str, pd.DataFrame]:
    """The open-data tables; without `names` no person's name appears anywhere."""
    evaluation, plan = results.evaluation, results.plan
    from ..scoring.evaluate import band

    sectors = {s.code: s for s in plan.sectors}
    objectives = pd.DataFrame([{
        "settore": o.sector, "nome_settore": sectors[o.sector].name, "obiettivo": o.objective, "titolo": o.title,
        "trasversale": "Sì" if o.cross_cutting else "No", "peso": o.weight, "punteggio": o.score, "fascia": o.band}
        for o in evaluation.objectives], columns=[c.name for c in SCHEMAS["Risultati obiettivi"]])
    sector_rows = pd.DataFrame([{
        "settore": s.sector, "nome_settore": s.name, "schede_attese": s.expected, "schede_restituite": s.returned,
        "punteggio": s.score, "fascia": s.band} for s in evaluation.sectors],
        columns=[c.name for c in SCHEMAS["Risultati settori"]])
    people = [(p.sector, p.category or "non indicata", p.score, band(p.score, plan.scoring)) for p in evaluation.people]
    distribution, spread = [], []

    def count(what: str, sector: str, category: str, bands: list[str]) -> None:
        total = len(bands)
        hidden = what == "personale" and total < MIN_GROUP and not names
        for name in BANDS:
            n = sum(1 for b in bands if b == name)
            distribution.append({"oggetto": what, "settore": sector, "categoria": category, "fascia": name,
                                 "numero": None if hidden else n, "quota": None if hidden or not total else n / total,
                                 "nota": HIDDEN if hidden else ""})

    def differentiation(what: str, sector: str, scores: list[float | None], bands: list[str]) -> None:
        values = [s for s in scores if s is not None]
        if what == "personale" and len(values) < MIN_GROUP and not names:
            spread.append({"oggetto": what, "settore": sector, "valutati": None, "media": None,
                           "deviazione_standard": None, "minimo": None, "massimo": None, "quota_fascia_alta": None,
                           "nota": HIDDEN})
            return
        spread.append({"nota": "", "oggetto": what, "settore": sector, "valutati": len(values),
                       "media": mean(values) if values else None,
                       "deviazione_standard": pstdev(values) if len(values) > 1 else (0.0 if values else None),
                       "minimo": min(values) if values else None, "massimo": max(values) if values else None,
                       "quota_fascia_alta": (sum(b == "raggiunto" for b in bands) / len(values)) if values else None})

    objectives_of: dict[str, list] = {"TOTALE": list(evaluation.objectives)}
    staff_of: dict[str, list] = {"TOTALE": people}
    for o in evaluation.objectives:  # grouped once: a scan of every objective per sector grows as N x sectors
        objectives_of.setdefault(o.sector, []).append(o)
    for p in people:
        staff_of.setdefault(p[0], []).append(p)
    for code in ["TOTALE", *sectors]:
        own = objectives_of.get(code, [])
        count("obiettivi", code, "TUTTE", [o.band for o in own])
        differentiation("obiettivi", code, [o.score for o in own], [o.band for o in own])
        staff = staff_of.get(code, [])
        if staff:
            count("personale", code, "TUTTE", [p[3] for p in staff])
            differentiation("personale", code, [p[2] for p in staff], [p[3] for p in staff])
            by_category: dict[str, list[str]] = {}
            for p in staff:
                by_category.setdefault(p[1], []).append(p[3])
            for category in sorted(by_category):
                count("personale", code, category, by_category[category])
    tables = {"Risultati obiettivi": objectives, "Risultati settori": sector_rows,
              "Distribuzione": pd.DataFrame(distribution, columns=[c.name for c in SCHEMAS["Distribuzione"]]),
              "Differenziazione": pd.DataFrame(spread, columns=[c.name for c in SCHEMAS["Differenziazione"]])}
    if names:
        tables["Valutazioni individuali"] = pd.DataFrame([{
            "settore": p.sector, "cognome_e_nome": p.name, "categoria": p.category, "punteggio": p.score,
            "fascia": band(p.score, plan.scoring)} for p in evaluation.people],
            columns=[c.name for c in SCHEMAS["Valutazioni individuali"]])
    return tables


def transparency_files(results: RoundResults, *, names: bool = False) -> dict[str, bytes]:
    """Every file of the open-data folder: CSV and JSON per table, the ODS workbook, datapackage.json."""
    plan = results.plan
    tables = transparency_tables(results, names=names)
    title = f"Risultati del Piano della performance {plan.year} - Comune di {plan.entity}"
    description = (f"Risultati della verifica {'finale' if results.evaluation.round == 'final' else 'intermedia'} "
                   f"degli obiettivi del Piano della performance {plan.year} del Comune di {plan.entity}: punteggi "
                   "per obiettivo e per settore, distribuzione delle valutazioni per fascia e grado di "
                   "differenziazione" + ("." if names else "; il personale è indicato solo in forma aggregata."))
    files = export_files(tables, SCHEMAS, title=title, description=description)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="odf") as writer:
        for name, frame in tables.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
    files[f"{resource_name(title)}.ods"] = buffer.getvalue()
    return files
