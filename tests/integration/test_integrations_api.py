"""PutIntegration, GetIntegration, ListIntegrations, DeleteIntegration and
ListAccountIntegrations through boto3, on both databases: every member, the flow's ARN as the
default Uri, tags, paging, accounts kept apart, and the 400s that create nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.live_server import LiveServer


@pytest.fixture
def live_server(module_server: tuple[LiveServer, str]) -> LiveServer:
    return module_server[0]


@pytest.fixture
def database_url(module_server: tuple[LiveServer, str]) -> str:
    return module_server[1]


KMS = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _domain(cp: Any, types: tuple[str, ...] = ("contacts",)) -> str:
    name = "d" + uuid.uuid4().hex[:10]
    cp.create_domain(DomainName=name, DefaultExpirationDays=30)
    for t in types:
        cp.put_profile_object_type(
            DomainName=name,
            ObjectTypeName=t,
            Description=t,
            AllowProfileCreation=True,
            Fields={"id": {"Source": "_source.id"}, "email": {"Source": "_source.email",
                    "Target": "_profile.EmailAddress", "ContentType": "EMAIL_ADDRESS"}},
            Keys={"id": [{"StandardIdentifiers": ["UNIQUE", "PROFILE"], "FieldNames": ["id"]}]},
        )  # fmt: skip
    return name


def flow(name: str = "contacts-flow", **changes: Any) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "FlowName": name,
        "Description": "contacts from S3",
        "KmsArn": KMS,
        "SourceFlowConfig": {
            "ConnectorType": "S3",
            "SourceConnectorProperties": {"S3": {"BucketName": "crm", "BucketPrefix": "in/"}},
        },
        "Tasks": [
            {
                "TaskType": "Filter",
                "SourceFields": ["id", "email"],
                "ConnectorOperator": {"S3": "PROJECTION"},
            },
        ],
        "TriggerConfig": {"TriggerType": "OnDemand"},
    }
    definition.update(changes)
    return definition


def test_put_with_a_flow_and_no_uri_takes_the_flows_arn(live_server: LiveServer) -> None:
    cp = live_server.client()
    domain = _domain(cp)
    put = cp.put_integration(
        DomainName=domain,
        ObjectTypeName="contacts",
        FlowDefinition=flow(),
        RoleArn="arn:aws:iam::000000000000:role/profiles",
        EventTriggerNames=["t1"],
        Scope="DOMAIN",
        Tags={"team": "crm"},
    )
    uri = "arn:aws:appflow:us-east-1:000000000000:flow/contacts-flow"
    assert put["Uri"] == uri
    got = cp.get_integration(DomainName=domain, Uri=uri)
    for member in ("DomainName", "Uri", "ObjectTypeName", "CreatedAt", "LastUpdatedAt"):
        assert got[member] == put[member]
    assert got["RoleArn"] == "arn:aws:iam::000000000000:role/profiles"
    assert got["EventTriggerNames"] == ["t1"]
    assert got["Scope"] == "DOMAIN"
    assert got["IsUnstructured"] is False
    assert got["Tags"] == {"team": "crm"}
    assert "FlowDefinition" not in got  # sensitive: stored, never answered


def test_put_again_updates_and_keeps_created_at(live_server: LiveServer) -> None:
    cp = live_server.client()
    domain = _domain(cp, ("contacts", "leads"))
    first = cp.put_integration(DomainName=domain, Uri="s3://crm/in", ObjectTypeName="contacts")
    again = cp.put_integration(DomainName=domain, Uri="s3://crm/in", ObjectTypeName="leads")
    assert again["CreatedAt"] == first["CreatedAt"]
    assert again["ObjectTypeName"] == "leads"
    assert again["LastUpdatedAt"] >= first["LastUpdatedAt"]
    assert again["Scope"] == "PROFILE"  # the documented default
    assert len(cp.list_integrations(DomainName=domain)["Items"]) == 1


def test_object_type_names_per_event_type(live_server: LiveServer) -> None:
    cp = live_server.client()
    domain = _domain(cp, ("customers", "orders"))
    names = {"ShopifyCreateCustomers": "customers", "ShopifyCreateOrders": "orders"}
    cp.put_integration(DomainName=domain, Uri="arn:aws:events:shop", ObjectTypeNames=names)
    got = cp.get_integration(DomainName=domain, Uri="arn:aws:events:shop")
    assert got["ObjectTypeNames"] == names and "ObjectTypeName" not in got


def test_unstructured_flow(live_server: LiveServer) -> None:
    cp = live_server.client()
    domain = _domain(cp)
    put = cp.put_integration(
        DomainName=domain, ObjectTypeName="_unstructured", FlowDefinition=flow("raw")
    )
    assert put["IsUnstructured"] is True


def test_list_pages_and_delete(live_server: LiveServer) -> None:
    cp = live_server.client()
    domain = _domain(cp)
    uris = [f"s3://bucket-{i}/x" for i in range(5)]
    for uri in uris:
        cp.put_integration(DomainName=domain, Uri=uri, ObjectTypeName="contacts")
    seen: list[str] = []
    kwargs: dict[str, Any] = {"DomainName": domain, "MaxResults": 2, "IncludeHidden": False}
    while True:
        page = cp.list_integrations(**kwargs)
        assert len(page["Items"]) <= 2
        seen += [item["Uri"] for item in page["Items"]]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert seen == sorted(uris)
    assert cp.list_integrations(DomainName=domain, IncludeHidden=True)["Items"]
    message = cp.delete_integration(DomainName=domain, Uri=uris[0])["Message"]
    assert uris[0] in message
    with pytest.raises(ClientError) as err:
        cp.get_integration(DomainName=domain, Uri=uris[0])
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        cp.delete_integration(DomainName=domain, Uri=uris[0])
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_account_integrations_span_domains_and_not_accounts(live_server: LiveServer) -> None:
    cp = live_server.client()
    uri = f"s3://shared-{uuid.uuid4().hex[:8]}/in"
    one, two = _domain(cp), _domain(cp)
    for domain in (one, two):
        cp.put_integration(DomainName=domain, Uri=uri, ObjectTypeName="contacts")
    items = cp.list_account_integrations(Uri=uri)["Items"]
    assert sorted(i["DomainName"] for i in items) == sorted([one, two])
    first = cp.list_account_integrations(Uri=uri, MaxResults=1)
    assert len(first["Items"]) == 1 and first["NextToken"]
    rest = cp.list_account_integrations(Uri=uri, MaxResults=1, NextToken=first["NextToken"])
    assert rest["Items"][0]["DomainName"] != first["Items"][0]["DomainName"]
    other = live_server.client(access_key="second", secret_key="second-secret")
    assert other.list_account_integrations(Uri=uri)["Items"] == []
    with pytest.raises(ClientError) as err:
        other.get_integration(DomainName=one, Uri=uri)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_tags_on_an_integration(live_server: LiveServer) -> None:
    cp = live_server.client()
    domain = _domain(cp)
    uri = "s3://tagged/in"
    cp.put_integration(DomainName=domain, Uri=uri, ObjectTypeName="contacts")
    arn = f"arn:aws:profile:us-east-1:000000000000:domains/{domain}/integrations/{uri}"
    cp.tag_resource(resourceArn=arn, tags={"env": "test"})
    assert cp.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "test"}
    assert cp.get_integration(DomainName=domain, Uri=uri)["Tags"] == {"env": "test"}
    cp.untag_resource(resourceArn=arn, tagKeys=["env"])
    assert cp.list_tags_for_resource(resourceArn=arn)["tags"] == {}
    cp.delete_integration(DomainName=domain, Uri=uri)
    with pytest.raises(ClientError) as err:
        cp.list_tags_for_resource(resourceArn=arn)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def _task(task_type: str, fields: list[str], operator: str | None, **extra: Any) -> Any:
    task: dict[str, Any] = {"TaskType": task_type, "SourceFields": fields, **extra}
    if operator is not None:
        task["ConnectorOperator"] = {"S3": operator}
    return task


BAD = [
    pytest.param(
        {"FlowDefinition": flow(TriggerConfig={"TriggerType": "Scheduled"})},
        "ScheduleExpression",
        id="scheduled-without-expression",
    ),
    pytest.param(
        {
            "FlowDefinition": flow(
                TriggerConfig={
                    "TriggerType": "Scheduled",
                    "TriggerProperties": {"Scheduled": {"ScheduleExpression": "every day"}},
                }
            )
        },
        "ScheduleExpression",
        id="bad-expression",
    ),
    pytest.param(
        {
            "FlowDefinition": flow(
                SourceFlowConfig={"ConnectorType": "S3", "SourceConnectorProperties": {}}
            )
        },
        "SourceConnectorProperties.S3",
        id="s3-without-s3-properties",
    ),
    pytest.param(
        {
            "FlowDefinition": flow(
                SourceFlowConfig={
                    "ConnectorType": "Salesforce",
                    "SourceConnectorProperties": {"S3": {"BucketName": "crm"}},
                }
            )
        },
        "SourceConnectorProperties.Salesforce",
        id="salesforce-with-s3-properties",
    ),
    pytest.param(
        {"FlowDefinition": flow(Tasks=[_task("Map", ["id"], "PROJECTION")])},
        "Tasks[0].ConnectorOperator.S3",
        id="map-with-projection",
    ),
    pytest.param(
        {
            "FlowDefinition": flow(
                Tasks=[_task("Arithmetic", ["a", "b"], "MASK_ALL", DestinationField="c")]
            )
        },
        "Tasks[0].ConnectorOperator.S3",
        id="arithmetic-with-mask",
    ),
    pytest.param(
        {"FlowDefinition": flow(Tasks=[_task("Filter", ["id"], "GREATER_THAN")])},
        "Tasks[0].TaskProperties.VALUE",
        id="comparison-without-value",
    ),
    pytest.param(
        {"FlowDefinition": flow(Tasks=[_task("Truncate", ["id"], "NO_OP")])},
        "TRUNCATE_LENGTH",
        id="truncate-without-length",
    ),
    pytest.param({"ObjectTypeName": "nosuch"}, "ObjectTypeName", id="unknown-object-type"),
    pytest.param({"ObjectTypeName": None}, "ObjectTypeName", id="no-object-type"),
    pytest.param(
        {"ObjectTypeNames": {"ShopifyCreateOrders": "contacts"}}, "ObjectTypeNames", id="both"
    ),
    pytest.param(
        {"ObjectTypeName": None, "ObjectTypeNames": {"Nope": "contacts"}},
        "ObjectTypeNames.Nope",
        id="unknown-event-type",
    ),
]


@pytest.mark.parametrize(("changes", "named"), BAD)
def test_bad_input_is_a_400_naming_the_member_and_creates_nothing(
    live_server: LiveServer, changes: dict[str, Any], named: str
) -> None:
    cp = live_server.client()
    domain = _domain(cp)
    request: dict[str, Any] = {"DomainName": domain, "ObjectTypeName": "contacts",
                               "Uri": "s3://crm/in"}  # fmt: skip
    request.update(changes)
    request = {k: v for k, v in request.items() if v is not None}
    with pytest.raises(ClientError) as err:
        cp.put_integration(**request)
    error = err.value.response["Error"]
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Code"] == "BadRequestException"
    assert named in error["Message"], error["Message"]
    assert cp.list_integrations(DomainName=domain)["Items"] == []


def test_unknown_domain_is_a_404(live_server: LiveServer) -> None:
    cp = live_server.client()
    with pytest.raises(ClientError) as err:
        cp.put_integration(DomainName="nosuchdomain", Uri="s3://x/y", ObjectTypeName="contacts")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_the_domains_integration_quota(live_server: LiveServer) -> None:
    from openprofiles.quotas import quota

    cp = live_server.client()
    domain = _domain(cp)
    limit = quota("integrations_per_domain")
    for i in range(limit):
        cp.put_integration(DomainName=domain, Uri=f"s3://q/{i}", ObjectTypeName="contacts")
    with pytest.raises(ClientError) as err:
        cp.put_integration(DomainName=domain, Uri="s3://q/one-more", ObjectTypeName="contacts")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert f"quota of {limit} integrations" in err.value.response["Error"]["Message"]
    # Putting an existing one again is an update, not one more.
    cp.put_integration(DomainName=domain, Uri="s3://q/0", ObjectTypeName="contacts")
    cp.delete_integration(DomainName=domain, Uri="s3://q/0")
    cp.put_integration(DomainName=domain, Uri="s3://q/one-more", ObjectTypeName="contacts")


def _scheduled(**scheduled: Any) -> dict[str, Any]:
    return flow(
        "scheduled-" + uuid.uuid4().hex[:6],
        TriggerConfig={"TriggerType": "Scheduled",
                       "TriggerProperties": {"Scheduled": scheduled}},
    )  # fmt: skip


def test_scheduled_triggers_through_the_wire(live_server: LiveServer) -> None:
    from datetime import UTC, datetime

    cp = live_server.client()
    domain = _domain(cp)
    start, end = datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 6, 1, tzinfo=UTC)
    definition = _scheduled(
        ScheduleExpression="cron(0 6 ? * MON-FRI *)", DataPullMode="Incremental",
        ScheduleStartTime=start, ScheduleEndTime=end, Timezone="Europe/Paris",
        ScheduleOffset=300, FirstExecutionFrom=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
    put = cp.put_integration(DomainName=domain, ObjectTypeName="contacts",
                             FlowDefinition=definition)  # fmt: skip
    assert put["Uri"].startswith("arn:aws:appflow:us-east-1:000000000000:flow/scheduled-")
    for bad, named in [
        ({"ScheduleExpression": "rate(1days)", "ScheduleStartTime": end,
          "ScheduleEndTime": start}, "ScheduleEndTime"),
        ({"ScheduleExpression": "rate(1days)", "Timezone": "Mars/Olympus"}, "Timezone"),
        ({"ScheduleExpression": "cron(0 6 * * MON *)"}, "ScheduleExpression"),
    ]:  # fmt: skip
        with pytest.raises(ClientError) as err:
            cp.put_integration(DomainName=domain, ObjectTypeName="contacts",
                               FlowDefinition=_scheduled(**bad))  # fmt: skip
        assert named in err.value.response["Error"]["Message"], err.value.response
    assert len(cp.list_integrations(DomainName=domain)["Items"]) == 1
