"""``write_table``: CSV timestamps keep fractions of a second where a column has them."""
from __future__ import annotations

import pandas as pd

from pipeline.table_io import write_table


def test_csv_keeps_fractions_of_a_second_only_in_columns_that_have_them(tmp_path) -> None:
    frame = pd.DataFrame({
        "offered_at": pd.to_datetime(["2026-05-01 10:00:00.250", None]),
        "outcome_at": pd.to_datetime(["2026-05-02 11:30:00", "2026-05-03 12:00:00"]),
    })
    for name in ("t.csv", "t.csv.gz"):
        write_table(frame, tmp_path / name)
        back = pd.read_csv(tmp_path / name, dtype=str, keep_default_na=False)
        assert back["offered_at"].tolist() == ["2026-05-01 10:00:00.250000", ""]
        assert back["outcome_at"].tolist() == ["2026-05-02 11:30:00", "2026-05-03 12:00:00"]
    assert frame["offered_at"].dtype.kind == "M"  # the caller's frame is untouched
