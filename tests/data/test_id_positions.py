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
