"""``decide()``: the playbook executed over a scored account list, one decision row per account.

Pure and vectorised: no I/O, no per-account Python. Steps, in order:

1. ``score_band``: the first band (highest ``min_score`` first) the score reaches; missing score →
   missing band (and every condition on ``score`` is False).
2. Scope: accounts outside ``objective.segments`` / ``objective.product_tiers`` (when listed) end
   at ``out_of_scope``. Segment comes from ``accounts.segment`` else the ``acct_segment`` feature;
   tier from ``sub_plan_tier``, else ``acct_plan_tier``, else ``accounts.plan_tier``.
3. Triggers fire; the first one (playbook order) routes the account into the decision nodes
   until it lands on an action or an exit. No trigger → ``no_trigger``.
4. The offers history (``suppression.py``): an account the tree sends to an action but that is in
   a cool-down, waiting for re-entry, has a pending offer or hit its contact limit ends at
   ``suppressed`` with the reason. An unanswered offer whose follow-up is due goes to the
   follow-up action (path ``follow_up>ACTION``), triggers or not.
5. Capacity (``capacity.py``): human-owned actions by expected value up to each role's weekly
   capacity; overflow → fallback action (path gets ``>FALLBACK``) or ``capacity_deferred``.

``decision_path`` lists every node passed, ending with ``final_node``; suppression and capacity
append their reserved node or the fallback action. ``owner_id`` is the account's ``owner_id`` when
the final action's owner role is the playbook's ``account_owner_role``, else missing (a pool owns
it). ``priority`` is the position in the owner role's queue (1 = first) by expected value, then
``account_id``. ``expected_value`` = score × the action's ``deal_value``. ``due_at`` = ``as_of`` +
the action's ``sla_days``. Not-applicable cells are missing (NA/NaT). Rows come out sorted by
``account_id``.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data.errors import UpsellError
from data.id_positions import as_text_array, positions_in, strictly_increasing
from pipeline.playbook.capacity import NONE, assign, used_this_week
from pipeline.playbook.conditions import parse_condition
from pipeline.playbook.feature_names import known_features
from pipeline.playbook.lint import check_playbook
from pipeline.playbook.route import ConditionCache, NodeCodes, joined_labels, route
from pipeline.playbook.schema import (
    CAPACITY_DEFERRED, FOLLOW_UP, NO_TRIGGER, OUT_OF_SCOPE, SUPPRESSED, Playbook,
)
from pipeline.playbook.suppression import offer_state

log = logging.getLogger(__name__)

DECISION_COLUMNS: tuple[str, ...] = (
    "account_id", "score_band", "triggers", "decision_path", "final_node", "action", "offer_type",
    "channel", "owner_role", "owner_id", "priority", "expected_value", "due_at",
    "suppression_reason", "capacity_note",
)


def decide(
    scored: pd.DataFrame,
    playbook: Playbook,
    offers: pd.DataFrame | None,
    as_of: str | pd.Timestamp,
    accounts: pd.DataFrame | None = None,
    *,
    order_by_score: bool = False,
) -> pd.DataFrame:
    """One decision row per account of ``scored`` (``account_id``, ``score``, feature columns).

    Rows come in account_id order, or with ``order_by_score`` highest score first (missing
    last, ties by account_id): the scored list's rank order, so it needs no reshuffle.

    ``offers`` is the offers history (contract table; may be None), ``accounts`` supplies
    ``owner_id`` and ``segment``/``plan_tier``. Raises ``UpsellError`` on bad input and
    ``PlaybookError`` when the playbook has lint errors (unknown feature names included). The
    frame's ``attrs["missing_features"]`` lists condition names absent from ``scored`` (treated as
    missing for every account).
    """
    return decide_with_rows(scored, playbook, offers, as_of, accounts, order_by_score=order_by_score)[0]


def decide_with_rows(
    scored: pd.DataFrame,
    playbook: Playbook,
    offers: pd.DataFrame | None,
    as_of: str | pd.Timestamp,
    accounts: pd.DataFrame | None = None,
    *,
    order_by_score: bool = False,
) -> tuple[pd.DataFrame, np.ndarray]:
    """``decide``, plus the position in ``scored`` of each decision row (the scoring job uses it
    to line the scores up with the decisions without a join or a second sort)."""
    as_of = _timestamp(as_of)
    # every condition name must be a feature of the catalogue (a metric's features for any metric):
    # a typo would otherwise read as missing for every account and its branch would never fire
    check_playbook(playbook, known_features()[0])
    ids, order = _account_ids(scored)
    n = len(ids)
    account_rank = np.empty(n, dtype=np.int64)
    account_rank[order] = np.arange(n)
    score = _score(scored)
    # 1. score band
    bands = playbook.bands_high_to_low()
    band = _band_codes(score, bands)
    band_names = [b.name for b in bands]
    side = _AccountSide(accounts, ids)

    absent = sorted(_condition_names(playbook) - set(scored.columns) - {"score", "score_band"})
    if absent:
        log.warning("playbook %s reads %d feature(s) absent from the scored frame, treated as missing: %s",
                    playbook.name, len(absent), ", ".join(absent))
    conditions = ConditionCache(scored, {"score_band": pd.Series(pd.Categorical.from_codes(band, band_names))})

    # 2. scope, 3. triggers and decision nodes
    codes = NodeCodes.of(playbook)
    lookup = codes.lookup()
    in_scope = _in_scope(playbook, scored, side, n)
    routes = route(playbook, codes, conditions, in_scope)
    steps = routes.steps.copy()
    steps[:, 0] = np.where(~in_scope, codes.code(OUT_OF_SCOPE), np.where(routes.terminal == NONE, codes.code(NO_TRIGGER), steps[:, 0]))

    action_ids = list(playbook.actions)
    action_of_code = np.full(len(codes.ids), NONE, dtype=np.int64)
    for i, a in enumerate(action_ids):
        action_of_code[codes.code(a)] = i
    chosen = np.where(routes.terminal == NONE, NONE, action_of_code[np.maximum(routes.terminal, 0)])

    # 4. offers history: follow-ups and suppression
    state = offer_state(offers, ids, as_of, playbook)
    follow = state.follow_up & in_scope
    follow_action = playbook.exit_paths.no_response.follow_up_action
    if follow_action is not None and follow.any():
        steps[follow] = NONE
        steps[follow, 0] = codes.code(FOLLOW_UP)
        steps[follow, 1] = codes.code(follow_action)
        chosen = np.where(follow, action_ids.index(follow_action), chosen)
    suppressed = (chosen != NONE) & (state.reason != None)  # noqa: E711 (object array: elementwise)
    chosen = np.where(suppressed, NONE, chosen)

    # 5. capacity
    deal_value = np.array([playbook.actions[a].deal_value for a in action_ids] + [np.nan])
    value = score * deal_value[chosen]  # NONE (-1) picks the trailing NaN
    capacity = assign(playbook, chosen, value, account_rank, used_this_week(offers, as_of), as_of)
    final_action = capacity.action
    value = score * deal_value[final_action]

    # paths: the tree's steps, then what suppression/capacity did (suppressed | fallback [> capacity_deferred])
    suffix = np.full((n, 2), NONE, dtype=np.int32)
    suffix[suppressed, 0] = codes.code(SUPPRESSED)
    action_codes = np.array([codes.code(a) for a in action_ids], dtype=np.int32)
    moved = capacity.rerouted_to != NONE
    suffix[moved, 0] = action_codes[capacity.rerouted_to[moved]]
    suffix[capacity.deferred & moved, 1] = codes.code(CAPACITY_DEFERRED)
    suffix[capacity.deferred & ~moved, 0] = codes.code(CAPACITY_DEFERRED)
    full_steps = np.concatenate([steps, suffix], axis=1)
    path_codes, path_labels = joined_labels(full_steps, lookup, ">")
    final_code = full_steps[:, 0].copy()
    for col in range(1, full_steps.shape[1]):
        final_code = np.where(full_steps[:, col] != NONE, full_steps[:, col], final_code)

    trigger_codes = np.array([codes.code(t.id) for t in playbook.triggers], dtype=np.int32)
    fired = np.where(routes.fired, trigger_codes[None, :], NONE)
    fired_codes, fired_labels = joined_labels(fired, lookup, ";")

    # output columns
    has_action = final_action != NONE
    roles = list(playbook.roles)
    role_code = np.array([roles.index(playbook.actions[a].owner) for a in action_ids] + [NONE])[final_action]
    owner_role_is_owner = role_code == (roles.index(playbook.account_owner_role) if playbook.account_owner_role in roles else -2)
    sla = np.array([playbook.actions[a].sla_days for a in action_ids] + [0], dtype="timedelta64[D]")[final_action]
    due_at = np.where(has_action, np.datetime64(as_of, "ns") + sla.astype("timedelta64[ns]"), np.datetime64("NaT", "ns"))

    if order_by_score:
        order = np.lexsort((account_rank, np.where(np.isnan(score), np.inf, -score)))
    final_action, role_code, value = final_action[order], role_code[order], value[order]  # output order

    def per_action(attr: str) -> pd.Series:
        values = [getattr(playbook.actions[a], attr) for a in action_ids]
        labels = sorted(set(values))
        table = np.array([labels.index(v) for v in values] + [NONE])
        return _labels(table[final_action], labels)

    out = pd.DataFrame({
        "account_id": _ids_in_order(scored["account_id"], order),
        "score_band": _labels(band[order], band_names),
        "triggers": _labels(fired_codes[order], fired_labels),
        "decision_path": _labels(path_codes[order], path_labels),
        "final_node": _labels(final_code[order], list(codes.ids)),
        "action": _labels(final_action, action_ids),
        "offer_type": per_action("offer_type"),
        "channel": per_action("channel"),
        "owner_role": _labels(role_code, roles),
        "owner_id": _sparse_text(owner_role_is_owner, lambda rows: side.column("owner_id", rows), order),
        "priority": _priority(final_action, role_code, value, account_rank[order]),
        "expected_value": np.where(final_action != NONE, value, np.nan),
        "due_at": pd.Series(due_at[order], dtype="datetime64[ns]"),
        "suppression_reason": _sparse_text(suppressed, state.reason.__getitem__, order),
        "capacity_note": _sparse_text((capacity.rerouted_from != NONE) | capacity.deferred, capacity.note.__getitem__, order),
    })
    out.attrs["missing_features"] = absent
    return out, order


def _priority(action: np.ndarray, role_code: np.ndarray, value: np.ndarray, account_rank: np.ndarray) -> pd.arrays.IntegerArray:
    """1-based queue position per owner role: highest expected value first, then account_id."""
    out = np.full(len(action), -1, dtype=np.int64)
    rows = np.flatnonzero(action != NONE)
    if rows.size == 0:
        return pd.arrays.IntegerArray(out, np.ones(len(action), dtype=bool))
    v = np.where(np.isnan(value[rows]), -np.inf, value[rows])
    sort = np.lexsort((account_rank[rows], -v, role_code[rows]))
    order, sorted_roles = rows[sort], role_code[rows][sort]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_roles)) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    out[order] = np.arange(len(order)) - run_start + 1
    return pd.arrays.IntegerArray(np.maximum(out, 0), out <= 0)


def _timestamp(as_of: str | pd.Timestamp) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(as_of)
    except (ValueError, TypeError) as exc:
        raise UpsellError(f"as_of: not a date ({as_of!r}: {exc})") from None
    if ts is pd.NaT:
        raise UpsellError("as_of: missing")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.as_unit("ns")


def _account_ids(scored: pd.DataFrame) -> tuple[pd.Index, np.ndarray]:
    """The ids (as text) and the permutation that sorts them; ids must be present and unique."""
    for col in ("account_id", "score"):
        if col not in scored.columns:
            raise UpsellError(f"scored: missing column {col!r} (have {list(scored.columns)[:8]}…)")
    raw = scored["account_id"]
    if raw.isna().any():
        raise UpsellError(f"scored.account_id: {int(raw.isna().sum())} missing id(s) at rows {list(np.flatnonzero(raw.isna())[:3])}")
    ids = as_text_array(raw)
    if strictly_increasing(ids):  # feature frames come sorted: sorted and unique in one pass
        return pd.Index(pd.array(ids, dtype=_STR)), np.arange(len(ids))
    order = pc.sort_indices(ids).to_numpy()  # stable; UTF-8 byte order is code point order
    ordered = ids.take(order)
    if len(ids) > 1:
        dup = np.flatnonzero(pc.equal(ordered[1:], ordered[:-1]).to_numpy(zero_copy_only=False))
        if dup.size:
            raise UpsellError(f"scored.account_id: ids must be unique; duplicated e.g. "
                              f"{sorted(set(ordered.take(dup[:50]).to_pylist()))[:3]}")
    return pd.Index(pd.array(ids, dtype=_STR)), order


def _score(scored: pd.DataFrame) -> np.ndarray:
    try:
        score = pd.to_numeric(scored["score"]).to_numpy(dtype="float64", na_value=np.nan)
    except (ValueError, TypeError) as exc:
        raise UpsellError(f"scored.score: not numeric ({exc})") from None
    bad = ~np.isnan(score) & ((score < 0) | (score > 1))
    if bad.any():
        raise UpsellError(f"scored.score: probabilities must be in [0, 1]; e.g. {score[bad][:3].tolist()}")
    return score


def _band_codes(score: np.ndarray, bands: list) -> np.ndarray:
    """Index into ``bands`` (highest min_score first) of each score's band; -1 for a missing score."""
    code = np.full(len(score), -1, dtype=np.int64)
    for i in range(len(bands) - 1, -1, -1):  # lowest band first, higher bands overwrite
        code[score >= bands[i].min_score] = i
    return code


# What decide() reads from the accounts table (callers can load just these).
ACCOUNT_COLUMNS: tuple[str, ...] = ("account_id", "owner_id", "segment", "plan_tier")


class _AccountSide:
    """The accounts row of scored rows (-1: none), looked up only for the rows asked.

    Converting a million account strings to Python objects costs seconds, and most of them are
    never looked at: owner ids matter only where the account's owner gets the action, so the
    lookup hashes those few ids and probes the accounts table once.
    """

    def __init__(self, accounts: pd.DataFrame | None, index: pd.Index) -> None:
        if accounts is not None and "account_id" not in accounts.columns:
            raise UpsellError("accounts: missing column 'account_id'")
        self.accounts = accounts
        self.index = index
        self._all: np.ndarray | None = None

    def has(self, column: str) -> bool:
        return self.accounts is not None and column in self.accounts.columns

    def column(self, column: str, rows: np.ndarray | None = None) -> np.ndarray | None:
        """``column`` for scored ``rows`` (all when None) as objects, None where unknown; None if absent."""
        if not self.has(column):
            return None
        at = self._rows(rows)
        out = np.full(len(at), None, dtype=object)
        hit = at >= 0
        picked = self.accounts[column].iloc[at[hit]].to_numpy(dtype=object)  # type: ignore[index]
        out[hit] = np.where(pd.isna(picked), None, picked)
        return out

    def _rows(self, rows: np.ndarray | None) -> np.ndarray:
        if rows is None:
            if self._all is None:
                self._all = self._lookup(self.index)
            return self._all
        return self._all[rows] if self._all is not None else self._lookup(self.index[rows])

    def _lookup(self, wanted: pd.Index) -> np.ndarray:
        assert self.accounts is not None
        ids = self.accounts["account_id"]
        row = positions_in(wanted, ids)  # per accounts row: which wanted id it is, -1 none
        hit = row >= 0
        if np.bincount(row[hit], minlength=1).max(initial=0) > 1:
            dup = ids[ids.duplicated()].head(3).tolist()
            raise UpsellError(f"accounts.account_id: ids must be unique; duplicated e.g. {dup}")
        at = np.full(len(wanted), -1, dtype=np.int64)
        at[row[hit]] = np.flatnonzero(hit)
        return at


def _in_scope(playbook: Playbook, scored: pd.DataFrame, side: _AccountSide, n: int) -> np.ndarray:
    keep = np.ones(n, dtype=bool)

    def first_available(*sources: tuple[str, str]) -> np.ndarray | None:
        for where, name in sources:
            if where == "feature" and name in scored.columns:
                values = scored[name].astype(object).to_numpy()
                return np.where(pd.isna(values), None, values)
            if where == "accounts" and side.has(name):
                return side.column(name)
        return None

    checks = (
        ("segments", playbook.objective.segments, (("accounts", "segment"), ("feature", "acct_segment")),
         "accounts.segment or the acct_segment feature"),
        ("product_tiers", playbook.objective.product_tiers,
         (("feature", "sub_plan_tier"), ("feature", "acct_plan_tier"), ("accounts", "plan_tier")),
         "sub_plan_tier / acct_plan_tier features or accounts.plan_tier"),
    )
    for key, allowed, sources, where in checks:
        if not allowed:
            continue
        values = first_available(*sources)
        if values is None:
            raise UpsellError(f"playbook {playbook.name}: objective.{key} limits the scope but no {where} is available")
        keep &= pd.Series(values).isin(allowed).to_numpy()
    return keep


def _condition_names(playbook: Playbook) -> set[str]:
    texts = [t.when for t in playbook.triggers] + [b.when for n in playbook.nodes.values() for b in n.branches]
    return set().union(*(parse_condition(t).names for t in texts))


_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default "str" dtype


def _labels(codes: np.ndarray, labels: list[str]) -> pd.Series:
    """A string column from integer codes into ``labels`` (negative = missing), built in Arrow."""
    codes = np.asarray(codes, dtype=np.int32)
    taken = pa.array(list(labels), type=pa.string()).take(pa.array(codes, mask=codes < 0))
    return pd.Series(pd.array(taken, dtype=_STR))


def _sparse_text(mask: np.ndarray, pick: Callable[[np.ndarray], np.ndarray | None], order: np.ndarray) -> pd.Series:
    """String column in output ``order``: ``pick(rows)`` for the rows in ``mask`` (None: missing).

    Only the masked rows are touched in Python-object land; the rest is integer work.
    """
    rows = order[mask[order]]
    picked = pick(rows)
    if picked is None:
        picked = np.full(len(rows), None, dtype=object)
    keep = np.flatnonzero(pd.notna(picked))
    codes = np.full(len(order), -1, dtype=np.int32)
    codes[np.flatnonzero(mask[order])[keep]] = np.arange(len(keep), dtype=np.int32)
    return _labels(codes, picked[keep].tolist())


def _ids_in_order(ids: pd.Series, order: np.ndarray) -> pd.Series:
    """The account_id column permuted into output order (an Arrow take, not a Python loop)."""
    as_text = ids if isinstance(ids.dtype, pd.StringDtype) and ids.dtype == _STR else ids.astype(_STR)
    return as_text.take(order).reset_index(drop=True)
