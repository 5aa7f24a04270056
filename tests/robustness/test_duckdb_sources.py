"""A DuckDB database as the data source: tables are found the way DuckDB names them (identifiers are
case-insensitive), and tables the loader leaves out are named, also when validation fails."""
from __future__ import annotations

from pathlib import Path

import duckdb

from data.load import load_tables
from tests.robustness.conftest import invoke


def _database(path: Path, parquet_dir: Path, names: dict[str, str]) -> Path:
    with duckdb.connect(str(path)) as con:
        for table, stored_as in names.items():
            if "." in stored_as:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {stored_as.split('.')[0]}")
            con.execute(f"CREATE TABLE {stored_as} AS SELECT * FROM read_parquet('{parquet_dir / f'{table}.parquet'}')")
    return path


def test_tables_named_in_another_case_are_the_contract_tables(saas_parquet_dir: Path, tmp_path: Path) -> None:
    database = _database(tmp_path / "crm.duckdb", saas_parquet_dir,
                         {"accounts": "Accounts", "offers": "OFFERS", "subscriptions": "subscriptions"})
    tables = load_tables(database)  # before: 'accounts: required table present' broken
    assert set(tables.tables) == {"accounts", "offers", "subscriptions"}


def test_tables_left_out_are_named_even_when_validation_fails(saas_parquet_dir: Path, tmp_path: Path) -> None:
    database = _database(tmp_path / "source.duckdb", saas_parquet_dir,
                         {"accounts": "crm.accounts", "offers": "offers"})
    result = invoke("validate", "--data", database)
    assert result.exit_code == 1, result.output
    assert "accounts: rule 'required table present' broken" in result.output
    assert "note: ignored table(s) not in the contract: crm.accounts" in result.output


def test_a_misnamed_file_is_named_when_the_table_is_missing(saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "Accounts.parquet").write_bytes((saas_parquet_dir / "accounts.parquet").read_bytes())
    result = invoke("validate", "--data", data)
    assert result.exit_code == 1, result.output
    assert "note: ignored file(s) not in the contract: Accounts.parquet" in result.output
