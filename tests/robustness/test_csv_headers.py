"""Headers a customer export gets slightly wrong: each is reported naming the table and column (or
why the file cannot be read), never quietly mended by dropping or shifting data."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data.load import load_tables, validate_source
from tests.robustness.conftest import copy_of, invoke


def _rewrite(data: Path, name: str, text_of) -> None:  # type: ignore[no-untyped-def]
    path = data / f"{name}.csv"
    path.write_text(text_of(path.read_text()))


def _problems(data: Path) -> list[tuple[str, str | None, str, str]]:
    return [(p.table, p.column, p.rule, p.detail) for p in validate_source(data).problems]


@pytest.mark.parametrize("spelt", ["Account_ID", " account_id", "ACCOUNT_ID "])
def test_required_column_in_another_case_names_the_rename(saas_csv_dir: Path, tmp_path: Path, spelt: str) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    _rewrite(data, "accounts", lambda text: text.replace("account_id", spelt, 1))
    assert _problems(data) == [("accounts", "account_id", "column name spelt as in the contract",
                                f"found {spelt!r}; rename it to 'account_id'")]


def test_optional_column_in_another_case_is_not_quietly_ignored(saas_csv_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    _rewrite(data, "accounts", lambda text: text.replace("plan_tier", "Plan_Tier", 1))
    result = invoke("validate", "--data", data)
    assert result.exit_code == 1, result.output  # before: exit 0, a note, and no acct_plan_tier feature
    assert "accounts.plan_tier: rule 'column name spelt as in the contract'" in result.output
    assert "'Plan_Tier'" in result.output


def test_a_truly_extra_column_is_still_a_note(saas_csv_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    frame = pd.read_csv(data / "accounts.csv", dtype=str).assign(Crm_Segment="x")
    frame.to_csv(data / "accounts.csv", index=False)
    tables = load_tables(data)
    assert any("extra column(s) Crm_Segment" in note for note in tables.notes)


def test_repeated_header_name_is_an_error(saas_csv_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    _rewrite(data, "accounts", lambda text: text.replace("owner_id", "region", 1))
    result = invoke("validate", "--data", data)
    assert result.exit_code == 1, result.output  # before: exit 0, the second 'region' read as 'region.1'
    assert "accounts.csv: column name(s) repeated in the header: region" in result.output


def test_two_columns_differing_only_in_case_are_a_problem_not_a_traceback(saas_csv_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    _rewrite(data, "accounts", lambda text: text.replace("owner_id", "Account_ID ", 1))
    result = invoke("validate", "--data", data)
    assert result.exit_code == 1, result.output  # before: DuckDB's CatalogException traceback
    assert "rule 'column names differ by more than case' broken (found 'account_id' and 'Account_ID '" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("sep, shown", [(";", "';'"), ("\t", "tab")])
def test_other_separators_are_named(saas_csv_dir: Path, tmp_path: Path, sep: str, shown: str) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    frame = pd.read_csv(data / "accounts.csv", dtype=str, keep_default_na=False)
    frame.to_csv(data / "accounts.csv", index=False, sep=sep)
    result = invoke("validate", "--data", data)
    assert result.exit_code == 1, result.output
    assert f"the header is separated by {shown}, not by commas" in result.output


def test_trailing_delimiter_on_every_row_reads_every_column_in_place(saas_csv_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    _rewrite(data, "accounts", lambda text: "\n".join(
        line if i == 0 or not line else line + "," for i, line in enumerate(text.split("\n"))))
    tables = load_tables(data)
    got = tables.con.to_pandas(tables.tables["accounts"]).sort_values("account_id").reset_index(drop=True)
    want = pd.read_csv(saas_csv_dir / "accounts.csv", dtype=str)["account_id"].sort_values().reset_index(drop=True)
    assert got["account_id"].tolist() == want.tolist()  # before: account_id held the created_at text


def test_a_value_beyond_the_header_is_an_error(saas_csv_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    _rewrite(data, "accounts", lambda text: "\n".join(
        line if i == 0 or not line else line + ("," if i != 4 else ",surprise") for i, line in enumerate(text.split("\n"))))
    result = invoke("validate", "--data", data)
    assert result.exit_code == 1, result.output
    assert "row 3 has more values than the header has columns (9)" in result.output


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16"])
def test_a_file_not_in_utf8_says_so(saas_csv_dir: Path, tmp_path: Path, encoding: str) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    frame = pd.read_csv(data / "accounts.csv", dtype=str, keep_default_na=False).assign(name="Café Müller")
    frame.to_csv(data / "accounts.csv", index=False, encoding=encoding)
    result = invoke("validate", "--data", data)
    assert result.exit_code == 1, result.output
    assert "accounts.csv: not UTF-8 text" in result.output and "save the file as CSV UTF-8" in result.output


def test_single_table_files_read_by_the_feedback_loop_get_the_same_csv_checks(tmp_path: Path) -> None:
    """outcomes import, review and export --data read one table file at a time: a trailing
    delimiter must not shift the columns there either, and a ';' file is refused with the reason."""
    from data.errors import UpsellError
    from pipeline.table_io import read_table_file

    offers = tmp_path / "offers.csv"
    offers.write_text("offer_id,account_id,offered_at,offer_type,channel,outcome\n"
                      "O1,A1,2026-01-05,tier_upgrade,email,accepted,\n")
    frame = read_table_file(offers, "offers")
    assert frame.loc[0, "offer_id"] == "O1" and frame.loc[0, "outcome"] == "accepted"  # before: shifted left
    offers.write_text("offer_id;account_id;offered_at\nO1;A1;2026-01-05\n")
    with pytest.raises(UpsellError, match="separated by ';'"):
        read_table_file(offers, "offers")
