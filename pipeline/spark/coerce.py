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

from collections.abc import Collection, Sequence
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
from pipeline.spark.load import ZONE_METADATA

MIXED_OFFSETS_RULE = RULE_MIXED_OFFSETS  # the name pipeline.spark.validate imports
_RULES = {"timestamp": RULE_TIMESTAMP, "date": RULE_TIMESTAMP, "float": RULE_NUMBER,
          "int": RULE_WHOLE_NUMBER, "bool": RULE_TRUE_FALSE}
_OFFSET = r"(Z|z|[+-]\d\d:?\d\d)$"
# An offset match ends the text (or precedes a final line terminator that trimming leaves, such as
# U+2028) and is at most 6 characters, so it is looked for in the last 7 only: the same match,
# without running the regex along the whole text of every row
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
_FAST_OFFSET = r"(Z|[+-]\d\d:\d\d)$"  # the offset of a text the fast path takes
_MICROS_PER_MINUTE = 60_000_000


@dataclass(frozen=True)
class CoercedColumn:
    """One contract column of a ``CoercedFrame``: its typed value is the column named ``spec.name``;
    ``bad`` names the 'could not parse' flag (None when parsing cannot fail) and ``zone`` the
    normalised UTC offset of a text timestamp ('naive' when none, null when blank)."""

    spec: ColumnSpec
    rule: str
    bad: str | None = None
    zone: str | None = None
    # a date column that may hold local calendar days: the time as written (before its offset or
    # zone is applied) and, for text, its own 'could not parse' flag
    written: str | None = None
    bad_written: str | None = None

    @property
    def raw(self) -> str:
        """The column holding the value as read (what example rows show)."""
        return raw_name(self.spec.name)


@dataclass(frozen=True)
class CoercedFrame:
    """``frame`` holds the kept columns, then per contract column its typed value, flag, zone and raw value."""

    frame: DataFrame
    columns: list[CoercedColumn]

    @property
    def values(self) -> DataFrame:
        """The typed contract columns alone (contract order)."""
        return self.frame.select(*[c.spec.name for c in self.columns])


def raw_name(column: str) -> str:
    return f"__raw_{column}"


# Each column is coerced in steps, one projection per step: a value computed in one step (the
# trimmed text, the parse) is a column the later steps read, instead of an expression copied
# into every rule that uses it. Spark keeps such a projection when a later one reads a costly
# column more than once (CollapseProject only inlines cheap or single-use expressions), so the
# text is trimmed once per value and parsed once, whatever number of rules read the result.
_Step = dict[str, Column]


def coerce_frame(table: str, raw: DataFrame, keep: Sequence[str] = (), local_days: Collection[str] = ()) -> CoercedFrame:
    """The contract columns of ``table`` present in ``raw`` brought to their types (contract order).

    ``keep`` names columns of ``raw`` carried through unchanged (a row id, file checks).
    ``local_days`` names the date columns to read as the days written (``data.coerce``: every
    value is a midnight in its own zone or offset); the other date columns take the UTC day.
    Whether a column qualifies is a question about all of its rows: ``pipeline.spark.validate``
    answers it from ``CoercedColumn.written`` in its counting pass.
    """
    fields = {f.name: f for f in raw.schema.fields}
    specs = [spec for spec in COLUMNS[table] if spec.name in fields]
    plans = [_plan(spec, fields[spec.name].dataType, fields[spec.name].metadata.get(ZONE_METADATA),
                   spec.name in local_days) for spec in specs]
    frame = raw.select(*[F.col(f"`{k}`") for k in keep],
                       *[F.col(f"`{s.name}`").alias(raw_name(s.name)) for s in specs])
    for i in range(max((len(steps) for _, steps in plans), default=0)):
        new = [value.alias(name) for _, steps in plans if i < len(steps) for name, value in steps[i].items()]
        frame = frame.select("*", *new)
    cols = [c for c, _ in plans]
    frame = frame.select(*[F.col(f"`{k}`") for k in keep], *[c.spec.name for c in cols],
                         *[c.bad for c in cols if c.bad], *[c.zone for c in cols if c.zone],
                         *[n for c in cols for n in (c.written, c.bad_written) if n], *[c.raw for c in cols])
    return CoercedFrame(frame, cols)


def trimmed_text(c: Column) -> Column:
    """``c`` as text trimmed of ``TEXT_WHITESPACE``, an empty text as null (``data.coerce``'s blank)."""
    return F.nullif(F.trim(c.cast("string"), F.lit(TEXT_WHITESPACE)), F.lit(""))


def _plan(spec: ColumnSpec, dtype: T.DataType, stored_zone: str | None = None,
          local: bool = False) -> tuple[CoercedColumn, list[_Step]]:
    """The column's steps: each reads ``raw_name(name)`` or the names earlier steps wrote.

    ``stored_zone``: the zone a parquet timestamp column was written in (``ZONE_METADATA``);
    ``local``: a date column to read as the days written.
    """
    name, raw = spec.name, F.col(raw_name(spec.name))
    text, bad, zone = f"__text_{name}", f"__bad_{name}", f"__zone_{name}"
    written = f"__written_{name}"
    if spec.kind == "str":
        return CoercedColumn(spec, "text"), [{name: _to_str(raw, dtype)}]
    rule = _RULES[spec.kind]
    if spec.kind in ("timestamp", "date"):
        if isinstance(dtype, (T.TimestampType, T.TimestampNTZType, T.DateType)):
            value = raw.cast("timestamp")
            if spec.kind == "date" and stored_zone and isinstance(dtype, T.TimestampType):
                # the instant's wall clock in the writer's zone (the session's zone is UTC)
                steps = [{written: F.from_utc_timestamp(value, stored_zone)},
                         {name: F.to_date(F.col(written) if local else value)}]
                return CoercedColumn(spec, rule, written=written), steps
            return CoercedColumn(spec, rule), [{name: F.to_date(value) if spec.kind == "date" else value}]
        if spec.kind == "date":
            column = CoercedColumn(spec, rule, bad, zone, written, f"__bad_written_{name}")
            return column, _timestamp_steps(column, raw, text, local)
        column = CoercedColumn(spec, rule, bad, zone)
        return column, _timestamp_steps(column, raw, text)
    if spec.kind in ("float", "int"):
        if spec.kind == "int" and isinstance(dtype, T.IntegralType):
            return CoercedColumn(spec, rule), [{name: raw.cast("bigint")}]
        return CoercedColumn(spec, rule, bad), _number_steps(spec, raw, dtype, text, bad)
    if spec.kind == "bool":
        if isinstance(dtype, T.BooleanType):
            return CoercedColumn(spec, rule), [{name: raw}]
        lower = F.col(text)
        value = F.when(lower.isin(*TRUE_TEXT), F.lit(True)).when(lower.isin(*FALSE_TEXT), F.lit(False))
        return CoercedColumn(spec, rule, bad), [{text: F.lower(trimmed_text(raw))}, {name: value.cast("boolean")},
                                                {bad: F.col(name).isNull() & lower.isNotNull()}]
    raise AssertionError(spec.kind)


def _number_steps(spec: ColumnSpec, raw: Column, dtype: T.DataType, text: str, bad: str) -> list[_Step]:
    name, number = spec.name, f"__number_{spec.name}"
    if isinstance(dtype, T.StringType):
        t = F.col(text)
        steps = [{text: trimmed_text(raw)},
                 {number: F.when(t.rlike(NUMBER_TEXT) | raw.rlike(INFINITY_TEXT), t.try_cast("double"))}]
        given = t.isNotNull()
    else:  # a stored number: NaN is a missing value (as DuckDB's NaN-is-NULL and pandas' isna)
        stored = raw.cast("double")
        steps = [{number: F.when(~F.isnan(stored), stored)}]
        given = F.col(number).isNotNull()
    n = F.col(number)
    if spec.kind == "float":
        return [*steps, {name: n}, {bad: F.col(name).isNull() & given}]
    whole = (n == F.floor(n)) & (F.abs(n) <= F.lit(INT64_LIMIT))
    return [*steps, {name: F.when(whole, n.cast("bigint"))}, {bad: F.col(name).isNull() & given}]


def _to_str(c: Column, dtype: T.DataType) -> Column:
    if isinstance(dtype, (T.FloatType, T.DoubleType)):
        # ids exported as floats (1.0, 2.0) by spreadsheets keep their integer spelling
        whole = (c == F.floor(c)) & (F.abs(c) <= F.lit(INT64_LIMIT))
        c = F.when(F.isnan(c), F.lit(None)).when(whole, c.cast("bigint").cast("string")).otherwise(c.cast("string"))
    return trimmed_text(c)


def _timestamp_steps(column: CoercedColumn, raw: Column, text: str, local: bool = False) -> list[_Step]:
    """A text timestamp's steps; for a column with ``written`` (a date) also the time as written,
    and the value read from it when ``local``."""
    name, t, bad, zone = column.spec.name, F.col(text), column.bad, column.zone
    fast, found, parts = f"__fast_{name}", f"__found_{name}", f"__parts_{name}"
    offset = F.col(found)
    value = _iso_timestamp(t, F.col(fast), F.col(parts))
    steps: list[_Step] = [
        {text: trimmed_text(raw)},
        {fast: t.rlike(_SPARK_ISO_TEXT), found: F.upper(F.regexp_extract(F.substring(t, -7, 7), _OFFSET, 1))},
        # only the rows the fast path does not take are rewritten into parts (the others get null)
        {parts: F.split(F.regexp_replace(F.when(~F.col(fast), t), ISO_TEXT, _PARTS), r"\|"),
         zone: F.when(t.isNull(), F.lit(None)).when(offset == "", F.lit("naive")).otherwise(
             F.when(offset == "Z", F.lit("+0000")).otherwise(F.regexp_replace(offset, ":", "")))},
    ]
    if column.written is None or column.bad_written is None:
        return [*steps, {name: value}, {bad: F.col(name).isNull() & t.isNotNull()}]
    written, utc = column.written, f"__utc_{name}"
    return [
        *steps,
        {utc: value, written: _iso_timestamp(t, F.col(fast), F.col(parts), as_written=True)},
        {name: F.to_date(F.col(written) if local else F.col(utc)),
         column.bad_written: F.col(written).isNull() & t.isNotNull()},
        {bad: F.col(name).isNull() & t.isNotNull()},
    ]


def _iso_timestamp(text: Column, fast: Column, parts: Column, as_written: bool = False) -> Column:
    """The UTC timestamp of ``text`` when pandas reads it as ISO 8601 (``ISO_TEXT``), else null;
    ``as_written``: the time as written instead, its offset set aside (``data.coerce`` reads a
    column of local midnights as the days written).

    The usual spelling (``fast``) is cast directly; any other was split into its ``parts`` (one
    regex rewrite) and is assembled by ``try_make_timestamp``, which rejects impossible dates and
    times as pandas does (30 February, 24:00); a leap second (:60) and an offset beyond 23:59 are
    rejected here (not when the time is read as written: pandas then never looks at the offset).
    """
    def part(i: int, default: str | None = None) -> Column:
        value = F.when(parts.getItem(i) != "", parts.getItem(i))
        return value if default is None else F.coalesce(value, F.lit(default))

    fraction = F.substring(F.concat(part(6, ""), F.lit("000000")), 1, 6)
    seconds = F.concat(part(5, "0"), F.lit("."), fraction).cast("decimal(8,6)")
    local = F.try_make_timestamp(part(0).cast("int"), part(1, "1").cast("int"), part(2, "1").cast("int"),
                                 part(3, "0").cast("int"), part(4, "0").cast("int"), seconds, F.lit("UTC"))
    hours, minutes = part(9, "0").cast("int"), part(10, "0").cast("int")
    offset = F.when(part(8, "+") == "-", -1).otherwise(1) * (hours * 60 + minutes)
    if as_written:
        bare = F.regexp_replace(text, _FAST_OFFSET, "")
        return F.when(fast, bare.try_cast("timestamp")).when(text.rlike(ISO_TEXT) & (part(5, "0").cast("int") < 60), local)
    valid = (part(5, "0").cast("int") < 60) & (hours < 24) & (minutes < 60)
    utc = F.timestamp_micros(F.unix_micros(local) - offset.cast("bigint") * _MICROS_PER_MINUTE)
    return F.when(fast, text.try_cast("timestamp")).when(text.rlike(ISO_TEXT) & valid, utc)
