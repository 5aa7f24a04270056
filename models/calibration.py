"""Probability calibration: isotonic regression or Platt scaling, chosen by cross-validated log loss.

Both map the booster's raw margin (log-odds) to a probability. Fitted calibrators keep only plain
numbers (thresholds, or a slope and an intercept) so a saved model needs no pickle.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold

Method = Literal["isotonic", "platt"]
_EPS = 1e-6


@dataclass(frozen=True)
class Calibrator:
    """A fitted monotone map from raw margin to probability."""

    method: Method
    x: tuple[float, ...] = ()  # isotonic thresholds (margins)
    y: tuple[float, ...] = ()  # isotonic probabilities at the thresholds
    slope: float = 1.0  # Platt: p = sigmoid(slope * margin + intercept)
    intercept: float = 0.0

    def transform(self, margin: np.ndarray) -> np.ndarray:
        margin = np.asarray(margin, dtype=float)
        if self.method == "isotonic":
            p = np.interp(margin, np.asarray(self.x), np.asarray(self.y))
        else:
            p = 1.0 / (1.0 + np.exp(-(self.slope * margin + self.intercept)))
        return np.clip(p, _EPS, 1.0 - _EPS)

    def to_dict(self) -> dict:
        return {"method": self.method, "x": list(self.x), "y": list(self.y), "slope": self.slope, "intercept": self.intercept}

    @classmethod
    def from_dict(cls, d: dict) -> "Calibrator":
        return cls(method=d["method"], x=tuple(d["x"]), y=tuple(d["y"]), slope=float(d["slope"]), intercept=float(d["intercept"]))


def fit_calibrator(margin: np.ndarray, y: np.ndarray, method: Method, weight: np.ndarray | None = None) -> Calibrator:
    """Fit one calibrator of the given kind on (margin, label)."""
    margin = np.asarray(margin, dtype=float)
    y = np.asarray(y, dtype=float)
    if method == "isotonic":
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(margin, y, sample_weight=weight)
        return Calibrator("isotonic", x=tuple(map(float, iso.X_thresholds_)), y=tuple(map(float, iso.y_thresholds_)))
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(margin.reshape(-1, 1), y, sample_weight=weight)
    return Calibrator("platt", slope=float(lr.coef_[0, 0]), intercept=float(lr.intercept_[0]))


@dataclass(frozen=True)
class CalibrationChoice:
    """The chosen calibrator and the cross-validated log loss of each candidate."""

    calibrator: Calibrator
    cv_log_loss: dict[str, float]


def choose_calibrator(
    margin: np.ndarray, y: np.ndarray, method: Literal["auto", "isotonic", "platt"] = "auto", folds: int = 5, seed: int = 0
) -> CalibrationChoice:
    """Fit the calibrator named by ``method``; for "auto", the one with the lower out-of-fold log loss.

    Judging each candidate on folds it was not fitted on keeps the flexible isotonic map from
    winning just by memorising the validation rows. Ties go to Platt (fewer parameters).
    """
    margin = np.asarray(margin, dtype=float)
    y = np.asarray(y, dtype=int)
    candidates: list[Method] = ["platt", "isotonic"] if method == "auto" else [method]
    scores: dict[str, float] = {}
    n_pos = int(y.sum())
    n_splits = min(folds, n_pos, len(y) - n_pos)
    if method == "auto" and n_splits >= 2:
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        for cand in candidates:
            oof = np.empty(len(y))
            for fit_idx, hold_idx in splitter.split(margin.reshape(-1, 1), y):
                oof[hold_idx] = fit_calibrator(margin[fit_idx], y[fit_idx], cand).transform(margin[hold_idx])
            scores[cand] = float(log_loss(y, oof, labels=[0, 1]))
        best: Method = min(candidates, key=lambda c: (scores[c], c != "platt"))
    else:
        best = candidates[0]
    return CalibrationChoice(calibrator=fit_calibrator(margin, y, best), cv_log_loss=scores)
