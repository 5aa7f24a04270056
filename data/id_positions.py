"""``positions_in``: where each id (or label) sits in a unique column of them, hashed by Arrow.

Joining a million account ids through pandas' object-dtype hash table costs seconds; Arrow's
``index_in`` hashes the UTF-8 buffers directly and is several times faster. Used wherever the
pipeline aligns per-account rows (decisions, offers, accounts, exports) or codes categories.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def as_text_array(ids: pd.Series | pd.Index | np.ndarray | Sequence[object]) -> pa.Array:
    """``ids`` as an Arrow string array (ids are text in the contract; numbers become their text)."""
    values = ids.array if isinstance(ids, (pd.Series, pd.Index)) else ids
    if isinstance(values, pd.arrays.ArrowStringArray) or (
            isinstance(getattr(values, "dtype", None), pd.StringDtype) and values.dtype.storage == "pyarrow"):
        array = pa.array(values)
    else:
        array = pa.array(pd.Series(np.asarray(values, dtype=object)).astype("str"), type=pa.string(), from_pandas=True)
    return array.cast(pa.string()) if array.type != pa.string() else array


def positions_in(ids: pd.Series | pd.Index | np.ndarray, keys: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
    """For each of ``keys``, its position in ``ids`` (int64; -1 when absent).

    ``ids`` should be unique; with duplicates the first occurrence is returned. A missing key is
    never found.
    """
    found = pc.index_in(as_text_array(keys), options=pc.SetLookupOptions(as_text_array(ids), skip_nulls=True))
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
