"""A registry whose model files are gone (the SQLite store copied without its mlartifacts/ folder,
an artifact store cleaned up) made `upsell score` end in an MlflowException traceback ('No such
artifact'). It is one line naming the model version and where its files were expected."""
from __future__ import annotations

from pathlib import Path

import pytest

from data.errors import UpsellError
from models import registry


def test_a_champion_without_its_files_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    c = registry.client()
    c.create_registered_model("gone")
    version = c.create_model_version("gone", source=(tmp_path / "mlartifacts" / "model").as_uri())
    c.set_registered_model_alias("gone", registry.CHAMPION, version.version)
    with pytest.raises(UpsellError) as err:
        registry.load_champion("gone")
    message = str(err.value)
    assert "gone" in message and f"version {version.version}" in message and "mlartifacts" in message
