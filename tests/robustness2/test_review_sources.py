"""`upsell review --data` takes what the other commands take: a data directory whose offers are a
directory of parquet part files (as Spark writes them) was reviewed as having no offers at all
(exit 0, '0 offers'), and a DuckDB file was refused as 'expected a data directory or a DuckDB file'."""
from __future__ import annotations

from pathlib import Path

import duckdb

from tests.robustness2.conftest import copy_of, invoke


def _offers_line(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output.splitlines()[0]


def test_offers_as_parquet_part_files(saas_parquet_dir: Path, tmp_path: Path) -> None:
    expected = _offers_line(invoke("review", "--data", saas_parquet_dir, "--out", tmp_path / "a", "--as-of", "2026-06-30"))
    data = copy_of(saas_parquet_dir, tmp_path)
    parts = data / "offers.parquet"
    moved = data / "part-00000.parquet"
    parts.rename(moved)
    parts.mkdir()
    moved.rename(parts / "part-00000.parquet")
    result = invoke("review", "--data", data, "--out", tmp_path / "b", "--as-of", "2026-06-30")
    assert _offers_line(result) == expected  # before: "0 offers, 0 accepted (n/a), revenue 0"


def test_a_duckdb_file(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    expected = _offers_line(invoke("review", "--data", saas_parquet_dir, "--out", tmp_path / "a", "--as-of", "2026-06-30"))
    db = tmp_path / "crm.duckdb"
    with duckdb.connect(str(db)) as con:
        for name, frame in saas_frames.items():
            con.register("frame", frame)
            con.execute(f"CREATE TABLE {name.capitalize()} AS SELECT * FROM frame")
            con.unregister("frame")
    result = invoke("review", "--data", db, "--out", tmp_path / "b", "--as-of", "2026-06-30")
    assert _offers_line(result) == expected


def test_broken_rules_in_a_duckdb_table_name_the_table(saas_frames, tmp_path: Path) -> None:
    db = tmp_path / "crm.duckdb"
    offers = saas_frames["offers"].assign(outcome=lambda f: f["outcome"].str.upper())
    with duckdb.connect(str(db)) as con:
        con.register("frame", offers)
        con.execute("CREATE TABLE offers AS SELECT * FROM frame")
    result = invoke("review", "--data", db, "--out", tmp_path / "b", "--as-of", "2026-06-30")
    assert result.exit_code == 1, result.output
    assert "offers.outcome" in result.output and "crm.duckdb" in result.output
