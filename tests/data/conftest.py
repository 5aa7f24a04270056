"""A small, hand-made, contract-valid data set: the base every bad-input case mutates."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data.contract import COLUMNS

TS = pd.Timestamp


def valid_frames() -> dict[str, pd.DataFrame]:
    """Six tables, two accounts, every optional column present (fresh copy per call)."""
    return {
        "accounts": pd.DataFrame({
            "account_id": ["A1", "A2"],
            "created_at": [TS("2024-01-01"), TS("2024-02-15 09:30")],
            "name": ["Acme Ltd", "Beta GmbH"],
            "industry": ["software", "retail"],
            "region": ["NA", "EMEA"],
            "segment": ["smb", "enterprise"],
            "size_band": ["1-50", "1000+"],
            "plan_tier": ["pro", "enterprise"],
            "owner_id": ["u1", "u2"],
        }),
        "subscriptions": pd.DataFrame({
            "subscription_id": ["S1", "S2", "S3"],
            "account_id": ["A1", "A1", "A2"],
            "plan_tier": ["basic", "pro", "enterprise"],
            "started_at": [TS("2024-01-01"), TS("2024-06-01"), TS("2024-02-15")],
            "ended_at": [TS("2024-06-01"), pd.NaT, pd.NaT],
            "renewal_at": [TS("2025-01-01"), TS("2025-06-01"), TS("2025-02-15")],
            "mrr": [100.0, 250.0, 4000.0],
            "seats": pd.array([5, 10, 200], dtype="Int64"),
            "end_reason": ["upgraded", None, None],
        }),
        "purchases": pd.DataFrame({
            "order_id": ["O1", "O2"],
            "account_id": ["A1", "A2"],
            "ordered_at": [TS("2024-03-01"), TS("2024-04-01")],
            "amount": [99.0, 0.0],
            "product_id": ["P1", "P2"],
            "category": ["addon", "training"],
            "quantity": pd.array([1, 3], dtype="Int64"),
        }),
        "usage": pd.DataFrame({
            "account_id": ["A1", "A1", "A2"],
            "usage_date": [TS("2024-03-01"), TS("2024-03-02"), TS("2024-03-01")],
            "metric": ["seats_used", "seats_used", "api_calls"],
            "value": [4.0, 5.0, 1200.0],
            "quota": [5.0, 5.0, 10000.0],
            "active_users": pd.array([4, 5, 150], dtype="Int64"),
        }),
        "support_tickets": pd.DataFrame({
            "ticket_id": ["T1", "T2"],
            "account_id": ["A1", "A2"],
            "opened_at": [TS("2024-03-01 10:00"), TS("2024-03-05")],
            "closed_at": [TS("2024-03-02 10:00"), pd.NaT],
            "severity": ["low", "critical"],
            "category": ["billing", "outage"],
            "csat": pd.array([4, pd.NA], dtype="Int64"),
        }),
        "offers": pd.DataFrame({
            "offer_id": ["F1", "F2"],
            "account_id": ["A1", "A2"],
            "offered_at": [TS("2024-04-01"), TS("2024-05-01")],
            "offer_type": ["tier_upgrade", "add_on"],
            "channel": ["email", "call"],
            "owner_role": ["automated", "account_manager"],
            "outcome": ["accepted", "deferred"],
            "outcome_at": [TS("2024-04-10"), TS("2024-05-03")],
            "revenue": [150.0, None],
            "reenter_at": [pd.NaT, TS("2024-08-01")],
            "is_control": [False, False],
        }),
    }


def write_dir(frames: dict[str, pd.DataFrame], root: Path, fmt: str = "csv") -> Path:
    """Write frames as one file per table; CSV timestamps in ISO 8601."""
    root.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        if fmt == "csv":
            frame.to_csv(root / f"{name}.csv", index=False, date_format="%Y-%m-%dT%H:%M:%S")
        else:
            frame.to_parquet(root / f"{name}.parquet", index=False)
    return root


def with_contract_dtypes(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Frames whose contract columns hold their contract dtypes again (after a test put a value of
    another type in them), as a program writing typed parquet would have them; ints with a
    fraction stay floats."""
    out = {}
    for table, frame in frames.items():
        frame = frame.copy()
        for spec in COLUMNS[table]:
            if spec.name not in frame or frame[spec.name].dtype != object:
                continue
            values = frame[spec.name]
            if spec.kind in ("timestamp", "date"):
                frame[spec.name] = pd.to_datetime(values, format="ISO8601")
            elif spec.kind in ("float", "int"):
                number = pd.to_numeric(values).astype("float64")
                whole = spec.kind == "int" and bool((number.dropna() % 1 == 0).all())
                frame[spec.name] = number.astype("Int64") if whole else number
            elif spec.kind == "bool":
                frame[spec.name] = values.astype("boolean")
        out[table] = frame
    return out


@pytest.fixture
def frames() -> dict[str, pd.DataFrame]:
    return valid_frames()
