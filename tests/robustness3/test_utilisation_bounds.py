"""Utilisation is value / quota, and the contract only asks quota > 0: a quota next to 0 (a unit
slip, a float written as its smallest positive value) made the ratio infinite, and ``inf`` went
into the feature file, the model's matrix and the reason codes ("Utilisation at inf% of plan").
It is capped at 10^18 (the largest magnitude an input number may have): way over plan, finite.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.registry import render_reason
from tests.robustness3.conftest import invoke, write_tables


@pytest.mark.parametrize("quota", [5e-324, 1e-300])
def test_a_quota_next_to_zero_gives_a_finite_utilisation(hand_frames: dict[str, pd.DataFrame], tmp_path: Path,
                                                         quota: float) -> None:
    usage = hand_frames["usage"].copy()
    usage.loc[1, ["value", "quota"]] = [1e10, quota]  # day t - 1, the latest before the cutoff
    data = write_tables(tmp_path / "data", {**hand_frames, "usage": usage})
    out = tmp_path / "features.parquet"
    result = invoke("features", "--data", data, "--as-of", "2026-03-10", "--out", out)
    assert result.exit_code == 0, result.output
    got = pd.read_parquet(out).set_index("account_id")
    numbers = got.select_dtypes("number")
    assert not np.isinf(numbers.to_numpy()).any(), numbers.columns[np.isinf(numbers).any()].tolist()
    a1 = got.loc["a1"]
    assert (a1.use_api_util_last, a1.use_util_max_30d, a1.use_days_above_100pct_30d) == (1e18, 1e18, 1)
    assert "inf" not in render_reason("use_util_last", a1.use_util_last)


def test_ordinary_utilisation_is_untouched(hand_frames: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    usage = hand_frames["usage"].copy()
    usage.loc[1, ["value", "quota"]] = [3e17, 0.5]  # 6e17: over plan, below the cap
    out = tmp_path / "features.parquet"
    result = invoke("features", "--data", write_tables(tmp_path / "data", {**hand_frames, "usage": usage}),
                    "--as-of", "2026-03-10", "--out", out)
    assert result.exit_code == 0, result.output
    assert pd.read_parquet(out).set_index("account_id").loc["a1", "use_api_util_last"] == 6e17
