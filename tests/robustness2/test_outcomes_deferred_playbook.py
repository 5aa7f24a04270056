"""CRMs export a deferral without a date, while the playbook's deferred exit path says when the
account re-enters (`reenter_after_days`). `upsell outcomes import --playbook P` fills a missing
reenter_at from that rule; without it, a deferral without a date is still refused."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.playbook.load import resolve_playbook
from tests.robustness2.conftest import copy_of, invoke, offer, snapshot


def _deferral(tmp_path: Path, pending: pd.Series, reenter_at: str = "") -> tuple[Path, pd.Timestamp]:
    when = (pending.offered_at + pd.Timedelta(days=3)).floor("s")
    path = tmp_path / "deferred.csv"
    path.write_text(f"offer_id,outcome,outcome_at,reenter_at\n{pending.offer_id},Deferred,{when:%Y-%m-%d %H:%M:%S},{reenter_at}\n")
    return path, when


def test_playbook_fills_a_missing_reentry_date(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    pending = offer(saas_frames, "pending")
    crm, when = _deferral(tmp_path, pending)
    result = invoke("outcomes", "import", crm, "--data", data, "--playbook", "saas")
    assert result.exit_code == 0, result.output
    days = resolve_playbook("saas").exit_paths.deferred.reenter_after_days
    assert f"reenter_after_days: {days}" in result.output  # the note says where the date came from
    row = pd.read_parquet(data / "offers.parquet").set_index("offer_id").loc[pending.offer_id]
    assert row["outcome"] == "deferred" and row["reenter_at"] == when + pd.Timedelta(days=days)


def test_a_recorded_reentry_date_wins_over_the_playbook(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    pending = offer(saas_frames, "pending")
    crm, _ = _deferral(tmp_path, pending, reenter_at="2026-12-01")
    result = invoke("outcomes", "import", crm, "--data", data, "--playbook", "saas")
    assert result.exit_code == 0, result.output
    row = pd.read_parquet(data / "offers.parquet").set_index("offer_id").loc[pending.offer_id]
    assert row["reenter_at"] == pd.Timestamp("2026-12-01")


def test_without_a_playbook_the_date_is_still_required(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    crm, _ = _deferral(tmp_path, offer(saas_frames, "pending"))
    before = snapshot(data)
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 1, result.output
    assert "outcomes.reenter_at" in result.output and "--playbook" in result.output
    assert snapshot(data) == before


def test_an_unknown_playbook_is_one_line(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    crm, _ = _deferral(tmp_path, offer(saas_frames, "pending"))
    result = invoke("outcomes", "import", crm, "--data", data, "--playbook", "sass")
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "sass" in result.output
