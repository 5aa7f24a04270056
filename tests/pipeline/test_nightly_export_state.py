"""``--changed-only`` across nights of ``upsell nightly``: the state the last export saved under
``<out>/exports`` is what the next night compares with, for the sql target as for files, and the
manifest says where that state is once published (not in the staging directory)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from data.errors import UpsellError
from pipeline.nightly import ExportRequest, run_nightly
from tests.conftest import AS_OF

EARLIER = (pd.Timestamp(AS_OF) - pd.Timedelta(days=7)).strftime("%Y-%m-%d")


def _rows(db: Path) -> int:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT COUNT(*) FROM upsell_scores").fetchone()[0]


def test_sql_changed_only_compares_with_the_previous_night(champion: str, saas_dir: Path, tmp_path: Path) -> None:
    out, db = tmp_path / "out", tmp_path / "crm.db"
    request = ExportRequest(target="sql", destination=f"sqlite:///{db}", changed_only=True)
    first = run_nightly(saas_dir, EARLIER, "saas", out, export=request).export
    assert first["rows_new"] == first["rows_written"] == _rows(db) > 0
    state = out / "exports" / "sql.export-state.parquet"
    assert first["state_path"] == str(state) and state.is_file()  # before: a path inside .staging-<pid>/

    second = run_nightly(saas_dir, AS_OF, "saas", out, export=request).export
    # before: the state was never read back, so every night exported every account as new
    assert second["baseline_as_of"] == EARLIER
    assert second["rows_unchanged"] > 0 and second["rows_written"] < second["rows_total"]
    assert second["rows_written"] == second["rows_new"] + second["rows_changed"]


def test_file_changed_only_reads_only_its_state_from_the_last_night(champion: str, saas_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    request = ExportRequest(target="salesforce", changed_only=True)
    run_nightly(saas_dir, EARLIER, "saas", out, export=request)
    (out / "exports" / "notes.txt").write_text("an ops team's own file")
    second = run_nightly(saas_dir, AS_OF, "saas", out, export=request)
    assert second.export["baseline_as_of"] == EARLIER and second.export["rows_unchanged"] > 0
    assert second.export["destination"] == str(out / "exports" / "upsell_salesforce.csv")
    assert (out / "exports" / "notes.txt").read_text() == "an ops team's own file"  # left where it was
    # this night's outputs are this night's files, not copies of whatever lay in exports/
    assert "exports/notes.txt" not in second.manifest["outputs"]
    assert "exports/upsell_salesforce.csv.export-state.parquet" in second.manifest["outputs"]


def test_an_unknown_export_target_is_refused_before_the_night_runs(champion: str, saas_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(UpsellError, match="unknown target 'salesfroce'"):
        run_nightly(saas_dir, AS_OF, "saas", tmp_path / "out", export=ExportRequest(target="salesfroce"))
    assert not (tmp_path / "out").exists()
