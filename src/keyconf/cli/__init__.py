"""Command-line surface. Thin on purpose: parse flags, hand over to keyconf.commands.*, map errors to exit
codes (`app`); the commands' declarations, by subject, in the modules beside it."""

from keyconf.cli import changes, clients, profiles, system  # noqa: F401 - each registers its commands
from keyconf.cli.app import cli, main

__all__ = ["cli", "main"]
