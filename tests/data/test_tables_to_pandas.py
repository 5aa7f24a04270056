"""``Tables.to_pandas`` goes through Arrow on DuckDB; it must hand pandas what ibis' conversion did."""
from __future__ import annotations

from pathlib import Path

import ibis
import pandas as pd
import pytest

from data.load import load_tables
from data.tables import Tables
from tests.data.conftest import valid_frames, write_dir


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_every_contract_table_matches_ibis_conversion(tmp_path: Path, fmt: str) -> None:
    frames = valid_frames()
    frames["support_tickets"]["csat"] = pd.array([None, 4], dtype="Int64")  # an int column with a null
    tables = load_tables(write_dir(frames, tmp_path / fmt, fmt))
    for name in tables:
        pd.testing.assert_frame_equal(tables.to_pandas(name), tables.con.to_pandas(tables[name]), obj=name)


def test_columns_subset_keeps_table_order() -> None:
    tables = load_tables_from_memory()
    got = tables.to_pandas("accounts", columns=["owner_id", "account_id", "not_a_column"])
    assert list(got.columns) == ["account_id", "owner_id"]
    assert got["account_id"].tolist() == ["A1", "A2"]


def test_dates_come_back_as_timestamps_not_python_dates() -> None:
    con = ibis.duckdb.connect()
    con.raw_sql("CREATE TABLE src_offers AS SELECT 'O1' AS offer_id, DATE '2026-01-02' AS reenter_at "
                "UNION ALL SELECT 'O2', NULL")
    tables = Tables(con=con, tables={"offers": con.table("src_offers")})
    got = tables.to_pandas("offers")
    assert got["reenter_at"].dtype == "datetime64[s]"
    assert got["reenter_at"].iloc[0] == pd.Timestamp("2026-01-02") and pd.isna(got["reenter_at"].iloc[1])
    pd.testing.assert_frame_equal(got, con.to_pandas(tables["offers"]))


def test_an_all_null_int_column_is_float_nan_not_python_none() -> None:
    """ibis hands back an object column of None here; Arrow's float64 NaN is what pandas code expects."""
    frames = valid_frames()
    frames["support_tickets"]["csat"] = pd.array([None, None], dtype="Int64")
    got = Tables.from_frames(frames).to_pandas("support_tickets")["csat"]
    assert got.dtype == "float64" and got.isna().all()


def load_tables_from_memory() -> Tables:
    return Tables.from_frames(valid_frames())
