"""CRM and file exports of the scored account list.

``export_scores(scored, target, destination, ...) -> ExportResult`` is the public entry point;
``TARGETS`` lists the targets (salesforce, hubspot, csv, parquet, sql). Every CSV is written
formula-safe, every file atomically, every SQL upsert in one transaction. See docs/exports.md.
"""
from __future__ import annotations

from pipeline.export.exporter import ExportResult, export_scores
from pipeline.export.mapping import FieldMapping, FieldSpec, load_mapping
from pipeline.export.scored_list import SCORED_LIST_COLUMNS, read_scored_list
from pipeline.export.targets import TARGETS, ExportTarget

__all__ = [
    "ExportResult", "ExportTarget", "FieldMapping", "FieldSpec", "SCORED_LIST_COLUMNS", "TARGETS",
    "export_scores", "load_mapping", "read_scored_list",
]
