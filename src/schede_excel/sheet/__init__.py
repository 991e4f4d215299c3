"""Step 2, the sheet: where every field sits (`layout`), the live formulas, the writer, `generate`,
and `migrate`, which reads last year's hand-made sheets in the same layout back into a plan.
"""
