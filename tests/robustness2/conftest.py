"""The second robustness sweep (outcomes import, review, train config, model registry) uses the
first sweep's data set and helpers (tests/robustness/conftest.py), plus the files it writes."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

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


def config_refusal(tmp_path: Path, text: str) -> tuple[Path, str]:
    """A settings file with ``text`` that ``load_config`` must refuse: the file and the message."""
    import pytest

    from data.errors import UpsellError
    from models.config import load_config

    path = config_file(tmp_path, text)
    with pytest.raises(UpsellError) as err:
        load_config(path)
    return path, str(err.value)


def rejection_of(pending: pd.Series, tmp_path: Path) -> Path:
    """A CRM file rejecting the offer ``pending`` (by offer_id) late on the day it was made."""
    return crm_file(tmp_path, "offer_id,outcome,outcome_at",
                    f"{pending.offer_id},rejected,{pending.offered_at:%Y-%m-%d} 23:59:59")


def import_refused(crm: Path, data: Path, *options: object) -> str:
    """``upsell outcomes import``, expected to refuse with a one-line error (exit 1, no traceback)
    and leave ``data`` as it was; its output."""
    before = snapshot(data)
    result = invoke("outcomes", "import", crm, "--data", data, *options)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert snapshot(data) == before
    return result.output
