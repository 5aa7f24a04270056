"""[lightgbm] parameters with one value per model feature (monotone_constraints, feature_contri,
max_bin_by_feature, the CEGB feature penalties) and interaction groups. LightGBM reads each value
with atoi/atof, so `monotone_constraints = "1,2,0"` or `"1,up"` trained silently as something
else, and a wrong count failed deep in LightGBM after the data were loaded ('Check failed:
num_total_features() == monotone_constraints.size()'). Values are judged when the settings are
read, the count once the features are known, each naming file, line and key."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from data.errors import UpsellError
from models.config import check_per_feature_parameters, load_config


def _settings(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "model.toml"
    path.write_text("[training]\nseed = 1\n\n[lightgbm]\nlearning_rate = 0.1\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("line, says", [
    ('monotone_constraints = "1,2,0"', "value 2 ('2') is not -1, 0 or 1"),      # trained as +1
    ('monotone_constraints = "1,up,0"', "value 2 ('up') is not -1, 0 or 1"),    # trained as 0
    ('mc = "1.5,0"', "value 1 ('1.5') is not -1, 0 or 1"),                      # an alias; trained as 1
    ('monotone_constraints = [1, 0, 3]', "value 3 ('3') is not -1, 0 or 1"),
    ('feature_contri = "1,-0.5"', "value 2 ('-0.5') is not a gain weight >= 0"),
    ('feature_penalty = "1,x"', "value 2 ('x') is not a gain weight >= 0"),
    ('max_bin_by_feature = "63,1"', "value 2 ('1') is not a whole number of bins > 1"),
    ('cegb_penalty_feature_lazy = "0.5,-1"', "value 2 ('-1') is not a cost >= 0"),
    ('interaction_constraints = "[0,1],[two]"', "give groups of feature positions"),
    ('monotone_constraints = ["up", "down"]', "give one number per feature"),
    ('monotone_constraints = true', "give one number per feature"),
])
def test_values_are_judged_when_the_settings_are_read(tmp_path: Path, line: str, says: str) -> None:
    path = _settings(tmp_path, line)
    with pytest.raises(UpsellError) as err:
        load_config(path)  # before: accepted (or, for a list, 'must be a number, text or true/false')
    message = str(err.value)
    assert message.startswith(f"{path}:6: [lightgbm] {line.split(' =')[0]}"), message
    assert says in message


def test_toml_lists_are_taken_as_lightgbms_text(tmp_path: Path) -> None:
    config = load_config(_settings(tmp_path, "monotone_constraints = [1, -1, 0]",
                                   "interaction_constraints = [[0, 1], [2]]", 'feature_contri = "1, 0.5, 2"'))
    assert config.lightgbm["monotone_constraints"] == "1,-1,0"
    assert config.lightgbm["interaction_constraints"] == "[0,1],[2]"
    check_per_feature_parameters(config, ["sub_mrr", "use_util_last", "pur_count_90d"])  # one value each


def test_the_count_is_judged_once_the_features_are_known(tmp_path: Path) -> None:
    path = _settings(tmp_path, "", 'monotone_constraints = "1,-1,0"')
    config = load_config(path)
    with pytest.raises(UpsellError) as err:
        check_per_feature_parameters(config, ["sub_mrr", "use_util_last"])
    message = str(err.value)
    assert message.startswith(f"{path}:7: [lightgbm] monotone_constraints has 3 value(s) but the model has 2 features")
    assert "0: sub_mrr, 1: use_util_last" in message  # the order the values must follow


def test_interaction_groups_name_features_that_exist(tmp_path: Path) -> None:
    path = _settings(tmp_path, 'interaction_constraints = "[0,1],[1,4]"')
    with pytest.raises(UpsellError, match=r"model.toml:6: \[lightgbm\] interaction_constraints .* position\(s\) 4 do not exist"):
        check_per_feature_parameters(load_config(path), ["a", "b", "c"])


def test_overrides_are_named_as_such() -> None:
    config = load_config(overrides={"lightgbm": {"feature_contri": [1.0, 0.5]}})
    with pytest.raises(UpsellError, match=r"^overrides: \[lightgbm\] feature_contri has 2 value"):
        check_per_feature_parameters(config, ["a"])
    with pytest.raises(UpsellError, match=r"^overrides: \[lightgbm\] feature_contri = .*value 2"):
        load_config(overrides={"lightgbm": {"feature_contri": "1,-2"}})


def test_what_passes_is_what_lightgbm_trains_with(tmp_path: Path) -> None:
    """The text the settings keep is LightGBM's own format: a model trained with it obeys it."""
    import lightgbm as lgb

    config = load_config(_settings(tmp_path, "monotone_constraints = [1, -1]"))
    features = ["rises", "falls"]
    check_per_feature_parameters(config, features)
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(400, 2))
    y = (X[:, 0] - X[:, 1] + rng.normal(scale=0.3, size=400) > 0).astype(int)
    booster = lgb.train({"objective": "binary", "verbosity": -1, "min_data_in_leaf": 5,
                         "monotone_constraints": config.lightgbm["monotone_constraints"]},
                        lgb.Dataset(X, y, feature_name=features), num_boost_round=20)
    grid = np.linspace(0, 1, 21)
    rising = booster.predict(np.column_stack([grid, np.full(21, 0.5)]), raw_score=True)
    falling = booster.predict(np.column_stack([np.full(21, 0.5), grid]), raw_score=True)
    assert np.all(np.diff(rising) >= 0) and np.all(np.diff(falling) <= 0)


def test_fit_refuses_a_wrong_count_before_lightgbm_trains(tmp_path: Path) -> None:
    """``PropensityModel.fit`` judges the count itself: before, LightGBM failed deep inside with
    'Check failed: num_total_features() == monotone_constraints.size()'."""
    import pandas as pd

    from models.propensity import PropensityModel

    path = _settings(tmp_path, 'monotone_constraints = "1,-1,0"')
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"sub_mrr": rng.normal(size=400), "use_util_last": rng.normal(size=400),
                      "as_of": pd.to_datetime(["2026-01-01", "2026-02-01"] * 200)})
    y = (rng.random(400) < 0.3).astype(int)
    with pytest.raises(UpsellError, match=r"model.toml:6: \[lightgbm\] monotone_constraints has 3 value\(s\) but the model has 2"):
        PropensityModel(load_config(path)).fit(X, y)
    fitted = PropensityModel(load_config(_settings(tmp_path, 'monotone_constraints = "1,-1"'))).fit(X, y)
    assert fitted.booster_.num_trees() > 0
