"""Object types, templates and detection on a live server through boto3 (both databases);
the bad-input sweep over every object-type and object operation."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from tests.support.live_server import LiveServer
from tests.support.model_values import violations
from tests.support.raw_client import call
from tests.support.snapshot import database_snapshot


@pytest.fixture
def live_server(module_server: tuple[LiveServer, str]) -> LiveServer:
    return module_server[0]


@pytest.fixture
def database_url(module_server: tuple[LiveServer, str]) -> str:
    return module_server[1]


MY_OPERATIONS = (
    "PutProfileObjectType",
    "GetProfileObjectType",
    "ListProfileObjectTypes",
    "DeleteProfileObjectType",
    "GetProfileObjectTypeTemplate",
    "ListProfileObjectTypeTemplates",
    "DetectProfileObjectType",
    "PutProfileObject",
    "ListProfileObjects",
    "DeleteProfileObject",
)

CRM_TYPE: dict[str, Any] = {
    "Description": "CRM contacts",
    "AllowProfileCreation": True,
    "ExpirationDays": 30,
    "Fields": {
        "id": {"Source": "_source.id"},
        "email": {
            "Source": "_source.email",
            "Target": "_profile.EmailAddress",
            "ContentType": "EMAIL_ADDRESS",
        },
        "first": {"Source": "_source.first", "Target": "_profile.FirstName", "ContentType": "NAME"},
    },
    "Keys": {
        "crmId": [{"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["id"]}],
        "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
    },
}


@pytest.fixture
def cp(live_server: Any) -> Any:
    return live_server.client("customer-profiles")


@pytest.fixture
def domain(cp: Any) -> str:
    name = "d-" + uuid.uuid4().hex[:12]
    cp.create_domain(DomainName=name, DefaultExpirationDays=30)
    return name


def _code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def test_object_type_lifecycle(cp: Any, domain: str) -> None:
    put = cp.put_profile_object_type(
        DomainName=domain, ObjectTypeName="crm", Tags={"team": "crm"}, **CRM_TYPE
    )
    assert put["ObjectTypeName"] == "crm" and put["Description"] == "CRM contacts"
    assert put["Keys"] == CRM_TYPE["Keys"] and put["Fields"] == CRM_TYPE["Fields"]
    assert put["AllowProfileCreation"] is True and put["ExpirationDays"] == 30
    assert isinstance(put["CreatedAt"], datetime) and put["Tags"] == {"team": "crm"}
    got = cp.get_profile_object_type(DomainName=domain, ObjectTypeName="crm")
    assert {k: got[k] for k in ("Fields", "Keys", "Tags")} == {
        k: put[k] for k in ("Fields", "Keys", "Tags")
    }
    replaced = cp.put_profile_object_type(
        DomainName=domain, ObjectTypeName="crm", **{**CRM_TYPE, "Description": "v2"}
    )
    assert replaced["Description"] == "v2" and replaced["CreatedAt"] == put["CreatedAt"]
    assert replaced["LastUpdatedAt"] >= put["LastUpdatedAt"]

    arn = f"arn:aws:profile:{cp.meta.region_name}:000000000000:domains/{domain}/object-types/crm"
    cp.tag_resource(resourceArn=arn, tags={"env": "test"})
    assert cp.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "crm", "env": "test"}

    for i in range(3):
        cp.put_profile_object_type(DomainName=domain, ObjectTypeName=f"t{i}", **CRM_TYPE)
    names, token = [], None
    while True:
        kwargs: dict[str, Any] = {"DomainName": domain, "MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = cp.list_profile_object_types(**kwargs)
        names += [item["ObjectTypeName"] for item in page["Items"]]
        token = page.get("NextToken")
        if not token:
            break
    assert names == ["crm", "t0", "t1", "t2"]

    assert "Message" in cp.delete_profile_object_type(DomainName=domain, ObjectTypeName="crm")
    with pytest.raises(ClientError) as err:
        cp.get_profile_object_type(DomainName=domain, ObjectTypeName="crm")
    assert _code(err) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        cp.list_tags_for_resource(resourceArn=arn)
    assert _code(err) == "ResourceNotFoundException"


def test_object_type_rules(cp: Any, domain: str) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("_mine", CRM_TYPE, "ObjectTypeName"),
        ("t", {**CRM_TYPE, "TemplateId": "Salesforce-Contact"}, "TemplateId"),
        ("t", {**CRM_TYPE, "Keys": {"_mine": CRM_TYPE["Keys"]["crmId"]}}, "Keys._mine"),
        (
            "t",
            {
                **CRM_TYPE,
                "Keys": {
                    f"k{i}": [{"StandardIdentifiers": [], "FieldNames": ["id"]}] for i in range(11)
                },
            },
            "Keys",
        ),
    ]
    for name, params, member in cases:
        with pytest.raises(ClientError) as err:
            cp.put_profile_object_type(DomainName=domain, ObjectTypeName=name, **params)
        assert (
            _code(err) == "BadRequestException" and member in err.value.response["Error"]["Message"]
        )
    assert cp.list_profile_object_types(DomainName=domain)["Items"] == []


def test_templates_and_detection(cp: Any, domain: str) -> None:
    items = cp.list_profile_object_type_templates(MaxResults=100)["Items"]
    ids = {t["TemplateId"] for t in items}
    assert {"CTR", "Salesforce-Contact", "Shopify-Order", "Segment-Identify"} <= ids
    template = cp.get_profile_object_type_template(TemplateId="Salesforce-Contact")
    assert template["SourceName"] == "Salesforce" and "_salesforceContactId" in template["Keys"]
    with pytest.raises(ClientError) as err:
        cp.get_profile_object_type_template(TemplateId="Nope")
    assert _code(err) == "ResourceNotFoundException"
    made = cp.put_profile_object_type(
        DomainName=domain, ObjectTypeName="sf", Description="sf", TemplateId="Salesforce-Contact"
    )
    assert made["TemplateId"] == "Salesforce-Contact" and made["Keys"] == template["Keys"]
    detected = cp.detect_profile_object_type(
        DomainName=domain,
        Objects=[json.dumps({"id": "1", "email": "a@example.com", "phone": "+12065550100"})],
    )["DetectedProfileObjectTypes"]
    assert detected and "Fields" in detected[0] and "Keys" in detected[0]


def test_bad_input_sweep(live_server: Any, database_url: str, cp: Any, domain: str) -> None:
    """Every model constraint of these operations: 400 naming the member, nothing changed."""
    cp.put_profile_object_type(DomainName=domain, ObjectTypeName="crm", **CRM_TYPE)
    cp.put_profile_object(DomainName=domain, ObjectTypeName="crm", Object='{"id": "1"}')
    before = database_snapshot(database_url)
    model = botocore.session.get_session().get_service_model("customer-profiles")
    checked = 0
    failures: list[str] = []
    for operation in MY_OPERATIONS:
        for violation in violations(model.operation_model(operation)):
            params = dict(violation.params)
            if "DomainName" in params and not violation.member_path.startswith("DomainName"):
                params["DomainName"] = domain
            status, headers, body = call(
                live_server.endpoint, "customer-profiles", operation, params
            )
            message = (body or {}).get("Message", "")
            if status != 400 or headers.get("x-amzn-errortype") != "BadRequestException":
                failures.append(f"{operation} {violation.member_path} {violation.rule}: {body}")
            elif violation.member_path not in message:
                failures.append(f"{operation} {violation.member_path}: {message!r}")
            checked += 1
    assert checked > 30
    assert not failures, "\n".join(failures[:20])
    assert database_snapshot(database_url) == before
