"""Small source tables copied into the engine before a multi-cutoff build, so that joining them to
every cutoff uses every core.

Accounts, plan periods, purchases, tickets and offers are joined to every later cutoff (or to
every cutoff whose window holds them), so a training set of 12 snapshots repeats their rows up to
12 times and aggregates the result. DuckDB scans a parquet file with one thread per row group,
and pandas and pyarrow write up to 1,048,576 rows per row group: a typical tickets or plan-periods
file is one row group, and the join and aggregation fed by its scan then ran on one core (12
cutoffs at 100k accounts: the support partial took 1.3 s on one core, 0.75 s after a 0.2 s copy).
A copy in DuckDB's own storage is scanned in parallel whatever the file's layout.

Only tables whose copy is small next to DuckDB's memory limit are copied (``STAGE_SHARE`` of it
each, at about 8 bytes a value), so a large build does not trade memory for it; larger tables
span several row groups anyway. Tables DuckDB already stores (CSV input, frames) are scanned in
parallel as they are. A single cutoff copies nothing: each row meets one cutoff, and the copy
would cost about what it saves. Results are identical either way.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import ibis.expr.operations as ops
import ibis.expr.types as ir
import pandas as pd

from data.duckdb_connection import memory_limit_bytes
from data.tables import Tables

# The sources joined to many cutoffs (usage is read through a 60-day window: each row meets one
# or two monthly cutoffs, and the file is large).
STAGED_SOURCES: tuple[str, ...] = ("accounts", "subscriptions", "purchases", "support_tickets", "offers")
STAGE_SHARE = 0.05
_BYTES_PER_VALUE = 8


def worth_staging(rows: int, columns: int, limit: int | None, n_cutoffs: int) -> bool:
    """Whether a table of ``rows`` x ``columns`` is copied before a build at ``n_cutoffs`` cutoffs
    on an engine with ``limit`` bytes of memory (None: not DuckDB, or unknown: never)."""
    return n_cutoffs > 1 and limit is not None and rows * columns * _BYTES_PER_VALUE <= limit * STAGE_SHARE


@contextmanager
def staged_inputs(tables: Mapping[str, ir.Table], cutoffs: Sequence[pd.Timestamp],
                  store: Callable[[ir.Table], ir.Table] | None = None) -> Iterator[Mapping[str, ir.Table]]:
    """``tables`` with the small fan-out sources (``STAGED_SOURCES``) replaced by stored copies.

    ``store`` keeps a copy and returns it (default ``Table.cache``, released when the block ends;
    a caller-provided store, such as ``features.scratch``, drops its copies itself). Other tables,
    and every table on a backend without a DuckDB memory limit, are passed through unchanged.
    """
    names = [n for n in STAGED_SOURCES if n in tables]
    backend = tables[names[0]].get_backend() if names and len(cutoffs) > 1 else None
    limit = memory_limit_bytes(backend) if backend is not None and backend.name == "duckdb" else None
    staged: dict[str, ir.Table] = {}
    cached: list[ir.Table] = []
    try:
        for name in names if limit is not None else ():
            table = tables[name]
            if _stored_by_duckdb(table) or not worth_staging(int(table.count().to_pyarrow().as_py()), len(table.columns), limit, len(cutoffs)):
                continue
            if store is not None:
                staged[name] = store(table)
            else:
                staged[name] = table.cache()
                cached.append(staged[name])
        yield _replaced(tables, staged)
    finally:
        for table in cached:
            table.release()


def _stored_by_duckdb(table: ir.Table) -> bool:
    """Whether ``table`` is a table in DuckDB's own storage (not a view over files)."""
    op = table.op()
    if not isinstance(op, ops.DatabaseTable):
        return False
    raw = table.get_backend().con  # type: ignore[attr-defined]
    found = raw.execute("SELECT database_name, schema_name FROM duckdb_tables() WHERE table_name = ?",
                        [op.name]).fetchall()
    catalog, database = op.namespace.catalog, op.namespace.database
    return any(catalog in (None, db) and database in (None, schema) for db, schema in found)


def _replaced(tables: Mapping[str, ir.Table], staged: Mapping[str, ir.Table]) -> Mapping[str, ir.Table]:
    """``tables`` with ``staged`` in place of the same names, keeping its type (``Tables`` or a mapping)."""
    if not staged:
        return tables
    if isinstance(tables, Tables):
        return dataclasses.replace(tables, tables={**tables.tables, **staged})
    return {name: staged.get(name, table) for name, table in tables.items()}
