"""`upsell backtest --out FILE` wrote parquet bytes into any name that did not end in .csv
(scores.xlsx, scores.txt): a file the user's tool then cannot open. The suffix is checked before
the backtest runs."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.robustness2.conftest import invoke


@pytest.mark.parametrize("name", ["scores.xlsx", "scores.txt", "scores"])
def test_out_must_be_parquet_or_csv(tmp_path: Path, name: str) -> None:
    missing = tmp_path / "no-such-data"  # refused before the data are looked at
    result = invoke("backtest", "--data", missing, "--as-of", "2026-03-31", "--out", tmp_path / name)
    assert result.exit_code == 1, result.output
    assert "--out" in result.output and ".parquet" in result.output and "no-such-data" not in result.output
    assert not (tmp_path / name).exists()
