"""`upsell export --join/--data` whose ids are spelt differently from the scored list's: refused
with examples of both spellings, not an export whose joined CRM ids are all empty."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.pipeline.conftest import make_scored_list
from tests.robustness.conftest import invoke


@pytest.fixture()
def scores(tmp_path: Path) -> Path:
    path = tmp_path / "scores.parquet"
    make_scored_list(4).to_parquet(path, index=False)
    return path


def _ids(scores: Path) -> list[str]:
    return pd.read_parquet(scores)["account_id"].tolist()


def test_join_file_matching_no_scored_account_is_an_error(scores: Path, tmp_path: Path) -> None:
    join = tmp_path / "crosswalk.csv"
    pd.DataFrame({"account_id": [i.lower() + "x" for i in _ids(scores)], "hs_object_id": range(4)}).to_csv(join, index=False)
    result = invoke("export", "--scores", scores, "--target", "csv", "--out", tmp_path / "out.csv", "--join", join)
    assert result.exit_code == 1, result.output  # before: exit 0, hs_object_id empty on every row
    assert "crosswalk.csv: column 'account_id': rule 'matches the scored list' broken" in result.output
    assert not (tmp_path / "out.csv").exists()


def test_accounts_matching_no_scored_account_is_an_error(scores: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"account_id": ["Z1", "Z2"], "created_at": ["2024-01-01", "2024-01-01"],
                  "name": ["a", "b"]}).to_csv(data / "accounts.csv", index=False)
    result = invoke("export", "--scores", scores, "--target", "csv", "--out", tmp_path / "out.csv", "--data", data)
    assert result.exit_code == 1, result.output
    assert "rule 'matches the scored list' broken" in result.output


def test_float_ids_in_a_parquet_join_keep_their_integer_spelling(tmp_path: Path) -> None:
    scored = make_scored_list(3).assign(account_id=["101", "102", "103"])
    scores = tmp_path / "scores.parquet"
    scored.to_parquet(scores, index=False)
    join = tmp_path / "crosswalk.parquet"
    pd.DataFrame({"account_id": [101.0, 102.0, None], "hs_object_id": ["h1", "h2", "h3"]}).to_parquet(join, index=False)
    out = tmp_path / "out.csv"
    result = invoke("export", "--scores", scores, "--target", "csv", "--out", out, "--join", join)
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(out, dtype=str).set_index("account_id")["hs_object_id"]
    assert rows.fillna("").to_dict() == {"101": "h1", "102": "h2", "103": ""}  # before: '101.0', nothing joined
