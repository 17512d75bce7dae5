"""Command bodies, one module per family; cli.py imports them only when the command runs."""
