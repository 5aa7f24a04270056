"""CRM field mapping files as admins edit them: a key written twice is an error with its lines
(plain YAML would keep the last silently), and YAML errors are one line with file and line."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipeline.conftest import make_scored_list
from tests.robustness.conftest import invoke


@pytest.fixture()
def scores(tmp_path: Path) -> Path:
    path = tmp_path / "scores.parquet"
    make_scored_list(3).to_parquet(path, index=False)
    return path


def _export(scores: Path, mapping: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    return invoke("export", "--scores", scores, "--target", "salesforce", "--out", tmp_path / "sf.csv",
                  "--mapping", mapping)


def test_repeated_field_in_a_yaml_mapping(scores: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("key: Upsell_Id__c\nfields:\n  account_id: Upsell_Id__c\n  score: Score__c\n"
                       "  score: Score_Old__c\n  as_of: As_Of__c\n  model_version: Model__c\n")
    result = _export(scores, mapping, tmp_path)
    assert result.exit_code == 1, result.output  # before: exit 0, score exported as Score_Old__c only
    assert f"{mapping}:5: not valid YAML (key 'score' appears twice (lines 4 and 5))" in result.output
    assert not (tmp_path / "sf.csv").exists()


def test_broken_yaml_is_one_line_with_its_line_number(scores: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("key: Upsell_Id__c\nfields: [\n")
    result = _export(scores, mapping, tmp_path)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"error: {mapping}:3: not valid YAML (")
    assert result.output.count("\n") == 1
