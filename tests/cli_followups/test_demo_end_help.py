"""`upsell demo --end` is exclusive, as the generator it is handed to: the help said "Last day of
history", but the data stop the day before."""
from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app

WIDE = {"COLUMNS": "400", "TERMINAL_WIDTH": "400"}


def test_demo_help_says_end_is_exclusive() -> None:
    result = CliRunner().invoke(app, ["demo", "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "Last day of history" not in result.output
    assert "exclusive: the data stop the day before" in result.output


def test_demo_hands_end_to_the_generator_which_stops_before_it(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_run_demo(out: Path, *, n_accounts: int, seed: int, end: date) -> str:
        seen.update(out=out, end=end)
        return "done"

    monkeypatch.setattr("pipeline.demo.run_demo", fake_run_demo)
    result = CliRunner().invoke(app, ["demo", "--end", "2026-03-01", "--out", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert seen["end"] == date(2026, 3, 1)

    frames = importlib.import_module("data.synthetic.generate").generate(
        "saas", 20, 7, date(2026, 3, 1), months=2, usage_interval_days=1)
    last = max(pd.to_datetime(frame[column]).max()
               for name, frame in frames.items() if name in ("subscriptions", "purchases", "usage", "offers")
               for column in ("started_at", "ordered_at", "usage_date", "offered_at") if column in frame.columns)
    assert pd.Timestamp("2026-02-28") <= last < pd.Timestamp("2026-03-01")
