"""PutProfileObject, ListProfileObjects and DeleteProfileObject on a live server through boto3
(both databases): one test per ingestion rule."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.live_server import LiveServer
from tests.support.raw_client import signed_request


@pytest.fixture
def live_server(module_server: tuple[LiveServer, str]) -> LiveServer:
    return module_server[0]


@pytest.fixture
def database_url(module_server: tuple[LiveServer, str]) -> str:
    return module_server[1]


CONTACTS: dict[str, Any] = {
    "Description": "contacts",
    "AllowProfileCreation": True,
    "Fields": {
        "id": {"Source": "_source.id"},
        "email": {
            "Source": "_source.email",
            "Target": "_profile.EmailAddress",
            "ContentType": "EMAIL_ADDRESS",
        },
        "phone": {"Source": "_source.phone", "ContentType": "PHONE_NUMBER"},
        "first": {"Source": "_source.first", "Target": "_profile.FirstName", "ContentType": "NAME"},
        "last": {"Source": "_source.last", "Target": "_profile.LastName", "ContentType": "NAME"},
        "city": {"Source": "_source.address.city", "Target": "_profile.Address.City"},
        "tier": {"Source": "_source.tier", "Target": "_profile.Attributes.tier"},
        "tag": {"Source": "_source.tag"},
    },
    "Keys": {
        "contactId": [{"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["id"]}],
        "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
        "tag": [{"StandardIdentifiers": [], "FieldNames": ["tag"]}],
    },
}


@pytest.fixture
def cp(live_server: Any) -> Any:
    return live_server.client("customer-profiles")


@pytest.fixture
def domain(cp: Any) -> str:
    name = "d-" + uuid.uuid4().hex[:12]
    cp.create_domain(DomainName=name, DefaultExpirationDays=30)
    cp.put_profile_object_type(DomainName=name, ObjectTypeName="contacts", **CONTACTS)
    return name


def _put(cp: Any, domain: str, obj: dict[str, Any], type_name: str = "contacts") -> str:
    key: str = cp.put_profile_object(
        DomainName=domain, ObjectTypeName=type_name, Object=json.dumps(obj)
    )["ProfileObjectUniqueKey"]
    return key


def _find(cp: Any, domain: str, key: str, value: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = cp.search_profiles(
        DomainName=domain, KeyName=key, Values=[value]
    )["Items"]
    return items


def _stats(cp: Any, domain: str) -> dict[str, int]:
    stats: dict[str, int] = cp.get_domain(DomainName=domain)["Stats"]
    return stats


def test_first_object_creates_inferred_profile_second_joins(cp: Any, domain: str) -> None:
    _put(
        cp,
        domain,
        {"id": "c1", "email": "Ana.Lima@Example.com", "phone": "(206) 555-0100", "first": " Ana ",
         "last": "Lima", "address": {"city": "Lisbon"}, "tier": "gold", "tag": "vip"},
    )  # fmt: skip
    [profile] = _find(cp, domain, "contactId", "c1")
    assert profile["EmailAddress"] == "ana.lima@example.com"
    assert profile["PhoneNumber"] == "+12065550100"  # inferred from the PHONE_NUMBER field
    assert (profile["FirstName"], profile["LastName"]) == ("Ana", "Lima")
    assert profile["Address"]["City"] == "Lisbon" and profile["Attributes"] == {"tier": "gold"}
    _put(cp, domain, {"id": "c2", "email": "ana.lima@example.com", "address": {"city": "Porto"}})
    [same] = _find(cp, domain, "contactId", "c2")
    assert same["ProfileId"] == profile["ProfileId"] and same["Address"]["City"] == "Porto"
    assert [p["ProfileId"] for p in _find(cp, domain, "tag", "vip")] == [profile["ProfileId"]]
    assert len(_find(cp, domain, "_phone", "206.555.0100")) == 1  # normalised like the key
    stats = _stats(cp, domain)
    assert (stats["ProfileCount"], stats["ObjectCount"]) == (1, 2)


def test_a_later_object_moves_the_standard_keys_it_changes(cp: Any, domain: str) -> None:
    _put(cp, domain, {"id": "c1", "email": "kim@example.com", "first": "Kim", "last": "Lee"})
    [profile] = _find(cp, domain, "_fullName", "Kim Lee")
    # A second object of the same person with another first name: the name wins, the email
    # (unchanged) stays a key, the old full name no longer finds the profile.
    _put(cp, domain, {"id": "c2", "email": "kim@example.com", "first": "Kimberly"})
    assert _find(cp, domain, "_fullName", "Kim Lee") == []
    [renamed] = _find(cp, domain, "_fullName", "Kimberly Lee")
    assert renamed["ProfileId"] == profile["ProfileId"]
    found = _find(cp, domain, "_email", "kim@example.com")
    assert [p["ProfileId"] for p in found] == [profile["ProfileId"]]


def test_ambiguous_key_creates_a_new_profile(cp: Any, domain: str) -> None:
    """As the README says: each object whose only matching key several profiles hold adds one
    more profile holding it."""
    a = cp.create_profile(DomainName=domain, EmailAddress="shared@example.com")["ProfileId"]
    b = cp.create_profile(DomainName=domain, EmailAddress="shared@example.com")["ProfileId"]
    _put(cp, domain, {"id": "c1", "email": "shared@example.com"})
    [placed] = _find(cp, domain, "contactId", "c1")
    assert placed["ProfileId"] not in (a, b)
    assert _stats(cp, domain)["ProfileCount"] == 3
    _put(cp, domain, {"id": "c2", "email": "Shared@Example.com"})
    assert _stats(cp, domain)["ProfileCount"] == 4
    assert len(_find(cp, domain, "_email", "shared@example.com")) == 4


def test_an_inferred_profiles_phone_is_e164(cp: Any, domain: str) -> None:
    """The README's example of normalisation."""
    _put(cp, domain, {"id": "c1", "email": "p@example.com", "phone": "+1 206 555 0100"})
    [profile] = _find(cp, domain, "contactId", "c1")
    assert profile["PhoneNumber"] == "+12065550100"


def test_no_profile_creation_leaves_one_dead_letter(live_server: Any, cp: Any, domain: str) -> None:
    cp.put_profile_object_type(
        DomainName=domain,
        ObjectTypeName="strict",
        **{**CONTACTS, "AllowProfileCreation": False},
    )
    before = _stats(cp, domain)
    with pytest.raises(ClientError) as err:
        _put(cp, domain, {"id": "x1", "email": "nobody@example.com"}, "strict")
    assert err.value.response["Error"]["Code"] == "BadRequestException"
    assert "AllowProfileCreation" in err.value.response["Error"]["Message"]
    assert _stats(cp, domain) == before
    status, _, body = signed_request(
        live_server.endpoint, "GET", f"/_openprofiles/domains/{domain}/dead-letters"
    )
    assert status == 200, body
    [letter] = json.loads(body)["Items"]
    assert letter["ObjectTypeName"] == "strict" and json.loads(letter["Object"])["id"] == "x1"


def test_salesforce_contact_template(cp: Any, domain: str) -> None:
    cp.put_profile_object_type(
        DomainName=domain, ObjectTypeName="sf", Description="sf", TemplateId="Salesforce-Contact"
    )
    contact = {
        "Id": "0035e00000AbCdEAAV", "AccountId": "0015e00000XyZAAQ", "FirstName": "Jane",
        "LastName": "Doe", "Email": "Jane.Doe@Example.com", "Phone": "(415) 555-0199",
        "MobilePhone": "415-555-0100", "MailingStreet": "1 Market St",
        "MailingCity": "San Francisco", "MailingState": "CA", "MailingPostalCode": "94105",
        "MailingCountry": "US", "Birthdate": "1990-04-01",
        "LastModifiedDate": "2026-01-05T10:00:00.000+0000",
    }  # fmt: skip
    _put(cp, domain, contact, "sf")
    [profile] = _find(cp, domain, "_salesforceContactId", "0035e00000AbCdEAAV")
    assert (profile["FirstName"], profile["LastName"]) == ("Jane", "Doe")
    assert profile["EmailAddress"] == "jane.doe@example.com"
    assert profile["PhoneNumber"] == "+14155550199"
    assert profile["MobilePhoneNumber"] == "+14155550100"
    assert profile["BirthDate"] == "1990-04-01"
    assert profile["MailingAddress"] == {
        "Address1": "1 Market St", "City": "San Francisco", "State": "CA",
        "PostalCode": "94105", "Country": "US",
    }  # fmt: skip
    assert profile["Attributes"]["sfdcContactId"] == "0035e00000AbCdEAAV"
    assert len(_find(cp, domain, "_salesforceAccountId", "0015e00000XyZAAQ")) == 1


def test_same_object_twice_is_one_object(cp: Any, domain: str) -> None:
    first = _put(cp, domain, {"id": "c1", "email": "a@example.com", "first": "Ana"})
    second = _put(cp, domain, {"id": "c1", "email": "a@example.com", "first": "Anna"})
    assert first == second
    [profile] = _find(cp, domain, "contactId", "c1")
    objects = cp.list_profile_objects(
        DomainName=domain, ObjectTypeName="contacts", ProfileId=profile["ProfileId"]
    )["Items"]
    assert [(o["ProfileObjectUniqueKey"], json.loads(o["Object"])["first"]) for o in objects] == [
        (first, "Anna")
    ]
    assert profile["FirstName"] == "Anna"


def test_bad_objects_get_400_and_change_nothing(cp: Any, domain: str) -> None:
    _put(cp, domain, {"id": "c0", "email": "keep@example.com"})
    before = _stats(cp, domain)
    bad = ["not json", "[]", json.dumps({"first": "no keys at all"}), '{"id": ""}']
    bad.append(json.dumps({"id": "c9", "email": "a\ud800@example.com"}))  # not Unicode text
    for text in bad:
        with pytest.raises(ClientError) as err:
            cp.put_profile_object(DomainName=domain, ObjectTypeName="contacts", Object=text)
        assert err.value.response["Error"]["Code"] == "BadRequestException"
        assert "Object" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        cp.put_profile_object(DomainName=domain, ObjectTypeName="missing", Object="{}")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert _stats(cp, domain) == before


def test_concurrent_objects_with_one_key_make_one_profile(live_server: Any, domain: str) -> None:
    clients = [live_server.client("customer-profiles") for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for round_ in range(3):
                _put(clients[n], domain, {"id": f"c{n}-{round_}", "email": f"race{round_}@x.com"})
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for round_ in range(3):
        assert len(_find(clients[0], domain, "_email", f"race{round_}@x.com")) == 1
    stats = _stats(clients[0], domain)
    assert (stats["ProfileCount"], stats["ObjectCount"]) == (3, 24)


def test_concurrent_objects_are_each_answered_alone(live_server: Any, domain: str) -> None:
    """Calls that arrive together (and may be placed together) still get their own answers:
    a malformed object or an unknown type fails only its own call."""
    clients = [live_server.client("customer-profiles") for _ in range(12)]
    barrier = threading.Barrier(len(clients))
    answers: dict[int, str] = {}

    def worker(n: int) -> None:
        barrier.wait()
        for round_ in range(4):
            i = n * 4 + round_
            type_name, text = "contacts", json.dumps({"id": f"k{i}", "email": f"k{i}@x.com"})
            if i % 7 == 0:
                text = "{not json"
            elif i % 11 == 0:
                type_name = "missing"
            try:
                answers[i] = clients[n].put_profile_object(
                    DomainName=domain, ObjectTypeName=type_name, Object=text
                )["ProfileObjectUniqueKey"]
            except ClientError as err:
                answers[i] = err.response["Error"]["Code"]

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = 0
    for i in range(48):
        if i % 7 == 0:
            assert answers[i] == "BadRequestException", i
        elif i % 11 == 0:
            assert answers[i] == "ResourceNotFoundException", i
        else:
            assert answers[i] == f"k{i}", i  # the UNIQUE key's value
            assert len(_find(clients[0], domain, "_email", f"k{i}@x.com")) == 1
            stored += 1
    assert _stats(clients[0], domain)["ObjectCount"] == stored


def test_deleting_a_type_scrubs_the_fields_its_objects_populated(cp: Any, domain: str) -> None:
    """As AWS documents DeleteProfileObjectType: the fields its objects populated go; the
    profile, a field changed since by UpdateProfile and another type's fields stay."""
    cp.put_profile_object_type(
        DomainName=domain,
        ObjectTypeName="loyalty",
        Description="loyalty",
        AllowProfileCreation=True,
        Fields={
            "email": {"Source": "_source.email", "ContentType": "EMAIL_ADDRESS"},
            "level": {"Source": "_source.level", "Target": "_profile.Attributes.level"},
            "city": {"Source": "_source.city", "Target": "_profile.MailingAddress.City"},
        },
        Keys={"loyaltyEmail": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]},
    )
    _put(cp, domain, {"id": "c1", "email": "kim@x.com", "first": "Kim", "last": "Lee",
                      "tier": "gold", "city": "Oslo", "phone": "+4722000000"})  # fmt: skip
    _put(cp, domain, {"id": "c2", "email": "kim@x.com", "tier": "silver"})
    [profile] = _find(cp, domain, "_email", "kim@x.com")
    cp.update_profile(DomainName=domain, ProfileId=profile["ProfileId"],
                      Attributes={"loyaltyEmail": "kim@x.com"})  # fmt: skip
    cp.add_profile_key(DomainName=domain, ProfileId=profile["ProfileId"],
                       KeyName="loyaltyEmail", Values=["kim@x.com"])  # fmt: skip
    _put(cp, domain, {"email": "kim@x.com", "level": "7", "city": "Bergen"}, "loyalty")
    [profile] = _find(cp, domain, "_email", "kim@x.com")
    pid = profile["ProfileId"]
    assert profile["Attributes"] == {"tier": "silver", "level": "7", "loyaltyEmail": "kim@x.com"}
    cp.update_profile(DomainName=domain, ProfileId=pid, LastName="Lee-Smith")

    cp.delete_profile_object_type(DomainName=domain, ObjectTypeName="contacts")
    [after] = cp.search_profiles(DomainName=domain, KeyName="_profileId", Values=[pid])["Items"]
    for member in ("FirstName", "EmailAddress", "PhoneNumber", "Address"):
        assert member not in after, member
    assert after["LastName"] == "Lee-Smith"  # changed since: not this type's value any more
    assert after["Attributes"] == {"level": "7", "loyaltyEmail": "kim@x.com"}
    assert after["MailingAddress"] == {"City": "Bergen"}
    assert _find(cp, domain, "_email", "kim@x.com") == []  # the scrubbed email's key went too
    assert _find(cp, domain, "_fullName", "Kim Lee") == []
    assert [p["ProfileId"] for p in _find(cp, domain, "loyaltyEmail", "kim@x.com")] == [pid]


def test_list_objects_with_filter_paging_delete_and_stats(cp: Any, domain: str) -> None:
    for i in range(5):
        _put(cp, domain, {"id": f"c{i}", "email": "p@example.com", "tag": f"t{i % 2}"})
    [profile] = _find(cp, domain, "_email", "p@example.com")
    pid = profile["ProfileId"]
    seen, token = [], None
    while True:
        kwargs: dict[str, Any] = {
            "DomainName": domain, "ObjectTypeName": "contacts", "ProfileId": pid, "MaxResults": 2,
        }  # fmt: skip
        if token:
            kwargs["NextToken"] = token
        page = cp.list_profile_objects(**kwargs)
        seen += [json.loads(o["Object"])["id"] for o in page["Items"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == ["c0", "c1", "c2", "c3", "c4"]
    filtered = cp.list_profile_objects(
        DomainName=domain,
        ObjectTypeName="contacts",
        ProfileId=pid,
        ObjectFilter={"KeyName": "tag", "Values": ["t1"]},
    )["Items"]
    assert [json.loads(o["Object"])["id"] for o in filtered] == ["c1", "c3"]
    assert all(o["ObjectTypeName"] == "contacts" for o in filtered)
    stats = _stats(cp, domain)
    assert stats["ObjectCount"] == 5 and stats["MeteringProfileCount"] == 1
    assert stats["TotalSize"] > sum(len(o["Object"]) for o in filtered)
    message = cp.delete_profile_object(
        DomainName=domain,
        ObjectTypeName="contacts",
        ProfileId=pid,
        ProfileObjectUniqueKey=filtered[0]["ProfileObjectUniqueKey"],
    )["Message"]
    assert message
    with pytest.raises(ClientError) as err:
        cp.delete_profile_object(
            DomainName=domain,
            ObjectTypeName="contacts",
            ProfileId=pid,
            ProfileObjectUniqueKey=filtered[0]["ProfileObjectUniqueKey"],
        )
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert _stats(cp, domain)["ObjectCount"] == 4
    assert _find(cp, domain, "contactId", "c1") == []
    cp.delete_profile_object_type(DomainName=domain, ObjectTypeName="contacts")
    assert _stats(cp, domain)["ObjectCount"] == 0
    assert _find(cp, domain, "contactId", "c2") == []
