"""``Tables``: the validated source tables of one data set, as Ibis tables on one backend.

Everything downstream (features, labels, the nightly job) takes a ``Tables``. The backend is
whatever connection the tables live on: DuckDB in-process by default, PySpark on a cluster. That
is what lets the same feature definitions run on every engine.

Canonical column types (the loader guarantees them): ids and categories are strings, timestamps
are *naive UTC* timestamps (microseconds), ``usage.usage_date`` is a timestamp at midnight, amounts
are float64, counts int64, flags boolean. ``data.load.load_tables`` serves typed parquet and DuckDB
tables as views over where they are stored (nothing is loaded into memory) and other tables as
DuckDB tables; either way the ibis schemas are the same.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import ibis
import pandas as pd
import pyarrow as pa

from data.contract import TABLE_NAMES


@dataclass(frozen=True)
class Tables(Mapping[str, "ibis.Table"]):
    """Source tables by contract name. Missing optional tables are simply absent."""

    con: ibis.BaseBackend
    tables: Mapping[str, ibis.Table]
    source: str = "<memory>"
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        unknown = set(self.tables) - set(TABLE_NAMES)
        if unknown:
            raise ValueError(f"unknown table(s) {sorted(unknown)}; the contract knows {list(TABLE_NAMES)}")

    def __getitem__(self, name: str) -> ibis.Table:
        return self.tables[name]

    def __iter__(self) -> Iterator[str]:
        return (n for n in TABLE_NAMES if n in self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def to_pandas(self, name: str, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """Materialise one table as pandas (for the edges: reports, notebooks, small data).

        ``columns``: only these (those the table has, in the table's order), so a million-row
        table costs what the caller reads, not every column.
        """
        table = self.tables[name]
        if columns is not None:
            wanted = set(columns)
            table = table.select([c for c in table.columns if c in wanted])
        if self.con.name != "duckdb":
            return self.con.to_pandas(table)
        # ibis' own pandas conversion walks every value in Python: 1.2 s for 320k offers rows
        # against 0.1 s through Arrow, with the same dtypes (dates aside, converted like ibis does)
        return _dates_as_timestamps(self.con.to_pyarrow(table)).to_pandas()

    @classmethod
    def from_frames(
        cls,
        frames: Mapping[str, pd.DataFrame],
        con: ibis.BaseBackend | None = None,
        source: str = "<memory>",
    ) -> "Tables":
        """Put already-typed pandas frames onto a backend (DuckDB in memory by default).

        No validation happens here; use ``data.load.load_tables`` or ``data.validate`` for input
        that comes from users.
        """
        con = con if con is not None else ibis.duckdb.connect()
        tables = {
            name: con.create_table(f"src_{name}", frame, overwrite=True)
            for name, frame in frames.items()
            if frame is not None
        }
        return cls(con=con, tables=tables, source=source)


def _dates_as_timestamps(table: pa.Table) -> pa.Table:
    """DATE columns as second-resolution timestamps: what ``ibis`` gives pandas, not Python dates."""
    for i, f in enumerate(table.schema):
        if pa.types.is_date(f.type):
            table = table.set_column(i, f.name, table.column(i).cast(pa.timestamp("s")))
    return table
