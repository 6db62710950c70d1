"""Object types and templates at the service level (both databases)."""

from __future__ import annotations

from typing import Any

import pytest

from openprofiles import arns
from openprofiles.context import Caller
from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.services.container import Services


def _type(**extra: Any) -> dict[str, Any]:
    return {
        "Description": "CRM contacts",
        "AllowProfileCreation": True,
        "Fields": {
            "id": {"Source": "_source.id"},
            "email": {
                "Source": "_source.email",
                "Target": "_profile.EmailAddress",
                "ContentType": "EMAIL_ADDRESS",
            },
        },
        "Keys": {
            "crmId": [{"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["id"]}],
            "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
        },
        **extra,
    }


def _error(call: Any, *args: Any) -> ServiceError:
    with pytest.raises(ServiceError) as err:
        call(*args)
    return err.value


def test_put_get_replace_list_delete(services: Services, caller: Caller) -> None:
    services.domains.create(caller, "d", 30, {}, None)
    created, tags = services.object_types.put(
        caller, "d", "crm", _type(Tags={"team": "a"}, ExpirationDays=5, MaxProfileObjectCount=3)
    )
    wire = created.to_wire(tags)
    assert wire["ObjectTypeName"] == "crm" and wire["Description"] == "CRM contacts"
    assert wire["ExpirationDays"] == 5 and wire["AllowProfileCreation"] is True
    assert wire["MaxProfileObjectCount"] == 3 and wire["MaxAvailableProfileObjectCount"] == 3
    assert wire["Keys"]["crmId"] == [
        {"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["id"]}
    ]
    assert wire["Tags"] == {"team": "a"} and wire["CreatedAt"] == wire["LastUpdatedAt"]

    replaced, _ = services.object_types.put(caller, "d", "crm", _type(Description="v2"))
    assert replaced.definition.option("Description") == "v2"
    assert "ExpirationDays" not in replaced.to_wire({})
    got, got_tags = services.object_types.get(caller, "d", "crm")
    assert got.definition.option("Description") == "v2" and got_tags == {"team": "a"}

    services.object_types.put(caller, "d", "other", _type())
    items, token = services.object_types.list(caller, "d", 1, None)
    assert [i.definition.name for i, _ in items] == ["crm"] and token
    items, token = services.object_types.list(caller, "d", 1, token)
    assert [i.definition.name for i, _ in items] == ["other"] and token is None

    services.object_types.delete(caller, "d", "crm")
    assert _error(services.object_types.get, caller, "d", "crm").kind is ErrorKind.NOT_FOUND
    assert _error(services.object_types.delete, caller, "d", "crm").kind is ErrorKind.NOT_FOUND
    # its tags went with it: a new type of that name starts untagged
    _, tags = services.object_types.put(caller, "d", "crm", _type())
    assert tags == {}


def test_template_types_and_catalogue(services: Services, caller: Caller) -> None:
    services.domains.create(caller, "d", 30, {}, None)
    found, _ = services.object_types.put(
        caller, "d", "contacts", {"Description": "sf", "TemplateId": "Salesforce-Contact"}
    )
    wire = found.to_wire({})
    assert wire["TemplateId"] == "Salesforce-Contact" and "_salesforceContactId" in wire["Keys"]
    err = _error(
        services.object_types.put,
        caller,
        "d",
        "x",
        {"Description": "sf", "TemplateId": "Salesforce-Contact", "Keys": {"a": []}},
    )
    assert err.kind is ErrorKind.INVALID and "TemplateId" in err.message
    template = services.object_types.get_template("Salesforce-Contact")
    assert template["SourceName"] == "Salesforce" and template["SourceObject"] == "Contact"
    assert _error(services.object_types.get_template, "Nope").kind is ErrorKind.NOT_FOUND
    ids: list[str] = []
    token = None
    while True:
        page, token = services.object_types.list_templates(5, token)
        ids += [t["TemplateId"] for t in page]
        if token is None:
            break
    required = {
        "CTR", "CTR-NoInferred", "Salesforce-Account", "Salesforce-Contact", "Salesforce-Asset",
        "Zendesk-users", "Zendesk-tickets", "Marketo-leads", "Servicenow-sys_user",
        "Servicenow-task", "Servicenow-incident", "Shopify-Customer", "Shopify-Order",
        "Shopify-DraftOrder", "Segment-Identify",
    }  # fmt: skip
    assert required <= set(ids) and ids == sorted(ids)


def test_domain_rules(services: Services, caller: Caller) -> None:
    services.domains.create(caller, "d", 30, {}, None)
    err = _error(services.object_types.put, caller, "d", "_custom", _type())
    assert err.kind is ErrorKind.INVALID and "ObjectTypeName" in err.message
    bad_key = _type()
    bad_key["Keys"]["_loyaltyNumber"] = [{"StandardIdentifiers": [], "FieldNames": ["id"]}]
    err = _error(services.object_types.put, caller, "d", "t", bad_key)
    assert err.kind is ErrorKind.INVALID and "Keys._loyaltyNumber" in err.message
    services.object_types.put(caller, "d", "first", _type())
    # crmId over a PHONE_NUMBER field: key names are global, ContentTypes must agree
    clash = _type()
    clash["Fields"]["id"]["ContentType"] = "PHONE_NUMBER"
    err = _error(services.object_types.put, caller, "d", "second", clash)
    assert err.kind is ErrorKind.INVALID and "Keys.crmId" in err.message and "first" in err.message
    eleven = _type()
    eleven["Keys"] = {
        f"k{i}": [{"StandardIdentifiers": [], "FieldNames": ["id"]}] for i in range(11)
    }
    err = _error(services.object_types.put, caller, "d", "big", eleven)
    assert err.kind is ErrorKind.QUOTA and "Keys" in err.message


def test_types_per_domain_quota(services: Services, caller: Caller) -> None:
    services.domains.create(caller, "d", 30, {}, None)
    simple = {
        "Description": "t",
        "Fields": {"id": {"Source": "_source.id"}},
        "Keys": {"id": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}]},
    }
    for i in range(100):
        services.object_types.put(caller, "d", f"t{i:03d}", simple)
    err = _error(services.object_types.put, caller, "d", "one-too-many", simple)
    assert err.kind is ErrorKind.QUOTA and "100" in err.message
    # Replacing is not adding: the type takes the new definition and the count stays 100.
    replaced, _ = services.object_types.put(caller, "d", "t000", {**simple, "Description": "v2"})
    assert replaced.definition.option("Description") == "v2"
    items, _ = services.object_types.list(caller, "d", 100, None)
    assert [i.definition.name for i, _ in items] == [f"t{i:03d}" for i in range(100)]


def test_tag_resource_on_object_type_arn(services: Services, caller: Caller) -> None:
    services.domains.create(caller, "d", 30, {}, None)
    services.object_types.put(caller, "d", "crm", _type())
    arn = arns.object_type_arn(caller, "d", "crm")
    services.tags.tag(caller, arn, {"k": "v"})
    assert services.tags.list(caller, arn) == {"k": "v"}
    missing = arns.object_type_arn(caller, "d", "nope")
    assert _error(services.tags.tag, caller, missing, {"k": "v"}).kind is ErrorKind.NOT_FOUND
