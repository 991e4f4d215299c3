"""`python -m schede_excel` runs the `schede` command."""

from .cli.main import main

main()
