"""A scored list handed back as CSV (re-saved by a spreadsheet): dates must be ISO 8601, not guessed
(01/07/2026 is not quietly 7 January), and text columns keep their spelling (a run_id of digits)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.export import read_scored_list
from tests.pipeline.conftest import make_scored_list
from tests.robustness.conftest import invoke


def test_day_first_dates_are_refused(tmp_path: Path) -> None:
    frame = make_scored_list(3).assign(as_of="01/07/2026")  # 1 July to its author, 7 January to a guesser
    scores = tmp_path / "scores.csv"
    frame.to_csv(scores, index=False)
    result = invoke("export", "--scores", scores, "--target", "csv", "--out", tmp_path / "out.csv")
    assert result.exit_code == 1, result.output  # before: exported with as_of read month first
    assert "column 'as_of': rule 'ISO 8601 date/time' broken" in result.output
    assert not (tmp_path / "out.csv").exists()


def test_text_columns_keep_their_spelling(tmp_path: Path) -> None:
    frame = make_scored_list(3).assign(run_id="0012345678901234", model_version="010")
    scores = tmp_path / "scores.csv"
    frame.to_csv(scores, index=False)
    read = read_scored_list(scores)
    assert read["run_id"].tolist() == ["0012345678901234"] * 3  # before: 12345678901234 (an integer)
    assert read["model_version"].tolist() == ["010"] * 3
