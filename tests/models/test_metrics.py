import numpy as np
import pytest

from data.errors import UpsellError
from models.metrics import (
    calibration_table,
    classification_metrics,
    expected_calibration_error,
    gains_table,
    is_at_least_as_good,
    lift_and_capture,
)


def test_ece_by_hand():
    # bin [0.1,0.2): p=0.1,0.1 with labels 0,1 -> |0.5-0.1| * 2 ; bin [0.9,1]: p=0.9, label 1 -> 0.1
    y = np.array([0, 1, 1])
    p = np.array([0.1, 0.1, 0.9])
    assert expected_calibration_error(y, p) == pytest.approx((2 * 0.4 + 1 * 0.1) / 3)
    assert expected_calibration_error(np.array([0, 1]), np.array([0.0, 1.0])) == 0.0


def test_lift_and_capture_by_hand():
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0])  # base rate 0.2
    score = np.arange(10, 0, -1, dtype=float)  # row 0 highest
    lift, capture = lift_and_capture(y, score, 0.2)  # top 2 rows: one positive
    assert lift == pytest.approx(0.5 / 0.2)
    assert capture == pytest.approx(0.5)


def test_classification_metrics_perfect_and_random():
    y = np.array([0] * 90 + [1] * 10)
    perfect = classification_metrics(y, y * 0.9 + 0.05)
    assert perfect["roc_auc"] == 1.0 and perfect["capture_10"] == 1.0 and perfect["lift_10"] == pytest.approx(10)
    flat = classification_metrics(y, np.full(100, 0.1))
    assert flat["roc_auc"] == 0.5 and flat["ece"] == pytest.approx(0.0)
    ranking_only = classification_metrics(y, np.arange(100.0), probabilities=False)
    assert "log_loss" not in ranking_only


def test_metrics_refuse_one_class_and_nan():
    with pytest.raises(UpsellError, match="both positive and negative"):
        classification_metrics(np.zeros(5), np.linspace(0, 1, 5))
    with pytest.raises(UpsellError, match="missing or infinite"):
        classification_metrics(np.array([0, 1]), np.array([0.2, np.nan]))


def test_promotion_comparison_direction():
    assert is_at_least_as_good("roc_auc", 0.80, 0.80)
    assert not is_at_least_as_good("roc_auc", 0.79, 0.80)
    assert is_at_least_as_good("log_loss", 0.30, 0.31)
    assert not is_at_least_as_good("ece", 0.03, 0.02)
    assert not is_at_least_as_good("roc_auc", 0.805, 0.80, min_improvement=0.01)


def test_chart_tables():
    y = np.array([0, 0, 1, 1])
    table = calibration_table(y, np.array([0.05, 0.15, 0.85, 0.95]))
    assert table["rows"].sum() == 4
    gains = gains_table(y, np.array([0.1, 0.2, 0.9, 0.8]), points=4)
    assert gains["captured"].iloc[0] == 0 and gains["captured"].iloc[-1] == 1
    assert gains.loc[gains["contacted"] == 0.5, "captured"].item() == 1.0


def test_fingerprint_ignores_last_bit_float_noise_but_not_real_changes():
    import pandas as pd

    from models.fingerprint import frame_fingerprint

    a = pd.DataFrame({"x": [0.1 + 0.2, 1e6 / 3], "k": ["a", "b"]})
    noisy = a.assign(x=a["x"] * (1 + 1e-15))
    assert frame_fingerprint(a) == frame_fingerprint(noisy)
    assert frame_fingerprint(a) != frame_fingerprint(a.assign(x=[0.3, 1e6 / 3 + 1]))
    assert frame_fingerprint(a) != frame_fingerprint(a.assign(k=["a", "c"]))
