"""Pandera schemas for the six source tables, generated from ``data.contract``.

The schemas check what a column-by-column type coercion cannot: nullability, allowed values,
ranges, uniqueness, and the cross-column and cross-table rules of the contract (every
``account_id`` known in ``accounts``; ``closed_at >= opened_at``; a plan period does not end
before it starts; an offer's outcome is not dated a day before the offer). Types themselves are
settled by ``data.coerce`` before validation, so a type problem is reported once, with the values
that would not parse.

The rule names (``RULE_*``, ``rule_one_of``, ``range_rules``, ``order_rule``, ``day_order_rule``,
``key_rule``) are shared with the SQL checks of ``data.validate_sql`` and the Spark engine, so
every engine reports a broken rule in the same words.
"""
from __future__ import annotations


import numpy as np
import pandas as pd
import pandera.pandas as pa

from data.contract import COLUMNS, NATURAL_KEYS, ColumnSpec

# Rule names as users read them in error messages.
RULE_NOT_NULL = "not null"
RULE_UNIQUE = "unique"
RULE_KNOWN_ACCOUNT = "account_id exists in accounts"
RULE_FINITE = "finite number"  # inf/-inf (text 'inf', 'Infinity', or a float column) poisons every sum
# Features sum amounts exactly as DECIMAL(38, 9): a value beyond this (a sentinel like 1e30, a unit
# mix-up) cannot be summed; real amounts, usage counts and quotas are far below it.
MAX_MAGNITUDE = 1e18
RULE_MAGNITUDE = f"abs <= {MAX_MAGNITUDE:g}"


def rule_one_of(allowed: tuple[str, ...]) -> str:
    """The rule name of an allowed-values check."""
    return f"one of {', '.join(allowed)}"


def range_rules(col: ColumnSpec) -> list[tuple[str, str, float]]:
    """``(rule name, comparison a valid value passes, bound)`` for each range bound of ``col``."""
    bounds = ((">=", col.ge), (">", col.gt), ("<=", col.le))
    return [(f"{op} {bound:g}", op, bound) for op, bound in bounds if bound is not None]


def order_rule(later: str, earlier: str) -> str:
    """The rule name of a cross-column order check (``later`` may not precede ``earlier``)."""
    return f"{later} >= {earlier}"


def day_order_rule(later: str, earlier: str) -> str:
    """The rule name of a cross-column order check to the day (``later`` may be earlier than
    ``earlier`` on the same calendar day, never on a day before)."""
    return f"{later} >= {earlier} (same day allowed)"


def key_rule(key: tuple[str, ...]) -> str:
    """The rule name of a multi-column uniqueness check."""
    return f"unique ({', '.join(key)})"


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
        checks.append(pa.Check.isin(list(col.allowed), error=rule_one_of(col.allowed)))
    make = {">=": pa.Check.ge, ">": pa.Check.gt, "<=": pa.Check.le}
    checks += [make[op](bound, error=name) for name, op, bound in range_rules(col)]
    if col.kind == "float":
        checks.append(pa.Check(lambda s: ~s.isin([np.inf, -np.inf]), name=RULE_FINITE, error=RULE_FINITE))
        checks.append(pa.Check(lambda s: ~(np.isfinite(s) & (s.abs() > MAX_MAGNITUDE)),
                               name=RULE_MAGNITUDE, error=RULE_MAGNITUDE))
    return checks


def _ordered(later: str, earlier: str) -> pa.Check:
    def check(df: pd.DataFrame) -> pd.Series:
        return df[later].isna() | df[earlier].isna() | (df[later] >= df[earlier])

    return pa.Check(check, name=order_rule(later, earlier), error=order_rule(later, earlier))


def _ordered_by_day(later: str, earlier: str) -> pa.Check:
    def check(df: pd.DataFrame) -> pd.Series:
        return df[later].isna() | df[earlier].isna() | (df[later] >= df[earlier].dt.floor("D"))

    return pa.Check(check, name=day_order_rule(later, earlier), error=day_order_rule(later, earlier))


# Cross-column rules ``(later, earlier)``, applied only when both columns are present.
ORDER_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "support_tickets": (("closed_at", "opened_at"),),
    "subscriptions": (("ended_at", "started_at"),),
}
_ORDER_RULES = ORDER_RULES  # the name pipeline/spark/validate.py imports
# Cross-column rules ``(later, earlier)`` compared to the day: ``later`` may not fall before the
# (UTC) calendar day of ``earlier``. CRM exports often give an offer's outcome as a date alone
# (midnight) while the offer has a time of day, so an outcome recorded on the offer's own day is
# kept. Kept apart from ORDER_RULES, whose pairs the engines compare instant by instant.
DAY_ORDER_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "offers": (("outcome_at", "offered_at"),),
}


def _known_account(ids: pd.Index) -> pa.Check:
    def check(df: pd.DataFrame) -> pd.Series:
        return df["account_id"].isin(ids)

    return pa.Check(check, name=RULE_KNOWN_ACCOUNT, error=RULE_KNOWN_ACCOUNT)


def _unique_key(key: tuple[str, ...]) -> pa.Check:
    def check(df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(list(key), keep=False)

    return pa.Check(check, name=key_rule(key), error=key_rule(key))


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
        for later, earlier in ORDER_RULES.get(table, ())
        if later in present and earlier in present
    ]
    frame_checks += [
        _ordered_by_day(later, earlier)
        for later, earlier in DAY_ORDER_RULES.get(table, ())
        if later in present and earlier in present
    ]
    if table in NATURAL_KEYS and set(NATURAL_KEYS[table]) <= present:
        frame_checks.append(_unique_key(NATURAL_KEYS[table]))
    if account_ids is not None and table != "accounts" and "account_id" in present:
        frame_checks.append(_known_account(account_ids))
    return pa.DataFrameSchema(columns, checks=frame_checks, name=table, strict=False, coerce=False)


