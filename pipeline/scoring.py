"""``score_accounts``: tables → features → calibrated score → SOP decisions → reasons → the scored list.

The one function behind ``upsell score``, ``upsell nightly`` and the notebooks. It does no I/O
beyond running the feature query on the tables' engine: the model, the playbook and the tables
come in, the scored account list (the contract's output columns, then extras) goes out.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data.errors import UpsellError
from data.id_positions import as_text_array, is_unique_text, positions_in, strictly_increasing
from data.tables import Tables
from features.build import build_features
from models.propensity import PropensityModel
from models.reasons import reason_codes
from pipeline.playbook.decide import ACCOUNT_COLUMNS, decide_with_rows
from pipeline.playbook.suppression import OFFER_COLUMNS
from pipeline.playbook.schema import Playbook

log = logging.getLogger(__name__)

SCORED_LIST_COLUMNS: tuple[str, ...] = (
    "account_id", "as_of", "score", "score_band", "rank", "triggers", "decision_path", "final_node",
    "action", "offer_type", "channel", "owner_role", "owner_id", "priority", "expected_value", "due_at",
    "reason_1", "reason_2", "reason_3", "model_name", "model_version", "run_id",
)
# Reason codes cost a TreeSHAP pass per row: 5 to 35 plain predictions' worth, more with more
# trees (benchmarks/reasons_bench.py; 35x for a 1,100-tree champion). They are computed for the
# accounts whose action someone reads them for (``Playbook.reason_actions``: person-owned actions,
# and automated ones marked ``reasons: true``), person-owned first, then by expected value, up to
# this many: a safety cap, since a week of a team's capacity is hundreds of accounts.
DEFAULT_REASONS_LIMIT = 10_000
# Above this share of the model's features missing from today's data, scores are not trustworthy.
MAX_MISSING_FEATURE_SHARE = 0.25
# A note when the newest event before as_of is older than this (weekly usage feeds are normal),
# judged from the recency features every night computes anyway.
STALE_AFTER_DAYS = 30
RECENCY_FEATURES = ("use_days_since_last", "pur_days_since_last", "sup_days_since_last_ticket", "off_days_since_last")


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
    notes = [f"{len(missing)} model feature(s) absent today, scored as missing: {', '.join(missing)}"] if missing else []
    notes += stale_data_notes(freshest_event_days(features), as_of)
    clock.lap("features")
    matrix = model.matrix(features)  # built once: the reasons explain rows of the same matrix
    scores = model.predict_matrix_score(matrix)
    clock.lap("predict")
    scored_features = features.assign(score=scores)
    offers = tables.to_pandas("offers", columns=OFFER_COLUMNS) if "offers" in tables else None
    accounts = tables.to_pandas("accounts", columns=ACCOUNT_COLUMNS)
    decisions, rows = decide_with_rows(scored_features, playbook, offers, as_of, accounts, order_by_score=True)
    for name in decisions.attrs.get("missing_features", []):
        notes.append(f"playbook condition name {name!r} is not a feature of this data: treated as missing")
    scored = assemble_scored_list(features[["account_id"]].assign(score=scores), decisions, as_of, rows=rows)
    clock.lap("decide")
    scored = _with_reasons(scored, features, model, reasons_limit, playbook.person_roles(), playbook.reason_actions(),
                           matrix=matrix)
    clock.lap("reasons")
    scored["model_name"] = model_name
    scored["model_version"] = str(model_version)
    scored["run_id"] = run_id
    ordered = list(SCORED_LIST_COLUMNS) + [c for c in scored.columns if c not in SCORED_LIST_COLUMNS]
    return ScoringResult(scored=scored[ordered], features=features, notes=notes, timings=clock.laps)


def freshest_event_days(features: pd.DataFrame) -> float | None:
    """Days from the cutoff back to the newest usage, purchase, ticket or offer of any scored
    account (the smallest of the recency features); None when no such feature has a value."""
    present = [c for c in RECENCY_FEATURES if c in features.columns]
    if not present:
        return None
    values = features[present].to_numpy(dtype="float64", na_value=np.nan)
    return None if np.isnan(values).all() else float(np.nanmin(values))


def stale_data_notes(freshest_days: float | None, as_of: pd.Timestamp, after_days: int = STALE_AFTER_DAYS) -> list[str]:
    """A note when the newest event before ``as_of`` is more than ``after_days`` old: the scores
    then describe the accounts as they were that day (a stalled feed, or a mistyped --as-of).
    A note, not an error: a quiet shop can go weeks without an event."""
    if freshest_days is None or freshest_days <= after_days:
        return []
    return [f"the newest usage, purchase, ticket or offer before {as_of:%Y-%m-%d} is {freshest_days:.0f} days old: "
            "features describe the accounts as of then (is a source feed stalled, or is --as-of mistyped?)"]


class _Clock:
    """Lap times in seconds, rounded like the run manifest's stage timings."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now


def assemble_scored_list(scores: pd.DataFrame, decisions: pd.DataFrame, as_of: pd.Timestamp,
                         rows: np.ndarray | None = None) -> pd.DataFrame:
    """Join scores and decisions; ``rank`` 1 = highest score (ties by account_id). Sorted by rank.

    ``decisions`` has one row per scored account (``decide``'s output); a missing or duplicated
    account is an error, not a silently empty decision. ``rows``: the position in ``scores`` of
    each decision row, as ``decide_with_rows(order_by_score=True)`` returns it when it was given
    these same rows; the decisions are then taken as aligned (no join) and, when their scores run
    highest first, in rank order (no sort: decide did it, ties by account_id).
    """
    if rows is not None and len(rows) == len(scores) == len(decisions):
        score = scores["score"].to_numpy(dtype="float64", na_value=np.nan)[np.asarray(rows)]
        with np.errstate(invalid="ignore"):  # inf - inf between two missing scores: nan, not a step down
            falls = (np.diff(np.where(np.isnan(score), np.inf, -score)) < 0).any()
        if not falls:  # highest first, missing last
            return _with_rank(decisions.reset_index(drop=True), score, as_of)
    ids = decisions["account_id"]
    aligned = _scores_in_rank_order(scores, decisions)
    if aligned is not None:  # decide(order_by_score=True) over id-sorted scores: no join needed
        out = decisions.reset_index(drop=True)
        return _with_rank(out, aligned, as_of)
    if not is_unique_text(ids):
        raise UpsellError(f"decisions: account_id must be unique; duplicated e.g. {ids[ids.duplicated()].head(3).tolist()}")
    at = positions_in(ids, scores["account_id"])
    if len(scores) != len(decisions) or (at < 0).any():
        lost = scores["account_id"][at < 0].head(3).tolist()
        raise UpsellError(f"decisions: {len(decisions):,} rows for {len(scores):,} scored accounts (no decision for e.g. {lost})")
    score = np.empty(len(decisions), dtype="float64")
    score[at] = scores["score"].to_numpy(dtype="float64", na_value=np.nan)
    # highest score first, NaN last; ties by account_id. Decisions in account_id order need only
    # a stable sort on the score.
    descending = np.where(np.isnan(score), np.inf, -score)
    if _in_rank_order(descending, ids):  # decide(order_by_score=True): nothing to reshuffle
        out = decisions.reset_index(drop=True)
    else:
        if ids.is_monotonic_increasing:
            order = np.argsort(descending, kind="stable")
        else:
            order = np.lexsort((pd.factorize(ids, sort=True)[0], descending))
        out, score = decisions.iloc[order].reset_index(drop=True), score[order]
    return _with_rank(out, score, as_of)


def _with_rank(out: pd.DataFrame, score: np.ndarray, as_of: pd.Timestamp) -> pd.DataFrame:
    out.insert(1, "score", score)
    out.insert(1, "as_of", pd.Series(as_of, index=out.index, dtype="datetime64[us]"))
    out.insert(3, "rank", pd.array(np.arange(1, len(out) + 1), dtype="Int64"))
    return out


def _scores_in_rank_order(scores: pd.DataFrame, decisions: pd.DataFrame) -> np.ndarray | None:
    """The scores in rank order when ``decisions`` already list exactly ``scores``' accounts in
    rank order and ``scores`` run in strictly increasing account_id order; else None.

    Linear passes only: strictly increasing ids are unique, a stable sort on the score alone then
    gives the rank order (ties by account_id), and one comparison of the two id columns proves
    every account has its decision.
    """
    if len(scores) != len(decisions):
        return None
    score_ids = as_text_array(scores["account_id"])
    if not strictly_increasing(score_ids):
        return None
    score = scores["score"].to_numpy(dtype="float64", na_value=np.nan)
    order = np.argsort(np.where(np.isnan(score), np.inf, -score), kind="stable")
    decided = as_text_array(decisions["account_id"])
    if decided.null_count or not pc.all(pc.equal(score_ids.take(pa.array(order)), decided)).as_py():
        return None
    return score[order]


def _in_rank_order(descending: np.ndarray, ids: pd.Series) -> bool:
    """True when rows already run highest score first with ties in account_id order."""
    with np.errstate(invalid="ignore"):
        step = np.diff(descending)
    if (step < 0).any():
        return False
    tied = np.flatnonzero((step == 0) | np.isnan(step))  # nan: two missing scores (inf - inf)
    if tied.size == 0:
        return True
    ids = ids.astype("str")
    return bool((ids.iloc[tied].to_numpy() < ids.iloc[tied + 1].to_numpy()).all())


def reason_targets(scored: pd.DataFrame, limit: int, person_roles: Iterable[str] = (),
                   actions: Iterable[str] | None = None) -> np.ndarray:
    """Positions in ``scored`` of the accounts that get reason codes, at most ``limit``.

    Accounts with one of ``actions`` (any action when None): those owned by a person
    (``person_roles``) first, since a rep reads the reasons before a call, then highest expected
    value, then account_id.
    """
    wanted = scored["action"].notna() if actions is None else scored["action"].isin(list(actions))
    acted = np.flatnonzero(wanted.to_numpy(dtype=bool, na_value=False))
    if acted.size == 0 or limit <= 0:
        return acted[:0]
    value = scored["expected_value"].to_numpy(dtype="float64", na_value=np.nan)[acted]
    keys = pa.table({
        "automated": ~scored["owner_role"].iloc[acted].isin(list(person_roles)).to_numpy(),
        "value": np.where(np.isnan(value), np.inf, -value),  # highest value first, missing last
        "account_id": as_text_array(scored["account_id"]).take(pa.array(acted)),
    })
    order = pc.sort_indices(keys, sort_keys=[("automated", "ascending"), ("value", "ascending"), ("account_id", "ascending")])
    return acted[order.to_numpy()[:limit]]


def _with_reasons(scored: pd.DataFrame, features: pd.DataFrame, model: PropensityModel, limit: int,
                  person_roles: Iterable[str] = (), actions: Iterable[str] | None = None, *,
                  matrix: pd.DataFrame | None = None) -> pd.DataFrame:
    """``scored`` with ``reason_1..3`` filled for ``reason_targets``; ``features`` holds (at least) their rows.

    ``matrix``: ``model.matrix(features)``, row for row, when the caller built it to predict.
    """
    chosen = reason_targets(scored, limit, person_roles, actions)
    texts = [pa.nulls(0, pa.large_string())] * 3
    if chosen.size:
        at = positions_in(features["account_id"], scored["account_id"].iloc[chosen])
        if (at < 0).any():
            raise UpsellError(f"reason codes: no feature row for e.g. {scored['account_id'].iloc[chosen[at < 0]].head(3).tolist()}")
        rows = matrix.iloc[at] if matrix is not None else None
        reasons = reason_codes(model, features.iloc[at].reset_index(drop=True), top_k=3, matrix=rows)
        texts = [pa.array(reasons[f"reason_{k}"].to_numpy(dtype=object, na_value=None), pa.large_string()) for k in (1, 2, 3)]
    # each column is the chosen rows' texts taken into place, null elsewhere (Arrow, not a Python
    # object per scored account)
    where = np.full(len(scored), -1, dtype=np.int64)
    where[chosen] = np.arange(chosen.size)
    where = pa.array(where, mask=where < 0)
    for k, text in enumerate(texts, start=1):
        scored[f"reason_{k}"] = pd.Series(pd.arrays.ArrowStringArray(pc.take(text, where)), index=scored.index, dtype="string")
    return scored
