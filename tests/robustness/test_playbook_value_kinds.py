"""A playbook condition comparing a number with text is a lint error with file and line, found when
the playbook loads (before: an error mid-run without a line, or a branch that silently never fires)."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.playbook.load import shipped_playbooks
from tests.robustness.conftest import invoke

SAAS = Path(__file__).resolve().parents[2] / "pipeline" / "playbooks" / "saas.yaml"
ORIGINAL = "when: sup_csat_mean_180d < 3"


@pytest.mark.parametrize("condition, message", [
    ("sup_csat_mean_180d < 'three'", "cannot order text against a number"),
    ("acct_segment > 3", "cannot order text against a number"),
    ("score_band >= 0.5", "cannot order text against a number"),
    ("acct_segment == 3", "'acct_segment' is text but is compared with a number; the test is never true"),
    ("acct_segment != 3", "'acct_segment' is text but is compared with a number; the test is always true"),
    ("sub_mrr in ['high', 'low']", "'sub_mrr' is a number but the list holds text; the test is never true"),
    ("3 < acct_segment", "cannot order text against a number"),
])
def test_number_text_comparison_is_an_error_with_its_line(condition: str, message: str, tmp_path: Path) -> None:
    text = SAAS.read_text()
    assert ORIGINAL in text
    line = text[: text.index(ORIGINAL)].count("\n") + 1
    playbook = tmp_path / "playbook.yaml"
    playbook.write_text(text.replace(ORIGINAL, f"when: {condition}"))
    result = invoke("playbook", "validate", playbook)
    assert result.exit_code == 1, result.output
    assert f"playbook.yaml:{line}: error: nodes.health_gate.branches[1].when: {message}" in result.output


@pytest.mark.parametrize("condition", [
    "sup_csat_mean_180d + 1 < 4 and acct_segment != 'smb' and score > 0.1",
    "acct_segment in ['smb', 'mid_market'] and sub_is_active == 1",
    "sup_csat_mean_180d == None or -sup_csat_mean_180d > -3",
])
def test_well_typed_conditions_pass(condition: str, tmp_path: Path) -> None:
    playbook = tmp_path / "playbook.yaml"
    playbook.write_text(SAAS.read_text().replace(ORIGINAL, f"when: {condition}"))
    result = invoke("playbook", "validate", playbook)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", sorted(shipped_playbooks()))
def test_shipped_playbooks_stay_clean(name: str) -> None:
    result = invoke("playbook", "validate", name)
    assert result.exit_code == 0, result.output
