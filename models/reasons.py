"""Reason codes: why an account scored high, in words a sales rep can use.

For each row that needs them, LightGBM's own TreeSHAP (``pred_contrib=True``) splits the
booster's log-odds into one contribution per feature. The top positive contributions become
reasons, rendered with the feature registry's plain-language templates ("Utilisation peaked at
96% of plan in the last 30 days"). TreeSHAP costs far more than a plain predict
(benchmarks/reasons_bench.py), so callers pass only the rows that need reasons, e.g. the
accounts a playbook will act on.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from models.propensity import PropensityModel

Renderer = Callable[[str, object], str]
CHUNK_ROWS = 50_000


def _plain_value(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def registry_renderer(feature: str, value: object) -> str:
    """Render with ``features.registry``; a feature the registry does not know reads "name = value"."""
    try:
        from features.registry import render_reason
    except ImportError:  # the features package is optional for a bare model
        render_reason = None
    if render_reason is not None:
        try:
            return render_reason(feature, value)
        except KeyError:
            pass
    shown = "unknown" if value is None else (f"{value:,.4g}" if isinstance(value, float) else str(value))
    return f"{feature.replace('_', ' ')} = {shown}"


def contributions(model: PropensityModel, features_df: pd.DataFrame) -> pd.DataFrame:
    """Per-row, per-feature contributions to the log-odds (TreeSHAP), plus the ``bias`` column."""
    matrix = model.matrix(features_df)
    parts = [
        model.booster_.predict(matrix.iloc[start : start + CHUNK_ROWS], pred_contrib=True)
        for start in range(0, len(matrix), CHUNK_ROWS)
    ]
    values = np.vstack(parts) if parts else np.empty((0, len(model.features_) + 1))
    return pd.DataFrame(values, columns=[*model.features_, "bias"], index=features_df.index)


def top_contributions(model: PropensityModel, features_df: pd.DataFrame, top_k: int = 3) -> pd.DataFrame:
    """Long format: one row per (input row, rank) with feature, its value and its positive contribution.

    Only positive contributions qualify (a reason to call, not a reason not to); ties keep the
    model's feature order, so the output is deterministic.
    """
    contrib = contributions(model, features_df).drop(columns="bias")
    values = contrib.to_numpy()
    order = np.argsort(-values, axis=1, kind="stable")[:, :top_k]
    rows = []
    feature_names = np.asarray(model.features_)
    for pos, index in enumerate(features_df.index):
        for rank, j in enumerate(order[pos], start=1):
            c = values[pos, j]
            if not c > 0:
                break
            name = str(feature_names[j])
            rows.append((index, rank, name, _plain_value(features_df.at[index, name]), float(c)))
    return pd.DataFrame(rows, columns=["row", "rank", "feature", "value", "contribution"])


def reason_codes(model: PropensityModel, features_df: pd.DataFrame, top_k: int = 3, render: Renderer = registry_renderer) -> pd.DataFrame:
    """``reason_1`` … ``reason_<top_k>`` (plain language; missing when fewer positive contributions),
    plus ``reason_<i>_feature`` naming the feature behind each, indexed like ``features_df``."""
    top = top_contributions(model, features_df, top_k=top_k)
    out = pd.DataFrame(index=features_df.index)
    for rank in range(1, top_k + 1):
        at_rank = top[top["rank"] == rank].set_index("row")
        text = pd.Series([render(f, v) for f, v in zip(at_rank["feature"], at_rank["value"])], index=at_rank.index, dtype="string")
        out[f"reason_{rank}"] = text.reindex(features_df.index)
        out[f"reason_{rank}_feature"] = at_rank["feature"].astype("string").reindex(features_df.index)
    return out
