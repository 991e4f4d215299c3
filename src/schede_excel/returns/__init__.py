"""Step 4, the returns: each returned workbook identified, read, normalised and checked against the plan.

`importer.import_returns(plan, paths)` gives the records of `model` and every finding.
"""
