"""A table stored as a directory (Spark/Databricks output) is read or refused, never taken for a
missing table."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from data.load import fingerprint_source, load_tables
from tests.robustness.conftest import copy_of, invoke


def _as_part_files(data: Path, name: str) -> None:
    frame = pd.read_parquet(data / f"{name}.parquet")
    (data / f"{name}.parquet").unlink()
    folder = data / f"{name}.parquet"
    folder.mkdir()
    half = len(frame) // 2
    frame.iloc[:half].to_parquet(folder / "part-00000.parquet", index=False)
    frame.iloc[half:].to_parquet(folder / "part-00001.parquet", index=False)
    (folder / "_SUCCESS").write_text("")


def test_parquet_directory_is_read_whole(saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    _as_part_files(data, "offers")
    tables = load_tables(data)
    assert "offers" in tables.tables
    expected = pd.read_parquet(saas_parquet_dir / "offers.parquet")
    assert tables.con.to_pandas(tables.tables["offers"].count()) == len(expected)
    assert any("offers.parquet is a directory" in note for note in tables.notes)
    assert "offers" in fingerprint_source(data)


def test_parquet_directory_rules_are_checked(saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    frame = pd.read_parquet(data / "offers.parquet")
    frame.loc[frame.index[-1], "channel"] = "carrier_pigeon"
    frame.to_parquet(data / "offers.parquet", index=False)
    _as_part_files(data, "offers")
    result = invoke("validate", "--data", data)
    assert result.exit_code == 1, result.output
    assert "offers.channel" in result.output and "carrier_pigeon" in result.output


def test_csv_directory_is_an_error_not_a_missing_table(saas_csv_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    (data / "offers.csv").unlink()
    (data / "offers.csv").mkdir()
    result = invoke("validate", "--data", data)
    assert result.exit_code == 1, result.output
    assert "offers" in result.output and "offers.csv is a directory" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_file_and_directory_for_one_table_is_an_error(saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    shutil.copy(data / "offers.parquet", tmp_path / "keep.parquet")
    _as_part_files(data, "offers")
    pd.read_parquet(tmp_path / "keep.parquet").to_csv(data / "offers.csv", index=False)
    result = invoke("validate", "--data", data)
    assert result.exit_code == 1, result.output
    assert "one file per table" in result.output


def test_a_table_file_given_as_the_data_directory(saas_csv_dir: Path) -> None:
    result = invoke("validate", "--data", saas_csv_dir / "accounts.csv")
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # before: NotADirectoryError traceback
    assert "expected a data directory or a DuckDB file" in result.output
