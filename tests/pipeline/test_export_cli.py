"""`upsell export` end to end: joins, neutralising, deltas, secrets, exit codes."""
from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from pipeline.cli import app
from tests.pipeline.conftest import make_scored_list

EVIL = '=HYPERLINK("http://x","y")'


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    scores = tmp_path / "scores.parquet"
    make_scored_list(3).to_parquet(scores, index=False)
    data = tmp_path / "data"
    data.mkdir()
    (data / "accounts.csv").write_text(
        "account_id,created_at,name,industry\n"
        f'A000,2024-01-01,"{EVIL.replace(chr(34), chr(34) * 2)}",saas\nA001,2024-01-01,Acme,retail\nA002,2024-01-01,-Beta,saas\n'
    )
    return scores, data


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_salesforce_export_joins_accounts_and_neutralises(tmp_path: Path) -> None:
    scores, data = _setup(tmp_path)
    result = CliRunner().invoke(app, ["export", "--scores", str(scores), "--target", "salesforce",
                                      "--out", str(tmp_path / "out"), "--data", str(data)])
    assert result.exit_code == 0, result.output
    rows = _rows(tmp_path / "out" / "upsell_salesforce.csv")
    assert [r["Name"] for r in rows] == ["'" + EVIL, "Acme", "'-Beta"]
    assert {r["Upsell_Model_Version__c"] for r in rows} == {"3"} and {r["Upsell_As_Of__c"] for r in rows} == {"2026-11-20"}


def test_hubspot_export_with_crosswalk_and_changed_only(tmp_path: Path) -> None:
    scores, data = _setup(tmp_path)
    crosswalk = tmp_path / "ids.csv"
    crosswalk.write_text("account_id,hs_object_id\nA000,00101\nA001,00102\nA002,00103\n")
    args = ["export", "--scores", str(scores), "--target", "hubspot", "--out", str(tmp_path / "hs.csv"),
            "--join", str(crosswalk), "--data", str(data), "--changed-only", "--json"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["rows_new"] == 3
    rows = _rows(tmp_path / "hs.csv")
    assert [r["hs_object_id"] for r in rows] == ["00101", "00102", "00103"]  # ids keep their leading zeros
    assert rows[0]["name"] == "'" + EVIL
    assert "industry" not in rows[0]  # joined, but not in the hubspot mapping
    again = CliRunner().invoke(app, args)
    assert json.loads(again.output)["rows_written"] == 3  # the same night again: the same delta
    assert (tmp_path / "hs.csv.export-state.parquet").exists()


def test_sql_url_from_environment_is_masked(tmp_path: Path) -> None:
    scores, _ = _setup(tmp_path)
    db = tmp_path / "crm.db"
    ok = CliRunner().invoke(app, ["export", "--scores", str(scores), "--target", "sql", "--table", "t"],
                            env={"UPSELL_EXPORT_URL": f"sqlite:///{db}"})
    assert ok.exit_code == 0, ok.output
    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from t").fetchone() == (3,)
    secret = "hunter2-secret"
    bad = CliRunner().invoke(app, ["export", "--scores", str(scores), "--target", "sql"],
                             env={"UPSELL_EXPORT_URL": f"postgresql+psycopg://me:{secret}@127.0.0.1:9/db"})
    assert bad.exit_code == 1 and secret not in bad.output and "me:***@127.0.0.1" in bad.output


def test_exit_codes(tmp_path: Path) -> None:
    scores, _ = _setup(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["export", "--scores", str(scores), "--target", "excel", "--out", "x"]).exit_code == 2
    missing = runner.invoke(app, ["export", "--scores", str(tmp_path / "nope.parquet"), "--target", "csv", "--out", "x"])
    assert missing.exit_code == 1 and "no such scored list" in missing.output
    no_dest = runner.invoke(app, ["export", "--scores", str(scores), "--target", "csv"], env={"UPSELL_EXPORT_URL": ""})
    assert no_dest.exit_code == 1 and "--out" in no_dest.output
    csv_scores = tmp_path / "scores.csv"
    pd.read_parquet(scores).to_csv(csv_scores, index=False)
    from_csv = runner.invoke(app, ["export", "--scores", str(csv_scores), "--target", "csv", "--out", str(tmp_path / "c.csv")])
    assert from_csv.exit_code == 0, from_csv.output
    assert _rows(tmp_path / "c.csv")[0]["as_of"] == "2026-11-20T00:00:00"
