"""A table written as a directory without a suffix (``usage/part-0.parquet`` beside
``accounts.parquet``, as Spark writes ``df.write.parquet("usage")``) is not read, but not silently:
a note names the directory and the name to give it, and the advice works."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from data.load import load_tables, validate_source


def _data(root: Path, usage_dir: str) -> Path:
    root.mkdir()
    accounts = pd.DataFrame({"account_id": ["a1"], "created_at": [pd.Timestamp("2026-01-01")]})
    accounts.to_parquet(root / "accounts.parquet")
    (root / usage_dir).mkdir()
    pd.DataFrame({"account_id": ["a1"], "usage_date": [pd.Timestamp("2026-01-02")], "metric": ["api"],
                  "value": [3.0]}).to_parquet(root / usage_dir / "part-0.parquet")
    return root


def test_a_table_directory_without_suffix_is_named_in_a_note(tmp_path: Path) -> None:
    data = _data(tmp_path / "d", "usage")
    report = validate_source(data)
    assert report.ok and "usage" not in report.frames
    said = [n for n in report.notes if "usage/" in n]
    assert len(said) == 1 and "rename usage/ to usage.parquet/" in said[0], report.notes
    assert said == [n for n in load_tables(data).notes if "usage/" in n]


def test_renamed_as_the_note_says_the_table_is_read(tmp_path: Path) -> None:
    tables = load_tables(_data(tmp_path / "d", "usage.parquet"))
    assert tables.tables["usage"].to_pandas()["value"].tolist() == [3.0]
    assert not any("rename" in n for n in tables.notes)
