"""positions_in: the id lookup behind every per-account alignment."""
from __future__ import annotations

import numpy as np
import pandas as pd

from data.id_positions import positions_in


def test_positions_match_pandas_get_indexer_on_every_id_flavour() -> None:
    ids = pd.Series(["b", "a", "é", "c d"], dtype="str")
    keys = ["c d", "zz", "a", "é", "b", "A"]
    expected = pd.Index(ids.astype(object)).get_indexer(keys).tolist()
    assert expected == [3, -1, 1, 2, 0, -1]
    for flavour in (ids, ids.astype(object), pd.Index(ids), ids.to_numpy(dtype=object)):
        assert positions_in(flavour, pd.Series(keys, dtype=object)).tolist() == expected
        assert positions_in(flavour, np.array(keys, dtype=object)).tolist() == expected


def test_missing_keys_never_match_and_numbers_match_their_text() -> None:
    assert positions_in(np.array(["x", None], dtype=object), pd.Series([None, "x"], dtype=object)).tolist() == [-1, 0]
    assert positions_in(pd.Series(["7", "42"]), pd.Series([42, 7])).tolist() == [1, 0]
    assert positions_in(pd.Series([], dtype="str"), pd.Series(["a"])).tolist() == [-1]
    assert positions_in(pd.Series(["a"]), pd.Series([], dtype=object)).dtype == np.int64


def test_strictly_increasing_means_sorted_and_unique_in_code_point_order() -> None:
    import pyarrow as pa

    from data.id_positions import strictly_increasing

    assert strictly_increasing(pa.array(["A", "a", "b", "z", "é"]))  # UTF-8 bytes = code points
    assert not strictly_increasing(pa.array(["a", "é", "z"]))
    assert not strictly_increasing(pa.array(["a", "b", "b"]))
    assert not strictly_increasing(pa.array(["a", None]))
    assert strictly_increasing(pa.array([], type=pa.string())) and strictly_increasing(pa.array(["x"]))


def test_is_unique_text_sorted_or_not() -> None:
    from data.id_positions import is_unique_text

    assert is_unique_text(pd.Series(["a", "b", "c"])) and is_unique_text(pd.Series(["c", "a", "b"]))
    assert not is_unique_text(pd.Series(["c", "a", "c"]))
    assert not is_unique_text(pd.Series(["7", 7], dtype=object))  # the same id as text
    assert not is_unique_text(pd.Series([None, None], dtype=object))
    assert is_unique_text(pd.Series([], dtype="str"))


def test_positions_equal_a_plain_first_occurrence_search_on_both_lookup_paths() -> None:
    """Few keys among many ids are looked up the other way round (the keys hashed, the ids
    probed); both ways must give the first occurrence, -1 for absent or missing keys."""
    rng = np.random.default_rng(0)
    pool = ["a", "b", "c", "d", "é", "x y", None]
    for _ in range(2000):
        ids = [pool[i] for i in rng.integers(0, len(pool), rng.integers(0, 30))]
        keys = [pool[i] for i in rng.integers(0, len(pool), rng.integers(0, 12))]
        expected = [-1 if k is None or k not in ids else ids.index(k) for k in keys]
        got = positions_in(pd.Series(ids, dtype=object), pd.Series(keys, dtype=object))
        assert got.tolist() == expected, (ids, keys)
        assert got.dtype == np.int64


def test_arrow_backed_text_of_every_width_is_taken_as_text() -> None:
    """Ids read through Arrow can be large_string or string_view (e.g. ``read_parquet(dtype_backend=
    "pyarrow")``); they must match their plain-text equals and come back as ``string``."""
    import pyarrow as pa

    from data.id_positions import as_text_array

    ids = ["b", "a", None, "é"]
    for kind in (pa.string(), pa.large_string(), pa.string_view()):
        arrow = pa.array(ids, type=kind)
        for flavour in (arrow, pa.chunked_array([arrow[:2], arrow[2:]]), pd.Series(arrow.to_pylist(), dtype=pd.ArrowDtype(kind))):
            text = as_text_array(flavour)
            assert text.type == pa.string() and text.to_pylist() == ids
            assert positions_in(flavour, pd.Series(["é", "a", None, "zz"], dtype=object)).tolist() == [3, 1, -1, -1]
