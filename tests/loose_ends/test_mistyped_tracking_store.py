"""A mistyped ``sqlite:///`` tracking URI: MLflow creates whatever path it is given (directories
included) or adds its tables to any SQLite database there, so `upsell score`, `nightly` and
`champions` used to report an empty registry ("no champion") instead of the typo. Reading
commands now say the store file does not exist or is not an MLflow store, naming the URI;
commands that record a model still create the store."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from data.errors import UpsellError
from models import registry
from tests.loose_ends.conftest import invoke


def _use(monkeypatch: pytest.MonkeyPatch, path: Path) -> str:
    uri = f"sqlite:///{path}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


def _other_application_db(path: Path) -> Path:
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    con.close()
    return path


def _tables(path: Path) -> set[str]:
    con = sqlite3.connect(path)
    try:
        return {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        con.close()


def test_champions_on_a_store_in_a_directory_that_does_not_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = _use(monkeypatch, tmp_path / "mlfow" / "mlflow.db")  # a typo of the directory
    result = invoke("champions")
    assert result.exit_code == 1, result.output  # before: exit 0, "no promotions recorded"
    assert isinstance(result.exception, SystemExit), result.exception
    assert f"MLflow tracking store {uri} does not exist" in result.output
    assert "no directory" in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "mlfow").exists()  # before: created, with an empty store inside


def test_scoring_names_the_missing_store_not_a_missing_champion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = _use(monkeypatch, tmp_path / "mlflw.db")
    with pytest.raises(UpsellError) as err:
        registry.load_champion("upsell-propensity")  # what `upsell score` and `nightly` call
    message = str(err.value)
    assert f"{uri} does not exist" in message and "no champion" not in message
    assert not (tmp_path / "mlflw.db").exists()


@pytest.mark.parametrize("content", ["not sqlite", "another application's database", "empty"])
def test_a_file_that_is_not_an_mlflow_store(content: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "data.db"
    if content == "not sqlite":
        path.write_text("account_id,score\nA1,0.3\n")
    elif content == "empty":
        path.touch()
    else:
        _other_application_db(path)
    before = path.read_bytes()
    uri = _use(monkeypatch, path)
    result = invoke("champions")
    assert result.exit_code == 1, result.output
    assert f"MLflow tracking store {uri} is not an MLflow store" in result.output
    with pytest.raises(UpsellError, match="is not an MLflow store"):
        registry.load_champion("upsell-propensity")
    assert path.read_bytes() == before  # before: MLflow's tables added to the file (or a traceback)


def test_recording_never_writes_into_another_applications_database(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = _other_application_db(tmp_path / "crm.db")
    _use(monkeypatch, path)
    with pytest.raises(UpsellError, match="SQLite database of other tables: invoices"):
        registry.client()  # what `upsell train` opens before it trains
    assert _tables(path) == {"invoices"}  # before: MLflow's 100-odd tables added


def test_asking_whether_there_is_a_champion_creates_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`upsell demo` asks before it trains: no store yet means no champion, and nothing is created."""
    _use(monkeypatch, tmp_path / "new" / "mlflow.db")
    assert registry.version_by_alias("upsell-propensity", registry.CHAMPION) is None
    assert not (tmp_path / "new").exists()


def test_recording_commands_still_create_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "fresh" / "mlflow.db"
    _use(monkeypatch, path)
    registry.client().create_registered_model("m")  # train and demo open the store this way
    assert path.is_file() and {"experiments", "registered_models"} <= _tables(path)
    assert registry.version_by_alias("m", registry.CHAMPION) is None
    assert registry.list_versions("m") == []


def test_the_spark_job_names_the_missing_store_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Spark nightly finds its champion through the same check (no Spark needed to ask)."""
    from pipeline.spark.score import champion_uri

    uri = _use(monkeypatch, tmp_path / "mlflw.db")
    with pytest.raises(UpsellError) as err:
        champion_uri("upsell-propensity")  # before: "has no champion", and an empty store created
    assert f"{uri} does not exist" in str(err.value) and "no champion" not in str(err.value)
    assert not (tmp_path / "mlflw.db").exists()


def test_listing_versions_before_any_store_exists_creates_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A notebook asks "is there a model yet?" before it trains (notebooks/03): no store file yet
    means no versions, and asking creates nothing; `upsell champions` still names the typo."""
    _use(monkeypatch, tmp_path / "new" / "mlflow.db")
    assert registry.list_versions("upsell-propensity") == []
    assert registry.promotion_history("upsell-propensity").empty
    assert not (tmp_path / "new").exists()
    result = invoke("champions")
    assert result.exit_code == 1 and "does not exist" in result.output
