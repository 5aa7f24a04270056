"""inf / -inf / 1e30 in number columns: reported with table, column, rule and rows on every path,
never accepted (an infinite MRR poisons every sum) and never a traceback."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.load import validate_source
from tests.robustness.conftest import copy_of, invoke


def _problems(data: Path, in_memory: bool = False) -> set[tuple[str, str | None, str, int | None]]:
    report = validate_source(data, in_memory=in_memory)
    return {(p.table, p.column, p.rule, p.n_rows) for p in report.problems}


@pytest.mark.parametrize("in_memory", [False, True], ids=["duckdb", "pandas"])
def test_infinite_float_in_parquet(saas_parquet_dir: Path, tmp_path: Path, in_memory: bool) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    subs = pd.read_parquet(data / "subscriptions.parquet")
    subs.loc[[3, 7], "mrr"] = np.inf
    subs.to_parquet(data / "subscriptions.parquet", index=False)
    assert _problems(data, in_memory) == {("subscriptions", "mrr", "finite number", 2)}


def test_infinite_text_in_csv(saas_csv_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    subs = pd.read_csv(data / "subscriptions.csv", dtype=str, keep_default_na=False)
    subs.loc[0, "mrr"] = "Infinity"
    subs.to_csv(data / "subscriptions.csv", index=False)
    result = invoke("validate", "--data", data)
    assert result.exit_code == 1, result.output
    assert "subscriptions.mrr: rule 'finite number' broken by 1 row" in result.output
    assert " inf " in result.output  # the example row


@pytest.mark.parametrize("value", ["inf", "-Infinity", "1e30"])
def test_integer_column_out_of_range_is_a_whole_number_problem(saas_csv_dir: Path, tmp_path: Path, value: str) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    subs = pd.read_csv(data / "subscriptions.csv", dtype=str, keep_default_na=False)
    subs.loc[2, "seats"] = value
    subs.to_csv(data / "subscriptions.csv", index=False)
    result = invoke("validate", "--data", data)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # before: OverflowError traceback
    assert "subscriptions.seats: rule 'whole number' broken by 1 row" in result.output


def test_json_report_of_an_infinite_value_is_strict_json(saas_parquet_dir: Path, tmp_path: Path) -> None:
    import json

    data = copy_of(saas_parquet_dir, tmp_path)
    subs = pd.read_parquet(data / "subscriptions.parquet")
    subs.loc[0, "mrr"] = -np.inf
    subs.to_parquet(data / "subscriptions.parquet", index=False)
    result = invoke("validate", "--data", data, "--json")
    assert result.exit_code == 1

    def refuse(constant: str) -> None:
        raise ValueError(f"non-standard JSON constant {constant}")

    report = json.loads(result.stdout, parse_constant=refuse)
    examples = [e for p in report["problems"] for e in p["examples"]]
    assert examples and examples[0]["mrr"] == "-inf" and examples[0]["row"] == 0


@pytest.mark.parametrize("in_memory", [False, True], ids=["duckdb", "pandas"])
def test_values_too_large_to_sum_are_reported(saas_parquet_dir: Path, tmp_path: Path, in_memory: bool) -> None:
    """A sentinel like 1e30 is finite but cannot be summed exactly by the feature builders
    (DECIMAL(38, 9)): reported here, not a ConversionException traceback from `features`."""
    data = copy_of(saas_parquet_dir, tmp_path)
    subs = pd.read_parquet(data / "subscriptions.parquet")
    subs.loc[1, "mrr"] = 1e30
    subs.loc[2, "mrr"] = 9.9e17  # large but fine
    subs.to_parquet(data / "subscriptions.parquet", index=False)
    assert _problems(data, in_memory) == {("subscriptions", "mrr", "abs <= 1e+18", 1)}


def test_features_of_data_that_passed_validation_never_overflow(saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    subs = pd.read_parquet(data / "subscriptions.parquet")
    subs["mrr"] = 1e30
    subs.to_parquet(data / "subscriptions.parquet", index=False)
    result = invoke("features", "--data", data, "--as-of", "2026-06-30", "--out", tmp_path / "f.parquet")
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "subscriptions.mrr: rule 'abs <= 1e+18'" in result.output
