"""Bring raw Spark columns (CSV text, or whatever types a parquet writer chose) to the contract's types.

The Spark twin of ``data.coerce``, with the same rules, the same rule names (imported from it) and
the same reading of text, so a user sees the same message whichever engine read the file:

* text is trimmed of ``data.coerce.TEXT_WHITESPACE`` (tabs, newlines … not only spaces) and an
  empty text is missing;
* timestamps are ISO 8601 as pandas' ``format="ISO8601"`` reads it (``ISO_DATE_TEXT`` and
  ``ISO_TIME_TEXT``: ``2024-01-01``, ``2024/1/1``, ``20240101``, ``2024-01-01T1000``,
  ``… 10:00Z``, ``… +01`` are read; ``… UTC``, ``+2024-01-01``, a lower-case ``z`` are not), naive
  values are UTC, an offset is converted to UTC, and a column mixing offsets is an error. Text is
  rewritten to Spark's own form before its cast, which then checks the calendar (no 30 February);
* numbers in text are what pandas' ``to_numeric`` reads (``NUMBER_TEXT``): decimal notation
  with an optional exponent, or ``inf``/``infinity`` in any case. Java's extras that Spark's cast
  would take (``1d``, ``1f``, ``0x1p3``) and the text ``NaN`` are not numbers; a NaN stored in a
  float column is a missing value, as on DuckDB;
* integers are whole numbers within ``data.coerce.INT64_LIMIT`` (``inf`` or ``1e30`` in an integer
  column is a 'whole number' problem, never a cast overflow);
* booleans are ``data.coerce.TRUE_TEXT``/``FALSE_TEXT``.

Canonical Spark types: strings, ``timestamp`` (the session time zone is UTC, so values read as
naive UTC), ``date`` for dates, ``double`` and ``bigint``, ``boolean``. Every parse is a
``try_cast`` guarded by the checks above, so Spark's ANSI mode turns a bad value into a reported
problem instead of a failed job.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from data.coerce import (
    FALSE_TEXT,
    INT64_LIMIT,
    RULE_MIXED_OFFSETS,
    RULE_NUMBER,
    RULE_TIMESTAMP,
    RULE_TRUE_FALSE,
    RULE_WHOLE_NUMBER,
    TEXT_WHITESPACE,
    TRUE_TEXT,
)
from data.contract import COLUMNS, ColumnSpec

MIXED_OFFSETS_RULE = RULE_MIXED_OFFSETS  # the name pipeline.spark.validate imports
_RULES = {"timestamp": RULE_TIMESTAMP, "date": RULE_TIMESTAMP, "float": RULE_NUMBER,
          "int": RULE_WHOLE_NUMBER, "bool": RULE_TRUE_FALSE}
_OFFSET = r"(Z|z|[+-]\d\d:?\d\d)$"
# What pandas.to_numeric reads: decimal numbers (around which TEXT_WHITESPACE is allowed) …
NUMBER_TEXT = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
# … and infinities, in any case but with nothing around them (' inf' is not a number to pandas)
INFINITY_TEXT = r"(?i)^[+-]?inf(inity)?$"
# The ISO 8601 text pandas reads: a year, then month and day with one separator (-, /, ., space or
# backslash; 1 or 2 digits each) or none (YYYYMMDD), then optionally a time (ISO_TIME_TEXT) …
ISO_DATE_TEXT = r"^(\d{4})(?:([-/. \\])(\d{1,2})(?:\2(\d{1,2})([T ].*)?)?|(\d{2})(\d{2})([T ].*)?)?$"
# … 'T' or a space, hours[:minutes[:seconds[.fraction]]] (or without colons, two digits each), and
# an offset: Z, or +h, +hh, +hhmm, +hh:mm (a space before it is allowed)
ISO_TIME_TEXT = (r"^[T ](?:(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d*))?)?|(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d*))?)?)?)"
                 r"(?: ?(Z|[+-]\d{1,2}(?::?\d{1,2})?))?$")
_OFFSET_PARTS = r"^([+-])(\d{1,2}):?(\d{0,2})$"
# The text Spark's cast reads exactly as pandas does: taken without rewriting (the fast path)
_SPARK_ISO_TEXT = r"^\d{4}-\d\d-\d\d([T ]\d\d:\d\d:\d\d(\.\d{1,6})?)?(Z|[+-]\d\d:\d\d)?$"


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


def trimmed_text(c: Column) -> Column:
    """``c`` as text trimmed of ``TEXT_WHITESPACE``, an empty text as null (``data.coerce``'s blank)."""
    trimmed = F.trim(c.cast("string"), F.lit(TEXT_WHITESPACE))
    return F.when(trimmed == "", F.lit(None)).otherwise(trimmed)


def _coerce(spec: ColumnSpec, c: Column, dtype: T.DataType) -> CoercedColumn:
    if spec.kind == "str":
        return CoercedColumn(spec, _to_str(c, dtype), None, "text")
    is_text = isinstance(dtype, T.StringType)
    text = trimmed_text(c) if is_text else None
    blank = text.isNull() if text is not None else c.isNull()
    if spec.kind in ("timestamp", "date"):
        value, zone = _to_timestamp(c, dtype, text)
        if spec.kind == "date":
            value = F.to_date(value)
        return CoercedColumn(spec, value, value.isNull() & ~blank, _RULES[spec.kind], zone)
    if spec.kind in ("float", "int"):
        return _to_number(spec, c, dtype, text)
    if spec.kind == "bool":
        if isinstance(dtype, T.BooleanType):
            return CoercedColumn(spec, c, None, _RULES["bool"])
        lower = F.lower(trimmed_text(c))
        value = F.when(lower.isin(*TRUE_TEXT), F.lit(True)).when(lower.isin(*FALSE_TEXT), F.lit(False))
        return CoercedColumn(spec, value.cast("boolean"), value.isNull() & lower.isNotNull(), _RULES["bool"])
    raise AssertionError(spec.kind)


def _to_number(spec: ColumnSpec, c: Column, dtype: T.DataType, text: Column | None) -> CoercedColumn:
    if spec.kind == "int" and isinstance(dtype, T.IntegralType):
        return CoercedColumn(spec, c.cast("bigint"), None, _RULES["int"])
    if text is not None:
        number = F.when(text.rlike(NUMBER_TEXT) | c.rlike(INFINITY_TEXT), text.try_cast("double"))
        blank = text.isNull()
    else:  # a stored number: NaN is a missing value (as DuckDB's NaN-is-NULL and pandas' isna)
        stored = c.cast("double")
        number = F.when(~F.isnan(stored), stored)
        blank = number.isNull()
    if spec.kind == "float":
        return CoercedColumn(spec, number, number.isNull() & ~blank, _RULES["float"])
    whole = (number == F.floor(number)) & (F.abs(number) <= F.lit(INT64_LIMIT))
    value = F.when(whole, number.cast("bigint"))
    return CoercedColumn(spec, value, value.isNull() & ~blank, _RULES["int"])


def _to_str(c: Column, dtype: T.DataType) -> Column:
    if isinstance(dtype, (T.FloatType, T.DoubleType)):
        # ids exported as floats (1.0, 2.0) by spreadsheets keep their integer spelling
        whole = (c == F.floor(c)) & (F.abs(c) <= F.lit(INT64_LIMIT))
        c = F.when(F.isnan(c), F.lit(None)).when(whole, c.cast("bigint").cast("string")).otherwise(c.cast("string"))
    return trimmed_text(c)


def _to_timestamp(c: Column, dtype: T.DataType, text: Column | None) -> tuple[Column, Column | None]:
    if isinstance(dtype, (T.TimestampType, T.TimestampNTZType, T.DateType)):
        return c.cast("timestamp"), None
    if text is None:
        text = trimmed_text(c)
    found = F.upper(F.regexp_extract(text, _OFFSET, 1))
    zone = F.when(text.isNull(), F.lit(None)).when(found == "", F.lit("naive")).otherwise(
        F.when(found == "Z", F.lit("+0000")).otherwise(F.regexp_replace(found, ":", "")))
    return _iso_text(text).try_cast("timestamp"), zone


def _group(text: Column, pattern: str, *indexes: int) -> Column:
    """The first of the regex groups ``indexes`` that matched something (null when none did)."""
    found = [F.regexp_extract(text, pattern, i) for i in indexes]
    return F.coalesce(*[F.when(g != "", g) for g in found])


def _iso_text(text: Column) -> Column:
    """``text`` in Spark's timestamp form (``2024-01-01 10:00:00.5+01:00``) when pandas reads it as
    ISO 8601, else null. Spark's cast then rejects impossible dates and times, as pandas does."""
    rest = _group(text, ISO_DATE_TEXT, 5, 8)
    date = F.concat_ws("-", F.regexp_extract(text, ISO_DATE_TEXT, 1),
                       F.lpad(F.coalesce(_group(text, ISO_DATE_TEXT, 3, 6), F.lit("1")), 2, "0"),
                       F.lpad(F.coalesce(_group(text, ISO_DATE_TEXT, 4, 7), F.lit("1")), 2, "0"))
    fraction = _group(rest, ISO_TIME_TEXT, 4, 8)
    time = F.concat(F.lit(" "), F.lpad(_group(rest, ISO_TIME_TEXT, 1, 5), 2, "0"), F.lit(":"),
                    F.lpad(F.coalesce(_group(rest, ISO_TIME_TEXT, 2, 6), F.lit("0")), 2, "0"), F.lit(":"),
                    F.lpad(F.coalesce(_group(rest, ISO_TIME_TEXT, 3, 7), F.lit("0")), 2, "0"),
                    F.coalesce(F.concat(F.lit("."), F.substring(fraction, 1, 6)), F.lit("")))
    offset = _group(rest, ISO_TIME_TEXT, 9)
    hours_minutes = F.concat(F.regexp_extract(offset, _OFFSET_PARTS, 1),
                             F.lpad(F.regexp_extract(offset, _OFFSET_PARTS, 2), 2, "0"), F.lit(":"),
                             F.lpad(F.coalesce(_group(offset, _OFFSET_PARTS, 3), F.lit("0")), 2, "0"))
    zone = F.when(offset.isNull(), F.lit("")).when(offset == "Z", F.lit("+00:00")).otherwise(hours_minutes)
    rewritten = F.concat(date, F.when(rest.isNull(), F.lit("")).otherwise(F.concat(time, zone)))
    readable = text.rlike(ISO_DATE_TEXT) & (rest.isNull() | rest.rlike(ISO_TIME_TEXT))
    return F.when(text.rlike(_SPARK_ISO_TEXT), text).when(readable, rewritten)
