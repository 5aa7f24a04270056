"""Content fingerprints of data frames, so a run records exactly which rows it learned from."""
from __future__ import annotations

import hashlib

import pandas as pd


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """sha256 over column names, dtypes and every value (row order as given; callers sort first)."""
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()
