"""DuckDB's memory is bounded on every connection the loader opens, and the bound is configurable."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from data.duckdb_connection import (
    MEMORY_LIMIT_ENV, TEMP_DIRECTORY_ENV, THREADS_ENV, connect_duckdb, default_memory_limit, duckdb_settings,
    memory_limit_bytes,
)
from data.errors import UpsellError
from data.load import load_tables


def _setting(con: object, name: str) -> str:
    return con.con.execute(f"SELECT current_setting('{name}')").fetchall()[0][0]  # type: ignore[attr-defined]


def test_default_is_at_most_3gb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    monkeypatch.delenv(TEMP_DIRECTORY_ENV, raising=False)
    limit = default_memory_limit()
    assert limit.endswith("MB") and 256 <= int(limit[:-2]) <= 3000
    settings = duckdb_settings()
    assert settings["memory_limit"] == limit
    assert "upsell-duckdb-" in settings["temp_directory"]
    assert duckdb_settings()["temp_directory"] != settings["temp_directory"]  # one spill directory per connection


def test_environment_sets_limit_and_spill_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "500MB")
    monkeypatch.setenv(TEMP_DIRECTORY_ENV, str(tmp_path / "spill"))
    con = connect_duckdb()
    assert _setting(con, "memory_limit") == "476.8 MiB"  # DuckDB reports 500 MB in binary units
    assert _setting(con, "temp_directory") == str(tmp_path / "spill")


def test_threads_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert "threads" not in duckdb_settings()
    monkeypatch.setenv(THREADS_ENV, "1")
    assert _setting(connect_duckdb(), "threads") == 1


def test_default_keyword_leaves_duckdbs_own_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "default")
    assert "memory_limit" not in duckdb_settings()


def test_bad_limit_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(UpsellError, match=MEMORY_LIMIT_ENV):
        connect_duckdb()


def test_loaded_tables_get_the_limit(monkeypatch: pytest.MonkeyPatch, saas_data: Path) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "700MB")
    tables = load_tables(saas_data)
    assert _setting(tables.con, "memory_limit") == "667.5 MiB"


def test_release_memory_keeps_the_configured_limit_and_leaves_other_connections_alone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import ibis

    from data.duckdb_connection import release_memory

    monkeypatch.setenv(MEMORY_LIMIT_ENV, "700MB")
    con = connect_duckdb()
    before = _setting(con, "memory_limit")
    con.con.execute("CREATE TABLE t AS SELECT range AS x, range::VARCHAR AS y FROM range(200000)")
    release_memory(con)
    assert _setting(con, "memory_limit") == before
    assert con.con.execute("SELECT count(*), sum(x) FROM t").fetchall() == [(200000, 19999900000)]  # data kept
    for _ in range(3):  # no drift from re-parsing a rounded limit
        release_memory(con)
    assert _setting(con, "memory_limit") == before
    other = ibis.duckdb.connect()
    other.con.execute("SET memory_limit = '123MB'")
    theirs = _setting(other, "memory_limit")
    release_memory(other)  # not opened by connect_duckdb: its settings are the caller's business
    assert _setting(other, "memory_limit") == theirs


def test_partitioned_execution_is_off_on_every_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    # DuckDB 2.0 re-scans an account-sorted usage file once per key-range partition of a
    # group-by (four full scans of 55M rows at 1M accounts); results are the same without it
    monkeypatch.setenv(THREADS_ENV, "1")
    assert _setting(connect_duckdb(), "disabled_optimizers") == "partitioned_execution"


@pytest.mark.parametrize(("limit", "expected"), [("3GB", 3 * 1000**3), ("512MB", 512 * 1000**2)])
def test_memory_limit_bytes_reads_the_setting(limit: str, expected: int) -> None:
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{limit}'")
    got = memory_limit_bytes(con)
    assert got is not None and abs(got - expected) / expected < 0.05  # reported to one decimal, in GiB or MiB


def test_memory_limit_bytes_is_none_without_the_setting() -> None:
    class NoSetting:
        def execute(self, sql: str) -> None:
            raise RuntimeError("not a DuckDB connection")

    assert memory_limit_bytes(NoSetting()) is None
