"""`upsell demo`, the README's first command: the main job end to end on embedded defaults."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app


@pytest.mark.slow
def test_demo_generates_trains_runs_the_night_and_says_where_things_are(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # the demo keeps its own SQLite store
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--accounts", "400"])
    assert result.exit_code == 0, result.output
    scored = pd.read_parquet(out / "nightly" / "scored_accounts.parquet")
    assert len(scored) > 0 and scored["score"].between(0, 1).all() and scored["action"].notna().any()
    for shown in ("nightly/exports/upsell_salesforce.csv", "nightly/report/review.html", "nightly/manifest.json",
                  "mlflow.db"):
        assert (out / shown).is_file(), shown
        assert Path(shown).name in result.output, shown  # printed where it is
    assert "mlflow ui --backend-store-uri sqlite:///" in result.output
    again = CliRunner().invoke(app, ["demo", "--out", str(out), "--accounts", "400"])
    assert again.exit_code == 0 and "trained now" not in again.output  # the champion is reused
