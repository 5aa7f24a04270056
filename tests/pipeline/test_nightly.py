"""The nightly job end to end: contract output, idempotent reruns, failures and kills that leave the
previous night intact, bad input rejected before anything is written, CSV injection neutralised."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.nightly import ExportRequest, run_nightly
from pipeline.scoring import SCORED_LIST_COLUMNS
from tests.conftest import AS_OF

runner = CliRunner()


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _without_manifest(hashes: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in hashes.items() if k != "manifest.json"}


@pytest.fixture
def night(champion: str, saas_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = run_nightly(saas_dir, AS_OF, "saas", out, export=ExportRequest(target="salesforce"))
    return result, out


def test_scored_list_has_the_contract_columns_for_every_active_account(night) -> None:
    result, out = night
    scored = pd.read_parquet(out / "scored_accounts.parquet")
    assert list(scored.columns[: len(SCORED_LIST_COLUMNS)]) == list(SCORED_LIST_COLUMNS)
    assert scored["account_id"].is_unique and len(scored) == result.manifest["rows"]["accounts_scored"]
    assert scored["score"].between(0, 1).all()
    assert scored["rank"].tolist() == list(range(1, len(scored) + 1))
    assert scored["score"].is_monotonic_decreasing
    assert (scored["as_of"] == pd.Timestamp(AS_OF)).all()
    assert (scored["run_id"] == result.run_id).all() and scored["model_version"].notna().all()
    acted = scored[scored["action"].notna()]
    assert len(acted) > 0, "the SaaS playbook should act on some accounts"
    assert acted["owner_role"].notna().all() and acted["due_at"].notna().all()
    # reasons where the playbook says someone reads them: person-owned actions and seat_pack_email
    explained = acted["owner_role"].isin(["account_manager", "sales_rep", "customer_success"]) | (acted["action"] == "seat_pack_email")
    assert explained.any() and (~explained).any()
    assert acted.loc[explained, "reason_1"].notna().mean() > 0.9
    assert acted.loc[~explained, "reason_1"].isna().all()
    assert scored.loc[scored["action"].isna(), "reason_1"].isna().all()


def test_manifest_traces_inputs_model_playbook_and_outputs(night) -> None:
    result, out = night
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["data"]["fingerprints"]) >= {"accounts", "subscriptions", "usage", "offers"}
    assert manifest["model"]["version"] == result.scored["model_version"].iloc[0]
    assert len(manifest["playbook"]["sha256"]) == 64
    assert set(manifest["timings_seconds"]) >= {"validate", "score", "write", "report", "export"}
    assert set(manifest["score_breakdown_seconds"]) == {"features", "predict", "decide", "reasons"}
    actual = _without_manifest(_hashes(out))
    assert manifest["outputs"] == actual
    assert any(k.startswith("exports/") for k in actual) and "report/review.html" in actual
    # the export's own checksum is the published file's (hashed once, with the other outputs)
    assert manifest["export"]["sha256"] == actual["exports/upsell_salesforce.csv"]
    assert manifest["export"]["destination"] == str(out / "exports" / "upsell_salesforce.csv")


def test_review_measures_drift_against_the_champions_training_reference(night) -> None:
    _, out = night
    drift = json.loads((out / "report" / "review.json").read_text())["drift"]
    assert drift["summary"]["features"] >= 20 and drift["summary"]["n_reference"] > 0
    assert drift["summary"]["score_psi"] is not None and drift["summary"]["score_psi"] >= 0
    names = {row["feature"] for row in drift["features"]}
    assert {"score", "sub_mrr", "use_util_last"} <= names


def test_rerun_of_the_same_night_is_byte_identical(night, saas_dir: Path) -> None:
    first, out = night
    before = _hashes(out)
    second = run_nightly(saas_dir, AS_OF, "saas", out, export=ExportRequest(target="salesforce"))
    assert _without_manifest(_hashes(out)) == _without_manifest(before)
    timings = ("timings_seconds", "score_breakdown_seconds")
    strip = lambda m: {k: v for k, v in m.items() if k not in timings}  # noqa: E731
    assert strip(second.manifest) == strip(first.manifest)
    assert [p.name for p in (out / "history").iterdir()] == [f"scores-{AS_OF}.parquet"]
    assert pd.read_parquet(out / "history" / f"scores-{AS_OF}.parquet")["account_id"].is_monotonic_increasing


def test_a_second_night_adds_its_own_history_file_and_leaves_the_first_alone(night, saas_dir: Path) -> None:
    first, out = night
    first_file = out / "history" / f"scores-{AS_OF}.parquet"
    before = first_file.read_bytes()
    later = (pd.Timestamp(AS_OF) + pd.Timedelta(days=7)).strftime("%Y-%m-%d")
    run_nightly(saas_dir, later, "saas", out)
    assert sorted(p.name for p in (out / "history").iterdir()) == [f"scores-{AS_OF}.parquet", f"scores-{later}.parquet"]
    assert first_file.read_bytes() == before
    report = json.loads((out / "report" / "review.json").read_text())
    assert report["as_of"].startswith(later)


def test_a_failing_stage_leaves_the_previous_night_untouched(night, saas_dir: Path, monkeypatch) -> None:
    _, out = night
    before = _hashes(out)

    def broken(*args, **kwargs):
        raise RuntimeError("report renderer crashed")

    monkeypatch.setattr("pipeline.nightly._write_report", broken)
    with pytest.raises(RuntimeError):
        run_nightly(saas_dir, "2026-07-02", "saas", out, export=ExportRequest(target="salesforce"))
    assert _hashes(out) == before


def test_kill_9_mid_run_keeps_previous_outputs_and_a_rerun_completes(night, saas_dir: Path) -> None:
    _, out = night
    before = _hashes(out)
    cmd = [sys.executable, "-m", "pipeline", "nightly", "--data", str(saas_dir), "--as-of", "2026-07-02",
           "--playbook", "saas", "--out", str(out), "--export", "salesforce"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    deadline = time.monotonic() + 300
    while not list(out.glob(".staging-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed mid-write"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _hashes(out) == {**before, **{k: v for k, v in _hashes(out).items() if k.startswith(".staging-")}}
    rerun = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy(), timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert not list(out.glob(".staging-*"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["as_of"] == "2026-07-02"


def test_bad_input_exits_1_before_anything_is_written(champion: str, saas_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(saas_dir, data)
    tickets = pd.read_parquet(data / "support_tickets.parquet")
    tickets.loc[tickets.index[:3], "severity"] = "urgent"
    tickets.to_parquet(data / "support_tickets.parquet")
    out = tmp_path / "out"
    result = runner.invoke(app, ["nightly", "--data", str(data), "--as-of", AS_OF, "--playbook", "saas",
                                 "--out", str(out), "--export", "csv"])
    assert result.exit_code == 1
    assert "support_tickets.severity" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_formula_in_an_account_name_is_neutralised_in_csv_exports(champion: str, saas_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(saas_dir, data)
    accounts = pd.read_parquet(data / "accounts.parquet")
    evil = '=HYPERLINK("http://x","y")'
    accounts["name"] = accounts["name"].astype(object)
    accounts.loc[:, "name"] = evil  # every account, so the scored ones carry it whatever the spine
    accounts.to_parquet(data / "accounts.parquet")
    for target in ("salesforce", "hubspot", "csv"):
        out = tmp_path / f"out-{target}"
        run_nightly(data, AS_OF, "saas", out, export=ExportRequest(target=target))
        (export_file,) = (out / "exports").glob("*.csv")
        text = export_file.read_text()
        if target != "csv":  # the plain csv target carries the scored list's columns only
            assert f"'{evil}".replace('"', '""') in text
        for line in text.splitlines():
            for cell in line.split(","):
                assert not cell.strip('"').startswith(("=", "+", "@")), (target, cell)


def test_score_command_writes_the_scored_list(champion: str, saas_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["score", "--data", str(saas_dir), "--as-of", AS_OF, "--playbook", "saas", "--out", str(out)])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out)
    assert list(scored.columns[: len(SCORED_LIST_COLUMNS)]) == list(SCORED_LIST_COLUMNS)
    assert scored["score"].between(0, 1).all()
    assert "note:" not in result.output  # the data ends the day before AS_OF: nothing stale


def test_score_notes_stale_data_on_the_terminal(champion: str, saas_dir: Path, tmp_path: Path) -> None:
    """Scoring months after the data ends (a stalled feed, a mistyped --as-of) still scores, but says so."""
    out = tmp_path / "late.parquet"
    result = runner.invoke(app, ["score", "--data", str(saas_dir), "--as-of", "2026-10-01", "--playbook", "saas", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert re.search(r"note: the newest usage, purchase, ticket or offer before 2026-10-01 is 9\d days old", result.output)
    assert out.is_file()
