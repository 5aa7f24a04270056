"""Outcome import: validation (nothing written), de-duplication, idempotency, merge, formats."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from data.errors import DataContractError, UpsellError
from pipeline.cli import app
from pipeline.outcomes import import_outcomes

ACCOUNTS = pd.DataFrame({
    "account_id": ["A1", "A2", "A3"],
    "created_at": pd.to_datetime(["2024-01-01"] * 3).astype("datetime64[us]"),
})
OFFERS = pd.DataFrame({
    "offer_id": ["O1", "O2", "O3"],
    "account_id": ["A1", "A2", "A3"],
    "offered_at": pd.to_datetime(["2026-10-01 09:00", "2026-10-02 09:00", "2026-10-03 09:00"]).astype("datetime64[us]"),
    "offer_type": ["tier_upgrade", "add_on", "tier_upgrade"],
    "channel": ["call", "email", "in_app"],
    "owner_role": ["account_manager", "automated", "customer_success"],
    "outcome": ["pending", "pending", "rejected"],
    "outcome_at": pd.to_datetime([None, None, "2026-10-05"]).astype("datetime64[us]"),
    "revenue": [None, None, None],
    "reenter_at": pd.to_datetime([None, None, None]).astype("datetime64[us]"),
})


def _data_dir(tmp_path: Path, fmt: str = "parquet") -> Path:
    data = tmp_path / "data"
    data.mkdir()
    for name, frame in (("accounts", ACCOUNTS), ("offers", OFFERS)):
        if fmt == "parquet":
            frame.to_parquet(data / f"{name}.parquet", index=False)
        else:
            frame.to_csv(data / f"{name}.csv", index=False)
    return data


def _write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "crm_outcomes.csv"
    path.write_text(text)
    return path


GOOD = (
    "offer_id,outcome,outcome_at,revenue,reenter_at,crm_stage\n"
    "O1,Accepted,2026-10-10T12:00:00,1200.5,,Closed Won\n"
    "O1,Accepted,2026-10-10T12:00:00,1200.5,,Closed Won\n"  # exact duplicate
    "O2,deferred,2026-10-04,,2027-01-15,Later\n"
    "O2,no_response,2026-10-03,,,\n"  # older outcome of O2: superseded by the deferral
)


def test_import_updates_outcomes_and_is_idempotent(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)
    source = _write_csv(tmp_path, GOOD)
    result = import_outcomes(source, data)
    assert (result.rows_read, result.duplicates_dropped, result.superseded) == (4, 1, 1)
    assert (result.updated, result.appended, result.unchanged, result.stale) == (2, 0, 0, 0)
    assert result.written and "crm_stage" in result.notes[0]
    offers = pd.read_parquet(data / "offers.parquet").set_index("offer_id")
    assert offers.loc["O1", "outcome"] == "accepted"
    assert offers.loc["O1", "outcome_at"] == pd.Timestamp("2026-10-10 12:00")
    assert offers.loc["O1", "revenue"] == pytest.approx(1200.5)
    assert offers.loc["O2", "outcome"] == "deferred"
    assert offers.loc["O2", "reenter_at"] == pd.Timestamp("2027-01-15")
    assert offers.loc["O3", "outcome"] == "rejected"  # untouched
    assert list(offers.index) == ["O1", "O2", "O3"]

    before = (data / "offers.parquet").read_bytes()
    mtime = (data / "offers.parquet").stat().st_mtime_ns
    again = import_outcomes(source, data)
    assert (again.updated, again.appended, again.unchanged, again.written) == (0, 0, 2, False)
    assert (data / "offers.parquet").read_bytes() == before
    assert (data / "offers.parquet").stat().st_mtime_ns == mtime


def test_older_outcome_never_overwrites_newer(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)
    import_outcomes(_write_csv(tmp_path, "offer_id,outcome,outcome_at\nO3,accepted,2026-10-04\n"), data)
    offers = pd.read_parquet(data / "offers.parquet").set_index("offer_id")
    assert offers.loc["O3", "outcome"] == "rejected"


def test_new_offers_are_appended_by_natural_key(tmp_path: Path) -> None:
    data = _data_dir(tmp_path, fmt="csv")
    text = ("account_id,offered_at,offer_type,channel,owner_role,outcome,outcome_at,revenue\n"
            "A3,2026-11-01 10:00,add_on,demo,sales_rep,accepted,2026-11-03,300\n"
            "A1,2026-10-01 09:00,tier_upgrade,,,rejected,2026-10-09,\n")  # = O1 by natural key
    result = import_outcomes(_write_csv(tmp_path, text), data)
    assert (result.updated, result.appended) == (1, 1)
    offers = pd.read_csv(data / "offers.csv")
    assert not (data / "offers.parquet").exists()  # the table keeps its format
    assert len(offers) == 4
    new = offers.iloc[3]
    assert new["offer_id"].startswith("crm-") and new["account_id"] == "A3" and new["channel"] == "demo"
    assert new["offered_at"] == "2026-11-01 10:00:00" and new["revenue"] == 300
    assert offers.set_index("offer_id").loc["O1", "outcome"] == "rejected"
    again = import_outcomes(_write_csv(tmp_path, text), data)
    assert (again.appended, again.unchanged, again.written) == (0, 2, False)  # same derived id


@pytest.mark.parametrize("text, column, rule", [
    ("offer_id,outcome,outcome_at\nO1,won,2026-10-10\n", "outcome", "one of accepted, rejected"),
    ("offer_id,outcome,outcome_at\nO1,pending,2026-10-10\n", "outcome", "one of accepted"),
    ("offer_id,outcome,outcome_at\nO1,accepted,\n", "outcome_at", "not null"),
    ("offer_id,outcome,outcome_at\nO1,accepted,yesterday\n", "outcome_at", "ISO 8601"),
    ("offer_id,outcome,outcome_at,revenue\nO1,accepted,2026-10-10,-5\n", "revenue", ">= 0"),
    ("offer_id,outcome,outcome_at,revenue\nO1,rejected,2026-10-10,50\n", "revenue", "only on accepted"),
    ("offer_id,outcome,outcome_at\nO2,deferred,2026-10-10\n", "reenter_at", "re-entry date"),
    ("offer_id,outcome,outcome_at,reenter_at\nO2,deferred,2026-10-10,2026-10-01\n", "reenter_at", ">= outcome_at"),
    ("offer_id,outcome\nO1,accepted\n", "outcome_at", "required column present"),
    ("outcome,outcome_at\naccepted,2026-10-10\n", "offer_id", "required column present"),
    ("offer_id,outcome,outcome_at\nO1,accepted,2026-10-10\nO1,rejected,2026-10-10\n", "outcome", "these rows disagree"),
    ("offer_id,outcome,outcome_at\nO1,accepted,2026-09-01\n", "outcome_at", "outcome_at >= offered_at"),
    ("offer_id,outcome,outcome_at\nO9,accepted,2026-10-10\n", "offer_id", "needs account_id, offered_at"),
    ("offer_id,account_id,offered_at,offer_type,channel,outcome,outcome_at\n"
     "O9,ZZ,2026-10-01,add_on,email,accepted,2026-10-10\n", "account_id", "exists in accounts"),
    ("offer_id,account_id,offered_at,offer_type,channel,outcome,outcome_at\n"
     "O9,A1,2026-10-01,add_on,fax,accepted,2026-10-10\n", "channel", "one of email"),
])
def test_bad_files_are_rejected_with_nothing_written(tmp_path: Path, text: str, column: str, rule: str) -> None:
    data = _data_dir(tmp_path)
    before = (data / "offers.parquet").read_bytes()
    source = _write_csv(tmp_path, text)
    with pytest.raises(DataContractError) as info:
        import_outcomes(source, data)
    message = str(info.value)
    assert str(source) in message and f"outcomes.{column}" in message and rule in message
    assert (data / "offers.parquet").read_bytes() == before
    assert sorted(p.name for p in data.iterdir()) == ["accounts.parquet", "offers.parquet"]


def test_error_message_shows_example_rows(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)
    source = _write_csv(tmp_path, "offer_id,outcome,outcome_at\nO1,accepted,2026-10-10\nO2,maybe,2026-10-10\n"
                                  "O3,perhaps,2026-10-11\n")
    with pytest.raises(DataContractError) as info:
        import_outcomes(source, data)
    assert "broken by 2 rows" in str(info.value) and "maybe" in str(info.value) and "perhaps" in str(info.value)


def test_ambiguous_natural_key_is_an_error(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)
    offers = pd.concat([OFFERS, OFFERS.head(1).assign(offer_id="O1b")], ignore_index=True)
    offers.to_parquet(data / "offers.parquet", index=False)
    source = _write_csv(tmp_path, "account_id,offered_at,offer_type,outcome,outcome_at\n"
                                  "A1,2026-10-01 09:00,tier_upgrade,accepted,2026-10-10\n")
    with pytest.raises(DataContractError, match="several match"):
        import_outcomes(source, data)


def test_offers_table_is_created_when_absent(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    ACCOUNTS.to_parquet(data / "accounts.parquet", index=False)
    source = tmp_path / "o.parquet"
    pd.DataFrame({"offer_id": ["X1"], "account_id": ["A2"], "offered_at": [pd.Timestamp("2026-10-01")],
                  "offer_type": ["add_on"], "channel": ["email"], "outcome": ["no_response"],
                  "outcome_at": [pd.Timestamp("2026-10-20")]}).to_parquet(source, index=False)
    result = import_outcomes(source, data)
    assert result.appended == 1 and result.offers_path == str(data / "offers.parquet")
    assert pd.read_parquet(data / "offers.parquet")["offer_id"].tolist() == ["X1"]


def test_cli_import_and_exit_codes(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)
    runner = CliRunner()
    ok = runner.invoke(app, ["outcomes", "import", str(_write_csv(tmp_path, GOOD)), "--data", str(data)])
    assert ok.exit_code == 0, ok.output
    assert "2 updated" in ok.output
    bad = runner.invoke(app, ["outcomes", "import", str(_write_csv(tmp_path, "offer_id,outcome,outcome_at\nO1,x,2026-10-10\n")),
                              "--data", str(data)])
    assert bad.exit_code == 1 and "outcomes.outcome" in bad.output
    missing = runner.invoke(app, ["outcomes", "import", str(tmp_path / "nope.csv"), "--data", str(data)])
    assert missing.exit_code == 1 and "no such outcome file" in missing.output


def test_unknown_file_type(tmp_path: Path) -> None:
    path = tmp_path / "o.xlsx"
    path.write_text("x")
    with pytest.raises(UpsellError, match=r"\.csv, \.csv\.gz or \.parquet"):
        import_outcomes(path, _data_dir(tmp_path))


def test_offer_named_by_id_and_by_natural_key_keeps_the_latest(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)
    text = ("offer_id,account_id,offered_at,offer_type,outcome,outcome_at,reenter_at\n"
            ",A2,2026-10-02 09:00,add_on,accepted,2026-10-20,\n"  # = O2, later
            "O2,,,,deferred,2026-10-05,2026-12-01\n")
    result = import_outcomes(_write_csv(tmp_path, text), data)
    assert (result.updated, result.superseded, result.appended) == (1, 1, 0)
    offers = pd.read_parquet(data / "offers.parquet").set_index("offer_id")
    assert offers.loc["O2", "outcome"] == "accepted" and pd.isna(offers.loc["O2", "reenter_at"])


def test_an_outcome_dated_on_the_offers_own_day_is_imported(tmp_path: Path) -> None:
    """A CRM gives the outcome as a date alone (midnight) while the offer has a time of day: the
    outcome on the offer's own day is kept, as the offers table itself allows; the day before is
    refused, whether the file names the offer by id or by its natural key."""
    data = _data_dir(tmp_path)
    result = import_outcomes(_write_csv(tmp_path, "offer_id,outcome,outcome_at\nO1,accepted,2026-10-01\n"), data)
    assert result.updated == 1
    assert pd.read_parquet(data / "offers.parquet").set_index("offer_id").loc["O1", "outcome_at"] == pd.Timestamp("2026-10-01")
    for text in ("offer_id,outcome,outcome_at\nO2,accepted,2026-10-01T23:59:59\n",
                 "account_id,offered_at,offer_type,channel,outcome,outcome_at\n"
                 "A2,2026-10-02T09:00:00,add_on,email,accepted,2026-10-01T23:00:00\n",
                 "offer_id,account_id,offered_at,offer_type,channel,outcome,outcome_at\n"
                 "O9,A1,2026-10-06T09:00:00,add_on,email,accepted,2026-10-05\n"):
        with pytest.raises(DataContractError, match=r"outcome_at >= offered_at \(same day allowed\)"):
            import_outcomes(_write_csv(tmp_path, text), data)
