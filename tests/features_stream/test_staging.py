"""features.staging: small source tables are copied before a multi-cutoff build (so joining them to
every cutoff is not stuck on one thread), never at one cutoff or past their memory share, and the
results do not change."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import features.staging as staging
from data.tables import Tables
from features import build_features, build_training_frame
from features.output import write_feature_parquet
from features.pit import normalise_cutoffs
from features.staging import staged_inputs, worth_staging
from tests.features_stream.conftest import CUTOFFS


def _source_names(tables: Tables) -> dict[str, str]:
    return {name: tables[name].op().name for name in tables}


def test_the_size_rule() -> None:
    limit = 1_000_000_000
    share = int(limit * staging.STAGE_SHARE)
    assert worth_staging(share // 8 // 5, 5, limit, 12)
    assert not worth_staging(share // 8 // 5 + 1, 5, limit, 12)  # past its share of memory
    assert not worth_staging(10, 5, limit, 1)  # one cutoff: each row meets one cutoff
    assert not worth_staging(10, 5, None, 12)  # not DuckDB (or the limit is unknown)


def test_small_fan_out_sources_are_copied_and_released(saas_tables: Tables) -> None:
    cuts = normalise_cutoffs(CUTOFFS)
    before = _source_names(saas_tables)
    raw = saas_tables.con.con  # type: ignore[attr-defined]
    tables_before = raw.execute("SELECT count(*) FROM duckdb_tables()").fetchall()
    with staged_inputs(saas_tables, cuts) as staged:
        assert isinstance(staged, Tables) and list(staged) == list(saas_tables)
        after = _source_names(staged)
        copied = {n for n in after if after[n] != before[n]}
        assert copied == {n for n in staging.STAGED_SOURCES if n in saas_tables}
        assert after["usage"] == before["usage"]
        for name in copied:  # the same rows
            left = staged[name].to_pyarrow().to_pandas().sort_values(list(staged[name].columns)).reset_index(drop=True)
            right = saas_tables[name].to_pyarrow().to_pandas().sort_values(list(staged[name].columns)).reset_index(drop=True)
            pd.testing.assert_frame_equal(left, right)
    assert raw.execute("SELECT count(*) FROM duckdb_tables()").fetchall() == tables_before


def test_nothing_is_copied_at_one_cutoff_or_past_the_share(saas_tables: Tables, monkeypatch: pytest.MonkeyPatch) -> None:
    with staged_inputs(saas_tables, normalise_cutoffs(CUTOFFS[:1])) as staged:
        assert staged is saas_tables
    monkeypatch.setattr(staging, "STAGE_SHARE", 0.0)
    with staged_inputs(saas_tables, normalise_cutoffs(CUTOFFS)) as staged:
        assert staged is saas_tables


def test_a_plain_mapping_stays_a_mapping(saas_tables: Tables) -> None:
    plain = dict(saas_tables.tables)
    with staged_inputs(plain, normalise_cutoffs(CUTOFFS)) as staged:
        assert isinstance(staged, dict) and set(staged) == set(plain)
        assert staged["accounts"].op().name != plain["accounts"].op().name
        assert staged["usage"] is plain["usage"]


def test_features_and_training_frames_do_not_change(saas_tables: Tables, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    copied = write_feature_parquet(saas_tables, CUTOFFS, tmp_path / "copied.parquet", row_group_rows=300)
    frame = build_features(saas_tables, CUTOFFS)
    training = build_training_frame(saas_tables, as_of="2025-07-01", cutoffs=CUTOFFS[:2])
    monkeypatch.setattr(staging, "STAGE_SHARE", 0.0)
    direct = write_feature_parquet(saas_tables, CUTOFFS, tmp_path / "direct.parquet", row_group_rows=300)
    assert copied.path.read_bytes() == direct.path.read_bytes()
    pd.testing.assert_frame_equal(frame, build_features(saas_tables, CUTOFFS))
    pd.testing.assert_frame_equal(training, build_training_frame(saas_tables, as_of="2025-07-01", cutoffs=CUTOFFS[:2]))


def test_without_a_known_memory_limit_nothing_is_copied(saas_tables: Tables, monkeypatch: pytest.MonkeyPatch) -> None:
    """Other backends (PySpark) report no DuckDB memory limit: their tables pass through."""
    monkeypatch.setattr(staging, "memory_limit_bytes", lambda con: None)
    with staged_inputs(saas_tables, normalise_cutoffs(CUTOFFS)) as staged:
        assert staged is saas_tables


def test_tables_duckdb_already_stores_are_not_copied(saas_tables: Tables) -> None:
    """Frames and CSV input live in DuckDB's own storage, which it scans in parallel already."""
    stored = Tables.from_frames({name: saas_tables.to_pandas(name) for name in saas_tables})
    with staged_inputs(stored, normalise_cutoffs(CUTOFFS)) as staged:
        assert staged is stored
    mixed = Tables(con=saas_tables.con, tables={**saas_tables.tables, "accounts": saas_tables.con.create_table(
        "stored_accounts", saas_tables["accounts"], temp=True, overwrite=True)})
    with staged_inputs(mixed, normalise_cutoffs(CUTOFFS)) as staged:
        assert staged["accounts"] is mixed["accounts"]
        assert _source_names(staged)["support_tickets"] != _source_names(mixed)["support_tickets"]
