"""A registered model name MLflow refuses (`a/b`, `team:upsell`) was a MlflowException traceback
after the whole training; it is refused before any data are read, from the option or the config."""
from __future__ import annotations

from pathlib import Path

import pytest

from data.errors import UpsellError
from models.config import load_config
from tests.robustness2.conftest import invoke


@pytest.mark.parametrize("name", ["sales/upsell", "team:upsell", " "])
def test_train_refuses_a_model_name_mlflow_cannot_register(name: str, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-data"  # refused before the data are looked at
    result = invoke("train", "--data", missing, "--as-of", "2026-03-31", "--model-name", name)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "--model-name" in result.output and "no-such-data" not in result.output


def test_config_model_name_is_checked_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "model.toml"
    path.write_text('[registry]\nexperiment = "x"\nmodel_name = "sales/upsell"\n')
    with pytest.raises(UpsellError) as err:
        load_config(path)
    assert f"{path}:3:" in str(err.value) and "registry.model_name" in str(err.value)


@pytest.mark.parametrize("when", ["yesterday at noon", "01/11/2026 13:00", "2026-11-26 25:00"])
def test_champions_on_takes_iso_8601_only(when: str) -> None:
    """`--on` longer than a date went to pandas' guessing parser: text it could not read was a
    DateParseError traceback, and 01/11/2026 13:00 was read as 11 January."""
    result = invoke("champions", "--on", when)
    assert result.exit_code == 2, result.output
    assert "--on" in result.output and "ISO 8601" in result.output


@pytest.mark.parametrize("command", ["train", "backtest"])
def test_a_mistyped_playbook_is_refused_before_the_data_are_read(command: str, tmp_path: Path) -> None:
    """--playbook was resolved after the tables were loaded and validated (minutes on real data)."""
    result = invoke(command, "--data", tmp_path / "no-such-data", "--as-of", "2026-03-31", "--playbook", "sass")
    assert result.exit_code == 1, result.output
    assert "sass" in result.output and "no-such-data" not in result.output
