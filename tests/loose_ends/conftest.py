"""The last review's loose ends: the robustness sweep's data set and helpers (generated once per
session, each test breaks a private copy), with a private model store per test session."""
from __future__ import annotations

from tests.robustness.conftest import (  # noqa: F401 - fixtures pytest finds here, helpers the tests import
    copy_of, invoke, offer, private_model_store, saas_csv_dir, saas_frames, saas_parquet_dir, snapshot,
)
