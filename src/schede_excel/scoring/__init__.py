"""Step 5, scoring: indicators, the sheet's two averages, objectives, sectors, people and ente,
with the evaluator's overrides (`evaluate`, `overrides`).
"""
