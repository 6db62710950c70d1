"""S3 flows end to end on both databases, against moto's S3 server: the files under the prefix
(JSON Lines, CSV, JSON) ingested and those outside it not, a second run taking only new files,
each Task type, the run records and the dead letters of rejected records."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from tests.support.databases import BACKENDS, require_backend, temporary_database_url
from tests.support.live_server import LiveServer, running_server
from tests.support.raw_client import signed_request
from tests.support.s3 import moto_s3, s3_client

KMS = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_s3() as endpoint:
        yield endpoint


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str
) -> Iterator[LiveServer]:
    backend: str = request.param
    require_backend(backend)
    tmp = tmp_path_factory.mktemp(backend)
    env = {"OPENPROFILES_S3_ENDPOINT_URL": s3_endpoint}
    with temporary_database_url(backend, tmp) as url, running_server(url, tmp / "data", env) as srv:
        yield srv


@pytest.fixture
def s3(s3_endpoint: str) -> Any:
    return s3_client(s3_endpoint)


def make_domain(cp: Any) -> str:
    name = "d" + uuid.uuid4().hex[:10]
    cp.create_domain(DomainName=name, DefaultExpirationDays=30)
    cp.put_profile_object_type(
        DomainName=name,
        ObjectTypeName="contacts",
        Description="contacts",
        AllowProfileCreation=True,
        Fields={
            "id": {"Source": "_source.id"},
            "email": {"Source": "_source.email", "Target": "_profile.EmailAddress",
                      "ContentType": "EMAIL_ADDRESS"},
            "first": {"Source": "_source.first", "Target": "_profile.FirstName"},
        },
        Keys={"id": [{"StandardIdentifiers": ["UNIQUE", "PROFILE"], "FieldNames": ["id"]}]},
    )  # fmt: skip
    return name


def make_bucket(s3: Any) -> str:
    bucket = "b" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=bucket)
    return bucket


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def s3_flow(bucket: str, prefix: str, tasks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "FlowName": "f" + uuid.uuid4().hex[:8],
        "KmsArn": KMS,
        "SourceFlowConfig": {
            "ConnectorType": "S3",
            "SourceConnectorProperties": {"S3": {"BucketName": bucket, "BucketPrefix": prefix}},
        },
        "Tasks": tasks,
        "TriggerConfig": extra.pop("TriggerConfig", {"TriggerType": "OnDemand"}),
        **extra,
    }


def projection(*fields: str) -> dict[str, Any]:
    return {
        "TaskType": "Filter",
        "SourceFields": list(fields),
        "ConnectorOperator": {"S3": "PROJECTION"},
    }


def put_flow(cp: Any, domain: str, flow: dict[str, Any]) -> str:
    return str(
        cp.put_integration(DomainName=domain, ObjectTypeName="contacts", FlowDefinition=flow)["Uri"]
    )


def run(server: LiveServer, domain: str, uri: str, **body: Any) -> dict[str, Any]:
    status, _, raw = signed_request(
        server.endpoint,
        "POST",
        f"/_openprofiles/domains/{domain}/integrations/run",
        body=json.dumps({"Uri": uri, **body}).encode(),
    )
    assert status == 200, raw
    result: dict[str, Any] = json.loads(raw)
    return result


def runs(server: LiveServer, domain: str, query: str = "") -> dict[str, Any]:
    status, _, raw = signed_request(
        server.endpoint, "GET", f"/_openprofiles/domains/{domain}/integrations/runs", query=query
    )
    assert status == 200, raw
    result: dict[str, Any] = json.loads(raw)
    return result


def stored(cp: Any, domain: str, record_id: str) -> dict[str, Any] | None:
    """The contacts object stored for ``record_id``, parsed; None when there is none."""
    found = cp.search_profiles(DomainName=domain, KeyName="id", Values=[record_id])["Items"]
    if not found:
        return None
    objects = cp.list_profile_objects(
        DomainName=domain, ObjectTypeName="contacts", ProfileId=found[0]["ProfileId"]
    )["Items"]
    for item in objects:
        value: dict[str, Any] = json.loads(item["Object"])
        if str(value.get("id")) == record_id:
            return value
    return None


def test_files_under_the_prefix_are_ingested_once(server: LiveServer, s3: Any) -> None:
    cp = server.client()
    domain = make_domain(cp)
    bucket = make_bucket(s3)
    s3.put_object(Bucket=bucket, Key="in/a.jsonl", Body=jsonl([
        {"id": "1", "email": "one@example.com", "first": "Ann", "secret": "x"},
        {"id": "2", "email": "two@example.com", "first": "Bo", "secret": "y"},
    ]))  # fmt: skip
    s3.put_object(Bucket=bucket, Key="in/b.csv",
                  Body=b"id,email,first,secret\n3,three@example.com,Cy,z\n")  # fmt: skip
    s3.put_object(Bucket=bucket, Key="in/c.json", Body=json.dumps([{"id": "4"}]).encode())
    s3.put_object(Bucket=bucket, Key="other/d.jsonl", Body=jsonl([{"id": "5"}]))
    s3.put_object(Bucket=bucket, Key="inbox.jsonl", Body=jsonl([{"id": "6"}]))
    uri = put_flow(cp, domain, s3_flow(bucket, "in/", [projection("id", "email", "first")]))

    first = run(server, domain, uri)
    assert first["Status"] == "COMPLETED", first
    assert (first["RecordsRead"], first["RecordsIngested"], first["RecordsRejected"]) == (4, 4, 0)
    assert stored(cp, domain, "1") == {"id": "1", "email": "one@example.com", "first": "Ann"}
    assert stored(cp, domain, "3") == {"id": "3", "email": "three@example.com", "first": "Cy"}
    assert stored(cp, domain, "4") == {"id": "4"}
    assert stored(cp, domain, "5") is None and stored(cp, domain, "6") is None
    profile = cp.search_profiles(DomainName=domain, KeyName="id", Values=["1"])["Items"][0]
    assert profile["EmailAddress"] == "one@example.com" and profile["FirstName"] == "Ann"

    s3.put_object(Bucket=bucket, Key="in/e.jsonl", Body=jsonl([{"id": "7"}, {"id": "8"}]))
    second = run(server, domain, uri)
    assert (second["RecordsRead"], second["RecordsIngested"]) == (2, 2), second
    assert stored(cp, domain, "7") == {"id": "7"}
    third = run(server, domain, uri)
    assert third["RecordsRead"] == 0 and third["Status"] == "COMPLETED"
    stats = cp.get_domain(DomainName=domain)["Stats"]
    assert stats["ObjectCount"] == 6

    listing = runs(server, domain, f"uri={quote(uri, safe='')}")
    assert [r["RunId"] for r in listing["Items"]] == [third["RunId"], second["RunId"],
                                                      first["RunId"]]  # fmt: skip
    assert listing["Items"][2]["RecordsIngested"] == 4
    assert "EndedAt" in listing["Items"][0] and listing["Items"][0]["Trigger"] == "OnDemand"
    page = runs(server, domain, "max-results=1")
    assert len(page["Items"]) == 1 and page["NextToken"]
    rest = runs(server, domain, f"max-results=5&next-token={quote(page['NextToken'], safe='')}")
    assert [r["RunId"] for r in rest["Items"]] == [second["RunId"], first["RunId"]]


def test_a_changed_file_is_taken_again(server: LiveServer, s3: Any) -> None:
    cp = server.client()
    domain = make_domain(cp)
    bucket = make_bucket(s3)
    s3.put_object(Bucket=bucket, Key="a.jsonl", Body=jsonl([{"id": "1", "first": "Ann"}]))
    uri = put_flow(cp, domain, s3_flow(bucket, "", [projection("id", "first")]))
    assert run(server, domain, uri)["RecordsIngested"] == 1
    s3.put_object(Bucket=bucket, Key="a.jsonl", Body=jsonl([{"id": "1", "first": "Anna"}]))
    assert run(server, domain, uri)["RecordsIngested"] == 1
    assert stored(cp, domain, "1") == {"id": "1", "first": "Anna"}


def test_complete_pull_mode_takes_everything_each_run(server: LiveServer, s3: Any) -> None:
    cp = server.client()
    domain = make_domain(cp)
    bucket = make_bucket(s3)
    s3.put_object(Bucket=bucket, Key="a.jsonl", Body=jsonl([{"id": "1"}, {"id": "2"}]))
    trigger = {"TriggerType": "Scheduled", "TriggerProperties": {"Scheduled": {
        "ScheduleExpression": "rate(1days)", "DataPullMode": "Complete"}}}  # fmt: skip
    uri = put_flow(cp, domain, s3_flow(bucket, "", [projection("id")], TriggerConfig=trigger))
    assert run(server, domain, uri)["RecordsIngested"] == 2
    assert run(server, domain, uri)["RecordsIngested"] == 2


def _task(task_type: str, fields: list[str], operator: str, dest: str | None = None,
          **props: str) -> dict[str, Any]:  # fmt: skip
    task: dict[str, Any] = {
        "TaskType": task_type,
        "SourceFields": fields,
        "ConnectorOperator": {"S3": operator},
    }
    if dest:
        task["DestinationField"] = dest
    if props:
        task["TaskProperties"] = props
    return task


def test_each_task_type(server: LiveServer, s3: Any) -> None:
    cp = server.client()
    domain = make_domain(cp)
    bucket = make_bucket(s3)
    records = [
        {"id": "1", "email": "a@example.com", "given": "Ann", "family": "Lee",
         "card": "4111222233334444", "note": "a long note indeed", "price": "10", "qty": "3",
         "score": "7"},
        {"id": "2", "email": "b@example.com", "given": "Bo", "family": "Ng", "card": "5555",
         "note": "n", "price": "2", "qty": "0", "score": "-1"},
        {"id": "3", "given": "Cy", "family": "Ox", "card": "1", "note": "n", "price": "1",
         "qty": "1", "score": "9"},
        {"id": "4", "email": "d@example.com", "given": "Di", "family": "Po", "card": "1",
         "note": "n", "price": "1", "qty": "1", "score": "2"},
    ]  # fmt: skip
    s3.put_object(Bucket=bucket, Key="people.jsonl", Body=jsonl(records))
    tasks = [
        projection("id", "email", "given", "card", "note"),
        _task("Filter", ["score"], "GREATER_THAN_OR_EQUAL_TO", VALUE="0", DATA_TYPE="number"),
        _task("Filter", ["id"], "NOT_EQUAL_TO", VALUE="4"),
        _task("Validate", ["email"], "VALIDATE_NON_NULL", VALIDATION_ACTION="DropRecord"),
        _task("Map", ["given"], "NO_OP", "first"),
        _task("Map", ["id"], "NO_OP", "id"),
        _task("Merge", ["given", "family"], "NO_OP", "fullName"),
        _task("Arithmetic", ["price", "qty"], "MULTIPLICATION", "total"),
        _task("Mask", ["card"], "MASK_FIRST_N", MASK_LENGTH="12", MASK_VALUE="#"),
        _task("Truncate", ["note"], "NO_OP", TRUNCATE_LENGTH="6"),
    ]
    uri = put_flow(cp, domain, s3_flow(bucket, "", tasks))
    result = run(server, domain, uri)
    # 2 fails the score filter, 4 the id filter: filtered; 3 has no email: rejected.
    assert (result["RecordsRead"], result["RecordsIngested"]) == (4, 1), result
    assert (result["RecordsFiltered"], result["RecordsRejected"]) == (2, 1), result
    [reason] = result["Rejections"]
    assert "Tasks[3]" in reason and "VALIDATE_NON_NULL" in reason and "email" in reason
    assert stored(cp, domain, "1") == {
        "id": "1",
        "email": "a@example.com",
        "first": "Ann",
        "fullName": "Ann Lee",
        "total": 30,
        "card": "############4444",
        "note": "a long",
    }
    assert stored(cp, domain, "2") is None and stored(cp, domain, "3") is None
    status, _, raw = signed_request(
        server.endpoint, "GET", f"/_openprofiles/domains/{domain}/dead-letters"
    )
    assert status == 200
    [letter] = json.loads(raw)["Items"]
    assert json.loads(letter["Object"])["id"] == "3" and "VALIDATE_NON_NULL" in letter["Reason"]


def test_between_text_comparison_and_mask_all(server: LiveServer, s3: Any) -> None:
    cp = server.client()
    domain = make_domain(cp)
    bucket = make_bucket(s3)
    records = [{"id": str(i), "tier": f"gold-{i}", "pin": "1234"} for i in range(1, 6)]
    s3.put_object(Bucket=bucket, Key="r.jsonl", Body=jsonl(records))
    tasks = [
        projection("id", "pin"),
        _task("Filter", ["id"], "BETWEEN", LOWER_BOUND="2", UPPER_BOUND="4"),
        _task("Filter", ["tier"], "LESS_THAN", VALUE="gold-5"),
        _task("Mask", ["pin"], "MASK_ALL"),
        _task("Arithmetic", ["id", "id"], "ADDITION", "twice"),
    ]
    uri = put_flow(cp, domain, s3_flow(bucket, "", tasks))
    result = run(server, domain, uri)
    assert (result["RecordsIngested"], result["RecordsFiltered"]) == (3, 2), result
    assert stored(cp, domain, "3") == {"id": "3", "pin": "****", "twice": 6}


def test_terminate_flow_validation_stops_the_run(server: LiveServer, s3: Any) -> None:
    cp = server.client()
    domain = make_domain(cp)
    bucket = make_bucket(s3)
    s3.put_object(Bucket=bucket, Key="r.jsonl", Body=jsonl([{"id": "1", "n": "x"}]))
    tasks = [
        projection("id"),
        _task("Validate", ["n"], "VALIDATE_NUMERIC", VALIDATION_ACTION="TerminateFlow"),
    ]
    result = run(server, domain, put_flow(cp, domain, s3_flow(bucket, "", tasks)))
    assert result["Status"] == "FAILED" and "TerminateFlow" in result["Message"]
    assert stored(cp, domain, "1") is None


def test_unreadable_lines_are_rejected_and_kept(server: LiveServer, s3: Any) -> None:
    cp = server.client()
    domain = make_domain(cp)
    bucket = make_bucket(s3)
    s3.put_object(Bucket=bucket, Key="r.jsonl", Body=b'{"id": "1"}\n{not json\n{"id": "2"}\n')
    result = run(server, domain, put_flow(cp, domain, s3_flow(bucket, "", [projection("id")])))
    assert (result["RecordsIngested"], result["RecordsRejected"]) == (2, 1), result
    assert "line 2" in result["Rejections"][0] and "not valid JSON" in result["Rejections"][0]


def test_run_errors(server: LiveServer, s3: Any) -> None:
    cp = server.client()
    domain = make_domain(cp)
    status, _, raw = signed_request(
        server.endpoint, "POST", f"/_openprofiles/domains/{domain}/integrations/run",
        body=b'{"Uri": "arn:aws:appflow:us-east-1:000000000000:flow/none"}',
    )  # fmt: skip
    assert status == 404 and json.loads(raw)["Message"]
    cp.put_integration(DomainName=domain, Uri="s3://plain/uri", ObjectTypeName="contacts")
    status, _, raw = signed_request(
        server.endpoint, "POST", f"/_openprofiles/domains/{domain}/integrations/run",
        body=b'{"Uri": "s3://plain/uri"}',
    )  # fmt: skip
    assert status == 400 and "FlowDefinition" in json.loads(raw)["Message"]
    status, _, raw = signed_request(
        server.endpoint, "POST", f"/_openprofiles/domains/{domain}/integrations/run", body=b"{}"
    )
    assert status == 400 and "Uri" in json.loads(raw)["Message"]


def test_a_missing_bucket_fails_the_run_with_the_reason(server: LiveServer) -> None:
    cp = server.client()
    domain = make_domain(cp)
    uri = put_flow(cp, domain, s3_flow("no-such-bucket-here", "", [projection("id")]))
    result = run(server, domain, uri)
    assert result["Status"] == "FAILED"
    assert "NoSuchBucket" in result["Message"] and "no-such-bucket-here" in result["Message"]
    with pytest.raises(ClientError):
        cp.get_integration(DomainName=domain, Uri="nothing")
