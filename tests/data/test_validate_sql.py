"""The DuckDB path: typed parquet and DuckDB tables are checked by SQL where they are stored and
served as views, with the same problems and the same typed tables as the in-memory path."""
from __future__ import annotations

from pathlib import Path

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import data.validate_sql as validate_sql
from data.errors import DataContractError
from data.load import load_tables, validate_source
from data.problems import Problem
from tests.data.conftest import valid_frames, with_contract_dtypes, write_dir


def _summary(problems: list[Problem]) -> list[tuple]:
    return sorted(
        (p.table, p.column or "", p.rule, p.n_rows, tuple(p.examples.index) if p.examples is not None else ())
        for p in problems
    )


def _assert_same_tables(root: Path) -> None:
    """Default load (DuckDB path where possible) equals the in-memory load, table by table."""
    duck, memory = load_tables(root), load_tables(root, in_memory=True)
    assert list(duck) == list(memory)
    for name in duck:
        assert duck[name].schema() == memory[name].schema(), name
        pd.testing.assert_frame_equal(duck.to_pandas(name), memory.to_pandas(name), obj=name)
    assert duck.notes == memory.notes


def _view_sql(tables, name: str) -> str:
    view = tables[name].get_name()
    return tables.con.con.execute("SELECT sql FROM duckdb_views() WHERE view_name = ?", [view]).fetchall()[0][0]


def test_generated_data_loads_the_same_on_both_paths(saas_dir: Path) -> None:
    report = validate_source(saas_dir)
    assert report.ok, report.problems
    assert {t.engine for t in report.frames.values()} == {"duckdb"}
    _assert_same_tables(saas_dir)


def test_every_problem_is_reported_at_once_by_the_duckdb_path(tmp_path: Path) -> None:
    frames = valid_frames()
    accounts = frames["accounts"]
    frames["accounts"] = pd.concat([accounts, accounts.iloc[[0]]], ignore_index=True)  # A1 twice
    frames["purchases"].loc[0, "amount"] = -1.0
    frames["purchases"]["quantity"] = [1.5, 2.0]  # ints written as floats, one with a fraction
    frames["support_tickets"].loc[1, "severity"] = "urgent"
    frames["usage"].loc[0, "account_id"] = "A404"
    frames["usage"].loc[2, ["account_id", "metric"]] = ["A1", "seats_used"]
    frames["usage"].loc[2, "usage_date"] = pd.Timestamp("2024-03-02")  # same key as row 1
    frames["subscriptions"].loc[0, "ended_at"] = pd.Timestamp("2023-01-01")
    frames["offers"].loc[0, "channel"] = "fax"
    write_dir(frames, tmp_path, "parquet")

    report = validate_source(tmp_path)
    assert {t.engine for t in report.frames.values()} == {"duckdb"}
    found = {(p.table, p.column, p.rule, p.n_rows) for p in report.problems}
    assert found == {
        ("accounts", "account_id", "unique", 2),
        ("purchases", "amount", ">= 0", 1),
        ("purchases", "quantity", "whole number", 1),
        ("support_tickets", "severity", "one of low, medium, high, critical", 1),
        ("usage", "account_id", "account_id exists in accounts", 1),
        ("usage", None, "unique (account_id, usage_date, metric)", 2),
        ("subscriptions", "ended_at", "ended_at >= started_at", 1),
        ("offers", "channel", "one of email, call, in_app, demo, other", 1),
    }
    whole = next(p for p in report.problems if p.rule == "whole number")
    assert whole.examples["quantity"].tolist() == [1.5], "a type problem shows the stored value"
    assert _summary(report.problems) == _summary(validate_source(tmp_path, in_memory=True).problems)
    with pytest.raises(DataContractError) as err:
        load_tables(tmp_path)
    assert "usage.account_id: rule 'account_id exists in accounts' broken by 1 row" in str(err.value)
    assert "A404" in str(err.value)


def test_examples_are_the_first_offending_rows_in_file_order(tmp_path: Path) -> None:
    usage = pd.DataFrame({
        "account_id": ["A1"] * 20,
        "usage_date": pd.date_range("2024-01-01", periods=20, freq="D"),
        "metric": ["seats_used"] * 20,
        "value": [-1.0 if i % 3 == 1 else 1.0 for i in range(20)],
    })
    write_dir({"accounts": valid_frames()["accounts"], "usage": usage}, tmp_path, "parquet")
    first = validate_source(tmp_path).problems
    (problem,) = first
    assert problem.n_rows == 7
    assert list(problem.examples.index) == [1, 4, 7, 10, 13]
    assert problem.examples.equals(validate_source(tmp_path).problems[0].examples)


def test_stored_values_that_need_fixing_are_fixed_in_sql(tmp_path: Path) -> None:
    frames = valid_frames()
    frames["accounts"]["created_at"] = frames["accounts"]["created_at"].dt.tz_localize("Europe/Berlin")
    frames["accounts"]["name"] = ["  Acme Ltd\t", ""]  # padded text, an empty text
    frames["usage"]["usage_date"] = frames["usage"]["usage_date"] + pd.Timedelta(hours=7)  # a date with a time
    frames["subscriptions"]["seats"] = [5.0, np.nan, 200.0]  # ints written as floats because of a gap
    frames["support_tickets"]["csat"] = pd.array([4, 3], dtype="int32")
    write_dir(frames, tmp_path, "parquet")
    offers = pa.Table.from_pandas(frames["offers"], preserve_index=False)
    revenue = pa.array([150.0, float("nan")], from_pandas=False)  # a real NaN, not a null
    pq.write_table(offers.set_column(offers.schema.get_field_index("revenue"), "revenue", revenue),
                   tmp_path / "offers.parquet")

    report = validate_source(tmp_path)
    assert report.ok, report.problems
    assert {t.engine for t in report.frames.values()} == {"duckdb"}
    _assert_same_tables(tmp_path)
    tables = load_tables(tmp_path)
    accounts = tables.to_pandas("accounts")
    assert accounts["created_at"].tolist() == [pd.Timestamp("2023-12-31 23:00"), pd.Timestamp("2024-02-15 08:30")]
    assert accounts["name"].tolist()[0] == "Acme Ltd" and pd.isna(accounts["name"].iloc[1])
    assert tables.to_pandas("usage")["usage_date"].dt.hour.eq(0).all()
    assert tables["subscriptions"].schema()["seats"].is_integer()
    assert pd.isna(tables.to_pandas("offers")["revenue"].iloc[1])
    # clean columns stay bare column reads; only the columns that need it carry the fix
    assert "trim" in _view_sql(tables, "accounts") and "trim" not in _view_sql(tables, "usage")


def test_numeric_ids_are_read_as_text_in_sql(tmp_path: Path) -> None:
    frames = valid_frames()
    for frame in frames.values():
        frame["account_id"] = frame["account_id"].str[1:].astype("int64")  # A1 -> 1
    frames["purchases"]["order_id"] = pd.array([10, None], dtype="Int64")  # a missing id among numbers
    write_dir(frames, tmp_path, "parquet")
    report = validate_source(tmp_path)
    assert {t.engine for t in report.frames.values()} == {"duckdb"}
    assert _summary(report.problems) == _summary(validate_source(tmp_path, in_memory=True).problems)
    assert [(p.table, p.column, p.rule) for p in report.problems] == [("purchases", "order_id", "not null")]
    frames["purchases"]["order_id"] = ["O1", "O2"]
    write_dir(frames, tmp_path, "parquet")
    _assert_same_tables(tmp_path)
    assert load_tables(tmp_path).to_pandas("usage")["account_id"].tolist() == ["1", "1", "2"]


def test_flags_stored_as_numbers(tmp_path: Path) -> None:
    frames = valid_frames()
    frames["offers"]["is_control"] = pd.array([1, 0], dtype="int8")
    write_dir(frames, tmp_path / "ok", "parquet")
    _assert_same_tables(tmp_path / "ok")
    assert load_tables(tmp_path / "ok").to_pandas("offers")["is_control"].tolist() == [True, False]
    frames["offers"]["is_control"] = pd.array([1, 2], dtype="int8")
    write_dir(frames, tmp_path / "bad", "parquet")
    report = validate_source(tmp_path / "bad")
    assert report.frames["offers"].engine == "duckdb"
    assert [(p.column, p.rule, list(p.examples.index)) for p in report.problems] == [("is_control", "true/false", [1])]
    assert _summary(report.problems) == _summary(validate_source(tmp_path / "bad", in_memory=True).problems)


def test_clean_parquet_is_served_as_bare_columns(saas_dir: Path) -> None:
    tables = load_tables(saas_dir)
    sql = _view_sql(tables, "usage")
    assert "read_parquet" in sql and "trim" not in sql and "CAST" not in sql.upper()


def test_text_held_columns_take_the_pandas_path_and_say_so(tmp_path: Path) -> None:
    frames = valid_frames()
    frames["usage"]["usage_date"] = frames["usage"]["usage_date"].dt.strftime("%Y-%m-%d")
    frames["usage"].loc[0, "account_id"] = "A404"
    frames["offers"].loc[1, "account_id"] = "A405"
    write_dir(frames, tmp_path, "parquet")
    report = validate_source(tmp_path)
    engines = {name: t.engine for name, t in report.frames.items()}
    assert engines["usage"] == "pandas" and engines["offers"] == "duckdb" and engines["accounts"] == "duckdb"
    assert any(n.startswith("usage: column(s) usage_date (VARCHAR) not stored as their contract type") for n in report.notes)
    found = {(p.table, p.column, p.rule, p.n_rows) for p in report.problems}
    assert found == {("usage", "account_id", "account_id exists in accounts", 1),
                     ("offers", "account_id", "account_id exists in accounts", 1)}


def test_csv_accounts_check_parquet_tables(tmp_path: Path) -> None:
    frames = valid_frames()
    frames["usage"].loc[2, "account_id"] = "A404"
    write_dir({"accounts": frames.pop("accounts")}, tmp_path, "csv")
    write_dir(frames, tmp_path, "parquet")
    report = validate_source(tmp_path)
    assert report.frames["accounts"].engine == "pandas" and report.frames["usage"].engine == "duckdb"
    (problem,) = report.problems
    assert (problem.table, problem.rule, list(problem.examples.index)) == ("usage", "account_id exists in accounts", [2])


def test_duplicate_check_is_exact_when_hashes_collide(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def every_hash(con, stored, hashed, present):  # as if every row collided with another
        return validate_sql._fetch_hashes(con, f"SELECT {hashed} FROM {stored.scan} WHERE {present}", stored.n_rows)

    monkeypatch.setattr(validate_sql, "_colliding_hashes", every_hash)
    write_dir(valid_frames(), tmp_path / "ok", "parquet")
    assert validate_source(tmp_path / "ok").ok
    frames = valid_frames()
    frames["purchases"].loc[1, "order_id"] = "O1"
    write_dir(frames, tmp_path / "dup", "parquet")
    (problem,) = validate_source(tmp_path / "dup").problems
    assert (problem.column, problem.rule, problem.n_rows, list(problem.examples.index)) == ("order_id", "unique", 2, [0, 1])


def test_keys_are_hashed_in_passes_when_there_are_many(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate_sql, "HASHES_PER_PASS", 2)
    frames = valid_frames()
    frames["usage"].loc[2, ["account_id", "metric"]] = ["A1", "seats_used"]
    frames["usage"].loc[2, "usage_date"] = pd.Timestamp("2024-03-02")
    write_dir(frames, tmp_path, "parquet")
    (problem,) = validate_source(tmp_path).problems
    assert (problem.rule, problem.n_rows, list(problem.examples.index)) == ("unique (account_id, usage_date, metric)", 2, [1, 2])


def test_null_ids_are_not_duplicates_but_null_natural_keys_are(tmp_path: Path) -> None:
    frames = with_contract_dtypes(valid_frames())
    frames["purchases"]["order_id"] = [None, None]
    frames["usage"]["metric"] = [None, None, "api_calls"]
    frames["usage"]["usage_date"] = pd.Timestamp("2024-03-01")
    write_dir(frames, tmp_path, "parquet")
    duck = _summary(validate_source(tmp_path).problems)
    assert duck == _summary(validate_source(tmp_path, in_memory=True).problems)
    rules = {(t, c, r) for t, c, r, *_ in duck}
    assert ("purchases", "order_id", "not null") in rules and ("purchases", "order_id", "unique") not in rules
    assert ("usage", "", "unique (account_id, usage_date, metric)") in rules


def test_duckdb_database_tables_are_checked_in_place(tmp_path: Path) -> None:
    db = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(db))
    frames = valid_frames()
    frames["support_tickets"].loc[1, "csat"] = 9
    for name, frame in frames.items():
        con.register("frame", frame)
        con.execute(f'create table "{name}" as select * from frame')
        con.unregister("frame")
    con.execute('alter table "offers" rename to "offers_2024"')
    con.execute('create view "offers" as select * from offers_2024')
    con.close()
    report = validate_source(db)
    engines = {name: t.engine for name, t in report.frames.items()}
    assert engines.pop("offers") == "pandas" and set(engines.values()) == {"duckdb"}
    (problem,) = report.problems
    assert (problem.table, problem.column, problem.rule, list(problem.examples.index)) == ("support_tickets", "csat", "<= 5", [1])
    assert "ignored table(s) not in the contract: offers_2024" in report.notes
    assert "offers: table offers is a view; the table is parsed and checked in memory" in report.notes


def test_load_tables_on_a_given_duckdb_connection(saas_dir: Path) -> None:
    con = ibis.duckdb.connect()
    tables = load_tables(saas_dir, con=con)
    assert tables.con is con
    n = tables.con.to_pandas(tables["usage"].count().name("n").as_table())["n"].iloc[0]
    assert n == len(validate_source(saas_dir).frames["usage"])


def test_a_parquet_file_duckdb_cannot_open_is_read_in_memory_with_a_note(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import data.load

    real = data.load.open_parquet

    def refuse_usage(con, name, file):
        if name == "usage":
            raise duckdb.IOException("unsupported logical type")
        return real(con, name, file)

    monkeypatch.setattr(data.load, "open_parquet", refuse_usage)
    write_dir(valid_frames(), tmp_path, "parquet")
    report = validate_source(tmp_path)
    assert report.ok and report.frames["usage"].engine == "pandas"
    assert "usage: DuckDB could not read usage.parquet (unsupported logical type); the table is parsed and checked in memory" in report.notes
