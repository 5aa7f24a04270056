"""Read one contract table of a data directory (typed), and write it back in its own format.

The feedback loop (outcome import) and the review report touch single tables of a data
directory; loading and validating every table for that would be slow on real data. Reading goes
through the data layer's file discovery and type coercion, so types match ``data.load``.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from data.atomic import atomic_path
from data.coerce import coerce_table
from data.errors import DataContractError, UpsellError
from data.load import read_table_frame, table_files
from data.problems import render_problems

CSV_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


def table_path(data_dir: str | Path, name: str) -> Path | None:
    """The file holding table ``name`` in ``data_dir`` (None when the table is absent)."""
    return table_files(data_dir).get(name)


def read_table(data_dir: str | Path, name: str) -> pd.DataFrame | None:
    """Table ``name`` with contract types (None when absent); type errors name column and rows."""
    path = table_path(data_dir, name)
    if path is None:
        return None
    return read_table_file(path, name)


def read_table_file(path: str | Path, name: str) -> pd.DataFrame:
    """A contract table from one parquet/CSV file, coerced to the contract's types."""
    path = Path(path)
    try:
        raw = read_table_frame(path)
    except Exception as exc:  # the user's file: say which and why
        raise UpsellError(f"{path}: cannot read table {name!r} ({str(exc).splitlines()[0][:200]})") from None
    typed, problems = coerce_table(name, raw)
    if problems:
        raise DataContractError(render_problems(problems, str(path)), problems)
    return typed


def write_table(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a table atomically in the format its file name says (parquet or CSV).

    CSV timestamps are written to the second, or to the microsecond in a column that has
    fractions of a second (a rewritten table must not lose them).
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        if path.suffix == ".parquet":
            frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")
        elif path.name.endswith(".csv.gz"):
            _csv_ready(frame).to_csv(tmp, index=False, lineterminator="\n", date_format=CSV_TIMESTAMP_FORMAT,
                                     compression={"method": "gzip", "mtime": 0})
        else:
            _csv_ready(frame).to_csv(tmp, index=False, lineterminator="\n", date_format=CSV_TIMESTAMP_FORMAT)


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each timestamp column that has fractions of a second as text keeping them."""
    out = frame
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values) and (values.dropna().dt.microsecond != 0).any():
            out = out.copy(deep=False) if out is frame else out
            out[column] = values.dt.strftime(CSV_TIMESTAMP_FORMAT + ".%f").where(values.notna())
    return out
