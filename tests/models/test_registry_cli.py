"""`upsell train` end to end on the small world: determinism, versions, aliases, promotion records,
and loading the champion in a fresh process."""
import json
import os
import subprocess
import sys
from datetime import datetime, timezone

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app

NAME = "test-propensity"
FAST_TOML = """
[training]
max_rounds = 200
early_stopping_rounds = 20
n_snapshots = 4
"""
# No leaf can hold this many rows: the booster cannot split, every account gets the same score.
WORSE_TOML = FAST_TOML + """
[lightgbm]
min_child_samples = 1000000
"""


@pytest.fixture(scope="session")
def trained(world_dir, mlflow_store, tmp_path_factory):
    """Three `upsell train` runs: the same settings twice, then deliberately worse settings."""
    conf = tmp_path_factory.mktemp("conf")
    (conf / "fast.toml").write_text(FAST_TOML)
    (conf / "worse.toml").write_text(WORSE_TOML)
    runner = CliRunner()
    outputs = []
    for toml in ("fast.toml", "fast.toml", "worse.toml"):
        result = runner.invoke(app, ["train", "--data", str(world_dir), "--as-of", "2024-12-01", "--model-name", NAME,
                                     "--config", str(conf / toml), "--json"])
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.stdout[result.stdout.index("{"):]))
    return outputs


def test_same_data_and_seed_give_the_same_metrics(trained):
    first, second, _ = trained
    assert first["backtest"]["metrics"] == second["backtest"]["metrics"]
    assert first["backtest"]["backtest_key"] == second["backtest"]["backtest_key"]
    assert first["backtest"]["cutoff"] == "2024-09-01"


def test_versions_aliases_and_promotion_decisions(trained):
    from models import registry

    first, second, worse = trained
    assert first["promoted"] and first["decision"] == "no champion yet"
    assert second["promoted"], "an equally good challenger is at least as good"
    assert worse["backtest"]["metrics"]["model"]["roc_auc"] < second["backtest"]["metrics"]["model"]["roc_auc"]
    assert not worse["promoted"] and "worse than the champion" in worse["decision"]
    versions = registry.list_versions(NAME)
    assert [v.version for v in versions] == ["1", "2", "3"]
    champions = [v.version for v in versions if registry.CHAMPION in v.aliases]
    assert champions == ["2"]
    assert registry.CHALLENGER in versions[-1].aliases
    decision = json.loads(versions[-1].tags["promotion_decision"])
    assert decision["promoted"] is False and decision["champion_version"] == "2"


def test_promotion_history_answers_who_was_champion_when(trained):
    from models import registry

    history = registry.promotion_history(NAME)
    assert history["version"].tolist() == ["1", "2"]
    assert history["until"].iloc[0] == history["from"].iloc[1]
    assert history["by"].str.contains("train --data").all()
    assert registry.champion_on(NAME, history["from"].iloc[0]).version == "1"
    assert registry.champion_on(NAME, datetime.now(timezone.utc)).version == "2"
    assert registry.champion_on(NAME, "2000-01-01") is None
    out = CliRunner().invoke(app, ["champions", "--model-name", NAME])
    assert out.exit_code == 0 and "version 1:" in out.stdout and "version 2:" in out.stdout


def test_champion_scores_a_pandas_frame_in_a_fresh_process(trained, world_tables, tmp_path):
    from features.build import build_features

    feats = build_features(world_tables, ["2024-12-01"])
    feats.to_parquet(tmp_path / "features.parquet")
    code = (
        "import sys, mlflow.pyfunc, pandas as pd\n"
        f"m = mlflow.pyfunc.load_model('models:/{NAME}@champion')\n"
        f"p = m.predict(pd.read_parquet(r'{tmp_path / 'features.parquet'}'))\n"
        "print(len(p), float(p.min()), float(p.max()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ), cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    n, low, high = done.stdout.split()
    assert int(n) == len(feats) and 0 < float(low) <= float(high) < 1


def test_load_champion_gives_the_estimator_for_reasons(trained, world_tables):
    from features.build import build_features
    from models.reasons import reason_codes
    from models.registry import load_champion

    model, info = load_champion(NAME)
    assert info.version == "2" and info.run_id
    feats = build_features(world_tables, ["2024-12-01"]).head(5)
    assert model.predict_proba(feats).shape == (5, 2)
    assert reason_codes(model, feats)["reason_1"].notna().any()


def test_backtest_command_writes_scores_and_json(world_dir, mlflow_store, tmp_path):
    conf = tmp_path / "fast.toml"
    conf.write_text(FAST_TOML)
    out = tmp_path / "scores.csv"
    result = CliRunner().invoke(app, ["backtest", "--data", str(world_dir), "--as-of", "2024-09-01", "--config", str(conf),
                                      "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{"):])
    assert {"model", "logistic", "rules", "oracle"} <= set(report["metrics"])
    scores = pd.read_csv(out)
    assert list(scores.columns) == ["account_id", "score", "label"] and len(scores) == report["rows_scored"]


def test_bad_input_exits_1_with_a_message(world_dir, mlflow_store):
    result = CliRunner().invoke(app, ["backtest", "--data", str(world_dir), "--as-of", "2024-12-01"])
    assert result.exit_code == 1
    assert "outcomes are needed until 2025-03-01" in result.output
    result = CliRunner().invoke(app, ["train", "--data", str(world_dir), "--as-of", "not-a-date"])
    assert result.exit_code == 2


def test_an_unusable_tracking_store_fails_before_training_and_hides_its_password(world_dir, monkeypatch):
    import models.training

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "mssql+nosuchdriver://bob:S3cretPw@db.example:1433/mlflow")
    monkeypatch.setattr(models.training, "fit_at", lambda *a, **k: pytest.fail("trained before opening the store"))
    result = CliRunner().invoke(app, ["train", "--data", str(world_dir), "--as-of", "2024-12-01"])
    assert result.exit_code == 1, result.output
    assert "MLflow tracking store mssql+nosuchdriver://db.example:1433/mlflow cannot be opened" in result.output
    assert "S3cretPw" not in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_champion_from_another_backtest_is_re_run_on_the_challengers_backtest(world_tables, mlflow_store):
    """A champion trained at another date has no metrics on this backtest: its recipe (settings,
    features) is re-run on the challenger's backtest, so both are judged on the same rows."""
    from models import registry
    from models.config import load_config
    from models.training import train_and_register

    cfg = load_config(overrides={"training": {"max_rounds": 200, "early_stopping_rounds": 20, "n_snapshots": 4}})
    name = "rerun-propensity"
    first = train_and_register(world_tables, "2024-12-01", config=cfg, model_name=name, command="first")
    second = train_and_register(world_tables, "2024-11-01", config=cfg, model_name=name, command="second")
    assert first.backtest.key != second.backtest.key
    assert second.champion_metrics is not None
    # the champion's recipe on the challenger's backtest, trained the same way, scores the same
    assert second.champion_metrics["roc_auc"] == pytest.approx(second.backtest.metrics["model"]["roc_auc"])
    assert second.decision.champion_version == first.version.version
    assert second.decision.promoted
    assert registry.version_by_alias(name, registry.CHAMPION).version == second.version.version
