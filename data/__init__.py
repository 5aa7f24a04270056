"""Data contracts, loaders and the synthetic scenario generator.

The contract (docs/contract.md) names six source tables; only ``accounts`` is required.
"""
from data.contract import COLUMNS, TABLE_NAMES, ColumnSpec
from data.tables import Tables

__all__ = ["COLUMNS", "TABLE_NAMES", "ColumnSpec", "Tables"]
