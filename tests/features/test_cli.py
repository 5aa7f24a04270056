"""`upsell features`: writes parquet atomically and deterministically; --list; exit codes."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from tests.features.conftest import fixture_frames

runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("data")
    for name, frame in fixture_frames().items():
        if name == "usage":  # files carry dates as timestamps; the loader and features cope
            frame = frame.assign(usage_date=pd.to_datetime(frame.usage_date).astype("datetime64[us]"))
        frame.to_parquet(d / f"{name}.parquet", index=False)
    return d


def test_features_writes_one_row_per_active_account(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.parquet"
    result = runner.invoke(app, ["features", "--data", str(data_dir), "--as-of", "2024-03-01", "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert list(frame.account_id) == ["a1", "a2", "a5"]
    assert (frame.as_of == pd.Timestamp("2024-03-01")).all()
    assert frame.set_index("account_id").loc["a1", "use_seats_used_value_30d"] == 28
    again = tmp_path / "g.parquet"
    assert runner.invoke(app, ["features", "--data", str(data_dir), "--as-of", "2024-03-01", "--out", str(again)]).exit_code == 0
    assert out.read_bytes() == again.read_bytes()


def test_bad_date_exits_2_and_keeps_the_old_file(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.parquet"
    out.write_bytes(b"previous")
    result = runner.invoke(app, ["features", "--data", str(data_dir), "--as-of", "2024-02-30", "--out", str(out)])
    assert result.exit_code == 2
    assert "2024-02-30" in result.output
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["f.parquet"]


def test_missing_data_dir_exits_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["features", "--data", str(tmp_path / "nope"), "--as-of", "2024-03-01",
                                 "--out", str(tmp_path / "f.parquet")])
    assert result.exit_code == 1


def test_usage_errors_exit_2(data_dir: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["features", "--data", str(data_dir)]).exit_code == 2
    result = runner.invoke(app, ["features", "--data", str(data_dir), "--as-of", "2024-03-01",
                                 "--out", str(tmp_path / "f.parquet"), "--engine", "oracle"])
    assert result.exit_code == 2


def test_list_prints_every_feature() -> None:
    result = runner.invoke(app, ["features", "--list"])
    assert result.exit_code == 0
    assert "use_{metric}_util_last" in result.output
    assert result.output.count("\n") >= 58
