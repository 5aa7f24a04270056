"""How a feature frame becomes a model matrix: which columns are features, and their types.

The training frame and the scoring frame share one layout: identifier columns (``account_id``,
``as_of``), an optional ``label`` and the feature columns. Text columns are categorical
features; their categories are frozen at fit time so a value first seen at scoring time is
treated as missing instead of shifting every category's code.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from data.errors import UpsellError
from data.id_positions import positions_in

ID_COLUMNS: tuple[str, ...] = ("account_id", "as_of")
LABEL_COLUMN = "label"
SCORE_COLUMN = "score"
# Columns that describe a row but must never be used as features.
NON_FEATURE_COLUMNS: frozenset[str] = frozenset({*ID_COLUMNS, LABEL_COLUMN, SCORE_COLUMN, "horizon_days"})


def is_categorical(series: pd.Series) -> bool:
    """Text and pandas categoricals are categorical features; numbers and booleans are not."""
    return isinstance(series.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(series.dtype) or series.dtype == object


def infer_feature_columns(frame: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """Every column that is not an identifier, the label, or explicitly excluded, in frame order."""
    skip = NON_FEATURE_COLUMNS | set(exclude)
    bad = [c for c in frame.columns if c not in skip and pd.api.types.is_datetime64_any_dtype(frame[c])]
    if bad:
        raise UpsellError(f"feature frame: timestamp column(s) {bad} cannot be model features; turn them into ages in days")
    return [c for c in frame.columns if c not in skip]


def freeze_categories(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, list[str]]:
    """The sorted distinct values of each categorical column (missing values excluded)."""
    return {c: sorted(frame[c].dropna().astype(str).unique().tolist()) for c in columns}


def to_matrix(frame: pd.DataFrame, features: Sequence[str], categories: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """The model matrix: features in fitted order, numbers as float64, categoricals with frozen categories."""
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise UpsellError(
            f"feature frame lacks {len(missing)} column(s) the model was trained on: {missing[:10]}"
            + (" …" if len(missing) > 10 else "")
        )
    out: dict[str, pd.Series] = {}
    for col in features:
        values = frame[col]
        if col in categories:
            known = list(categories[col])
            codes = positions_in(pd.Series(known, dtype=object), values)  # unseen at fit time → missing
            out[col] = pd.Series(pd.Categorical.from_codes(codes, categories=known), index=frame.index)
        else:
            if is_categorical(values) and not isinstance(values.dtype, pd.CategoricalDtype):
                converted = pd.to_numeric(values, errors="coerce")
                bad = values[converted.isna() & values.notna()]
                if len(bad):
                    raise UpsellError(f"feature {col!r} must be numeric; example values: {bad.head(3).tolist()}")
                values = converted
            out[col] = values.astype("float64")
    # copy=False: the columns stay as they are (pandas' copy-on-write keeps ``frame`` safe) instead
    # of being copied into one block that LightGBM's conversion copies again (~0.06 s CPU at 1M rows)
    return pd.DataFrame(out, index=frame.index, copy=False)


def labels_as_int(y: pd.Series | np.ndarray | Sequence[int], what: str = "label") -> np.ndarray:
    """Binary labels as 0/1 ints; anything else is an error naming the offending values."""
    arr = pd.Series(y)
    if arr.isna().any():
        raise UpsellError(f"{what}: {int(arr.isna().sum())} missing label(s)")
    values = arr.astype("float64").to_numpy()
    bad = sorted(set(np.unique(values)) - {0.0, 1.0})
    if bad:
        raise UpsellError(f"{what}: labels must be 0/1, found {bad[:5]}")
    return values.astype(int)
