"""Step 7, after the final round: the draft Relazione sulla performance, the evaluator's validation
dossier, and the open-data tables for Amministrazione trasparente, all from the returned sheets.
"""
