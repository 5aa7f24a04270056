"""SOP step 7 (the review) on a real randomized e-mail campaign: Kevin Hillstrom's MineThatData
data (64,000 customers; Mens E-Mail / Womens E-Mail / No E-Mail, a third each, assigned at
random), mapped into contract tables by ``tests.realdata.hillstrom_mapping`` and reviewed through
the public entry points (``run_review``, ``build_review``, ``upsell review``).

Every expected figure is computed from the CSV in the test, not typed in; SOURCE.md's rounded
rates (Mens .0125, Womens .0088, No E-Mail .0057) are checked against them to four places.
Measured: treated (both e-mails) 456 of 42,694 = 1.068%, control 122 of 21,306 = 0.573%,
uplift +0.495 points; Mens alone 1.253% (+0.680), Womens alone 0.884% (+0.311). The data set
is validated in 1.2 s and reviewed in 1.8 s.

No score history exists for this campaign (nobody scored these customers first), so the
review's band, node and action are "(unscored)": action is what the playbook decided, and
it comes only from the score history.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from data.load import validate_source
from pipeline.cli import app
from pipeline.review import UNSCORED, ReviewResult, build_review
from pipeline.review_report import run_review
from tests.realdata.hillstrom_mapping import CONTROL_SEGMENT, OFFER_TYPES, hillstrom_tables, review_date

TREATED = ["Mens E-Mail", "Womens E-Mail"]
PUBLISHED = {"Mens E-Mail": 0.0125, "Womens E-Mail": 0.0088, "No E-Mail": 0.0057}  # SOURCE.md, 4 places


def csv_rate(raw: pd.DataFrame, segments: list[str]) -> float:
    """Conversion computed straight from the CSV for the given arms."""
    return float(raw.loc[raw["segment"].isin(segments), "conversion"].mean())


@pytest.fixture(scope="module")
def review(hillstrom_dir: Path) -> ReviewResult:
    result, files = run_review(hillstrom_dir, as_of=review_date())
    assert files is None  # nothing written without paths
    return result


def test_the_mapped_campaign_passes_the_contract(hillstrom_dir: Path, hillstrom_raw: pd.DataFrame) -> None:
    report = validate_source(hillstrom_dir)
    assert report.ok, report.problems
    assert report.as_dict()["tables"] == {"accounts": 64_000, "offers": 64_000}
    offers = hillstrom_tables(hillstrom_raw)["offers"]
    by_type = offers["offer_type"].value_counts().to_dict()
    assert by_type == {OFFER_TYPES[s]: n for s, n in hillstrom_raw["segment"].value_counts().items()}
    assert int(offers["is_control"].sum()) == int((hillstrom_raw["segment"] == CONTROL_SEGMENT).sum()) == 21_306
    assert set(offers["channel"]) == {"email"} and set(offers["outcome"]) == {"accepted", "no_response"}


def test_published_rates_match_the_file(hillstrom_raw: pd.DataFrame) -> None:
    for segment, rate in PUBLISHED.items():
        assert round(csv_rate(hillstrom_raw, [segment]), 4) == rate, segment


def test_conversion_by_channel_and_owner_equals_the_csv(review: ReviewResult, hillstrom_raw: pd.DataFrame) -> None:
    """Control offers are reported apart, so the email channel holds the two e-mail arms pooled."""
    treated = hillstrom_raw[hillstrom_raw["segment"].isin(TREATED)]
    expected = csv_rate(hillstrom_raw, TREATED)
    for dimension, value in (("channel", "email"), ("owner_role", "automated"), ("action", UNSCORED)):
        table = review.conversion[dimension]
        assert table["value"].tolist() == [value], dimension
        row = table.iloc[0]
        assert row["offers"] == row["decided"] == len(treated) == 42_694
        assert row["accepted"] == int(treated["conversion"].sum()) == 456
        assert row["conversion"] == pytest.approx(expected, abs=1e-12)
        assert row["revenue"] == pytest.approx(treated["spend"].sum())  # 53,349.80
        assert bool(row["enough_data"])
    assert review.summary["conversion"] == pytest.approx(expected, abs=1e-12)
    assert any("no score history" in note for note in review.notes)


def test_uplift_against_the_no_email_control(review: ReviewResult, hillstrom_raw: pd.DataFrame) -> None:
    treated, control = csv_rate(hillstrom_raw, TREATED), csv_rate(hillstrom_raw, [CONTROL_SEGMENT])
    s = review.summary
    assert s["control_offers"] == 21_306
    assert s["control_conversion"] == pytest.approx(control, abs=1e-12)
    assert round(s["control_conversion"], 4) == PUBLISHED[CONTROL_SEGMENT]
    assert s["uplift"] == pytest.approx(treated - control, abs=1e-12)
    assert s["uplift"] > 0.004  # measured +0.495 points: the e-mails nearly doubled conversion


def test_the_same_campaign_exported_as_csv_reviews_the_same(review: ReviewResult, hillstrom_raw: pd.DataFrame,
                                                         tmp_path: Path) -> None:
    """E-mail tools export CSV: is_control as True/False text, empty revenue for non-buyers."""
    for name, frame in hillstrom_tables(hillstrom_raw).items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    from_csv, _ = run_review(tmp_path, as_of=review_date())
    assert from_csv.summary == review.summary


@pytest.mark.parametrize("arm", TREATED)
def test_each_arm_reviewed_with_the_control_gives_its_own_rate_and_uplift(arm: str, hillstrom_raw: pd.DataFrame) -> None:
    """One arm's offers reviewed with the control (``build_review`` on frames, as in a notebook)
    give the same rate and uplift as that arm's ``offer_type`` row in the whole review."""
    offers = hillstrom_tables(hillstrom_raw)["offers"]
    wanted = {OFFER_TYPES[arm], OFFER_TYPES[CONTROL_SEGMENT]}
    result = build_review(offers[offers["offer_type"].isin(wanted)], None, as_of=review_date())
    rate, control = csv_rate(hillstrom_raw, [arm]), csv_rate(hillstrom_raw, [CONTROL_SEGMENT])
    assert result.summary["conversion"] == pytest.approx(rate, abs=1e-12)
    assert round(result.summary["conversion"], 4) == PUBLISHED[arm]
    assert result.summary["uplift"] == pytest.approx(rate - control, abs=1e-12)
    channel = result.conversion["channel"].iloc[0]
    assert channel["conversion"] == pytest.approx(rate, abs=1e-12)


def test_upsell_review_command_on_the_campaign(hillstrom_dir: Path, hillstrom_raw: pd.DataFrame, tmp_path: Path) -> None:
    """The customer's command line: exit 0, the headline figures, the JSON beside the HTML."""
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["review", "--data", str(hillstrom_dir), "--out", str(out),
                                      "--as-of", review_date().strftime("%Y-%m-%d")])
    assert result.exit_code == 0, result.output
    assert "review 2008-03-15: 42,694 offers, 456 accepted (1.1%)" in result.output
    figures = json.loads((out / "review" / "review.json").read_text(encoding="utf-8"))
    assert figures["summary"]["control_conversion"] == pytest.approx(csv_rate(hillstrom_raw, [CONTROL_SEGMENT]))
    by_type = {row["value"]: row for row in figures["conversion"]["offer_type"]}
    assert by_type["mens_email"]["uplift"] == pytest.approx(csv_rate(hillstrom_raw, ["Mens E-Mail"])
                                                            - csv_rate(hillstrom_raw, [CONTROL_SEGMENT]))
    assert figures["revenue"]["accepted_offers"] == 456
    page = (out / "review" / "review.html").read_text(encoding="utf-8")
    assert "<h3>By offer type</h3>" in page and "<td>mens_email</td>" in page and "+0.68 pt" in page


def test_one_review_breaks_conversion_down_by_what_was_offered(review: ReviewResult, hillstrom_raw: pd.DataFrame) -> None:
    """Both e-mails in one review, each with its uplift over the No E-Mail arm. The control's offers
    have a type of their own (``no_email``), so each e-mail is matched to the pooled control, and
    ``no_email`` (control only) is not a row: Mens 1.253% (+0.680 pt), Womens 0.884% (+0.311 pt)."""
    table = review.conversion["offer_type"].set_index("value")
    assert sorted(table.index) == sorted(OFFER_TYPES[arm] for arm in TREATED)
    control = csv_rate(hillstrom_raw, [CONTROL_SEGMENT])
    for arm in TREATED:
        row, rate = table.loc[OFFER_TYPES[arm]], csv_rate(hillstrom_raw, [arm])
        arm_rows = hillstrom_raw[hillstrom_raw["segment"] == arm]
        assert row["offers"] == row["decided"] == len(arm_rows)
        assert row["conversion"] == pytest.approx(rate, abs=1e-12)
        assert round(row["conversion"], 4) == PUBLISHED[arm]
        assert row["revenue"] == pytest.approx(arm_rows["spend"].sum())
        assert row["control_match"] == "pooled"
        assert (row["control_offers"], row["control_accepted"]) == (21_306, 122)
        assert row["control_conversion"] == pytest.approx(control, abs=1e-12)
        assert row["uplift"] == pytest.approx(rate - control, abs=1e-12)
    assert table.loc["mens_email", "uplift"] > table.loc["womens_email", "uplift"] > 0.003


def test_revenue_progress_leaves_the_control_group_out(review: ReviewResult, hillstrom_raw: pd.DataFrame) -> None:
    """The No E-Mail third bought 122 times for 13,908.33 with nothing sent: not accepted offers,
    not realised revenue (counted before: 578 offers, 67,258.13)."""
    treated = hillstrom_raw[hillstrom_raw["segment"].isin(TREATED)]
    assert review.revenue["accepted_offers"] == review.summary["accepted"] == int(treated["conversion"].sum()) == 456
    assert review.revenue["realised_revenue"] == pytest.approx(review.summary["revenue"])
    assert review.revenue["realised_revenue"] == pytest.approx(treated["spend"].sum())  # 53,349.80
    assert review.revenue["pending_offers"] == 0
