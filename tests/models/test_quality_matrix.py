"""Model quality on the four synthetic scenarios (slow: generates data and runs four backtests).

The 20k-account acceptance figures are produced with `upsell generate` + `upsell backtest` (see the
issue's closing note); this is the same measurement at 4,000 accounts, small enough for CI. With
~3,500 scored accounts the AUC noise is about ±0.015, so the bounds here are looser than the
acceptance criteria: calibrated (ECE ≤ 0.03), better than the SOP's triggers alone, not worse
than logistic regression beyond noise, and within reach of the oracle. (At 20k accounts the
model is 0.017-0.021 AUC below the oracle in saas and ecommerce and 0.027-0.036 in b2b_services and
telecom. The backtest's ``truth_fit``, a regression of the true probabilities on the same
features, shows that 0.013-0.029 of that is information the tables do not carry — the
generator's ``hidden`` effect, support "pain" that tickets recover with R² of about 0.25, the
exact monthly utilisation behind weekly-sampled usage — and 0.002-0.009 what learning from 0/1
labels costs. See docs/scenarios.md.)
"""
from __future__ import annotations

from datetime import date

import pytest

from data.tables import Tables

SCENARIOS = ("saas", "ecommerce", "b2b_services", "telecom")


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_backtest_quality(scenario: str):
    from data.synthetic import TRUTH, addon_categories, generate
    from models.backtest import run_backtest
    from models.baselines import playbook_triggers
    from pipeline.playbook.load import resolve_playbook

    frames = generate(scenario, n_accounts=4000, seed=3, end=date(2026, 6, 30), months=24)
    truth = frames.pop(TRUTH)
    tables = Tables.from_frames(frames)
    result = run_backtest(
        tables, "2026-03-01", 90, "expansion", truth=truth, addon_categories=addon_categories(scenario),
        triggers=playbook_triggers(resolve_playbook(scenario)),
    )
    m = result.metrics
    assert not result.flags
    assert m["model"]["ece"] <= 0.03
    assert m["model"]["roc_auc"] > m["rules"]["roc_auc"] + 0.02
    assert m["model"]["roc_auc"] >= m["logistic"]["roc_auc"] - 0.015
    assert m["model"]["roc_auc"] >= m["oracle"]["roc_auc"] - 0.08
    # the best ranking the features allow lies between the triggers alone and the oracle
    assert m["rules"]["roc_auc"] < m["truth_fit"]["roc_auc"] < m["oracle"]["roc_auc"]
