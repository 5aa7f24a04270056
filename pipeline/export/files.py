"""Plain file targets: CSV (formula-safe) and parquet, written atomically with fixed settings."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from data.atomic import atomic_path
from pipeline.export.csv_safety import neutralise_arrow
from pipeline.manifest import sha256_file



def iso_seconds(column: pd.Series, unit: str = "s", suffix: str = "") -> pd.Series:
    """Timestamps as ISO 8601 text, UTC, to the second (``unit="D"``: dates), as a categorical.

    Each distinct timestamp is formatted once (a scored list has a handful: as_of, due dates), so
    this costs a sort, not a million ``strftime`` calls. Missing values stay missing.
    """
    stamps = column.dt.tz_convert("UTC").dt.tz_localize(None) if isinstance(column.dtype, pd.DatetimeTZDtype) else column
    values = stamps.to_numpy(dtype=f"datetime64[{unit}]")
    missing = np.isnat(values)
    uniques, codes = np.unique(values[~missing], return_inverse=True)
    all_codes = np.full(len(values), -1, dtype=np.int64)
    all_codes[~missing] = codes
    labels = [text + suffix for text in np.datetime_as_string(uniques, unit=unit).tolist()]
    return pd.Series(pd.Categorical.from_codes(all_codes, categories=pd.Index(labels, dtype="str")), index=column.index)


def write_csv(frame: pd.DataFrame, path: str | Path, *, checksum: bool = True) -> str | None:
    """Write ``frame`` as UTF-8 CSV, neutralising formula-like text; returns the file's sha256
    (None with ``checksum=False``: a caller that hashes its outputs anyway, as the nightly
    manifest does, reads the file once).

    Every CSV the pipeline writes goes through here, so no CSV export can skip the neutralising.
    Arrow's writer is used (≈10× pandas' ``to_csv``): text values are always quoted (the header only
    when needed), numbers never, missing values are empty, booleans ``true``/``false``, timestamps ISO 8601 (``YYYY-MM-DDTHH:MM:SS``, UTC).
    """
    table = neutralise_arrow(arrow_table(frame))
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(table.column_names)
    with atomic_path(path) as tmp:
        with tmp.open("wb") as handle:
            handle.write(header.getvalue().encode("utf-8"))
            pacsv.write_csv(table, handle, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
        digest = sha256_file(tmp) if checksum else None
    return digest


def arrow_table(frame: pd.DataFrame, iso_timestamps: bool = True) -> pa.Table:
    """``frame`` as an Arrow table for writers: object columns as text, categoricals as strings,
    timestamps as ISO text (``iso_timestamps``) or kept as timestamps."""
    arrays = []
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object:  # mixed Python objects (joined columns): their text form
            column = column.astype("str")
        array = pa.array(column, from_pandas=True) if not isinstance(column.dtype, pd.CategoricalDtype) \
            else _categorical_text(column)
        if iso_timestamps and pa.types.is_timestamp(array.type):
            array = pa.array(iso_seconds(column), from_pandas=True)
        arrays.append(array)
    return pa.Table.from_arrays(arrays, names=[str(c) for c in frame.columns])


def _categorical_text(column: pd.Series) -> pa.Array:
    """A categorical as plain text: Arrow decodes text categories itself (no Python object per row)."""
    array = pa.array(column, from_pandas=True)
    if pa.types.is_string(array.type.value_type) or pa.types.is_large_string(array.type.value_type):
        return array.cast(pa.string())
    return pa.array(column.astype("object").where(column.notna(), None), type=pa.string())


def write_parquet(frame: pd.DataFrame, path: str | Path, *, checksum: bool = True) -> str | None:
    """Write ``frame`` as parquet (pyarrow, zstd, no index): same frame → same bytes; returns
    sha256 (None with ``checksum=False``, as ``write_csv``)."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")
        digest = sha256_file(tmp) if checksum else None
    return digest
