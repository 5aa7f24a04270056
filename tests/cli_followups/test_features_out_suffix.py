"""`upsell features --out` is a parquet file: a suffix other than .parquet is refused as bad usage
(exit 2) before any work, not a .csv file holding parquet bytes. (A name without a suffix is
still written as parquet.)"""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app


@pytest.mark.parametrize("name", ["x.csv", "x.csv.gz", "x.CSV", "x.json"])
def test_features_refuses_an_out_that_is_not_parquet(tmp_path: Path, name: str) -> None:
    data = tmp_path / "data"
    data.mkdir()  # never read: the option is refused first
    result = CliRunner().invoke(app, ["features", "--data", str(data), "--as-of", "2026-01-01",
                                      "--out", str(tmp_path / name)])
    assert result.exit_code == 2, result.output
    assert "--out" in result.output and ".parquet" in result.output
    assert not (tmp_path / name).exists()
