"""The Spark loader gives the contract's canonical types and the same values as the DuckDB loader,
and rejects bad input with the same problems (table, column, rule, rows) as the pandas path."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data.errors import DataContractError
from data.load import load_tables, validate_source
from pipeline.spark.load import load_tables_spark
from tests.spark.conftest import assert_same, write_dir

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_csv_directory_loads_with_canonical_types_and_duckdb_values(spark, hand_dir: Path) -> None:
    duck = load_tables(hand_dir)
    tables = load_tables_spark(hand_dir, spark)
    assert list(tables) == list(duck)
    usage = tables["usage"].schema()
    assert usage["usage_date"].is_date() and usage["value"].is_float64() and usage["active_users"].is_int64()
    offers = tables["offers"].schema()
    assert offers["offered_at"].is_timestamp() and offers["offered_at"].timezone is None
    assert offers["is_control"].is_boolean()
    keys = {"usage": ["account_id", "usage_date", "metric"]}
    for name in duck:
        key = keys.get(name, [duck[name].columns[0]])
        d = duck.to_pandas(name).sort_values(key).reset_index(drop=True)
        s = tables.to_pandas(name).sort_values(key).reset_index(drop=True)
        if name == "usage":  # the contract's date column: DuckDB holds it as midnight timestamps
            d["usage_date"] = pd.to_datetime(d["usage_date"])
            s["usage_date"] = pd.to_datetime(s["usage_date"])
        assert_same(d, s[d.columns], f"table {name}")


def _broken(root: Path) -> Path:
    accounts = pd.DataFrame({"account_id": ["a1", "a1", "a2", " "],
                             "created_at": ["2024-01-01", "2024-01-02", "not a date", "2024-01-03"]})
    tickets = pd.DataFrame({"ticket_id": ["t1", "t2", "t3"], "account_id": ["a1", "zz", "a2"],
                            "opened_at": ["2024-02-02T10:00:00+01:00", "2024-02-02T10:00:00Z", "2024-02-02T10:00:00Z"],
                            "closed_at": ["2024-02-01", "", "2024-02-03"],
                            "severity": ["low", "urgent", "high"], "csat": ["5", "2", "9"]})
    usage = pd.DataFrame({"account_id": ["a1", "a1", "a2"], "usage_date": ["2024-01-01", "2024-01-01", "2024-01-02"],
                          "metric": ["seats", "seats", "seats"], "value": ["1", "-2", "x"], "quota": ["0", "5", "5"]})
    offers = pd.DataFrame({"offer_id": ["o1"], "account_id": ["a1"], "offered_at": ["2024-01-01"],
                           "offer_type": ["tier_upgrade"], "outcome": ["accepted"], "is_control": ["maybe"]})
    return write_dir({"accounts": accounts, "support_tickets": tickets, "usage": usage, "offers": offers}, root, fmt="csv")


def test_bad_input_reports_the_same_problems_as_the_pandas_path(spark, tmp_path: Path) -> None:
    data = _broken(tmp_path / "bad")
    expected = {(p.table, p.column, p.rule, p.n_rows) for p in validate_source(data).problems}
    with pytest.raises(DataContractError) as err:
        load_tables_spark(data, spark)
    found = {(p.table, p.column, p.rule, p.n_rows) for p in err.value.problems}
    assert found == expected
    message = str(err.value)
    assert "offers.channel: rule 'required column present'" in message
    assert "support_tickets.severity: rule 'one of low, medium, high, critical' broken by 1 row" in message
    assert "urgent" in message, "example rows show the offending values"


def test_missing_required_table_and_unknown_directory(spark, tmp_path: Path) -> None:
    only_usage = write_dir({"usage": pd.DataFrame({"account_id": ["a"], "usage_date": ["2024-01-01"],
                                                    "metric": ["m"], "value": ["1"]})}, tmp_path / "no_accounts")
    with pytest.raises(DataContractError, match="accounts: rule 'required table present'"):
        load_tables_spark(only_usage, spark)
    with pytest.raises(Exception, match="no such data directory"):
        load_tables_spark(tmp_path / "nowhere", spark)


def test_hadoop_uri_and_table_mapping_sources_read_the_same_tables(spark, hand_dir: Path) -> None:
    from pipeline.spark.load import read_raw_spark

    via_uri = load_tables_spark(hand_dir.resolve().as_uri(), spark)  # file:///… goes through Hadoop's FileSystem
    assert list(via_uri) == list(load_tables(hand_dir))
    assert via_uri.to_pandas("usage")["usage_date"].notna().all()
    spark.read.csv(str(hand_dir / "accounts.csv"), header=True).createOrReplaceTempView("crm_accounts")
    raw, problems, _ = read_raw_spark({"accounts": "crm_accounts", "offers": str(hand_dir / "offers.csv")}, spark)
    assert not problems and sorted(raw) == ["accounts", "offers"] and raw["accounts"].count() == 5
    _, problems, _ = read_raw_spark({"accounts": "no_such_table"}, spark)
    assert [p.rule for p in problems] == ["readable Spark table"]
