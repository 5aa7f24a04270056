"""A CRM row whose offer_id names an offer of another account (a wrong id pasted, two systems'
ids mixed up) updated that other account's offer silently. The file's own account_id and
offer_type, when given, must agree with the offer its offer_id names."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.robustness2.conftest import copy_of, import_refused, invoke, offer


@pytest.mark.parametrize("column", ["account_id", "offer_type"])
def test_offer_id_of_another_account_or_type_is_refused(saas_frames, saas_parquet_dir: Path, tmp_path: Path,
                                                        column: str) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    pending = offer(saas_frames, "pending")
    other = saas_frames["offers"].loc[saas_frames["offers"][column] != pending[column], column].iloc[0]
    crm = tmp_path / "crm.csv"
    crm.write_text(f"offer_id,{column},outcome,outcome_at\n{pending.offer_id},{other},rejected,"
                   f"{pending.offered_at:%Y-%m-%d} 23:59:59\n")
    output = import_refused(crm, data)  # before: '1 updated' on the offer of the id
    assert f"outcomes.{column}" in output and str(pending[column]) in output


def test_agreeing_details_and_other_spelling_of_the_type_pass(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    pending = offer(saas_frames, "pending")
    crm = tmp_path / "crm.csv"
    crm.write_text(f"offer_id,account_id,offer_type,outcome,outcome_at\n{pending.offer_id},{pending.account_id},"
                   f"{pending.offer_type.upper()},rejected,{pending.offered_at:%Y-%m-%d} 23:59:59\n")
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 0, result.output
    assert "1 updated" in result.output
