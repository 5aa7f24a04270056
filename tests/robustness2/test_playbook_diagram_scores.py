"""`upsell playbook diagram P --scores FILE` with a scored list decided by another playbook (or an
older version whose nodes were renamed) drew P with 'n = 0' on most nodes and the counts of
same-named nodes: a silently wrong picture of where accounts went."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.robustness2.conftest import invoke


@pytest.fixture
def saas_paths(tmp_path: Path) -> Path:
    path = tmp_path / "scored.csv"
    pd.DataFrame({"account_id": ["a", "b", "c"],
                  "decision_path": ["seat_limit>health_gate>fit>engagement>score_gate>watch_list",
                                    "usage_growth>health_gate>fix_health_first", "no_trigger"]}).to_csv(path, index=False)
    return path


def test_scores_of_another_playbook_are_refused(saas_paths: Path, tmp_path: Path) -> None:
    result = invoke("playbook", "diagram", "telecom", "--scores", saas_paths, "--out", tmp_path / "diagram")
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "seat_limit" in result.output and "telecom" in result.output
    assert not (tmp_path / "diagram").exists()


def test_scores_of_the_same_playbook_are_drawn(saas_paths: Path) -> None:
    result = invoke("playbook", "diagram", "saas", "--scores", saas_paths)
    assert result.exit_code == 0, result.output
    assert "n = 1" in result.output


def test_notebooks_get_the_same_check(saas_paths: Path, tmp_path: Path) -> None:
    """write_diagram is what the command calls and what a notebook calls: it refuses them too."""
    from data.errors import UpsellError
    from pipeline.playbook.diagram_files import write_diagram
    from pipeline.playbook.load import resolve_playbook

    with pytest.raises(UpsellError) as err:  # before: drawn, with n = 0 on most nodes
        write_diagram(resolve_playbook("telecom"), scores=saas_paths, out=tmp_path / "diagram")
    assert "seat_limit" in str(err.value)
    assert not (tmp_path / "diagram").exists()
    assert "n = 1" in str(write_diagram("saas", scores=saas_paths)["mermaid_text"])
