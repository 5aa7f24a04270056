"""Validate source tables on Spark against ``data.contract``: every rule as SQL, one pass per table.

The checks are generated from the contract (``COLUMNS``, ``NATURAL_KEYS``, the order rules and the
referential rule of ``data.schemas``), so the Spark engine enforces exactly what the pandas/pandera
and DuckDB paths enforce, with the rule names they use (imported, never retyped), and reports them
as the same ``data.problems.Problem``: the table-shape rules of ``data.validate.shape_problems``
(an empty table, a missing column, a contract column spelt in another case or with spaces), the
type rules of ``pipeline.spark.coerce``, and the schema rules (not null, allowed values, ranges,
finite numbers of a summable size, unique ids and keys, order, known accounts). A column whose
values would not parse is judged by that rule alone, as in ``data.validate.check_frame``. The
referential rule is judged only against an ``accounts`` table that has rows.

A CSV file read by ``pipeline.spark.load`` carries two checks of the file itself in the same pass:
a value beyond the header's last column, and text that was not UTF-8 (Spark decodes it to U+FFFD;
``pipeline.spark.load.csv_read_problem`` confirms it on the raw bytes). Either makes the table a
'readable CSV with a header row file' problem, as the pandas reader raises it.

Nothing is collected to the driver but rule counts and up to five example rows per broken rule.
The pandas path numbers example rows by file position. A CSV file is read whole by one task, so
its ``spark_row_id`` (``monotonically_increasing_id``) is that position too; a parquet file or
table is read in parallel splits, so its ids increase within a split but are not contiguous. The
key columns in the example rows identify them.
"""
from __future__ import annotations

import functools
import operator
from collections.abc import Collection
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window

from data.contract import COLUMNS, NATURAL_KEYS, REQUIRED_TABLES, TABLE_NAMES
from data.problems import MAX_EXAMPLES, Problem
from data.schemas import (
    DAY_ORDER_RULES,
    MAX_MAGNITUDE,
    ORDER_RULES,
    RULE_FINITE,
    RULE_KNOWN_ACCOUNT,
    RULE_MAGNITUDE,
    RULE_NOT_NULL,
    RULE_UNIQUE,
    day_order_rule,
    key_rule,
    order_rule,
    range_rules,
    rule_one_of,
)
from data.validate import shape_problems
from pipeline.spark.coerce import MIXED_OFFSETS_RULE, CoercedColumn, coerce_frame
from pipeline.spark.load import BEYOND_HEADER, csv_read_problem

ROW_ID = "spark_row_id"
_REPLACEMENT_CHARACTER = "\ufffd"  # what Spark's CSV reader makes of bytes that are not UTF-8
_INFINITY = float("inf")
_COMPARE = {">=": operator.ge, ">": operator.gt, "<=": operator.le}


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


@dataclass(frozen=True)
class _TableCheck:
    checked: DataFrame
    n_rows: int
    problems: list[Problem]
    unreadable: Problem | None = None  # a CSV file the pandas reader would refuse: its rows are not judged


def validate_spark(raw: dict[str, DataFrame], unreadable: Collection[str] = ()) -> SparkValidation:
    """Coerce and check every table present in ``raw``; missing optional tables are fine, empty ones noted.

    ``unreadable`` names tables whose file is there but could not be read (reported by the reader):
    they are not missing.
    """
    report = SparkValidation(frames={})
    for name in REQUIRED_TABLES:
        if name not in raw and name not in unreadable:
            report.problems.append(Problem(table=name, column=None, rule="required table present",
                                           detail="no file or table for it in the data source"))
    account_ids = None
    for name in TABLE_NAMES:  # accounts first: the other tables' ids are checked against it
        if name not in raw:
            continue
        frame = raw[name]
        check = _check_table(name, frame, account_ids)
        if check.unreadable is not None:
            report.problems.append(check.unreadable)
            continue
        columns = [c for c in frame.columns if c != BEYOND_HEADER]
        problems, notes, check_rows = shape_problems(name, columns, check.n_rows)
        report.problems += problems
        report.notes += notes
        if not check_rows:
            continue
        report.problems += check.problems
        report.frames[name] = check.checked
        if name == "accounts" and "account_id" in check.checked.columns:
            account_ids = (check.checked.select(F.col("account_id").alias("__known_id"))
                           .where(F.col("__known_id").isNotNull()).distinct())
    return report


def _check_table(name: str, frame: DataFrame, account_ids: DataFrame | None) -> _TableCheck:
    # row ids only for the checks: a nondeterministic column under the tables' views breaks Spark's
    # optimizer in later joins ("key not found"), so the typed frame is built from the raw one
    is_csv = BEYOND_HEADER in frame.columns
    keep = [ROW_ID]
    with_id = frame.withColumn(ROW_ID, F.monotonically_increasing_id())
    if is_csv:
        texts = [F.coalesce(F.col(f"`{c}`").contains(_REPLACEMENT_CHARACTER), F.lit(False))
                 for c in frame.columns if c != BEYOND_HEADER]
        replaced = functools.reduce(operator.or_, texts) if texts else F.lit(False)
        with_id = with_id.withColumn("__replaced", replaced)
        keep += [BEYOND_HEADER, "__replaced"]
    coerced = coerce_frame(name, with_id, keep)
    values, cols = coerced.frame, coerced.columns
    present = {c.spec.name for c in cols}
    referential = account_ids is not None and name != "accounts" and "account_id" in present
    if referential:
        known = account_ids.select(F.col("__known_id").alias("account_id"), F.lit(True).alias("__known"))
        values = values.join(known, on="account_id", how="left")
    for key in _unique_keys(name, present):
        label = "__dup_" + "_".join(key)
        values = values.withColumn(label, F.count(F.lit(1)).over(Window.partitionBy(*key)))

    coerce_rules = [_Rule(c.spec.name, c.rule, F.col(c.bad)) for c in cols if c.bad is not None]
    schema_rules = _schema_rules(name, cols, present, referential)
    rules = coerce_rules + schema_rules
    file_counts = []
    if is_csv:
        file_counts = [F.min(F.when(F.col(BEYOND_HEADER).isNotNull(), F.col(ROW_ID))).alias("first_beyond"),
                       F.max(F.col("__replaced").cast("int")).alias("replaced")]
    # a text timestamp column mixes offsets when its zones are not all one: the lowest and the
    # highest zone tell it in this pass; the most common zone is looked for only then
    zoned = [c for c in cols if c.zone is not None]
    zone_bounds = [b for c in zoned for b in (F.min(c.zone).alias(f"min_{c.zone}"), F.max(c.zone).alias(f"max_{c.zone}"))]
    # a date column whose every value is a midnight as written (in its offset or stored zone)
    # holds local calendar days: read as written, as data.coerce does
    dated = [c for c in cols if c.written is not None]
    midnights = [F.min(F.when(F.col(c.written).isNotNull(), (F.col(c.written) == F.date_trunc("day", F.col(c.written)))
                              .cast("int"))).alias(f"mid_{c.written}") for c in dated]
    written_bad = [F.sum(F.col(c.bad_written).cast("int")).alias(c.bad_written) for c in dated if c.bad_written]
    counts = values.agg(F.count(F.lit(1)).alias("n_rows"), *file_counts, *zone_bounds, *midnights, *written_bad,
                        *[F.sum(r.broken.cast("int")).alias(f"r{i}") for i, r in enumerate(rules)]).first()
    local = {c.spec.name for c in dated if counts[f"mid_{c.written}"] == 1}
    checked = coerce_frame(name, frame, local_days=local).values
    if is_csv:
        unreadable = csv_read_problem(frame, name, counts["first_beyond"], bool(counts["replaced"]))
        if unreadable is not None:
            return _TableCheck(checked, int(counts["n_rows"]), [], unreadable)
    n_broken = {id(r): int(counts[f"r{i}"] or 0) for i, r in enumerate(rules)}
    for c in dated:  # local days: a value is bad when its time as written cannot be read (offsets aside)
        if c.spec.name in local and c.bad_written:
            rule = next(r for r in coerce_rules if r.column == c.spec.name)
            local_rule = _Rule(c.spec.name, rule.rule, F.col(c.bad_written))
            coerce_rules = [local_rule if r is rule else r for r in coerce_rules]
            n_broken[id(local_rule)] = int(counts[c.bad_written] or 0)
    # offsets that differ (daylight saving time) do not matter to a column of local days
    mixed = _mixed_offset_rules(values, [c for c in zoned if counts[f"min_{c.zone}"] != counts[f"max_{c.zone}"]
                                         and c.spec.name not in local])
    # as in data.coerce, a column mixing offsets is judged by that rule alone (its text is not parsed)
    unusable = {r.column for r, _ in mixed}
    n_broken.update({id(r): n for r, n in mixed})
    coerce_rules = [r for r in coerce_rules if r.column not in unusable] + [r for r, _ in mixed]
    broken_coerce = {r.column for r in coerce_rules if n_broken[id(r)] > 0}
    judged_alone = {id(r) for r in coerce_rules}
    shown = [c.raw for c in cols]
    problems = []
    for r in coerce_rules + schema_rules:
        n = n_broken[id(r)]
        if n == 0 or (id(r) not in judged_alone and (r.column in broken_coerce or unusable & set(r.involves))):
            continue
        examples = (values.where(r.broken).orderBy(ROW_ID).limit(MAX_EXAMPLES).select(ROW_ID, *shown).toPandas()
                    .set_index(ROW_ID).rename(columns=lambda c: c.removeprefix("__raw_")))
        problems.append(Problem(table=name, column=r.column, rule=r.rule, n_rows=n, examples=examples))
    return _TableCheck(checked, int(counts["n_rows"]), problems)


def _mixed_offset_rules(values: DataFrame, mixed: list[CoercedColumn]) -> list[tuple[_Rule, int]]:
    """Per text timestamp column that mixes offsets, its rule (rows not in its most common zone
    break it) and the number of rows that break it."""
    rules = []
    for c in mixed:
        col = F.col(c.zone)
        by_zone = (values.where(col.isNotNull()).groupBy(col.alias("zone")).count()
                   .orderBy(F.desc("count"), F.asc("zone")).collect())
        mode = by_zone[0]["zone"]
        rules.append((_Rule(c.spec.name, MIXED_OFFSETS_RULE, col.isNotNull() & (col != F.lit(mode))),
                      sum(row["count"] for row in by_zone[1:])))
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
            broken = v.isNull() if c.bad is None else (v.isNull() & ~F.col(c.bad))
            rules.append(_Rule(spec.name, RULE_NOT_NULL, broken))
        if spec.allowed is not None:
            rules.append(_Rule(spec.name, rule_one_of(spec.allowed), parsed & ~v.isin(*spec.allowed)))
        for rule, op, bound in range_rules(spec):
            rules.append(_Rule(spec.name, rule, parsed & ~_COMPARE[op](v, F.lit(float(bound)))))
        if spec.kind == "float":
            infinite = F.abs(v) == F.lit(_INFINITY)
            rules.append(_Rule(spec.name, RULE_FINITE, parsed & infinite))
            rules.append(_Rule(spec.name, RULE_MAGNITUDE, parsed & ~infinite & (F.abs(v) > F.lit(MAX_MAGNITUDE))))
        if spec.unique:
            rules.append(_Rule(spec.name, RULE_UNIQUE, parsed & (F.col(f"__dup_{spec.name}") > 1)))
    for later, earlier in ORDER_RULES.get(name, ()):
        if later in present and earlier in present:
            rules.append(_Rule(later, order_rule(later, earlier), F.col(later) < F.col(earlier), (later, earlier)))
    for later, earlier in DAY_ORDER_RULES.get(name, ()):
        if later in present and earlier in present:
            day = F.date_trunc("day", F.col(earlier))  # the session's time zone is UTC (session.py)
            rules.append(_Rule(later, day_order_rule(later, earlier), F.col(later) < day, (later, earlier)))
    if name in NATURAL_KEYS and set(NATURAL_KEYS[name]) <= present:
        key = NATURAL_KEYS[name]
        rules.append(_Rule(None, key_rule(key), F.col("__dup_" + "_".join(key)) > 1))
    if referential:
        rules.append(_Rule("account_id", RULE_KNOWN_ACCOUNT, F.col("__known").isNull()))
    return rules
