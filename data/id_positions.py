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
    dtype = getattr(values, "dtype", None)
    if isinstance(values, (pa.Array, pa.ChunkedArray)) and _is_text(values.type):
        array = values
    elif isinstance(values, pd.arrays.ArrowStringArray) or (
            isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow") or (
            isinstance(dtype, pd.ArrowDtype) and _is_text(dtype.pyarrow_dtype)):
        array = pa.array(values)  # Arrow-backed text (string, large_string, string_view): no copy to objects
    else:
        array = pa.array(pd.Series(np.asarray(values, dtype=object)).astype("str"), type=pa.string(), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.string()) if array.type != pa.string() else array


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)


def positions_in(ids: pd.Series | pd.Index | np.ndarray, keys: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
    """For each of ``keys``, its position in ``ids`` (int64; -1 when absent).

    ``ids`` should be unique; with duplicates the first occurrence is returned. A missing key is
    never found.
    """
    id_array, key_array = as_text_array(ids), as_text_array(keys)
    if 4 * len(key_array) <= len(id_array):  # break-even near a third; measured at 900k ids
        return _positions_by_probing_ids(id_array, key_array)
    found = pc.index_in(key_array, options=pc.SetLookupOptions(id_array, skip_nulls=True))
    return _as_positions(found)


def _positions_by_probing_ids(ids: pa.Array, keys: pa.Array) -> np.ndarray:
    """``positions_in`` for a few keys among many ids: hash the keys, stream the ids past them.

    Building a hash table is what costs (0.3 s for a million ids); probing one is ~20x cheaper.
    So 300 owner lookups among a million accounts hash 300 strings, not a million.
    """
    encoded = pc.dictionary_encode(keys)
    distinct = encoded.dictionary
    which = _as_positions(pc.index_in(ids, options=pc.SetLookupOptions(distinct, skip_nulls=True)))
    rows = np.flatnonzero(which >= 0)
    first = np.full(len(distinct), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, which[rows], rows)  # duplicated ids: the first occurrence, as documented
    first[first == np.iinfo(np.int64).max] = -1
    key_codes = _as_positions(encoded.indices)  # a missing key has no code
    return np.where(key_codes >= 0, first[np.maximum(key_codes, 0)], -1) if len(first) else np.full(len(keys), -1, np.int64)


def _as_positions(found: pa.Array) -> np.ndarray:
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


def strictly_increasing(ids: pa.Array) -> bool:
    """True when ``ids`` run in ascending order with no repeats and no nulls: sorted *and* unique.

    A linear pass; tables that arrive sorted by account_id (feature frames, most warehouse
    extracts) thereby skip the hash or sort a uniqueness check would otherwise cost.
    """
    if ids.null_count:
        return False
    if len(ids) < 2:
        return True
    return bool(pc.all(pc.less(ids[:-1], ids[1:])).as_py())


def is_unique_text(ids: pd.Series | pd.Index | np.ndarray | Sequence[object]) -> bool:
    """``ids`` (as text) hold no value twice; nulls count as values. Sorted input costs a linear pass."""
    array = as_text_array(ids)
    if strictly_increasing(array):
        return True
    return len(pc.unique(array)) == len(array)
