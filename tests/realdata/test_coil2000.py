"""CoIL Challenge 2000 (caravan insurance): the propensity model on a real cross-sell benchmark,
trained on ticdata2000 and judged on the challenge's own held-out customers (ticeval2000 with
tictgts2000), exactly as a customer calls it: ``PropensityModel().fit`` with the shipped defaults.

**What "time-ordered validation" means here.** ``PropensityModel`` holds out its newest
``as_of`` snapshot for early stopping and calibration. CoIL is a single snapshot (every customer
described once, in 2000; no dates), so every row gets the same nominal ``as_of`` (2000-01-01) and
the model takes its documented single-snapshot path: a stratified random 25% of ticdata2000
(1,456 rows) for early stopping and calibration, 75% (4,366) to grow the trees. Nothing here is
a later period: the evaluation set is *other customers at the same moment*, so these tests
measure cross-sectional ranking and calibration on real data, not robustness to drift (the UCI
bank fixture in tests/models is the one with a real time axis).

Figures measured on 2026-11-26 (default config, seed 42; in brackets: seeds 1-6):
model ROC-AUC 0.734 [0.715-0.731], owners in the top 800 of 4,000: 115 [113-122],
ECE 0.012 [0.002-0.011], mean score 0.0588 [0.0577-0.0614] vs eval base rate 0.0595,
best iteration 130, Platt calibration. Logistic-regression baseline (models.baselines):
AUC 0.727, 113 owners. Random selection finds 800 × 238 / 4,000 = 47.6 owners.
"""
from __future__ import annotations

import numpy as np
import pytest
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

from models.metrics import classification_metrics
from models.propensity import PropensityModel
from models.reasons import reason_codes
from tests.realdata.conftest import COIL_AS_OF, COIL_NOMINAL

SELECTED = 800  # the challenge's task: pick 800 of the 4,000 evaluation customers


def top(scores: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-scores, kind="stable")[:k]


def test_a_single_snapshot_is_validated_on_a_stratified_holdout(coil_model: PropensityModel, coil_train: pd.DataFrame) -> None:
    """One nominal as_of: no time split exists, so the model says so in its fitted attributes
    (validation and training "snapshot" are the same date) and holds out a stratified 25%."""
    assert coil_model.validation_as_of_ == COIL_AS_OF
    assert coil_model.train_as_of_ == [COIL_AS_OF]
    assert coil_model.n_validation_rows_ == round(0.25 * len(coil_train))  # 1,456
    assert coil_model.n_train_rows_ + coil_model.n_validation_rows_ == len(coil_train)
    # stratified: both parts keep the 5.98% owner rate to within one owner
    assert abs(coil_model.train_base_rate_ - coil_model.validation_base_rate_) < 1 / coil_model.n_validation_rows_
    assert set(COIL_NOMINAL) <= set(coil_model.categorical_features_)
    assert len(coil_model.features_) == 85


def test_ranks_held_out_customers_at_least_as_well_as_logistic_regression(
    coil_eval: pd.DataFrame, coil_scores: np.ndarray, coil_logistic_scores: np.ndarray
) -> None:
    """Measured: model AUC 0.734 (0.715-0.731 over six other seeds), logistic regression 0.727.

    Bound: the trees must not rank worse than the project's own logistic baseline, fitted in the
    same run, by more than 0.02 (the spread seen across seeds), and never below 0.70 (published
    CoIL models sit around 0.70-0.76; below 0.70 the 85 features are being wasted).
    """
    y = coil_eval["label"].to_numpy()
    model_auc = roc_auc_score(y, coil_scores)
    baseline_auc = roc_auc_score(y, coil_logistic_scores)
    assert baseline_auc > 0.68, f"logistic baseline AUC {baseline_auc:.3f}: the data or the baseline broke"
    assert model_auc >= max(0.70, baseline_auc - 0.02), f"model AUC {model_auc:.3f} vs logistic {baseline_auc:.3f}"


def test_finds_policy_owners_in_the_top_800_as_challenge_entries_did(coil_eval: pd.DataFrame, coil_scores: np.ndarray) -> None:
    """The challenge's own score: owners among the 800 highest-scored of 4,000.

    Measured 115 (113-122 over six other seeds; logistic baseline 113); random finds 47.6.
    SOURCE.md recalls (unchecked) that the winner found 121 and most entries 95-110. Bound: 100,
    more than twice random and inside that range, 13-22 below every measured run, so it fails
    only when the model really loses ranking power, not on seed noise.
    """
    y = coil_eval["label"].to_numpy()
    found = int(y[top(coil_scores, SELECTED)].sum())
    random_expectation = SELECTED * y.mean()
    assert random_expectation == pytest.approx(47.6)
    assert found >= 100, f"{found} owners in the top {SELECTED}"
    # nobody can find more than exist; a count near 238 would mean a leak from tictgts2000
    assert found < 150


def test_probabilities_are_calibrated_on_held_out_customers(coil_eval: pd.DataFrame, coil_scores: np.ndarray,
                                                            coil_train: pd.DataFrame) -> None:
    """Measured: ECE 0.012 (0.002-0.011 over other seeds), mean score 0.0588 vs base rate 0.0595,
    Brier 0.0533 vs 0.0560 for the constant training base rate.

    Bounds: ECE ≤ 0.02 (a third of the 6% base rate); the mean score within two binomial standard
    errors of the eval base rate (0.0037 each: 4,000 customers are themselves a sample); and a
    better Brier score than the no-skill constant forecast.
    """
    y = coil_eval["label"].to_numpy()
    metrics = classification_metrics(y, coil_scores)
    assert metrics["ece"] <= 0.02, metrics
    base = y.mean()
    standard_error = np.sqrt(base * (1 - base) / len(y))
    assert abs(metrics["mean_score"] - base) <= 2 * standard_error, (metrics["mean_score"], base)
    constant = brier_score_loss(y, np.full(len(y), coil_train["label"].mean()))
    assert metrics["brier"] < constant, (metrics["brier"], constant)
    assert np.all((coil_scores > 0) & (coil_scores < 1))


def test_reason_codes_name_real_features_with_their_values(coil_model: PropensityModel, coil_eval: pd.DataFrame,
                                                           coil_scores: np.ndarray) -> None:
    """Reasons for the 800 selected customers. CoIL's columns are not in the feature registry, so
    each reason reads "<column> = <value>" (the documented fallback) and must quote the row's
    own value. Measured: PPERSAUT (contribution to car policies, the strongest single predictor
    and the top feature by gain) is the first reason for 704 of the 800; TreeSHAP took 0.14 s."""
    chosen = coil_eval.iloc[top(coil_scores, SELECTED)]
    reasons = reason_codes(coil_model, chosen, top_k=3)
    assert list(reasons.index) == list(chosen.index)
    assert reasons["reason_1"].notna().all()  # a high score always has a positive contribution
    for rank in (1, 2, 3):
        named = reasons[f"reason_{rank}_feature"].dropna()
        assert set(named) <= set(coil_model.features_) and set(named) <= set(coil_eval.columns)
        for idx, feature in named.head(50).items():
            assert reasons.at[idx, f"reason_{rank}"] == f"{feature} = {chosen.at[idx, feature]}"
    first = reasons["reason_1_feature"].value_counts()
    assert first.index[0] == "PPERSAUT" and first.iloc[0] > SELECTED / 2, first.head()
    assert coil_model.feature_importance()["feature"].iloc[0] == "PPERSAUT"
