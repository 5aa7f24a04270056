"""Bring raw Spark columns (CSV text, or whatever types a parquet writer chose) to the contract's types.

The Spark twin of ``data.coerce``, with the same rules, the same rule names (imported from it) and
the same reading of text, so a user sees the same message whichever engine read the file:

* text is trimmed of ``data.coerce.TEXT_WHITESPACE`` (tabs, newlines … not only spaces) and an
  empty text is missing;
* timestamps are ISO 8601 as pandas' ``format="ISO8601"`` reads it (``ISO_TEXT``: ``2024-01-01``, ``2024/1/1``, ``20240101``, ``2024-01-01T1000``,
  ``… 10:00Z``, ``… +01`` are read; ``… UTC``, ``+2024-01-01``, a lower-case ``z`` are not), naive
  values are UTC, an offset is converted to UTC, and a column mixing offsets is an error;
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
# The ISO 8601 text pandas reads (``ISO_TEXT``): a year; then month and day with one separator
# (-, /, ., space or backslash; 1 or 2 digits each) or none (YYYYMMDD); then, after a day, 'T' or a
# space and hours[:minutes[:seconds[.fraction]]] (or the same without colons, two digits each); then
# an offset, after an optional space: Z, or +h, +hh, +hhmm, +hh:mm.
_TIME = (r"(?:[T ](?:(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d*))?)?|(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d*))?)?)?)"
         r"(?: ?(Z|([+-])(\d{1,2}):?(\d{0,2})))?)?")
ISO_TEXT = rf"^(\d{{4}})(?:([-/. \\])(\d{{1,2}})(?:\2(\d{{1,2}}){_TIME})?|(\d{{2}})(\d{{2}}){_TIME})?$"
# Its parts as 'year|month|day|hour|minute|second|fraction|Z|sign|offset hours|offset minutes'
# (each from whichever alternative matched; Java's replacement leaves a group that did not match empty)
_PARTS = "|".join(["$1", "$3$17", "$4$18", "$5$9$19$23", "$6$10$20$24", "$7$11$21$25", "$8$12$22$26",
                   "$13$27", "$14$28", "$15$29", "$16$30"])
# The text Spark's cast reads exactly as pandas does, cast directly (the fast path); Spark's cast
# refuses offsets beyond 18 hours, which pandas reads
_SPARK_ISO_TEXT = r"^\d{4}-\d\d-\d\d([T ]\d\d:\d\d:\d\d(\.\d{1,6})?)?(Z|[+-](0\d|1[0-7]):\d\d)?$"
_MICROS_PER_MINUTE = 60_000_000


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
    return _iso_timestamp(text), zone


def _iso_timestamp(text: Column) -> Column:
    """The UTC timestamp of ``text`` when pandas reads it as ISO 8601 (``ISO_TEXT``), else null.

    The usual spelling is cast directly; any other is split into its parts (one regex rewrite)
    and assembled by ``try_make_timestamp``, which rejects impossible dates and times as pandas
    does (30 February, 24:00); a leap second (:60) and an offset beyond 23:59 are rejected here.
    """
    fast = text.rlike(_SPARK_ISO_TEXT)
    # Spark evaluates common subexpressions before the CASE that picks a path: the rewrite gets
    # null (no work) for the rows the fast path takes
    parts = F.split(F.regexp_replace(F.when(~fast, text), ISO_TEXT, _PARTS), r"\|")

    def part(i: int, default: str | None = None) -> Column:
        value = F.when(parts.getItem(i) != "", parts.getItem(i))
        return value if default is None else F.coalesce(value, F.lit(default))

    fraction = F.substring(F.concat(part(6, ""), F.lit("000000")), 1, 6)
    seconds = F.concat(part(5, "0"), F.lit("."), fraction).cast("decimal(8,6)")
    local = F.try_make_timestamp(part(0).cast("int"), part(1, "1").cast("int"), part(2, "1").cast("int"),
                                 part(3, "0").cast("int"), part(4, "0").cast("int"), seconds, F.lit("UTC"))
    hours, minutes = part(9, "0").cast("int"), part(10, "0").cast("int")
    offset = F.when(part(8, "+") == "-", -1).otherwise(1) * (hours * 60 + minutes)
    valid = (part(5, "0").cast("int") < 60) & (hours < 24) & (minutes < 60)
    utc = F.timestamp_micros(F.unix_micros(local) - offset.cast("bigint") * _MICROS_PER_MINUTE)
    return F.when(fast, text.try_cast("timestamp")).when(text.rlike(ISO_TEXT) & valid, utc)
