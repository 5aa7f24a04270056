"""Nanosecond parquet timestamps reach microseconds by truncation on the DuckDB path, as on the
pandas path (numpy floors): an event at t - 1 ns happened before t and must stay before it."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data.load import load_tables, validate_source

NS = pd.Timedelta(nanoseconds=1)
T = pd.Timestamp("2026-03-10")
STORED = [T - NS, pd.Timestamp("1970-01-01") - NS, pd.Timestamp("1900-01-01") + 500 * NS, T + 999 * NS]
FLOORED = [pd.Timestamp("2026-03-09 23:59:59.999999"), pd.Timestamp("1969-12-31 23:59:59.999999"),
           pd.Timestamp("1900-01-01"), T]


@pytest.fixture(scope="module")
def ns_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ns")
    pd.DataFrame({"account_id": ["a1"], "created_at": pd.Series([T - NS], dtype="datetime64[ns]")}
                 ).to_parquet(root / "accounts.parquet")
    pd.DataFrame({"order_id": [f"o{i}" for i in range(4)], "account_id": ["a1"] * 4,
                  "ordered_at": pd.Series(STORED, dtype="datetime64[ns]"), "amount": [1.0] * 4}
                 ).to_parquet(root / "purchases.parquet")
    pd.DataFrame({"account_id": ["a1"], "usage_date": pd.Series([T - NS], dtype="datetime64[ns]"),
                  "metric": ["api"], "value": [1.0]}).to_parquet(root / "usage.parquet")
    return root


@pytest.mark.parametrize("in_memory", [False, True], ids=["duckdb", "pandas"])
def test_nanoseconds_are_truncated_not_rounded(ns_dir: Path, in_memory: bool) -> None:
    tables = load_tables(ns_dir, in_memory=in_memory)
    engine = "pandas" if in_memory else "duckdb"
    assert {c.engine for c in validate_source(ns_dir, in_memory=in_memory).frames.values()} == {engine}
    ordered = tables.tables["purchases"].order_by("order_id").to_pandas()["ordered_at"]
    assert list(ordered) == FLOORED, engine
    assert tables.tables["accounts"].to_pandas()["created_at"].iloc[0] < T
    # a date column floors the truncated instant: the day before t, not t
    assert tables.tables["usage"].to_pandas()["usage_date"].iloc[0] == T - pd.Timedelta(days=1)
