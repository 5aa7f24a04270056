"""`upsell export --target sql` with a mistyped URL: exit 1, a clear message, the password nowhere
(not on stdout/stderr, not in a file name), and no traceback."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.export.sql import mask_url
from tests.pipeline.conftest import make_scored_list
from tests.robustness.conftest import invoke

SECRET = "S3cretPw"


@pytest.fixture()
def scores(tmp_path: Path) -> Path:
    path = tmp_path / "scores.parquet"
    make_scored_list(3).to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("url", [
    f"bob:{SECRET}@db.example.com/crm",                       # the dialect forgotten
    f"postgresql://bob:{SECRET}@127.0.0.1:notaport/crm",      # a port that is not a number
    f"postgresql://bob:{SECRET}@[::1/crm",                    # a broken IPv6 host
    f"postgresql://bob:p@{SECRET}@127.0.0.1:1/crm",           # an '@' in the password, not encoded
    f"postgresql://bob@127.0.0.1:1/crm?password={SECRET}",    # the password as a query parameter
])
def test_bad_sql_url_never_shows_the_password(url: str, scores: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    result = invoke("export", "--scores", scores, "--target", "sql", "--out", url)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    assert SECRET not in result.output
    assert "error: sql export" in result.output
    assert list(workdir.iterdir()) == []  # no SQLite file named after the credentials


def test_password_from_the_environment_is_masked_too(scores: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPSELL_EXPORT_URL", f"postgresql://bob:{SECRET}@127.0.0.1:1/crm?sslpassword={SECRET}")
    result = invoke("export", "--scores", scores, "--target", "sql")
    assert result.exit_code == 1, result.output
    assert SECRET not in result.output


@pytest.mark.parametrize("url, shown", [
    (f"postgresql://bob:{SECRET}@h/db?password={SECRET}&sslmode=require",
     "postgresql://bob:***@h/db?password=***&sslmode=require"),
    (f"postgresql://bob:a?b/{SECRET}@h/db", "postgresql://bob:***@h/db"),
    (f"bob:{SECRET}@h/db", "bob:***@h/db"),
    ("postgresql://h/db", "postgresql://h/db"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_mask_url(url: str, shown: str) -> None:
    assert mask_url(url) == shown
