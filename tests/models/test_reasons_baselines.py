import numpy as np
import pandas as pd
import pytest

from data.errors import UpsellError
from models.baselines import DEFAULT_SOP_TRIGGERS, LogisticBaseline, RulesBaseline, Trigger, playbook_triggers
from models.config import load_config
from models.propensity import PropensityModel
from models.reasons import contributions, reason_codes, registry_renderer, top_contributions

FAST = load_config(overrides={"training": {"max_rounds": 200, "early_stopping_rounds": 20}})


@pytest.fixture(scope="session")
def world_frame(world_tables):
    from features.training import build_training_frame

    return build_training_frame(world_tables, "expansion", 90, as_of="2024-12-01", n_snapshots=4)


@pytest.fixture(scope="session")
def world_model(world_frame):
    return PropensityModel(FAST).fit(world_frame.drop(columns="label"), world_frame["label"])


def test_contributions_add_up_to_the_raw_margin(world_model, world_frame):
    rows = world_frame.head(50)
    contrib = contributions(world_model, rows)
    assert list(contrib.columns) == [*world_model.features_, "bias"]
    assert np.allclose(contrib.sum(axis=1).to_numpy(), world_model.predict_margin(rows))


def test_contributions_do_not_depend_on_the_thread_count(world_model, world_frame):
    rows = world_frame.head(400)
    one = contributions(world_model, rows, threads=1).to_numpy()
    assert np.array_equal(one, contributions(world_model, rows, threads=2).to_numpy())
    assert np.array_equal(one, contributions(world_model, rows).to_numpy())


def test_reason_codes_are_top_positive_contributions_in_plain_language(world_model, world_frame):
    rows = world_frame.sample(40, random_state=1)
    reasons = reason_codes(world_model, rows, top_k=3)
    assert list(reasons.index) == list(rows.index)
    contrib = contributions(world_model, rows).drop(columns="bias")
    for idx in rows.index[:10]:
        positive = contrib.loc[idx][contrib.loc[idx] > 0].sort_values(ascending=False, kind="stable")
        expected = list(positive.index[:3])
        got = [reasons.at[idx, f"reason_{k}_feature"] for k in range(1, 4) if pd.notna(reasons.at[idx, f"reason_{k}_feature"])]
        assert got == expected
    # rendered with the feature registry's templates, not raw column names
    texts = reasons["reason_1"].dropna()
    assert len(texts) > 0
    assert not any(t.startswith(("use_", "sub_", "acct_")) for t in texts)


def test_top_contributions_only_for_rows_passed(world_model, world_frame):
    top = top_contributions(world_model, world_frame.head(7), top_k=2)
    assert set(top["row"]) <= set(world_frame.head(7).index)
    assert (top["contribution"] > 0).all() and top["rank"].max() <= 2


def test_fallback_renderer_for_features_outside_the_registry():
    assert registry_renderer("days_since_demo", 3.0) == "days since demo = 3"
    assert registry_renderer("use_util_max_30d", 0.96) == "Utilisation peaked at 96% of plan in the last 30 days"


def test_rules_baseline_counts_triggers_and_skips_absent_features():
    frame = pd.DataFrame({"use_util_max_30d": [0.9, 0.1, 0.95, np.nan], "sub_days_to_renewal": [30, 200, 10, 40]})
    rules = RulesBaseline(DEFAULT_SOP_TRIGGERS)
    assert rules.rule_score(frame).tolist() == [2, 0, 2, 1]
    fitted = rules.fit(frame, [1, 0, 1, 0])
    assert fitted.trigger_ids_ == ["high_utilisation", "renewal_soon"]
    assert fitted.predict_score(frame)[0] > fitted.predict_score(frame)[1]
    with pytest.raises(UpsellError, match="none of the SOP triggers"):
        RulesBaseline([Trigger("x", "not_here", ">=", 1)]).fit(frame, [1, 0, 1, 0])


def test_rules_baseline_from_a_shipped_playbook(world_frame):
    from pipeline.playbook.load import resolve_playbook

    playbook = resolve_playbook("saas")
    fired = RulesBaseline(playbook_triggers(playbook)).fired(world_frame)
    assert list(fired.columns) == [t.id for t in playbook.triggers]
    assert fired["seat_limit"].sum() == (world_frame["use_seats_used_util_last"] >= 0.9).sum()


def test_logistic_baseline_ranks_real_data(bank):
    from sklearn.metrics import roc_auc_score

    newest = bank["as_of"].max()
    train, test = bank[bank["as_of"] < newest], bank[bank["as_of"] == newest]
    lr = LogisticBaseline().fit(train.drop(columns="label"), train["label"])
    assert roc_auc_score(test["label"], lr.predict_score(test)) > 0.70


def test_reason_codes_with_duplicate_index_labels(world_model, world_frame):
    rows = world_frame.head(4)
    dup = rows.set_axis([0, 0, 1, 1])
    expected = reason_codes(world_model, rows)
    got = reason_codes(world_model, dup)
    assert got["reason_1"].tolist() == expected["reason_1"].tolist()
    assert list(got.index) == [0, 0, 1, 1]


def test_reason_codes_from_the_prediction_matrix_equal_those_from_features(world_model, world_frame):
    """Scoring builds the model matrix once and hands the reasons its rows; nothing may change."""
    rows = world_frame.sample(60, random_state=3).set_axis(range(100, 160))
    matrix = world_model.matrix(rows)
    assert np.array_equal(world_model.predict_matrix_score(matrix), world_model.predict_score(rows))
    pd.testing.assert_frame_equal(reason_codes(world_model, rows, matrix=matrix), reason_codes(world_model, rows))
    with pytest.raises(ValueError, match="same rows"):
        reason_codes(world_model, rows, matrix=matrix.iloc[:10])
    with pytest.raises(UpsellError, match="feature columns"):
        world_model.predict_matrix_score(matrix[list(reversed(matrix.columns))])


def test_reason_values_are_each_rows_own_plain_values(world_model, world_frame):
    """The value behind a reason is the row's own raw value, as plain Python (no numpy scalars)."""
    rows = world_frame.head(30)
    top = top_contributions(world_model, rows, top_k=3)
    assert len(top) > 0
    for row, feature, value in zip(top["row"], top["feature"], top["value"]):
        raw = rows.at[row, feature]
        if pd.isna(raw):
            assert value is None
        else:
            assert type(value) in (int, float, str, bool) and value == raw
