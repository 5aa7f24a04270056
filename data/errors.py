"""Errors that mean "the user's input or configuration is wrong" (CLI exit code 1).

Anything raised as an ``UpsellError`` is shown to the user as its message alone, never as a
traceback, so messages must name what is wrong and where (table, column, rule, example rows;
file, key, line).
"""
from __future__ import annotations


class UpsellError(Exception):
    """Bad input, bad configuration or a failed check: the CLI prints it and exits 1."""


class DataContractError(UpsellError):
    """Input tables break the data contract. ``problems`` holds one entry per rule broken."""

    def __init__(self, message: str, problems: list[dict] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []
