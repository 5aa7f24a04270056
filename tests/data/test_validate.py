"""The contract is enforced: every kind of bad input exits 1 with table, column, rule and rows."""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from data.errors import DataContractError
from data.load import load_tables, validate_source
from data.problems import Problem
from pipeline.cli import app
from tests.data.conftest import valid_frames, with_contract_dtypes, write_dir

runner = CliRunner()


@dataclass
class BadCase:
    id: str
    mutate: Callable[[dict[str, pd.DataFrame], Path], None]
    where: str  # "table.column" or "table" the message must name
    rule: str  # words of the rule the message must name
    in_parquet: bool = True  # the broken input can be written as typed parquet (the DuckDB path checks it)


def _set(table: str, column: str, row: int, value: object) -> Callable[[dict, Path], None]:
    def mutate(frames: dict, root: Path) -> None:
        frame = frames[table]
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value

    return mutate


def _drop_column(table: str, column: str) -> Callable[[dict, Path], None]:
    def mutate(frames: dict, root: Path) -> None:
        frames[table] = frames[table].drop(columns=[column])

    return mutate


def _write_text(name: str, payload: str) -> Callable[[dict, Path], None]:
    def mutate(frames: dict, root: Path) -> None:
        frames.pop(name.split(".")[0], None)
        (root / name).write_text(payload)

    return mutate


def _drop_table(table: str) -> Callable[[dict, Path], None]:
    return lambda frames, root: frames.pop(table)


def _empty_accounts(frames: dict, root: Path) -> None:
    frames["accounts"] = frames["accounts"].iloc[0:0]
    for t in list(frames):
        if t != "accounts":
            frames.pop(t)


def _both_formats(frames: dict, root: Path) -> None:
    frames["accounts"].to_parquet(root / "accounts.parquet", index=False)
    frames["accounts"].to_csv(root / "accounts.csv", index=False)  # write_dir replaces one of the two


BAD_CASES = [
    BadCase("missing-required-column", _drop_column("accounts", "created_at"), "accounts.created_at", "required column"),
    BadCase("wrong-type", _set("purchases", "amount", 1, "twelve"), "purchases.amount", "number", in_parquet=False),
    BadCase("duplicate-id", _set("purchases", "order_id", 1, "O1"), "purchases.order_id", "unique"),
    BadCase("unknown-account", _set("usage", "account_id", 2, "A404"), "usage.account_id", "exists in accounts"),
    BadCase("severity-enum", _set("support_tickets", "severity", 0, "urgent"), "support_tickets.severity", "one of low"),
    BadCase("negative-amount", _set("purchases", "amount", 0, -5.0), "purchases.amount", ">= 0"),
    BadCase("closed-before-opened", _set("support_tickets", "closed_at", 0, "2024-02-01T00:00:00"),
            "support_tickets.closed_at", "closed_at >= opened_at"),
    BadCase("mixed-time-zones", _set("offers", "offered_at", 1, "2024-05-01T00:00:00+05:00"),
            "offers.offered_at", "time zone", in_parquet=False),
    BadCase("unparseable-date", _set("subscriptions", "started_at", 0, "31/12/2024 noon"),
            "subscriptions.started_at", "ISO 8601", in_parquet=False),
    BadCase("empty-file", _write_text("purchases.csv", ""), "purchases", "readable CSV", in_parquet=False),
    BadCase("not-parquet", _write_text("usage.parquet", "this is not parquet\n"), "usage", "readable parquet"),
    BadCase("missing-accounts-table", _drop_table("accounts"), "accounts", "required table"),
    BadCase("csat-out-of-range", _set("support_tickets", "csat", 0, 9), "support_tickets.csat", "<= 5"),
    BadCase("quantity-not-whole", _set("purchases", "quantity", 0, 1.5), "purchases.quantity", "whole number"),
    BadCase("usage-duplicate-key", _set("usage", "usage_date", 1, "2024-03-01T00:00:00"), "usage",
            "unique (account_id, usage_date, metric)"),
    BadCase("two-files-one-table", _both_formats, "accounts", "one file per table"),
    BadCase("null-required-id", _set("accounts", "account_id", 1, None), "accounts.account_id", "not null"),
    BadCase("channel-enum", _set("offers", "channel", 0, "fax"), "offers.channel", "one of email"),
    BadCase("ended-before-started", _set("subscriptions", "ended_at", 0, "2023-01-01T00:00:00"),
            "subscriptions.ended_at", "ended_at >= started_at"),
    BadCase("bool-garbage", _set("offers", "is_control", 0, "maybe"), "offers.is_control", "true/false", in_parquet=False),
    BadCase("empty-accounts", _empty_accounts, "accounts", "at least one row"),
    BadCase("zero-quota", _set("usage", "quota", 0, 0.0), "usage.quota", "> 0"),
    BadCase("outcome-enum", _set("offers", "outcome", 0, "won"), "offers.outcome", "one of accepted"),
]


@pytest.mark.parametrize("case", BAD_CASES, ids=[c.id for c in BAD_CASES])
def test_bad_input_exits_1_naming_table_column_and_rule(case: BadCase, tmp_path: Path) -> None:
    frames = valid_frames()
    case.mutate(frames, tmp_path)
    write_dir(frames, tmp_path)
    result = runner.invoke(app, ["validate", "--data", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a crash
    message = result.stderr
    assert "Traceback" not in message
    table, _, column = case.where.partition(".")
    expected_where = f"{table}.{column}" if column else f"- {table}"
    assert expected_where in message, message
    assert case.rule in message, message


PARQUET_CASES = [c for c in BAD_CASES if c.in_parquet]


def _summary(problems: list[Problem]) -> list[tuple]:
    """What a user reads of each problem: where, which rule, how many rows, which example rows."""
    return sorted(
        (p.table, p.column or "", p.rule, p.n_rows, tuple(p.examples.index) if p.examples is not None else ())
        for p in problems
    )


def _checked(root: Path, in_memory: bool = False) -> tuple[list[tuple], set[str], list[str]]:
    """Problems, the engines that checked the tables, and the notes (problems only when the
    source cannot even be opened)."""
    try:
        report = validate_source(root, in_memory=in_memory)
    except DataContractError as err:
        return _summary(err.problems), set(), []
    return _summary(report.problems), {t.engine for t in report.frames.values()}, report.notes


@pytest.mark.parametrize("case", PARQUET_CASES, ids=[c.id for c in PARQUET_CASES])
def test_bad_typed_parquet_is_reported_by_the_duckdb_path_as_in_memory(case: BadCase, tmp_path: Path) -> None:
    frames = valid_frames()
    case.mutate(frames, tmp_path)
    write_dir(with_contract_dtypes(frames), tmp_path, "parquet")
    result = runner.invoke(app, ["validate", "--data", str(tmp_path)])
    assert result.exit_code == 1, result.output
    table, _, column = case.where.partition(".")
    assert (f"{table}.{column}" if column else f"- {table}") in result.stderr, result.stderr
    assert case.rule in result.stderr, result.stderr

    problems, engines, notes = _checked(tmp_path)
    assert engines <= {"duckdb"} and not any("checked in memory" in n for n in notes), notes
    assert any(case.rule in p[2] and (p[0], p[1]) == (table, column) for p in problems), problems
    in_memory, memory_engines, _ = _checked(tmp_path, in_memory=True)
    assert memory_engines <= {"pandas"}
    assert problems == in_memory, "both paths report the same rules, counts and example rows"


def test_every_problem_is_reported_not_only_the_first(tmp_path: Path) -> None:
    frames = valid_frames()
    for mutate in (_set("purchases", "amount", 0, -1.0), _set("support_tickets", "severity", 1, "urgent"),
                   _set("usage", "account_id", 0, "A404")):
        mutate(frames, tmp_path)
    write_dir(frames, tmp_path)
    report = validate_source(tmp_path)
    named = {(p.table, p.column) for p in report.problems}
    assert named == {("purchases", "amount"), ("support_tickets", "severity"), ("usage", "account_id")}


def test_example_rows_are_the_offending_rows(tmp_path: Path) -> None:
    frames = valid_frames()
    _set("usage", "account_id", 2, "A404")(frames, tmp_path)
    write_dir(frames, tmp_path)
    with pytest.raises(DataContractError) as err:
        load_tables(tmp_path)
    (problem,) = err.value.problems
    assert problem.n_rows == 1
    assert list(problem.examples.index) == [2]
    assert problem.examples["account_id"].tolist() == ["A404"]


def test_bad_input_from_a_real_process_has_no_traceback(tmp_path: Path) -> None:
    frames = valid_frames()
    _set("purchases", "amount", 0, -5.0)(frames, tmp_path)
    write_dir(frames, tmp_path)
    proc = subprocess.run([sys.executable, "-m", "pipeline", "validate", "--data", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "purchases.amount" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_valid_data_loads_with_contract_types(tmp_path: Path, fmt: str) -> None:
    write_dir(valid_frames(), tmp_path, fmt)
    tables = load_tables(tmp_path)
    assert list(tables) == ["accounts", "subscriptions", "purchases", "usage", "support_tickets", "offers"]
    tickets = tables.to_pandas("support_tickets")
    assert str(tickets["opened_at"].dtype).startswith("datetime64")
    assert tickets.loc[tickets.ticket_id == "T1", "closed_at"].iloc[0] == pd.Timestamp("2024-03-02 10:00")
    subs = tables["subscriptions"].schema()
    assert subs["mrr"].is_floating() and subs["seats"].is_integer()
    # "NA" is a region (North America), not a missing value
    assert tables.to_pandas("accounts")["region"].tolist() == ["NA", "EMEA"]


def test_offsets_are_converted_to_naive_utc(tmp_path: Path) -> None:
    frames = valid_frames()
    frames["accounts"]["created_at"] = ["2024-01-01T02:00:00+02:00", "2024-02-15T11:30:00+02:00"]
    write_dir(frames, tmp_path)
    accounts = load_tables(tmp_path).to_pandas("accounts")
    assert accounts["created_at"].tolist() == [pd.Timestamp("2024-01-01 00:00"), pd.Timestamp("2024-02-15 09:30")]


def test_tz_aware_parquet_is_converted_to_utc(tmp_path: Path) -> None:
    frames = valid_frames()
    frames["accounts"]["created_at"] = frames["accounts"]["created_at"].dt.tz_localize("Europe/Berlin")
    write_dir(frames, tmp_path, "parquet")
    accounts = load_tables(tmp_path).to_pandas("accounts")
    assert accounts["created_at"].iloc[0] == pd.Timestamp("2023-12-31 23:00")


def test_optional_tables_may_be_missing_or_empty_and_extras_are_kept(tmp_path: Path) -> None:
    frames = {"accounts": valid_frames()["accounts"].assign(crm_flag="x"),
              "purchases": valid_frames()["purchases"].iloc[0:0]}
    write_dir(frames, tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    tables = load_tables(tmp_path)
    assert list(tables) == ["accounts"]
    assert "crm_flag" in tables["accounts"].columns
    notes = " ".join(tables.notes)
    assert "purchases: the table is empty" in notes and "crm_flag" in notes and "notes.txt" in notes


def test_duckdb_database_source(tmp_path: Path) -> None:
    db = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(db))
    for name, frame in valid_frames().items():
        con.register("frame", frame)
        con.execute(f'create table "{name}" as select * from frame')
        con.unregister("frame")
    con.close()
    tables = load_tables(db)
    assert len(tables) == 6
    assert tables.to_pandas("purchases")["amount"].tolist() == [99.0, 0.0]


def test_validate_cli_reports_rows_on_success(tmp_path: Path) -> None:
    write_dir(valid_frames(), tmp_path)
    result = runner.invoke(app, ["validate", "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "accounts" in result.stdout and "ok" in result.stdout
