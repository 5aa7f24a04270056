"""The SOP decision layer, the nightly job, CRM exports, reports and the ``upsell`` CLI."""
