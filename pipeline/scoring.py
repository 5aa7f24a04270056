"""``score_accounts``: tables → features → calibrated score → SOP decisions → reasons → the scored list.

The one function behind ``upsell score``, ``upsell nightly`` and the notebooks. It does no I/O
beyond running the feature query on the tables' engine: the model, the playbook and the tables
come in, the scored account list (the contract's output columns, then extras) goes out.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data.errors import UpsellError
from data.tables import Tables
from features.build import build_features
from models.propensity import PropensityModel
from models.reasons import reason_codes
from pipeline.playbook.decide import decide
from pipeline.playbook.schema import Playbook

log = logging.getLogger(__name__)

SCORED_LIST_COLUMNS: tuple[str, ...] = (
    "account_id", "as_of", "score", "score_band", "rank", "triggers", "decision_path", "final_node",
    "action", "offer_type", "channel", "owner_role", "owner_id", "priority", "expected_value", "due_at",
    "reason_1", "reason_2", "reason_3", "model_name", "model_version", "run_id",
)
# Reason codes cost a TreeSHAP pass per row: they are computed for the accounts someone acts on,
# highest expected value first, up to this many (a rep's list, not a million e-mails).
DEFAULT_REASONS_LIMIT = 20_000
# Above this share of the model's features missing from today's data, scores are not trustworthy.
MAX_MISSING_FEATURE_SHARE = 0.25


@dataclass
class ScoringResult:
    """The scored list plus the intermediate frames a notebook or the review may want."""

    scored: pd.DataFrame
    features: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    # seconds per step (features, predict, decide, reasons): where a slow night spent its time
    timings: dict[str, float] = field(default_factory=dict)


def model_features(model: PropensityModel, features: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """``features`` with every column the model needs; absent ones are added as missing.

    A source that has a metric fewer today than at training time should not stop the night, but
    losing a large part of the model's inputs means an outage upstream, and that is an error.
    """
    needed = list(model.features_)
    missing = [c for c in needed if c not in features.columns]
    if missing and len(missing) > MAX_MISSING_FEATURE_SHARE * len(needed):
        raise UpsellError(
            f"today's data lacks {len(missing)} of the model's {len(needed)} features "
            f"(e.g. {', '.join(missing[:8])}): is a source table missing? Refusing to score."
        )
    if missing:
        features = features.assign(**{c: np.nan for c in missing})
    return features, missing


def score_accounts(
    tables: Tables,
    as_of: str | pd.Timestamp,
    playbook: Playbook,
    model: PropensityModel,
    *,
    model_name: str,
    model_version: str,
    run_id: str,
    reasons_limit: int = DEFAULT_REASONS_LIMIT,
) -> ScoringResult:
    """Score every account active at ``as_of`` and run the playbook over the scores."""
    as_of = pd.Timestamp(as_of).normalize()
    clock = _Clock()
    features = build_features(tables, [as_of])
    if features.empty:
        raise UpsellError(f"no account is active at {as_of:%Y-%m-%d}: nothing to score")
    features, missing = model_features(model, features)
    clock.lap("features")
    notes = [f"{len(missing)} model feature(s) absent today, scored as missing: {', '.join(missing)}"] if missing else []
    scores = model.predict_proba(features)[:, 1]
    clock.lap("predict")
    scored_features = features.assign(score=scores)
    offers = tables.to_pandas("offers") if "offers" in tables else None
    accounts = tables.to_pandas("accounts")
    decisions = decide(scored_features, playbook, offers, as_of, accounts)
    for name in decisions.attrs.get("missing_features", []):
        notes.append(f"playbook condition name {name!r} is not a feature of this data: treated as missing")
    scored = assemble_scored_list(features[["account_id"]].assign(score=scores), decisions, as_of)
    clock.lap("decide")
    scored = _with_reasons(scored, features, model, reasons_limit)
    clock.lap("reasons")
    scored["model_name"] = model_name
    scored["model_version"] = str(model_version)
    scored["run_id"] = run_id
    ordered = list(SCORED_LIST_COLUMNS) + [c for c in scored.columns if c not in SCORED_LIST_COLUMNS]
    return ScoringResult(scored=scored[ordered], features=features, notes=notes, timings=clock.laps)


class _Clock:
    """Lap times in seconds, rounded like the run manifest's stage timings."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now


def assemble_scored_list(scores: pd.DataFrame, decisions: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Join scores and decisions; ``rank`` 1 = highest score (ties by account_id). Sorted by rank."""
    out = scores.merge(decisions, on="account_id", how="left", validate="one_to_one")
    out = out.sort_values(["score", "account_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    out.insert(1, "as_of", pd.Series(as_of, index=out.index, dtype="datetime64[us]"))
    out.insert(3, "rank", pd.array(np.arange(1, len(out) + 1), dtype="Int64"))
    return out


def _with_reasons(scored: pd.DataFrame, features: pd.DataFrame, model: PropensityModel, limit: int) -> pd.DataFrame:
    for k in (1, 2, 3):
        scored[f"reason_{k}"] = pd.Series(pd.NA, index=scored.index, dtype="string")
    acted = scored[scored["action"].notna()]
    if acted.empty or limit <= 0:
        return scored
    chosen = acted.sort_values(["expected_value", "account_id"], ascending=[False, True], kind="stable").head(limit)
    rows = features.set_index("account_id").loc[chosen["account_id"]].reset_index()
    reasons = reason_codes(model, rows, top_k=3)
    reasons.index = chosen.index
    for k in (1, 2, 3):
        scored.loc[chosen.index, f"reason_{k}"] = reasons[f"reason_{k}"]
    return scored
