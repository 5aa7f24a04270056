"""`upsell outcomes import` into data it cannot merge into: a message naming what is wrong,
exit 1, no traceback, and the data directory untouched."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.robustness.conftest import copy_of, invoke


def _outcome_file(tmp_path: Path, data: Path) -> Path:
    offers = pd.read_parquet(data / "offers.parquet") if (data / "offers.parquet").is_file() else \
        pd.read_csv(data / "offers.csv", dtype=str)
    path = tmp_path / "crm.csv"
    path.write_text(f"offer_id,outcome,outcome_at,revenue\n{offers['offer_id'].iloc[0]},accepted,2026-07-01,1200\n")
    return path


def _snapshot(data: Path) -> dict[str, bytes]:
    return {p.relative_to(data).as_posix(): p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("header, rule", [("customer_key", "required column present"),
                                          ("Account_ID", "column name spelt as in the contract")])
def test_accounts_without_account_id(saas_csv_dir: Path, tmp_path: Path, header: str, rule: str) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    accounts = pd.read_csv(data / "accounts.csv", dtype=str).rename(columns={"account_id": header})
    accounts.to_csv(data / "accounts.csv", index=False)
    crm = _outcome_file(tmp_path, data)
    before = _snapshot(data)
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # before: KeyError traceback
    assert f"accounts.account_id: rule '{rule}'" in result.output
    assert header in result.output
    assert _snapshot(data) == before


def test_offers_without_offer_type(saas_csv_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    crm = _outcome_file(tmp_path, data)
    pd.read_csv(data / "offers.csv", dtype=str).drop(columns=["offer_type"]).to_csv(data / "offers.csv", index=False)
    before = _snapshot(data)
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "offers.offer_type: rule 'required column present'" in result.output
    assert _snapshot(data) == before


def test_offers_stored_as_part_files(saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    crm = _outcome_file(tmp_path, data)
    offers = pd.read_parquet(data / "offers.parquet")
    (data / "offers.parquet").unlink()
    (data / "offers.parquet").mkdir()
    offers.to_parquet(data / "offers.parquet" / "part-0.parquet", index=False)
    before = _snapshot(data)
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 1, result.output
    assert "offers table is a directory" in result.output
    assert _snapshot(data) == before


def test_duckdb_database_is_named_as_such(saas_parquet_dir: Path, tmp_path: Path) -> None:
    database = tmp_path / "crm.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(f"CREATE TABLE offers AS SELECT * FROM read_parquet('{saas_parquet_dir / 'offers.parquet'}')")
    crm = _outcome_file(tmp_path, saas_parquet_dir)
    result = invoke("outcomes", "import", crm, "--data", database)
    assert result.exit_code == 1, result.output
    assert "not a database" in result.output  # before: "expected a data directory or a DuckDB file"
