"""Dates on the command line are YYYY-MM-DD only: '01/02/2026' is not quietly 2 January, and a
time of day is not quietly dropped. Bad usage → exit 2 naming the option on every command,
before any work."""
from __future__ import annotations

from pathlib import Path

import pytest
import typer

from pipeline.cli.dates import parse_day
from tests.robustness.conftest import invoke

NOT_DATES = ["01/02/2026", "30/06/2026", "2026-06-30T15:00", "2026-06-30 00:00:00", "June 30 2026",
             "2026-6-30", "20260630", "2026-02-30", ""]


@pytest.mark.parametrize("value", NOT_DATES)
def test_parse_day_refuses_other_spellings(value: str) -> None:
    with pytest.raises(typer.BadParameter, match="--as-of must be a date YYYY-MM-DD"):
        parse_day(value, "--as-of")


def test_parse_day_keeps_a_plain_date() -> None:
    assert parse_day("2026-06-30", "--as-of") == "2026-06-30"
    assert parse_day(" 2026-06-30 ", "--as-of") == "2026-06-30"


@pytest.mark.parametrize("command, code", [
    (["features", "--as-of", "01/02/2026", "--out", "{tmp}/f.parquet"], 2),
    (["train", "--as-of", "01/02/2026"], 2),
    (["backtest", "--as-of", "2026-02-01T12:00"], 2),
    (["review", "--as-of", "01/02/2026", "--out", "{tmp}/night"], 2),
    (["review", "--since", "1.2.2026", "--as-of", "2026-06-30", "--out", "{tmp}/night"], 2),
])
def test_commands_refuse_ambiguous_dates(command: list[str], code: int, saas_parquet_dir: Path,
                                         tmp_path: Path) -> None:
    args = [part.replace("{tmp}", str(tmp_path)) for part in command] + ["--data", str(saas_parquet_dir)]
    result = invoke(*args)
    assert result.exit_code == code, result.output
    assert "must be a date YYYY-MM-DD" in result.output
    assert list(tmp_path.iterdir()) == []  # refused before anything was written
