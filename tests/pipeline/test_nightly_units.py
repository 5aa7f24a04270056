"""The nightly job's safety mechanisms on their own: staging, history, manifest, progress lines."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.history import append_night
from pipeline.manifest import manifest_json, mask_secrets, run_id_for
from pipeline.progress import StageTimer
from pipeline.publish import staged_outputs


def test_failed_run_leaves_previous_outputs_untouched(tmp_path: Path) -> None:
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "review.html").write_text("old report")
    (tmp_path / "scores.parquet").write_text("old scores")
    with pytest.raises(RuntimeError):
        with staged_outputs(tmp_path) as stage:
            (stage / "scores.parquet").write_text("new scores")
            raise RuntimeError("export failed")
    assert (tmp_path / "scores.parquet").read_text() == "old scores"
    assert (tmp_path / "report" / "review.html").read_text() == "old report"
    assert not list(tmp_path.glob(".staging-*"))


def test_successful_run_replaces_files_and_keeps_others(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    (tmp_path / "scores.parquet").write_text("old")
    (tmp_path / ".staging-999").mkdir()  # left by a killed run
    with staged_outputs(tmp_path) as stage:
        (stage / "scores.parquet").write_text("new")
        (stage / "report").mkdir()
        (stage / "report" / "review.html").write_text("report")
        (stage / "manifest.json").write_text("{}")
    assert (tmp_path / "scores.parquet").read_text() == "new"
    assert (tmp_path / "report" / "review.html").read_text() == "report"
    assert (tmp_path / "keep.txt").read_text() == "mine"
    assert not list(tmp_path.glob(".staging-*"))


def _night(as_of: str, ids: list[str], score: float) -> pd.DataFrame:
    return pd.DataFrame({"account_id": ids, "as_of": pd.Timestamp(as_of), "score": score})


def test_history_appends_nights_and_a_rerun_replaces_its_night() -> None:
    h = append_night(None, _night("2026-01-01", ["b", "a"], 0.1))
    h = append_night(h, _night("2026-01-02", ["a"], 0.2))
    h = append_night(h, _night("2026-01-01", ["a", "c"], 0.3))  # rerun of the first night
    assert list(zip(h["as_of"].dt.strftime("%m-%d"), h["account_id"], h["score"])) == [
        ("01-01", "a", 0.3), ("01-01", "c", 0.3), ("01-02", "a", 0.2)]


def test_run_id_depends_on_inputs_only() -> None:
    a = run_id_for({"data": {"accounts": "x"}, "as_of": "2026-01-01"})
    assert a == run_id_for({"as_of": "2026-01-01", "data": {"accounts": "x"}})
    assert a != run_id_for({"data": {"accounts": "y"}, "as_of": "2026-01-01"})


def test_secrets_never_reach_the_manifest() -> None:
    url = "postgresql+psycopg://crm_user:s3cr3t-P@ss@db.internal:5432/crm"
    assert mask_secrets(url) == "postgresql+psycopg://crm_user:***@db.internal:5432/crm"
    payload = manifest_json({"export": {"destination": url}}).decode()
    assert "s3cr3t" not in payload and "crm_user:***@" in payload
    assert json.loads(payload)["export"]["destination"].startswith("postgresql+psycopg://crm_user:***@")


def test_plain_progress_lines_are_logfmt_with_timings() -> None:
    stream = io.StringIO()
    timer = StageTimer("nightly", stream=stream, rich=False)
    with timer.stage("features") as facts:
        facts["rows"] = 12
    with pytest.raises(ValueError):
        with timer.stage("score"):
            raise ValueError("boom")
    lines = stream.getvalue().splitlines()
    assert "stage=features event=start" in lines[0]
    assert "stage=features event=done" in lines[1] and "rows=12" in lines[1] and "seconds=" in lines[1]
    assert "level=error" in lines[3] and "stage=score event=failed" in lines[3]
    assert set(timer.timings) == {"features"}
