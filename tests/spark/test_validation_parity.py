"""Validation parity: the same bad files give the same problems on Spark as on the DuckDB and pandas
paths — the same (table, column, rule, rows) set, and the same reason for a file that cannot be read.

Each test writes one small data directory breaking several rules at once (one Spark pass checks
them all), covering the cases of ``tests/robustness`` (non-finite numbers, CSV headers, table
directories, non-UTF-8 text) and the differences found by running both engines on the same files.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data.coerce import RULE_MIXED_OFFSETS
from data.errors import DataContractError
from data.load import RULE_READABLE_CSV, validate_source
from data.problems import Problem
from data.schemas import day_order_rule
from data.validate import RULE_COLUMN_SPELLING
from pipeline.spark.load import validate_source_spark

pytestmark = [pytest.mark.spark, pytest.mark.slow]

Key = tuple[str, str | None, str, int | None]
_WORDED = {RULE_READABLE_CSV, RULE_COLUMN_SPELLING}  # rules whose detail is the message users act on


def _keys(problems: list[Problem]) -> set[Key]:
    return {(p.table, p.column, p.rule, p.n_rows) for p in problems}


def _details(problems: list[Problem]) -> dict[tuple[str, str | None, str], str]:
    return {(p.table, p.column, p.rule): p.detail for p in problems if p.rule in _WORDED}


def _same_on_every_engine(spark, data: Path) -> set[Key]:
    """The problems of ``data``, asserted equal on DuckDB, pandas and Spark (wording too where it matters)."""
    duck = validate_source(data).problems
    in_memory = validate_source(data, in_memory=True).problems
    on_spark = validate_source_spark(data, spark).problems
    assert _keys(in_memory) == _keys(duck)
    assert _keys(on_spark) == _keys(duck)
    assert _details(on_spark) == _details(duck)
    return _keys(duck)


def _accounts(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"account_id": ids, "created_at": ["2024-01-01"] * len(ids), "plan_tier": ["pro"] * len(ids)})


def _subscriptions(n: int) -> pd.DataFrame:
    return pd.DataFrame({"subscription_id": [f"s{i}" for i in range(n)], "account_id": [f"a{i}" for i in range(n)],
                         "plan_tier": ["pro"] * n, "started_at": ["2024-01-01"] * n,
                         "mrr": [str(10 * i) for i in range(n)], "seats": [str(i) for i in range(n)]})


def _purchases(amounts: list[str]) -> pd.DataFrame:
    n = len(amounts)
    return pd.DataFrame({"order_id": [f"p{i}" for i in range(n)], "account_id": [f"a{i}" for i in range(n)],
                         "ordered_at": ["2024-02-01T10:00:00"] * n, "amount": amounts})


def _write_csv(frame: pd.DataFrame, path: Path, **options: object) -> None:
    frame.to_csv(path, index=False, **options)


def test_values_in_csv_text_and_parquet_columns(spark, tmp_path: Path) -> None:
    """inf/-inf break 'finite number', 1e30 'abs <= 1e+18'; inf and 1e30 in an integer column are not
    whole numbers (no cast overflow); Java-only spellings (1d, 0x1p3) and the text NaN are not numbers;
    a NaN stored in a parquet float column is a missing value; ids and booleans padded with tabs are
    trimmed; timestamps are the ISO 8601 pandas reads (2024/01/15 and 20240116 are, '… UTC' is not),
    a column mixing offsets is judged by that rule alone, and an offer's outcome may not fall on a
    day before the offer."""
    data = tmp_path / "values"
    data.mkdir()
    accounts = _accounts([f"a{i}" for i in range(6)])
    accounts["created_at"] = ["2024/01/15", "20240116", "2024-01-17T1000", "2024-01-18 10:00:00 UTC",
                              "+2024-01-19", "2024-02-30"]
    _write_csv(accounts, data / "accounts.csv")
    offers = pd.DataFrame({"offer_id": ["o0", "o1", "o2"], "account_id": ["a0", "a1", "a2"],
                           "offered_at": ["2024-02-01T10:00Z", "2024-02-01T10:00:00.5Z", "2024-02-01T10Z"],
                           "offer_type": ["tier_upgrade"] * 3, "channel": ["email"] * 3,
                           "outcome": ["accepted"] * 3, "is_control": [" yes\t", "N", "2"],
                           # an outcome on the offer's own day (a date alone) is kept; the day before is not
                           "outcome_at": ["2024-02-01", "2024-01-31T23:59:59", "2024-02-03"]})
    _write_csv(offers, data / "offers.csv")
    tickets = pd.DataFrame({"ticket_id": ["t0", "t1", "t2", "t3"], "account_id": ["a0", "a1", "a2", "a3"],
                            "opened_at": ["2024-01-01T10:00:00+01:00", "2024-01-02T10:00:00+01:00", "2024-01-03",
                                          "not a date"],  # mixed offsets: judged by that rule alone
                            "severity": ["low", "high", "low", "low"]})
    _write_csv(tickets, data / "support_tickets.csv")
    subs = _subscriptions(5)
    subs["account_id"] = ["a0\t", "\ta1", "a2\x0b", "a3", "a4"]
    subs["mrr"] = ["Infinity", "-inf", "1e30", "9.9e17", "5"]
    subs["seats"] = ["inf", "1e30", "2.5", "-Infinity", "3"]
    _write_csv(subs, data / "subscriptions.csv")
    _write_csv(_purchases(["1d", "0x1p3", "NaN", " inf", "1.5e3", " 7 "]), data / "purchases.csv")
    usage = pa.table({
        "account_id": ["a0", "a1", "a2", "a3", "a4"],
        "usage_date": pa.array(pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"])),
        "metric": ["seats"] * 5,
        "value": pa.array([np.inf, np.nan, 1e30, -np.inf, 1.0], from_pandas=False),  # a real NaN, not a null
        "active_users": pa.array([np.inf, 1e30, np.nan, 2.0, 3.0], from_pandas=False),
    })
    pq.write_table(usage, data / "usage.parquet")

    assert _same_on_every_engine(spark, data) == {
        ("accounts", "created_at", "ISO 8601 date/time", 3),
        ("offers", "is_control", "true/false", 1),
        ("offers", "outcome_at", day_order_rule("outcome_at", "offered_at"), 1),
        ("support_tickets", "opened_at", RULE_MIXED_OFFSETS, 2),
        ("subscriptions", "mrr", "finite number", 2),
        ("subscriptions", "mrr", ">= 0", 1),
        ("subscriptions", "mrr", "abs <= 1e+18", 1),
        ("subscriptions", "seats", "whole number", 4),
        ("purchases", "amount", "number", 4),
        ("usage", "value", "finite number", 2),
        ("usage", "value", ">= 0", 1),
        ("usage", "value", "abs <= 1e+18", 1),
        ("usage", "value", "not null", 1),
        ("usage", "active_users", "whole number", 2),
    }


def test_headers_column_spellings_and_separators(spark, tmp_path: Path) -> None:
    """A contract column in another case or with spaces names the rename (CSV and parquet); a repeated
    header name and ';'/tab separators make the file unreadable with the reason; rows that all end
    in a delimiter keep every column in place."""
    data = tmp_path / "headers"
    data.mkdir()
    _write_csv(_accounts(["a0", "a1"]).rename(columns={"account_id": "Account_ID", "plan_tier": " plan_tier"}),
               data / "accounts.csv")
    _subscriptions(2).rename(columns={"mrr": "MRR"}).to_parquet(data / "subscriptions.parquet", index=False)
    _write_csv(_purchases(["1", "2"]), data / "purchases.csv", sep=";")
    tickets = pd.DataFrame({"ticket_id": ["t0"], "account_id": ["a0"], "opened_at": ["2024-01-01"], "severity": ["low"]})
    _write_csv(tickets, data / "support_tickets.csv", sep="\t")
    (data / "offers.csv").write_text("offer_id,account_id,offered_at,offer_type,channel,channel\n"
                                     "o0,a0,2024-01-01,tier_upgrade,email,email\n")
    usage = pd.DataFrame({"account_id": ["a0", "a1"], "usage_date": ["2024-01-01", "2024-01-02"],
                          "metric": ["seats", "seats"], "value": ["1", "2"], "quota": ["5", "5"]})
    lines = usage.to_csv(index=False).splitlines()
    (data / "usage.csv").write_text("\n".join([lines[0]] + [line + "," for line in lines[1:]]) + "\n")

    assert _same_on_every_engine(spark, data) == {
        ("accounts", "account_id", RULE_COLUMN_SPELLING, None),
        ("accounts", "plan_tier", RULE_COLUMN_SPELLING, None),
        ("subscriptions", "mrr", RULE_COLUMN_SPELLING, None),
        ("purchases", None, RULE_READABLE_CSV, None),
        ("support_tickets", None, RULE_READABLE_CSV, None),
        ("offers", None, RULE_READABLE_CSV, None),
    }


def test_unreadable_csv_files_and_part_file_directories(spark, tmp_path: Path) -> None:
    """A value beyond the header and a file that is not UTF-8 (plain or gzipped) are one-line read
    problems with the pandas reader's reason (a missing required table is not claimed for an
    unreadable one); a parquet table stored as part files is read and its rules checked."""
    data = tmp_path / "files"
    data.mkdir()
    _write_csv(_accounts(["a0", "a1"]).assign(name="Café Müller"), data / "accounts.csv", encoding="cp1252")
    subs = _subscriptions(3).assign(plan_tier=["pro", "Pro – annual", "pro"])
    _write_csv(subs, data / "subscriptions.csv.gz", encoding="utf-16")
    lines = _purchases(["1", "2", "3", "4"]).to_csv(index=False).splitlines()
    (data / "purchases.csv").write_text("\n".join([lines[0]] + [line + ("," if i != 2 else ",surprise")
                                                                for i, line in enumerate(lines[1:])]) + "\n")
    offers = pd.DataFrame({"offer_id": ["o0", "o1", "o2"], "account_id": ["a0", "a1", "a0"],
                           "offered_at": pd.to_datetime(["2024-02-01", "2024-02-02", "2024-02-03"]),
                           "offer_type": ["tier_upgrade"] * 3, "channel": ["email", "call", "carrier_pigeon"],
                           "outcome": ["accepted", "maybe", "rejected"]})
    folder = data / "offers.parquet"
    folder.mkdir()
    offers.iloc[:2].to_parquet(folder / "part-00000.parquet", index=False)
    offers.iloc[2:].to_parquet(folder / "part-00001.parquet", index=False)
    (folder / "_SUCCESS").write_text("")

    assert _same_on_every_engine(spark, data) == {
        ("accounts", None, RULE_READABLE_CSV, None),
        ("subscriptions", None, RULE_READABLE_CSV, None),
        ("purchases", None, RULE_READABLE_CSV, None),
        ("offers", "channel", "one of email, call, in_app, demo, other", 1),
        ("offers", "outcome", "one of accepted, rejected, deferred, no_response, pending", 1),
    }


def test_table_directories_and_empty_tables(spark, tmp_path: Path) -> None:
    """offers.csv/ as a directory is an error before any table is read; an empty accounts table is
    'at least one row' alone (no missing-column problem, and no other table's ids judged against it)."""
    refused = tmp_path / "csv_dir"
    refused.mkdir()
    _write_csv(_accounts(["a0"]), refused / "accounts.csv")
    (refused / "offers.csv").mkdir()
    _write_csv(_accounts(["a0"]), refused / "offers.csv" / "part-00000.csv")
    with pytest.raises(DataContractError) as duck:
        validate_source(refused)
    with pytest.raises(DataContractError) as on_spark:
        validate_source_spark(refused, spark)
    assert _keys(on_spark.value.problems) == _keys(duck.value.problems) == {("offers", None, "a table is a file", None)}
    assert str(on_spark.value) == str(duck.value)

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "accounts.csv").write_text("account_id,plan_tier\n")
    _write_csv(_subscriptions(2), empty / "subscriptions.csv")
    assert _same_on_every_engine(spark, empty) == {("accounts", None, "at least one row", 0)}
