"""YAML aliases in a playbook (``*name``) are walked once: nested aliases that expand to a million
items give a short message, not a megabyte of repr (or, a few levels deeper, a run that never ends)."""
from __future__ import annotations

from pathlib import Path

from tests.robustness.conftest import invoke


def _nested_aliases(levels: int) -> str:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join(lines + [f"name: *a{levels - 1}"]) + "\n"


def test_nested_aliases_give_a_short_message(tmp_path: Path) -> None:
    playbook = tmp_path / "aliases.yaml"
    playbook.write_text(_nested_aliases(6))  # 10**6 strings once expanded
    result = invoke("playbook", "validate", playbook)
    assert result.exit_code == 1, result.output[:500]
    assert "aliases.yaml:7: error: name: Input should be a valid string" in result.output
    assert len(result.output) < 5_000  # before: the whole expanded list, ~6 MB
