"""An --out the system refuses (a directory where a file goes, a file where a directory goes):
exit 1 with the path and the reason, no traceback, and what was there before untouched."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipeline.conftest import make_scored_list
from tests.robustness.conftest import invoke


def test_features_out_is_an_existing_directory(saas_parquet_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "features"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = invoke("features", "--data", saas_parquet_dir, "--as-of", "2026-06-30", "--out", out)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # before: IsADirectoryError traceback
    assert f"error: {out}: is a directory; give a file path" in result.output
    assert (out / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["features"]  # no temporary file left behind


@pytest.mark.parametrize("target", ["csv", "parquet"])
def test_export_out_under_a_file(target: str, tmp_path: Path) -> None:
    scores = tmp_path / "scores.parquet"
    make_scored_list(3).to_parquet(scores, index=False)
    before = scores.read_bytes()
    result = invoke("export", "--scores", scores, "--target", target, "--out", scores / f"x.{target}")
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # before: FileExistsError traceback
    assert f"{scores}: exists and is not a directory" in result.output
    assert scores.read_bytes() == before
