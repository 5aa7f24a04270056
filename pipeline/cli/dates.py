"""Dates on the command line: ``YYYY-MM-DD`` (``parse_day``), or ISO 8601 where an instant is
meant (``parse_instant``), and nothing else. Every command parses its dates here.

A lenient parser reads ``01/02/2026`` as 2 January (month first) and silently drops a time of
day, so a European ``--as-of 01/02/2026`` would train or score on the wrong night. Any other
spelling is bad usage (exit code 2) with a message naming the option.
"""
from __future__ import annotations

from datetime import date, datetime

import typer


def parse_day(value: str, flag: str) -> str:
    """``value`` checked to be a calendar date written ``YYYY-MM-DD``; returned as that text."""
    text = str(value).strip()
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"{flag} must be a date YYYY-MM-DD, got {value!r}") from None
    if len(text) != 10:  # strptime also takes 2026-6-30; insist on the one spelling
        raise typer.BadParameter(f"{flag} must be a date YYYY-MM-DD, got {value!r}")
    return day.isoformat()


def parse_date(value: str, flag: str) -> date:
    """``parse_day``'s date as a ``datetime.date`` (for callers that compute with it)."""
    return date.fromisoformat(parse_day(value, flag))


def parse_instant(value: str, flag: str) -> str:
    """``value`` checked to be ISO 8601: a date ``YYYY-MM-DD`` or a date and time
    (``2026-11-26T13:00``, ``2026-11-26 13:00:00+02:00``); returned as that text. ``01/11/2026`` is
    bad usage, never read as 11 January."""
    text = str(value).strip()
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{flag} must be a date YYYY-MM-DD or an ISO 8601 date and time "
                                 f"(2026-11-26T13:00:00+00:00), got {value!r}") from None
    return text
