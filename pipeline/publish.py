"""Publish a run's outputs all at once: build everything in a staging directory, then move it in.

A failed or killed run must leave the previous outputs untouched. Files are written into
``<out>/.staging-<pid>/`` and only after every stage succeeded are they renamed into ``<out>``
one by one (``os.replace`` is atomic per file), the manifest last, so a reader that trusts the
manifest never sees a mix. A leftover staging directory from a killed run is removed by the next.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MANIFEST_NAME = "manifest.json"


@contextmanager
def staged_outputs(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a staging directory; on success its files replace their namesakes under ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    staging = out / f".staging-{os.getpid()}"
    staging.mkdir()
    try:
        yield staging
        _publish(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _publish(staging: Path, out: Path) -> None:
    files = sorted(p for p in staging.rglob("*") if p.is_file())
    manifest = [p for p in files if p.relative_to(staging).as_posix() == MANIFEST_NAME]
    for src in [p for p in files if p not in manifest] + manifest:
        dest = out / src.relative_to(staging)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
