"""The review reads only the history rows it uses; the review is the same as from the whole history."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.history import night_file, night_rows, read_history
from pipeline.review import build_review, review_to_json
from pipeline.review_report import HISTORY_COLUMNS, read_review_history
from tests.pipeline.test_review import BANDS, OFFERS, _night


def _write_nights(root: Path, dates: list[str], accounts: int) -> None:
    rng = np.random.default_rng(11)
    ids = [f"A{i}" for i in range(1, accounts + 1)]  # A1-A4 have offers, the rest never do
    for as_of in dates:
        night = night_rows(_night(as_of, dict(zip(ids, np.round(rng.uniform(0, 1, accounts), 3)))))
        path = root / night_file(pd.Timestamp(as_of))
        path.parent.mkdir(parents=True, exist_ok=True)
        night.to_parquet(path, index=False)


DATES = ["2026-06-01", "2026-06-20", "2026-07-01", "2026-07-04", "2026-08-15", "2026-10-01", "2026-10-20"]


@pytest.mark.parametrize("review_date, nights", [("2026-10-20", 12), ("2026-10-20", 1), ("2026-10-05", 2),
                                                 ("2026-07-02", 12), (None, None)])
def test_review_from_the_rows_it_uses_equals_review_from_everything(tmp_path: Path, review_date, nights) -> None:
    _write_nights(tmp_path, DATES, accounts=30)
    whole = read_history(tmp_path, columns=HISTORY_COLUMNS)
    part = read_review_history(tmp_path, OFFERS, review_date, calibration_nights=nights)
    assert len(part) < len(whole)  # accounts without offers are left out of most nights
    options = {"as_of": review_date, "playbook": BANDS, "calibration_nights": nights}
    assert review_to_json(build_review(OFFERS, part, **options)) == review_to_json(build_review(OFFERS, whole, **options))


def test_which_nights_are_read_whole(tmp_path: Path) -> None:
    _write_nights(tmp_path, DATES, accounts=30)
    part = read_review_history(tmp_path, OFFERS, "2026-10-20", calibration_nights=2)
    rows = part.groupby(part["as_of"].dt.strftime("%Y-%m-%d")).size().to_dict()
    # closed by 2026-10-20 (90-day horizon): up to 2026-07-04, the latest two read whole; today
    # whole; other nights: accounts with an offer in the 90 days after (O6 is after the review)
    assert rows == {"2026-06-01": 4, "2026-06-20": 4, "2026-07-01": 30, "2026-07-04": 30,
                    "2026-08-15": 1, "2026-10-01": 1, "2026-10-20": 30}
    tonight_given = read_review_history(tmp_path, OFFERS, "2026-10-20", calibration_nights=2, today_given=True)
    assert (tonight_given["as_of"] == pd.Timestamp("2026-10-20")).sum() == 0
    assert read_review_history(tmp_path / "empty", OFFERS, "2026-10-20") is None
    # tonight comes separately and no past night has a usable row: nothing to read
    assert read_review_history(tmp_path, OFFERS.iloc[0:0], "2026-06-10", today_given=True) is None
