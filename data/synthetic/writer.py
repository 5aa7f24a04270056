"""``write_dataset``: a generated data set on disk, atomically and byte-for-byte reproducibly.

Rows arrive sorted from ``generate``; the parquet writer settings are fixed here and the only
file metadata is what pyarrow derives from the data and its own version, so the same frames give
the same bytes. The whole directory is swapped in at once (``data.atomic.atomic_dir``): a
reader never sees a half-written data set, and a failed run leaves the old one in place.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from data.atomic import atomic_dir
from data.contract import TABLE_NAMES
from data.synthetic.generate import TRUTH

TRUTH_FILE = Path("_truth") / "propensity.parquet"
ROW_GROUP_SIZE = 1_000_000
_WRITER = dict(compression="zstd", compression_level=1, write_statistics=True,
               version="2.6", data_page_version="1.0", row_group_size=ROW_GROUP_SIZE)


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """One frame → one parquet file with the fixed writer settings (dictionary-encode strings only)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    strings = [f.name for f in table.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    pq.write_table(table, path, use_dictionary=strings, **_WRITER)


def write_dataset(frames: Mapping[str, pd.DataFrame], out_dir: str | os.PathLike[str]) -> Path:
    """Write ``<table>.parquet`` per contract table and ``_truth/propensity.parquet``; returns the directory.

    ``out_dir`` is replaced as a whole: files of an older data set there do not survive.
    """
    out = Path(out_dir)
    unknown = set(frames) - set(TABLE_NAMES) - {TRUTH}
    if unknown:
        raise ValueError(f"not contract tables: {sorted(unknown)}")
    with atomic_dir(out) as tmp:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # a normal directory, not mkdtemp's private one
        for name in TABLE_NAMES:
            if name in frames:
                write_frame(frames[name], tmp / f"{name}.parquet")
        if TRUTH in frames:
            (tmp / TRUTH_FILE.parent).mkdir()
            write_frame(frames[TRUTH], tmp / TRUTH_FILE)
    return out
