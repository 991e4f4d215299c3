"""Step 6, the report: the municipality-wide summary workbook, the exports and the annex of results (`consolidate`)."""
