"""The SOP diagram: Mermaid text and SVG agree with the playbook and carry per-node account counts."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.playbook import decide, load_playbook, node_counts, playbook_diagram, playbook_svg, resolve_playbook

TINY = Path(__file__).parent / "playbook_fixtures" / "tiny.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def tiny():
    return load_playbook(TINY)


@pytest.fixture(scope="module")
def decisions(tiny) -> pd.DataFrame:
    scored = pd.DataFrame({
        "account_id": ["a", "b", "c", "d", "e"],
        "score": [0.9, 0.8, 0.7, 0.3, 0.1],
        "use_util_last": [0.95, 0.95, 0.95, 0.95, 0.2],
        "sup_open_critical": [0, 0, 0, 0, 0],
    })
    return decide(scored, tiny, None, "2026-11-25")


def test_node_counts_follow_decision_paths(decisions: pd.DataFrame) -> None:
    counts = node_counts(decisions)
    # a, b: am_call (capacity 2); c overflows am_call → upgrade_email; d warm → upgrade_email; e: no trigger
    assert counts == {"am_call": 3, "gate": 4, "health": 4, "no_trigger": 1, "seat_limit": 4, "upgrade_email": 2}
    assert node_counts(decisions[["final_node"]]) == {"am_call": 2, "no_trigger": 1, "upgrade_email": 2}


def test_mermaid_has_every_node_and_edge(tiny, decisions: pd.DataFrame) -> None:
    text = playbook_diagram(tiny, node_counts(decisions))
    assert text.startswith("flowchart TD\n")
    for node_id in ["seat_limit", "renewal", "health", "gate", "am_call", "upgrade_email", "fix_first", "nurture",
                    "no_trigger", "suppressed", "capacity_deferred", "follow_up"]:
        assert re.search(rf"^\s+n_{node_id}[\[\(\{{]", text, re.M), node_id
    assert "n_seat_limit --> n_health" in text
    assert 'n_gate -->|"score_band == #34;hot#34;"| n_am_call' not in text  # quotes are escaped as entities…
    assert "n_gate -->|\"score_band == 'hot'\"| n_am_call" in text  # …single quotes are fine in Mermaid
    assert 'n_health -->|"sup_open_critical #62; 0"| n_fix_first' in text  # > would break the label
    assert 'n_am_call -.->|"over capacity"| n_upgrade_email' in text
    assert "n = 3" in text and "n = 0" in text  # am_call reached by 3 accounts; renewal by none


def test_mermaid_without_counts_has_no_counts(tiny) -> None:
    assert "n = " not in playbook_diagram(tiny)


def test_svg_is_well_formed_and_deterministic(tiny, decisions: pd.DataFrame) -> None:
    counts = node_counts(decisions)
    svg = playbook_svg(tiny, counts)
    assert svg == playbook_svg(tiny, counts)
    root = ET.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    groups = {g.get("id") for g in root.findall("s:g", ns)}
    assert {"node-am_call", "node-gate", "node-seat_limit", "node-suppressed"} <= groups
    am_texts = [t.text for t in root.find("s:g[@id='node-am_call']", ns).findall("s:text", ns)]
    assert am_texts[0] == "am_call" and am_texts[-1] == "n = 3"


@pytest.mark.parametrize("name", ["saas", "ecommerce", "b2b_services", "telecom"])
def test_every_shipped_playbook_draws(name: str) -> None:
    pb = resolve_playbook(name)
    ET.fromstring(playbook_svg(pb))
    text = playbook_diagram(pb)
    for node_id in [*pb.nodes, *pb.actions, *pb.exits, *(t.id for t in pb.triggers)]:
        assert f"n_{node_id}" in text


def test_cli_diagram_writes_mermaid_and_svg_with_counts(tmp_path: Path, decisions: pd.DataFrame) -> None:
    scores = tmp_path / "scored.parquet"
    decisions.to_parquet(scores)
    result = runner.invoke(app, ["playbook", "diagram", str(TINY), "--scores", str(scores), "--out", str(tmp_path / "dg")])
    assert result.exit_code == 0, result.output
    mmd = (tmp_path / "dg" / "tiny.mmd").read_text()
    assert "n = 3" in mmd
    ET.fromstring((tmp_path / "dg" / "tiny.svg").read_text())
    csv = tmp_path / "scored.csv"
    decisions.to_csv(csv, index=False)
    printed = runner.invoke(app, ["playbook", "diagram", str(TINY), "--scores", str(csv)])
    assert printed.exit_code == 0 and printed.stdout == mmd


def test_cli_diagram_rejects_scores_without_paths(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("account_id,score\na,0.5\n")
    result = runner.invoke(app, ["playbook", "diagram", "saas", "--scores", str(bad)])
    assert result.exit_code == 1 and "needs a decision_path or final_node column" in result.stderr
