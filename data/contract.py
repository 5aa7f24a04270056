"""The input contract: the six source tables, their columns, types and rules.

This module is the single source of truth for names. Schemas, loaders, the generator and the
docs all read it, so a column is never spelled twice. Extend it (new optional columns), never
rename: users' jobs and CRM imports are built on these names.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["str", "timestamp", "date", "float", "int", "bool"]

TABLE_NAMES: tuple[str, ...] = (
    "accounts",
    "subscriptions",
    "purchases",
    "usage",
    "support_tickets",
    "offers",
)
REQUIRED_TABLES: tuple[str, ...] = ("accounts",)

END_REASONS = ("churned", "upgraded", "downgraded", "renewed", "cancelled")
SEVERITIES = ("low", "medium", "high", "critical")
CHANNELS = ("email", "call", "in_app", "demo", "other")
OUTCOMES = ("accepted", "rejected", "deferred", "no_response", "pending")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a source table as the contract defines it."""

    name: str
    kind: Kind
    required: bool = True
    unique: bool = False
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _c(name: str, kind: Kind, required: bool = True, **kw: object) -> ColumnSpec:
    # optional columns may hold nulls; required ones may not unless said so
    kw.setdefault("nullable", not required)
    return ColumnSpec(name=name, kind=kind, required=required, **kw)  # type: ignore[arg-type]


COLUMNS: dict[str, tuple[ColumnSpec, ...]] = {
    "accounts": (
        _c("account_id", "str", unique=True, description="stable account key used by every table"),
        _c("created_at", "timestamp", description="when the account became a customer"),
        _c("name", "str", False, description="display name (exported to the CRM)"),
        _c("industry", "str", False),
        _c("region", "str", False),
        _c("segment", "str", False, description="go-to-market segment, e.g. smb, mid_market, enterprise"),
        _c("size_band", "str", False, description="company size band"),
        _c("plan_tier", "str", False, description="current product tier as the CRM knows it"),
        _c("owner_id", "str", False, description="the account manager who owns the account"),
    ),
    "subscriptions": (
        _c("subscription_id", "str", unique=True),
        _c("account_id", "str"),
        _c("plan_tier", "str"),
        _c("started_at", "timestamp"),
        _c("ended_at", "timestamp", False),
        _c("renewal_at", "timestamp", False),
        _c("mrr", "float", ge=0, description="monthly recurring revenue of this plan period"),
        _c("seats", "int", False, ge=0),
        _c("end_reason", "str", False, allowed=END_REASONS),
    ),
    "purchases": (
        _c("order_id", "str", unique=True),
        _c("account_id", "str"),
        _c("ordered_at", "timestamp"),
        _c("amount", "float", ge=0),
        _c("product_id", "str", False),
        _c("category", "str", False),
        _c("quantity", "int", False, gt=0),
    ),
    "usage": (
        _c("account_id", "str"),
        _c("usage_date", "date", description="the day this aggregate covers"),
        _c("metric", "str", description="what is counted, e.g. seats_used, api_calls, data_gb"),
        _c("value", "float", ge=0),
        _c("quota", "float", False, gt=0, description="the plan allowance that day"),
        _c("active_users", "int", False, ge=0),
    ),
    "support_tickets": (
        _c("ticket_id", "str", unique=True),
        _c("account_id", "str"),
        _c("opened_at", "timestamp"),
        _c("closed_at", "timestamp", False, description="must not be before opened_at"),
        _c("severity", "str", allowed=SEVERITIES),
        _c("category", "str", False),
        _c("csat", "int", False, ge=1, le=5),
    ),
    "offers": (
        _c("offer_id", "str", unique=True),
        _c("account_id", "str"),
        _c("offered_at", "timestamp"),
        _c("offer_type", "str", description="what was offered, e.g. tier_upgrade, add_on"),
        _c("channel", "str", allowed=CHANNELS),
        _c("owner_role", "str", False),
        _c("outcome", "str", allowed=OUTCOMES),
        _c("outcome_at", "timestamp", False),
        _c("revenue", "float", False, ge=0),
        _c("reenter_at", "timestamp", False, description="deferred offers: when the account may be offered again"),
        _c("is_control", "bool", False, description="held out from treatment (uplift measurement)"),
    ),
}

# Unique keys of tables whose rows have no single id column.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {"usage": ("account_id", "usage_date", "metric")}

# The timestamp that places each row in time: a feature at cutoff t sees only rows dated before t.
EVENT_TIME: dict[str, str] = {
    "accounts": "created_at",
    "subscriptions": "started_at",
    "purchases": "ordered_at",
    "usage": "usage_date",
    "support_tickets": "opened_at",
    "offers": "offered_at",
}


def column_names(table: str, required_only: bool = False) -> list[str]:
    """The contract's column names for ``table``, in contract order."""
    return [c.name for c in COLUMNS[table] if c.required or not required_only]


def spec(table: str, column: str) -> ColumnSpec:
    """The spec of one column; KeyError if the contract does not define it."""
    for c in COLUMNS[table]:
        if c.name == column:
            return c
    raise KeyError(f"{table}.{column} is not in the contract")


def contract_markdown() -> str:
    """The tables section of docs/contract.md, rendered from this module (a test keeps it current)."""
    lines = ["| table | column | type | required | rules | meaning |", "|---|---|---|---|---|---|"]
    for table in TABLE_NAMES:
        for c in COLUMNS[table]:
            rules = []
            if c.unique:
                rules.append("unique")
            if c.allowed:
                rules.append("one of " + ", ".join(f"`{a}`" for a in c.allowed))
            for op, bound in ((">=", c.ge), (">", c.gt), ("<=", c.le)):
                if bound is not None:
                    rules.append(f"{op} {bound:g}")
            lines.append(
                f"| `{table}` | `{c.name}` | {c.kind} | {'yes' if c.required else 'no'} | "
                f"{'; '.join(rules)} | {c.description} |"
            )
    return "\n".join(lines) + "\n"
