"""Walk every account through the playbook's triggers and decision nodes, column-wise.

No per-account Python: each condition is evaluated once over the whole frame, and each step of
the walk moves all accounts standing on a node at once (numpy ``where`` over integer node codes).
The result is a small integer matrix (accounts × steps) that ``decide`` turns into path strings.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.playbook.conditions import evaluate
from pipeline.playbook.schema import RESERVED_IDS, Playbook

NONE = -1


@dataclass(frozen=True)
class NodeCodes:
    """Every id the decision layer can write (triggers, nodes, actions, exits, reserved) ↔ int code."""

    ids: tuple[str, ...]

    @classmethod
    def of(cls, playbook: Playbook) -> "NodeCodes":
        ids = [t.id for t in playbook.triggers] + list(playbook.nodes) + list(playbook.actions)
        ids += list(playbook.exits) + list(RESERVED_IDS)
        return cls(tuple(dict.fromkeys(ids)))

    def code(self, node_id: str) -> int:
        return self.ids.index(node_id)

    def lookup(self) -> np.ndarray:
        """Object array: code → id (for vectorised ``take``)."""
        return np.array(self.ids, dtype=object)


@dataclass(frozen=True)
class Routes:
    """Where each account went: which triggers fired and the node codes it passed, step by step."""

    fired: np.ndarray  # (n, n_triggers) bool
    steps: np.ndarray  # (n, n_steps) int32, NONE after the account stopped
    terminal: np.ndarray  # (n,) int32: the action or exit the tree ended on, NONE if it never entered


class ConditionCache:
    """Evaluates each distinct condition text once over the frame."""

    def __init__(self, frame: pd.DataFrame, extra: dict[str, object]) -> None:
        self.frame = frame
        self.extra = extra
        self.results: dict[str, np.ndarray] = {}

    def __call__(self, text: str) -> np.ndarray:
        if text not in self.results:
            self.results[text] = evaluate(text, self.frame, self.extra)
        return self.results[text]


def route(playbook: Playbook, codes: NodeCodes, conditions: ConditionCache, entering: np.ndarray) -> Routes:
    """Fire triggers and walk the tree for the rows where ``entering`` is True.

    An account enters through the first trigger (in playbook order) that fires; the trigger's
    ``then`` is its first node. Branches are tried in order; ``otherwise`` catches the rest.
    """
    n = len(entering)
    fired = np.column_stack([conditions(t.when) for t in playbook.triggers]) if playbook.triggers else np.zeros((n, 0), bool)
    fired = fired & entering[:, None]
    any_fired = fired.any(axis=1)
    first = fired.argmax(axis=1)
    trigger_codes = np.array([codes.code(t.id) for t in playbook.triggers], dtype=np.int32)
    then_codes = np.array([codes.code(t.then) for t in playbook.triggers], dtype=np.int32)
    steps = [np.where(any_fired, trigger_codes[first], NONE).astype(np.int32)]
    current = np.where(any_fired, then_codes[first], NONE).astype(np.int32)
    steps.append(current)
    node_codes = {codes.code(k): v for k, v in playbook.nodes.items()}
    for _ in range(len(playbook.nodes) + 1):  # the linter guarantees no cycles: depth ≤ #nodes
        moved = np.full(n, NONE, dtype=np.int32)
        any_moved = False
        for code, node in node_codes.items():
            here = np.flatnonzero(current == code)
            if here.size == 0:
                continue
            any_moved = True
            target = np.full(here.size, codes.code(node.otherwise), dtype=np.int32)
            for branch in reversed(node.branches):
                target = np.where(conditions(branch.when)[here], codes.code(branch.to), target)
            moved[here] = target
        if not any_moved:
            break
        steps.append(moved)
        current = moved
    matrix = np.column_stack(steps)
    terminal = matrix[:, 0].copy()
    for col in range(1, matrix.shape[1]):
        terminal = np.where(matrix[:, col] != NONE, matrix[:, col], terminal)
    terminal = np.where(any_fired, terminal, NONE).astype(np.int32)
    return Routes(fired=fired, steps=matrix, terminal=terminal)


def joined_labels(matrix: np.ndarray, lookup: np.ndarray, sep: str) -> tuple[np.ndarray, list[str]]:
    """Rows of node codes (NONE = nothing) → (code per row, joined labels); -1 = nothing to join.

    One Python join per DISTINCT row.

    Accounts share few distinct paths, so the rows are factorised first (mixed-radix int64 key,
    or ``np.unique`` on rows when the key would overflow) and only the distinct rows are joined.
    """
    n, width = matrix.shape
    if width == 0:
        return np.full(n, -1, dtype=np.int64), []
    radix = len(lookup) + 1
    if width * np.log2(radix) < 62:
        key = np.zeros(n, dtype=np.int64)
        for col in range(width):
            key = key * radix + (matrix[:, col].astype(np.int64) + 1)
        inverse, uniques = pd.factorize(key)
        rows = np.zeros((len(uniques), width), dtype=np.int64)
        rest = uniques.astype(np.int64)
        for col in range(width - 1, -1, -1):
            rows[:, col] = rest % radix - 1
            rest //= radix
    else:
        rows, inverse = np.unique(matrix, axis=0, return_inverse=True)
    labels = [sep.join(lookup[c] for c in row if c != NONE) for row in rows]
    codes = np.asarray(inverse, dtype=np.int64).reshape(-1)
    empty = [i for i, text in enumerate(labels) if not text]
    if empty:
        codes = np.where(np.isin(codes, empty), -1, codes)
    return codes, labels
