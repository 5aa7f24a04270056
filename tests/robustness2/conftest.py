"""The second robustness sweep (outcomes import, review, train config, model registry) uses the
first sweep's data set and helpers (tests/robustness/conftest.py), plus the files it writes."""
from __future__ import annotations

from pathlib import Path

from tests.robustness.conftest import (  # noqa: F401 - fixtures pytest finds here, helpers the tests import
    copy_of, invoke, offer, private_model_store, saas_csv_dir, saas_frames, saas_parquet_dir, snapshot,
)


def crm_file(tmp_path: Path, header: str, *rows: str, name: str = "crm.csv") -> Path:
    """A CRM export: ``header`` (``offer_id,outcome,outcome_at``) and one line per row."""
    path = tmp_path / name
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")
    return path


def config_file(tmp_path: Path, text: str, name: str = "model.toml") -> Path:
    """A model settings file (TOML) with ``text``."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
