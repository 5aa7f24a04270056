"""An outcome dated in the future (a typo: 2062 for 2026) would be the offer's latest outcome
forever: every later correction counted as 'older than recorded', and features would see the
offer as pending at every cutoff. It is refused."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.robustness2.conftest import copy_of, crm_file, import_refused, invoke, offer


def test_outcome_dated_in_the_future_is_refused(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    pending = offer(saas_frames, "pending")
    crm = crm_file(tmp_path, "offer_id,outcome,outcome_at,revenue",
                   f"{pending.offer_id},accepted,2062-06-20 10:00:00,500", name="typo.csv")
    output = import_refused(crm, data)  # before: accepted, dated 2062
    assert "outcomes.outcome_at" in output and "future" in output and "2062-06-20" in output


def test_re_entry_dates_may_lie_ahead(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_parquet_dir, tmp_path)
    pending = offer(saas_frames, "pending")
    crm = tmp_path / "later.csv"
    crm.write_text(f"offer_id,outcome,outcome_at,reenter_at\n{pending.offer_id},deferred,"
                   f"{pending.offered_at + pd.Timedelta(days=1):%Y-%m-%d},2062-01-01\n")
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 0, result.output
