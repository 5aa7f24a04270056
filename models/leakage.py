"""Leakage guards: a feature that alone (nearly) reproduces the label, and implausible backtests.

Honest features cannot foretell an upsell almost perfectly; when one seems to, it almost always
encodes the future (a field updated after the cutoff, a label copied into a feature). Training
refuses such features, and backtests flag results better than the truth allows.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from data.errors import UpsellError


class LeakageError(UpsellError):
    """A feature or a result looks like it knows the future."""

    def __init__(self, message: str, features: dict[str, float] | None = None) -> None:
        super().__init__(message)
        self.features = features or {}


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    if len(np.unique(y)) < 2 or np.all(score == score[0]):
        return 0.5
    auc = float(roc_auc_score(y, score))
    return max(auc, 1.0 - auc)


def _target_encoding(fit_values: pd.Series, y_fit: np.ndarray, values: pd.Series, smoothing: float = 20.0) -> np.ndarray:
    prior = float(y_fit.mean()) if len(y_fit) else 0.0
    key_fit = fit_values.astype("string").fillna("<missing>").to_numpy()
    stats = pd.DataFrame({"k": key_fit, "y": y_fit}).groupby("k")["y"].agg(["sum", "count"])
    enc = (stats["sum"] + smoothing * prior) / (stats["count"] + smoothing)
    key = values.astype("string").fillna("<missing>")
    return key.map(enc).astype("float64").fillna(prior).to_numpy()


def single_feature_aucs(
    X_fit: pd.DataFrame,
    y_fit: np.ndarray,
    X_eval: pd.DataFrame,
    y_eval: np.ndarray,
    categorical: Sequence[str] = (),
) -> dict[str, float]:
    """Each feature's AUC on the evaluation rows when used alone (direction-free: max(AUC, 1 − AUC)).

    Numbers are used as they are (missing values ranked lowest); categoricals are target-encoded
    on the fitting rows only, so a high-cardinality id cannot look predictive by memorisation.
    """
    y_eval = np.asarray(y_eval, dtype=int)
    out: dict[str, float] = {}
    for col in X_eval.columns:
        if col in categorical:
            score = _target_encoding(X_fit[col], np.asarray(y_fit), X_eval[col])
        else:
            values = X_eval[col].astype("float64").to_numpy()
            finite = values[np.isfinite(values)]
            floor = (finite.min() - 1.0) if finite.size else 0.0
            score = np.where(np.isfinite(values), values, floor)
        out[col] = _auc(y_eval, score)
    return out


def refuse_leaky_features(aucs: dict[str, float], limit: float) -> None:
    """Raise ``LeakageError`` naming every feature whose single-feature AUC reaches ``limit``."""
    leaky = {c: a for c, a in sorted(aucs.items(), key=lambda kv: -kv[1]) if a >= limit}
    if leaky:
        listed = ", ".join(f"{c} (AUC {a:.3f})" for c, a in leaky.items())
        raise LeakageError(
            f"suspected label leakage: {listed} alone predict(s) the validation labels at or above AUC {limit:.2f}. "
            "A feature at cutoff t may use only facts known before t; remove or fix it, or raise "
            "[leakage].max_single_feature_auc in the model config if this is genuinely knowable in advance.",
            features=leaky,
        )


def implausible_result_flags(auc: float, oracle_auc: float | None, max_plausible_auc: float, oracle_margin: float) -> list[str]:
    """Why a backtest AUC looks too good to be true (empty when it does not)."""
    flags: list[str] = []
    if oracle_auc is not None and auc > oracle_auc + oracle_margin:
        flags.append(
            f"suspected leakage: backtest AUC {auc:.3f} exceeds the oracle AUC {oracle_auc:.3f} "
            f"(the true probabilities) by more than {oracle_margin:.2f}"
        )
    if auc >= max_plausible_auc:
        flags.append(f"suspected leakage: backtest AUC {auc:.3f} is at or above the plausibility bound {max_plausible_auc:.2f}")
    return flags
