"""Bad input generated from the model: for each operation of the foundation and each
constraint the model states, a violating request gets a 400 naming the member, and the
database is unchanged afterwards (both databases)."""

from __future__ import annotations

from typing import Any

from openprofiles.protocol.models import load_service_model
from tests.support.live_server import LiveServer
from tests.support.model_values import violations
from tests.support.raw_client import call
from tests.support.snapshot import database_snapshot

FOUNDATION_OPERATIONS = [
    "CreateDomain", "GetDomain", "UpdateDomain", "DeleteDomain", "ListDomains",
    "CreateProfile", "UpdateProfile", "DeleteProfile", "BatchGetProfile",
    "AddProfileKey", "DeleteProfileKey", "SearchProfiles",
    "TagResource", "UntagResource", "ListTagsForResource",
]  # fmt: skip


def _seed(server: LiveServer) -> None:
    cp: Any = server.client()
    cp.create_domain(DomainName="sweep", DefaultExpirationDays=5, Tags={"k": "v"})
    pid = cp.create_profile(DomainName="sweep", FirstName="Kept", AccountNumber="A1")["ProfileId"]
    cp.add_profile_key(DomainName="sweep", ProfileId=pid, KeyName="extra", Values=["x"])


def test_every_violation_is_a_400_naming_the_member(
    live_server: LiveServer, database_url: str
) -> None:
    _seed(live_server)
    before = database_snapshot(database_url)
    model = load_service_model("customer-profiles")
    failures: list[str] = []
    count = 0
    for name in FOUNDATION_OPERATIONS:
        for violation in violations(model.operation_model(name)):
            count += 1
            status, headers, body = call(
                live_server.endpoint, "customer-profiles", name, violation.params
            )
            message = (body or {}).get("Message", "")
            if status != 400 or headers.get("x-amzn-errortype") != "BadRequestException":
                failures.append(f"{name} {violation.member_path} {violation.rule}: {status} {body}")
            elif violation.member_path not in message:
                failures.append(f"{name} {violation.member_path} {violation.rule}: {message!r}")
    assert count > 100
    assert not failures, "\n".join(failures[:20])
    assert database_snapshot(database_url) == before


EXAMPLES = [
    ("CreateDomain", {"DomainName": "sweep", "DefaultExpirationDays": 0}, "DefaultExpirationDays"),
    ("CreateProfile", {"DomainName": "sweep", "Gender": "ROBOT"}, "Gender"),
    ("CreateProfile", {"DomainName": "sweep", "FirstName": "x" * 256}, "FirstName"),
    # An unpaired surrogate escape: valid JSON, but not Unicode text (none can be stored).
    ("CreateProfile", {"DomainName": "sweep", "FirstName": "a\udc00b"}, "FirstName"),
    ("SearchProfiles",
     {"DomainName": "sweep", "KeyName": "_email", "Values": ["a"], "MaxResults": 101},
     "MaxResults"),
    ("TagResource",
     {"resourceArn": "arn:aws:profile:us-east-1:000000000000:domains/sweep",
      "tags": {"aws:x": "v"}},
     "tags"),
]  # fmt: skip


def test_examples_of_rejected_input(live_server: LiveServer, database_url: str) -> None:
    _seed(live_server)
    before = database_snapshot(database_url)
    for operation, params, member in EXAMPLES:
        status, _, body = call(live_server.endpoint, "customer-profiles", operation, params)
        assert status == 400 and member in body["Message"], (operation, body)
    assert database_snapshot(database_url) == before
