"""Recommend the score threshold for human follow-up that fits the teams' capacity.

Candidates are every score band's lower edge plus a 5 % quantile grid of today's scores. For
each threshold *t*, the accounts in today's list that the playbook sends to an action and score
≥ *t* are the human workload (``volume``); their summed expected value (``expected_value`` from
the decision layer: score × deal value) is the expected revenue, less ``cost_per_contact`` per
account. The recommendation is the candidate with the highest net expected revenue whose volume
fits the human capacity (the weekly capacity of every role that has one); ties go to the higher
threshold (the same money for less work).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

NO_ACTION: frozenset[str] = frozenset({"", "none", "no_action"})
QUANTILE_STEP = 0.05


def human_capacity(capacity: int | Mapping[str, int | None] | None) -> int | None:
    """Total human capacity: an int, or the sum over roles with a capacity (None = unlimited)."""
    if capacity is None:
        return None
    if isinstance(capacity, Mapping):
        limited = [int(v) for v in capacity.values() if v is not None]
        return sum(limited) if limited else None
    return int(capacity)


def account_values(today: pd.DataFrame, revenue_per_acceptance: float | None) -> tuple[np.ndarray, str]:
    """Expected value per account and its unit: the list's expected_value, else score × revenue."""
    if "expected_value" in today.columns and today["expected_value"].notna().any():
        return today["expected_value"].fillna(0.0).to_numpy(dtype="float64"), "expected_value"
    scores = today["score"].fillna(0.0).to_numpy(dtype="float64")
    if revenue_per_acceptance:
        return scores * revenue_per_acceptance, "score x mean accepted revenue"
    return scores, "expected acceptances"


def threshold_table(
    today: pd.DataFrame,
    bands: Sequence[tuple[str, float]],
    capacity: int | None,
    *,
    cost_per_contact: float = 0.0,
    revenue_per_acceptance: float | None = None,
) -> tuple[pd.DataFrame, dict]:
    """(candidate table, recommendation) for today's scored list."""
    actioned = _actioned(today)
    candidates_today = today[actioned]
    scores = candidates_today["score"].to_numpy(dtype="float64")
    values, unit = account_values(candidates_today, revenue_per_acceptance)
    thresholds: dict[float, str | None] = {}
    for name, edge in bands:
        thresholds[round(float(edge), 6)] = name
    if len(scores):
        for q in np.quantile(scores, np.arange(0.0, 1.0 + 1e-9, QUANTILE_STEP)):
            thresholds.setdefault(round(float(q), 6), None)
    rows = []
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores, sorted_values = scores[order], values[order]
    cum_values = np.concatenate([[0.0], np.cumsum(sorted_values)])
    for t in sorted(thresholds):
        volume = int(np.sum(sorted_scores >= t))
        expected = float(cum_values[volume])
        rows.append({
            "threshold": t,
            "band": thresholds[t],
            "volume": volume,
            "expected_revenue": expected,
            "net_expected_revenue": expected - cost_per_contact * volume,
            "fits_capacity": capacity is None or volume <= capacity,
        })
    table = pd.DataFrame(rows, columns=["threshold", "band", "volume", "expected_revenue",
                                        "net_expected_revenue", "fits_capacity"])
    recommendation = {
        "capacity": capacity,
        "accounts_with_action": int(actioned.sum()),
        "value_unit": unit,
        "cost_per_contact": cost_per_contact,
        "score": _best(table),
        "band": _best(table[table["band"].notna()]),
    }
    return table, recommendation


def _best(table: pd.DataFrame) -> dict | None:
    fitting = table[table["fits_capacity"]]
    if fitting.empty:
        return None
    best = fitting.sort_values(["net_expected_revenue", "threshold"], ascending=[False, False], kind="mergesort").iloc[0]
    return {k: (None if isinstance(v, float) and np.isnan(v) else (v.item() if hasattr(v, "item") else v))
            for k, v in best.to_dict().items()}


def _actioned(today: pd.DataFrame) -> pd.Series:
    if "action" not in today.columns:
        return pd.Series(True, index=today.index)
    action = today["action"]
    return action.notna() & ~action.astype("str").str.strip().str.lower().isin(NO_ACTION)
