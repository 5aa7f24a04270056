"""CRM exports name offers by account + date + offer type, often at another precision than the
offers table keeps (a date without its time, a type in other case). Such a row must find its
offer, or be refused: never appended as a second copy of an offer that stays pending forever."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.robustness2.conftest import copy_of, invoke, offer, snapshot


def _crm(tmp_path: Path, offered_at: str, offer_type: str, account_id: str, outcome_at: pd.Timestamp) -> Path:
    path = tmp_path / "crm.csv"
    path.write_text("account_id,offered_at,offer_type,channel,outcome,outcome_at\n"
                    f"{account_id},{offered_at},{offer_type},call,rejected,{outcome_at:%Y-%m-%d %H:%M:%S}\n")
    return path


def test_a_date_without_time_matches_the_one_offer_that_day(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    pending = offer(saas_frames, "pending")
    when = pending.offered_at + pd.Timedelta(days=2)
    crm = _crm(tmp_path, f"{pending.offered_at:%Y-%m-%d}", pending.offer_type, pending.account_id, when)
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 0, result.output
    assert "1 updated, 0 appended" in result.output  # before: 0 updated, 1 appended (a copy)
    offers = pd.read_parquet(data / "offers.parquet")
    assert len(offers) == len(saas_frames["offers"])
    row = offers.set_index("offer_id").loc[pending.offer_id]
    assert row["outcome"] == "rejected" and row["outcome_at"] == when


def test_a_near_copy_is_refused_naming_the_offer_it_resembles(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    pending = offer(saas_frames, "pending")
    when = pending.offered_at + pd.Timedelta(days=2)
    before = snapshot(data)
    for offered_at, offer_type in [(f"{pending.offered_at:%Y-%m-%d %H:%M}", pending.offer_type),  # seconds cut off
                                   (f"{pending.offered_at:%Y-%m-%d %H:%M:%S}", pending.offer_type.title())]:
        crm = _crm(tmp_path, offered_at, offer_type, pending.account_id, when)
        result = invoke("outcomes", "import", crm, "--data", data)
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit), result.exception
        assert "outcomes.offered_at" in result.output and pending.offer_id in result.output
        assert snapshot(data) == before


def test_a_new_offer_on_another_day_is_still_appended(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    pending = offer(saas_frames, "pending")
    made = pending.offered_at - pd.Timedelta(days=20)
    crm = _crm(tmp_path, f"{made:%Y-%m-%d %H:%M:%S}", pending.offer_type, pending.account_id, made + pd.Timedelta(days=1))
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 0, result.output
    assert "0 updated, 1 appended" in result.output
