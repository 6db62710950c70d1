"""Amazon Connect contact records posted to POST /_openprofiles/connect/contact-records, on both
databases: ingested with a CTR template's object type into every domain whose integration names
the instance, and nowhere else."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.support.live_server import LiveServer
from tests.support.raw_client import signed_request

INSTANCE = "arn:aws:connect:us-east-1:000000000000:instance/11111111-2222-3333-4444-555555555555"


@pytest.fixture
def live_server(module_server: tuple[LiveServer, str]) -> LiveServer:
    return module_server[0]


@pytest.fixture
def database_url(module_server: tuple[LiveServer, str]) -> str:
    return module_server[1]


def _post(server: LiveServer, body: Any, **signing: str) -> tuple[int, Any]:
    status, _, raw = signed_request(
        server.endpoint, "POST", "/_openprofiles/connect/contact-records",
        body=json.dumps(body).encode(), **signing,
    )  # fmt: skip
    return status, json.loads(raw)


def _ctr_domain(cp: Any, instance: str) -> str:
    domain = "c" + uuid.uuid4().hex[:10]
    cp.create_domain(DomainName=domain, DefaultExpirationDays=30)
    cp.put_profile_object_type(DomainName=domain, ObjectTypeName="ctr", Description="CTRs",
                               TemplateId="CTR")  # fmt: skip
    cp.put_integration(DomainName=domain, Uri=instance, ObjectTypeName="ctr")
    return domain


def _ctr(contact_id: str, phone: str) -> dict[str, Any]:
    return {
        "ContactId": contact_id,
        "Channel": "VOICE",
        "InitiationMethod": "INBOUND",
        "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": phone},
    }


def test_records_reach_every_integrated_domain(live_server: LiveServer) -> None:
    cp = live_server.client()
    instance = INSTANCE.replace("11111111", uuid.uuid4().hex[:8])
    one, two = _ctr_domain(cp, instance), _ctr_domain(cp, instance)
    bystander = _ctr_domain(cp, instance.replace("instance/", "instance/x"))
    status, answer = _post(live_server, {"InstanceArn": instance, "ContactRecords": [
        _ctr("c-1", "+12065550100"), _ctr("c-2", "+12065550100")]})  # fmt: skip
    assert status == 200, answer
    assert sorted(d["DomainName"] for d in answer["Domains"]) == sorted([one, two])
    assert all(d["Ingested"] == 2 and d["Rejected"] == 0 for d in answer["Domains"])
    for domain in (one, two):
        found = cp.search_profiles(DomainName=domain, KeyName="_phone", Values=["+12065550100"])
        contacts = []
        for profile in found["Items"]:
            objects = cp.list_profile_objects(DomainName=domain, ObjectTypeName="ctr",
                                              ProfileId=profile["ProfileId"])["Items"]  # fmt: skip
            contacts += [json.loads(o["Object"])["ContactId"] for o in objects]
        assert sorted(contacts) == ["c-1", "c-2"]
    assert cp.get_domain(DomainName=bystander)["Stats"]["ObjectCount"] == 0


def test_a_rejected_record_is_a_dead_letter(live_server: LiveServer) -> None:
    cp = live_server.client()
    instance = INSTANCE.replace("11111111", uuid.uuid4().hex[:8])
    domain = _ctr_domain(cp, instance)
    status, answer = _post(live_server, {"InstanceArn": instance, "ContactRecords": [
        {"Channel": "CHAT"}, _ctr("c-9", "+12065550199")]})  # fmt: skip
    assert status == 200, answer
    [summary] = answer["Domains"]
    assert (summary["Ingested"], summary["Rejected"]) == (1, 1)
    assert summary["Rejections"][0].startswith("ContactRecords[0]:")
    _, _, raw = signed_request(
        live_server.endpoint, "GET", f"/_openprofiles/domains/{domain}/dead-letters"
    )
    [letter] = json.loads(raw)["Items"]
    assert json.loads(letter["Object"]) == {"Channel": "CHAT"} and instance in letter["Reason"]


@pytest.mark.parametrize(
    ("body", "status", "named"),
    [
        ({"InstanceArn": "arn:aws:connect:us-east-1:000000000000:instance/none",
          "ContactRecords": [{"ContactId": "x"}]}, 404, "instance"),
        ({"InstanceArn": "not-an-arn", "ContactRecords": [{}]}, 400, "InstanceArn"),
        ({"InstanceArn": INSTANCE, "ContactRecords": []}, 400, "ContactRecords"),
        ({"InstanceArn": INSTANCE, "ContactRecords": ["text"]}, 400, "ContactRecords[0]"),
    ],
)  # fmt: skip
def test_bad_posts(live_server: LiveServer, body: Any, status: int, named: str) -> None:
    got, answer = _post(live_server, body)
    assert got == status and named in answer["Message"], answer


def test_another_account_reaches_none_of_these_domains(live_server: LiveServer) -> None:
    cp = live_server.client()
    instance = INSTANCE.replace("11111111", uuid.uuid4().hex[:8])
    _ctr_domain(cp, instance)
    status, _ = _post(live_server, {"InstanceArn": instance, "ContactRecords": [_ctr("c", "+1")]},
                      access_key="second", secret_key="second-secret")  # fmt: skip
    assert status == 404
