"""The template catalogue: GetProfileObjectTypeTemplate / ListProfileObjectTypeTemplates.

Each ``templates/<TemplateId>.json`` holds exactly what GetProfileObjectTypeTemplate returns
(TemplateId, SourceName, SourceObject, AllowProfileCreation, SourceLastUpdatedTimestampFormat,
Fields, Keys). Templates are data: add one by adding a file; every file must pass
``ObjectTypeDefinition.from_wire`` (a unit test checks this).

Provenance
----------
AWS does not publish the JSON bodies of its templates, so **every template here is
reconstructed**; none is a verbatim copy. What is taken from AWS's documentation, for each one:
the source-field → standard-object-field tables and the "Standard Index Name" tables of the
Amazon Connect admin guide ("Mapping Salesforce objects to the standard profile", "… Salesforce
objects to the standard asset", "… Zendesk objects to the standard profile / standard case",
"… Marketo objects …", "… ServiceNow objects to the standard profile / standard case",
"… Shopify objects to the standard profile / standard order", "… Segment objects …"), and for the
contact-record family the behaviour described in "Contact record templates" (CTR matches on
``_ctrContactId`` only; CTR-NoInferred and CTR-AutoAssociateOnly fall back to ``_phone``; only
CTR-AutoAssociateOnly refuses to create inferred profiles). Shopify sources read the EventBridge
envelope (``_source.detail.event.detail.payload.…``), as AWS's own Shopify mapping example does.

What is ours: field names; ContentTypes (PHONE_NUMBER / EMAIL_ADDRESS / NAME / NUMBER by
meaning); which key is UNIQUE and PROFILE (the source record's own id is PROFILE+UNIQUE for
profile-shaped sources and ASSET/CASE/ORDER+UNIQUE for the others, whose owner's id is the
PROFILE key; cross-system ids such as ``_salesforceAccountId`` on a Contact are search-only
keys); AllowProfileCreation (true for profile-shaped sources, false for asset/case/order ones);
the SourceLastUpdatedTimestampFormat of each source system's documented timestamp shape, fed by a
``…SourceLastUpdatedTimestamp`` target. Deviations from AWS's tables, each because the table's
mapping cannot be expressed or would produce an invalid profile:

* ``gender`` maps to ``GenderString`` rather than the ``Gender`` enum (source values such as
  ``"male"`` are not MALE | FEMALE | UNSPECIFIED);
* Salesforce-Account's ``IsPersonAccount`` → ``PartyType`` and Shopify's ``StatusCode``
  (ACTIVATED / DRAFT from ``order_status_url``) need conditional logic and are left out;
* typos in AWS's tables are corrected against the source-field lists (Marketo ``dateOfBirth``,
  ServiceNow task ``state`` and incident ``incident_state``).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

_TEMPLATE_PACKAGE = "openprofiles.ingest.templates"


class TemplateCatalogue:
    """Templates by TemplateId; loaded once, handed out as copies."""

    def __init__(self, templates: dict[str, dict[str, Any]]) -> None:
        self._templates = templates
        self._summaries = [
            {k: t[k] for k in ("TemplateId", "SourceName", "SourceObject")}
            for _, t in sorted(templates.items())
        ]

    @classmethod
    def load(cls) -> TemplateCatalogue:
        """Read every ``templates/*.json`` shipped with the package."""
        templates: dict[str, dict[str, Any]] = {}
        for entry in resources.files(_TEMPLATE_PACKAGE).iterdir():
            if entry.name.endswith(".json"):
                template = json.loads(entry.read_text(encoding="utf-8"))
                templates[template["TemplateId"]] = template
        return cls(templates)

    def list_templates(self) -> list[dict[str, str]]:
        """ListProfileObjectTypeTemplates items (TemplateId, SourceName, SourceObject),
        sorted by TemplateId; paging is the caller's."""
        return [dict(summary) for summary in self._summaries]

    def get_template(self, template_id: str) -> dict[str, Any] | None:
        """GetProfileObjectTypeTemplate's response body, or None for an unknown id."""
        template = self._templates.get(template_id)
        return copy.deepcopy(template) if template is not None else None


@cache
def default_catalogue() -> TemplateCatalogue:
    """The catalogue of the templates shipped with openprofiles."""
    return TemplateCatalogue.load()


def list_templates() -> list[dict[str, str]]:
    """See :meth:`TemplateCatalogue.list_templates`."""
    return default_catalogue().list_templates()


def get_template(template_id: str) -> dict[str, Any] | None:
    """See :meth:`TemplateCatalogue.get_template`."""
    return default_catalogue().get_template(template_id)
