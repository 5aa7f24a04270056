"""``--changed-only``: deltas against the previous night, idempotent reruns, state safety."""
from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from data.errors import UpsellError
from pipeline.export import export_scores
from pipeline.export.changes import plan_changes, row_hashes
from tests.pipeline.conftest import make_scored_list


def _ids(path: Path, column: str = "account_id") -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row[column] for row in csv.DictReader(handle)]


def _next_night(frame: pd.DataFrame, as_of: str) -> pd.DataFrame:
    out = frame.copy()
    stamp = pd.Timestamp(as_of)
    out["as_of"] = stamp
    out["as_of"] = out["as_of"].astype("datetime64[us]")
    out["due_at"] = stamp + pd.Timedelta(days=7)
    out["run_id"] = "run-" + as_of
    return out


def test_delta_lists_new_and_changed_accounts_only(tmp_path: Path) -> None:
    night1 = make_scored_list(5)
    path = tmp_path / "sf.csv"
    first = export_scores(night1, "salesforce", path, changed_only=True)
    assert first.rows_written == 5 and first.rows_new == 5 and first.baseline_as_of is None
    assert Path(first.state_path) == tmp_path / "sf.csv.export-state.parquet"

    night2 = _next_night(night1, "2026-11-21")
    night2.loc[night2["account_id"] == "A002", "score"] = 0.01  # changed
    night2.loc[night2["account_id"] == "A003", "rank"] = 99  # rank alone is not a change
    night2 = pd.concat([night2[night2["account_id"] != "A004"],  # dropped out
                        _next_night(make_scored_list(7), "2026-11-21").tail(2)], ignore_index=True)  # A005, A006 new
    second = export_scores(night2, "salesforce", path, changed_only=True)
    assert _ids(path, "Upsell_Account_Id__c") == ["A002", "A005", "A006"]
    assert (second.rows_new, second.rows_changed, second.rows_unchanged, second.rows_removed) == (2, 1, 3, 1)
    assert second.baseline_as_of == "2026-11-20" and second.rows_total == 6

    rerun = export_scores(night2, "salesforce", path, changed_only=True)  # same night again: same delta
    assert _ids(path, "Upsell_Account_Id__c") == ["A002", "A005", "A006"]
    assert rerun.sha256 == second.sha256

    night3 = _next_night(night2, "2026-11-22")
    third = export_scores(night3, "salesforce", path, changed_only=True)
    assert third.rows_written == 0 and third.baseline_as_of == "2026-11-21"
    assert path.read_text().startswith("Upsell_Account_Id__c,")  # header only: nothing to import
    state = pd.read_parquet(tmp_path / "sf.csv.export-state.parquet")
    assert sorted(state["snapshot_as_of"].dt.strftime("%Y-%m-%d").unique()) == ["2026-11-21", "2026-11-22"]


def test_hash_ignores_dtype_differences_and_volatile_columns() -> None:
    frame = make_scored_list(3)
    as_csv_would_read = frame.assign(rank=frame["rank"].astype("float64"), score=frame["score"] + 1e-9,
                                     run_id="other", as_of=pd.Timestamp("2027-01-01"))
    assert row_hashes(frame).tolist() == row_hashes(as_csv_would_read).tolist()
    assert row_hashes(frame.assign(action="email")).tolist() != row_hashes(frame).tolist()
    assert row_hashes(frame.assign(extra="x")).tolist() != row_hashes(frame).tolist()


def test_plan_is_pure_and_keeps_later_snapshots() -> None:
    night = make_scored_list(2)
    plan_late = plan_changes(_next_night(night, "2026-11-25"), None, pd.Timestamp("2026-11-25"))
    backfill = plan_changes(night, plan_late.new_state, pd.Timestamp("2026-11-20"))
    assert backfill.rows_new == 2  # nothing earlier than the backfilled night
    kept = backfill.new_state["snapshot_as_of"].dt.strftime("%Y-%m-%d").unique().tolist()
    assert kept == ["2026-11-20", "2026-11-25"]


def test_failed_export_does_not_advance_state(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    export_scores(make_scored_list(3), "csv", path, changed_only=True)
    state_before = (tmp_path / "out.csv.export-state.parquet").read_bytes()
    bad = _next_night(make_scored_list(3), "2026-11-21").assign(model_version=None)
    with pytest.raises(UpsellError):
        export_scores(bad, "csv", path, changed_only=True)
    assert (tmp_path / "out.csv.export-state.parquet").read_bytes() == state_before


def test_sql_changed_only_needs_a_state_file(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    with pytest.raises(UpsellError, match="--state"):
        export_scores(make_scored_list(3), "sql", db, changed_only=True)
    state = tmp_path / "sql-state.parquet"
    export_scores(make_scored_list(3), "sql", db, changed_only=True, state_path=state)
    night2 = _next_night(make_scored_list(3), "2026-11-21")
    night2.loc[1, "score"] = 0.5
    result = export_scores(night2, "sql", db, changed_only=True, state_path=state)
    assert result.rows_written == 1
    with sqlite3.connect(db) as con:
        rows = con.execute("select account_id, score, run_id from upsell_scores order by account_id").fetchall()
    assert rows == [("A000", 0.9, "run-2026-11-20"), ("A001", 0.5, "run-2026-11-21"), ("A002", 0.6, "run-2026-11-20")]


def test_damaged_state_is_an_error_not_a_full_reexport(tmp_path: Path) -> None:
    (tmp_path / "out.csv.export-state.parquet").write_text("garbage")
    with pytest.raises(UpsellError, match="unreadable export state"):
        export_scores(make_scored_list(3), "csv", tmp_path / "out.csv", changed_only=True)
