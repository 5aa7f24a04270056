import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from data.errors import UpsellError
from models.config import load_config
from models.leakage import LeakageError
from models.propensity import PropensityModel

FAST = load_config(overrides={"training": {"max_rounds": 300, "early_stopping_rounds": 30}})


@pytest.fixture(scope="session")
def bank_split(bank):
    newest = bank["as_of"].max()
    train, test = bank[bank["as_of"] < newest], bank[bank["as_of"] == newest]
    return train, test


@pytest.fixture(scope="session")
def bank_model(bank_split):
    train, _ = bank_split
    return PropensityModel(FAST).fit(train.drop(columns="label"), train["label"])


def test_time_ordered_validation_uses_the_newest_snapshot(bank_model, bank_split):
    train, _ = bank_split
    snapshots = sorted(train["as_of"].unique())
    assert bank_model.validation_as_of_ == snapshots[-1]
    assert bank_model.train_as_of_ == list(snapshots[:-1])
    assert bank_model.n_validation_rows_ == int((train["as_of"] == snapshots[-1]).sum())


def test_native_categoricals_and_no_id_columns(bank_model):
    assert "account_id" not in bank_model.features_ and "as_of" not in bank_model.features_
    assert {"job", "marital", "poutcome"} <= set(bank_model.categorical_features_)
    assert bank_model.categories_["marital"] == sorted(bank_model.categories_["marital"])


def test_predicts_calibrated_probabilities_on_later_real_data(bank_model, bank_split):
    _, test = bank_split
    proba = bank_model.predict_proba(test)
    assert proba.shape == (len(test), 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert roc_auc_score(test["label"], proba[:, 1]) > 0.70
    assert bank_model.calibrator_.method in {"isotonic", "platt"}


def test_fit_is_deterministic_and_save_load_round_trips(bank_model, bank_split, tmp_path):
    train, test = bank_split
    again = PropensityModel(FAST).fit(train.drop(columns="label"), train["label"])
    assert np.array_equal(again.predict_score(test), bank_model.predict_score(test))
    loaded = PropensityModel.load(bank_model.save(tmp_path / "m"))
    assert np.array_equal(loaded.predict_score(test), bank_model.predict_score(test))
    assert loaded.features_ == bank_model.features_
    pd.testing.assert_frame_equal(loaded.reference_, bank_model.reference_)


def test_keeps_a_drift_reference_from_the_newest_snapshot(bank_model, bank_split):
    train, _ = bank_split
    ref = bank_model.reference_
    newest = train[train["as_of"] == bank_model.validation_as_of_]
    assert list(ref.columns) == [*bank_model.features_, "score"]
    assert 0 < len(ref) <= min(len(newest), 5000)
    assert ref["score"].between(0, 1).all()
    assert np.allclose(ref["score"], bank_model.predict_score(ref))
    # every reference row is a row of the newest snapshot (so drift compares like with like)
    key = bank_model.features_[:4]
    assert len(ref[key].merge(newest[key].drop_duplicates(), on=key)) >= len(ref)


def test_unseen_category_and_missing_values_are_scored(bank_model, bank_split):
    _, test = bank_split
    odd = test.head(5).copy()
    odd["job"] = "astronaut"
    odd.loc[odd.index[0], "age"] = np.nan
    p = bank_model.predict_score(odd)
    assert np.isfinite(p).all()


def test_missing_feature_and_non_numeric_are_clear_errors(bank_model, bank_split):
    _, test = bank_split
    with pytest.raises(UpsellError, match="lacks 1 column.*'age'"):
        bank_model.predict_score(test.drop(columns="age"))
    with pytest.raises(UpsellError, match="'age' must be numeric"):
        bank_model.predict_score(test.assign(age="old"))


def test_planted_leak_is_refused(bank_split):
    train, _ = bank_split
    leaky = train.assign(next_quarter_upsell=train["label"])
    with pytest.raises(LeakageError, match="next_quarter_upsell") as err:
        PropensityModel(FAST).fit(leaky.drop(columns="label"), leaky["label"])
    assert err.value.features["next_quarter_upsell"] == pytest.approx(1.0)
    # an id-like categorical does not trip the guard: it is target-encoded on older snapshots only
    ids = train.assign(customer_ref=train["account_id"])
    PropensityModel(FAST).fit(ids.drop(columns="label"), ids["label"])


def test_single_snapshot_falls_back_to_a_stratified_holdout(bank):
    one = bank[bank["as_of"] == bank["as_of"].min()]
    model = PropensityModel(FAST).fit(one.drop(columns="label"), one["label"])
    assert model.n_validation_rows_ == pytest.approx(0.25 * len(one), abs=1)


def test_one_class_snapshot_is_a_clear_error(bank):
    frame = bank.copy()
    frame.loc[frame["as_of"] == frame["as_of"].max(), "label"] = 0
    with pytest.raises(UpsellError, match="newest snapshot .* only one class"):
        PropensityModel(FAST).fit(frame.drop(columns="label"), frame["label"])


def test_config_file_overrides_and_typos(tmp_path):
    good = tmp_path / "m.toml"
    good.write_text("[lightgbm]\nnum_leaves = 7\n[calibration]\nmethod = 'platt'\n")
    cfg = load_config(good)
    assert cfg.lightgbm["num_leaves"] == 7 and cfg.calibration.method == "platt"
    assert cfg.training.seed == 42  # untouched defaults survive
    typo = tmp_path / "typo.toml"
    typo.write_text("[trainin]\nseed = 1\n")
    with pytest.raises(UpsellError, match=r"typo.toml: unknown section \[trainin\]"):
        load_config(typo)
    bad = tmp_path / "bad.toml"
    bad.write_text("[calibration]\nmethod = 'magic'\n")
    with pytest.raises(UpsellError, match=r"\[calibration.method\]"):
        load_config(bad)


def test_a_misspelt_lightgbm_parameter_is_refused_with_its_line(tmp_path):
    """LightGBM itself only warns and trains with its default for an unknown key."""
    typo = tmp_path / "leaves.toml"
    typo.write_text("# more leaves\n[lightgbm]\nlearning_rate = 0.1\nnum_leavs = 7\n")
    with pytest.raises(UpsellError, match=r"leaves.toml:4: \[lightgbm\] 'num_leavs' is not a LightGBM parameter; did you mean num_leaves"):
        load_config(typo)
    with pytest.raises(UpsellError, match="overrides: .*'max_dept'"):
        load_config(overrides={"lightgbm": {"max_dept": 3}})
    aliases = tmp_path / "aliases.toml"  # LightGBM's aliases and sklearn-style names are its own
    aliases.write_text("[lightgbm]\nmin_child_samples = 50\ncolsample_bytree = 0.5\nreg_lambda = 1.0\n")
    assert load_config(aliases).lightgbm["colsample_bytree"] == 0.5


def test_model_matrix_codes_categories_by_their_text() -> None:
    from models.frame import to_matrix

    frame = pd.DataFrame({"tier": pd.Series(["pro", None, "free", "gold", "pro"], dtype="str"),
                          "n": pd.array([1, 2, 3, None, 5], dtype="Int64")})
    out = to_matrix(frame, ["tier", "n"], {"tier": ["free", "pro"]})
    assert list(out["tier"].cat.categories) == ["free", "pro"]
    assert out["tier"].cat.codes.tolist() == [1, -1, 0, -1, 1]  # missing and unseen ("gold") alike
    assert out["n"].dtype == "float64" and np.isnan(out["n"].iloc[3])
