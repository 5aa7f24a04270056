"""What is wrong with a playbook, and where: one ``PlaybookIssue`` per problem found.

Every problem names the file, the key path inside the YAML (``actions.am_upgrade_call.owner``)
and, when the loader knows it, the line, so a revenue-ops lead can jump straight to it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from data.errors import UpsellError

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class PlaybookIssue:
    """One finding of the loader or the linter."""

    severity: Severity
    key: str
    message: str
    file: str = "<playbook>"
    line: int | None = None

    def render(self) -> str:
        """``file:line: severity: key: message`` — the format editors and CI logs understand."""
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        key = self.key or "<top level>"
        return f"{where}: {self.severity}: {key}: {self.message}"


class PlaybookError(UpsellError):
    """A playbook that cannot be loaded or executed. ``issues`` lists every error found."""

    def __init__(self, issues: list[PlaybookIssue]) -> None:
        self.issues = list(issues)
        n = len(self.issues)
        head = f"playbook has {n} error{'s' if n != 1 else ''}:"
        super().__init__("\n".join([head, *("  " + i.render() for i in self.issues)]))


KeyPath = tuple[str | int, ...]


def key_text(path: KeyPath) -> str:
    """``('actions', 'am_call', 'owner')`` → ``actions.am_call.owner``; list items as ``triggers[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass(frozen=True)
class SourceMap:
    """Where each key of a playbook sits in its YAML file, so issues can name the line."""

    file: str = "<playbook>"
    lines: dict[KeyPath, int] | None = None

    def line(self, path: KeyPath) -> int | None:
        """Line of the deepest part of ``path`` found in the file (None for unknown)."""
        lines = self.lines or {}
        for end in range(len(path), -1, -1):
            if path[:end] in lines:
                return lines[path[:end]]
        return None

    def known(self, path: KeyPath) -> KeyPath:
        """The longest prefix of ``path`` that exists in the file."""
        lines = self.lines or {}
        for end in range(len(path), 0, -1):
            if path[:end] in lines:
                return path[:end]
        return ()

    def issue(self, severity: Severity, path: KeyPath, message: str) -> PlaybookIssue:
        """A ``PlaybookIssue`` at ``path`` in this file."""
        return PlaybookIssue(severity, key_text(path), message, self.file, self.line(path))
