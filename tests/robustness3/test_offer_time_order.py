"""An offer's outcome cannot come before the offer: ``upsell outcomes import`` refuses such a row
(``outcome_at >= offered_at``), but the offers table itself is not checked for it yet, so a
table written by other means passes validation and feeds the features an outcome known before
its offer existed (``off_days_since_last_rejection`` longer than ``off_days_since_last``).

The rule belongs in ``data/schemas.py``'s ``ORDER_RULES`` (not this sweep's file): the pandas
path, the DuckDB SQL checks and the Spark validation all read their order rules from it.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.robustness3.conftest import invoke, write_tables

NEEDED = ('data/schemas.py: ORDER_RULES["offers"] = (("outcome_at", "offered_at"),) '
          "(every engine's validation reads it; the outcomes import already names the rule so)")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_an_outcome_before_its_offer_is_refused(hand_frames: dict[str, pd.DataFrame], tmp_path: Path, fmt: str) -> None:
    offers = hand_frames["offers"].copy()
    offers.loc[1, "outcome_at"] = offers.loc[1, "offered_at"] - pd.Timedelta(days=3)
    data = write_tables(tmp_path, {"accounts": hand_frames["accounts"], "offers": offers}, fmt)
    result = invoke("validate", "--data", data)
    assert result.exit_code == 1, result.output
    assert "offers" in result.output and "outcome_at >= offered_at" in result.output and "f2" in result.output


def test_an_outcome_at_the_moment_of_its_offer_is_fine(hand_frames: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    """An offer accepted on the spot (a demo that closes) has outcome_at == offered_at."""
    offers = hand_frames["offers"].copy()
    offers.loc[1, "outcome_at"] = offers.loc[1, "offered_at"]
    result = invoke("validate", "--data", write_tables(tmp_path, {"accounts": hand_frames["accounts"], "offers": offers}))
    assert result.exit_code == 0, result.output
