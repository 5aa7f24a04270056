import numpy as np

from models.calibration import Calibrator, choose_calibrator, fit_calibrator


def _sample(n: int, prob, seed: int = 0):
    rng = np.random.default_rng(seed)
    margin = rng.normal(0, 2, n)
    y = (rng.random(n) < prob(margin)).astype(int)
    return margin, y


def test_platt_chosen_when_truth_is_logistic_in_the_margin():
    margin, y = _sample(4000, lambda m: 1 / (1 + np.exp(-(0.7 * m - 1.0))))
    choice = choose_calibrator(margin, y, "auto", folds=5)
    assert choice.calibrator.method == "platt"
    assert abs(choice.calibrator.slope - 0.7) < 0.1
    assert set(choice.cv_log_loss) == {"platt", "isotonic"}


def test_isotonic_chosen_when_truth_is_a_step():
    margin, y = _sample(4000, lambda m: np.where(m > 1.0, 0.8, 0.05))
    choice = choose_calibrator(margin, y, "auto", folds=5)
    assert choice.calibrator.method == "isotonic"
    assert choice.cv_log_loss["isotonic"] < choice.cv_log_loss["platt"]


def test_forced_method_and_round_trip_are_exact():
    margin, y = _sample(1000, lambda m: 1 / (1 + np.exp(-m)))
    for method in ("isotonic", "platt"):
        cal = fit_calibrator(margin, y, method)
        again = Calibrator.from_dict(cal.to_dict())
        grid = np.linspace(-8, 8, 101)
        p = cal.transform(grid)
        assert np.array_equal(p, again.transform(grid))
        assert np.all(np.diff(p) >= 0), "calibration must keep the ranking"
        assert p.min() > 0 and p.max() < 1
