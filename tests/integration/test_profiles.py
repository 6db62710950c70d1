"""Profiles on a live server through boto3 and raw signed HTTP (both databases)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.raw_client import signed_request

SEED_000 = json.loads((Path(__file__).parent / "data" / "seed000_create_profile.json").read_text())


def _drop_empty(value: Any) -> Any:
    """What a profile created from ``value`` reads back as: empty optional strings absent."""
    if isinstance(value, dict):
        cleaned = {k: _drop_empty(v) for k, v in value.items() if v != ""}
        return {k: v for k, v in cleaned.items() if v != {}}
    return value


@pytest.fixture
def cp(live_server: Any) -> Any:
    return live_server.client("customer-profiles")


@pytest.fixture
def domain(cp: Any) -> str:
    name = "d-" + uuid.uuid4().hex[:12]
    cp.create_domain(DomainName=name, DefaultExpirationDays=30)
    return name


def test_seed_000_sample_request_as_raw_http(live_server: Any, cp: Any) -> None:
    cp.create_domain(DomainName="ExampleDomainName", DefaultExpirationDays=365)
    status, _, body = signed_request(
        live_server.endpoint,
        "POST",
        "/domains/ExampleDomainName/profiles",
        body=json.dumps(SEED_000).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert status == 200, body
    profile_id = json.loads(body)["ProfileId"]
    assert len(profile_id) == 32 and all(c in "0123456789abcdef" for c in profile_id)
    found = cp.search_profiles(
        DomainName="ExampleDomainName", KeyName="_profileId", Values=[profile_id]
    )["Items"]
    assert len(found) == 1
    item = found[0]
    item.pop("FoundByItems", None)
    assert item == {"ProfileId": profile_id, **_drop_empty(SEED_000)}


def test_create_update_delete_with_seed_001_semantics(cp: Any, domain: str) -> None:
    pid = cp.create_profile(
        DomainName=domain,
        FirstName="Jane",
        LastName="Doe",
        GenderString="non-binary",
        PartyTypeString="household",
        EmailAddress="jane@example.com",
        Address={"City": "Lisbon", "Country": "PT"},
        Attributes={"tier": "gold", "points": "10"},
    )["ProfileId"]
    out = cp.update_profile(
        DomainName=domain,
        ProfileId=pid,
        FirstName="",  # removes
        MiddleName="Q",  # sets
        GenderString="",
        Address={"City": ""},
        Attributes={"tier": ""},
    )
    assert out["ProfileId"] == pid
    [profile] = cp.batch_get_profile(DomainName=domain, ProfileIds=[pid])["Profiles"]
    assert "FirstName" not in profile and "GenderString" not in profile
    assert profile["MiddleName"] == "Q" and profile["LastName"] == "Doe"
    assert profile["PartyTypeString"] == "household"
    assert profile["Address"] == {"Country": "PT"}
    assert profile["Attributes"] == {"points": "10"}
    # the standard keys follow the update
    by_name = cp.search_profiles(DomainName=domain, KeyName="_fullName", Values=["Q Doe"])
    assert [p["ProfileId"] for p in by_name["Items"]] == [pid]
    cp.delete_profile(DomainName=domain, ProfileId=pid)
    result = cp.batch_get_profile(DomainName=domain, ProfileIds=[pid])
    assert result["Profiles"] == []
    assert result["Errors"][0]["ProfileId"] == pid
    with pytest.raises(ClientError) as err:
        cp.delete_profile(DomainName=domain, ProfileId=pid)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        cp.update_profile(DomainName=domain, ProfileId=pid, FirstName="x")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_profile_in_missing_domain_is_not_found(cp: Any) -> None:
    with pytest.raises(ClientError) as err:
        cp.create_profile(DomainName="no-such-domain", FirstName="x")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_profile_keys_and_search(cp: Any, domain: str) -> None:
    a = cp.create_profile(
        DomainName=domain,
        FirstName="Ann",
        LastName="Lee",
        MobilePhoneNumber="+15550001",
        BusinessEmailAddress="ann@corp.example",
        AccountNumber="A1",
    )["ProfileId"]
    b = cp.create_profile(
        DomainName=domain, FirstName="Bob", HomePhoneNumber="+15550002", AccountNumber="A1"
    )["ProfileId"]
    ids = lambda r: sorted(p["ProfileId"] for p in r["Items"])  # noqa: E731
    assert ids(cp.search_profiles(DomainName=domain, KeyName="_phone", Values=["+15550001"])) == [a]
    assert ids(
        cp.search_profiles(DomainName=domain, KeyName="_email", Values=["ann@corp.example"])
    ) == [a]
    assert ids(cp.search_profiles(DomainName=domain, KeyName="_account", Values=["A1"])) == sorted(
        [a, b]
    )
    assert ids(cp.search_profiles(DomainName=domain, KeyName="_fullName", Values=["Ann Lee"])) == [
        a
    ]

    added = cp.add_profile_key(
        DomainName=domain, ProfileId=b, KeyName="loyaltyId", Values=["L-9", "L-10"]
    )
    assert added["KeyName"] == "loyaltyId" and added["Values"] == ["L-9", "L-10"]
    assert ids(cp.search_profiles(DomainName=domain, KeyName="loyaltyId", Values=["L-10"])) == [b]

    both = cp.search_profiles(
        DomainName=domain,
        KeyName="_account",
        Values=["A1"],
        AdditionalSearchKeys=[{"KeyName": "loyaltyId", "Values": ["L-9"]}],
        LogicalOperator="AND",
    )
    assert ids(both) == [b]
    assert sorted(both["Items"][0]["FoundByItems"], key=lambda i: i["KeyName"]) == [
        {"KeyName": "_account", "Values": ["A1"]},
        {"KeyName": "loyaltyId", "Values": ["L-9"]},
    ]
    either = cp.search_profiles(
        DomainName=domain,
        KeyName="_phone",
        Values=["+15550001"],
        AdditionalSearchKeys=[{"KeyName": "loyaltyId", "Values": ["L-9"]}],
        LogicalOperator="OR",
    )
    assert ids(either) == sorted([a, b])
    found_by = {p["ProfileId"]: p["FoundByItems"] for p in either["Items"]}
    assert found_by[a] == [{"KeyName": "_phone", "Values": ["+15550001"]}]
    assert found_by[b] == [{"KeyName": "loyaltyId", "Values": ["L-9"]}]

    cp.delete_profile_key(DomainName=domain, ProfileId=b, KeyName="loyaltyId", Values=["L-9"])
    assert ids(cp.search_profiles(DomainName=domain, KeyName="loyaltyId", Values=["L-9"])) == []
    assert ids(cp.search_profiles(DomainName=domain, KeyName="loyaltyId", Values=["L-10"])) == [b]
    with pytest.raises(ClientError) as err:
        cp.add_profile_key(DomainName=domain, ProfileId="0" * 32, KeyName="k", Values=["v"])
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_found_by_items_are_the_request_keys_as_sent(cp: Any, domain: str) -> None:
    """FoundByItems repeats the request's key-value(s) pairs (all of them for AND; those that
    found the profile for OR) with the client's values, never the normalised forms searched."""
    a = cp.create_profile(DomainName=domain, MobilePhoneNumber="+12065550100", AccountNumber="A1")
    b = cp.create_profile(DomainName=domain, AccountNumber="A2")
    a, b = a["ProfileId"], b["ProfileId"]
    phone = {"KeyName": "_phone", "Values": ["(206) 555-0100"]}
    accounts = {"KeyName": "_account", "Values": ["A1", "A3"]}

    alone = cp.search_profiles(DomainName=domain, **phone)["Items"]
    assert [(p["ProfileId"], p["FoundByItems"]) for p in alone] == [(a, [phone])]

    both = cp.search_profiles(
        DomainName=domain, **accounts, AdditionalSearchKeys=[phone], LogicalOperator="AND"
    )["Items"]
    assert [(p["ProfileId"], p["FoundByItems"]) for p in both] == [(a, [accounts, phone])]

    other = {"KeyName": "_account", "Values": ["A2"]}
    either = cp.search_profiles(
        DomainName=domain, **phone, AdditionalSearchKeys=[other], LogicalOperator="OR"
    )["Items"]
    assert {p["ProfileId"]: p["FoundByItems"] for p in either} == {a: [phone], b: [other]}


def test_search_without_logical_operator_is_or(cp: Any, domain: str) -> None:
    """The model: "The OR relationship is the default behavior if this parameter is not
    included in the request"."""
    a = cp.create_profile(DomainName=domain, AccountNumber="A1")["ProfileId"]
    b = cp.create_profile(DomainName=domain, AccountNumber="A2")["ProfileId"]
    found = cp.search_profiles(
        DomainName=domain,
        KeyName="_account",
        Values=["A1"],
        AdditionalSearchKeys=[{"KeyName": "_account", "Values": ["A2"]}],
    )["Items"]
    assert sorted(p["ProfileId"] for p in found) == sorted([a, b])


def test_phone_and_email_search_is_symmetric(cp: Any, domain: str) -> None:
    """A profile's own phone and email are found in any format of the same number or case of
    the same address, and the stored fields keep what was sent."""
    pid = cp.create_profile(
        DomainName=domain, PhoneNumber="(206) 555-0100", EmailAddress="Ana@Example.COM"
    )["ProfileId"]
    for phone in ("(206) 555-0100", "206-555-0100", "+12065550100", "+1 206 555 0100"):
        found = cp.search_profiles(DomainName=domain, KeyName="_phone", Values=[phone])["Items"]
        assert [p["ProfileId"] for p in found] == [pid], phone
        assert found[0]["PhoneNumber"] == "(206) 555-0100"
    for email in ("Ana@Example.COM", "ana@example.com", "ANA@EXAMPLE.COM"):
        found = cp.search_profiles(DomainName=domain, KeyName="_email", Values=[email])["Items"]
        assert [p["ProfileId"] for p in found] == [pid], email
    cp.update_profile(DomainName=domain, ProfileId=pid, PhoneNumber="206.555.0199")
    old = cp.search_profiles(DomainName=domain, KeyName="_phone", Values=["2065550100"])
    assert old["Items"] == []
    new = cp.search_profiles(DomainName=domain, KeyName="_phone", Values=["+12065550199"])
    assert [p["ProfileId"] for p in new["Items"]] == [pid]


def test_search_paging(cp: Any, domain: str) -> None:
    created = {
        cp.create_profile(DomainName=domain, AccountNumber="group")["ProfileId"] for _ in range(7)
    }
    seen: list[str] = []
    kwargs: dict[str, Any] = {
        "DomainName": domain,
        "KeyName": "_account",
        "Values": ["group"],
        "MaxResults": 3,
    }
    while True:
        page = cp.search_profiles(**kwargs)
        assert len(page["Items"]) <= 3
        seen += [p["ProfileId"] for p in page["Items"]]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert sorted(seen) == sorted(created)
    with pytest.raises(ClientError) as err:
        cp.search_profiles(
            DomainName=domain, KeyName="_account", Values=["group"], NextToken="bogus"
        )
    assert err.value.response["Error"]["Code"] == "BadRequestException"
    assert "NextToken" in err.value.response["Error"]["Message"]
