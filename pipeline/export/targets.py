"""The export targets the pipeline knows, by name (``upsell export --target NAME``)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from pipeline.export import hubspot, salesforce
from pipeline.export.mapping import FieldMapping


@dataclass(frozen=True)
class ExportTarget:
    """One destination kind: a file format (optionally CRM-mapped) or a database table."""

    name: str
    description: str
    kind: Literal["csv", "parquet", "sql"]
    default_mapping: Callable[[Iterable[str]], FieldMapping] | None = None  # CRM targets only
    default_file: str | None = None  # file name used when the destination is a directory


TARGETS: dict[str, ExportTarget] = {
    "salesforce": ExportTarget(
        name="salesforce",
        description="CSV for Salesforce Data Loader / Bulk API upsert on an external id (Account)",
        kind="csv",
        default_mapping=lambda columns: salesforce.DEFAULT_MAPPING,
        default_file="upsell_salesforce.csv",
    ),
    "hubspot": ExportTarget(
        name="hubspot",
        description="CSV for the HubSpot companies import, matched on Record ID or domain",
        kind="csv",
        default_mapping=hubspot.default_mapping,
        default_file="upsell_hubspot.csv",
    ),
    "csv": ExportTarget(name="csv", description="the scored list as a plain CSV file", kind="csv",
                        default_file="upsell_scores.csv"),
    "parquet": ExportTarget(name="parquet", description="the scored list as a parquet file", kind="parquet",
                            default_file="upsell_scores.parquet"),
    "sql": ExportTarget(name="sql", description="upsert into a table of any SQLAlchemy database (SQLite default)",
                        kind="sql"),
}
