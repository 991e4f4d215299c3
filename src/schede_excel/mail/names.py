"""The names of the files and folders `schede send` and `schede ricevi` look for and write.

Apart from the code that uses them, so the commands' help can quote them without loading it.
"""

CONFIG_FILE = "schede-mail.toml"
"""Name of the configuration file looked for in the current folder."""

LOG_FILE = "invii.jsonl"
"""Name of the send log in the workbooks' folder."""

DRAFTS_DIR = "bozze"
"""Folder, inside the workbooks' folder, where a dry run writes its .eml files."""
