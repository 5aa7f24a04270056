"""Drift of today's features and scores against the training data: PSI per feature.

The population stability index compares two distributions over the same bins:
``PSI = Σ (cur% − ref%) · ln(cur% / ref%)``. It is an effect size, not a test, so it does not
flag trivial shifts just because the sample is large (a p-value would, at a million accounts).
Conventional reading: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 major shift.

Numeric features are cut at the reference's deciles (values beyond them fall in the outer bins);
categorical ones use the reference's categories, with unseen categories pooled in one bin.
Missing values get a bin of their own, so a feature that goes missing shows up as drift.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

STABLE_BELOW = 0.10
MAJOR_ABOVE = 0.25
N_BINS = 10
EPSILON = 1e-4  # floor for empty bins, so ln() stays finite
KEY_COLUMNS: tuple[str, ...] = ("account_id", "as_of", "label", "cutoff", "horizon_days")


def psi_status(psi: float) -> str:
    """``stable`` / ``moderate`` / ``major`` by the effect-size thresholds."""
    if np.isnan(psi):
        return "n/a"
    if psi < STABLE_BELOW:
        return "stable"
    return "moderate" if psi <= MAJOR_ABOVE else "major"


def psi(reference: pd.Series, current: pd.Series, bins: int = N_BINS) -> float:
    """PSI of ``current`` against ``reference`` (numeric: reference deciles; else categories)."""
    ref_share, cur_share = _shares(reference, current, bins)
    ref_share = np.maximum(ref_share, EPSILON)
    cur_share = np.maximum(cur_share, EPSILON)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


def drift_table(reference: pd.DataFrame, current: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """One row per column present in both frames: feature, kind, psi, status, missing shares.

    Sorted by PSI (largest first), then name, so the report leads with what moved most.
    """
    if columns is None:
        columns = [c for c in reference.columns if c in current.columns and c not in KEY_COLUMNS]
    rows = []
    for name in columns:
        ref, cur = reference[name], current[name]
        if len(ref.dropna()) == 0 or len(cur) == 0:
            value = float("nan")
        else:
            value = psi(ref, cur)
        rows.append({
            "feature": name,
            "kind": "numeric" if _is_numeric(ref) else "categorical",
            "psi": value,
            "status": psi_status(value),
            "ref_missing": float(ref.isna().mean()) if len(ref) else float("nan"),
            "cur_missing": float(cur.isna().mean()) if len(cur) else float("nan"),
        })
    table = pd.DataFrame(rows, columns=["feature", "kind", "psi", "status", "ref_missing", "cur_missing"])
    return table.sort_values(["psi", "feature"], ascending=[False, True], na_position="last",
                             kind="mergesort").reset_index(drop=True)


def _is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)


def _shares(reference: pd.Series, current: pd.Series, bins: int) -> tuple[np.ndarray, np.ndarray]:
    if _is_numeric(reference) and _is_numeric(current):
        ref = reference.astype("float64")
        cur = current.astype("float64")
        inner = np.unique(np.nanquantile(ref.dropna(), np.linspace(0, 1, bins + 1))[1:-1])
        ref_idx = _bin_index(ref, inner)
        cur_idx = _bin_index(cur, inner)
        n = len(inner) + 2  # value bins plus one for missing
    else:
        ref = reference.astype("object").where(reference.notna(), None)
        cur = current.astype("object").where(current.notna(), None)
        categories = sorted({str(v) for v in ref.dropna()})
        lookup = {c: i for i, c in enumerate(categories)}
        other, missing = len(categories), len(categories) + 1
        ref_idx = np.array([missing if v is None else lookup[str(v)] for v in ref], dtype=np.int64)
        cur_idx = np.array([missing if v is None else lookup.get(str(v), other) for v in cur], dtype=np.int64)
        n = len(categories) + 2
    ref_share = np.bincount(ref_idx, minlength=n) / max(len(ref_idx), 1)
    cur_share = np.bincount(cur_idx, minlength=n) / max(len(cur_idx), 1)
    return ref_share, cur_share


def _bin_index(values: pd.Series, inner_edges: np.ndarray) -> np.ndarray:
    arr = values.to_numpy(dtype="float64")
    idx = np.searchsorted(inner_edges, arr, side="right")
    idx[np.isnan(arr)] = len(inner_edges) + 1
    return idx.astype(np.int64)
