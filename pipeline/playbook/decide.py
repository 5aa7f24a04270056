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

import numpy as np
import pandas as pd

from data.errors import UpsellError
from pipeline.playbook.capacity import NONE, assign, used_this_week
from pipeline.playbook.conditions import parse_condition
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
) -> pd.DataFrame:
    """One decision row per account of ``scored`` (``account_id``, ``score``, feature columns).

    ``offers`` is the offers history (contract table; may be None), ``accounts`` supplies
    ``owner_id`` and ``segment``/``plan_tier``. Raises ``UpsellError`` on bad input and
    ``PlaybookError`` when the playbook has lint errors. The frame's ``attrs["missing_features"]``
    lists condition names absent from ``scored`` (treated as missing for every account).
    """
    as_of = _timestamp(as_of)
    check_playbook(playbook)
    ids = _account_ids(scored)
    n = len(ids)
    index = pd.Index(ids)
    account_rank = pd.factorize(ids, sort=True)[0]
    score = _score(scored)
    band = _bands(score, playbook)
    side = _account_side(accounts, index)

    absent = sorted(_condition_names(playbook) - set(scored.columns) - {"score", "score_band"})
    if absent:
        log.warning("playbook %s reads %d feature(s) absent from the scored frame, treated as missing: %s",
                    playbook.name, len(absent), ", ".join(absent))
    conditions = ConditionCache(scored, {"score_band": pd.Series(band, dtype=object)})

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

    state = offer_state(offers, index, as_of, playbook)
    follow = state.follow_up & in_scope
    follow_action = playbook.exit_paths.no_response.follow_up_action
    if follow_action is not None and follow.any():
        steps[follow] = NONE
        steps[follow, 0] = codes.code(FOLLOW_UP)
        steps[follow, 1] = codes.code(follow_action)
        chosen = np.where(follow, action_ids.index(follow_action), chosen)
    suppressed = (chosen != NONE) & pd.notna(state.reason)
    chosen = np.where(suppressed, NONE, chosen)

    deal_value = np.array([playbook.actions[a].deal_value for a in action_ids] + [np.nan])
    value = score * deal_value[np.where(chosen == NONE, -1, chosen)]
    capacity = assign(playbook, chosen, value, account_rank, used_this_week(offers, as_of), as_of)
    final_action = capacity.action
    value = score * deal_value[np.where(final_action == NONE, -1, final_action)]

    suffix = np.full((n, 2), NONE, dtype=np.int32)
    suffix[suppressed, 0] = codes.code(SUPPRESSED)
    action_codes = np.array([codes.code(a) for a in action_ids], dtype=np.int32)
    moved = capacity.rerouted_to != NONE
    suffix[moved, 0] = action_codes[capacity.rerouted_to[moved]]
    suffix[capacity.deferred & moved, 1] = codes.code(CAPACITY_DEFERRED)
    suffix[capacity.deferred & ~moved, 0] = codes.code(CAPACITY_DEFERRED)
    full_steps = np.concatenate([steps, suffix], axis=1)
    decision_path = joined_labels(full_steps, lookup, ">")
    final_code = full_steps[:, 0].copy()
    for col in range(1, full_steps.shape[1]):
        final_code = np.where(full_steps[:, col] != NONE, full_steps[:, col], final_code)

    fired = np.where(routes.fired, np.arange(len(playbook.triggers), dtype=np.int32)[None, :], NONE)
    fired = np.where(fired != NONE, np.array([codes.code(t.id) for t in playbook.triggers], dtype=np.int32)[None, :], NONE)
    triggers = joined_labels(fired, lookup, ";")

    has_action = final_action != NONE
    pick = np.where(has_action, final_action, len(action_ids))

    def per_action(attr: str) -> np.ndarray:
        return np.array([getattr(playbook.actions[a], attr) for a in action_ids] + [None], dtype=object)[pick]

    owner_role = per_action("owner")
    owner_id = np.where(has_action & (owner_role == playbook.account_owner_role), side["owner_id"], None)
    sla = np.array([playbook.actions[a].sla_days for a in action_ids] + [0], dtype="timedelta64[D]")[pick]
    due_at = np.where(has_action, np.datetime64(as_of, "ns") + sla.astype("timedelta64[ns]"), np.datetime64("NaT", "ns"))

    out = pd.DataFrame({
        "account_id": pd.Series(ids, dtype="str"),
        "score_band": _text(band),
        "triggers": _text(triggers),
        "decision_path": _text(decision_path),
        "final_node": _text(lookup[final_code]),
        "action": _text(np.array(action_ids + [None], dtype=object)[pick]),
        "offer_type": _text(per_action("offer_type")),
        "channel": _text(per_action("channel")),
        "owner_role": _text(owner_role),
        "owner_id": _text(owner_id),
        "priority": pd.array(_priority(final_action, owner_role, value, account_rank), dtype="Int64"),
        "expected_value": np.where(has_action, value, np.nan),
        "due_at": pd.Series(due_at, dtype="datetime64[ns]"),
        "suppression_reason": _text(np.where(suppressed, state.reason, None)),
        "capacity_note": _text(capacity.note),
    })
    out = out.iloc[np.argsort(account_rank, kind="stable")].reset_index(drop=True)
    out.attrs["missing_features"] = absent
    return out


def _priority(action: np.ndarray, owner_role: np.ndarray, value: np.ndarray, account_rank: np.ndarray) -> np.ndarray:
    """1-based queue position per owner role: highest expected value first, then account_id."""
    out = np.full(len(action), -1, dtype=np.int64)
    rows = np.flatnonzero(action != NONE)
    if rows.size == 0:
        return pd.array([pd.NA] * len(action), dtype="Int64")
    role_code = pd.factorize(owner_role[rows], sort=True)[0]
    v = np.where(np.isnan(value[rows]), -np.inf, value[rows])
    sort = np.lexsort((account_rank[rows], -v, role_code))
    order, sorted_roles = rows[sort], role_code[sort]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_roles)) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    out[order] = np.arange(len(order)) - run_start + 1
    return pd.Series(out).where(out > 0).astype("Int64").array


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


def _account_ids(scored: pd.DataFrame) -> np.ndarray:
    for col in ("account_id", "score"):
        if col not in scored.columns:
            raise UpsellError(f"scored: missing column {col!r} (have {list(scored.columns)[:8]}…)")
    ids = scored["account_id"]
    if ids.isna().any():
        raise UpsellError(f"scored.account_id: {int(ids.isna().sum())} missing id(s) at rows {list(np.flatnonzero(ids.isna())[:3])}")
    ids = ids.astype(str).to_numpy(dtype=object)
    dup = pd.Series(ids).duplicated(keep=False)
    if dup.any():
        raise UpsellError(f"scored.account_id: ids must be unique; duplicated e.g. {sorted(set(ids[dup.to_numpy()]))[:3]}")
    return ids


def _score(scored: pd.DataFrame) -> np.ndarray:
    try:
        score = pd.to_numeric(scored["score"]).to_numpy(dtype="float64", na_value=np.nan)
    except (ValueError, TypeError) as exc:
        raise UpsellError(f"scored.score: not numeric ({exc})") from None
    bad = ~np.isnan(score) & ((score < 0) | (score > 1))
    if bad.any():
        raise UpsellError(f"scored.score: probabilities must be in [0, 1]; e.g. {score[bad][:3].tolist()}")
    return score


def _bands(score: np.ndarray, playbook: Playbook) -> np.ndarray:
    bands = playbook.bands_high_to_low()
    band = np.full(len(score), None, dtype=object)
    for b in reversed(bands):  # lowest first, higher bands overwrite
        band[score >= b.min_score] = b.name
    return band


def _account_side(accounts: pd.DataFrame | None, index: pd.Index) -> dict[str, np.ndarray | None]:
    """owner_id / segment / plan_tier from ``accounts``, aligned with the scored rows."""
    out: dict[str, np.ndarray | None] = {"owner_id": np.full(len(index), None, dtype=object), "segment": None, "plan_tier": None}
    if accounts is None:
        return out
    if "account_id" not in accounts.columns:
        raise UpsellError("accounts: missing column 'account_id'")
    pos = pd.Index(accounts["account_id"].astype(str)).get_indexer(index)
    for col in ("owner_id", "segment", "plan_tier"):
        if col in accounts.columns:
            values = accounts[col].astype(object).to_numpy()
            aligned = np.where(pos >= 0, values[np.maximum(pos, 0)], None)
            out[col] = np.where(pd.isna(aligned), None, aligned)
    return out


def _first_available(n: int, *sources: object) -> np.ndarray | None:
    for s in sources:
        if s is not None:
            arr = np.asarray(s, dtype=object)
            return np.where(pd.isna(arr), None, arr)
    return None


def _in_scope(playbook: Playbook, scored: pd.DataFrame, side: dict, n: int) -> np.ndarray:
    keep = np.ones(n, dtype=bool)
    col = lambda name: scored[name].astype(object).to_numpy() if name in scored.columns else None  # noqa: E731
    checks = (
        ("segments", playbook.objective.segments, _first_available(n, side["segment"], col("acct_segment")),
         "accounts.segment or the acct_segment feature"),
        ("product_tiers", playbook.objective.product_tiers,
         _first_available(n, col("sub_plan_tier"), col("acct_plan_tier"), side["plan_tier"]),
         "sub_plan_tier / acct_plan_tier features or accounts.plan_tier"),
    )
    for key, allowed, values, where in checks:
        if not allowed:
            continue
        if values is None:
            raise UpsellError(f"playbook {playbook.name}: objective.{key} limits the scope but no {where} is available")
        keep &= pd.Series(values).isin(allowed).to_numpy()
    return keep


def _condition_names(playbook: Playbook) -> set[str]:
    texts = [t.when for t in playbook.triggers] + [b.when for n in playbook.nodes.values() for b in n.branches]
    return set().union(*(parse_condition(t).names for t in texts))


def _text(values: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=object), dtype="str")
