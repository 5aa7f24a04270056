"""Bring raw Spark columns (CSV text, or whatever types a parquet writer chose) to the contract's types.

The Spark twin of ``data.coerce``, with the same rules and the same rule names, so a user sees the
same message whichever engine read the file: blanks are missing; timestamps are ISO 8601, naive
values are UTC, an offset is converted to UTC, and a column mixing offsets is an error; integers
must be whole numbers; booleans are true/false, t/f, 1/0, yes/no, y/n. Canonical Spark types:
strings, ``timestamp`` (the session time zone is UTC, so values read as naive UTC), ``date`` for
dates, ``double`` and ``bigint``, ``boolean``. Every parse uses ``try_cast`` so Spark's ANSI mode
turns a bad value into a reported problem instead of a failed job.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from data.contract import COLUMNS, ColumnSpec

MIXED_OFFSETS_RULE = "one time zone per column (naive UTC, or one fixed offset); found mixed offsets"
_RULES = {"timestamp": "ISO 8601 date/time", "date": "ISO 8601 date/time", "float": "number",
          "int": "whole number", "bool": "true/false"}
_TRUE = ("true", "t", "1", "yes", "y")
_FALSE = ("false", "f", "0", "no", "n")
_OFFSET = r"(Z|z|[+-]\d\d:?\d\d)$"

BAD_PREFIX = "__bad__"
ZONE_PREFIX = "__zone__"


@dataclass(frozen=True)
class CoercedColumn:
    """The typed value of one contract column and, when parsing can fail, a 'could not parse' flag."""

    spec: ColumnSpec
    value: Column
    bad: Column | None
    rule: str
    zone: Column | None = None  # normalised UTC offset of a text timestamp ('naive' when none)


def coerce_columns(table: str, raw: DataFrame) -> list[CoercedColumn]:
    """Typed expressions for the contract columns of ``table`` present in ``raw`` (contract order)."""
    types = {f.name: f.dataType for f in raw.schema.fields}
    return [_coerce(spec, F.col(f"`{spec.name}`"), types[spec.name]) for spec in COLUMNS[table] if spec.name in types]


def _coerce(spec: ColumnSpec, c: Column, dtype: T.DataType) -> CoercedColumn:
    if spec.kind == "str":
        return CoercedColumn(spec, _to_str(c, dtype), None, "text")
    is_text = isinstance(dtype, T.StringType)
    text = F.when(F.trim(c) == "", F.lit(None)).otherwise(F.trim(c)) if is_text else None
    blank = text.isNull() if text is not None else c.isNull()
    if spec.kind in ("timestamp", "date"):
        value, zone = _to_timestamp(c, dtype, text)
        if spec.kind == "date":
            value = F.to_date(value)
        return CoercedColumn(spec, value, value.isNull() & ~blank, _RULES[spec.kind], zone)
    if spec.kind == "float":
        value = text.try_cast("double") if is_text else c.cast("double")
        return CoercedColumn(spec, value, value.isNull() & ~blank, _RULES["float"])
    if spec.kind == "int" and isinstance(dtype, T.IntegralType):
        return CoercedColumn(spec, c.cast("bigint"), None, _RULES["int"])
    if spec.kind == "int":
        number = text.try_cast("double") if is_text else c.cast("double")
        whole = number.isNotNull() & (number == F.floor(number))
        value = F.when(whole, F.round(number).cast("bigint"))
        return CoercedColumn(spec, value, value.isNull() & ~blank, _RULES["int"])
    if spec.kind == "bool":
        if isinstance(dtype, T.BooleanType):
            return CoercedColumn(spec, c, None, _RULES["bool"])
        lower = F.lower(F.trim(c.cast("string")))
        value = F.when(lower.isin(*_TRUE), F.lit(True)).when(lower.isin(*_FALSE), F.lit(False))
        blank = c.isNull() | (F.trim(c.cast("string")) == "")
        return CoercedColumn(spec, value.cast("boolean"), value.isNull() & ~blank, _RULES["bool"])
    raise AssertionError(spec.kind)


def _to_str(c: Column, dtype: T.DataType) -> Column:
    if isinstance(dtype, (T.FloatType, T.DoubleType)):
        # ids exported as floats (1.0, 2.0) by spreadsheets keep their integer spelling
        c = F.when(c == F.floor(c), c.cast("bigint").cast("string")).otherwise(c.cast("string"))
    else:
        c = c.cast("string")
    trimmed = F.trim(c)
    return F.when(trimmed == "", F.lit(None)).otherwise(trimmed)


def _to_timestamp(c: Column, dtype: T.DataType, text: Column | None) -> tuple[Column, Column | None]:
    if isinstance(dtype, (T.TimestampType, T.TimestampNTZType, T.DateType)):
        return c.cast("timestamp"), None
    if text is None:
        text = F.trim(c.cast("string"))
    found = F.upper(F.regexp_extract(text, _OFFSET, 1))
    zone = F.when(text.isNull(), F.lit(None)).when(found == "", F.lit("naive")).otherwise(
        F.when(found == "Z", F.lit("+0000")).otherwise(F.regexp_replace(found, ":", "")))
    return text.try_cast("timestamp"), zone

