"""`is_control` in a CRM outcome file (offers held out to measure uplift) was dropped without a
note: a control offer appended from the CRM counted as treated in the review's conversion."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.robustness2.conftest import copy_of, invoke, offer, snapshot


def test_a_new_control_offer_keeps_its_flag(saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    crm = tmp_path / "crm.csv"
    crm.write_text("account_id,offered_at,offer_type,channel,outcome,outcome_at,is_control\n"
                   "ACC-00000001,2026-03-01 10:00:00,annual_upgrade,email,rejected,2026-03-05 10:00:00,true\n")
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 0, result.output
    offers = pd.read_parquet(data / "offers.parquet")
    added = offers[offers["offer_id"].str.startswith("crm-")]
    assert len(added) == 1 and bool(added["is_control"].iloc[0]) is True  # before: <NA>


def test_a_control_flag_contradicting_the_offers_table_is_refused(saas_frames, saas_parquet_dir: Path,
                                                                  tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    pending = offer(saas_frames, "pending")
    crm = tmp_path / "crm.csv"
    crm.write_text(f"offer_id,outcome,outcome_at,is_control\n{pending.offer_id},rejected,"
                   f"{pending.offered_at:%Y-%m-%d} 23:59:59,{not bool(pending.is_control)}\n")
    before = snapshot(data)
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 1, result.output
    assert "outcomes.is_control" in result.output
    assert snapshot(data) == before
