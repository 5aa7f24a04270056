"""``train_and_register``: the public function behind ``upsell train``.

1. Build the training frame at ``as_of`` (snapshots whose label windows end by ``as_of``) and fit
   the model on it.
2. Gather promotion evidence honestly: a backtest at the newest snapshot date whose label window
   ends by ``as_of`` (trained only on what was known then, judged on the labels realised since).
3. Log everything to MLflow and register the model as a new version with alias ``challenger``.
4. Compare with the current champion *on the same backtest*: its recorded metrics when its
   backtest had the same key (same rows, labels, cutoff), otherwise its recipe (its saved
   settings and feature list) re-run on this backtest. Promote when at least as good; record it.
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from data.errors import UpsellError
from data.tables import Tables
from models import registry
from models.backtest import BacktestResult, evaluate_frames, build_backtest_frames, require_outcomes_until, write_charts
from models.baselines import DEFAULT_SOP_TRIGGERS, Trigger, TriggerFn
from models.config import ModelConfig, load_config
from models.fingerprint import frame_fingerprint
from models.frame import LABEL_COLUMN
from models.propensity import PropensityModel


@dataclass
class TrainResult:
    """The registered version, the fitted model, the promotion evidence and the decision."""

    model: PropensityModel
    version: registry.VersionInfo
    backtest: BacktestResult
    decision: registry.PromotionDecision
    champion_metrics: dict[str, float] | None

    def summary(self) -> dict[str, Any]:
        return {
            "model_name": self.version.name,
            "version": self.version.version,
            "run_id": self.version.run_id,
            "promoted": self.decision.promoted,
            "decision": self.decision.reason,
            "backtest": self.backtest.summary(),
            "champion_backtest_metrics": self.champion_metrics,
        }


def fit_at(
    tables: Tables, as_of: pd.Timestamp, horizon_days: int, label: str, config: ModelConfig,
    features: list[str] | None = None, addon_categories: tuple[str, ...] = (),
) -> tuple[PropensityModel, pd.DataFrame]:
    """The model ``train`` registers: fitted on every snapshot whose label window ends by ``as_of``."""
    from features.training import build_training_frame

    require_outcomes_until(tables, as_of, f"training as of {as_of.date()}")
    frame = build_training_frame(
        tables, label, horizon_days, as_of=as_of, n_snapshots=config.training.n_snapshots,
        addon_categories=addon_categories,
    )
    model = PropensityModel(config, features=features).fit(frame.drop(columns=[LABEL_COLUMN]), frame[LABEL_COLUMN])
    return model, frame


def evidence_cutoff(as_of: pd.Timestamp, horizon_days: int) -> pd.Timestamp:
    """The backtest cutoff for promotion evidence: the newest snapshot date (month start) whose
    label window ends by ``as_of`` — the last point where the outcome of a full horizon is known."""
    from features.training import snapshot_cutoffs

    return snapshot_cutoffs(as_of, horizon_days, n_snapshots=1)[-1]


def _champion_on_backtest(
    champion: registry.VersionInfo,
    backtest: BacktestResult,
    frames: tuple[pd.DataFrame, pd.DataFrame],
    triggers: tuple[Trigger, ...] | TriggerFn,
) -> dict[str, float]:
    """The champion's metrics on this very backtest."""
    if champion.tags.get("backtest_key") == backtest.key and "backtest_metrics" in champion.tags:
        return {k: float(v) for k, v in json.loads(champion.tags["backtest_metrics"]).items()}
    old_model, _ = registry.load_version(champion.name, champion.version)
    train, evaluation = frames
    usable = [f for f in old_model.features_ if f in train.columns]
    rerun = evaluate_frames(
        train, evaluation, cutoff=backtest.cutoff, horizon_days=backtest.horizon_days, label=backtest.label,
        config=old_model.config_, triggers=triggers, features=usable,
    )
    return rerun.metrics["model"]


def train_and_register(
    tables: Tables,
    as_of: str | pd.Timestamp,
    horizon_days: int = 90,
    label: str = "expansion",
    *,
    config: ModelConfig | None = None,
    model_name: str | None = None,
    command: str = "train_and_register()",
    triggers: tuple[Trigger, ...] | TriggerFn = DEFAULT_SOP_TRIGGERS,
    truth: pd.DataFrame | None = None,
    source_fingerprints: dict[str, str] | None = None,
    addon_categories: tuple[str, ...] = (),
) -> TrainResult:
    """Fit at ``as_of``, backtest at ``evidence_cutoff(as_of)``, register, and promote if at least as good."""
    cfg = config or load_config()
    name = model_name or cfg.registry.model_name
    as_of = pd.Timestamp(as_of).normalize()
    addon_categories = tuple(sorted(set(addon_categories)))
    registry.client()  # an unreachable tracking store fails now, not after the training it would record
    model, frame = fit_at(tables, as_of, horizon_days, label, cfg, addon_categories=addon_categories)

    cutoff = evidence_cutoff(as_of, horizon_days)
    try:
        frames = build_backtest_frames(tables, cutoff, horizon_days, label, cfg.training.n_snapshots, addon_categories)
    except UpsellError as exc:
        raise UpsellError(
            f"cannot gather promotion evidence: the backtest at {cutoff.date()} (the newest fully labelled snapshot) failed: {exc}. "
            f"Training needs about two horizons ({2 * horizon_days} days) of history plus some snapshots."
        ) from None
    backtest = evaluate_frames(
        *frames, cutoff=cutoff, horizon_days=horizon_days, label=label, config=cfg, triggers=triggers, truth=truth,
        features=[f for f in model.features_ if f in frames[0].columns],
    )
    model.metadata_ = {
        "as_of": as_of.date().isoformat(), "horizon_days": horizon_days, "label": label,
        "addon_categories": list(addon_categories),
    }
    model_metrics = backtest.metrics["model"]
    metrics = {f"backtest.{scorer}.{m}": v for scorer, d in backtest.metrics.items() for m, v in d.items()}
    params = {
        **cfg.to_flat_params(),
        "as_of": as_of.date().isoformat(),
        "horizon_days": horizon_days,
        "label": label,
        "addon_categories": ",".join(addon_categories),
        "backtest_cutoff": cutoff.date().isoformat(),
        "n_features": len(model.features_),
        "n_train_rows": len(frame),
        "snapshots": ",".join(sorted({pd.Timestamp(t).date().isoformat() for t in frame["as_of"].unique()})),
        "calibration": model.calibrator_.method,
        "best_iteration": model.best_iteration_,
    }
    tags = {
        "train_as_of": as_of.date().isoformat(),
        "horizon_days": str(horizon_days),
        "label": label,
        "backtest_key": backtest.key,
        "backtest_cutoff": cutoff.date().isoformat(),
        "backtest_metrics": json.dumps({k: float(v) for k, v in model_metrics.items()}, sort_keys=True),
        "suspected_leakage": str(backtest.suspected_leakage).lower(),
        "command": command,
    }
    fingerprints = {
        "training_frame": frame_fingerprint(frame),
        **{f"backtest_{k}": v for k, v in backtest.fingerprints.items()},
        **{f"source:{k}": v for k, v in (source_fingerprints or {}).items()},
    }
    with tempfile.TemporaryDirectory() as tmp:
        charts = write_charts(backtest, tmp)
        version = registry.log_and_register(
            model,
            model_name=name,
            experiment=cfg.registry.experiment,
            params=params,
            metrics=metrics,
            tags=tags,
            files=charts,
            documents={
                "features.json": {"features": model.features_, "categorical": model.categorical_features_},
                "fingerprints.json": fingerprints,
                "backtest.json": backtest.summary(),
                "feature_importance.json": model.feature_importance().to_dict(orient="records"),
            },
            input_example=frame.drop(columns=[LABEL_COLUMN]),
        )
    champion = registry.version_by_alias(name, registry.CHAMPION)
    champion_metrics = None
    if champion is not None and champion.version != version.version:
        champion_metrics = _champion_on_backtest(champion, backtest, frames, triggers)
    decision = registry.record_decision(
        name, version, metric=cfg.promotion.metric, challenger_metrics=model_metrics, champion=champion,
        champion_metrics=champion_metrics, backtest_key=backtest.key, min_improvement=cfg.promotion.min_improvement,
        command=command, blocked="; ".join(backtest.flags) or None,
    )
    return TrainResult(model=model, version=registry.get_version(name, version.version), backtest=backtest, decision=decision, champion_metrics=champion_metrics)
