"""Square brackets in help texts reach the reader: rich reads `[registry]` as markup and printed
"(default: .model_name)" for `upsell train --help` and `upsell champions --help`."""
from __future__ import annotations

import re

import typer
from typer.testing import CliRunner

from pipeline.cli import app

WIDE = {"COLUMNS": "400", "TERMINAL_WIDTH": "400"}  # one help line per option: nothing wrapped


def _commands(command, path: tuple[str, ...] = ()):  # typer's (vendored) click commands
    yield path, command
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))


def _bracketed(text: str) -> list[str]:
    """The ``[...]`` spans a reader should see (``\\[`` is rich's escaped bracket)."""
    return re.findall(r"\[[^\]\n]*\]", text.replace("\\[", "["))


def test_model_name_default_is_shown_in_full() -> None:
    for command in ("train", "champions"):
        result = CliRunner().invoke(app, [command, "--help"], env=WIDE)
        assert result.exit_code == 0, result.output
        assert "(default: [registry].model_name in the model settings)" in result.output, result.output


def test_every_bracket_in_every_help_text_is_printed() -> None:
    root = typer.main.get_command(app)
    checked = 0
    for path, command in _commands(root):
        texts = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
        wanted = [span for text in texts for span in _bracketed(text)]
        if not wanted:
            continue
        result = CliRunner().invoke(app, [*path, "--help"], env=WIDE)
        assert result.exit_code == 0, (path, result.output)
        for span in wanted:
            assert span in result.output, (path, span)
            checked += 1
    assert checked >= 2  # at least the two --model-name helps
