"""Pandera schemas for the six source tables, generated from ``data.contract``.

The schemas check what a column-by-column type coercion cannot: nullability, allowed values,
ranges, uniqueness, and the cross-column and cross-table rules of the contract (every
``account_id`` known in ``accounts``; ``closed_at >= opened_at``; a plan period does not end
before it starts). Types themselves are settled by ``data.coerce`` before validation, so a type
problem is reported once, with the values that would not parse.
"""
from __future__ import annotations


import pandas as pd
import pandera.pandas as pa

from data.contract import COLUMNS, NATURAL_KEYS, ColumnSpec

# Rule names as users read them in error messages.
RULE_NOT_NULL = "not null"
RULE_UNIQUE = "unique"
RULE_KNOWN_ACCOUNT = "account_id exists in accounts"

_DTYPES = {
    "str": "str",
    "timestamp": "datetime64[us]",
    "date": "datetime64[us]",
    "float": "float64",
    "int": "Int64",
    "bool": "boolean",
}


def _column_checks(col: ColumnSpec) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if col.allowed is not None:
        checks.append(pa.Check.isin(list(col.allowed), error=f"one of {', '.join(col.allowed)}"))
    if col.ge is not None:
        checks.append(pa.Check.ge(col.ge, error=f">= {col.ge:g}"))
    if col.gt is not None:
        checks.append(pa.Check.gt(col.gt, error=f"> {col.gt:g}"))
    if col.le is not None:
        checks.append(pa.Check.le(col.le, error=f"<= {col.le:g}"))
    return checks


def _ordered(later: str, earlier: str) -> pa.Check:
    def check(df: pd.DataFrame) -> pd.Series:
        return df[later].isna() | df[earlier].isna() | (df[later] >= df[earlier])

    return pa.Check(check, name=f"{later} >= {earlier}", error=f"{later} >= {earlier}")


# Cross-column rules, applied only when both columns are present.
_ORDER_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "support_tickets": (("closed_at", "opened_at"),),
    "subscriptions": (("ended_at", "started_at"),),
}


def _known_account(ids: pd.Index) -> pa.Check:
    def check(df: pd.DataFrame) -> pd.Series:
        return df["account_id"].isin(ids)

    return pa.Check(check, name=RULE_KNOWN_ACCOUNT, error=RULE_KNOWN_ACCOUNT)


def _unique_key(key: tuple[str, ...]) -> pa.Check:
    def check(df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(list(key), keep=False)

    name = f"unique ({', '.join(key)})"
    return pa.Check(check, name=name, error=name)


def table_schema(
    table: str,
    present_columns: list[str] | None = None,
    account_ids: pd.Index | None = None,
) -> pa.DataFrameSchema:
    """The pandera schema of one contract table.

    ``present_columns`` limits cross-column rules to columns the data has (optional columns may
    be absent); ``account_ids`` turns on the referential check against ``accounts``.
    """
    present = set(present_columns) if present_columns is not None else {c.name for c in COLUMNS[table]}
    columns = {
        c.name: pa.Column(
            _DTYPES[c.kind],
            checks=_column_checks(c),
            nullable=c.nullable,
            unique=c.unique,
            required=c.required,
            coerce=False,
        )
        for c in COLUMNS[table]
    }
    frame_checks: list[pa.Check] = [
        _ordered(later, earlier)
        for later, earlier in _ORDER_RULES.get(table, ())
        if later in present and earlier in present
    ]
    if table in NATURAL_KEYS and set(NATURAL_KEYS[table]) <= present:
        frame_checks.append(_unique_key(NATURAL_KEYS[table]))
    if account_ids is not None and table != "accounts" and "account_id" in present:
        frame_checks.append(_known_account(account_ids))
    return pa.DataFrameSchema(columns, checks=frame_checks, name=table, strict=False, coerce=False)


