"""Validate raw source tables against the contract and report every problem at once.

A user fixing an export wants the whole list, not one error per run: every table is coerced and
checked lazily, and each broken rule becomes one ``Problem`` with up to five example rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa

from data.coerce import coerce_table
from data.contract import COLUMNS, REQUIRED_TABLES, TABLE_NAMES
from data.problems import MAX_EXAMPLES, Problem
from data.schemas import RULE_NOT_NULL, RULE_UNIQUE, table_schema

_PANDERA_RULES = {"not_nullable": RULE_NOT_NULL, "field_uniqueness": RULE_UNIQUE}


@dataclass
class ValidationReport:
    """Typed tables plus what is wrong with them (``problems``) and what was noticed (``notes``)."""

    frames: dict[str, pd.DataFrame]
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


def validate_frames(raw: dict[str, pd.DataFrame]) -> ValidationReport:
    """Coerce and check every table; missing optional tables and empty ones are noted, not errors."""
    report = ValidationReport(frames={})
    for name in REQUIRED_TABLES:
        if name not in raw:
            report.problems.append(Problem(table=name, column=None, rule="required table present",
                                           detail="no file for it in the data source"))
    typed: dict[str, pd.DataFrame] = {}
    coerce_failed: set[tuple[str, str]] = set()
    for name in TABLE_NAMES:
        if name not in raw:
            continue
        frame = raw[name]
        if frame.empty:
            if name in REQUIRED_TABLES:
                report.problems.append(Problem(table=name, column=None, rule="at least one row", n_rows=0))
            else:
                report.notes.append(f"{name}: the table is empty; its features are left out")
            continue
        missing = [c.name for c in COLUMNS[name] if c.required and c.name not in frame.columns]
        for col in missing:
            report.problems.append(
                Problem(table=name, column=col, rule="required column present",
                        detail=f"columns found: {', '.join(map(str, frame.columns))}")
            )
        extras = [c for c in frame.columns if c not in {s.name for s in COLUMNS[name]}]
        if extras:
            report.notes.append(f"{name}: extra column(s) {', '.join(map(str, extras))} kept and ignored")
        frame, problems = coerce_table(name, frame)
        report.problems.extend(problems)
        coerce_failed |= {(p.table, p.column) for p in problems if p.column}
        typed[name] = frame
    account_ids = None
    if "accounts" in typed and "account_id" in typed["accounts"]:
        account_ids = pd.Index(typed["accounts"]["account_id"].dropna().unique())
    for name, frame in typed.items():
        schema = table_schema(name, list(frame.columns), account_ids)
        report.problems.extend(p for p in _schema_problems(name, schema, frame) if (p.table, p.column) not in coerce_failed)
    report.frames = typed
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
