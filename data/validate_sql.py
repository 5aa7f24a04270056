"""Check one stored table against the contract with SQL aggregates on DuckDB.

The same rules as ``data.coerce`` + ``data.schemas`` (not null, allowed values, ranges, finite
numbers of a summable size, unique ids and natural keys, the cross-column order rules, every ``account_id`` known in
``accounts``), with the same rule names, reported as the same ``Problem``. Rows stay where they are stored: DuckDB
scans them, and only counts and up to ``MAX_EXAMPLES`` example rows per broken rule come back,
numbered by their position in storage (as the pandas path numbers them) and ordered by it.
Type rules reduce to 'whole number' (ints written as floats): the other type rules of
``data.coerce`` are about parsing text, and the one-time-zone rule cannot be broken by a typed
timestamp column (it has one zone, or none: UTC), so those stay with the pandas path.

Cost per table: one aggregate scan counting every column rule at once (a second one only when
some text needs trimming, a date flooring or a NaN nulling), one scan per key hashing it for the
uniqueness checks, and one anti-join for the referential rule. Keys are checked by sorting their
64-bit hashes in numpy — 8 bytes a row, in passes of at most ``HASHES_PER_PASS`` rows — instead
of a DuckDB ``GROUP BY`` whose hash table needs ~50 bytes a row; colliding hashes are then
confirmed or cleared by an exact ``GROUP BY`` on the few candidate rows.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from data.contract import COLUMNS, NATURAL_KEYS
from data.problems import MAX_EXAMPLES, Problem
from data.schemas import (
    DAY_ORDER_RULES,
    ORDER_RULES,
    MAX_MAGNITUDE,
    RULE_FINITE,
    RULE_MAGNITUDE,
    RULE_KNOWN_ACCOUNT,
    RULE_NOT_NULL,
    RULE_UNIQUE,
    day_order_rule,
    key_rule,
    order_rule,
    range_rules,
    rule_one_of,
)
from data.sql_columns import SqlColumn, literal, quote
from data.stored_tables import StoredTable

HASHES_PER_PASS = 1 << 27  # 1 GiB of uint64 hashes at most in memory at once
_BATCH = 1 << 20
_COMPARE = {">=": ">=", ">": ">", "<=": "<="}


@dataclass(frozen=True)
class _Rule:
    column: str | None
    rule: str
    broken: str  # SQL predicate over the stored row
    stored_rows: bool = False  # show the stored values (a type problem), not the typed ones


@dataclass(frozen=True)
class SqlCheck:
    """What is wrong with one table, and the SELECT list that serves its typed rows."""

    problems: list[Problem]
    select: str


def check_stored(con: duckdb.DuckDBPyConnection, stored: StoredTable, columns: dict[str, SqlColumn],
                 known_accounts: str | None) -> SqlCheck:
    """Check ``stored`` whose contract columns convert as ``columns``.

    ``known_accounts`` is a SQL relation whose column ``known_id`` holds the valid ``account_id``
    values (None: no referential check, e.g. for ``accounts`` itself or when it has no ids). A
    column whose stored values break its type rule is not judged by its other rules (as in
    ``data.validate.check_frame``).
    """
    type_rules = [_Rule(c.spec.name, c.rule, c.bad, stored_rows=True) for c in columns.values() if c.bad]
    differs = {name: c.differs for name, c in columns.items() if c.differs}
    exprs = {name: c.plain for name, c in columns.items()}
    rules = _column_rules(stored.name, columns, exprs)
    counts = _count(con, stored.scan, [r.broken for r in type_rules] + list(differs.values()) + [r.broken for r in rules])
    type_counts = counts[: len(type_rules)]
    fixed = [name for name, n in zip(differs, counts[len(type_rules): len(type_rules) + len(differs)]) if n]
    rule_counts = counts[len(type_rules) + len(differs):]
    if fixed:  # some stored values need the full conversion: count again on the typed values
        exprs.update({name: columns[name].typed for name in fixed})
        rules = _column_rules(stored.name, columns, exprs)
        rule_counts = _count(con, stored.scan, [r.broken for r in rules])
    select = _select(stored, exprs)

    problems: list[Problem] = []
    type_failed = set()
    for rule, n in zip(type_rules, type_counts):
        if n:
            type_failed.add(rule.column)
            problems.append(_problem(con, stored, select, rule, n))
    for rule, n in zip(rules, rule_counts):
        if n and rule.column not in type_failed:
            problems.append(_problem(con, stored, select, rule, n))
    for key in _keys(stored.name, columns):
        problem = _duplicates(con, stored, select, exprs, key)
        if problem is not None and (len(key) > 1 or key[0] not in type_failed):
            problems.append(problem)
    if known_accounts is not None and "account_id" in columns and "account_id" not in type_failed:
        problem = _unknown_accounts(con, stored, select, exprs["account_id"], known_accounts)
        if problem is not None:
            problems.append(problem)
    return SqlCheck(problems=problems, select=select)


def _column_rules(table: str, columns: dict[str, SqlColumn], exprs: dict[str, str]) -> list[_Rule]:
    """Not null, allowed values, ranges, and the order rules, as predicates on the typed values."""
    rules: list[_Rule] = []
    for name, col in columns.items():
        spec, e = col.spec, exprs[name]
        if not spec.nullable:
            rules.append(_Rule(name, RULE_NOT_NULL, f"({e}) IS NULL"))
        if spec.allowed is not None:
            allowed = ", ".join(literal(a) for a in spec.allowed)
            rules.append(_Rule(name, rule_one_of(spec.allowed), f"({e}) NOT IN ({allowed})"))
        for rule, op, bound in range_rules(spec):
            rules.append(_Rule(name, rule, f"NOT (({e}) {_COMPARE[op]} {float(bound)!r})"))
        if spec.kind == "float":
            rules.append(_Rule(name, RULE_FINITE, f"isinf({e})"))
            rules.append(_Rule(name, RULE_MAGNITUDE, f"(NOT isinf({e}) AND abs({e}) > {MAX_MAGNITUDE!r})"))
    for later, earlier in ORDER_RULES.get(table, ()):
        if later in columns and earlier in columns:
            rules.append(_Rule(later, order_rule(later, earlier), f"({exprs[later]}) < ({exprs[earlier]})"))
    for later, earlier in DAY_ORDER_RULES.get(table, ()):
        if later in columns and earlier in columns:
            day = f"CAST(CAST({exprs[earlier]} AS DATE) AS TIMESTAMP)"
            rules.append(_Rule(later, day_order_rule(later, earlier), f"({exprs[later]}) < {day}"))
    return rules


def _keys(table: str, columns: dict[str, SqlColumn]) -> list[tuple[str, ...]]:
    keys = [(c.name,) for c in COLUMNS[table] if c.unique and c.name in columns]
    if table in NATURAL_KEYS and set(NATURAL_KEYS[table]) <= set(columns):
        keys.append(NATURAL_KEYS[table])
    return keys


def _count(con: duckdb.DuckDBPyConnection, scan: str, predicates: list[str]) -> list[int]:
    if not predicates:
        return []
    sql = "SELECT " + ", ".join(f"count_if({p})" for p in predicates) + f" FROM {scan}"
    return [int(n or 0) for n in con.execute(sql).fetchall()[0]]


def _select(stored: StoredTable, exprs: dict[str, str]) -> str:
    """Contract columns (typed, contract order) then the extra stored columns as stored."""
    typed = [f"{e} AS {quote(name)}" for name, e in _in_contract_order(stored.name, exprs)]
    extras = [quote(c) for c in stored.columns if c not in exprs]
    return ", ".join(typed + extras)


def _in_contract_order(table: str, exprs: dict[str, str]) -> list[tuple[str, str]]:
    return [(c.name, exprs[c.name]) for c in COLUMNS[table] if c.name in exprs]


def _problem(con: duckdb.DuckDBPyConnection, stored: StoredTable, select: str, rule: _Rule, n: int) -> Problem:
    shown = ", ".join(quote(c) for c in stored.columns) if rule.stored_rows else select
    examples = _examples(con, stored, shown, f"WHERE {rule.broken}")
    return Problem(table=stored.name, column=rule.column, rule=rule.rule, n_rows=n, examples=examples)


def _examples(con: duckdb.DuckDBPyConnection, stored: StoredTable, shown: str, where: str) -> pd.DataFrame:
    """Up to MAX_EXAMPLES rows, the first in storage order, indexed by their position in storage."""
    sql = (f"SELECT {stored.row_id} AS __upsell_row, {shown} FROM {stored.numbered_scan} {where} "
           f"ORDER BY {stored.row_id} LIMIT {MAX_EXAMPLES}")
    frame = con.execute(sql).df().set_index("__upsell_row")
    frame.index.name = None
    return frame


def _unknown_accounts(con: duckdb.DuckDBPyConnection, stored: StoredTable, select: str, account_id: str,
                      known: str) -> Problem | None:
    unknown = f"NOT EXISTS (SELECT 1 FROM {known} k WHERE k.known_id = ({account_id}))"
    n = con.execute(f"SELECT count(*) FROM {stored.scan} ANTI JOIN {known} k ON ({account_id}) = k.known_id").fetchall()[0][0]
    if not n:
        return None
    examples = _examples(con, stored, select, f"WHERE {unknown}")
    return Problem(table=stored.name, column="account_id", rule=RULE_KNOWN_ACCOUNT, n_rows=int(n), examples=examples)


def _duplicates(con: duckdb.DuckDBPyConnection, stored: StoredTable, select: str, exprs: dict[str, str],
                key: tuple[str, ...]) -> Problem | None:
    """Rows sharing a key with another row; a single-column id ignores missing values (as pandera)."""
    parts = [f"({exprs[k]})" for k in key]
    hashed = f"hash({', '.join(parts)})"
    present = f"{parts[0]} IS NOT NULL" if len(key) == 1 else "true"
    candidates = _colliding_hashes(con, stored, hashed, present)
    if candidates.size == 0:
        return None
    view = "__upsell_candidate_hashes"
    con.register(view, pa.table({"h": candidates}))
    try:
        keyed = ", ".join(f"{p} AS k{i}" for i, p in enumerate(parts))
        same = " AND ".join(f"c.k{i} IS NOT DISTINCT FROM d.k{i}" for i in range(len(key)))
        dup_rows = (
            f"WITH c AS (SELECT {stored.row_id} AS r, {keyed} FROM {stored.numbered_scan} "
            f"WHERE {present} AND {hashed} IN (SELECT h FROM {view})), "
            f"d AS (SELECT {', '.join(f'k{i}' for i in range(len(key)))} FROM c GROUP BY ALL HAVING count(*) > 1) "
            f"SELECT r FROM c SEMI JOIN d ON {same}"
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE __upsell_dup_rows AS {dup_rows}")
        n = con.execute("SELECT count(*) FROM __upsell_dup_rows").fetchall()[0][0]
        examples = None
        if n:
            examples = _examples(con, stored, select, f"WHERE {stored.row_id} IN (SELECT r FROM __upsell_dup_rows)")
        con.execute("DROP TABLE __upsell_dup_rows")
    finally:
        con.unregister(view)
    if not n:
        return None  # hash collisions only
    column, rule = (key[0], RULE_UNIQUE) if len(key) == 1 else (None, key_rule(key))
    return Problem(table=stored.name, column=column, rule=rule, n_rows=int(n), examples=examples)


def _colliding_hashes(con: duckdb.DuckDBPyConnection, stored: StoredTable, hashed: str, present: str) -> np.ndarray:
    """Hash values shared by two or more rows (a superset of the duplicated keys' hashes)."""
    passes = max(1, -(-stored.n_rows // HASHES_PER_PASS))
    per_pass = -(-stored.n_rows // passes)
    capacity = stored.n_rows if passes == 1 else per_pass + per_pass // 16 + 1024
    found = []
    for i in range(passes):
        part = f" AND {hashed} % {passes} = {i}" if passes > 1 else ""
        hashes = _fetch_hashes(con, f"SELECT {hashed} AS h FROM {stored.scan} WHERE {present}{part}", capacity)
        hashes.sort()
        same = hashes[1:] == hashes[:-1]
        if same.any():
            found.append(np.unique(hashes[1:][same]))
        del hashes
    return np.concatenate(found) if found else np.empty(0, dtype=np.uint64)


def _fetch_hashes(con: duckdb.DuckDBPyConnection, sql: str, capacity: int) -> np.ndarray:
    out = np.empty(capacity, dtype=np.uint64)
    n = 0
    for batch in con.sql(sql).to_arrow_reader(_BATCH):
        values = batch.column(0).to_numpy(zero_copy_only=False)
        if n + len(values) > len(out):  # an uneven split of the hash space: grow rather than fail
            out = np.resize(out, max(2 * len(out), n + len(values)))
        out[n: n + len(values)] = values
        n += len(values)
    return out[:n]
