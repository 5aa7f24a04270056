"""The third robustness sweep: time and arithmetic edge cases in customers' data (time zones,
boundaries at the cutoff, divisions), judged against values worked out by hand.

``hand_frames`` is a tiny data set around one cutoff (``CUTOFF``, 2026-03-10) whose feature
values are easy to compute by hand; each test writes a variant of it the way a customer would
hand it over (parquet with zoned timestamps, CSV with offsets …) and compares.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from pipeline.cli import app

CUTOFF = pd.Timestamp("2026-03-10")
DAY = pd.Timedelta(days=1)
HOUR = pd.Timedelta(hours=1)


@pytest.fixture(autouse=True)
def private_model_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands that touch a model store get a private one, never ~/.upsell."""
    home = tmp_path_factory.getbasetemp() / "upsell_home"
    monkeypatch.setenv("UPSELL_HOME", str(home))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home}/mlflow.db")


def _frames() -> dict[str, pd.DataFrame]:
    t = CUTOFF
    accounts = pd.DataFrame({
        "account_id": ["a1", "a2", "a3", "a4"],
        # a2 is created exactly at the cutoff (not in the spine); a3 an hour before it
        "created_at": [pd.Timestamp("2025-01-01"), t, t - HOUR, pd.Timestamp("2024-02-29")],
    })
    subscriptions = pd.DataFrame({
        "subscription_id": ["s1", "s3", "s4"], "account_id": ["a1", "a3", "a4"],
        "plan_tier": ["pro", "basic", "basic"],
        "started_at": [pd.Timestamp("2025-01-01"), t - HOUR, pd.Timestamp("2024-02-29")],
        # a4 churned an hour before the cutoff: out of the spine
        "ended_at": [pd.NaT, pd.NaT, t - HOUR], "end_reason": [None, None, "churned"],
        "mrr": [100.0, 10.0, 5.0], "renewal_at": [pd.Timestamp("2026-06-01"), pd.NaT, pd.NaT],
    })
    purchases = pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4"], "account_id": ["a1"] * 4,
        "ordered_at": [t, t - 30 * DAY, t - HOUR, t - 90 * DAY - HOUR],
        "amount": [1000.0, 10.0, 1.0, 7.0],
    })
    usage = pd.DataFrame({  # one metric, quota 10: the day at the cutoff (999) must never count
        "account_id": ["a1"] * 5,
        "usage_date": [t, t - DAY, t - 30 * DAY, t - 31 * DAY, t - 59 * DAY],
        "metric": ["api"] * 5, "value": [999.0, 5.0, 7.0, 3.0, 2.0], "quota": [10.0] * 5,
    })
    tickets = pd.DataFrame({
        "ticket_id": ["t1", "t2", "t3"], "account_id": ["a1"] * 3,
        "opened_at": [t - 5 * DAY, t - 2 * DAY, t - 3 * HOUR],
        "closed_at": [t - 4 * DAY, t, t - HOUR],  # t2 closes at the cutoff: still open
        "severity": ["low", "critical", "high"], "csat": pd.array([4, 1, 2], dtype="Int64"),
    })
    offers = pd.DataFrame({
        "offer_id": ["f1", "f2"], "account_id": ["a1", "a1"], "offered_at": [t - 10 * DAY, t - 2 * HOUR],
        "offer_type": ["upgrade"] * 2, "channel": ["email"] * 2, "outcome": ["accepted", "rejected"],
        "outcome_at": [t, t - HOUR],  # f1's acceptance comes at the cutoff: pending
    })
    frames = dict(accounts=accounts, subscriptions=subscriptions, purchases=purchases, usage=usage,
                  support_tickets=tickets, offers=offers)
    for frame in frames.values():
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]):
                frame[column] = frame[column].astype("datetime64[us]")
    return frames


@pytest.fixture(scope="session")
def hand_frames() -> dict[str, pd.DataFrame]:
    """The hand-checkable tables (naive UTC timestamps). Tests copy before changing them."""
    return _frames()


def write_tables(root: Path, frames: dict[str, pd.DataFrame], fmt: str = "parquet") -> Path:
    """``frames`` as a data directory of parquet or CSV files under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        if fmt == "parquet":
            frame.to_parquet(root / f"{name}.parquet", index=False)
        else:
            frame.to_csv(root / f"{name}.csv", index=False)
    return root


def features_of(data: Path, as_of: str = "2026-03-10") -> pd.DataFrame:
    """Features of a data directory at ``as_of``, through the loader every command uses."""
    from data.load import load_tables
    from features.build import build_features

    return build_features(load_tables(data), as_of)


def invoke(*args: object) -> Result:
    """Run the ``upsell`` CLI in-process; exceptions are kept on the result, not raised."""
    return CliRunner().invoke(app, [str(a) for a in args])
