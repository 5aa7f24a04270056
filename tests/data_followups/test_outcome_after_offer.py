"""An offer's outcome may not be dated on a day before the offer; an outcome exported as a date
alone (midnight) on the offer's own day is kept, on the pandas path (CSV) and the DuckDB path
(parquet) alike."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data.load import validate_source

RULE = "outcome_at >= offered_at (same day allowed)"  # as users read it
OFFERED = [pd.Timestamp("2026-03-08 14:30"), pd.Timestamp("2026-03-08 14:30")]


def _validate(root: Path, fmt: str, outcome_at: list[pd.Timestamp]) -> tuple[list, str]:
    root.mkdir()
    frames = {
        "accounts": pd.DataFrame({"account_id": ["a1"], "created_at": [pd.Timestamp("2025-01-01")]}),
        "offers": pd.DataFrame({
            "offer_id": ["f1", "f2"], "account_id": ["a1", "a1"], "offered_at": OFFERED,
            "offer_type": ["upgrade"] * 2, "channel": ["email"] * 2, "outcome": ["accepted", "rejected"],
            "outcome_at": outcome_at}),
    }
    for name, frame in frames.items():
        if fmt == "parquet":
            frame.to_parquet(root / f"{name}.parquet", index=False)
        else:  # a CRM export: the outcome as a date alone when it is midnight
            if "outcome_at" in frame:
                frame = frame.assign(outcome_at=[f"{t:%Y-%m-%d}" if t == t.normalize() else f"{t}" for t in outcome_at])
            frame.to_csv(root / f"{name}.csv", index=False)
    report = validate_source(root)
    engine = report.frames["offers"].engine if "offers" in report.frames else ""
    return report.problems, engine


@pytest.mark.parametrize(("fmt", "engine"), [("parquet", "duckdb"), ("csv", "pandas")])
def test_an_outcome_a_day_before_its_offer_is_refused(tmp_path: Path, fmt: str, engine: str) -> None:
    problems, served_by = _validate(tmp_path / "d", fmt, [pd.Timestamp("2026-03-07 23:59"), pd.Timestamp("2026-03-09")])
    assert served_by == engine
    assert [(p.table, p.column, p.rule, p.n_rows) for p in problems] == [("offers", "outcome_at", RULE, 1)]
    assert list(problems[0].examples["offer_id"]) == ["f1"]


@pytest.mark.parametrize(("fmt", "engine"), [("parquet", "duckdb"), ("csv", "pandas")])
def test_an_outcome_dated_the_offers_day_is_kept(tmp_path: Path, fmt: str, engine: str) -> None:
    # f1: a date alone (midnight) on the day of its 14:30 offer; f2: earlier the same day
    problems, served_by = _validate(tmp_path / "d", fmt, [pd.Timestamp("2026-03-08"), pd.Timestamp("2026-03-08 09:00")])
    assert served_by == engine
    assert problems == []
