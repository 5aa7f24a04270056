"""`--changed-only` across file types: a scored list read from parquet one night and from CSV the
next compares equal where nothing changed, even when a text column (capacity_note,
suppression_reason) is empty on every row and CSV alone cannot tell it is text."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.export.changes import row_hashes
from pipeline.export.files import write_csv
from pipeline.export.scored_list import read_scored_list
from tests.pipeline.conftest import make_scored_list


def _night(as_of: str) -> pd.DataFrame:
    frame = make_scored_list(4, as_of=as_of)
    frame["suppression_reason"] = pd.Series([None] * 4, dtype="str")
    frame["capacity_note"] = pd.Series([None] * 4, dtype="str")
    return frame


def _export(scores: Path, out: Path) -> str:
    result = CliRunner().invoke(app, ["export", "--scores", str(scores), "--target", "csv", "--out", str(out),
                                      "--changed-only"])
    assert result.exit_code == 0, result.output
    return result.output


def test_parquet_then_csv_night_exports_no_change(tmp_path: Path) -> None:
    first = tmp_path / "night1.parquet"
    _night("2026-11-20").to_parquet(first, index=False)
    second = tmp_path / "night2.csv"
    write_csv(_night("2026-11-21"), second)
    out = tmp_path / "crm.csv"
    assert "4 new" in _export(first, out)
    assert "0 new, 0 changed, 4 unchanged" in _export(second, out)


def test_empty_text_columns_hash_alike_from_either_file(tmp_path: Path) -> None:
    frame = _night("2026-11-20")
    frame.loc[1, "capacity_note"] = "account_manager at weekly capacity"
    frame.to_parquet(tmp_path / "s.parquet", index=False)
    write_csv(frame, tmp_path / "s.csv")
    from_parquet, from_csv = read_scored_list(tmp_path / "s.parquet"), read_scored_list(tmp_path / "s.csv")
    assert row_hashes(from_parquet).tolist() == row_hashes(from_csv).tolist()
    # an all-empty text column read as float (a reader that did not know it is text) still hashes alike
    as_float = from_parquet.assign(suppression_reason=float("nan"))
    assert row_hashes(as_float).tolist() == row_hashes(from_parquet).tolist()
    # and a real change is still seen
    assert row_hashes(from_csv.assign(capacity_note="x")).tolist() != row_hashes(from_parquet).tolist()


def test_formula_quoted_cells_compare_as_the_text_they_quote(tmp_path: Path) -> None:
    frame = _night("2026-11-20")
    frame.loc[0, "reason_1"] = "=HYPERLINK(x)"
    frame.loc[2, "capacity_note"] = "+1 seat over quota"
    frame.to_parquet(tmp_path / "s.parquet", index=False)
    write_csv(frame, tmp_path / "s.csv")
    from_csv = read_scored_list(tmp_path / "s.csv")
    assert from_csv.loc[0, "reason_1"] == "'=HYPERLINK(x)"  # the file keeps its quote
    assert row_hashes(read_scored_list(tmp_path / "s.parquet")).tolist() == row_hashes(from_csv).tolist()
    # a quote that guards nothing is the text itself
    assert row_hashes(frame.assign(reason_3="'plain")).tolist() != row_hashes(frame.assign(reason_3="plain")).tolist()
