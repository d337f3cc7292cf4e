"""The `scv` command: one CLI over every part of the project (see scv/cli.py)."""

__version__ = "0.1.0"
