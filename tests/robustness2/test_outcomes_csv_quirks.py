"""Outcome files as Excel and CRMs write them go through the loader's CSV reader, as table files
do: a repeated header kept the first `outcome` column and dropped the other silently, a trailing
delimiter shifted every value one column left, and `;`-separated or UTF-16 files got pandas'
complaint instead of the reason."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.robustness2.conftest import copy_of, invoke, offer, snapshot


@pytest.mark.parametrize("name, template, encoding, says", [
    ("repeated.csv", "offer_id,outcome,outcome,outcome_at\n{id},rejected,accepted,{at}\n", "utf-8", "repeated"),
    ("semicolon.csv", "offer_id;outcome;outcome_at\n{id};rejected;{at}\n", "utf-8", "not by commas"),
    ("utf16.csv", "offer_id,outcome,outcome_at\n{id},rejected,{at}\n", "utf-16", "save the file as CSV UTF-8"),
    ("empty.csv", "", "utf-8", "empty"),
])
def test_unreadable_outcome_files_say_why(saas_frames, saas_parquet_dir: Path, tmp_path: Path,
                                          name: str, template: str, encoding: str, says: str) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    pending = offer(saas_frames, "pending")
    at = f"{pending.offered_at + pd.Timedelta(days=1):%Y-%m-%d}"
    crm = tmp_path / name
    crm.write_bytes(template.replace("{id}", pending.offer_id).replace("{at}", at).encode(encoding))
    before = snapshot(data)
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 1, result.output  # repeated.csv before: exit 0, 'rejected' imported
    assert isinstance(result.exception, SystemExit), result.exception
    assert str(crm) in result.output and says in result.output
    assert snapshot(data) == before


def test_a_trailing_delimiter_keeps_values_under_their_header(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    pending = offer(saas_frames, "pending")
    crm = tmp_path / "trailing.csv"
    crm.write_text(f"offer_id,outcome,outcome_at\r\n{pending.offer_id},Rejected,{pending.offered_at:%Y-%m-%d} 23:59:59,\r\n")
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 0, result.output  # before: offer_id 'Rejected', outcome a date
    assert "1 updated" in result.output


def test_excels_empty_rows_are_skipped_with_a_note(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    """Excel saves rows it once formatted as ',,' lines (also between rows): the whole import failed."""
    data = copy_of(saas_parquet_dir, tmp_path)
    pending, other = offer(saas_frames, "pending"), offer(saas_frames, "rejected")
    at = f"{pending.offered_at + pd.Timedelta(days=1):%Y-%m-%d %H:%M:%S}"
    later = f"{other.outcome_at + pd.Timedelta(days=1):%Y-%m-%d %H:%M:%S}"
    crm = tmp_path / "excel.csv"
    crm.write_text(f"offer_id,outcome,outcome_at\r\n{pending.offer_id},rejected,{at}\r\n, ,\r\n"
                   f"{other.offer_id},Outcome X,{later}\r\n,,\r\n,,\r\n")
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 1, result.output
    assert "broken by 1 row" in result.output and "\n    2 " in result.output  # the bad row keeps its number
    crm.write_text(crm.read_text().replace("Outcome X", "accepted"))
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 0, result.output  # before: 3 rows breaking 'outcome' and 'outcome_at' rules
    assert "3 empty row(s) skipped" in result.output and "2 updated" in result.output
