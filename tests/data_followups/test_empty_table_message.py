"""An empty accounts table is reported in words a user reads naturally ("the table has no rows"),
not as a rule "broken by 0 rows", on every path (parquet on DuckDB, CSV on pandas, in memory)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data.errors import DataContractError
from data.load import load_tables
from data.problems import Problem

SAID = "- accounts: the table has no rows (rule 'at least one row')"


@pytest.mark.parametrize(("fmt", "in_memory"), [("parquet", False), ("parquet", True), ("csv", False)])
def test_an_empty_accounts_table_says_it_has_no_rows(tmp_path: Path, fmt: str, in_memory: bool) -> None:
    empty = pd.DataFrame({"account_id": pd.Series([], dtype=str), "created_at": pd.Series([], dtype="datetime64[us]")})
    if fmt == "parquet":
        empty.to_parquet(tmp_path / "accounts.parquet", index=False)
    else:
        empty.to_csv(tmp_path / "accounts.csv", index=False)
    with pytest.raises(DataContractError) as raised:
        load_tables(tmp_path, in_memory=in_memory)
    message = str(raised.value)
    assert SAID in message.splitlines(), message
    assert "broken by 0 rows" not in message


def test_a_rule_broken_by_rows_still_counts_them() -> None:
    one = Problem(table="offers", column="channel", rule="one of email, call", n_rows=1)
    assert one.render() == "- offers.channel: rule 'one of email, call' broken by 1 row"
    assert Problem(table="accounts", column=None, rule="unique", n_rows=2).render() == \
        "- accounts: rule 'unique' broken by 2 rows"
