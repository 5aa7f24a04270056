"""CRM exports name offers by account + date + offer type, often at another precision than the
offers table keeps (a date without its time, a type in other case). Such a row must find its
offer, or be refused: never appended as a second copy of an offer that stays pending forever."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.robustness2.conftest import copy_of, crm_file, invoke, offer, snapshot


def _crm(tmp_path: Path, offered_at: str, offer_type: str, account_id: str, outcome_at: pd.Timestamp,
         channel: str = "email") -> Path:
    return crm_file(tmp_path, "account_id,offered_at,offer_type,channel,outcome,outcome_at",
                    f"{account_id},{offered_at},{offer_type},{channel},rejected,{outcome_at:%Y-%m-%d %H:%M:%S}")


def _with_offers(data: Path, account_id: str, *stamps: tuple[str, str, str]) -> None:
    """Add pending tier_upgrade offers (offer_id, offered_at, channel) of one account to the table."""
    offers = pd.read_parquet(data / "offers.parquet")
    extra = pd.DataFrame([{**offers.iloc[0].to_dict(), "offer_id": oid, "account_id": account_id,
                           "offered_at": pd.Timestamp(at), "offer_type": "tier_upgrade", "channel": channel,
                           "outcome": "pending", "outcome_at": pd.NaT, "revenue": float("nan"), "reenter_at": pd.NaT}
                          for oid, at, channel in stamps]).astype(offers.dtypes.to_dict())
    pd.concat([offers, extra], ignore_index=True).to_parquet(data / "offers.parquet", index=False)


def _outcome_of(data: Path, offer_id: str) -> str:
    return pd.read_parquet(data / "offers.parquet").set_index("offer_id").loc[offer_id, "outcome"]


def test_a_date_without_time_matches_the_one_offer_that_day(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    pending = offer(saas_frames, "pending")
    when = pending.offered_at + pd.Timedelta(days=2)
    crm = _crm(tmp_path, f"{pending.offered_at:%Y-%m-%d}", pending.offer_type, pending.account_id, when,
               pending.channel)
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


def test_a_date_prefers_the_offer_on_that_date_to_one_the_evening_before(
        saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    account = saas_frames["accounts"]["account_id"].iloc[0]
    _with_offers(data, account, ("X1", "2026-05-01 22:00", "email"), ("X2", "2026-05-02 09:00", "call"))
    crm = _crm(tmp_path, "2026-05-02", "tier_upgrade", account, pd.Timestamp("2026-05-05 10:00"), "call")
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 0, result.output  # before: refused as a near copy of X1 and X2
    assert _outcome_of(data, "X2") == "rejected" and _outcome_of(data, "X1") == "pending"


def test_a_date_matches_the_evening_before_only_with_nothing_that_day_and_says_so(
        saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    account = saas_frames["accounts"]["account_id"].iloc[0]
    _with_offers(data, account, ("X1", "2026-05-01 22:00", "email"), ("X3", "2026-04-29 02:00", "email"))
    crm = _crm(tmp_path, "2026-05-02", "tier_upgrade", account, pd.Timestamp("2026-05-05 10:00"))
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 0, result.output
    assert _outcome_of(data, "X1") == "rejected"
    assert "2026-05-02" in result.output and "X1 of 2026-05-01 22:00" in result.output  # the note names both dates
    # 2026-04-30 is more than 14 hours from X3 (04-29 02:00): a new offer, not X3
    crm = _crm(tmp_path, "2026-04-30", "tier_upgrade", account, pd.Timestamp("2026-05-05 10:00"))
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 0, result.output
    assert "0 updated, 1 appended" in result.output and _outcome_of(data, "X3") == "pending"


def test_a_new_offer_of_another_channel_is_not_taken_for_the_one_the_evening_before(
        saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    account = saas_frames["accounts"]["account_id"].iloc[0]
    _with_offers(data, account, ("X1", "2026-05-01 22:00", "email"))
    before = snapshot(data)
    crm = _crm(tmp_path, "2026-05-02", "tier_upgrade", account, pd.Timestamp("2026-05-05 10:00"), "call")
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 1, result.output  # before: X1 updated silently
    assert "outcomes.channel" in result.output and "X1" in result.output
    assert snapshot(data) == before


def test_a_time_matches_an_offer_stamped_at_midnight_that_day(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    account = saas_frames["accounts"]["account_id"].iloc[0]
    _with_offers(data, account, ("X1", "2026-05-01", "email"))
    crm = _crm(tmp_path, "2026-05-01 14:30:00", "tier_upgrade", account, pd.Timestamp("2026-05-05 10:00"))
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 0, result.output  # before: refused as a near copy of X1
    assert "1 updated, 0 appended" in result.output and _outcome_of(data, "X1") == "rejected"


def test_the_near_copy_error_names_every_candidate_in_full(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    account = saas_frames["accounts"]["account_id"].iloc[0]
    long_ids = ("OFFER-2026-05-02-MORNING-000001", "OFFER-2026-05-02-EVENING-000002")
    _with_offers(data, account, (long_ids[0], "2026-05-02 09:00", "email"), (long_ids[1], "2026-05-02 18:00", "email"))
    crm = _crm(tmp_path, "2026-05-02", "tier_upgrade", account, pd.Timestamp("2026-05-05 10:00"))
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 1, result.output
    assert all(oid in result.output for oid in long_ids)  # before: cut to 40 characters in the example table


def test_an_offer_named_by_its_id_takes_its_outcome_whatever_channel_the_crm_logged(tmp_path) -> None:
    """The CRM may log the contact under the channel it used (a call for an e-mailed offer): an
    offer_id names the offer, so only natural-key matches must agree on the channel."""
    import pandas as pd

    from pipeline.outcomes import merge_outcomes, prepare_outcomes

    offers = pd.DataFrame({"offer_id": ["O1"], "account_id": ["A1"], "offered_at": [pd.Timestamp("2026-09-01 10:00")],
                           "offer_type": ["tier_upgrade"], "channel": ["email"], "outcome": ["pending"]})
    raw = pd.DataFrame({"offer_id": ["O1"], "channel": ["call"], "outcome": ["accepted"],
                        "outcome_at": ["2026-09-03 10:00"], "revenue": ["100"]})
    rows, *_ = prepare_outcomes(raw, "crm.csv", now=pd.Timestamp("2026-09-10"))
    merged, counts = merge_outcomes(offers, rows, pd.Index(["A1"]), "crm.csv")
    assert merged.loc[0, "outcome"] == "accepted" and merged.loc[0, "channel"] == "email"
