"""SourcePriority through boto3 (both databases): when object types map the same profile field,
the type of the higher priority (the lower number) keeps it, SourceLastUpdatedTimestamp decides
within one priority, and what the caller set with CreateProfile or UpdateProfile outranks
every object type."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.integration.test_ingestion import CONTACTS
from tests.support.live_server import LiveServer


def _type(priority: int | None) -> dict[str, Any]:
    """test_ingestion's contacts (first and last name, city, tier on the profile; keyed by id
    and email), with a source time and this SourcePriority."""
    return {
        **CONTACTS,
        "Description": f"priority {priority}",
        "SourceLastUpdatedTimestampFormat": "yyyy-MM-dd'T'HH:mm:ssX",
        **({"SourcePriority": priority} if priority is not None else {}),
        "Fields": {
            **CONTACTS["Fields"],
            "updated": {
                "Source": "_source.updated",
                "Target": "_profile.SourceLastUpdatedTimestamp",
            },
        },
    }


@pytest.fixture
def cp(module_server: tuple[LiveServer, str]) -> Any:
    """A client of the module's server (one per backend; each test has its own domain)."""
    return module_server[0].client()


@pytest.fixture
def domain(cp: Any) -> str:
    """Types first (SourcePriority 1), second (2) and unranked (none), and first_too (1)."""
    name = "d-" + uuid.uuid4().hex[:12]
    cp.create_domain(DomainName=name, DefaultExpirationDays=30)
    for type_name, priority in [("first", 1), ("second", 2), ("unranked", None),
                                ("first_too", 1)]:  # fmt: skip
        cp.put_profile_object_type(DomainName=name, ObjectTypeName=type_name, **_type(priority))
    return name


def _put(cp: Any, domain: str, type_name: str, **obj: Any) -> None:
    """An object of ``type_name`` for kim@example.com (a new id unless given)."""
    if "city" in obj:
        obj["address"] = {"city": obj.pop("city")}
    obj.setdefault("id", uuid.uuid4().hex)
    obj.setdefault("email", "kim@example.com")
    cp.put_profile_object(DomainName=domain, ObjectTypeName=type_name, Object=json.dumps(obj))


def _profile(cp: Any, domain: str) -> dict[str, Any]:
    [found] = cp.search_profiles(DomainName=domain, KeyName="_email", Values=["kim@example.com"])[
        "Items"
    ]
    return dict(found)


@pytest.mark.parametrize("order", [("first", "second"), ("second", "first")])
def test_the_higher_priority_keeps_a_field_in_either_order(
    cp: Any, domain: str, order: tuple[str, str]
) -> None:
    values = {"first": "One", "second": "Two"}
    for type_name in order:
        _put(cp, domain, type_name, first=values[type_name], city=f"{type_name} city",
             tier=type_name)  # fmt: skip
    _put(cp, domain, "second", last="Lee")  # a field the first never set: filled
    profile = _profile(cp, domain)
    assert profile["FirstName"] == "One"
    assert profile["Address"] == {"City": "first city"}
    assert profile["Attributes"] == {"tier": "first"}
    assert profile["LastName"] == "Lee"


@pytest.mark.parametrize("order", [("unranked", "second"), ("second", "unranked")])
def test_a_type_without_source_priority_has_the_lowest(
    cp: Any, domain: str, order: tuple[str, str]
) -> None:
    for type_name in order:
        _put(cp, domain, type_name, first=type_name)
    assert _profile(cp, domain)["FirstName"] == "second"


def test_within_one_priority_the_newer_source_wins(cp: Any, domain: str) -> None:
    _put(cp, domain, "first", first="Jan", updated="2026-01-02T00:00:00Z")
    # Older, another type of the same priority: only fills what the profile lacks.
    _put(cp, domain, "first_too", first="Old", city="Faro", updated="2026-01-01T00:00:00Z")
    profile = _profile(cp, domain)
    assert (profile["FirstName"], profile["Address"]) == ("Jan", {"City": "Faro"})
    # Not older: replaces.
    _put(cp, domain, "first_too", first="Feb", city="Braga", updated="2026-02-01T00:00:00Z")
    profile = _profile(cp, domain)
    assert (profile["FirstName"], profile["Address"]) == ("Feb", {"City": "Braga"})
    # Each field keeps its own source's time: the city's is February's, the name's too.
    _put(cp, domain, "first", first="Mid", updated="2026-01-15T00:00:00Z")
    assert _profile(cp, domain)["FirstName"] == "Feb"
    # A lower priority loses however new it is.
    _put(cp, domain, "second", first="New", updated="2027-01-01T00:00:00Z")
    assert _profile(cp, domain)["FirstName"] == "Feb"


def test_what_the_caller_sets_outranks_every_object_type(cp: Any, domain: str) -> None:
    profile_id = cp.create_profile(DomainName=domain, EmailAddress="kim@example.com",
                                   FirstName="Kim")["ProfileId"]  # fmt: skip
    _put(cp, domain, "first", first="Object", last="Lee", updated="2030-01-01T00:00:00Z")
    profile = _profile(cp, domain)
    assert profile["ProfileId"] == profile_id
    assert (profile["FirstName"], profile["LastName"]) == ("Kim", "Lee")  # Lee: filled
    cp.update_profile(DomainName=domain, ProfileId=profile_id, LastName="Lee-Smith",
                      Address={"City": "Oslo"})  # fmt: skip
    _put(cp, domain, "first", last="Lee", city="Bergen", updated="2031-01-01T00:00:00Z")
    profile = _profile(cp, domain)
    assert (profile["LastName"], profile["Address"]) == ("Lee-Smith", {"City": "Oslo"})
    # Removed by the caller, the field is the objects' to fill again.
    cp.update_profile(DomainName=domain, ProfileId=profile_id, LastName="")
    _put(cp, domain, "second", last="Lee")
    assert _profile(cp, domain)["LastName"] == "Lee"
    # DeleteProfileObjectType leaves what the caller set, even where an object sent the same.
    cp.update_profile(DomainName=domain, ProfileId=profile_id, Attributes={"tier": "gold"})
    _put(cp, domain, "second", tier="gold")
    cp.delete_profile_object_type(DomainName=domain, ObjectTypeName="second")
    profile = _profile(cp, domain)
    assert profile["Attributes"] == {"tier": "gold"} and "LastName" not in profile
