"""The two baselines every evaluation reports beside the model, on the same rows.

* ``LogisticBaseline``: logistic regression on the same features (signed-log numbers, standardised,
  with missing indicators; one-hot categoricals). It tells whether the trees earn their keep.
* ``RulesBaseline``: the SOP's triggers alone, no model. The score is the number of triggers that
  fire; each count is mapped to the positive rate it had in the training rows so its
  probabilities can be judged too. It tells whether the model beats "call everyone the playbook
  flags", which is what a revenue team does without it.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from data.errors import UpsellError
from models.frame import infer_feature_columns, is_categorical, labels_as_int, to_matrix, freeze_categories


def _signed_log(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


class LogisticBaseline:
    """Logistic regression on the model's features."""

    def __init__(self, features: Sequence[str] | None = None, C: float = 1.0, seed: int = 0) -> None:
        self.features = features
        self.C = C
        self.seed = seed

    def fit(self, X: pd.DataFrame, y: Sequence[int] | np.ndarray) -> "LogisticBaseline":
        y_arr = labels_as_int(y)
        self.features_ = list(self.features) if self.features is not None else infer_feature_columns(X)
        self.categorical_ = [c for c in self.features_ if is_categorical(X[c])]
        numeric = [c for c in self.features_ if c not in self.categorical_]
        self.categories_ = freeze_categories(X, self.categorical_)
        steps = []
        if numeric:
            steps.append(
                (
                    "num",
                    make_pipeline(
                        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                        FunctionTransformer(_signed_log),
                        StandardScaler(),
                    ),
                    numeric,
                )
            )
        if self.categorical_:
            steps.append(
                (
                    "cat",
                    make_pipeline(
                        SimpleImputer(strategy="constant", fill_value="<missing>"),
                        OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=20),
                    ),
                    self.categorical_,
                )
            )
        self.pipeline_ = Pipeline(
            [
                ("prep", ColumnTransformer(steps)),
                ("lr", LogisticRegression(C=self.C, max_iter=2000, random_state=self.seed)),
            ]
        )
        self.pipeline_.fit(self._prepare(X), y_arr)
        return self

    def _prepare(self, X: pd.DataFrame) -> pd.DataFrame:
        m = to_matrix(X, self.features_, self.categories_)
        for c in self.categorical_:
            m[c] = m[c].astype(object).where(m[c].notna(), np.nan)
        return m

    def predict_score(self, X: pd.DataFrame) -> np.ndarray:
        return self.pipeline_.predict_proba(self._prepare(X))[:, 1]


@dataclass(frozen=True)
class Trigger:
    """One SOP trigger over a feature column: ``feature`` ``op`` ``threshold``."""

    id: str
    feature: str
    op: str  # one of >=, >, <=, <, ==, between
    threshold: float
    upper: float | None = None  # for "between" (inclusive)
    description: str = ""

    def fires(self, frame: pd.DataFrame) -> pd.Series:
        x = pd.to_numeric(frame[self.feature], errors="coerce")
        ops: dict[str, Callable[[], pd.Series]] = {
            ">=": lambda: x >= self.threshold,
            ">": lambda: x > self.threshold,
            "<=": lambda: x <= self.threshold,
            "<": lambda: x < self.threshold,
            "==": lambda: x == self.threshold,
            "between": lambda: (x >= self.threshold) & (x <= (self.upper if self.upper is not None else np.inf)),
        }
        if self.op not in ops:
            raise UpsellError(f"trigger {self.id!r}: unknown operator {self.op!r}; use one of {sorted(ops)}")
        return ops[self.op]().fillna(False).astype(bool)


# The generic upsell SOP triggers (simple, measurable criteria): near capacity, renewal coming,
# usage or spend growing. Used when no playbook supplies its own triggers.
DEFAULT_SOP_TRIGGERS: tuple[Trigger, ...] = (
    Trigger("high_utilisation", "use_util_max_30d", ">=", 0.8, description="usage reached 80% of quota in the last 30 days"),
    Trigger("renewal_soon", "sub_days_to_renewal", "between", 0, 90, description="renewal within 90 days"),
    Trigger("usage_growing", "use_value_trend_30d", ">=", 0.2, description="usage up 20%+ on the previous 30 days"),
    Trigger("spend_growing", "pur_amount_trend_90d", ">=", 0.2, description="spend up 20%+ on the previous 90 days"),
)

TriggerFn = Callable[[pd.DataFrame], pd.DataFrame]


class RulesBaseline:
    """Score = number of SOP triggers firing; probability = that count's training positive rate.

    ``triggers`` is either a list of ``Trigger`` (those whose feature is absent are skipped) or a
    function returning one boolean column per trigger, e.g. a playbook's trigger evaluator.
    """

    def __init__(self, triggers: Sequence[Trigger] | TriggerFn = DEFAULT_SOP_TRIGGERS, smoothing: float = 10.0) -> None:
        self.triggers = triggers
        self.smoothing = smoothing

    def fired(self, X: pd.DataFrame) -> pd.DataFrame:
        """One boolean column per usable trigger."""
        if callable(self.triggers):
            return self.triggers(X).astype(bool)
        usable = [t for t in self.triggers if t.feature in X.columns]
        return pd.DataFrame({t.id: t.fires(X) for t in usable}, index=X.index)

    def rule_score(self, X: pd.DataFrame) -> np.ndarray:
        return self.fired(X).sum(axis=1).to_numpy(dtype=float)

    def fit(self, X: pd.DataFrame, y: Sequence[int] | np.ndarray) -> "RulesBaseline":
        y_arr = labels_as_int(y)
        fired = self.fired(X)
        if fired.shape[1] == 0:
            raise UpsellError("rules baseline: none of the SOP triggers' features are in the frame")
        self.trigger_ids_ = list(fired.columns)
        counts = fired.sum(axis=1).to_numpy()
        prior = float(y_arr.mean())
        stats = pd.DataFrame({"k": counts, "y": y_arr}).groupby("k")["y"].agg(["sum", "count"])
        self.rate_by_count_ = ((stats["sum"] + self.smoothing * prior) / (stats["count"] + self.smoothing)).to_dict()
        self.prior_ = prior
        return self

    def predict_score(self, X: pd.DataFrame) -> np.ndarray:
        """The training positive rate of each row's trigger count (the overall rate for a count
        never seen in training)."""
        counts = self.rule_score(X)
        return np.array([self.rate_by_count_.get(int(k), self.prior_) for k in counts], dtype=float)


def playbook_triggers(playbook: object) -> TriggerFn:
    """A playbook's own triggers as the rules baseline: one boolean column per trigger ``id``,
    evaluated with the playbook's condition language (``pipeline.playbook.conditions``)."""
    from pipeline.playbook.conditions import evaluate

    triggers = list(getattr(playbook, "triggers"))

    def fired(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({t.id: evaluate(t.when, frame) for t in triggers}, index=frame.index)

    return fired
