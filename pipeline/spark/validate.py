"""Validate source tables on Spark against ``data.contract``: every rule as SQL, one pass per table.

The checks are generated from the contract (``COLUMNS``, ``NATURAL_KEYS``, the order rules and the
referential rule of ``data.schemas``), so the Spark engine enforces exactly what the pandas/pandera
path enforces, with the same rule names, and reports them as the same ``data.problems.Problem``.
Nothing is collected to the driver but rule counts and up to five example rows per broken rule.

The pandas path numbers example rows by file position; a distributed read has no such position,
so Spark examples are indexed by ``spark_row_id`` (``monotonically_increasing_id``: increasing
within a file, not contiguous). The key columns in the example rows identify them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window

from data.contract import COLUMNS, NATURAL_KEYS, REQUIRED_TABLES, TABLE_NAMES
from data.problems import MAX_EXAMPLES, Problem
from data.schemas import _ORDER_RULES as ORDER_RULES  # one definition of the cross-column rules
from data.schemas import RULE_KNOWN_ACCOUNT, RULE_NOT_NULL, RULE_UNIQUE
from pipeline.spark.coerce import MIXED_OFFSETS_RULE, CoercedColumn, coerce_columns

ROW_ID = "spark_row_id"


@dataclass
class SparkValidation:
    """Typed Spark DataFrames (contract columns only) plus every problem and note found."""

    frames: dict[str, DataFrame]
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Rule:
    column: str | None
    rule: str
    broken: Column
    involves: tuple[str, ...] = ()


def validate_spark(raw: dict[str, DataFrame]) -> SparkValidation:
    """Coerce and check every table present in ``raw``; missing optional tables are fine, empty ones noted."""
    report = SparkValidation(frames={})
    for name in REQUIRED_TABLES:
        if name not in raw:
            report.problems.append(Problem(table=name, column=None, rule="required table present",
                                           detail="no file or table for it in the data source"))
    typed: dict[str, tuple[DataFrame, list[CoercedColumn]]] = {}  # raw frame, typed expressions
    for name in TABLE_NAMES:
        if name not in raw:
            continue
        frame = raw[name]
        present = frame.columns
        for spec in COLUMNS[name]:
            if spec.required and spec.name not in present:
                report.problems.append(Problem(table=name, column=spec.name, rule="required column present",
                                               detail=f"columns found: {', '.join(present)}"))
        extras = [c for c in present if c not in {s.name for s in COLUMNS[name]}]
        if extras:
            report.notes.append(f"{name}: extra column(s) {', '.join(extras)} kept and ignored")
        typed[name] = (frame, coerce_columns(name, frame))

    account_ids = None
    if "accounts" in typed and any(c.spec.name == "account_id" for c in typed["accounts"][1]):
        acc_frame, acc_cols = typed["accounts"]
        acc_id = next(c.value for c in acc_cols if c.spec.name == "account_id")
        account_ids = acc_frame.select(acc_id.alias("__known_id")).where(F.col("__known_id").isNotNull()).distinct()

    for name, (frame, cols) in typed.items():
        checked, n_rows, problems = _check_table(name, frame, cols, account_ids)
        if n_rows == 0:  # no rows, no rule can be broken
            if name in REQUIRED_TABLES:
                report.problems.append(Problem(table=name, column=None, rule="at least one row", n_rows=0))
            else:
                report.notes.append(f"{name}: the table is empty; its features are left out")
            continue
        report.problems.extend(problems)
        report.frames[name] = checked
    return report


def _check_table(name: str, frame: DataFrame, cols: list[CoercedColumn],
                 account_ids: DataFrame | None) -> tuple[DataFrame, int, list[Problem]]:
    # row ids only for the checks: a nondeterministic column under the tables' views breaks Spark's
    # optimizer in later joins ("key not found"), so the typed frame is built from the raw one
    values = frame.withColumn(ROW_ID, F.monotonically_increasing_id()).select(
        F.col(ROW_ID),
        *[c.value.alias(c.spec.name) for c in cols],
        *[c.bad.alias(f"__bad_{c.spec.name}") for c in cols if c.bad is not None],
        *[c.zone.alias(f"__zone_{c.spec.name}") for c in cols if c.zone is not None],
        *[F.col(f"`{c.spec.name}`").alias(f"__raw_{c.spec.name}") for c in cols],
    )
    present = {c.spec.name for c in cols}
    if account_ids is not None and name != "accounts" and "account_id" in present:
        known = account_ids.select(F.col("__known_id").alias("account_id"), F.lit(True).alias("__known"))
        values = values.join(known, on="account_id", how="left")
    for key in _unique_keys(name, present):
        label = "__dup_" + "_".join(key)
        values = values.withColumn(label, F.count(F.lit(1)).over(Window.partitionBy(*key)))

    mixed = _mixed_offset_rules(values, cols)
    coerce_rules = [_Rule(c.spec.name, c.rule, F.col(f"__bad_{c.spec.name}")) for c in cols if c.bad is not None]
    coerce_rules += mixed
    schema_rules = _schema_rules(name, cols, present, account_ids is not None and name != "accounts")
    rules = coerce_rules + schema_rules
    counts = values.agg(F.count(F.lit(1)).alias("n_rows"),
                        *[F.sum(r.broken.cast("int")).alias(f"r{i}") for i, r in enumerate(rules)]).first()
    broken_coerce = {r.column for i, r in enumerate(coerce_rules) if (counts[f"r{i}"] or 0) > 0}
    # as in data.coerce, a column mixing offsets is unusable as a whole: no rule can be judged on it
    unusable = {r.column for r in mixed}
    shown = [f"__raw_{c.spec.name}" for c in cols]
    problems = []
    for i, r in enumerate(rules):
        n = int(counts[f"r{i}"] or 0)
        if n == 0 or (i >= len(coerce_rules) and (r.column in broken_coerce or unusable & set(r.involves))):
            continue
        examples = (values.where(r.broken).orderBy(ROW_ID).limit(MAX_EXAMPLES).select(ROW_ID, *shown).toPandas()
                    .set_index(ROW_ID).rename(columns=lambda c: c.removeprefix("__raw_")))
        problems.append(Problem(table=name, column=r.column, rule=r.rule, n_rows=n, examples=examples))
    checked = frame.select(*[c.value.alias(c.spec.name) for c in cols])
    return checked, int(counts["n_rows"]), problems


def _mixed_offset_rules(values: DataFrame, cols: list[CoercedColumn]) -> list[_Rule]:
    """One rule per text timestamp column that mixes offsets: rows not in its most common zone break it."""
    zoned = [c.spec.name for c in cols if c.zone is not None]
    if not zoned:
        return []
    distinct = values.agg(*[F.count_distinct(F.col(f"__zone_{z}")).alias(z) for z in zoned]).first()
    rules = []
    for z in zoned:
        if (distinct[z] or 0) <= 1:
            continue
        col = F.col(f"__zone_{z}")
        mode = (values.where(col.isNotNull()).groupBy(col.alias("zone")).count()
                .orderBy(F.desc("count"), F.asc("zone")).first()["zone"])
        rules.append(_Rule(z, MIXED_OFFSETS_RULE, col.isNotNull() & (col != F.lit(mode))))
    return rules


def _unique_keys(name: str, present: set[str]) -> list[tuple[str, ...]]:
    keys = [(c.name,) for c in COLUMNS[name] if c.unique and c.name in present]
    if name in NATURAL_KEYS and set(NATURAL_KEYS[name]) <= present:
        keys.append(NATURAL_KEYS[name])
    return keys


def _schema_rules(name: str, cols: list[CoercedColumn], present: set[str], referential: bool) -> list[_Rule]:
    """The pandera schema's rules (``data.schemas.table_schema``) as Spark boolean columns."""
    rules: list[_Rule] = []
    for c in cols:
        spec, v = c.spec, F.col(c.spec.name)
        parsed = v.isNotNull()
        if not spec.nullable:
            broken = v.isNull() if c.bad is None else (v.isNull() & ~F.col(f"__bad_{spec.name}"))
            rules.append(_Rule(spec.name, RULE_NOT_NULL, broken))
        if spec.allowed is not None:
            rules.append(_Rule(spec.name, f"one of {', '.join(spec.allowed)}", parsed & ~v.isin(*spec.allowed)))
        if spec.ge is not None:
            rules.append(_Rule(spec.name, f">= {spec.ge:g}", parsed & (v < spec.ge)))
        if spec.gt is not None:
            rules.append(_Rule(spec.name, f"> {spec.gt:g}", parsed & (v <= spec.gt)))
        if spec.le is not None:
            rules.append(_Rule(spec.name, f"<= {spec.le:g}", parsed & (v > spec.le)))
        if spec.unique:
            rules.append(_Rule(spec.name, RULE_UNIQUE, parsed & (F.col(f"__dup_{spec.name}") > 1)))
    for later, earlier in ORDER_RULES.get(name, ()):
        if later in present and earlier in present:
            rules.append(_Rule(later, f"{later} >= {earlier}", F.col(later) < F.col(earlier), (later, earlier)))
    if name in NATURAL_KEYS and set(NATURAL_KEYS[name]) <= present:
        key = NATURAL_KEYS[name]
        rules.append(_Rule(None, f"unique ({', '.join(key)})", F.col("__dup_" + "_".join(key)) > 1))
    if referential:
        rules.append(_Rule("account_id", RULE_KNOWN_ACCOUNT, F.col("__known").isNull()))
    return rules
