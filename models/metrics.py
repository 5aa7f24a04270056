"""How good a score is: ranking (ROC-AUC, PR-AUC, lift, capture) and probability quality
(log loss, Brier, expected calibration error), plus the tables behind the charts.

All functions take realised 0/1 labels and scores and are pure. Ties in the score are broken by
row order (stable sort), so results are deterministic.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from data.errors import UpsellError

LIFT_FRACTIONS: tuple[float, ...] = (0.05, 0.10, 0.20)
ECE_BINS = 10
# Metrics where lower is better; every other metric is better when higher.
LOWER_IS_BETTER: frozenset[str] = frozenset({"log_loss", "brier", "ece"})


def _check(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=int)
    score = np.asarray(score, dtype=float)
    if y.shape != score.shape:
        raise UpsellError(f"metrics: {len(y)} labels but {len(score)} scores")
    if len(y) == 0 or y.min() == y.max():
        raise UpsellError(f"metrics: need both positive and negative labels, got {len(y)} rows with {int(y.sum())} positive")
    if not np.isfinite(score).all():
        raise UpsellError("metrics: scores contain missing or infinite values")
    return y, score


def expected_calibration_error(y: np.ndarray, p: np.ndarray, n_bins: int = ECE_BINS) -> float:
    """Σ_bins (rows in bin / rows) · |mean label − mean probability|, over equal-width probability bins."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        mask = bins == b
        total += mask.sum() * abs(y[mask].mean() - p[mask].mean())
    return float(total / len(y))


def lift_and_capture(y: np.ndarray, score: np.ndarray, fraction: float) -> tuple[float, float]:
    """(lift, capture) of the top ``fraction`` of rows by score: precision there ÷ base rate, and
    the share of all positives found there."""
    y = np.asarray(y, dtype=int)
    k = max(1, int(np.ceil(fraction * len(y))))
    top = np.argsort(-np.asarray(score, dtype=float), kind="stable")[:k]
    hits = y[top].sum()
    return float((hits / k) / y.mean()), float(hits / y.sum())


def classification_metrics(y: Sequence[int] | np.ndarray, score: Sequence[float] | np.ndarray, probabilities: bool = True) -> dict[str, float]:
    """Every metric the project reports for one score. ``probabilities=False`` skips the
    probability-quality metrics for scores that are only rankings."""
    y, score = _check(np.asarray(y), np.asarray(score))
    out = {
        "n": float(len(y)),
        "base_rate": float(y.mean()),
        "roc_auc": float(roc_auc_score(y, score)),
        "pr_auc": float(average_precision_score(y, score)),
    }
    for f in LIFT_FRACTIONS:
        lift, capture = lift_and_capture(y, score, f)
        pct = int(round(f * 100))
        out[f"lift_{pct}"] = lift
        out[f"capture_{pct}"] = capture
    if probabilities:
        p = np.clip(score, 1e-15, 1 - 1e-15)
        out["log_loss"] = float(log_loss(y, p, labels=[0, 1]))
        out["brier"] = float(brier_score_loss(y, p))
        out["ece"] = expected_calibration_error(y, p)
        out["mean_score"] = float(p.mean())
    return out


def is_at_least_as_good(metric: str, challenger: float, champion: float, min_improvement: float = 0.0) -> bool:
    """Whether ``challenger`` matches or beats ``champion`` on ``metric`` by at least ``min_improvement``."""
    if metric in LOWER_IS_BETTER:
        return challenger <= champion - min_improvement
    return challenger >= champion + min_improvement


def calibration_table(y: np.ndarray, p: np.ndarray, n_bins: int = ECE_BINS) -> pd.DataFrame:
    """Per equal-width probability bin: rows, mean predicted probability, observed rate."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    frame = pd.DataFrame({"bin": bins, "p": p, "y": y})
    out = frame.groupby("bin").agg(rows=("y", "size"), mean_predicted=("p", "mean"), observed_rate=("y", "mean")).reset_index()
    return out


def gains_table(y: np.ndarray, score: np.ndarray, points: int = 100) -> pd.DataFrame:
    """Cumulative gains: share of rows contacted (by descending score) vs share of positives captured."""
    y = np.asarray(y, dtype=int)
    order = np.argsort(-np.asarray(score, dtype=float), kind="stable")
    captured = np.concatenate([[0], np.cumsum(y[order])]) / max(y.sum(), 1)
    contacted = np.arange(len(y) + 1) / len(y)
    at = np.unique(np.linspace(0, len(y), points + 1).round().astype(int))
    return pd.DataFrame({"contacted": contacted[at], "captured": captured[at]})
