"""Two columns whose names differ only in case (``account_id`` and ``Account_ID``) are refused on
every path: DuckDB would read the parquet file's second one as ``Account_ID_1`` and pass it as an
extra column, while the CSV path refuses it."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data.errors import DataContractError
from data.load import load_tables, validate_source

RULE = "column names differ by more than case"


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("table", ["accounts", "offers"])
def test_columns_differing_only_in_case_are_refused(tmp_path: Path, fmt: str, table: str) -> None:
    frames = {
        "accounts": pd.DataFrame({"account_id": ["A1"], "created_at": [pd.Timestamp("2026-01-01")]}),
        "offers": pd.DataFrame({"offer_id": ["f1"], "account_id": ["A1"], "offered_at": [pd.Timestamp("2026-02-01")],
                                "offer_type": ["upgrade"], "channel": ["email"], "outcome": ["pending"]}),
    }
    frames[table]["Account_ID"] = ["X"]
    for name, frame in frames.items():
        if fmt == "parquet":
            frame.to_parquet(tmp_path / f"{name}.parquet", index=False)
        else:
            frame.to_csv(tmp_path / f"{name}.csv", index=False)
    report = validate_source(tmp_path)
    assert [(p.table, p.rule, p.detail) for p in report.problems] == [
        (table, RULE, "found 'account_id' and 'Account_ID'; keep one of them")]
    assert not any("Account_ID_1" in note for note in report.notes)
    with pytest.raises(DataContractError, match=RULE):
        load_tables(tmp_path)
