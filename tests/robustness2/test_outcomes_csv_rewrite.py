"""Importing outcomes rewrites a CSV offers table whole: timestamps with fractions of a second
(CRM exports often carry milliseconds) were cut to whole seconds on every row, also on offers
the file did not mention."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.robustness2.conftest import copy_of, invoke, offer, rejection_of


def test_sub_second_timestamps_survive_the_rewrite(saas_frames, saas_csv_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    offers = pd.read_csv(data / "offers.csv", dtype=str, keep_default_na=False)
    untouched = offers["offer_id"].iloc[0]
    offers.loc[0, "offered_at"] = offers.loc[0, "offered_at"] + ".250000"
    offers.to_csv(data / "offers.csv", index=False)
    pending = offer(saas_frames, "pending")
    assert pending.offer_id != untouched
    crm = rejection_of(pending, tmp_path)
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 0, result.output
    after = pd.read_csv(data / "offers.csv", dtype=str, keep_default_na=False).set_index("offer_id")
    assert after.loc[untouched, "offered_at"].endswith(".250000")  # before: cut to whole seconds
    assert pd.Timestamp(after.loc[pending.offer_id, "outcome_at"]) == pd.Timestamp(f"{pending.offered_at:%Y-%m-%d} 23:59:59")
