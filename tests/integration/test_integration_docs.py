"""docs/integrations.md against a live server (both databases) and moto's S3: its run example
is what the server answers, its listing has the documented members."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.test_integration_flows import KMS, make_domain, run, runs
from tests.support.databases import BACKENDS, require_backend, temporary_database_url
from tests.support.docs import json_blocks, same_shape
from tests.support.live_server import LiveServer, running_server
from tests.support.s3 import moto_s3, s3_client


@pytest.fixture(scope="module", params=BACKENDS)
def server_and_s3(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, Any]]:
    backend: str = request.param
    require_backend(backend)
    tmp = tmp_path_factory.mktemp(backend)
    with moto_s3() as endpoint, temporary_database_url(backend, tmp) as url:
        env = {"OPENPROFILES_S3_ENDPOINT_URL": endpoint}
        with running_server(url, tmp / "data", env) as srv:
            yield srv, s3_client(endpoint)


def test_the_run_example_is_what_the_server_answers(
    server_and_s3: tuple[LiveServer, Any],
) -> None:
    server, s3 = server_and_s3
    documented, listing = json_blocks("integrations.md")
    cp = server.client()
    domain = make_domain(cp)
    s3.create_bucket(Bucket="crm-exports")
    lines = [{"id": "1", "email": "ann@example.com"}, {"id": "2", "email": "bo@example.com"},
             {"id": "3"}]  # fmt: skip
    body = "".join(json.dumps(r) + "\n" for r in lines).encode()
    s3.put_object(Bucket="crm-exports", Key="in/contacts.jsonl", Body=body)
    put = cp.put_integration(
        DomainName=domain,
        ObjectTypeName="contacts",
        FlowDefinition={
            "FlowName": "contacts-from-s3",
            "KmsArn": KMS,
            "SourceFlowConfig": {"ConnectorType": "S3", "SourceConnectorProperties": {
                "S3": {"BucketName": "crm-exports", "BucketPrefix": "in/"}}},
            "Tasks": [
                {"TaskType": "Filter", "SourceFields": ["id", "email"],
                 "ConnectorOperator": {"S3": "PROJECTION"}},
                {"TaskType": "Validate", "SourceFields": ["email"],
                 "ConnectorOperator": {"S3": "VALIDATE_NON_NULL"}},
            ],
            "TriggerConfig": {"TriggerType": "OnDemand"},
        },
    )  # fmt: skip
    assert put["Uri"] == documented["Uri"]
    answered = run(server, domain, put["Uri"])
    assert set(answered) == set(documented)
    times = ("StartedAt", "EndedAt")
    for member in times:
        assert same_shape(documented[member]).fullmatch(answered[member]), answered[member]
    expected = {**documented, "DomainName": domain, "RunId": answered["RunId"]}
    assert {k: v for k, v in answered.items() if k not in times} == {
        k: v for k, v in expected.items() if k not in times
    }
    second = run(server, domain, put["Uri"])
    page = runs(server, domain, "max-results=1")
    assert set(page) == set(listing)
    [item] = page["Items"]
    assert set(item) == set(documented) and item["RunId"] == second["RunId"]
    assert {k: item[k] for k in listing["Items"][0]}.keys() == listing["Items"][0].keys()
