"""A status-only CRM export (offer_id, outcome, outcome_at: no revenue or reenter_at column) says
nothing about revenue or re-entry dates: importing it must not wipe what the offers table holds."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.robustness2.conftest import copy_of, crm_file, invoke, offer, snapshot


def _offers(data: Path) -> pd.DataFrame:
    return pd.read_parquet(data / "offers.parquet").set_index("offer_id")


def test_status_only_export_keeps_recorded_revenue_and_reentry(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    accepted, deferred = offer(saas_frames, "accepted"), offer(saas_frames, "deferred")
    crm = crm_file(tmp_path, "offer_id,outcome,outcome_at",
                   f"{accepted.offer_id},Accepted,{accepted.outcome_at:%Y-%m-%d %H:%M:%S}",
                   f"{deferred.offer_id},deferred,{deferred.outcome_at:%Y-%m-%d %H:%M:%S}")
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 0, result.output  # before: the deferral was refused as 'needs a re-entry date'
    assert "2 unchanged" in result.output  # before: "1 updated", revenue emptied
    after = _offers(data)
    assert after.loc[accepted.offer_id, "revenue"] == accepted.revenue
    assert after.loc[deferred.offer_id, "reenter_at"] == deferred.reenter_at


def test_status_only_export_changing_the_outcome_clears_what_no_longer_applies(
        saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    accepted = offer(saas_frames, "accepted")
    later = accepted.outcome_at + pd.Timedelta(days=3)
    crm = crm_file(tmp_path, "offer_id,outcome,outcome_at",
                   f"{accepted.offer_id},rejected,{later:%Y-%m-%d %H:%M:%S}", name="status.csv")
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 0, result.output
    row = _offers(data).loc[accepted.offer_id]
    assert row["outcome"] == "rejected" and pd.isna(row["revenue"])  # revenue belongs to accepted offers only


def test_an_empty_revenue_cell_is_what_the_file_says(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    """The column is there, the cell is empty: the CRM says the revenue is unknown."""
    data = copy_of(saas_parquet_dir, tmp_path)
    accepted = offer(saas_frames, "accepted")
    crm = crm_file(tmp_path, "offer_id,outcome,outcome_at,revenue",
                   f"{accepted.offer_id},accepted,{accepted.outcome_at:%Y-%m-%d %H:%M:%S},")
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 0, result.output
    assert pd.isna(_offers(data).loc[accepted.offer_id, "revenue"])


def test_status_only_export_of_a_new_deferral_is_refused_naming_it(
        saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    """Pending → deferred in a file without reenter_at: the offers table has no date to keep."""
    data = copy_of(saas_parquet_dir, tmp_path)
    pending, deferred = offer(saas_frames, "pending"), offer(saas_frames, "deferred")
    later = pending.offered_at + pd.Timedelta(days=3)
    crm = crm_file(tmp_path, "offer_id,outcome,outcome_at",
                   f"{deferred.offer_id},deferred,{deferred.outcome_at:%Y-%m-%d %H:%M:%S}",
                   f"{pending.offer_id},deferred,{later:%Y-%m-%d %H:%M:%S}")
    before = snapshot(data)
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 1, result.output
    assert "outcomes.reenter_at" in result.output and "1 row" in result.output
    assert pending.offer_id in result.output and deferred.offer_id not in result.output
    assert snapshot(data) == before
