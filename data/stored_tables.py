"""Source tables as DuckDB sees them where they are stored: parquet files and DuckDB database tables.

Opening a table reads only metadata (column types, row count): nothing is loaded into memory.
The SQL checks (``data.validate_sql``) and the served views read the rows from storage.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from data.contract import TABLE_NAMES
from data.sql_columns import literal, quote

_aliases = itertools.count(1)


@dataclass(frozen=True)
class StoredTable:
    """One contract table in storage, as SQL ``FROM`` items."""

    name: str
    scan: str  # reads the stored rows in storage order
    numbered_scan: str  # the same, with ``row_id`` numbering rows from 0 in storage order
    row_id: str
    columns: dict[str, str]  # stored column name → DuckDB type, in storage order
    n_rows: int
    where: str  # file or table name, for messages
    # the column names as the file spells them, when DuckDB renamed some (it reads ``account_id``
    # and ``Account_ID`` as ``account_id`` and ``Account_ID_1``): empty when ``columns`` has them
    spelt: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        """The stored column names as the user wrote them (for the shape rules)."""
        return list(self.spelt or self.columns)

    def read_df(self, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
        """All stored rows as pandas (the in-memory path for a database table)."""
        return con.execute(f"SELECT * FROM {self.scan}").df()


def open_parquet(con: duckdb.DuckDBPyConnection, name: str, file: Path) -> StoredTable:
    """A parquet file's schema and row count (from its footer); ``duckdb.Error`` when unreadable."""
    path = literal(str(file.resolve()))
    scan = f"read_parquet({path})"
    columns = _describe(con, scan)
    n_rows = con.execute(f"SELECT count(*) FROM {scan}").fetchall()[0][0]
    spelt = _footer_names(file)
    return StoredTable(name=name, scan=scan, numbered_scan=f"read_parquet({path}, file_row_number=true)",
                       row_id="file_row_number", columns=columns, n_rows=int(n_rows), where=file.name,
                       spelt=spelt if spelt and spelt != tuple(columns) else ())


def _footer_names(file: Path) -> tuple[str, ...]:
    """A parquet file's column names as written (empty when pyarrow cannot read the footer)."""
    try:
        return tuple(pq.read_schema(file).names)
    except Exception:  # noqa: BLE001 - DuckDB read it: its names stand
        return ()


def attach_database(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[dict[str, StoredTable], list[str]]:
    """Attach a DuckDB database file read-only: its contract tables, and a note on tables it ignores.

    Views in the database are left to the pandas path (they have no stable row ids).
    """
    alias = f"upsell_source_{next(_aliases)}"
    con.execute(f"ATTACH {literal(str(path.resolve()))} AS {quote(alias)} (READ_ONLY)")
    rows = con.execute(
        "SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_catalog = ?",
        [alias],
    ).fetchall()
    # DuckDB identifiers are case-insensitive: a table created as Accounts is the accounts table
    kinds = {name.lower(): (name, kind) for schema, name, kind in rows if schema == "main"}
    tables = {}
    for name in TABLE_NAMES:
        if name not in kinds:
            continue
        stored_name, kind = kinds[name]
        scan = f"{quote(alias)}.main.{quote(stored_name)}"
        columns = _describe(con, scan)
        n_rows = con.execute(f"SELECT count(*) FROM {scan}").fetchall()[0][0]
        numbered = scan if kind == "BASE TABLE" else ""
        tables[name] = StoredTable(name=name, scan=scan, numbered_scan=numbered, row_id="rowid",
                                   columns=columns, n_rows=int(n_rows), where=f"table {stored_name}")
    ignored = sorted((name if schema == "main" else f"{schema}.{name}")
                     for schema, name, _ in rows if schema != "main" or name.lower() not in TABLE_NAMES)
    notes = [f"ignored table(s) not in the contract: {', '.join(ignored)}"] if ignored else []
    return tables, notes


def _describe(con: duckdb.DuckDBPyConnection, scan: str) -> dict[str, str]:
    return {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()}
