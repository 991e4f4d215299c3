"""`python -m schede_excel` runs the `schede` command."""

from .cli import main

main()
