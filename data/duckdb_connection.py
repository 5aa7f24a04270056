"""The in-process DuckDB connection the project opens, with bounded memory.

DuckDB's own default is to use up to 80% of the machine's RAM, which is unfriendly on a shared
server (a nightly job beside other work) and lets a large multi-cutoff feature build grow far
past what it needs. Every connection opened here gets a ``memory_limit`` and a
``temp_directory`` to spill to instead, both configurable from the environment:

* ``UPSELL_DUCKDB_MEMORY_LIMIT`` — any DuckDB size (``"3GB"``, ``"500MB"``); default: 3 GB, or
  half the machine's RAM when that is less. ``"default"`` leaves DuckDB's own default.
* ``UPSELL_DUCKDB_TEMP_DIRECTORY`` — where DuckDB spills; default: a fresh directory under the
  system temp directory, per connection (DuckDB creates it only when it spills and removes it when
  the connection closes).
* ``UPSELL_DUCKDB_THREADS`` — DuckDB's worker threads; default: DuckDB's (one per core). Results
  do not depend on it: the features' float sums are exact (``features.pit.exact_sum``).
"""
from __future__ import annotations

import itertools
import os
import tempfile
import weakref

import ibis

from data.errors import UpsellError

MEMORY_LIMIT_ENV = "UPSELL_DUCKDB_MEMORY_LIMIT"
TEMP_DIRECTORY_ENV = "UPSELL_DUCKDB_TEMP_DIRECTORY"
THREADS_ENV = "UPSELL_DUCKDB_THREADS"
DEFAULT_MEMORY_LIMIT_BYTES = 3 * 1000**3
# DuckDB 2.0's partitioned execution splits a group-by on an account-sorted parquet file into
# key-range partitions, each of which scans the whole file again (no row group is pruned): the
# "last active day" of the features read 55M usage rows four times at 1M accounts, and one
# cutoff took 12.2 s instead of 9.0 s. Results are the same either way.
DISABLED_OPTIMIZERS = "partitioned_execution"
_connections = itertools.count(1)


def default_memory_limit() -> str:
    """3 GB, or half the physical memory when the machine has less than 6 GB."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not every platform reports it
        ram = 0
    limit = min(DEFAULT_MEMORY_LIMIT_BYTES, ram // 2) if ram > 0 else DEFAULT_MEMORY_LIMIT_BYTES
    return f"{max(limit // 1000**2, 256)}MB"


def duckdb_settings() -> dict[str, str]:
    """The DuckDB configuration for a new connection, from the environment or the defaults."""
    settings: dict[str, str] = {}
    limit = os.environ.get(MEMORY_LIMIT_ENV, "").strip() or default_memory_limit()
    if limit.lower() != "default":
        settings["memory_limit"] = limit
    temp = os.environ.get(TEMP_DIRECTORY_ENV, "").strip()
    settings["temp_directory"] = temp or os.path.join(
        tempfile.gettempdir(), f"upsell-duckdb-{os.getpid()}-{next(_connections)}")
    threads = os.environ.get(THREADS_ENV, "").strip()
    if threads:
        settings["threads"] = threads
    settings["disabled_optimizers"] = DISABLED_OPTIMIZERS
    return settings


def connect_duckdb() -> ibis.BaseBackend:
    """A new in-memory DuckDB connection (Ibis backend) with :func:`duckdb_settings` applied.

    A setting DuckDB rejects (say ``UPSELL_DUCKDB_MEMORY_LIMIT=lots``) is an ``UpsellError``
    naming the variable, not a traceback.
    """
    settings = duckdb_settings()
    try:
        con = ibis.duckdb.connect(**settings)
    except Exception as exc:  # duckdb raises its own error types for bad settings
        raise UpsellError(
            f"DuckDB rejected its settings {settings} ({exc}); check {MEMORY_LIMIT_ENV}, {TEMP_DIRECTORY_ENV}, {THREADS_ENV}"
        ) from exc
    _configured_limits[con.con] = settings.get("memory_limit")
    return con


# memory_limit as configured, per connection opened here (None: DuckDB's default)
_configured_limits: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_RELEASE_FLOOR_MB = 64


def release_memory(con: object) -> None:
    """Give back to the OS the memory DuckDB keeps after a large query, on a connection opened
    by :func:`connect_duckdb` (any other is left alone).

    DuckDB keeps freed buffers for reuse: after the feature build at a million accounts the
    process holds 3.1 GB while the result is 0.5 GB, and the nightly job needs that memory next
    for scoring. Lowering the memory limit to just above what is in use makes DuckDB hand them
    back (3.1 -> 1.3 GB); the configured limit is then set again. Queries afterwards work as before.
    """
    raw = getattr(con, "con", None)
    if raw is None or raw not in _configured_limits:
        return
    limit = _configured_limits[raw]
    try:
        # just above what is in use (in-memory tables of CSV inputs stay put, nothing spills)
        in_use = raw.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()").fetchone()[0]
        raw.execute(f"SET memory_limit = '{_RELEASE_FLOOR_MB + int(in_use * 1.25) // 1_000_000}MB'")
    except Exception:  # noqa: BLE001 - pinned data that cannot go: keep it, nothing is lost
        pass
    finally:
        raw.execute(f"SET memory_limit = '{limit}'" if limit else "RESET memory_limit")


_SIZE_UNITS = {"b": 1, "bytes": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
               "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}


def memory_limit_bytes(con: object) -> int | None:
    """The connection's current ``memory_limit`` in bytes (None when it cannot be read).

    DuckDB reports it as text, to one decimal (``"2.7 GiB"`` for 3 GB), so this is within 5%;
    callers size their own work against it.
    """
    raw = getattr(con, "con", con)
    try:
        text = str(raw.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]).strip()  # type: ignore[attr-defined]
        number, _, unit = text.partition(" ")
        return int(float(number) * _SIZE_UNITS[(unit or "b").lower()])
    except Exception:  # noqa: BLE001 - a backend without the setting, or text we do not know
        return None
