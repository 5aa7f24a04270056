"""Synthetic data sets with a known true propensity, for four scenarios of the upsell SOP.

    from data.synthetic import generate, write_dataset
    frames = generate("saas", n_accounts=2000, seed=7, end=date(2026, 6, 30))
    write_dataset(frames, "data/saas")

``generate`` returns contract-typed frames (``accounts``, ``subscriptions``, ``usage``,
``support_tickets``, ``offers``, ``purchases`` as the scenario has them) plus the truth frame under
``TRUTH``. The generative story of each scenario is in docs/scenarios.md; the shared monthly
process is ``world.py``, the oracle ``truth.py``, one module per scenario.
"""
from data.synthetic.generate import HORIZONS, SCENARIOS, TRUTH, addon_categories, generate
from data.synthetic.writer import TRUTH_FILE, write_dataset

__all__ = ["HORIZONS", "SCENARIOS", "TRUTH", "TRUTH_FILE", "addon_categories", "generate", "write_dataset"]
