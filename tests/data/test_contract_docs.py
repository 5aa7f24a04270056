"""docs/contract.md is generated from data/contract.py; it must not drift."""
from __future__ import annotations

from pathlib import Path

from data.contract import COLUMNS, contract_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "contract.md"


def test_contract_doc_table_is_current() -> None:
    text = DOC.read_text()
    start = text.index("<!-- BEGIN GENERATED: contract tables -->\n") + len("<!-- BEGIN GENERATED: contract tables -->\n")
    end = text.index("<!-- END GENERATED: contract tables -->")
    assert text[start:end] == contract_markdown(), "regenerate docs/contract.md from data.contract.contract_markdown()"


def test_contract_names_the_shared_contract_columns() -> None:
    names = {(t, c.name) for t, cols in COLUMNS.items() for c in cols}
    for must in [("accounts", "owner_id"), ("offers", "reenter_at"), ("usage", "quota"), ("support_tickets", "csat")]:
        assert must in names
