"""`upsell features` with repeated --as-of: one parquet for every cutoff, equal to build_features;
a single --as-of keeps its output and message."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from data.tables import Tables
from features import build_features
from pipeline.cli import app
from tests.features_stream.conftest import CUTOFFS

runner = CliRunner()


def test_repeated_as_of_writes_every_cutoff(saas_data: Path, saas_tables: Tables, tmp_path: Path) -> None:
    out = tmp_path / "f.parquet"
    args = ["features", "--data", str(saas_data), "--out", str(out)]
    for cutoff in CUTOFFS:
        args += ["--as-of", cutoff]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    expected = build_features(saas_tables, CUTOFFS)
    # the CLI's connection is multi-threaded: float sums may differ in the last bit (see conftest)
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected, check_exact=False, rtol=1e-12)
    assert f"{len(expected):,} rows (4 cutoffs, 2025-03-01 .. 2025-06-01) x {expected.shape[1] - 2} features" in result.output


def test_single_as_of_unchanged(saas_data: Path, saas_tables: Tables, tmp_path: Path) -> None:
    out = tmp_path / "f.parquet"
    result = runner.invoke(app, ["features", "--data", str(saas_data), "--as-of", "2025-06-01", "--out", str(out)])
    assert result.exit_code == 0, result.output
    expected = build_features(saas_tables, ["2025-06-01"])
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected, check_exact=False, rtol=1e-12)
    assert result.output.strip() == f"{len(expected):,} accounts x {expected.shape[1] - 2} features at 2025-06-01 -> {out}"


def test_one_bad_cutoff_among_several_exits_2_and_writes_nothing(saas_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.parquet"
    result = runner.invoke(app, ["features", "--data", str(saas_data), "--as-of", "2025-03-01",
                                 "--as-of", "2025-02-30", "--out", str(out)])
    assert result.exit_code == 2
    assert "2025-02-30" in result.output
    assert list(tmp_path.iterdir()) == []


def test_bad_memory_setting_exits_1(saas_data: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("UPSELL_DUCKDB_MEMORY_LIMIT", "lots")
    result = runner.invoke(app, ["features", "--data", str(saas_data), "--as-of", "2025-03-01",
                                 "--out", str(tmp_path / "f.parquet")])
    assert result.exit_code == 1
    assert "UPSELL_DUCKDB_MEMORY_LIMIT" in result.output
