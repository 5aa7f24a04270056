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


def _champion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> str:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    c = registry.client()
    c.create_registered_model("m")
    version = c.create_model_version("m", source=source)
    c.set_registered_model_alias("m", registry.CHAMPION, version.version)
    return version.version


def test_a_version_of_another_flavour_is_not_called_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "sklearn_model"
    model.mkdir()
    (model / "MLmodel").write_text("artifact_path: model\nflavors:\n  sklearn:\n    pickled_model: model.pkl\n")
    _champion(tmp_path, monkeypatch, model.as_uri())
    with pytest.raises(UpsellError) as err:
        registry.load_champion("m")
    message = str(err.value)
    assert "python_function" in message and "upsell train" in message
    assert "files are not where" not in message  # before: blamed on a store copied without its artifacts


def test_access_refused_is_said_as_such_without_the_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow.pyfunc
    from mlflow.exceptions import MlflowException
    from mlflow.protos import databricks_pb2

    _champion(tmp_path, monkeypatch, (tmp_path / "model").as_uri())

    def refused(uri: str) -> None:
        raise MlflowException("API request to https://ops:s3cret@store.example/artifacts failed with error code 403 != 200",
                              error_code=databricks_pb2.PERMISSION_DENIED)

    monkeypatch.setattr(mlflow.pyfunc, "load_model", refused)
    with pytest.raises(UpsellError) as err:
        registry.load_champion("m")
    message = str(err.value)
    assert "403" in message and "access" in message and "files are not where" not in message
    assert "s3cret" not in message and "\n" not in message


def test_an_alias_unity_catalog_does_not_know_is_no_champion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlflow import MlflowClient
    from mlflow.exceptions import RestException

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")

    def not_found(self, name: str, alias: str) -> None:
        raise RestException({"error_code": "NOT_FOUND", "message": f"Alias {alias} not found for model {name}"})

    monkeypatch.setattr(MlflowClient, "get_model_version_by_alias", not_found)
    assert registry.version_by_alias("m", registry.CHAMPION) is None  # before: 'tracking store ... failed'
