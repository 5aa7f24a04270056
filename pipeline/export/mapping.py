"""Field mappings: which scored-list column goes to which CRM field, and how it is formatted.

CRM admins name their custom fields; the pipeline's column names are fixed by the contract. A
mapping is the bridge, editable as TOML or YAML without touching Python::

    key = "Upsell_Account_Id__c"       # the destination field the CRM upserts on
    include_defaults = true            # start from the target's default mapping (else: only these)

    [fields]
    account_id = "Upsell_Account_Id__c"
    score = "Upsell_Score__c"
    as_of = { field = "Upsell_As_Of__c", type = "date" }
    name = { field = "Name", optional = true }

``type`` is ``auto`` (default: by the column's dtype), ``date`` (``YYYY-MM-DD``), ``datetime``
(``YYYY-MM-DDTHH:MM:SSZ``, UTC), ``text`` or ``number``. ``optional`` fields are skipped when the
column is absent; any other missing column is an error. Every mapping must carry ``as_of`` and
``model_version`` (each exported row says which model scored it, and when).
"""
from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml

from data.errors import UpsellError
from pipeline.export.files import iso_seconds

FieldType = Literal["auto", "date", "datetime", "text", "number"]
FIELD_TYPES: tuple[str, ...] = ("auto", "date", "datetime", "text", "number")
REQUIRED_SOURCES: tuple[str, ...] = ("as_of", "model_version")


@dataclass(frozen=True)
class FieldSpec:
    """One exported field: the scored-list ``source`` column written as destination ``field``."""

    source: str
    field: str
    type: FieldType = "auto"
    optional: bool = False


@dataclass(frozen=True)
class FieldMapping:
    """An ordered set of fields plus the destination field that identifies a record (``key``)."""

    key: str
    fields: tuple[FieldSpec, ...]

    def __post_init__(self) -> None:
        names = [f.field for f in self.fields]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise UpsellError(f"mapping: destination field(s) {dupes} are mapped more than once")
        if self.key not in names:
            raise UpsellError(f"mapping: key {self.key!r} is not one of the mapped fields {names}")
        sources = {f.source for f in self.fields}
        missing = [s for s in REQUIRED_SOURCES if s not in sources]
        if missing:
            raise UpsellError(
                f"mapping: column(s) {missing} must be exported (every exported row carries the model "
                "version and as_of); add them under [fields]"
            )

    @property
    def key_source(self) -> str:
        """The scored-list column behind the key field."""
        return next(f.source for f in self.fields if f.field == self.key)

    def with_fields(self, overrides: Mapping[str, FieldSpec], key: str | None = None) -> "FieldMapping":
        """This mapping with fields replaced/added by source column (order kept, new ones appended)."""
        merged = {f.source: f for f in self.fields}
        merged.update(overrides)
        return FieldMapping(key=key or self.key, fields=tuple(merged.values()))


def apply_mapping(frame: pd.DataFrame, mapping: FieldMapping) -> pd.DataFrame:
    """The export frame: mapped columns renamed and formatted, in mapping order.

    Raises ``UpsellError`` naming the missing column(s) and the columns available.
    """
    missing = [f.source for f in mapping.fields if not f.optional and f.source not in frame.columns]
    if missing:
        raise UpsellError(
            f"mapping: column(s) {missing} are not in the scored list (columns: {', '.join(map(str, frame.columns))})"
        )
    if mapping.key_source not in frame.columns:
        raise UpsellError(f"mapping: the key column {mapping.key_source!r} is not in the scored list")
    keys = frame[mapping.key_source]
    if keys.isna().any():
        rows = frame.loc[keys.isna()].head(5)
        raise UpsellError(f"mapping: key column {mapping.key_source!r} is empty in {int(keys.isna().sum())} row(s); e.g.\n{rows}")
    out = {f.field: format_column(frame[f.source], f.type, f.field) for f in mapping.fields if f.source in frame.columns}
    return pd.DataFrame(out, index=frame.index)


def format_column(column: pd.Series, kind: FieldType, field: str) -> pd.Series:
    """One column as the CRM import wants it: ISO dates, numbers kept numeric, text as text."""
    if kind == "auto":
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            kind = "datetime"
        elif pd.api.types.is_bool_dtype(column.dtype):
            text = column.astype("boolean").astype("str").str.lower()
            return text.where(column.notna())
        else:
            return column
    if kind in ("date", "datetime"):
        stamps = _as_utc_naive(column, field)
        if kind == "date":
            return iso_seconds(stamps, unit="D")
        return iso_seconds(stamps, suffix="Z")
    if kind == "number":
        numbers = pd.to_numeric(column, errors="coerce")
        bad = numbers.isna() & column.notna()
        if bad.any():
            raise UpsellError(f"mapping: field {field!r} is typed number but holds {column[bad].head(3).tolist()}")
        return numbers
    return column.astype("str")  # pandas 3: missing values stay missing


def _as_utc_naive(column: pd.Series, field: str) -> pd.Series:
    stamps = pd.to_datetime(column, errors="coerce", utc=True)
    bad = stamps.isna() & column.notna()
    if bad.any():
        raise UpsellError(f"mapping: field {field!r} is typed date/datetime but holds {column[bad].head(3).tolist()}")
    return stamps.dt.tz_localize(None)


def parse_mapping(raw: Mapping[str, Any], default: FieldMapping | None, where: str) -> FieldMapping:
    """A ``FieldMapping`` from a parsed TOML/YAML document (``where`` names it in errors)."""
    allowed = {"key", "include_defaults", "fields"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise UpsellError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    fields_raw = raw.get("fields") or {}
    if not isinstance(fields_raw, Mapping):
        raise UpsellError(f"{where}: 'fields' must be a table of source column = destination field")
    specs: dict[str, FieldSpec] = {}
    for source, value in fields_raw.items():
        specs[str(source)] = _field_spec(str(source), value, where)
    include = raw.get("include_defaults", False)
    if not isinstance(include, bool):
        raise UpsellError(f"{where}: include_defaults must be true or false, got {include!r}")
    key = raw.get("key")
    if key is not None and not isinstance(key, str):
        raise UpsellError(f"{where}: key must be a destination field name, got {key!r}")
    if include:
        if default is None:
            raise UpsellError(f"{where}: include_defaults = true but this target has no default mapping")
        return default.with_fields(specs, key=key)
    if not specs:
        raise UpsellError(f"{where}: no [fields] mapped")
    if key is None:
        raise UpsellError(f"{where}: 'key' (the destination field the CRM upserts on) is required")
    return FieldMapping(key=key, fields=tuple(specs.values()))


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML whose mappings refuse a repeated key (plain YAML silently keeps the last one,
    so ``key:`` written twice would upsert on whichever came second)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice (lines {seen[key]} and {line})", key_node.start_mark)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def load_mapping(path: str | Path, default: FieldMapping | None = None) -> FieldMapping:
    """Read a mapping file (``.toml``, ``.yaml`` or ``.yml``); errors name the file and key."""
    path = Path(path)
    if not path.is_file():
        raise UpsellError(f"{path}: no such mapping file")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            raw = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            raw = yaml.load(text, Loader=_UniqueKeyLoader) or {}
        else:
            raise UpsellError(f"{path}: a mapping file is .toml, .yaml or .yml")
    except tomllib.TOMLDecodeError as exc:
        raise UpsellError(f"{path}: not valid TOML ({exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UpsellError(f"{where}: not valid YAML ({problem})") from None
    if not isinstance(raw, Mapping):
        raise UpsellError(f"{path}: expected a table/mapping at the top level")
    return parse_mapping(raw, default, str(path))


def _field_spec(source: str, value: Any, where: str) -> FieldSpec:
    if isinstance(value, str):
        return FieldSpec(source=source, field=value)
    if not isinstance(value, Mapping):
        raise UpsellError(f"{where}: fields.{source} must be a field name or {{field=..., type=..., optional=...}}")
    unknown = sorted(set(value) - {"field", "type", "optional"})
    if unknown:
        raise UpsellError(f"{where}: fields.{source}: unknown key(s) {unknown}")
    field = value.get("field")
    if not isinstance(field, str) or not field:
        raise UpsellError(f"{where}: fields.{source}: 'field' (the destination name) is required")
    kind = value.get("type", "auto")
    if kind not in FIELD_TYPES:
        raise UpsellError(f"{where}: fields.{source}: type {kind!r} is not one of {list(FIELD_TYPES)}")
    optional = value.get("optional", False)
    if not isinstance(optional, bool):
        raise UpsellError(f"{where}: fields.{source}: optional must be true or false")
    return FieldSpec(source=source, field=field, type=kind, optional=optional)

