"""Share each role's weekly capacity among the accounts that need it, best expected value first.

A role's capacity is *new actions per week*. What is left this week is the weekly capacity minus
the offers that role already made since Monday (``offers.owner_role``, ``offered_at`` in
[Monday of ``as_of``, ``as_of``)). Accounts are ranked by expected value (highest first, missing
last), ties broken by ``account_id``. Accounts beyond the capacity go to their action's
``overflow_to``, else the playbook's ``capacity.fallback_action`` (``fallback: automated_action``),
else they are deferred to next week. A fallback owned by a role with a capacity gets only what is
left of it after that role's own accounts; what still does not fit is deferred. Roles with
``weekly_capacity: null`` are unlimited.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.playbook.schema import Playbook

NONE = -1


@dataclass(frozen=True)
class Assignment:
    """Per row: the action finally taken (index into ``action_ids``), and what capacity changed."""

    action: np.ndarray  # int: index into action_ids, NONE = no action
    rerouted_from: np.ndarray  # int: the action the tree chose when capacity rerouted it, else NONE
    rerouted_to: np.ndarray  # int: the fallback action it was rerouted to (even if then deferred), else NONE
    deferred: np.ndarray  # bool: no capacity anywhere → next week
    note: np.ndarray  # object: str or None


def week_start(as_of: pd.Timestamp) -> pd.Timestamp:
    """Monday 00:00 of the week holding ``as_of``."""
    day = as_of.normalize()
    return day - pd.Timedelta(days=day.weekday())


def used_this_week(offers: pd.DataFrame | None, as_of: pd.Timestamp) -> dict[str, int]:
    """Offers each owner role already made this week before ``as_of``."""
    if offers is None or len(offers) == 0 or "owner_role" not in offers.columns:
        return {}
    offered = pd.to_datetime(offers["offered_at"])
    if getattr(offered.dt, "tz", None) is not None:
        offered = offered.dt.tz_convert("UTC").dt.tz_localize(None)
    mask = (offered >= week_start(as_of)) & (offered < as_of)
    return {str(k): int(v) for k, v in offers.loc[mask, "owner_role"].value_counts().items()}


def assign(
    playbook: Playbook,
    action: np.ndarray,
    value: np.ndarray,
    account_rank: np.ndarray,
    used: dict[str, int],
    as_of: pd.Timestamp,
) -> Assignment:
    """Apply capacity to ``action`` (indices into ``list(playbook.actions)``) ranked by ``value``."""
    action_ids = list(playbook.actions)
    roles = list(playbook.roles)
    role_of = np.array([roles.index(playbook.actions[a].owner) for a in action_ids], dtype=np.int64)
    left = {r: (None if spec.weekly_capacity is None else max(spec.weekly_capacity - used.get(r, 0), 0))
            for r, spec in playbook.roles.items()}
    sort_value = np.where(np.isnan(value), -np.inf, value)
    next_week = (week_start(as_of) + pd.Timedelta(days=7)).strftime("%Y-%m-%d")

    def full(role: str) -> str:
        return f"{role} at weekly capacity ({playbook.roles[role].weekly_capacity}/week, {used.get(role, 0)} used before today)"

    def ration(rows: np.ndarray, act: np.ndarray) -> np.ndarray:
        """The rows that do NOT fit what is left of their role's capacity; consumes capacity."""
        over: list[np.ndarray] = []
        row_role = role_of[act]
        for r_idx, role in enumerate(roles):
            if left[role] is None:
                continue
            mine = rows[row_role == r_idx]
            if mine.size == 0:
                continue
            order = mine[np.lexsort((account_rank[mine], -sort_value[mine]))]
            fits = order[: left[role]]
            left[role] -= fits.size
            over.append(order[fits.size:])
        return np.sort(np.concatenate(over)) if over else np.array([], dtype=np.int64)

    fallback = np.full(len(action_ids), NONE, dtype=np.int64)
    for i, a in enumerate(action_ids):
        target = playbook.actions[a].overflow_to
        if target is None and playbook.capacity.fallback == "automated_action":
            target = playbook.capacity.fallback_action
        if target is not None and target != a:
            fallback[i] = action_ids.index(target)

    final = action.copy()
    rerouted_from = np.full(len(action), NONE, dtype=np.int64)
    deferred = np.zeros(len(action), dtype=bool)
    note = np.full(len(action), None, dtype=object)

    overflow = ration(np.flatnonzero(action != NONE), action[action != NONE])
    target = fallback[action[overflow]]
    moved, stuck = overflow[target != NONE], overflow[target == NONE]
    rerouted_from[moved] = action[moved]
    final[moved] = target[target != NONE]
    rerouted_to = np.where(rerouted_from != NONE, final, NONE)
    still_over = ration(moved, final[moved])
    # notes: one string per (chosen action, fallback action) pair, assigned to all its rows at once
    for src in np.unique(action[overflow]):
        from_src = overflow[action[overflow] == src]
        owner = playbook.actions[action_ids[src]].owner
        for dst in np.unique(final[from_src]):
            hit = from_src[final[from_src] == dst]
            if dst == src:  # no fallback: deferred
                note[hit] = f"{full(owner)}: deferred to next week ({next_week})"
                continue
            note[hit] = f"{full(owner)}: {action_ids[src]} → {action_ids[dst]}"
            over_again = np.intersect1d(hit, still_over, assume_unique=True)
            note[over_again] = (f"{full(owner)}; fallback {action_ids[dst]}: "
                                f"{full(roles[role_of[dst]])} too: deferred to next week ({next_week})")
    for rows in (stuck, still_over):
        final[rows] = NONE
        deferred[rows] = True
    return Assignment(action=final, rerouted_from=rerouted_from, rerouted_to=rerouted_to, deferred=deferred, note=note)
