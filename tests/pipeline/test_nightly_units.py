"""The nightly job's safety mechanisms on their own: staging, history, manifest, progress lines."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.history import append_night, history_files, night_file, read_history
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


def test_history_is_one_file_per_night_read_back_in_date_then_id_order(tmp_path: Path) -> None:
    for as_of, ids, score in (("2026-01-03", ["b", "a"], 0.3), ("2026-01-01", ["c", "a"], 0.1)):
        path = tmp_path / night_file(pd.Timestamp(as_of))
        path.parent.mkdir(parents=True, exist_ok=True)
        _night(as_of, ids, score).assign(extra="x").to_parquet(path, index=False)
    assert [p.name for p in history_files(tmp_path)] == ["scores-2026-01-01.parquet", "scores-2026-01-03.parquet"]
    h = read_history(tmp_path, columns=["account_id", "as_of", "score", "not_there"])
    assert list(h.columns) == ["account_id", "as_of", "score"]
    assert list(zip(h["as_of"].dt.strftime("%m-%d"), h["account_id"])) == [
        ("01-01", "a"), ("01-01", "c"), ("01-03", "a"), ("01-03", "b")]
    assert read_history(tmp_path / "history") is not None and read_history(tmp_path / "nothing") is None


def test_a_multi_night_legacy_file_is_read_and_a_per_night_file_wins(tmp_path: Path) -> None:
    (tmp_path / "history").mkdir()
    legacy = pd.concat([_night("2026-01-01", ["a"], 0.1), _night("2026-01-02", ["a", "b"], 0.2)], ignore_index=True)
    legacy.to_parquet(tmp_path / "history" / "scores.parquet", index=False)
    _night("2026-01-02", ["c"], 0.9).to_parquet(tmp_path / night_file(pd.Timestamp("2026-01-02")), index=False)
    h = read_history(tmp_path)
    assert list(zip(h["as_of"].dt.strftime("%m-%d"), h["account_id"], h["score"])) == [("01-01", "a", 0.1), ("01-02", "c", 0.9)]


def test_an_unreadable_history_file_names_the_file(tmp_path: Path) -> None:
    from data.errors import UpsellError

    path = tmp_path / night_file(pd.Timestamp("2026-01-01"))
    path.parent.mkdir(parents=True)
    path.write_text("not parquet")
    with pytest.raises(UpsellError, match="scores-2026-01-01.parquet: cannot read the score history"):
        read_history(tmp_path)


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
