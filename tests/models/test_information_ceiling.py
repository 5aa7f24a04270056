"""The truth-fit diagnostic: how well the features could rank if the model learned the true probabilities."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from models.information_ceiling import truth_fit_scores, truth_probability

TRAIN_DATES = pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]).astype("datetime64[us]")
EVAL_DATE = pd.Timestamp("2025-06-01")


def _world(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Accounts whose true log-odds are 2·signal (+ a hidden part); a noisy copy of the signal is a feature."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"A{i:05d}" for i in range(n)])
    rows, truth = [], []
    for as_of in [*TRAIN_DATES, EVAL_DATE]:
        signal = rng.normal(size=n)
        hidden = rng.normal(size=n)
        logit = -2.0 + 2.0 * signal + 1.5 * hidden
        p = 1 / (1 + np.exp(-logit))
        rows.append(pd.DataFrame({"account_id": ids, "as_of": as_of, "noisy_signal": signal + rng.normal(0, 0.3, n),
                                  "segment": np.where(signal > 0, "big", "small"), "noise": rng.normal(size=n),
                                  "label": (rng.random(n) < p).astype(int)}))
        for h in (30, 90):
            truth.append(pd.DataFrame({"account_id": ids, "as_of": as_of, "horizon_days": h,
                                       "probability": p if h == 90 else p / 3}))
    frame = pd.concat(rows, ignore_index=True)
    frame["as_of"] = frame["as_of"].astype("datetime64[us]")
    truth_frame = pd.concat(truth, ignore_index=True)
    truth_frame["as_of"] = truth_frame["as_of"].astype("datetime64[us]")
    train = frame[frame["as_of"] < EVAL_DATE].reset_index(drop=True)
    evaluation = frame[frame["as_of"] == EVAL_DATE].reset_index(drop=True)
    p_eval = truth_frame[(truth_frame["as_of"] == EVAL_DATE) & (truth_frame["horizon_days"] == 90)]["probability"].to_numpy()
    return train, evaluation, truth_frame, p_eval


def test_truth_probability_picks_each_rows_probability_for_the_horizon():
    frame = pd.DataFrame({"account_id": ["a", "b", "c"],
                          "as_of": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-02-01"])})
    truth = pd.DataFrame({"account_id": ["a", "b", "a", "c"],
                          "as_of": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-01", "2025-03-01"]).astype("datetime64[us]"),
                          "horizon_days": [90, 90, 30, 90], "probability": [0.5, 0.2, 0.9, 0.1]})
    out = truth_probability(frame, truth, 90)
    assert out.iloc[0] == 0.5 and out.iloc[1] == 0.2  # the 90-day rows, not a's 30-day 0.9
    assert np.isnan(out.iloc[2])  # c has no truth row at 2025-02-01


def test_ranks_like_the_truth_allows_and_no_better():
    train, evaluation, truth, p_eval = _world()
    target = truth_probability(train, truth, 90)
    scores = truth_fit_scores(train, target, evaluation, ["noisy_signal", "segment", "noise"])
    y = evaluation["label"].to_numpy()
    oracle, fitted = roc_auc_score(y, p_eval), roc_auc_score(y, scores)
    # the features show the signal but not the hidden part: the fit is well below the oracle,
    # close to ranking by the signal itself, and far above chance
    signal_only = roc_auc_score(y, evaluation["noisy_signal"])
    assert fitted < oracle - 0.03
    assert abs(fitted - signal_only) < 0.02
    assert fitted > 0.65


def test_noise_features_rank_at_chance():
    train, evaluation, truth, _ = _world(seed=1)
    scores = truth_fit_scores(train, truth_probability(train, truth, 90), evaluation, ["noise"])
    assert abs(roc_auc_score(evaluation["label"], scores) - 0.5) < 0.04


def test_no_truth_rows_means_no_scores():
    train, evaluation, truth, _ = _world(n=200)
    none = truth_probability(train, truth[truth["as_of"] == EVAL_DATE], 90)
    assert none.isna().all()
    assert truth_fit_scores(train, none, evaluation, ["noisy_signal"]) is None
