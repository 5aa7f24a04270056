"""Honest backtests: what the model would have scored at a past cutoff, judged by what happened next.

At cutoff *t* the model is trained exactly as ``upsell train`` would be at *t*: only on snapshots
whose label windows ended by *t*. It then scores the accounts active at *t*, and the scores are
compared with the labels realised in [*t*, *t* + horizon). The two baselines (logistic regression,
the SOP's triggers alone) are fitted on the same training rows and judged on the same rows, and
when the generator's truth is available so is the oracle (the true probabilities), and the truth
fit: the best ranking the features allow (``models.information_ceiling``), which tells missing
information from what learning costs.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data.contract import EVENT_TIME
from data.errors import UpsellError
from data.tables import Tables
from models.baselines import DEFAULT_SOP_TRIGGERS, LogisticBaseline, RulesBaseline, Trigger, TriggerFn
from models.charts import calibration_chart, gains_chart
from models.config import ModelConfig, load_config
from models.fingerprint import frame_fingerprint
from models.frame import LABEL_COLUMN
from models.leakage import implausible_result_flags
from models.information_ceiling import truth_fit_scores, truth_probability
from models.metrics import classification_metrics
from models.propensity import PropensityModel

TRUTH_FILE = Path("_truth") / "propensity.parquet"


@dataclass
class BacktestResult:
    """Everything one backtest measured. ``metrics[scorer][metric]``; scorers are ``model``,
    ``logistic``, ``rules`` and, with the truth, ``oracle``."""

    cutoff: pd.Timestamp
    horizon_days: int
    label: str
    metrics: dict[str, dict[str, float]]
    flags: list[str]
    scores: pd.DataFrame
    model: PropensityModel
    key: str
    train_rows: int
    train_snapshots: list[pd.Timestamp]
    fingerprints: dict[str, str]
    notes: list[str] = field(default_factory=list)

    @property
    def suspected_leakage(self) -> bool:
        return bool(self.flags)

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (what ``upsell backtest --json`` prints)."""
        return {
            "cutoff": self.cutoff.date().isoformat(),
            "horizon_days": self.horizon_days,
            "label": self.label,
            "rows_scored": int(len(self.scores)),
            "train_rows": self.train_rows,
            "train_snapshots": [t.date().isoformat() for t in self.train_snapshots],
            "metrics": {k: {m: round(v, 6) for m, v in d.items()} for k, d in self.metrics.items()},
            "suspected_leakage": self.suspected_leakage,
            "flags": self.flags,
            "calibration": self.model.calibrator_.method,
            "backtest_key": self.key,
            "notes": self.notes,
        }


def read_truth(data_dir: str | Path) -> pd.DataFrame | None:
    """The generator's true probabilities (``DIR/_truth/propensity.parquet``), if present."""
    path = Path(data_dir) / TRUTH_FILE
    if not path.is_file():
        return None
    truth = pd.read_parquet(path)
    need = {"account_id", "as_of", "horizon_days", "probability"}
    if not need <= set(truth.columns):
        raise UpsellError(f"{path}: expected columns {sorted(need)}, found {sorted(truth.columns)}")
    truth["as_of"] = pd.to_datetime(truth["as_of"]).astype("datetime64[us]")
    truth["account_id"] = truth["account_id"].astype(str)
    return truth


def observed_until(tables: Tables) -> pd.Timestamp | None:
    """The latest event time in any table other than ``accounts`` (None when there is none)."""
    latest: list[pd.Timestamp] = []
    for name in tables:
        if name == "accounts":
            continue
        value = tables.con.to_pandas(tables[name][EVENT_TIME[name]].max().name("m").as_table())["m"].iloc[0]
        if value is not None and not pd.isna(value):
            latest.append(pd.Timestamp(value))
    return max(latest) if latest else None


def require_outcomes_until(tables: Tables, needed: pd.Timestamp, why: str, slack_days: int = 7) -> None:
    """Refuse to build labels for windows the data does not cover (they would read as "no upsell")."""
    seen = observed_until(tables)
    if seen is None:
        raise UpsellError(f"{why}: the data has no event tables (only accounts), so no outcome can be observed")
    if seen + pd.Timedelta(days=slack_days) < needed:
        raise UpsellError(
            f"{why}: outcomes are needed until {needed.date()} but the data's latest event is {seen.date()}; "
            "choose an earlier --as-of or supply more recent data"
        )


def backtest_key(train_frame: pd.DataFrame, eval_frame: pd.DataFrame, cutoff: pd.Timestamp, horizon_days: int, label: str) -> str:
    """Identity of a backtest: same training rows, same scored rows and labels, same cutoff."""
    parts = [cutoff.isoformat(), str(horizon_days), label, frame_fingerprint(train_frame), frame_fingerprint(eval_frame)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def _oracle(eval_frame: pd.DataFrame, truth: pd.DataFrame, cutoff: pd.Timestamp, horizon_days: int) -> pd.Series:
    t = truth[(truth["as_of"] == cutoff) & (truth["horizon_days"] == horizon_days)]
    t = t.drop_duplicates("account_id").set_index("account_id")["probability"]
    return eval_frame["account_id"].map(t)


def evaluate_frames(
    train_frame: pd.DataFrame,
    eval_frame: pd.DataFrame,
    *,
    cutoff: pd.Timestamp,
    horizon_days: int,
    label: str,
    config: ModelConfig | None = None,
    triggers: tuple[Trigger, ...] | TriggerFn = DEFAULT_SOP_TRIGGERS,
    truth: pd.DataFrame | None = None,
    features: list[str] | None = None,
) -> BacktestResult:
    """The backtest on already-built frames (pure): fit on ``train_frame``, judge on ``eval_frame``.

    Both frames hold ``account_id``, ``as_of``, feature columns and ``label``.
    """
    cfg = config or load_config()
    for name, frame in (("training", train_frame), ("evaluation", eval_frame)):
        if LABEL_COLUMN not in frame.columns:
            raise UpsellError(f"backtest: the {name} frame has no {LABEL_COLUMN!r} column")
    y_train = train_frame[LABEL_COLUMN].to_numpy()
    y_eval = eval_frame[LABEL_COLUMN].to_numpy()
    if y_eval.min() == y_eval.max():
        raise UpsellError(
            f"backtest at {cutoff.date()}: all {len(y_eval)} accounts have label {int(y_eval[0])} in the "
            f"{horizon_days} days after the cutoff; nothing to rank"
        )
    X_train = train_frame.drop(columns=[LABEL_COLUMN])
    X_eval = eval_frame.drop(columns=[LABEL_COLUMN])
    notes: list[str] = []
    model = PropensityModel(cfg, features=features).fit(X_train, y_train)
    missing = [c for c in model.features_ if c not in X_eval.columns]
    if missing:
        notes.append(f"{len(missing)} feature(s) absent at the cutoff, scored as missing: {missing}")
        X_eval = X_eval.assign(**{c: np.nan for c in missing})

    scores = {"model": model.predict_score(X_eval)}
    logistic = LogisticBaseline(features=model.features_, seed=cfg.training.seed).fit(X_train, y_train)
    scores["logistic"] = logistic.predict_score(X_eval)
    try:
        rules = RulesBaseline(triggers).fit(X_train, y_train)
        scores["rules"] = rules.predict_score(X_eval)
    except UpsellError as exc:
        notes.append(f"rules baseline skipped: {exc}")
    metrics = {name: classification_metrics(y_eval, s) for name, s in scores.items()}

    oracle_auc = None
    if truth is not None:
        p_true = _oracle(eval_frame, truth, cutoff, horizon_days)
        covered = p_true.notna().to_numpy()
        if covered.sum() == 0:
            notes.append(f"truth has no rows for cutoff {cutoff.date()} and horizon {horizon_days}: oracle skipped")
        else:
            if not covered.all():
                notes.append(f"truth covers {covered.sum()} of {len(covered)} scored accounts; oracle judged on those")
                metrics["model_on_truth_rows"] = classification_metrics(y_eval[covered], scores["model"][covered])
            metrics["oracle"] = classification_metrics(y_eval[covered], p_true.to_numpy()[covered])
            oracle_auc = metrics["oracle"]["roc_auc"]
            scores["oracle"] = p_true.to_numpy()
            fitted = truth_fit_scores(X_train, truth_probability(X_train, truth, horizon_days), X_eval, model.features_)
            if fitted is not None:
                metrics["truth_fit"] = classification_metrics(y_eval[covered], fitted[covered], probabilities=False)
    flags = implausible_result_flags(
        metrics["model"]["roc_auc"], oracle_auc, cfg.leakage.max_plausible_auc, cfg.leakage.oracle_margin
    )
    scored = pd.DataFrame({"account_id": eval_frame["account_id"].to_numpy(), "score": scores["model"], "label": y_eval})
    for name in ("logistic", "rules", "oracle"):
        if name in scores:
            scored[f"{name}_score"] = scores[name]
    return BacktestResult(
        cutoff=cutoff,
        horizon_days=horizon_days,
        label=label,
        metrics=metrics,
        flags=flags,
        scores=scored,
        model=model,
        key=backtest_key(train_frame, eval_frame, cutoff, horizon_days, label),
        train_rows=int(len(train_frame)),
        train_snapshots=sorted(pd.Timestamp(t) for t in train_frame["as_of"].unique()),
        fingerprints={"train_frame": frame_fingerprint(train_frame), "eval_frame": frame_fingerprint(eval_frame)},
        notes=notes,
    )


def build_backtest_frames(
    tables: Tables, cutoff: pd.Timestamp, horizon_days: int, label: str, n_snapshots: int,
    addon_categories: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training frame as ``train`` would build it at ``cutoff``, evaluation frame at ``cutoff``)."""
    from features.training import build_training_frame

    require_outcomes_until(tables, cutoff + pd.Timedelta(days=horizon_days), f"backtest at {cutoff.date()}")
    train = build_training_frame(
        tables, label, horizon_days, as_of=cutoff, n_snapshots=n_snapshots, addon_categories=addon_categories
    )
    evaluation = build_training_frame(
        tables, label, horizon_days, as_of=cutoff + pd.Timedelta(days=horizon_days), cutoffs=[cutoff],
        addon_categories=addon_categories,
    )
    if evaluation.empty:
        raise UpsellError(f"backtest at {cutoff.date()}: no account is active at the cutoff")
    return train, evaluation


def run_backtest(
    tables: Tables,
    as_of: str | pd.Timestamp,
    horizon_days: int = 90,
    label: str = "expansion",
    *,
    config: ModelConfig | None = None,
    triggers: tuple[Trigger, ...] | TriggerFn = DEFAULT_SOP_TRIGGERS,
    truth: pd.DataFrame | None = None,
    features: list[str] | None = None,
    addon_categories: tuple[str, ...] = (),
) -> BacktestResult:
    """Train as ``upsell train`` would at ``as_of``, score at ``as_of``, judge on what happened after.

    ``addon_categories``: purchase categories whose purchase counts as an expansion."""
    cfg = config or load_config()
    cutoff = pd.Timestamp(as_of).normalize()
    train, evaluation = build_backtest_frames(
        tables, cutoff, horizon_days, label, cfg.training.n_snapshots, tuple(addon_categories)
    )
    return evaluate_frames(
        train, evaluation, cutoff=cutoff, horizon_days=horizon_days, label=label, config=cfg, triggers=triggers,
        truth=truth, features=features,
    )


def write_charts(result: BacktestResult, directory: str | Path) -> dict[str, Path]:
    """Calibration curve and cumulative gains of the model, baselines and oracle, as PNGs."""
    directory = Path(directory)
    s = result.scores
    y = s["label"].to_numpy()
    named = {"model": s["score"].to_numpy()}
    for name in ("logistic", "rules", "oracle"):
        col = f"{name}_score"
        if col in s.columns and s[col].notna().all():
            named[name] = s[col].to_numpy()
    when = f"cutoff {result.cutoff.date()}, {result.horizon_days}-day {result.label}"
    return {
        "calibration": calibration_chart(y, named, directory / "calibration.png", title=f"Calibration ({when})"),
        "gains": gains_chart(y, named, directory / "gains.png", title=f"Cumulative gains ({when})"),
    }


def summary_json(result: BacktestResult) -> str:
    return json.dumps(result.summary(), indent=2, sort_keys=True)
