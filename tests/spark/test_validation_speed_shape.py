"""The shape of the Spark validation plan that keeps CSV validation fast (no timings asserted).

Each text value is trimmed once and parsed once, however many rules read the result: the
coercion is a chain of projections whose costly columns Spark keeps (it inlines only cheap or
single-use expressions). Were the parse an expression copied into every rule, the plan would
repeat it per rule, and its generated code would outgrow what the JVM compiles.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql import functions as F

from pipeline.spark.coerce import coerce_frame
from pipeline.spark.load import read_raw_spark
from tests.spark.conftest import write_dir

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _plan(frame) -> str:
    return frame._jdf.queryExecution().optimizedPlan().toString()


def test_each_text_value_is_trimmed_and_parsed_once_whatever_reads_it(spark, tmp_path: Path) -> None:
    usage = pd.DataFrame({"account_id": [" a0", "a1\t"], "usage_date": ["2024-01-01T10:00:00", "2024/01/02"],
                          "metric": ["seats", "seats"], "value": ["1.5", "1d"], "quota": ["", "2"],
                          "active_users": ["3", "2.5"]})
    raw, problems, _ = read_raw_spark(write_dir({"usage": usage}, tmp_path / "data", fmt="csv"), spark)
    assert not problems
    coerced = coerce_frame("usage", raw["usage"])
    cols = coerced.columns
    # many readers of every value and flag, as the validation aggregate has
    readers = [F.sum(F.col(c.spec.name).isNull().cast("int")) for c in cols for _ in range(3)]
    readers += [F.sum(F.col(c.bad).cast("int")) for c in cols if c.bad for _ in range(3)]
    readers += [F.count_distinct(F.col(c.zone)) for c in cols if c.zone]
    plan = _plan(coerced.frame.agg(*readers))

    assert plan.count("trim(") == len(cols)  # one trim per column read
    assert plan.count("regexp_replace(CASE WHEN NOT") == 1  # the ISO rewrite of usage_date, once
    assert plan.count("RLIKE(__text_usage_date") == 2  # the fast-path test and the ISO match, once each
    rows = coerced.frame.orderBy("__raw_account_id").collect()
    assert [r["account_id"] for r in rows] == ["a0", "a1"]
    assert [str(r["usage_date"]) for r in rows] == ["2024-01-01", "2024-01-02"]
    assert [r["value"] for r in rows] == [1.5, None] and [r["__bad_value"] for r in rows] == [False, True]
    assert [r["quota"] for r in rows] == [None, 2.0] and [r["__bad_quota"] for r in rows] == [False, False]
    assert [r["active_users"] for r in rows] == [3, None] and [r["__bad_active_users"] for r in rows] == [False, True]
    assert [r["__zone_usage_date"] for r in rows] == ["naive", "naive"]


def test_offsets_are_found_at_the_end_of_the_text_only(spark, tmp_path: Path) -> None:
    """The zone is looked for in the last characters; text ending in an offset-like run elsewhere
    is naive, and an offset before a final U+2028 (which trimming keeps) is still found."""
    tickets = pd.DataFrame({"ticket_id": ["t0", "t1", "t2", "t3"], "account_id": ["a0"] * 4,
                            "opened_at": ["2024-01-01T10:00:00+01:00", "2024-01-01T10:00:00Z",
                                          "2024-01-01 10:00:00-0530", "2024-01-01T10:00:00+01:00\u2028"],
                            "severity": ["low"] * 4})
    raw, problems, _ = read_raw_spark(write_dir({"support_tickets": tickets}, tmp_path / "data", fmt="csv"), spark)
    assert not problems
    rows = coerce_frame("support_tickets", raw["support_tickets"]).frame.orderBy("ticket_id").collect()
    assert [r["__zone_opened_at"] for r in rows] == ["+0100", "+0000", "-0530", "+0100"]
