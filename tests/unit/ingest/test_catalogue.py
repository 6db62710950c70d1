from __future__ import annotations

from typing import Any

import pytest

from openprofiles.ingest import ObjectTypeDefinition, get_template, list_templates, map_object

REQUIRED = {
    "CTR", "CTR-NoInferred", "Salesforce-Account", "Salesforce-Contact", "Salesforce-Asset",
    "Zendesk-users", "Zendesk-tickets", "Marketo-leads", "Servicenow-sys_user", "Servicenow-task",
    "Servicenow-incident", "Shopify-Customer", "Shopify-Order", "Shopify-DraftOrder",
    "Segment-Identify",
}  # fmt: skip
TEMPLATE_IDS = [summary["TemplateId"] for summary in list_templates()]


def test_the_required_templates_ship() -> None:
    assert set(TEMPLATE_IDS) >= REQUIRED


def test_list_is_sorted_summaries() -> None:
    summaries = list_templates()
    assert sorted(TEMPLATE_IDS) == TEMPLATE_IDS
    assert all(set(s) == {"TemplateId", "SourceName", "SourceObject"} for s in summaries)


def test_an_unknown_template_is_none() -> None:
    assert get_template("Nope") is None


def test_get_template_returns_a_copy() -> None:
    first = get_template("CTR")
    assert first is not None
    first["Fields"].clear()
    again = get_template("CTR")
    assert again is not None and again["Fields"]


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_every_template_is_a_valid_definition(template_id: str) -> None:
    template = get_template(template_id)
    assert template is not None
    assert set(template) <= {
        "TemplateId", "SourceName", "SourceObject", "AllowProfileCreation",
        "SourceLastUpdatedTimestampFormat", "Fields", "Keys",
    }  # fmt: skip
    assert template["TemplateId"] == template_id
    body = {
        k: v for k, v in template.items() if k not in {"TemplateId", "SourceName", "SourceObject"}
    }
    direct = ObjectTypeDefinition.from_wire(template_id, body)
    via_id = ObjectTypeDefinition.from_wire(template_id, {"TemplateId": template_id})
    assert via_id.fields == direct.fields and via_id.keys == direct.keys
    assert via_id.unique_key is not None
    assert any("PROFILE" in k.standard_identifiers for k in via_id.keys)


def test_ctr_templates_match_on_contact_id_then_phone() -> None:
    ctr: dict[str, Any] = {"ContactId": "c-1", "CustomerEndpoint": {"Address": "+1 206 555 0100"}}
    plain = ObjectTypeDefinition.from_wire("CTR", {"TemplateId": "CTR"})
    no_inferred = ObjectTypeDefinition.from_wire("CTR", {"TemplateId": "CTR-NoInferred"})
    mapped = map_object(plain, ctr)
    assert [k.name for k in mapped.matching_keys] == ["_ctrContactId"]
    assert mapped.secondary_keys == []
    assert mapped.inferred_profile == {"PhoneNumber": "+12065550100"}
    mapped = map_object(no_inferred, ctr)
    assert [(k.name, k.value) for k in mapped.secondary_keys] == [("_phone", "+12065550100")]
    auto_only = ObjectTypeDefinition.from_wire("CTR", {"TemplateId": "CTR-AutoAssociateOnly"})
    assert no_inferred.allow_profile_creation and not auto_only.allow_profile_creation
