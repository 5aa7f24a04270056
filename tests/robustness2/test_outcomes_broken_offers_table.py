"""Importing into an offers table that already breaks the contract (an offer_id twice, as an
append from another tool leaves it) was an InvalidIndexError traceback; it is the offers file's
problem, named as `upsell validate` names it."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.robustness2.conftest import copy_of, import_refused, invoke, offer, rejection_of


def test_duplicate_offer_ids_in_the_offers_table(saas_frames, saas_csv_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    offers = pd.read_csv(data / "offers.csv", dtype=str, keep_default_na=False)
    pd.concat([offers, offers.head(1)]).to_csv(data / "offers.csv", index=False)
    pending = offer(saas_frames, "pending")
    crm = rejection_of(pending, tmp_path)
    output = import_refused(crm, data)  # before: InvalidIndexError
    assert "offers.csv" in output and "offers.offer_id" in output
    assert offers["offer_id"].iloc[0] in output


def test_accounts_as_parquet_part_files(saas_frames, saas_parquet_dir: Path, tmp_path: Path) -> None:
    """Spark writes accounts.parquet/ as a directory: it is the accounts table, not 'no accounts table'."""
    data = copy_of(saas_parquet_dir, tmp_path)
    (data / "accounts.parquet").rename(data / "part-0.parquet")
    (data / "accounts.parquet").mkdir()
    (data / "part-0.parquet").rename(data / "accounts.parquet" / "part-0.parquet")
    pending = offer(saas_frames, "pending")
    crm = rejection_of(pending, tmp_path)
    result = invoke("outcomes", "import", crm, "--data", data)
    assert result.exit_code == 0, result.output  # before: "no accounts table"
    assert "1 updated" in result.output


def test_the_offers_table_is_validated_once_per_import(saas_frames, saas_parquet_dir: Path, tmp_path: Path,
                                                        monkeypatch) -> None:
    """The whole contract check of the offers table costs seconds at a million offers: once, on the
    merged table (before: also up front, for the duplicate ids a cheap check now catches)."""
    import data.validate
    import pipeline.outcomes

    checked: list[str] = []
    real = data.validate.check_frame

    def counting(name, *args, **kwargs):
        checked.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(data.validate, "check_frame", counting)
    monkeypatch.setattr(pipeline.outcomes, "check_frame", counting, raising=False)
    data_dir = copy_of(saas_parquet_dir, tmp_path)
    pending = offer(saas_frames, "pending")
    crm = rejection_of(pending, tmp_path)
    result = invoke("outcomes", "import", crm, "--data", data_dir)
    assert result.exit_code == 0, result.output
    assert checked.count("offers") == 1


def test_an_offer_without_id_in_the_offers_table(saas_frames, saas_csv_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    offers = pd.read_csv(data / "offers.csv", dtype=str, keep_default_na=False)
    offers.loc[[3, 4], "offer_id"] = ""
    offers.to_csv(data / "offers.csv", index=False)
    pending = offer(saas_frames, "pending")
    crm = rejection_of(pending, tmp_path)
    output = import_refused(crm, data)
    assert "offers.csv" in output and "offers.offer_id" in output and "not null" in output
