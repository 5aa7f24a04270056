"""`upsell review` end to end: data dir + nightly history + a shipped playbook → HTML and JSON."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from pipeline.cli import app
from tests.pipeline.test_review import HISTORY, OFFERS


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"account_id": ["A1", "A2", "A3", "A4"],
                  "created_at": pd.Timestamp("2024-01-01")}).to_parquet(data / "accounts.parquet", index=False)
    OFFERS.to_parquet(data / "offers.parquet", index=False)
    out = tmp_path / "run"
    (out / "history").mkdir(parents=True)
    HISTORY.to_parquet(out / "history" / "scores.parquet", index=False)
    return data, out


def test_review_writes_html_and_json(tmp_path: Path) -> None:
    data, out = _setup(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["review", "--data", str(data), "--out", str(out), "--playbook", "saas",
                                 "--capacity", "2"])
    assert result.exit_code == 0, result.output
    assert "5 offers, 2 accepted (50.0%)" in result.output
    assert "recommended band threshold" in result.output
    figures = json.loads((out / "review" / "review.json").read_text())
    assert figures["as_of"] == "2026-10-01" and figures["settings"]["playbook"] == "saas"
    assert figures["revenue"]["target"] > 0 and figures["revenue"]["period"] == "quarter"
    page = (out / "review" / "review.html").read_text()
    assert "<pre class='mermaid'>" in page and "flowchart" in page and "<svg" in page
    first = (out / "review" / "review.json").read_bytes()
    again = runner.invoke(app, ["review", "--data", str(data), "--out", str(out), "--playbook", "saas", "--capacity", "2"])
    assert again.exit_code == 0 and (out / "review" / "review.json").read_bytes() == first


def test_review_bad_usage_and_input(tmp_path: Path) -> None:
    data, out = _setup(tmp_path)
    runner = CliRunner()
    neither = runner.invoke(app, ["review", "--data", str(data)])
    assert neither.exit_code == 1 and "--out" in neither.output
    missing = runner.invoke(app, ["review", "--data", str(data), "--history", str(tmp_path / "nope.parquet")])
    assert missing.exit_code == 1 and "nope.parquet: no such score history" in missing.output
    period = runner.invoke(app, ["review", "--data", str(data), "--out", str(out), "--period", "decade"])
    assert period.exit_code == 1 and "decade" in period.output
    half = runner.invoke(app, ["review", "--data", str(data), "--out", str(out), "--reference", str(data / "x")])
    assert half.exit_code == 1 and "both --reference" in half.output
    assert not (out / "review").exists()
