"""`upsell outcomes import --now`: the instant an import judges `outcome_at` against (at most a
day later), so a backfill or a replay gives the same answer whatever the wall clock says. Before,
the CLI always read the clock, and the public function failed on a `now` with a time zone."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data.errors import DataContractError
from pipeline.outcomes import import_outcomes
from tests.loose_ends.conftest import copy_of, invoke, offer, snapshot


def _acceptance(pending: pd.Series, tmp_path: Path, when: str) -> Path:
    crm = tmp_path / "crm.csv"
    crm.write_text(f"offer_id,outcome,outcome_at,revenue\n{pending.offer_id},accepted,{when},250\n", encoding="utf-8")
    return crm


def test_now_replays_an_import_as_of_a_past_instant(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    """The wall clock (2026-11 or later) would take an outcome of 2026-09-01; an import replayed
    as of 2026-07-01 refuses it, naming the bound it used."""
    data = copy_of(saas_parquet_dir, tmp_path)
    pending = offer(saas_frames, "pending")
    crm = _acceptance(pending, tmp_path, "2026-09-01 10:00:00")
    before = snapshot(data)
    result = invoke("outcomes", "import", crm, "--data", data, "--now", "2026-07-01T00:00:00")
    assert result.exit_code == 1, result.output  # before: exit 2, no such option
    assert "outcomes.outcome_at" in result.output and "after 2026-07-02 00:00 UTC" in result.output
    assert snapshot(data) == before


def test_now_backfills_what_the_clock_would_call_the_future(saas_frames, saas_parquet_dir: Path,
                                                            tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    pending = offer(saas_frames, "pending")
    crm = _acceptance(pending, tmp_path, "2099-01-01 09:00:00")
    assert invoke("outcomes", "import", crm, "--data", data, "--dry-run").exit_code == 1  # the clock refuses it
    result = invoke("outcomes", "import", crm, "--data", data, "--now", "2099-01-01", "--json")
    assert result.exit_code == 0, result.output
    assert '"updated": 1' in result.output
    offers = pd.read_parquet(data / "offers.parquet")
    row = offers[offers["offer_id"] == pending.offer_id].iloc[0]
    assert row["outcome"] == "accepted" and row["outcome_at"] == pd.Timestamp("2099-01-01 09:00:00")


def test_an_offset_is_converted_to_utc(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    """23:00 at UTC-05:00 is 04:00 UTC the next day: an outcome up to a day after that is taken."""
    data = copy_of(saas_parquet_dir, tmp_path)
    pending = offer(saas_frames, "pending")
    crm = _acceptance(pending, tmp_path, "2026-07-03 03:59:00")
    result = invoke("outcomes", "import", crm, "--data", data, "--dry-run", "--now", "2026-07-01T23:00:00-05:00")
    assert result.exit_code == 0, result.output
    assert "1 updated" in result.output
    later = _acceptance(pending, tmp_path, "2026-07-03 04:01:00")
    refused = invoke("outcomes", "import", later, "--data", data, "--dry-run", "--now", "2026-07-01T23:00:00-05:00")
    assert refused.exit_code == 1 and "after 2026-07-03 04:00 UTC" in refused.output


def test_the_public_function_takes_an_aware_now(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    """A notebook passing ``pd.Timestamp.now(tz=...)`` (before: TypeError comparing naive and aware)."""
    data = copy_of(saas_parquet_dir, tmp_path)
    pending = offer(saas_frames, "pending")
    crm = _acceptance(pending, tmp_path, "2026-07-03 02:59:00")
    now = pd.Timestamp("2026-07-01 23:00", tz="America/New_York")  # 2026-07-02 03:00 UTC (daylight time)
    result = import_outcomes(crm, data, dry_run=True, now=now)
    assert result.updated == 1
    with pytest.raises(DataContractError, match="after 2026-07-02 00:00 UTC"):
        import_outcomes(crm, data, dry_run=True, now="2026-07-01")


@pytest.mark.parametrize("spelling", ["01/07/2026", "2026-7-1", "yesterday", "2026-07-01 25:00"])
def test_now_is_iso_8601_only(spelling: str, saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    pending = offer(saas_frames, "pending")
    crm = _acceptance(pending, tmp_path, "2026-06-30 10:00:00")
    result = invoke("outcomes", "import", crm, "--data", saas_parquet_dir, "--now", spelling)
    assert result.exit_code == 2, result.output
    assert "--now must be a date YYYY-MM-DD or an ISO 8601 date and time" in result.output
