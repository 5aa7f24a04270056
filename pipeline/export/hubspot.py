"""HubSpot: a CSV for the companies import, matched on Record ID, domain or a unique property.

HubSpot imports update an existing company when a row carries its Record ID (``hs_object_id``),
its company domain (``domain``) or the value of a custom property that requires unique values.
The key is the first of these the scored list has: ``hs_object_id`` or ``domain`` when joined in
(``--join`` a crosswalk), else ``upsell_account_id`` — our account id in a custom company property
created once with "require unique values" (as Salesforce's External ID). Every other column goes
to an ``upsell_*`` custom property (internal names, which the import wizard maps automatically);
``name`` → ``name``.
"""
from __future__ import annotations

from collections.abc import Iterable

from pipeline.export.mapping import FieldMapping, FieldSpec

KEY_COLUMNS: tuple[str, ...] = ("hs_object_id", "domain")
UNIQUE_PROPERTY = "upsell_account_id"  # a company property with "require unique values"

_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("account_id", UNIQUE_PROPERTY, "text"),
    ("as_of", "upsell_as_of", "date"),
    ("score", "upsell_score", "number"),
    ("score_band", "upsell_score_band", "text"),
    ("rank", "upsell_rank", "number"),
    ("triggers", "upsell_triggers", "text"),
    ("decision_path", "upsell_decision_path", "text"),
    ("final_node", "upsell_final_node", "text"),
    ("action", "upsell_action", "text"),
    ("offer_type", "upsell_offer_type", "text"),
    ("channel", "upsell_channel", "text"),
    ("owner_role", "upsell_owner_role", "text"),
    ("owner_id", "upsell_owner_id", "text"),
    ("priority", "upsell_priority", "auto"),
    ("expected_value", "upsell_expected_value", "number"),
    ("due_at", "upsell_due_date", "date"),
    ("reason_1", "upsell_reason_1", "text"),
    ("reason_2", "upsell_reason_2", "text"),
    ("reason_3", "upsell_reason_3", "text"),
    ("model_name", "upsell_model_name", "text"),
    ("model_version", "upsell_model_version", "text"),
    ("run_id", "upsell_run_id", "text"),
)

PROPERTY_FIELDS: tuple[FieldSpec, ...] = tuple(
    FieldSpec(source=s, field=f, type=t) for s, f, t in _FIELDS  # type: ignore[arg-type]
)


def default_mapping(columns: Iterable[str]) -> FieldMapping:
    """The default mapping for a scored list with these columns (the key depends on what was joined)."""
    columns = set(columns)
    key = next((c for c in KEY_COLUMNS if c in columns), None)
    name_spec = FieldSpec(source="name", field="name", type="text", optional=True)
    if key is None:
        return FieldMapping(key=UNIQUE_PROPERTY, fields=(*PROPERTY_FIELDS, name_spec))
    key_spec = FieldSpec(source=key, field=key, type="text")
    return FieldMapping(key=key, fields=(key_spec, *PROPERTY_FIELDS, name_spec))
