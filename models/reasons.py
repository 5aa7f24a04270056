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
import os
from collections.abc import Callable
from functools import lru_cache

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


@lru_cache(maxsize=4096)
def _registry_spec(feature: str) -> object | None:
    try:
        from features.registry import feature_spec
    except ImportError:  # the features package is optional for a bare model
        return None
    try:
        return feature_spec(feature)
    except KeyError:
        return None


def registry_renderer(feature: str, value: object) -> str:
    """Render with ``features.registry``; a feature the registry does not know reads "name = value"."""
    spec = _registry_spec(feature)
    if spec is not None:
        return spec.render_reason(value)
    shown = "unknown" if value is None else (f"{value:,.4g}" if isinstance(value, float) else str(value))
    return f"{feature.replace('_', ' ')} = {shown}"


def contributions(model: PropensityModel, features_df: pd.DataFrame, threads: int | None = None, *,
                  matrix: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-row, per-feature contributions to the log-odds (TreeSHAP), plus the ``bias`` column.

    ``threads``: OpenMP threads for TreeSHAP; None uses every core. Rows are explained one by
    one, so the values are bit-identical whatever the thread count (tested); the model's own
    ``num_threads`` is about training reproducibility and does not need to slow this down.
    ``matrix``: ``model.matrix(features_df)`` when the caller already has it (row for row).
    """
    matrix = _model_matrix(model, features_df, matrix)
    threads = threads if threads is not None else (os.cpu_count() or 1)
    parts = [
        model.booster_.predict(matrix.iloc[start : start + CHUNK_ROWS], pred_contrib=True, num_threads=threads)
        for start in range(0, len(matrix), CHUNK_ROWS)
    ]
    values = np.vstack(parts) if parts else np.empty((0, len(model.features_) + 1))
    return pd.DataFrame(values, columns=[*model.features_, "bias"], index=features_df.index)


def _model_matrix(model: PropensityModel, features_df: pd.DataFrame, matrix: pd.DataFrame | None) -> pd.DataFrame:
    if matrix is None:
        return model.matrix(features_df)
    if len(matrix) != len(features_df) or list(matrix.columns) != list(model.features_):
        raise ValueError("matrix must be model.matrix(features_df): same rows, the model's feature columns")
    return matrix


def top_contributions(model: PropensityModel, features_df: pd.DataFrame, top_k: int = 3, *,
                      matrix: pd.DataFrame | None = None) -> pd.DataFrame:
    """Long format: one row per (input row, rank) with feature, its value and its positive contribution.

    Only positive contributions qualify (a reason to call, not a reason not to); ties keep the
    model's feature order, so the output is deterministic. ``matrix`` as in ``contributions``.
    """
    contrib = contributions(model, features_df, matrix=matrix).drop(columns="bias").to_numpy()
    k = min(top_k, contrib.shape[1])
    order = np.argsort(-contrib, axis=1, kind="stable")[:, :k]
    top = np.take_along_axis(contrib, order, axis=1)
    row_pos, rank_pos = np.nonzero(top > 0)  # row-major: ranks stay in order within a row
    feat_pos = order[row_pos, rank_pos]
    return pd.DataFrame(
        {
            "row": features_df.index.to_numpy()[row_pos],
            "rank": rank_pos + 1,
            "feature": np.asarray(model.features_, dtype=object)[feat_pos],
            "value": _values_at(features_df, model.features_, row_pos, feat_pos),
            "contribution": top[row_pos, rank_pos],
        }
    )


def _values_at(frame: pd.DataFrame, features: list[str], rows: np.ndarray, feature_pos: np.ndarray) -> list[object]:
    """The raw value of ``features[feature_pos[i]]`` at positional row ``rows[i]``, as plain Python.

    Only the features that are somebody's reason are read, each column once.
    """
    values: list[object] = [None] * len(rows)
    for f in np.unique(feature_pos):
        at = np.flatnonzero(feature_pos == f)
        picked = frame[features[f]].to_numpy(dtype=object)[rows[at]]
        for i, v in zip(at.tolist(), picked):
            values[i] = _plain_value(v)
    return values


def _memoised(render: Renderer) -> Renderer:
    """``render`` asked once per distinct (feature, value): counts, days and tiers repeat across accounts."""
    texts: dict[tuple[str, type, object], str] = {}

    def cached(feature: str, value: object) -> str:
        key = (feature, type(value), value)  # the type too: 1 and 1.0 are equal keys but may render apart
        text = texts.get(key)
        if text is None:
            text = texts[key] = render(feature, value)
        return text

    return cached


def reason_codes(model: PropensityModel, features_df: pd.DataFrame, top_k: int = 3, render: Renderer = registry_renderer,
                 *, matrix: pd.DataFrame | None = None) -> pd.DataFrame:
    """``reason_1`` … ``reason_<top_k>`` (plain language; missing when fewer positive contributions),
    plus ``reason_<i>_feature`` naming the feature behind each, indexed like ``features_df``.
    ``matrix``: ``model.matrix(features_df)`` when the caller already built it (scoring did)."""
    positional = features_df.reset_index(drop=True)  # duplicate index labels must not mix rows up
    if matrix is not None:
        matrix = _model_matrix(model, features_df, matrix).reset_index(drop=True)
    top = top_contributions(model, positional, top_k=top_k, matrix=matrix)
    render = _memoised(render)
    columns: dict[str, pd.Series] = {}
    for rank in range(1, top_k + 1):
        at_rank = top[top["rank"] == rank]
        text = np.full(len(positional), None, dtype=object)
        feature = np.full(len(positional), None, dtype=object)
        rows = at_rank["row"].to_numpy(dtype=int)
        text[rows] = [render(f, v) for f, v in zip(at_rank["feature"], at_rank["value"])]
        feature[rows] = at_rank["feature"].to_numpy()
        columns[f"reason_{rank}"] = pd.Series(text, index=features_df.index, dtype="string")
        columns[f"reason_{rank}_feature"] = pd.Series(feature, index=features_df.index, dtype="string")
    return pd.DataFrame(columns, index=features_df.index)
