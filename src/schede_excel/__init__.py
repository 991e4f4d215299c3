"""schede-excel: the objective sheets (schede obiettivi) of an Italian municipality's performance plan.

Plan in YAML -> one workbook per sector in the familiar layout -> e-mailed -> returned workbooks
read back, checked, scored and consolidated. See README.md.
"""

__version__ = "0.1.0"
