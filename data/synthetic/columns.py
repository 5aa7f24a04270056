"""Building contract-typed pandas columns from simulator arrays (ids, timestamps, nullable ints).

Column kinds follow data/contract.py: ids and categories are pandas ``str``, timestamps naive-UTC
``datetime64[us]``, amounts float64, optional integers nullable ``Int64``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from data.synthetic.calendar import to_datetime64


def sequential_ids(prefix: str, n: int, width: int = 8) -> np.ndarray:
    """``PREFIX-00000001``-style ids, numbered in row order (rows are sorted before numbering)."""
    if n == 0:  # a tiny world can have no tickets or offers; numpy's zfill cannot take an empty array
        return np.array([], dtype=f"<U{len(prefix) + 1 + width}")
    return np.char.add(f"{prefix}-", np.char.zfill(np.arange(1, n + 1).astype(str), width))


def pick(values: np.ndarray, codes: np.ndarray) -> pd.Series:
    """A ``str`` column holding ``values[codes]`` (codes < 0 → null), built in Arrow without Python loops."""
    dictionary = pa.array(np.asarray(values, dtype=object), type=pa.large_string())  # what pandas str holds
    codes = np.asarray(codes)
    missing = codes < 0
    indices = pa.array(np.where(missing, 0, codes), mask=missing) if missing.any() else pa.array(codes)
    taken = dictionary.take(indices)
    return pd.Series(taken.to_pandas(), dtype="str", copy=False).reset_index(drop=True)


def timestamps(seconds: np.ndarray, missing: np.ndarray | None = None) -> pd.Series:
    """Naive-UTC ``datetime64[us]`` from epoch seconds; ``missing`` rows become NaT."""
    values = to_datetime64(np.where(missing, 0, seconds) if missing is not None else seconds)
    out = pd.Series(values, dtype="datetime64[us]")
    if missing is not None:
        out[missing] = pd.NaT
    return out


def nullable_int(values: np.ndarray, missing: np.ndarray | None = None) -> pd.Series:
    """A nullable ``Int64`` column."""
    mask = np.zeros(len(values), dtype=bool) if missing is None else missing
    return pd.Series(pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), mask.copy()))


def floats(values: np.ndarray, missing: np.ndarray | None = None) -> pd.Series:
    out = np.asarray(values, dtype=np.float64).copy()
    if missing is not None:
        out[missing] = np.nan
    return pd.Series(out)


def with_nulls(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """A random mask of ``share`` rows to blank out (optional columns are not always filled)."""
    return rng.random(n) < share
