"""B2B Data Interchange profiles on a live server through boto3's real ``b2bi`` client.

One server per database for the whole module. Each test works in a region of its own (profiles
and their quota are regional), so tests do not see each other's profiles; the bad-input sweep
uses the default account and region, which no other test touches.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from openprofiles.handlers.registry import B2BI, implemented
from openprofiles.protocol.models import load_service_model
from tests.support.databases import BACKENDS, postgres_available, temporary_database_url
from tests.support.live_server import LiveServer, running_server
from tests.support.model_values import violations
from tests.support.raw_client import call

_PG = postgres_available()
SECOND = {"access_key": "second", "secret_key": "second-secret"}  # account 222222222222


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    backend: str = request.param
    if backend == "postgresql" and not _PG:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable; .ci/run should have started it")
        pytest.skip("PostgreSQL is not reachable")
    tmp: Path = tmp_path_factory.mktemp(f"b2bi-{backend}")
    with temporary_database_url(backend, tmp) as url, running_server(url, tmp / "data") as srv:
        yield srv


def _profile(client: Any, **overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "name": "b2bipartner",
        "email": "john@example.com",
        "phone": "5555555555",
        "businessName": "Example Corp",
        "logging": "ENABLED",
    }
    params.update(overrides)
    created: dict[str, Any] = client.create_profile(**params)
    return created


def _error(fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as err:
        fn(*args, **kwargs)
    response: dict[str, Any] = err.value.response
    return response


def _code(fn: Any, *args: Any, **kwargs: Any) -> str:
    return str(_error(fn, *args, **kwargs)["Error"]["Code"])


def test_profile_lifecycle(server: LiveServer) -> None:
    b2bi = server.client("b2bi", region="us-west-2")
    created = _profile(b2bi, tags=[{"Key": "team", "Value": "edi"}])
    pid = created["profileId"]
    assert re.fullmatch(r"p-[a-z0-9]{17}", pid)
    assert created["profileArn"] == f"arn:aws:b2bi:us-west-2:000000000000:profile/{pid}"
    assert created["logGroupName"] == f"/aws/vendedlogs/b2bi/profile/{pid}"
    assert isinstance(created["createdAt"], datetime) and "modifiedAt" not in created
    expected = {
        "name": "b2bipartner",
        "email": "john@example.com",
        "phone": "5555555555",
        "businessName": "Example Corp",
        "logging": "ENABLED",
    }
    assert {k: created[k] for k in expected} == expected

    got = b2bi.get_profile(profileId=pid)
    assert {k: got[k] for k in (*expected, "profileArn", "logGroupName", "createdAt")} == {
        **expected,
        "profileArn": created["profileArn"],
        "logGroupName": created["logGroupName"],
        "createdAt": created["createdAt"],
    }

    updated = b2bi.update_profile(profileId=pid, name="renamed", businessName="New Corp")
    assert (updated["name"], updated["businessName"]) == ("renamed", "New Corp")
    assert (updated["email"], updated["phone"], updated["logging"]) == (
        "john@example.com",
        "5555555555",
        "ENABLED",
    )
    assert updated["modifiedAt"] >= updated["createdAt"]
    assert b2bi.get_profile(profileId=pid)["modifiedAt"] == updated["modifiedAt"]

    [summary] = b2bi.list_profiles()["profiles"]
    assert summary["profileId"] == pid and summary["name"] == "renamed"
    assert summary["logGroupName"] == created["logGroupName"] and "phone" not in summary

    arn = created["profileArn"]
    assert b2bi.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "edi"}]
    b2bi.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "prod"}])
    b2bi.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert b2bi.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]

    b2bi.delete_profile(profileId=pid)
    assert b2bi.list_profiles()["profiles"] == []
    for fn, kwargs in (
        (b2bi.get_profile, {"profileId": pid}),
        (b2bi.update_profile, {"profileId": pid, "name": "x"}),
        (b2bi.delete_profile, {"profileId": pid}),
        (b2bi.list_tags_for_resource, {"ResourceARN": arn}),
        (b2bi.tag_resource, {"ResourceARN": arn, "Tags": [{"Key": "a", "Value": "b"}]}),
        (b2bi.untag_resource, {"ResourceARN": arn, "TagKeys": ["env"]}),
    ):
        assert _code(fn, **kwargs) == "ResourceNotFoundException", fn


def test_logging_disabled_has_no_log_group(server: LiveServer) -> None:
    b2bi = server.client("b2bi", region="us-east-2")
    created = b2bi.create_profile(
        name="n", phone="+1 (555) 010-0000", businessName="b", logging="DISABLED"
    )
    assert "logGroupName" not in created and "email" not in created
    got = b2bi.get_profile(profileId=created["profileId"])
    assert got["logging"] == "DISABLED" and "logGroupName" not in got


def test_list_profiles_pages(server: LiveServer) -> None:
    b2bi = server.client("b2bi", region="eu-west-1")
    ids = sorted(_profile(b2bi, name=f"p{i}")["profileId"] for i in range(5))
    pages = list(b2bi.get_paginator("list_profiles").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["profiles"]) for p in pages] == [2, 2, 1]
    assert [s["profileId"] for p in pages for s in p["profiles"]] == ids
    first = b2bi.list_profiles(maxResults=2)
    # A token is bound to the caller: another account cannot use it.
    other = server.client("b2bi", region="eu-west-1", **SECOND)
    assert _code(other.list_profiles, nextToken=first["nextToken"]) == "ValidationException"
    assert _code(b2bi.list_profiles, nextToken="forged.token") == "ValidationException"


def test_sixth_profile_exceeds_the_quota(server: LiveServer) -> None:
    b2bi = server.client("b2bi", region="eu-central-1")
    ids = {_profile(b2bi)["profileId"] for _ in range(5)}
    response = _error(_profile, b2bi, tags=[{"Key": "k", "Value": "v"}])
    assert response["Error"]["Code"] == "ServiceQuotaExceededException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "5" in response["Error"]["Message"]
    assert response["resourceType"] == "profile"
    assert response["serviceCode"] == "b2bi"
    assert response["resourceId"] == "000000000000"
    assert response["quotaCode"]
    # Nothing was created.
    assert {p["profileId"] for p in b2bi.list_profiles()["profiles"]} == ids
    # The quota is per account (and region): the second account still has room.
    second = server.client("b2bi", region="eu-central-1", **SECOND)
    other = _profile(second)["profileId"]
    assert [p["profileId"] for p in second.list_profiles()["profiles"]] == [other]
    # A deleted profile frees its place.
    b2bi.delete_profile(profileId=ids.pop())
    ids.add(_profile(b2bi)["profileId"])
    assert {p["profileId"] for p in b2bi.list_profiles()["profiles"]} == ids


def test_client_token_idempotency(server: LiveServer) -> None:
    b2bi = server.client("b2bi", region="ap-southeast-2")
    tags = [{"Key": "k", "Value": "v"}]
    first = _profile(b2bi, clientToken="token-1", tags=tags)
    again = _profile(b2bi, clientToken="token-1", tags=tags)
    assert again == {**first, "ResponseMetadata": again["ResponseMetadata"]}
    assert _code(_profile, b2bi, clientToken="token-1", name="other") == "ConflictException"
    assert _code(_profile, b2bi, clientToken="token-1") == "ConflictException"  # no tags
    assert [p["profileId"] for p in b2bi.list_profiles()["profiles"]] == [first["profileId"]]
    # boto3 fills in a fresh clientToken per call when none is given: two profiles.
    _profile(b2bi)
    _profile(b2bi)
    assert len(b2bi.list_profiles()["profiles"]) == 3


def test_accounts_are_isolated(server: LiveServer) -> None:
    mine = server.client("b2bi", region="ca-central-1")
    theirs = server.client("b2bi", region="ca-central-1", **SECOND)
    created = _profile(mine)
    pid, arn = created["profileId"], created["profileArn"]
    assert theirs.list_profiles()["profiles"] == []
    for fn, kwargs in (
        (theirs.get_profile, {"profileId": pid}),
        (theirs.update_profile, {"profileId": pid, "name": "x"}),
        (theirs.delete_profile, {"profileId": pid}),
    ):
        assert _code(fn, **kwargs) == "ResourceNotFoundException"
    assert _code(theirs.list_tags_for_resource, ResourceARN=arn) == "AccessDeniedException"
    assert mine.get_profile(profileId=pid)["name"] == "b2bipartner"


def test_semantic_validation_errors(server: LiveServer) -> None:
    b2bi = server.client("b2bi", region="sa-east-1")
    loose = server.client("b2bi", region="sa-east-1", parameter_validation=False)
    response = _error(_profile, loose, phone="call me")
    assert response["Error"]["Code"] == "ValidationException"
    assert "phone" in response["Error"]["Message"]
    assert "logging" in _error(_profile, loose, logging="SOMETIMES")["Error"]["Message"]
    for tags in (
        [{"Key": "aws:reserved", "Value": "v"}],
        [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}],
    ):
        assert _code(_profile, b2bi, tags=tags) == "ValidationException"
    assert b2bi.list_profiles()["profiles"] == []

    arn = _profile(b2bi)["profileArn"]
    b2bi.tag_resource(ResourceARN=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(200)])
    response = _error(b2bi.tag_resource, ResourceARN=arn, Tags=[{"Key": "extra", "Value": "v"}])
    assert response["Error"]["Code"] == "ValidationException"
    assert "200" in response["Error"]["Message"]
    domain_arn = "arn:aws:profile:sa-east-1:000000000000:domains/shop"
    response = _error(b2bi.list_tags_for_resource, ResourceARN=domain_arn)
    assert response["Error"]["Code"] == "ValidationException"
    assert "ResourceARN" in response["Error"]["Message"]


def test_other_b2bi_operations_are_not_implemented(server: LiveServer) -> None:
    b2bi = server.client("b2bi", region="ap-northeast-1")
    response = _error(b2bi.list_capabilities)
    assert response["Error"]["Code"] == "NotImplementedException"
    assert "ListCapabilities" in response["Error"]["Message"]


def _snapshot(endpoint: str, profile_id: str, arn: str) -> list[Any]:
    """The default account's b2bi state in us-east-1, as the wire returns it."""
    state = []
    for operation, params in (
        ("ListProfiles", {}),
        ("GetProfile", {"profileId": profile_id}),
        ("ListTagsForResource", {"ResourceARN": arn}),
    ):
        status, _, body = call(endpoint, "b2bi", operation, params)
        assert status == 200, (operation, body)
        state.append(body)
    return state


def test_bad_input_sweep(server: LiveServer) -> None:
    """Every constraint of every implemented b2bi operation's input, broken one at a time."""
    b2bi = server.client("b2bi")
    created = _profile(b2bi, tags=[{"Key": "team", "Value": "edi"}])
    before = _snapshot(server.endpoint, created["profileId"], created["profileArn"])
    model = load_service_model(B2BI)
    operations = implemented(B2BI)
    assert len(operations) == 8
    swept = 0
    for operation in operations:
        for violation in violations(model.operation_model(operation)):
            status, _, body = call(server.endpoint, B2BI, operation, violation.params)
            case = (operation, violation.member_path, violation.rule, body)
            assert status == 400, case
            assert body["__type"] == "ValidationException", case
            assert violation.member_path in body["Message"], case
            swept += 1
        assert _snapshot(server.endpoint, created["profileId"], created["profileArn"]) == before
    assert swept >= 80
