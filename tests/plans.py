"""Small plans built inline for tests, in the plan file's own (Italian) keys."""

from __future__ import annotations

import copy

import yaml

SMALL = {
    "ente": "Borgo Prova",
    "anno": 2023,
    "triennio": "2023-2025",
    "verifica_intermedia": "30/06/2023",
    "verifica_finale": "31/12/2023",
    "righe_personale": 4,
    "settori": [
        {"codice": "FIN", "nome": "FINANZIARIO", "responsabile": "DR. MARIO ROSSI", "email": "fin@comune.borgoprova.it"},
        {"codice": "PM", "nome": "POLIZIA MUNICIPALE", "responsabile": "", "email": "pm@comune.borgoprova.it"},
        {"codice": "SEG", "nome": "SEGRETARIO COMUNALE", "responsabile": "DR.SSA ANNA BIANCHI",
         "email": "segretario@comune.borgoprova.it", "valutazione_diretta": True},
    ],
    "obiettivi": [
        {"settore": "TUTTI", "numero": 1, "peso": 30, "titolo": "TRASPARENZA",
         "descrizione": "Obiettivo trasversale a tutti i settori.",
         "fasi": [{"descrizione": "Formazione", "mesi": [3, 4]}, {"descrizione": "Monitoraggio", "mesi": [6, 12]}],
         "indicatori": {
             "quantita": [{"descrizione": "% dipendenti formati", "atteso": "90%"}],
             "tempo": [{"descrizione": "dichiarazioni dei responsabili", "atteso": "31-gen"},
                       {"descrizione": "relazione finale", "atteso": "31/12/2023"}],
             "qualita": [{"descrizione": "conformità pubblicazioni", "atteso": "100%"}],
         }},
        {"settore": "FIN", "numero": 1, "peso": 40, "titolo": "RENDICONTO",
         "descrizione": "Approvazione nei termini.",
         "fasi": [{"descrizione": "Predisposizione", "mesi": [1, 2, 3]}],
         "indicatori": {
             "quantita": [{"descrizione": "report di confronto", "atteso": "mensile"},
                          {"descrizione": "domande rigettate", "atteso": "nessuna"}],
             "tempo": [{"descrizione": "verifica della proposta", "atteso": "30gg"},
                       {"descrizione": "invio report flussi", "atteso": "entro il 5 del mese"}],
             "costo": [{"descrizione": "spesa per consulenze", "atteso": "1.000"}],
             "qualita": [{"descrizione": "solleciti", "atteso": "tempestivi"}],
         }},
        {"settore": "FIN", "numero": 2, "peso": 30, "titolo": "TRIBUTI",
         "fasi": [{"descrizione": "Avvio", "mesi": [5]}],
         "indicatori": {"quantita": [{"descrizione": "LPU gestiti", "atteso": "4"}]}},
        {"settore": "PM", "numero": 1, "peso": 70, "titolo": "SICUREZZA URBANA",
         "fasi": [{"descrizione": "Pattugliamenti", "mesi": list(range(1, 13))}],
         "indicatori": {"tempo": [{"descrizione": "avvio bandi", "atteso": "giugno"}]}},
        {"settore": "SEG", "numero": 1, "peso": 100, "titolo": "CONTROLLI INTERNI",
         "fasi": [{"descrizione": "Controlli semestrali", "mesi": [4, 10]}]},
    ],
}


def small_plan_data(**changes) -> dict:
    """A deep copy of the small plan, with top-level keys replaced by `changes`."""
    data = copy.deepcopy(SMALL)
    data.update(changes)
    return data


def as_yaml(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
