"""Content fingerprints of data frames, so a run records exactly which rows it learned from."""
from __future__ import annotations

import hashlib

import pandas as pd


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """sha256 over column names, dtypes and every value (row order as given; callers sort first).

    Floats are hashed at float32 precision: engines that aggregate in parallel (DuckDB, Spark)
    may differ in the last bits of a float sum from one run to the next, and such noise must not
    make the same data look like different data.
    """
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    stable = frame.copy()
    for col in stable.columns:
        if pd.api.types.is_float_dtype(stable[col].dtype):
            stable[col] = stable[col].astype("float32")
    digest.update(pd.util.hash_pandas_object(stable, index=False).to_numpy().tobytes())
    return digest.hexdigest()
