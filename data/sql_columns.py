"""How a column stored in parquet or DuckDB becomes its contract type in SQL, or why it cannot.

A table is checked and served by DuckDB (``data.validate_sql``) when every contract column it has
is stored in a type that converts to the contract type without parsing text:

| contract kind | stored DuckDB types taken in SQL | conversion |
|---|---|---|
| str | VARCHAR | ASCII whitespace trimmed, '' is NULL (as ``data.coerce``) |
| str | any integer type (numeric ids) | VARCHAR, the integer's digits |
| timestamp | TIMESTAMP, TIMESTAMP_S/_MS/_NS, DATE, TIMESTAMP WITH TIME ZONE | TIMESTAMP (µs), ns truncated; tz-aware values at their UTC wall clock |
| date | the timestamp types | as timestamp, floored to midnight |
| float | DOUBLE, FLOAT, DECIMAL, any integer type | DOUBLE; NaN is NULL |
| int | BIGINT, INTEGER, SMALLINT, TINYINT, UINTEGER, USMALLINT, UTINYINT | BIGINT |
| int | DOUBLE, FLOAT (ints written as floats because of missing values) | BIGINT; NaN is NULL; a fraction breaks 'whole number' |
| bool | BOOLEAN | — |
| bool | any integer type (0/1 flags) | 1 is true, 0 false; other numbers break 'true/false' |
| any | "NULL" (a column with no value at all) | cast |

Nanoseconds are truncated, as numpy does on the pandas path, not rounded as DuckDB's CAST does:
an event at t - 1 ns stays before the cutoff t.

Anything else (text holding dates or numbers, booleans as text, unsigned 64-bit ids …) needs
``data.coerce``'s parsing, so the whole table takes the pandas path.

Each conversion has a *plain* form, used by the served view when no stored value needs fixing
(a clean column stays a bare column reference, so DuckDB reads it straight from the file), and a
*typed* form that is always right; ``differs`` finds the rows where the two disagree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from data.coerce import TEXT_WHITESPACE
from data.contract import COLUMNS, ColumnSpec

SQL_TYPES = {"str": "VARCHAR", "timestamp": "TIMESTAMP", "date": "TIMESTAMP", "float": "DOUBLE",
             "int": "BIGINT", "bool": "BOOLEAN"}
_TIMESTAMPS = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE"}
_TZ = "TIMESTAMP WITH TIME ZONE"
_SMALL_INTS = {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UINTEGER", "USMALLINT", "UTINYINT"}
_INTS = _SMALL_INTS | {"UBIGINT", "HUGEINT", "UHUGEINT"}
_FLOATS = {"DOUBLE", "FLOAT"}
_ALL_NULL = '"NULL"'
_DECIMAL = re.compile(r"DECIMAL\(\d+,\d+\)")
_INT64_LIMIT = "9.2e18"  # inside int64 and exact in float64
WHOLE_NUMBER_RULE = "whole number"
TRUE_FALSE_RULE = "true/false"


@dataclass(frozen=True)
class SqlColumn:
    """One contract column as SQL expressions over the stored row."""

    spec: ColumnSpec
    typed: str  # the contract-typed value, always right
    plain: str  # equal to ``typed`` on every row where ``differs`` is not true
    differs: str | None = None  # rows whose stored value needs the fix ``typed`` applies
    bad: str | None = None  # rows whose stored value is not a value of the contract type
    rule: str = ""  # the rule ``bad`` rows break


def quote(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def fit_table(table: str, stored: dict[str, str]) -> tuple[dict[str, SqlColumn], dict[str, str]]:
    """SQL forms of the contract columns present in ``stored`` (name → DuckDB type), and the ones
    whose stored type SQL cannot take (name → stored type)."""
    fitted: dict[str, SqlColumn] = {}
    unfit: dict[str, str] = {}
    for col in COLUMNS[table]:
        if col.name not in stored:
            continue
        sql = sql_column(col, stored[col.name])
        if sql is None:
            unfit[col.name] = stored[col.name]
        else:
            fitted[col.name] = sql
    return fitted, unfit


def sql_column(col: ColumnSpec, stored_type: str) -> SqlColumn | None:
    """The SQL conversion of a column stored as ``stored_type``; None when it needs text parsing."""
    q = quote(col.name)
    target = SQL_TYPES[col.kind]
    if stored_type == _ALL_NULL:
        cast = f"CAST({q} AS {target})"
        return SqlColumn(col, cast, cast)
    if col.kind == "str":
        if stored_type in _INTS:
            cast = f"CAST({q} AS VARCHAR)"
            return SqlColumn(col, cast, cast)
        return _text(col, q) if stored_type == "VARCHAR" else None
    if col.kind in ("timestamp", "date"):
        return _timestamp(col, q, stored_type)
    if col.kind == "float":
        return _float(col, q, stored_type)
    if col.kind == "int":
        return _int(col, q, stored_type)
    if col.kind == "bool":
        return _bool(col, q, stored_type)
    raise AssertionError(col.kind)


def _text(col: ColumnSpec, q: str) -> SqlColumn:
    typed = f"nullif(trim({q}, {literal(TEXT_WHITESPACE)}), '')"
    # a first or last character below '!' (space, control characters) or an empty text: cheap to scan
    differs = f"({q} < '!' OR reverse({q}) < '!')"
    return SqlColumn(col, typed, q, differs)


def _timestamp(col: ColumnSpec, q: str, stored_type: str) -> SqlColumn | None:
    if stored_type == "TIMESTAMP":
        base = q
    elif stored_type == "TIMESTAMP_NS":
        # CAST rounds to the nearest µs (t - 1 ns would become t); truncation keeps "before t" true, as numpy
        base = f"make_timestamp(epoch_us({q}))"
    elif stored_type in _TIMESTAMPS:
        base = f"CAST({q} AS TIMESTAMP)"
    elif stored_type == _TZ:
        base = f"timezone('UTC', {q})"
    else:
        return None
    if col.kind == "timestamp" or stored_type == "DATE":
        return SqlColumn(col, base, base)
    floored = f"CAST(CAST({base} AS DATE) AS TIMESTAMP)"
    return SqlColumn(col, floored, base, f"({base} <> {floored})")


def _float(col: ColumnSpec, q: str, stored_type: str) -> SqlColumn | None:
    if stored_type in _FLOATS:
        base = q if stored_type == "DOUBLE" else f"CAST({q} AS DOUBLE)"
        return SqlColumn(col, f"(CASE WHEN isnan({base}) THEN NULL ELSE {base} END)", base, f"isnan({base})")
    if stored_type in _INTS or _DECIMAL.fullmatch(stored_type):
        cast = f"CAST({q} AS DOUBLE)"
        return SqlColumn(col, cast, cast)
    return None


def _int(col: ColumnSpec, q: str, stored_type: str) -> SqlColumn | None:
    if stored_type in _SMALL_INTS:
        cast = q if stored_type == "BIGINT" else f"CAST({q} AS BIGINT)"
        return SqlColumn(col, cast, cast)
    if stored_type in _FLOATS:
        whole = f"({q} = floor({q}) AND abs({q}) <= {_INT64_LIMIT})"
        typed = f"(CASE WHEN {whole} THEN CAST({q} AS BIGINT) END)"
        return SqlColumn(col, typed, typed, bad=f"(NOT isnan({q}) AND NOT {whole})", rule=WHOLE_NUMBER_RULE)
    return None


def _bool(col: ColumnSpec, q: str, stored_type: str) -> SqlColumn | None:
    if stored_type == "BOOLEAN":
        return SqlColumn(col, q, q)
    if stored_type in _INTS:
        typed = f"(CASE {q} WHEN 1 THEN true WHEN 0 THEN false END)"
        return SqlColumn(col, typed, typed, bad=f"({q} NOT IN (0, 1))", rule=TRUE_FALSE_RULE)
    return None
