"""``PropensityModel``: LightGBM on a time-ordered feature frame, calibrated to true probabilities.

Training respects time. Rows come from several snapshots (``as_of`` dates); the newest snapshot is
held out, the booster grows on the older ones and stops early on the newest, and the calibrator
(isotonic or Platt, whichever has the lower out-of-fold log loss) is fitted on the newest too. The
model therefore always learns from the past and is tuned on the most recent behaviour, as it
will be used. Categorical columns use LightGBM's native categorical splits.

The estimator follows scikit-learn conventions: settings in ``__init__``, ``fit`` returns self,
fitted attributes end in ``_``, ``predict_proba`` returns an (n, 2) array.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split

from data.atomic import atomic_dir
from data.errors import UpsellError
from models.calibration import Calibrator, choose_calibrator
from models.config import ModelConfig, check_per_feature_parameters, load_config
from models.frame import freeze_categories, infer_feature_columns, is_categorical, labels_as_int, to_matrix
from models.leakage import refuse_leaky_features, single_feature_aucs

BOOSTER_FILE = "booster.txt"
META_FILE = "model.json"
REFERENCE_FILE = "reference.parquet"
FORMAT_VERSION = 1
# Rows of the newest training snapshot kept (features + score) as the drift reference: enough
# for stable decile bins, small enough to ship inside the model.
REFERENCE_ROWS = 5000


def _positive_weight(y: np.ndarray, scheme: str) -> float:
    pos = max(int(y.sum()), 1)
    neg = max(len(y) - pos, 1)
    ratio = neg / pos
    return {"none": 1.0, "balanced": ratio, "sqrt_balanced": float(np.sqrt(ratio))}[scheme]


class PropensityModel(ClassifierMixin, BaseEstimator):
    """Calibrated LightGBM propensity model.

    Parameters
    ----------
    config:
        Model settings (``models.config.load_config()``); ``None`` means the shipped defaults.
    features:
        Feature columns to use; ``None`` means every column except ``account_id``, ``as_of``,
        ``label`` and ``score``.
    check_leakage:
        Refuse features whose single-feature validation AUC reaches
        ``config.leakage.max_single_feature_auc``.
    """

    def __init__(self, config: ModelConfig | None = None, features: Sequence[str] | None = None, check_leakage: bool = True) -> None:
        self.config = config
        self.features = features
        self.check_leakage = check_leakage

    # ------------------------------------------------------------------ fit
    def _split(self, X: pd.DataFrame, y: np.ndarray, as_of: pd.Series | None, cfg: ModelConfig) -> tuple[np.ndarray, np.ndarray]:
        """Row positions for growing trees and for validation (early stopping + calibration)."""
        idx = np.arange(len(X))
        if as_of is not None and as_of.nunique() >= 2:
            newest = as_of.max()
            is_valid = (as_of == newest).to_numpy()
            self.validation_as_of_ = pd.Timestamp(newest)
            self.train_as_of_ = sorted(pd.Timestamp(t) for t in as_of[~is_valid].unique())
            return idx[~is_valid], idx[is_valid]
        # One snapshot (or no time axis): a stratified random hold-out is the best available.
        self.validation_as_of_ = pd.Timestamp(as_of.iloc[0]) if as_of is not None and len(as_of) else None
        self.train_as_of_ = [self.validation_as_of_] if self.validation_as_of_ is not None else []
        stratify = y if min(int(y.sum()), len(y) - int(y.sum())) >= 2 else None
        fit_idx, valid_idx = train_test_split(
            idx, test_size=cfg.training.single_snapshot_validation_share, random_state=cfg.training.seed, stratify=stratify
        )
        return np.sort(fit_idx), np.sort(valid_idx)

    def fit(self, X: pd.DataFrame, y: Sequence[int] | pd.Series | np.ndarray, as_of: pd.Series | None = None) -> "PropensityModel":
        """Fit on a feature frame; ``as_of`` defaults to the frame's ``as_of`` column when present."""
        cfg = self.config if self.config is not None else load_config()
        y_arr = labels_as_int(y)
        if len(y_arr) != len(X):
            raise UpsellError(f"training frame has {len(X)} rows but {len(y_arr)} labels")
        if as_of is None and "as_of" in X.columns:
            as_of = X["as_of"]
        if as_of is not None:
            as_of = pd.Series(pd.to_datetime(as_of), index=X.index).reset_index(drop=True)
        X = X.reset_index(drop=True)
        features = list(self.features) if self.features is not None else infer_feature_columns(X)
        if not features:
            raise UpsellError("training frame has no feature columns")
        check_per_feature_parameters(cfg, features)  # one value per feature, before LightGBM sees the data
        fit_idx, valid_idx = self._split(X, y_arr, as_of, cfg)
        y_fit, y_valid = y_arr[fit_idx], y_arr[valid_idx]
        for part, labels in (("older snapshots (training)", y_fit), ("newest snapshot (validation)", y_valid)):
            if labels.sum() == 0 or labels.sum() == len(labels):
                raise UpsellError(
                    f"training frame: the {part} hold(s) only one class ({len(labels)} rows, {int(labels.sum())} positive); "
                    "need positives and negatives in both — use more snapshots or a longer history"
                )

        categorical = [c for c in features if is_categorical(X[c])]
        self.categories_ = freeze_categories(X, categorical)
        matrix = to_matrix(X, features, self.categories_)
        if self.check_leakage:
            self.single_feature_auc_ = single_feature_aucs(
                matrix.iloc[fit_idx], y_fit, matrix.iloc[valid_idx], y_valid, categorical=categorical
            )
            refuse_leaky_features(self.single_feature_auc_, cfg.leakage.max_single_feature_auc)

        w_pos = _positive_weight(y_fit, cfg.training.class_weight)
        weight = np.where(y_arr == 1, w_pos, 1.0)
        params: dict[str, Any] = {
            "objective": "binary",
            "metric": "binary_logloss",
            "verbosity": -1,
            "seed": cfg.training.seed,
            "deterministic": True,
            "force_row_wise": True,
            **cfg.lightgbm,
        }
        train_set = lgb.Dataset(matrix.iloc[fit_idx], label=y_fit, weight=weight[fit_idx], categorical_feature=categorical or "auto", free_raw_data=True)
        valid_set = lgb.Dataset(matrix.iloc[valid_idx], label=y_valid, weight=weight[valid_idx], reference=train_set)
        booster = lgb.train(
            params,
            train_set,
            num_boost_round=cfg.training.max_rounds,
            valid_sets=[valid_set],
            valid_names=["validation"],
            callbacks=[lgb.early_stopping(cfg.training.early_stopping_rounds, verbose=False)],
        )
        self.best_iteration_ = int(booster.best_iteration or booster.current_iteration())
        # Keep only the trees up to the best iteration so every later predict uses the same model.
        self.booster_ = lgb.Booster(model_str=booster.model_to_string(num_iteration=self.best_iteration_))
        margin_valid = self.booster_.predict(matrix.iloc[valid_idx], raw_score=True)
        choice = choose_calibrator(
            margin_valid, y_valid, method=cfg.calibration.method, folds=cfg.calibration.folds, seed=cfg.training.seed
        )
        self.calibrator_ = choice.calibrator
        self.calibration_cv_log_loss_ = choice.cv_log_loss
        self.features_ = features
        self.categorical_features_ = categorical
        self.classes_ = np.array([0, 1])
        self.positive_weight_ = w_pos
        self.n_train_rows_ = int(len(fit_idx))
        self.n_validation_rows_ = int(len(valid_idx))
        self.train_base_rate_ = float(y_fit.mean())
        self.validation_base_rate_ = float(y_valid.mean())
        self.config_ = cfg
        self.metadata_: dict[str, Any] = {}
        self.reference_ = self._reference(X, valid_idx, cfg.training.seed)
        return self

    def _reference(self, X: pd.DataFrame, valid_idx: np.ndarray, seed: int) -> pd.DataFrame:
        """A seeded sample of the newest snapshot's features with their scores: what "normal"
        looked like at training time, for the nightly drift check (PSI per feature)."""
        rows = np.sort(valid_idx)
        if len(rows) > REFERENCE_ROWS:
            rows = np.sort(np.random.default_rng(seed).choice(rows, REFERENCE_ROWS, replace=False))
        ref = X.iloc[rows][self.features_].reset_index(drop=True)
        ref["score"] = self.predict_score(ref)
        return ref

    # -------------------------------------------------------------- predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "booster_"):
            raise UpsellError("the propensity model is not fitted yet; call fit() or load() first")

    def matrix(self, X: pd.DataFrame) -> pd.DataFrame:
        """The model matrix for ``X`` (fitted feature order, frozen categories)."""
        self._check_fitted()
        return to_matrix(X, self.features_, self.categories_)

    def predict_margin(self, X: pd.DataFrame) -> np.ndarray:
        """Uncalibrated log-odds from the booster."""
        return self.booster_.predict(self.matrix(X), raw_score=True)

    def predict_score(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of the positive class, one per row."""
        return self.calibrator_.transform(self.predict_margin(X))

    def predict_matrix_score(self, matrix: pd.DataFrame) -> np.ndarray:
        """``predict_score`` for rows already turned into ``matrix(X)``: a caller that also explains
        them (reason codes) builds the matrix once."""
        self._check_fitted()
        if list(matrix.columns) != list(self.features_):
            raise UpsellError("predict_matrix_score takes matrix(X): the model's feature columns, in order")
        return self.calibrator_.transform(self.booster_.predict(matrix, raw_score=True))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """scikit-learn convention: column 0 = P(no upsell), column 1 = P(upsell)."""
        p = self.predict_score(X)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_score(X) >= 0.5).astype(int)

    def feature_importance(self) -> pd.DataFrame:
        """Total gain and split count per feature, most important first."""
        self._check_fitted()
        out = pd.DataFrame(
            {
                "feature": self.features_,
                "gain": self.booster_.feature_importance("gain"),
                "splits": self.booster_.feature_importance("split"),
            }
        )
        return out.sort_values(["gain", "feature"], ascending=[False, True], ignore_index=True)

    # ---------------------------------------------------------- save / load
    def to_dict(self) -> dict[str, Any]:
        self._check_fitted()
        return {
            "format_version": FORMAT_VERSION,
            "features": self.features_,
            "categorical_features": self.categorical_features_,
            "categories": self.categories_,
            "calibrator": self.calibrator_.to_dict(),
            "calibration_cv_log_loss": self.calibration_cv_log_loss_,
            "best_iteration": self.best_iteration_,
            "positive_weight": self.positive_weight_,
            "n_train_rows": self.n_train_rows_,
            "n_validation_rows": self.n_validation_rows_,
            "train_base_rate": self.train_base_rate_,
            "validation_base_rate": self.validation_base_rate_,
            "validation_as_of": None if self.validation_as_of_ is None else self.validation_as_of_.isoformat(),
            "train_as_of": [t.isoformat() for t in self.train_as_of_],
            "config": self.config_.model_dump(),
            "metadata": self.metadata_,
        }

    def save(self, directory: str | Path) -> Path:
        """Write the model as plain files (LightGBM text model + JSON), atomically; no pickle."""
        directory = Path(directory)
        with atomic_dir(directory) as tmp:
            (tmp / BOOSTER_FILE).write_text(self.booster_.model_to_string(), encoding="utf-8")
            (tmp / META_FILE).write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True, default=str), encoding="utf-8")
            reference = getattr(self, "reference_", None)
            if reference is not None:
                reference.to_parquet(tmp / REFERENCE_FILE, index=False)
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> "PropensityModel":
        directory = Path(directory)
        try:
            meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
            booster = lgb.Booster(model_file=str(directory / BOOSTER_FILE))
        except FileNotFoundError as exc:
            raise UpsellError(f"{directory} is not a saved propensity model: {exc.filename} is missing") from None
        if meta.get("format_version") != FORMAT_VERSION:
            raise UpsellError(f"{directory / META_FILE}: unsupported format_version {meta.get('format_version')!r}")
        cfg = ModelConfig.model_validate(meta["config"])
        model = cls(config=cfg, features=meta["features"])
        model.booster_ = booster
        model.features_ = list(meta["features"])
        model.categorical_features_ = list(meta["categorical_features"])
        model.categories_ = {k: list(v) for k, v in meta["categories"].items()}
        model.calibrator_ = Calibrator.from_dict(meta["calibrator"])
        model.calibration_cv_log_loss_ = meta["calibration_cv_log_loss"]
        model.best_iteration_ = meta["best_iteration"]
        model.positive_weight_ = meta["positive_weight"]
        model.n_train_rows_ = meta["n_train_rows"]
        model.n_validation_rows_ = meta["n_validation_rows"]
        model.train_base_rate_ = meta["train_base_rate"]
        model.validation_base_rate_ = meta["validation_base_rate"]
        model.validation_as_of_ = pd.Timestamp(meta["validation_as_of"]) if meta["validation_as_of"] else None
        model.train_as_of_ = [pd.Timestamp(t) for t in meta["train_as_of"]]
        model.classes_ = np.array([0, 1])
        model.config_ = cfg
        model.metadata_ = dict(meta.get("metadata", {}))
        reference = directory / REFERENCE_FILE
        model.reference_ = pd.read_parquet(reference) if reference.is_file() else None  # older models have none
        return model
