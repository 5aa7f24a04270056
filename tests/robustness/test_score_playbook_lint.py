"""`upsell score` with a playbook condition that names no feature (a typo) or compares a number
with text: refused before scoring with the playbook's file and line (before: exit 0, the typo read
as missing for every account, its branch silently never fired)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.playbook import decide, resolve_playbook
from pipeline.playbook.issues import PlaybookError

SAAS = Path(__file__).resolve().parents[2] / "pipeline" / "playbooks" / "saas.yaml"


def _scored() -> pd.DataFrame:
    return pd.DataFrame({"account_id": ["A1", "A2"], "score": [0.6, 0.1], "use_seats_used_util_last": [0.95, 0.2]})


@pytest.mark.parametrize("original, broken, message", [
    ("when: use_seats_used_util_last >= 0.9", "when: use_seats_used_util_lst >= 0.9",
     "'use_seats_used_util_lst' is not a known feature"),
    ("when: sup_csat_mean_180d < 3", "when: sup_csat_mean_180d < 'three'", "cannot order text against a number"),
])
def test_decide_refuses_a_condition_that_can_never_be_right(original: str, broken: str, message: str,
                                                            tmp_path: Path) -> None:
    text = SAAS.read_text()
    line = text[: text.index(original)].count("\n") + 1
    path = tmp_path / "playbook.yaml"
    path.write_text(text.replace(original, broken))
    with pytest.raises(PlaybookError) as caught:
        decide(_scored(), resolve_playbook(path), None, "2026-06-30")
    assert f"playbook.yaml:{line}: error:" in str(caught.value) and message in str(caught.value)


def test_decide_still_accepts_another_metric_absent_from_this_data(tmp_path: Path) -> None:
    """A per-metric feature of a metric this data lacks is a feature name, only absent: a warning."""
    path = tmp_path / "playbook.yaml"
    path.write_text(SAAS.read_text().replace("when: use_seats_used_util_last >= 0.9", "when: use_licences_util_last >= 0.9"))
    decisions = decide(_scored(), resolve_playbook(path), None, "2026-06-30")
    assert len(decisions) == 2 and "use_licences_util_last" in decisions.attrs["missing_features"]
