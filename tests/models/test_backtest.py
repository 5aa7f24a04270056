import numpy as np
import pandas as pd
import pytest

from data.errors import UpsellError
from models.backtest import build_backtest_frames, evaluate_frames, run_backtest, write_charts
from models.config import load_config
from models.leakage import LeakageError

FAST = load_config(overrides={"training": {"max_rounds": 200, "early_stopping_rounds": 20, "n_snapshots": 6}})
CUTOFF = pd.Timestamp("2024-09-01")


@pytest.fixture(scope="session")
def frames(world_tables):
    return build_backtest_frames(world_tables, CUTOFF, 90, "expansion", 6)


@pytest.fixture(scope="session")
def result(frames, world):
    train, evaluation = frames
    return evaluate_frames(train, evaluation, cutoff=CUTOFF, horizon_days=90, label="expansion", config=FAST, truth=world["_truth"])


def test_trains_only_on_snapshots_whose_labels_ended_by_the_cutoff(frames):
    train, evaluation = frames
    assert (train["as_of"] + pd.Timedelta(days=90) <= CUTOFF).all()
    assert train["as_of"].nunique() == 6
    assert (evaluation["as_of"] == CUTOFF).all()


def test_evaluation_labels_are_what_happened_after_the_cutoff(frames, world):
    _, evaluation = frames
    subs = world["subscriptions"]
    upgraded = set(subs.loc[(subs["started_at"] >= CUTOFF) & (subs["started_at"] < CUTOFF + pd.Timedelta(days=90))
                            & subs["subscription_id"].isin(subs["subscription_id"]), "account_id"])
    labelled = set(evaluation.loc[evaluation["label"] == 1, "account_id"])
    assert labelled == upgraded


def test_reports_model_baselines_and_oracle_on_the_same_rows(result, frames):
    assert set(result.metrics) == {"model", "logistic", "rules", "oracle", "truth_fit"}
    n = len(frames[1])
    assert all(m["n"] == n for m in result.metrics.values())
    assert result.metrics["model"]["roc_auc"] > 0.55  # 500 accounts: AUC noise is about ±0.03
    assert result.metrics["model"]["roc_auc"] < result.metrics["oracle"]["roc_auc"] + 0.02
    fit = result.metrics["truth_fit"]  # a ranking, not probabilities: no calibration metrics
    assert "ece" not in fit and 0.5 < fit["roc_auc"] < result.metrics["oracle"]["roc_auc"] + 0.02
    assert not result.flags and not result.suspected_leakage
    assert {"account_id", "score", "label"} <= set(result.scores.columns)
    summary = result.summary()
    assert summary["cutoff"] == "2024-09-01" and summary["metrics"]["oracle"]["roc_auc"] > 0.5


def test_planted_leak_fails_training_with_a_clear_error(frames):
    train, evaluation = frames
    leaky_train = train.assign(future_upgrade=train["label"])
    leaky_eval = evaluation.assign(future_upgrade=evaluation["label"])
    with pytest.raises(LeakageError, match="suspected label leakage: future_upgrade"):
        evaluate_frames(leaky_train, leaky_eval, cutoff=CUTOFF, horizon_days=90, label="expansion", config=FAST)


def test_noisy_leak_below_the_feature_guard_is_flagged_by_the_backtest(frames, world):
    train, evaluation = frames
    rng = np.random.default_rng(3)

    def noisy(frame: pd.DataFrame) -> pd.Series:
        flip = rng.random(len(frame)) < 0.12
        return np.where(flip, 1 - frame["label"], frame["label"]).astype(float)

    leaky_train, leaky_eval = train.assign(hint=noisy(train)), evaluation.assign(hint=noisy(evaluation))
    result = evaluate_frames(leaky_train, leaky_eval, cutoff=CUTOFF, horizon_days=90, label="expansion", config=FAST,
                             truth=world["_truth"])
    assert result.suspected_leakage
    assert any("exceeds the oracle AUC" in f for f in result.flags)


def test_backtest_refuses_windows_the_data_does_not_cover(world_tables):
    with pytest.raises(UpsellError, match="outcomes are needed until 2025-03-01 but the data's latest event is 2024-12-31"):
        run_backtest(world_tables, "2024-12-01", 90, config=FAST)


def test_charts_are_png_files(result, tmp_path):
    paths = write_charts(result, tmp_path)
    for path in paths.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
