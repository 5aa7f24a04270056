"""`upsell review` reads the offers table without `upsell validate` having run: an offers table
whose outcomes are spelt the CRM's way (`Accepted`) reported 0 accepted offers and 0 revenue,
exit 0. The rules of the tables it reads are checked first."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tests.robustness2.conftest import copy_of, invoke


def test_review_refuses_offer_outcomes_outside_the_contract(saas_csv_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    offers = pd.read_csv(data / "offers.csv", dtype=str, keep_default_na=False)
    offers["outcome"] = offers["outcome"].replace({"accepted": "Accepted"})  # the CRM's spelling
    offers.to_csv(data / "offers.csv", index=False)
    out = tmp_path / "night"
    result = invoke("review", "--data", data, "--out", out, "--as-of", "2026-06-30", "--playbook", "saas")
    assert result.exit_code == 1, result.output  # before: "0 accepted (0.0%), revenue 0"
    assert isinstance(result.exception, SystemExit), result.exception
    assert "offers.outcome" in result.output and "Accepted" in result.output
    assert not (out / "review").exists()


def test_review_refuses_negative_revenue(saas_csv_dir: Path, tmp_path: Path) -> None:
    data = copy_of(saas_csv_dir, tmp_path)
    offers = pd.read_csv(data / "offers.csv", dtype=str, keep_default_na=False)
    accepted = offers.index[offers["outcome"] == "accepted"][0]
    offers.loc[accepted, "revenue"] = "-" + offers.loc[accepted, "revenue"]  # a refund booked as the deal
    offers.to_csv(data / "offers.csv", index=False)
    result = invoke("review", "--data", data, "--out", tmp_path / "night", "--as-of", "2026-06-30")
    assert result.exit_code == 1, result.output
    assert "offers.revenue" in result.output and ">= 0" in result.output


def test_review_of_valid_data_still_runs(saas_frames, saas_csv_dir: Path, tmp_path: Path) -> None:
    result = invoke("review", "--data", saas_csv_dir, "--out", tmp_path / "night", "--as-of", "2026-06-30")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "night" / "review" / "review.json").read_text())["summary"]
    offers = saas_frames["offers"]
    reviewed = offers[(offers["offered_at"] >= pd.Timestamp(summary["first_offer"]))
                      & (offers["offered_at"] < pd.Timestamp("2026-07-01"))]
    accepted = int((reviewed["outcome"] == "accepted").sum())
    assert accepted > 0 and f"{summary['offers']} offers, {accepted} accepted" in result.output  # '0 accepted' passed before
