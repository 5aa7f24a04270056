"""`upsell review --history FILE.csv`: a score history kept or re-saved as CSV. Account ids of
digits lost their leading zeros (every offer then 'unscored', silently), an as_of written with
its UTC offset was a TypeError traceback, and a re-saved 01/06/2026 was left to pandas' guessing."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.robustness2.conftest import invoke


@pytest.fixture(scope="module")
def digit_ids(saas_frames, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """The offers of the fixture with ids of digits (00000028), and a history that scored every
    offered account the day before each offer."""
    root = tmp_path_factory.mktemp("digits")
    offers = saas_frames["offers"].assign(account_id=lambda f: f["account_id"].str.replace("ACC-", "", regex=False))
    accounts = saas_frames["accounts"].assign(account_id=lambda f: f["account_id"].str.replace("ACC-", "", regex=False))
    offers.to_csv(root / "offers.csv", index=False)
    accounts.to_csv(root / "accounts.csv", index=False)
    nights = offers["offered_at"].dt.normalize() - pd.Timedelta(days=1)
    history = pd.DataFrame({"account_id": offers["account_id"], "as_of": nights, "score": 0.5,
                            "score_band": "warm", "final_node": "n", "action": "a"})
    return root, history


def _review(data: Path, history: Path, tmp_path: Path):
    return invoke("review", "--data", data, "--history", history, "--as-of", "2026-06-30",
                  "--html", tmp_path / "review.html")


def test_ids_of_digits_keep_their_leading_zeros(digit_ids, tmp_path: Path) -> None:
    data, history = digit_ids
    path = tmp_path / "history.csv"
    history.to_csv(path, index=False, date_format="%Y-%m-%d")
    result = _review(data, path, tmp_path)
    assert result.exit_code == 0, result.output
    assert "unscored" not in result.output  # before: every offer '(unscored)'


def test_as_of_with_a_utc_offset(digit_ids, tmp_path: Path) -> None:
    data, history = digit_ids
    path = tmp_path / "history.csv"
    history.assign(as_of=history["as_of"].dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")).to_csv(path, index=False)
    result = _review(data, path, tmp_path)
    assert result.exit_code == 0, result.output  # before: TypeError traceback
    assert "unscored" not in result.output


def test_dates_re_saved_in_a_local_format_are_refused(digit_ids, tmp_path: Path) -> None:
    data, history = digit_ids
    path = tmp_path / "history.csv"
    history.assign(as_of=history["as_of"].dt.strftime("%d/%m/%Y")).to_csv(path, index=False)
    result = _review(data, path, tmp_path)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "as_of" in result.output and "ISO 8601" in result.output and str(path) in result.output
    assert not (tmp_path / "review.html").exists()
