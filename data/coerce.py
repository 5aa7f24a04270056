"""Bring raw columns (CSV text or whatever a parquet writer chose) to the contract's types.

Every value that cannot be read as its contract type becomes a ``Problem`` with example rows,
instead of a silent NaN or a traceback. Timestamps follow the contract: naive values are UTC;
values with an offset are converted to UTC; a column that mixes offsets (or naive and offset
values) is an error, because nobody can tell which clock those rows were written in. A *date*
column (``usage.usage_date``) names a calendar day: given as timestamps with a time zone or offset
that are all midnights in that zone, each is the day as written (``2026-03-10T00:00+02:00`` is 10
March, not the UTC day of that instant, 9 March, which would count the day that starts at a
cutoff before it), and offsets that differ (daylight saving time) do not matter; other zoned
values (UTC midnights shown in New York time …) take their UTC day. Text is
trimmed of ASCII whitespace (``TEXT_WHITESPACE``, the same set the SQL checks trim) and an empty
text is a missing value.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from data.contract import COLUMNS, ColumnSpec
from data.problems import MAX_EXAMPLES, Problem

# An offset after a time of day, in every spelling pandas' ISO 8601 reader takes: Z, +h, +hh,
# +hhmm, +hh:mm, after an optional space (PostgreSQL writes timestamptz as '2026-03-10 00:00:00+02').
# A date alone ('2026-03-10') has no time, so its '-10' is never taken for an offset.
_OFFSET = re.compile(r"[T ]\d[\d:.,]*\s?(Z|[+-]\d{1,2}(?::?\d\d)?)$", re.IGNORECASE)
_HAS_OFFSET = re.compile(r"[T ]\d[\d:.,]*\s?(?:Z|[+-]\d{1,2}(?::?\d\d)?)$", re.IGNORECASE)
_ZONE = re.compile(r"^(?:(Z)|([+-])(\d{1,2}):?(\d\d)?)$", re.IGNORECASE)
_TRAILING_OFFSET = re.compile(r"\s?(?:Z|[+-]\d{1,2}(?::?\d\d)?)$", re.IGNORECASE)
TEXT_WHITESPACE = " \t\n\r\x0b\x0c"
TRUE_TEXT = ("true", "t", "1", "yes", "y")  # boolean spellings, after trimming and lower-casing
FALSE_TEXT = ("false", "f", "0", "no", "n")
_TRUE = set(TRUE_TEXT)
_FALSE = set(FALSE_TEXT)
INT64_LIMIT = 9.2e18  # inside int64 and exact in float64 (as data.sql_columns)
# Rule names of the type checks, shared with the Spark engine (pipeline.spark.coerce).
RULE_TIMESTAMP = "ISO 8601 date/time"
RULE_MIXED_OFFSETS = "one time zone per column (naive UTC, or one fixed offset); found mixed offsets"
RULE_NUMBER = "number"
RULE_WHOLE_NUMBER = "whole number"
RULE_TRUE_FALSE = "true/false"


def coerce_table(table: str, raw: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Typed copy of ``raw`` (contract columns first, extras kept after) and the problems found."""
    out = {}
    problems: list[Problem] = []
    for col in COLUMNS[table]:
        if col.name not in raw.columns:
            continue
        values, bad, rule = _coerce_column(col, raw[col.name])
        out[col.name] = values
        if bad is not None and bad.any():
            problems.append(
                Problem(
                    table=table,
                    column=col.name,
                    rule=rule,
                    n_rows=int(bad.sum()),
                    examples=raw.loc[bad].head(MAX_EXAMPLES),
                )
            )
    typed = pd.DataFrame(out, index=raw.index)
    extras = [c for c in raw.columns if c not in typed.columns]
    for c in extras:
        typed[c] = raw[c]
    return typed, problems


def _blank(s: pd.Series) -> pd.Series:
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        return s.isna() | (s.astype("str").str.strip(TEXT_WHITESPACE) == "")
    return s.isna()


def _coerce_column(col: ColumnSpec, s: pd.Series) -> tuple[pd.Series, pd.Series | None, str]:
    if col.kind == "str":
        return _to_str(s), None, "text"
    if col.kind in ("timestamp", "date"):
        return _to_timestamp(s, as_date=col.kind == "date")
    if col.kind == "float":
        return _to_number(s, integral=False)
    if col.kind == "int":
        return _to_number(s, integral=True)
    if col.kind == "bool":
        return _to_bool(s)
    raise AssertionError(col.kind)


def text_ids(s: pd.Series) -> pd.Series:
    """Ids as the contract's text: ids written as floats by spreadsheets (``1.0``) keep their
    integer spelling (``1``), surrounding whitespace is trimmed, empty is missing."""
    return _to_str(s)


def _to_str(s: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(s.dtype):
        # ids exported as floats (1.0, 2.0) by spreadsheets: keep their integer spelling
        as_int = s.dropna()
        if (as_int == np.floor(as_int)).all():
            s = s.astype("Int64")
    out = s.astype("str")
    out[s.isna()] = pd.NA
    return out.str.strip(TEXT_WHITESPACE).replace("", pd.NA) if len(out) else out


def _to_timestamp(s: pd.Series, as_date: bool) -> tuple[pd.Series, pd.Series | None, str]:
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        out = s.dt.tz_convert("UTC").dt.tz_localize(None)
        if as_date:
            out = _local_days(s.dt.tz_localize(None), out)
        return _unit(out, as_date), None, "timestamp"
    if pd.api.types.is_datetime64_dtype(s.dtype):
        return _unit(s, as_date), None, "timestamp"
    blank = _blank(s)
    text = s.astype("str").str.strip(TEXT_WHITESPACE)
    text[blank] = pd.NA
    has_offset = text.str.contains(_HAS_OFFSET, na=False)
    written = None
    if as_date and has_offset.any():  # the offsets set aside: the times as written
        bare = text.where(~has_offset, text.str.replace(_TRAILING_OFFSET, "", regex=True))
        written = pd.to_datetime(bare, errors="coerce", format="ISO8601")
        given = written.dropna()
        if (given == given.dt.normalize()).all():  # local calendar days (their offsets may differ: DST)
            return _unit(written, as_date), written.isna() & ~blank, RULE_TIMESTAMP
    if has_offset.any():
        zone = _zone_keys(text.str.extract(_OFFSET, expand=False)).fillna("naive")[~blank]
        if zone.nunique() > 1:
            bad = pd.Series(False, index=s.index)
            bad[zone.index] = zone != zone.mode().iloc[0]
            return pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]"), bad, RULE_MIXED_OFFSETS
    parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
    bad = parsed.isna() & ~blank
    return _unit(parsed.dt.tz_localize(None), as_date), bad, RULE_TIMESTAMP


def _zone_keys(found: pd.Series) -> pd.Series:
    """Each found offset as ``+hhmm`` (``Z``, ``+2``, ``+02``, ``+0200`` and ``+02:00`` are one
    zone; ``-00:00`` is UTC too); missing where there is none."""
    parts = found.str.extract(_ZONE)
    key = parts[1] + parts[2].str.zfill(2) + parts[3].fillna("00")
    key = key.where(parts[0].isna(), "+0000")
    return key.replace({"-0000": "+0000"})


def _local_days(written: pd.Series, utc: pd.Series) -> pd.Series:
    """A zoned date column's values: the times as written in their zone when every one is a
    midnight there (a column of local calendar days), else the UTC times."""
    given = written.dropna()
    return written if (given == given.dt.normalize()).all() else utc


def _unit(s: pd.Series, as_date: bool) -> pd.Series:
    out = s.astype("datetime64[us]")
    return out.dt.floor("D") if as_date else out


def _to_number(s: pd.Series, integral: bool) -> tuple[pd.Series, pd.Series | None, str]:
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype("Int64")
    blank = _blank(s)
    num = pd.to_numeric(s, errors="coerce")
    bad = num.isna() & ~blank
    if not integral:
        return num.astype("float64"), bad, RULE_NUMBER
    as_float = num.astype("float64")
    # a fraction, inf, or beyond int64 (the SQL path's bound) is not a whole number we can hold
    frac = num.notna() & ((as_float != np.floor(as_float)) | ~(as_float.abs() <= INT64_LIMIT))
    bad = bad | frac
    num = num.where(~frac)
    return num.astype("float64").round().astype("Int64"), bad, RULE_WHOLE_NUMBER


def _to_bool(s: pd.Series) -> tuple[pd.Series, pd.Series | None, str]:
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean"), None, RULE_TRUE_FALSE
    blank = _blank(s)
    text = s.astype("str").str.strip(TEXT_WHITESPACE).str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[text.isin(_TRUE) & ~blank] = True
    out[text.isin(_FALSE) & ~blank] = False
    bad = out.isna() & ~blank
    return out, bad, RULE_TRUE_FALSE
