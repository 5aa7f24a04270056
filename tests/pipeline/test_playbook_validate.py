"""Loading and linting: the shipped playbooks pass; every broken playbook fails naming key and reason."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.playbook import PlaybookError, lint, parse_playbook, resolve_playbook, shipped_playbooks
from pipeline.playbook.feature_names import known_features
from pipeline.playbook.load import load_playbook

HERE = Path(__file__).parent
BROKEN = sorted((HERE / "broken_playbooks").glob("*.yaml"))
TINY = HERE / "playbook_fixtures" / "tiny.yaml"
runner = CliRunner()


def _expectation(path: Path) -> tuple[str, str]:
    text = path.read_text()
    key = re.search(r"^# expect-key: (.+)$", text, re.M).group(1).strip()
    reason = re.search(r"^# expect-reason: (.+)$", text, re.M).group(1).strip()
    return key, reason


def _all_issues(path: Path) -> list:
    """Loader errors, or else lint findings (with the known feature list)."""
    try:
        pb = load_playbook(path)
    except PlaybookError as exc:
        return exc.issues
    return lint(pb, known_features()[0])


def test_the_four_playbooks_ship_and_validate_cleanly() -> None:
    assert list(shipped_playbooks()) == ["b2b_services", "ecommerce", "saas", "telecom"]
    known, origin = known_features()
    for name in shipped_playbooks():
        pb = resolve_playbook(name)
        assert pb.name == name
        assert lint(pb, known) == [], name


def test_there_are_at_least_ten_broken_playbooks() -> None:
    assert len(BROKEN) >= 10


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_each_broken_playbook_fails_naming_key_and_reason(path: Path) -> None:
    key, reason = _expectation(path)
    errors = [i for i in _all_issues(path) if i.severity == "error"]
    assert errors, f"{path.name} should fail"
    hits = [i for i in errors if i.key == key and reason in i.message]
    assert hits, "\n".join(i.render() for i in errors)
    assert all(i.file == str(path) for i in hits)
    assert hits[0].line is not None and hits[0].line > 0


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_cli_validate_exits_1_with_file_key_and_reason(path: Path) -> None:
    key, reason = _expectation(path)
    result = runner.invoke(app, ["playbook", "validate", str(path)])
    assert result.exit_code == 1, result.output
    assert str(path) in result.stderr and key in result.stderr and reason in result.stderr
    assert "Traceback" not in result.output


def test_injected_condition_in_a_playbook_runs_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[tuple] = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a) or 0)
    path = HERE / "broken_playbooks" / "07_injected_import.yaml"
    with pytest.raises(PlaybookError, match="function calls are not allowed"):
        load_playbook(path)
    result = runner.invoke(app, ["playbook", "validate", str(path)])
    assert result.exit_code == 1
    assert calls == [] and not (tmp_path / "pwned_marker").exists()


def test_validate_shipped_and_tiny_exit_0() -> None:
    for ref in ("saas", str(TINY)):
        result = runner.invoke(app, ["playbook", "validate", ref])
        assert result.exit_code == 0, result.output
        assert "ok" in result.stdout


def test_warnings_are_printed_but_exit_0(tmp_path: Path) -> None:
    text = TINY.read_text()
    text = text.replace("  automated: {weekly_capacity: null}", "  automated: {weekly_capacity: null}\n  sales_rep: {weekly_capacity: 5}")
    text = text.replace("review: {cadence: monthly,", "review: {max_path_depth: 1, cadence: monthly,")
    path = tmp_path / "warn.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["playbook", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "roles.sales_rep: role 'sales_rep' owns no action" in result.stderr
    assert "too many conditional paths" in result.stderr and "passes 2 decision nodes" in result.stderr


def test_a_misspelt_reference_suggests_the_defined_name() -> None:
    text = TINY.read_text().replace("        to: upgrade_email", "        to: upgrade_emails")
    issues = _issues_of(text)
    assert [(i.key, i.message) for i in issues if i.severity == "error"] == [
        ("nodes.gate.branches[1].to", "'upgrade_emails' is not a defined node, action or exit; did you mean 'upgrade_email'?")
    ]


def _issues_of(text: str) -> list:
    try:
        return lint(parse_playbook(text, "inline.yaml"), known_features()[0])
    except PlaybookError as exc:
        return exc.issues


def test_near_duplicate_defined_names_are_a_warning() -> None:
    text = TINY.read_text().replace(
        "exits:\n  fix_first: {}", "exits:\n  fix_first: {}\n  fix_firsts: {}").replace(
        "      - when: sup_open_critical > 0\n        to: fix_first",
        "      - when: sup_open_critical > 0\n        to: fix_first\n      - when: sup_open_critical < 0\n        to: fix_firsts")
    issues = _issues_of(text)
    assert [i.severity for i in issues] == ["warning"], [i.render() for i in issues]
    assert issues[0].key == "exits.fix_firsts" and "near-duplicate of 'fix_first'" in issues[0].message


def test_unknown_metric_is_caught_when_metrics_are_named() -> None:
    pb = resolve_playbook("saas")
    known, _ = known_features(["seats_used", "storage_gb"])
    issues = lint(pb, known)
    assert any(i.key == "triggers[1].when" and "'use_api_calls_util_max_30d' is not a known feature" in i.message for i in issues)


def test_unknown_playbook_reference_names_the_shipped_ones() -> None:
    result = runner.invoke(app, ["playbook", "validate", "sas"])
    assert result.exit_code == 1
    assert "no shipped playbook named 'sas'" in result.stderr and "saas" in result.stderr


def test_list_shows_every_shipped_playbook() -> None:
    result = runner.invoke(app, ["playbook", "list"])
    assert result.exit_code == 0
    for name in ("saas", "ecommerce", "b2b_services", "telecom"):
        assert re.search(rf"^{name}\s+v\d", result.stdout, re.M)


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(PlaybookError, match="must be a YAML mapping"):
        parse_playbook("- just\n- a list\n", "list.yaml")


def test_decide_refuses_a_playbook_with_lint_errors() -> None:
    import pandas as pd

    from pipeline.playbook import decide

    pb = load_playbook(HERE / "broken_playbooks" / "04_cycle.yaml")
    with pytest.raises(PlaybookError, match="cycle"):
        decide(pd.DataFrame({"account_id": ["a"], "score": [0.5]}), pb, None, "2026-01-01")


def test_the_documented_example_is_a_valid_playbook() -> None:
    doc = (HERE.parents[1] / "docs" / "playbooks.md").read_text()
    example = re.search(r"```yaml\n(.*?)```", doc, re.S).group(1)
    pb = parse_playbook(example, "docs/playbooks.md")
    assert lint(pb, known_features()[0]) == []
