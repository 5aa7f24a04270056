"""Atomic writes publish files and directories with ordinary permissions, not the private ones of
their temporary names, and never leave a half-written target."""
from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from data.atomic import atomic_dir, atomic_path, write_bytes_atomic


@pytest.fixture()
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_files_and_directories_get_the_umask_default(tmp_path: Path, umask_022: None) -> None:
    write_bytes_atomic(tmp_path / "export.csv", b"a\n")
    assert _mode(tmp_path / "export.csv") == 0o644  # mkstemp alone would leave 0o600
    with atomic_dir(tmp_path / "dataset") as tmp:
        (tmp / "part.parquet").write_bytes(b"x")
    assert _mode(tmp_path / "dataset") == 0o755  # mkdtemp alone would leave 0o700
    with atomic_path(tmp_path / "written-as-a-directory") as tmp:
        tmp.unlink()
        tmp.mkdir()  # e.g. a writer that makes a dataset directory at the path it is given
    assert _mode(tmp_path / "written-as-a-directory") == 0o755


def test_a_replaced_file_keeps_its_mode_and_a_failed_write_keeps_the_file(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "scores.parquet"
    target.write_bytes(b"old")
    target.chmod(0o640)
    write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new" and _mode(target) == 0o640
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"new" and _mode(target) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["scores.parquet"]
