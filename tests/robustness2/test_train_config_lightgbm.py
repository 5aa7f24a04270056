"""`upsell train/backtest --config FILE`, its [lightgbm] table: a key that would train another model
than the user thinks, or a value that crashed the training after the data were loaded, is refused
up front naming file, line and key."""
from __future__ import annotations

from pathlib import Path

import pytest

from data.errors import UpsellError
from models.config import load_config
from tests.robustness2.conftest import config_file, config_refusal


@pytest.mark.parametrize("text, line, says", [
    # the model is a calibrated binary classifier: LightGBM's objective was silently replaced
    ('[lightgbm]\nlearning_rate = 0.1\nobjective = "regression"\n', 3, "the model sets it"),
    ('[lightgbm]\napplication = "multiclass"\nnum_class = 3\n', 2, "the model sets it"),
    # a second place for settings [training] owns: LightGBM's copy silently won
    ('[lightgbm]\nn_estimators = 50\n', 2, "[training] max_rounds"),
    ('[lightgbm]\nearly_stopping_rounds = 5\n', 2, "[training] early_stopping_rounds"),
    ('[lightgbm]\nrandom_state = 7\n', 2, "[training] seed"),
])
def test_lightgbm_keys_the_model_owns_are_refused(tmp_path: Path, text: str, line: int, says: str) -> None:
    path, message = config_refusal(tmp_path, text)
    assert f"{path}:{line}:" in message and says in message


@pytest.mark.parametrize("text, line, key", [
    ('[lightgbm]\nnum_leaves = 7.5\n', 2, "num_leaves"),          # LightGBMError traceback after loading the data
    ('[lightgbm]\n\nbagging_fraction = 2.0\n', 3, "bagging_fraction"),
    ('[lightgbm]\nlearning_rate = "fast"\n', 2, "learning_rate"),
])
def test_lightgbm_values_it_would_refuse_are_refused_before_training(tmp_path: Path, text: str, line: int, key: str) -> None:
    path, message = config_refusal(tmp_path, text)
    assert f"{path}:{line}:" in message and key in message and "/__w/" not in message


@pytest.mark.parametrize("text", [
    '[lightgbm]\nobjective = "binary"\n',                 # was refused: 'the model sets it'
    '[lightgbm]\napplication = "Binary"\nnum_class = 1\n',
])
def test_restating_the_models_own_objective_is_accepted(tmp_path: Path, text: str) -> None:
    load_config(config_file(tmp_path, text))


@pytest.mark.parametrize("text", [
    '[lightgbm]\nmax_bin_by_feature = "63,63,255"\n',     # was: 'Check failed: num_col == max_bin_by_feature.size()'
    '[lightgbm]\ncategorical_feature = "name:acct_industry"\n',  # was: 'Could not find categorical_feature'
    '[lightgbm]\nmonotone_constraints = "1,-1,0"\n',
    '[lightgbm]\nforcedbins_filename = "bins.json"\n',
])
def test_per_feature_parameters_are_not_judged_on_a_one_column_probe(
        tmp_path: Path, text: str, capfd: pytest.CaptureFixture[str]) -> None:
    load_config(config_file(tmp_path, text))
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # before: LightGBM's UserWarning and '[LightGBM] [Fatal] ...' on stderr


def test_a_refused_value_prints_nothing_but_the_error(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UpsellError):
        load_config(config_file(tmp_path, '[lightgbm]\nnum_leaves = 7.5\n'))
    out, err = capfd.readouterr()
    assert "[LightGBM]" not in out + err
