"""write_feature_parquet: the streamed file reads back as exactly build_features, byte-identical on
rerun, atomic on failure, and leaves nothing behind on the connection."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import features.output as output
import features.scratch as scratch
from data.tables import Tables
from features import build_features
from features.output import FeatureWriteResult, write_feature_parquet
from features.pit import normalise_cutoffs
from tests.features.conftest import fixture_frames
from tests.features_stream.conftest import CUTOFFS


def test_generated_data_reads_back_as_build_features(saas_tables: Tables, tmp_path: Path) -> None:
    out = tmp_path / "features.parquet"
    result = write_feature_parquet(saas_tables, CUTOFFS, out, row_group_rows=250)
    expected = build_features(saas_tables, CUTOFFS)
    back = pd.read_parquet(out)
    pd.testing.assert_frame_equal(back, expected)
    assert isinstance(result, FeatureWriteResult)
    assert result.rows == len(expected) > 1000
    assert result.columns == tuple(expected.columns)
    assert result.n_features == expected.shape[1] - 2
    assert [str(c.date()) for c in result.cutoffs] == CUTOFFS
    assert sorted(back.as_of.dt.strftime("%Y-%m-%d").unique()) == CUTOFFS


def test_row_groups_have_the_fixed_size(saas_tables: Tables, tmp_path: Path) -> None:
    out = tmp_path / "features.parquet"
    result = write_feature_parquet(saas_tables, CUTOFFS, out, row_group_rows=250)
    meta = pq.ParquetFile(out).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sizes[:-1] == [250] * (len(sizes) - 1)
    assert 0 < sizes[-1] <= 250 and sum(sizes) == result.rows
    assert meta.row_group(0).column(0).compression == "ZSTD"


def test_rerun_gives_byte_identical_files(saas_tables: Tables, tmp_path: Path) -> None:
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    write_feature_parquet(saas_tables, CUTOFFS, first)
    write_feature_parquet(saas_tables, list(reversed(CUTOFFS)), second)  # cutoff order does not matter
    assert first.read_bytes() == second.read_bytes()


def test_canonical_types_in_the_file(saas_tables: Tables, tmp_path: Path) -> None:
    out = tmp_path / "features.parquet"
    write_feature_parquet(saas_tables, CUTOFFS[:1], out)
    schema = pq.read_schema(out)
    assert schema.field("account_id").type == pa.string()
    assert schema.field("as_of").type == pa.timestamp("us")
    assert schema.field("sub_mrr").type == pa.float64()
    assert schema.field("sub_is_active").type == pa.float64()
    assert schema.field("acct_segment").type == pa.string()


def test_hand_fixture_and_missing_tables(tmp_path: Path) -> None:
    """Every point-in-time edge case of the hand fixture; then only accounts and purchases."""
    frames = fixture_frames()
    for name, tables in [("all", Tables.from_frames(frames)),
                         ("shop", Tables.from_frames({k: frames[k] for k in ("accounts", "purchases")}))]:
        cutoffs = ["2024-03-01", "2024-04-01", "2023-12-01"]
        out = tmp_path / f"{name}.parquet"
        write_feature_parquet(tables, cutoffs, out, row_group_rows=2)
        pd.testing.assert_frame_equal(pd.read_parquet(out), build_features(tables, cutoffs), obj=name)
    assert not any(c.startswith("use_") for c in pd.read_parquet(tmp_path / "shop.parquet").columns)


def test_metrics_fix_the_per_metric_columns(saas_tables: Tables, tmp_path: Path) -> None:
    out = tmp_path / "features.parquet"
    write_feature_parquet(saas_tables, CUTOFFS[-1:], out, metrics=["seats_used"])
    back = pd.read_parquet(out)
    pd.testing.assert_frame_equal(back, build_features(saas_tables, CUTOFFS[-1:], metrics=["seats_used"]))
    assert "use_seats_used_value_30d" in back.columns and "use_api_calls_value_30d" not in back.columns


def test_cutoff_before_every_account_gives_an_empty_file(saas_tables: Tables, tmp_path: Path) -> None:
    out = tmp_path / "features.parquet"
    result = write_feature_parquet(saas_tables, ["1990-01-01"], out)
    expected = build_features(saas_tables, ["1990-01-01"])
    assert result.rows == 0 == len(expected)
    back = pd.read_parquet(out)
    assert list(back.columns) == list(expected.columns)


def test_failure_mid_stream_keeps_the_old_file(saas_tables: Tables, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "features.parquet"
    out.write_bytes(b"previous")
    real = output._row_groups

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        for i, group in enumerate(real(*args, **kwargs)):
            if i == 2:
                raise RuntimeError("disk full")
            yield group

    monkeypatch.setattr(output, "_row_groups", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        write_feature_parquet(saas_tables, CUTOFFS, out, row_group_rows=100)
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["features.parquet"]


def test_nothing_left_on_the_connection(saas_tables: Tables, tmp_path: Path) -> None:
    """The scratch database and the streamed view are gone afterwards (Ibis's own small memtable
    views for the cutoffs stay, as they do after build_features)."""
    raw = saas_tables.con.con  # type: ignore[attr-defined]
    query = "SELECT view_name FROM duckdb_views() WHERE NOT internal AND view_name NOT LIKE 'ibis_pandas_memtable_%'"
    databases = raw.execute("SELECT database_name FROM duckdb_databases() ORDER BY 1").fetchall()
    views = sorted(raw.execute(query).fetchall())
    write_feature_parquet(saas_tables, CUTOFFS, tmp_path / "f.parquet")
    assert raw.execute("SELECT database_name FROM duckdb_databases() ORDER BY 1").fetchall() == databases
    assert sorted(raw.execute(query).fetchall()) == views


def test_row_groups_do_not_depend_on_the_engine_batches() -> None:
    schema = pa.schema([("x", pa.int64())])
    values = list(range(23))

    def batches(sizes: list[int]) -> list[pa.RecordBatch]:
        out, start = [], 0
        for n in sizes:
            out.append(pa.record_batch([pa.array(values[start:start + n], pa.int64())], schema=schema))
            start += n
        return out

    a = list(output._row_groups(batches([3, 0, 5, 1, 7, 7]), schema, 5))
    b = list(output._row_groups(batches([23]), schema, 5))
    assert [t.num_rows for t in a] == [5, 5, 5, 5, 3]
    assert [t.column("x").to_pylist() for t in a] == [t.column("x").to_pylist() for t in b]
    assert all(t.column("x").num_chunks == 1 for t in a)


def test_read_ahead_keeps_the_order_and_everything() -> None:
    with output._read_ahead(iter(range(50))) as items:
        assert list(items) == list(range(50))


def test_read_ahead_raises_the_producers_error_in_the_consumer() -> None:
    def failing():  # type: ignore[no-untyped-def]
        yield 1
        yield 2
        raise OSError("engine lost its spill file")

    got = []
    with pytest.raises(OSError, match="spill file"):
        with output._read_ahead(failing()) as items:
            got.extend(items)
    assert got == [1, 2]


def test_read_ahead_stops_the_producer_when_the_consumer_leaves() -> None:
    produced = []

    def endless():  # type: ignore[no-untyped-def]
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    with pytest.raises(RuntimeError, match="writer failed"):
        with output._read_ahead(endless(), depth=1) as items:
            for item in items:
                if item == 3:
                    raise RuntimeError("writer failed")
    stopped_at = len(produced)
    assert stopped_at <= 3 + 1 + 2  # the consumed items, one queued, one in the producer's hands
    assert not [t for t in threading.enumerate() if t.name == "feature-batches"]  # the block waited for it
    time.sleep(0.2)
    assert len(produced) == stopped_at


def _scratch_compressions(saas_tables: Tables, share: float, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The compressions DuckDB stores a materialised partial with, at a given COMPRESS_SHARE."""
    monkeypatch.setattr(scratch, "COMPRESS_SHARE", share)
    backend = saas_tables.con
    part = saas_tables["usage"].select("account_id", "usage_date", "metric", "value")
    with scratch.scratch_store(backend, normalise_cutoffs(CUTOFFS)) as store:
        assert store is not None
        stored = store.materialise(part)
        catalog, name = stored.op().namespace.catalog, stored.op().name
        rows = backend.con.execute(
            f"SELECT DISTINCT compression FROM pragma_storage_info('\"{catalog}\".main.\"{name}\"')").fetchall()
    return {r[0] for r in rows}


def test_partials_are_compressed_only_past_the_memory_budget(saas_tables: Tables,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Small builds skip the checkpoint (compressing costs more time than it saves memory);
    once the stored partials pass their share of DuckDB's memory limit, they are compressed."""
    assert _scratch_compressions(saas_tables, 1e9, monkeypatch) == {"Uncompressed"}
    assert "Uncompressed" not in _scratch_compressions(saas_tables, 0.0, monkeypatch)


def _cutoffs_selected(monkeypatch: pytest.MonkeyPatch) -> list[pd.Timestamp]:
    chosen: list[pd.Timestamp] = []
    real = scratch.ScratchStore.select_cutoff

    def spy(self: scratch.ScratchStore, cutoff: pd.Timestamp) -> None:
        chosen.append(cutoff)
        real(self, cutoff)

    monkeypatch.setattr(scratch.ScratchStore, "select_cutoff", spy)
    return chosen


@pytest.mark.parametrize(("compress", "per_cutoff"), [(0.0, 0.0), (1e9, 0.0), (0.0, 1e9)])
def test_the_file_is_the_same_however_partials_are_kept_and_read(
        saas_tables: Tables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compress: float, per_cutoff: float) -> None:
    """Compressed or not, read in one query or one cutoff at a time: the same bytes as the
    default (a small build: uncompressed, one query)."""
    expected = tmp_path / "default.parquet"
    write_feature_parquet(saas_tables, CUTOFFS, expected, row_group_rows=300)
    monkeypatch.setattr(scratch, "COMPRESS_SHARE", compress)
    monkeypatch.setattr(scratch, "PER_CUTOFF_SHARE", per_cutoff)
    chosen = _cutoffs_selected(monkeypatch)
    out = tmp_path / "variant.parquet"
    write_feature_parquet(saas_tables, CUTOFFS, out, row_group_rows=300)
    assert out.read_bytes() == expected.read_bytes()
    # one query: only the store's initial choice; one cutoff at a time: then every cutoff in order
    stepped = [str(c.date()) for c in chosen[1:]]
    assert stepped == (CUTOFFS if per_cutoff == 0.0 else [])


def test_one_cutoff_at_a_time_leaves_nothing_on_the_connection(saas_tables: Tables, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scratch, "PER_CUTOFF_SHARE", 0.0)
    raw = saas_tables.con.con  # type: ignore[attr-defined]
    query = "SELECT view_name FROM duckdb_views() WHERE NOT internal AND view_name NOT LIKE 'ibis_pandas_memtable_%'"
    views = sorted(raw.execute(query).fetchall())
    variables = raw.execute("SELECT name FROM duckdb_variables()").fetchall()
    write_feature_parquet(saas_tables, CUTOFFS, tmp_path / "f.parquet")
    assert sorted(raw.execute(query).fetchall()) == views
    assert raw.execute("SELECT name FROM duckdb_variables()").fetchall() == variables


def test_a_single_cutoff_is_never_read_cutoff_by_cutoff(saas_tables: Tables, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scratch, "PER_CUTOFF_SHARE", 0.0)
    chosen = _cutoffs_selected(monkeypatch)
    write_feature_parquet(saas_tables, CUTOFFS[:1], tmp_path / "f.parquet")
    assert len(chosen) == 1  # the store's initial choice only


def test_the_store_alone_decides_when_to_compress(saas_tables: Tables, monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB checkpoints (compresses) a database by itself once enough small tables pile up (16
    MiB of changes by default); below its compression budget the store keeps them uncompressed
    all the same, and the connection's own setting is back afterwards."""
    monkeypatch.setattr(scratch, "COMPRESS_SHARE", 1e9)
    raw = saas_tables.con.con  # type: ignore[attr-defined]
    raw.execute("SET checkpoint_threshold = '8 MiB'")
    columns = ", ".join(f"'v' || (range % {97 + i})::VARCHAR AS c{i}" if i % 2 else f"range * {i + 1} AS c{i}"
                        for i in range(9))
    try:
        raw.execute(f"CREATE OR REPLACE TEMP TABLE small_parts AS SELECT {columns} FROM range(100000)")
        small = saas_tables.con.table("small_parts")
        with scratch.scratch_store(saas_tables.con, normalise_cutoffs(CUTOFFS)) as store:
            assert store is not None
            stored = [store.materialise(small), store.stage(small), store.materialise(small)]
            compressions = {r[0] for t in stored for r in raw.execute(
                f"SELECT DISTINCT compression FROM pragma_storage_info('\"{t.op().namespace.catalog}\".main.\"{t.op().name}\"')"
            ).fetchall()}
        assert compressions == {"Uncompressed"}
        assert raw.execute("SELECT current_setting('checkpoint_threshold')").fetchall()[0][0] == "8.0 MiB"
    finally:
        raw.execute("DROP TABLE IF EXISTS small_parts")
        raw.execute("RESET checkpoint_threshold")
