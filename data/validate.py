"""Validate source tables against the contract and report every problem at once.

A user fixing an export wants the whole list, not one error per run: every table is checked
lazily, and each broken rule becomes one ``Problem`` with up to five example rows.

This module is the in-memory (pandas + pandera) path: ``validate_frames`` for frames already in
memory, ``check_frame`` for one table. ``data.load`` runs it for the tables it cannot check where
they are stored (CSV, or parquet columns that need parsing); ``data.validate_sql`` checks the
others with SQL on DuckDB, with the same rules and rule names.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import pandas as pd
import pandera.pandas as pa

from data.coerce import coerce_table
from data.contract import COLUMNS, NATURAL_KEYS, REQUIRED_TABLES, TABLE_NAMES
from data.problems import MAX_EXAMPLES, Problem
from data.schemas import RULE_NOT_NULL, RULE_UNIQUE, key_rule, table_schema

_PANDERA_RULES = {"not_nullable": RULE_NOT_NULL, "field_uniqueness": RULE_UNIQUE}
RULE_COLUMN_SPELLING = "column name spelt as in the contract"
RULE_DISTINCT_NAMES = "column names differ by more than case"
RULE_AT_LEAST_ONE_ROW = "at least one row"  # rendered as "the table has no rows" (n_rows 0)


@dataclass(frozen=True)
class CheckedTable:
    """One validated source table as it is served downstream: an ibis table on DuckDB.

    ``engine`` says where its rules were checked: ``"duckdb"`` (SQL where the rows are stored; the
    table is a view over the file) or ``"pandas"`` (parsed and checked in memory, then copied into
    DuckDB). ``len()`` is its row count, known without a query.
    """

    table: ibis.Table
    n_rows: int
    engine: str

    def __len__(self) -> int:
        return self.n_rows

    def to_pandas(self) -> pd.DataFrame:
        """Materialise the table (for small data and the edges: reports, notebooks)."""
        return self.table.to_pandas()


@dataclass
class ValidationReport:
    """Typed tables plus what is wrong with them (``problems``) and what was noticed (``notes``).

    ``frames`` holds pandas frames when the report comes from ``validate_frames`` and
    ``CheckedTable`` s (ibis tables on DuckDB) when it comes from ``data.load.validate_source``;
    both have ``len()``.
    """

    frames: dict[str, pd.DataFrame | CheckedTable]
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "tables": {name: int(len(df)) for name, df in self.frames.items()},
            "problems": [p.as_dict() for p in self.problems],
            "notes": list(self.notes),
        }


def missing_tables(present: set[str] | dict) -> list[Problem]:
    """A problem for each required table the source does not have."""
    return [Problem(table=name, column=None, rule="required table present", detail="no file for it in the data source")
            for name in REQUIRED_TABLES if name not in present]


def shape_problems(name: str, columns: list[str], n_rows: int) -> tuple[list[Problem], list[str], bool]:
    """Problems and notes about a table's shape, and whether its rows are worth checking.

    An empty required table is a problem and an empty optional one a note (its features are left
    out); a missing required column is a problem, and so is a contract column spelt in another case
    or with spaces around it; other extra columns are noted and kept.
    """
    if n_rows == 0:
        if name in REQUIRED_TABLES:
            return [Problem(table=name, column=None, rule=RULE_AT_LEAST_ONE_ROW, n_rows=0)], [], False
        return [], [f"{name}: the table is empty; its features are left out"], False
    clashes = _case_clashes(columns)
    if clashes:  # databases (DuckDB, Spark, Postgres) take them for one column: nothing else can be judged
        return [Problem(table=name, column=None, rule=RULE_DISTINCT_NAMES,
                        detail=f"found {' and '.join(repr(c) for c in group)}; keep one of them")
                for group in clashes], [], False
    known = {s.name for s in COLUMNS[name]}
    misspelt = _misspelt_columns(columns, known)
    problems = [
        Problem(table=name, column=c.name, rule="required column present",
                detail=f"columns found: {', '.join(map(str, columns))}")
        for c in COLUMNS[name] if c.required and c.name not in columns and c.name not in misspelt.values()
    ]
    problems += [
        Problem(table=name, column=contract_name, rule=RULE_COLUMN_SPELLING,
                detail=f"found {found!r}; rename it to {contract_name!r}")
        for found, contract_name in misspelt.items()
    ]
    extras = [str(c) for c in columns if c not in known and c not in misspelt]
    notes = [f"{name}: extra column(s) {', '.join(extras)} kept and ignored"] if extras else []
    return problems, notes, True


def _case_clashes(columns: list) -> list[list[str]]:
    """Groups of column names that differ only in case or surrounding spaces (``account_id`` and
    ``Account_ID``), in the order found."""
    groups: dict[str, list[str]] = {}
    for column in columns:
        groups.setdefault(str(column).strip().lower(), []).append(str(column))
    return [group for group in groups.values() if len(group) > 1]


def _misspelt_columns(columns: list, known: set[str]) -> dict[str, str]:
    """Columns that are a contract column in another case or with spaces around it (``Account_ID``,
    `` plan_tier ``) while the contract spelling itself is absent: found name → contract name.
    Taking them as extras would quietly drop a column the user meant to give."""
    out: dict[str, str] = {}
    for column in columns:
        folded = str(column).strip().lower()
        if column not in known and folded in known and folded not in columns:
            out[str(column)] = folded
    return out


def account_ids_of(accounts: pd.DataFrame | None) -> pd.Index | None:
    """The known account ids for the referential rule (None: no ``accounts.account_id`` to check against)."""
    if accounts is None or "account_id" not in accounts:
        return None
    return pd.Index(accounts["account_id"].dropna().unique())


def check_frame(name: str, raw: pd.DataFrame, account_ids: pd.Index | None) -> tuple[pd.DataFrame, list[Problem]]:
    """Coerce one table to the contract's types and check it with its pandera schema.

    A column whose values would not parse is reported once, by the coercion; its schema rules
    are not judged on the values that are left, nor is a key it is part of (its unparsed values
    are all missing, so every row would look like a duplicate of the others).
    """
    typed, problems = coerce_table(name, raw)
    failed = {p.column for p in problems if p.column}
    schema = table_schema(name, list(typed.columns), account_ids)
    key = NATURAL_KEYS.get(name, ())
    unjudged = {key_rule(key)} if failed & set(key) else set()
    problems += [p for p in _schema_problems(name, schema, typed) if p.column not in failed and p.rule not in unjudged]
    return typed, problems


def validate_frames(raw: dict[str, pd.DataFrame]) -> ValidationReport:
    """Coerce and check every table; missing optional tables and empty ones are noted, not errors."""
    report = ValidationReport(frames={}, problems=missing_tables(raw))
    account_ids = None
    for name in TABLE_NAMES:  # accounts first: the other tables' ids are checked against it
        if name not in raw:
            continue
        frame = raw[name]
        problems, notes, check_rows = shape_problems(name, list(frame.columns), len(frame))
        report.problems += problems
        report.notes += notes
        if not check_rows:
            continue
        typed, problems = check_frame(name, frame, account_ids)
        report.problems += problems
        report.frames[name] = typed
        if name == "accounts":
            account_ids = account_ids_of(typed)
    return report


def _schema_problems(name: str, schema: pa.DataFrameSchema, frame: pd.DataFrame) -> list[Problem]:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        return _group_failures(name, err.failure_cases, frame)
    return []


def _group_failures(name: str, cases: pd.DataFrame, frame: pd.DataFrame) -> list[Problem]:
    cases = cases[cases["check"] != "column_in_dataframe"]
    problems = []
    frame_level = cases["schema_context"] == "DataFrameSchema"
    for (column, check), group in cases[~frame_level].groupby(["column", "check"], sort=False):
        problems.append(_problem(name, str(column), _PANDERA_RULES.get(str(check), str(check)), group, frame))
    for check, group in cases[frame_level].groupby("check", sort=False):
        rule = str(check)
        column = rule.split(" ")[0] if rule.split(" ")[0] in frame.columns else None
        problems.append(_problem(name, column, rule, group.drop_duplicates("index"), frame))
    return problems


def _problem(table: str, column: str | None, rule: str, group: pd.DataFrame, frame: pd.DataFrame) -> Problem:
    idx = pd.Index(group["index"].dropna().unique())
    examples = frame.loc[frame.index.intersection(idx)].head(MAX_EXAMPLES) if len(idx) else None
    if examples is None:
        detail = "values: " + ", ".join(map(str, group["failure_case"].head(MAX_EXAMPLES)))
        return Problem(table=table, column=column, rule=rule, detail=detail)
    return Problem(table=table, column=column, rule=rule, n_rows=len(idx), examples=examples)
