"""CSV (formula) injection: make text cells that a spreadsheet would run as a formula inert.

A CRM user opens an exported CSV in Excel or Google Sheets; a cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return may be read as a formula (``=HYPERLINK(...)``,
``=cmd|'/c calc'!A0``). The OWASP remedy is to prefix such cells with a single quote, which
spreadsheets show as text and CRMs store verbatim.

Only *text* cells are touched. Numeric columns are written as numbers (``-12.5`` stays a number),
and a text cell that is nothing but a plain number (``"-12.5"``, ``"+3"``) is left alone too: a
number cannot run anything, and quoting it would turn a CRM's number field into text.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_PLAIN_NUMBER = re.compile(_PLAIN_NUMBER_PATTERN)


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could interpret ``text`` as a formula."""
    return text.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.match(text)


def neutralise_text(text: str) -> str:
    """``text`` prefixed with ``'`` when it is formula-like, else unchanged."""
    return "'" + text if is_formula_like(text) else text


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``frame`` with every formula-like text cell prefixed by ``'``.

    Numeric, boolean and datetime columns are returned unchanged; missing values stay missing.
    """
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if not _is_text(column):
            continue
        present = column.notna()
        if not present.any():
            continue
        text = column[present].astype("str")
        risky = text.str.startswith(FORMULA_PREFIXES) & ~text.str.fullmatch(_PLAIN_NUMBER)
        if risky.any():
            fixed = column.astype("object").copy()
            fixed.loc[risky[risky].index] = "'" + text[risky]
            out[name] = fixed
    return out


def _is_text(column: pd.Series) -> bool:
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return True
    return dtype == object or pd.api.types.is_string_dtype(dtype)


def neutralise_arrow(table: pa.Table) -> pa.Table:
    """The same rule on an Arrow table (vectorised; what the CSV writer uses on large exports)."""
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            column = column.cast(pa.string())
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
            starts_risky = pa.array(np.concatenate([_starts_with_prefix(c) for c in chunks] or [np.zeros(0, bool)]))
            if pc.any(starts_risky).as_py():  # most columns have none: skip the regex
                number = pc.fill_null(pc.match_substring_regex(column, _PLAIN_NUMBER_PATTERN), False)
                risky = pc.and_(starts_risky, pc.invert(number))
                quoted = pc.binary_join_element_wise(pa.scalar("'", column.type), column, pa.scalar("", column.type))
                column = pc.if_else(risky, quoted, column)
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


_PREFIX_BYTES = np.frombuffer("".join(FORMULA_PREFIXES).encode("ascii"), dtype=np.uint8)
_IS_PREFIX = np.zeros(256, dtype=bool)
_IS_PREFIX[_PREFIX_BYTES] = True


def _starts_with_prefix(column: pa.Array) -> np.ndarray:
    """Per value: does it start with a formula prefix? Every prefix is one ASCII byte, so the
    first byte of each UTF-8 value decides; read from Arrow's offsets, no string is copied."""
    _, offsets_buffer, data_buffer = column.buffers()
    offset_type = np.int64 if pa.types.is_large_string(column.type) else np.int32
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type)[column.offset:column.offset + len(column) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.empty(0, np.uint8)
    starts = offsets[:-1]
    if data.size == 0:
        return np.zeros(len(column), dtype=bool)
    # every value's first byte (an empty value reads its neighbour's, then is masked out)
    risky = _IS_PREFIX[data[np.minimum(starts, data.size - 1)]] & (offsets[1:] > starts)
    if column.null_count:
        risky &= column.is_valid().to_numpy(zero_copy_only=False)
    return risky
