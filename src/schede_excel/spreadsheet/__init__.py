"""Ground: reading any workbook safely (.xlsx, .xlsm, .ods; old .xls for migration), cell addresses, text wrapping.

Every step that meets a workbook stands on this: plan workbooks, returned sheets, the evaluator's
overrides. Nothing here knows the objective sheet's layout.
"""
