"""Salesforce: a CSV that Data Loader or the Bulk API upserts onto Account by an external id.

Default: the External ID field ``Upsell_Account_Id__c`` holds our ``account_id``; every other
column goes to an ``Upsell_*__c`` custom field; ``name`` → ``Name`` when joined in (an upsert
that creates an Account needs it). Date fields (``as_of``, ``due_at``) are ``YYYY-MM-DD``, other
timestamps ISO 8601 UTC. Admins rename fields with a mapping file (see ``mapping.py``).
"""
from __future__ import annotations

from pipeline.export.mapping import FieldMapping, FieldSpec

EXTERNAL_ID_FIELD = "Upsell_Account_Id__c"

_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("account_id", EXTERNAL_ID_FIELD, "text"),
    ("as_of", "Upsell_As_Of__c", "date"),
    ("score", "Upsell_Score__c", "number"),
    ("score_band", "Upsell_Score_Band__c", "text"),
    ("rank", "Upsell_Rank__c", "number"),
    ("triggers", "Upsell_Triggers__c", "text"),
    ("decision_path", "Upsell_Decision_Path__c", "text"),
    ("final_node", "Upsell_Final_Node__c", "text"),
    ("action", "Upsell_Action__c", "text"),
    ("offer_type", "Upsell_Offer_Type__c", "text"),
    ("channel", "Upsell_Channel__c", "text"),
    ("owner_role", "Upsell_Owner_Role__c", "text"),
    ("owner_id", "Upsell_Owner_Id__c", "text"),
    ("priority", "Upsell_Priority__c", "auto"),
    ("expected_value", "Upsell_Expected_Value__c", "number"),
    ("due_at", "Upsell_Due_Date__c", "date"),
    ("reason_1", "Upsell_Reason_1__c", "text"),
    ("reason_2", "Upsell_Reason_2__c", "text"),
    ("reason_3", "Upsell_Reason_3__c", "text"),
    ("model_name", "Upsell_Model_Name__c", "text"),
    ("model_version", "Upsell_Model_Version__c", "text"),
    ("run_id", "Upsell_Run_Id__c", "text"),
)

DEFAULT_MAPPING = FieldMapping(
    key=EXTERNAL_ID_FIELD,
    fields=(
        *(FieldSpec(source=s, field=f, type=t) for s, f, t in _FIELDS),  # type: ignore[arg-type]
        FieldSpec(source="name", field="Name", type="text", optional=True),
    ),
)
