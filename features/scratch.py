"""Where a multi-cutoff feature write keeps its partial results on DuckDB, and how it reads them back.

``write_feature_parquet`` stores the spine and every partial result here before the final query
joins them, and the copies of small source tables a multi-cutoff build makes first
(``features.staging``). Two decisions are made from their size against DuckDB's memory limit, so a small
build pays for neither and a large one does not spill gigabytes to disk:

* compression: once the stored partials would pass ``COMPRESS_SHARE`` of the limit, each store is
  followed by a checkpoint, which compresses them to about a quarter of their memory (12 cutoffs
  at 100k accounts: skipping it saves about 0.9 s of 11; at 1M accounts it keeps the peak RSS
  under 4 GB);
* one cutoff at a time: when the final result would pass ``PER_CUTOFF_SHARE`` of the limit, the
  final query is read one cutoff after another, each a join and sort of that cutoff's rows only,
  instead of one sort of every row that spills to disk (12 cutoffs at 1M accounts: the final
  stream took 35 s instead of 44 s). Below it one query is faster (at 100k accounts, 12 queries
  cost about 1 s more than one).

The file is byte-identical either way: the rows, their order and the row groups are the same.
"""
from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import ibis.expr.types as ir
import pandas as pd

from data.duckdb_connection import memory_limit_bytes

COMPRESS_SHARE = 0.25
PER_CUTOFF_SHARE = 0.5
NO_AUTOMATIC_CHECKPOINT = "1000 GiB"
_BYTES_PER_VALUE = 8  # a rough uncompressed size: numbers and timestamps are 8 bytes, ids a little more
_stores = itertools.count(1)


@dataclass
class ScratchStore:
    """An attached in-memory DuckDB database holding one write's spine and partial results."""

    backend: object
    database: str
    cutoffs: tuple[pd.Timestamp, ...]
    limit: int | None
    stored_bytes: float = 0.0
    first_rows: int | None = None  # the spine's: it is stored first
    stored_columns: int = 0
    per_cutoff: bool | None = None  # decided when the final query is assembled
    views: list[str] = field(default_factory=list)
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def variable(self) -> str:
        return f"{self.database}_as_of"

    def materialise(self, table: ir.Table) -> ir.Table:
        """Store a partial result (the spine first) in the scratch database and return it from there."""
        kept, rows = self._store(table, "part")
        if self.first_rows is None:
            self.first_rows = rows
        self.stored_columns += len(kept.columns)
        return kept

    def stage(self, table: ir.Table) -> ir.Table:
        """Store a copy of a source table (``features.staging``); it is not part of the result."""
        return self._store(table, "input")[0]

    def _store(self, table: ir.Table, prefix: str) -> tuple[ir.Table, int]:
        name = f"{prefix}_{next(self._names)}"
        kept = self.backend.create_table(name, table, database=(self.database, "main"))  # type: ignore[attr-defined]
        rows = self._execute(f'SELECT count(*) FROM "{self.database}".main."{name}"')[0][0]
        self.stored_bytes += rows * len(kept.columns) * _BYTES_PER_VALUE
        if self.limit is None or self.stored_bytes > self.limit * COMPRESS_SHARE:
            self.backend.raw_sql(f'CHECKPOINT "{self.database}"')  # type: ignore[attr-defined]  # compresses all stored so far
        return kept, rows

    def restrict(self, table: ir.Table) -> ir.Table:
        """``table`` as the final query should read it: in one-cutoff-at-a-time mode, a view of
        the rows at the cutoff chosen by :meth:`select_cutoff`; otherwise the table itself."""
        if self.per_cutoff is None:
            result_bytes = (self.first_rows or 0) * self.stored_columns * _BYTES_PER_VALUE
            self.per_cutoff = (len(self.cutoffs) > 1 and self.limit is not None
                               and result_bytes > self.limit * PER_CUTOFF_SHARE)
        if not self.per_cutoff or "as_of" not in table.columns:
            return table
        op = table.op()
        source = f'"{op.namespace.catalog}"."{op.namespace.database}"."{op.name}"'  # type: ignore[attr-defined]
        view = f"{self.database}_{op.name}_at_cutoff"  # type: ignore[attr-defined]
        self.backend.raw_sql(  # type: ignore[attr-defined]
            f'CREATE OR REPLACE TEMP VIEW "{view}" AS SELECT * FROM {source} WHERE as_of = getvariable(\'{self.variable}\')')
        self.views.append(view)
        return self.backend.table(view)  # type: ignore[attr-defined]

    def select_cutoff(self, cutoff: pd.Timestamp) -> None:
        """Make the restricted views show the rows at ``cutoff``."""
        self.backend.raw_sql(f"SET VARIABLE {self.variable} = TIMESTAMP '{cutoff.isoformat(sep=' ')}'")  # type: ignore[attr-defined]

    def _execute(self, sql: str) -> list[tuple]:
        return self.backend.con.execute(sql).fetchall()  # type: ignore[attr-defined]


@contextmanager
def scratch_store(backend: object, cutoffs: Sequence[pd.Timestamp]) -> Iterator[ScratchStore | None]:
    """A scratch store for one write on a DuckDB backend, removed with its views afterwards;
    ``None`` on other backends (they keep partials with their own ``Table.cache``)."""
    if getattr(backend, "name", None) != "duckdb":
        yield None
        return
    database = f"upsell_features_scratch_{os.getpid()}_{next(_stores)}"
    # DuckDB checkpoints (here: compresses) a database by itself once 16 MiB of changes pile up,
    # which cost 0.4 s of a 12-cutoff build at 100k accounts for memory nobody needed; the store
    # decides that itself. The setting is the connection's, so it is restored afterwards (the
    # sources are only read meanwhile).
    threshold = str(backend.con.execute(  # type: ignore[attr-defined]
        "SELECT current_setting('checkpoint_threshold')").fetchall()[0][0])
    backend.raw_sql(f"SET checkpoint_threshold = '{NO_AUTOMATIC_CHECKPOINT}'")  # type: ignore[attr-defined]
    try:
        backend.raw_sql(f'ATTACH \':memory:\' AS "{database}" (COMPRESS)')  # type: ignore[attr-defined]
        store = ScratchStore(backend, database, tuple(cutoffs), memory_limit_bytes(backend))
        store.select_cutoff(cutoffs[0])
        try:
            yield store
        finally:
            for view in store.views:
                backend.raw_sql(f'DROP VIEW IF EXISTS "{view}"')  # type: ignore[attr-defined]
            backend.raw_sql(f"RESET VARIABLE {store.variable}")  # type: ignore[attr-defined]
            backend.raw_sql(f'DETACH DATABASE IF EXISTS "{database}"')  # type: ignore[attr-defined]
    finally:
        backend.raw_sql(f"SET checkpoint_threshold = '{threshold}'")  # type: ignore[attr-defined]
