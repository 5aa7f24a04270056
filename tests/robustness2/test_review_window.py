"""The review's window of offers ends at --as-of: a --since after it reviewed nothing and said
'no offers before the review date', as if the data had none."""
from __future__ import annotations

from pathlib import Path

from tests.robustness2.conftest import invoke


def test_since_after_the_review_date_is_an_error(saas_parquet_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "night"
    result = invoke("review", "--data", saas_parquet_dir, "--out", out, "--as-of", "2026-01-01", "--since", "2026-03-01")
    assert result.exit_code == 1, result.output  # before: exit 0, "0 offers ... no offers before the review date"
    assert isinstance(result.exception, SystemExit), result.exception
    assert "2026-03-01" in result.output and "2026-01-01" in result.output
    assert not (out / "review").exists()

