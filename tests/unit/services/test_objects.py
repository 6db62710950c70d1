"""The ingestion engine and profile objects at the service level (both databases)."""

from __future__ import annotations

import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text as sql

from openprofiles.clock import FixedClock
from openprofiles.context import Caller
from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.ingest import ObjectTypeDefinition
from openprofiles.services.container import Services
from openprofiles.services.object_batch import PutResult
from openprofiles.services.object_prepare import prepare_all
from openprofiles.services.search import SearchKey
from openprofiles.services.standard_keys import standard_keys
from tests.support.docs import json_blocks, same_shape


def _crm_type(allow: bool = True, **extra: Any) -> dict[str, Any]:
    return {
        "Description": "CRM contacts",
        "AllowProfileCreation": allow,
        "SourceLastUpdatedTimestampFormat": "yyyy-MM-dd'T'HH:mm:ssX",
        "Fields": {
            "id": {"Source": "_source.id"},
            "email": {
                "Source": "_source.email",
                "Target": "_profile.EmailAddress",
                "ContentType": "EMAIL_ADDRESS",
            },
            "phone": {"Source": "_source.phone", "ContentType": "PHONE_NUMBER"},
            "first": {"Source": "_source.first", "Target": "_profile.FirstName"},
            "city": {"Source": "_source.city", "Target": "_profile.Address.City"},
            "tier": {"Source": "_source.tier", "Target": "_profile.Attributes.tier"},
            "updated": {
                "Source": "_source.updated",
                "Target": "_profile.SourceLastUpdatedTimestamp",
            },
            "loyalty": {"Source": "_source.loyalty"},
            "lookup": {"Source": "_source.lookup"},
            "firstOnly": {"Source": "_source.firstOnly"},
        },
        "Keys": {
            "crmId": [{"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["id"]}],
            "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
            "_phone": [{"StandardIdentifiers": ["PROFILE", "SECONDARY"], "FieldNames": ["phone"]}],
            "loyaltyId": [{"StandardIdentifiers": [], "FieldNames": ["loyalty"]}],
            "lookupId": [{"StandardIdentifiers": ["LOOKUP_ONLY"], "FieldNames": ["lookup"]}],
            "firstId": [{"StandardIdentifiers": ["NEW_ONLY"], "FieldNames": ["firstOnly"]}],
        },
        **extra,
    }


@pytest.fixture
def domain(services: Services, caller: Caller) -> str:
    services.domains.create(caller, "d", 30, {}, None)
    services.object_types.put(caller, "d", "crm", _crm_type())
    return "d"


def _put(services: Services, caller: Caller, obj: dict[str, Any], type_name: str = "crm") -> Any:
    return services.objects.put(caller, "d", type_name, json.dumps(obj))


def _profile(services: Services, caller: Caller, profile_id: str) -> dict[str, Any]:
    [found], _ = services.profiles.batch_get(caller, "d", [profile_id])
    return found


def _search(services: Services, caller: Caller, key: str, value: str) -> list[str]:
    found, _ = services.search.search(caller, "d", [SearchKey(key, (value,))], True, None, None)
    return [f.profile["ProfileId"] for f in found]


def _counts(services: Services, caller: Caller) -> tuple[int, int]:
    _, stats, _ = services.domains.get(caller, "d")
    return stats.profile_count, stats.object_count


def test_first_object_creates_inferred_profile_and_second_joins_it(
    services: Services, caller: Caller, domain: str
) -> None:
    first = _put(
        services,
        caller,
        {"id": "c1", "email": "Ana@Example.com", "phone": "(206) 555-0100", "first": "Ana",
         "city": "Lisbon", "tier": "gold", "loyalty": "L-1"},
    )  # fmt: skip
    assert first.profile_created
    profile = _profile(services, caller, first.profile_id)
    assert profile["EmailAddress"] == "ana@example.com" and profile["FirstName"] == "Ana"
    assert profile["PhoneNumber"] == "+12065550100"  # inferred from the PHONE_NUMBER field
    assert profile["Address"] == {"City": "Lisbon"} and profile["Attributes"] == {"tier": "gold"}
    second = _put(services, caller, {"id": "c2", "email": "ana@example.com", "city": "Porto"})
    assert second.profile_id == first.profile_id and not second.profile_created
    assert second.unique_key != first.unique_key
    assert _profile(services, caller, first.profile_id)["Address"] == {"City": "Porto"}
    # every persisted key is searchable; search values are normalised like the keys
    assert _search(services, caller, "loyaltyId", "L-1") == [first.profile_id]
    assert _search(services, caller, "_phone", "206-555-0100") == [first.profile_id]
    assert _search(services, caller, "crmId", "c2") == [first.profile_id]
    assert _counts(services, caller) == (1, 2)


def test_ambiguous_key_is_ignored(services: Services, caller: Caller, domain: str) -> None:
    a = services.profiles.create(caller, "d", {"EmailAddress": "shared@example.com"})
    b = services.profiles.create(caller, "d", {"EmailAddress": "shared@example.com"})
    result = _put(services, caller, {"id": "c1", "email": "shared@example.com"})
    assert result.profile_created and result.profile_id not in (a, b)
    # an unambiguous key still wins over an ambiguous one
    services.profiles.add_key(caller, "d", a, "loyaltyId", ["L-9"])
    other = services.objects.put(
        caller, "d", "crm", json.dumps({"id": "c2", "email": "shared@example.com"})
    )
    assert other.profile_created  # loyaltyId is not a matching key


def test_secondary_lookup_only_and_new_only(
    services: Services, caller: Caller, domain: str
) -> None:
    p = services.profiles.create(caller, "d", {"PhoneNumber": "+12065550100"})
    # only the SECONDARY key matches: it is used after every primary key missed
    via_phone = _put(services, caller, {"id": "s1", "phone": "+1 206 555 0100", "firstOnly": "f1"})
    assert via_phone.profile_id == p and not via_phone.profile_created
    assert _search(services, caller, "firstId", "f1") == []  # NEW_ONLY: profile existed
    created = _put(services, caller, {"id": "s2", "firstOnly": "f2", "lookup": "x1"})
    assert created.profile_created
    assert _search(services, caller, "firstId", "f2") == [created.profile_id]
    assert _search(services, caller, "lookupId", "x1") == []  # LOOKUP_ONLY is never stored
    services.profiles.add_key(caller, "d", p, "lookupId", ["x2"])
    assert _put(services, caller, {"id": "s3", "lookup": "x2"}).profile_id == p
    # the reserved _profileId key attaches an object to a known profile
    services.object_types.put(
        caller,
        "d",
        "notes",
        {
            "Description": "notes",
            "Fields": {"pid": {"Source": "_source.pid"}, "n": {"Source": "_source.n"}},
            "Keys": {
                "_profileId": [{"StandardIdentifiers": ["LOOKUP_ONLY"], "FieldNames": ["pid"]}],
                "noteId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["n"]}],
            },
        },
    )
    assert _put(services, caller, {"pid": p, "n": "1"}, "notes").profile_id == p


def test_allow_profile_creation_false_keeps_a_dead_letter(
    services: Services, caller: Caller, domain: str
) -> None:
    services.object_types.put(caller, "d", "strict", _crm_type(allow=False))
    before = _counts(services, caller)
    with pytest.raises(ServiceError) as err:
        _put(services, caller, {"id": "x", "email": "nobody@example.com"}, "strict")
    assert err.value.kind is ErrorKind.INVALID and "AllowProfileCreation" in err.value.message
    assert _counts(services, caller) == before
    letters, token = services.dead_letters.list(caller, "d", None, None)
    assert [(dl.object_type, json.loads(dl.object)["id"]) for dl in letters] == [("strict", "x")]
    assert "does not allow profile creation" in letters[0].reason and token is None
    # with a match the same type attaches the object
    p = services.profiles.create(caller, "d", {"EmailAddress": "known@example.com"})
    assert (
        _put(services, caller, {"id": "y", "email": "known@example.com"}, "strict").profile_id == p
    )


def test_same_object_twice_keeps_one_object_and_its_key(
    services: Services, caller: Caller, domain: str
) -> None:
    one = _put(services, caller, {"id": "c1", "first": "Ana"})
    two = _put(services, caller, {"id": "c1", "first": "Anna"})
    assert (two.unique_key, two.profile_id) == (one.unique_key, one.profile_id)
    assert _counts(services, caller) == (1, 1)
    items, _ = services.objects.list(caller, "d", "crm", one.profile_id, None, None, None)
    assert [json.loads(i.document)["first"] for i in items] == ["Anna"]
    # a type without UNIQUE key identifies the object by its content
    services.object_types.put(
        caller,
        "d",
        "events",
        {
            "Description": "e",
            "AllowProfileCreation": True,
            "Fields": {"email": {"Source": "_source.email", "ContentType": "EMAIL_ADDRESS"}},
            "Keys": {"_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]},
        },
    )
    e1 = services.objects.put(caller, "d", "events", '{"email": "e@x.com", "a": 1}')
    e2 = services.objects.put(caller, "d", "events", '{"a": 1, "email": "e@x.com"}')
    e3 = services.objects.put(caller, "d", "events", '{"a": 2, "email": "e@x.com"}')
    assert e1.unique_key == e2.unique_key != e3.unique_key


def test_bad_objects_change_nothing(services: Services, caller: Caller, domain: str) -> None:
    for text in ["not json", "[1]", json.dumps({"first": "no keys"}), "x" * 256_001]:
        with pytest.raises(ServiceError) as err:
            services.objects.put(caller, "d", "crm", text)
        assert err.value.kind is ErrorKind.INVALID and "Object" in err.value.message
    assert _counts(services, caller) == (0, 0)
    with pytest.raises(ServiceError) as err:
        services.objects.put(caller, "d", "nope", "{}")
    assert err.value.kind is ErrorKind.NOT_FOUND
    mixed = services.objects.put_many(
        caller, "d", "crm", ['{"id": "a1"}', "{oops", '{"id": "a2"}', '{"id": "a1", "first": "B"}']
    )
    assert isinstance(mixed[1], ServiceError)
    ok = [r for r in mixed if isinstance(r, PutResult)]
    assert ok[0].unique_key == ok[2].unique_key and ok[0].profile_id == ok[2].profile_id
    assert _counts(services, caller) == (2, 2)


def test_objects_parsed_by_the_caller_are_placed_alike(
    services: Services, caller: Caller, domain: str
) -> None:
    objects = [{"id": "p1", "email": "P@example.com"}, {"id": "p2", "email": "p@example.com"}]
    objects += [{"first": "no keys"}, {"id": "p3", "first": "x" * 256_000}]
    texts = [json.dumps(o) for o in objects]
    results = services.objects.put_many(caller, "d", "crm", texts, objects)
    first, second, no_keys, too_long = results
    assert isinstance(first, PutResult) and isinstance(second, PutResult)
    assert first.profile_created and second.profile_id == first.profile_id
    assert isinstance(no_keys, ServiceError) and "UNIQUE key" in no_keys.message
    assert isinstance(too_long, ServiceError) and "256000" in too_long.message
    assert _counts(services, caller) == (1, 2)


def test_rejections_keep_no_traceback() -> None:
    """A rejection's traceback would hold the frame holding the whole batch's results: a
    cycle only the garbage collector frees, which a bulk import runs rarely."""
    definition = ObjectTypeDefinition.from_wire("crm", _crm_type())
    ok, bad = prepare_all(definition, ['{"id": "r1"}', '{"first": "no keys"}'])
    assert isinstance(bad, ServiceError) and "UNIQUE key" in bad.message
    assert bad.__traceback__ is None and not isinstance(ok, ServiceError)


def test_newer_data_wins(services: Services, caller: Caller, domain: str) -> None:
    new = _put(services, caller, {"id": "c1", "first": "New", "updated": "2026-01-02T00:00:00Z"})
    old = _put(
        services,
        caller,
        {"id": "c2", "first": "Old", "city": "Faro", "updated": "2026-01-01T00:00:00Z",
         "email": "x@example.com"},
    )  # fmt: skip
    assert old.profile_created  # different profile: nothing links c2 to c1
    _put(services, caller, {"id": "c1", "first": "Older", "city": "Braga",
                            "updated": "2025-12-31T00:00:00Z"})  # fmt: skip
    profile = _profile(services, caller, new.profile_id)
    assert profile["FirstName"] == "New" and profile["Address"] == {"City": "Braga"}
    _put(services, caller, {"id": "c1", "first": "Newest", "updated": "2026-02-01T00:00:00Z"})
    assert _profile(services, caller, new.profile_id)["FirstName"] == "Newest"


def test_list_filter_paging_and_delete(services: Services, caller: Caller, domain: str) -> None:
    first = _put(services, caller, {"id": "c0", "email": "p@example.com", "loyalty": "L0"})
    for i in range(1, 5):
        _put(services, caller, {"id": f"c{i}", "email": "P@example.com", "loyalty": f"L{i % 2}"})
    pid = first.profile_id
    seen, token, pages = [], None, 0
    while True:
        items, token = services.objects.list(caller, "d", "crm", pid, None, 2, token)
        seen += [json.loads(i.document)["id"] for i in items]
        pages += 1
        if token is None:
            break
    assert seen == ["c0", "c1", "c2", "c3", "c4"] and pages == 3
    filtered, _ = services.objects.list(caller, "d", "crm", pid, ("loyaltyId", ["L0"]), None, None)
    assert [json.loads(i.document)["id"] for i in filtered] == ["c0", "c2", "c4"]
    by_email, _ = services.objects.list(
        caller, "d", "crm", pid, ("_email", ["P@EXAMPLE.com"]), None, None
    )
    assert len(by_email) == 5
    target = filtered[0].unique_key
    services.objects.delete(caller, "d", "crm", pid, target)
    with pytest.raises(ServiceError) as err:
        services.objects.delete(caller, "d", "crm", pid, target)
    assert err.value.kind is ErrorKind.NOT_FOUND
    # c0 was the only object with crmId c0: its key went with it
    assert _search(services, caller, "crmId", "c0") == []
    assert _search(services, caller, "crmId", "c1") == [pid]
    services.object_types.delete(caller, "d", "crm")
    assert _search(services, caller, "crmId", "c1") == []
    assert _counts(services, caller) == (1, 0)


def test_scrubbed_profile_is_stored_as_every_other_writer_stores_it(
    services: Services, caller: Caller, domain: str
) -> None:
    """DeleteProfileObjectType's scrub writes the profile's text as UpdateProfile does, so the
    domain's TotalSize does not change when the same document is written again."""
    pid = _put(
        services, caller, {"id": "z1", "email": "zoe@example.com", "first": "Zoë"}
    ).profile_id
    services.profiles.update(caller, "d", pid, {"LastName": "Åberg", "Attributes": {"note": "✓"}})
    services.object_types.delete(caller, "d", "crm")
    scrubbed = _profile(services, caller, pid)
    assert "FirstName" not in scrubbed and scrubbed["LastName"] == "Åberg"
    _, after_scrub, _ = services.domains.get(caller, "d")
    services.profiles.update(caller, "d", pid, {"LastName": "Åberg"})
    _, rewritten, _ = services.domains.get(caller, "d")
    assert _profile(services, caller, pid) == scrubbed
    assert after_scrub.object_count == 0
    assert after_scrub.total_size == rewritten.total_size


def test_list_filter_matches_key_values_exactly(
    services: Services, caller: Caller, domain: str
) -> None:
    values = ["L1", "l1", 'L"1', "L1\\", "xL1", '["loyaltyId","L1"]', "é"]
    pid = _put(services, caller, {"id": "c0", "email": "p@example.com"}).profile_id
    for i, value in enumerate(values, 1):
        _put(services, caller, {"id": f"c{i}", "email": "p@example.com", "loyalty": value})
    for i, value in enumerate(values, 1):
        found, _ = services.objects.list(
            caller, "d", "crm", pid, ("loyaltyId", [value]), None, None
        )
        assert [json.loads(f.document)["id"] for f in found] == [f"c{i}"], value
    both, _ = services.objects.list(caller, "d", "crm", pid, ("loyaltyId", ["l1", "é"]), None, None)
    assert [json.loads(f.document)["id"] for f in both] == ["c2", "c7"]
    # a key name is matched too: crmId c1 is not loyaltyId c1
    none, _ = services.objects.list(caller, "d", "crm", pid, ("loyaltyId", ["c1"]), None, None)
    assert none == []


def test_an_object_moving_to_another_profile_takes_its_keys_along(
    services: Services, caller: Caller, domain: str
) -> None:
    a = _put(services, caller, {"id": "c1", "email": "a@example.com", "loyalty": "L1"}).profile_id
    b = _put(services, caller, {"id": "c2", "email": "b@example.com"}).profile_id
    # c1 again, now with b's email: the email matches first, so the object moves to b
    moved = _put(services, caller, {"id": "c1", "email": "b@example.com", "loyalty": "L1"})
    assert moved.profile_id == b != a
    assert _search(services, caller, "loyaltyId", "L1") == [b]
    assert _search(services, caller, "crmId", "c1") == [b]
    found, _ = services.objects.list(caller, "d", "crm", b, ("loyaltyId", ["L1"]), None, None)
    assert [json.loads(f.document)["id"] for f in found] == ["c1"]
    assert services.objects.list(caller, "d", "crm", a, None, None, None)[0] == []


def _key_rows_match_profiles(services: Services) -> None:
    """profile_keys holds exactly each profile's standard keys (from its document) and the
    added keys its row lists: what DeleteProfile and DeleteProfileKey rely on to find them."""
    with services.database.read() as conn:
        rows = {
            (pid, name, value, origin)
            for pid, name, value, origin in conn.execute(
                sql("SELECT profile_id, key_name, key_value, origin FROM profile_keys")
            )
        }
        derived: set[tuple[str, str, str, str]] = set()
        for pid, document, added in conn.execute(
            sql("SELECT profile_id, document, added_keys FROM profiles")
        ):
            derived |= {
                (pid, n, v, "standard") for n, v in standard_keys(pid, json.loads(document))
            }
            derived |= {(pid, n, v, origin) for n, v, origin in json.loads(added)}
    assert rows == derived


def test_a_profiles_keys_follow_every_write_and_go_with_it(
    services: Services, caller: Caller, domain: str
) -> None:
    a = _put(services, caller, {"id": "c1", "email": "a@example.com", "loyalty": "L1"}).profile_id
    b = _put(services, caller, {"id": "c2", "email": "b@example.com", "loyalty": "L2"}).profile_id
    _key_rows_match_profiles(services)
    services.profiles.add_key(caller, "d", a, "member", ["m1", "m2"])
    services.profiles.add_key(caller, "d", a, "member", ["m1"])  # present: unchanged
    services.profiles.add_key(caller, "d", a, "loyaltyId", ["L1"])  # also an object's key
    _key_rows_match_profiles(services)
    # an object moving from a to b takes its keys along; a keeps its own
    _put(services, caller, {"id": "c1", "email": "b@example.com", "loyalty": "L3"})
    assert _search(services, caller, "loyaltyId", "L3") == [b]
    assert _search(services, caller, "crmId", "c1") == [b]
    assert _search(services, caller, "loyaltyId", "L1") == [a]  # AddProfileKey's stays
    _key_rows_match_profiles(services)
    services.profiles.update(caller, "d", a, {"EmailAddress": "new@example.com"})
    assert _search(services, caller, "_email", "new@example.com") == [a]
    assert _search(services, caller, "_email", "a@example.com") == []
    _key_rows_match_profiles(services)
    services.profiles.delete_key(caller, "d", a, "member", ["m2"])
    services.profiles.delete_key(caller, "d", b, "loyaltyId", ["L2"])  # an object's key
    assert _search(services, caller, "member", "m2") == []
    assert _search(services, caller, "loyaltyId", "L2") == []
    _key_rows_match_profiles(services)
    # deleting c1 drops the keys only it carried
    [c1] = services.objects.list(caller, "d", "crm", b, ("crmId", ["c1"]), None, None)[0]
    services.objects.delete(caller, "d", "crm", b, c1.unique_key)
    assert _search(services, caller, "loyaltyId", "L3") == []
    assert _search(services, caller, "_email", "b@example.com") == [b]  # c2 still has it
    _key_rows_match_profiles(services)
    services.profiles.delete(caller, "d", a)
    for key, value in [("member", "m1"), ("loyaltyId", "L1"), ("_email", "new@example.com")]:
        assert _search(services, caller, key, value) == []
    _key_rows_match_profiles(services)
    services.profiles.delete(caller, "d", b)
    assert _search(services, caller, "crmId", "c2") == []
    with services.database.read() as conn:
        assert conn.execute(sql("SELECT count(*) FROM profile_keys")).scalar() == 0


def test_expiry_with_the_clock(services: Services, caller: Caller, clock: FixedClock) -> None:
    services.domains.create(caller, "d", 10, {}, None)
    services.object_types.put(caller, "d", "crm", _crm_type())
    services.object_types.put(caller, "d", "short", _crm_type(ExpirationDays=1))
    kept = _put(services, caller, {"id": "k", "email": "k@example.com"})
    gone = _put(services, caller, {"id": "g", "email": "k@example.com"}, "short")
    assert _counts(services, caller) == (1, 2)
    start = clock.at
    clock.at = start + timedelta(days=1, seconds=1)
    assert _counts(services, caller) == (1, 1)  # invisible at once, before any purge
    items, _ = services.objects.list(caller, "d", "short", gone.profile_id, None, None, None)
    assert items == []
    assert services.objects.purge_expired() == 1
    clock.at = start + timedelta(days=10, seconds=1)
    assert _counts(services, caller) == (1, 0)
    assert services.objects.purge_expired() == 1
    assert _search(services, caller, "crmId", "k") == []
    assert kept.profile_id in _search(services, caller, "_email", "k@example.com")


def test_stats_size_and_metering(services: Services, caller: Caller, domain: str) -> None:
    results = services.objects.put_many(
        caller,
        "d",
        "crm",
        [json.dumps({"id": f"m{i}", "email": "m@example.com"}) for i in range(201)],
    )
    assert len({r.profile_id for r in results if isinstance(r, PutResult)}) == 1
    _, stats, _ = services.domains.get(caller, "d")
    assert stats.profile_count == 1 and stats.object_count == 201
    assert stats.metering_profile_count == 3  # > 200 objects: counted three times
    assert stats.total_size > sum(len(json.dumps({"id": f"m{i}", "email": "m@example.com"}))
                                  for i in range(201))  # fmt: skip


@pytest.mark.parametrize(
    ("objects_per_profile", "metered"),
    [([190, 190, 190], 6), ([101, 150, 190, 199, 250, 100, 1], 13)],
    ids=["three-of-190", "mixed"],
)
def test_metering_counts_each_profile_in_whole_hundreds(
    services: Services, caller: Caller, domain: str, objects_per_profile: list[int], metered: int
) -> None:
    """Each profile adds (n - 1) // 100 on its own: 3 x 190 objects bill 6 profiles, not the
    8 that summing fractions (3 x 1.89) before truncating gives."""
    for p, n in enumerate(objects_per_profile):
        lines = [json.dumps({"id": f"p{p}o{i}", "email": f"p{p}@example.com"}) for i in range(n)]
        services.objects.put_many(caller, "d", "crm", lines)
    _, stats, _ = services.domains.get(caller, "d")
    assert stats.profile_count == len(objects_per_profile)
    assert stats.object_count == sum(objects_per_profile)
    assert stats.metering_profile_count == metered


def test_template_type_maps_salesforce_contact(services: Services, caller: Caller) -> None:
    services.domains.create(caller, "d", 30, {}, None)
    services.object_types.put(
        caller, "d", "Salesforce-Contact", {"Description": "sf", "TemplateId": "Salesforce-Contact"}
    )
    contact = {
        "Id": "0035e00000AbCdEAAV", "AccountId": "0015e00000XyZAAQ", "FirstName": " Jane ",
        "LastName": "Doe", "Email": "Jane.Doe@Example.com", "Phone": "(415) 555-0199",
        "MailingCity": "San Francisco", "MailingState": "CA", "MailingPostalCode": "94105",
        "LastModifiedDate": "2026-01-05T10:00:00.000+0000",
    }  # fmt: skip
    result = services.objects.put(caller, "d", "Salesforce-Contact", json.dumps(contact))
    profile = _profile(services, caller, result.profile_id)
    assert profile["FirstName"] == "Jane" and profile["LastName"] == "Doe"
    assert profile["EmailAddress"] == "jane.doe@example.com"
    assert profile["PhoneNumber"] == "+14155550199"
    assert profile["MailingAddress"] == {
        "City": "San Francisco", "State": "CA", "PostalCode": "94105"
    }  # fmt: skip
    assert profile["Attributes"]["sfdcContactId"] == "0035e00000AbCdEAAV"
    assert _search(services, caller, "_salesforceContactId", "0035e00000AbCdEAAV") == [
        result.profile_id
    ]


def test_standard_asset_objects(services: Services, caller: Caller) -> None:
    services.domains.create(caller, "d", 30, {}, None)
    services.object_types.put(
        caller,
        "d",
        "devices",
        {
            "Description": "assets",
            "AllowProfileCreation": True,
            "Fields": {
                "serial": {"Source": "_source.serial", "Target": "_asset.SerialNumber"},
                "name": {"Source": "_source.name", "Target": "_asset.AssetName"},
                "owner": {"Source": "_source.owner", "ContentType": "EMAIL_ADDRESS"},
            },
            "Keys": {
                "serialNo": [
                    {"StandardIdentifiers": ["ASSET", "UNIQUE"], "FieldNames": ["serial"]}
                ],
                "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["owner"]}],
            },
        },
    )
    r = services.objects.put(
        caller, "d", "devices", '{"serial": "SN1", "name": "Kettle", "owner": "o@x.com"}'
    )
    services.objects.put(
        caller, "d", "devices", '{"serial": "SN1", "name": "Kettle 2", "owner": "o@x.com"}'
    )
    assets, _ = services.objects.list(caller, "d", "_asset", r.profile_id, None, None, None)
    [asset] = [json.loads(a.document) for a in assets]
    assert asset["SerialNumber"] == "SN1" and asset["AssetName"] == "Kettle 2"
    assert len(asset["AssetId"]) == 32
    by_id, _ = services.objects.list(
        caller, "d", "_asset", r.profile_id, ("_assetId", [asset["AssetId"]]), None, None
    )
    assert len(by_id) == 1


def test_concurrent_objects_with_one_key_make_one_profile(
    services: Services, caller: Caller, domain: str
) -> None:
    barrier = threading.Barrier(8)
    results: list[Any] = []

    def worker(n: int) -> None:
        barrier.wait()
        results.append(_put(services, caller, {"id": f"t{n}", "email": "race@example.com"}))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.profile_id for r in results}) == 1
    assert sum(r.profile_created for r in results) == 1
    assert _counts(services, caller) == (1, 8)
    # each object's key reached the one profile's list of added keys, and its rows
    (profile_id,) = {r.profile_id for r in results}
    assert all(_search(services, caller, "crmId", f"t{n}") == [profile_id] for n in range(8))
    _key_rows_match_profiles(services)


def test_concurrent_key_writes_to_one_profile_all_stay(
    services: Services, caller: Caller, domain: str
) -> None:
    """AddProfileKey, DeleteProfileKey and objects landing on one profile at once: each
    rewrites the profile's list of added keys, and none is lost."""
    profile_id = _put(services, caller, {"id": "base", "email": "one@example.com"}).profile_id
    services.profiles.add_key(caller, "d", profile_id, "gone", [f"g{n}" for n in range(4)])
    barrier = threading.Barrier(12)

    def worker(n: int) -> None:
        barrier.wait()
        if n < 4:
            services.profiles.add_key(caller, "d", profile_id, "member", [f"m{n}"])
        elif n < 8:
            services.profiles.delete_key(caller, "d", profile_id, "gone", [f"g{n - 4}"])
        else:
            _put(services, caller, {"id": f"o{n}", "email": "one@example.com"})

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(_search(services, caller, "member", f"m{n}") == [profile_id] for n in range(4))
    assert all(_search(services, caller, "crmId", f"o{n}") == [profile_id] for n in range(8, 12))
    assert all(_search(services, caller, "gone", f"g{n}") == [] for n in range(4))
    _key_rows_match_profiles(services)


def test_a_bulk_batch_fits_postgresqls_lock_table_and_still_excludes_others(
    services: Services, caller: Caller, domain: str
) -> None:
    # 3,000 objects touch about 21,000 key values and unique keys: one advisory lock each
    # would overflow PostgreSQL's default lock table (64 x 100 connections, and some slack).
    texts = [
        json.dumps(
            {
                "id": f"b{i}",
                "email": f"p{i}@example.com",
                "phone": f"+1206555{i:04d}",
                "loyalty": f"L{i}",
                "lookup": f"K{i}",
                "firstOnly": f"F{i}",
            }
        )
        for i in range(3000)
    ]
    results = services.objects.put_many(caller, "d", "crm", texts)
    assert all(not isinstance(r, ServiceError) and r.profile_created for r in results)
    # Batches of both kinds at once, sharing keys: still one profile per key.
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def send(batch: list[str]) -> None:
        barrier.wait()
        outcomes.extend(services.objects.put_many(caller, "d", "crm", batch))

    shared = [json.dumps({"id": f"s{i}", "email": f"new{i}@example.com"}) for i in range(200)]
    small = [json.dumps({"id": f"x{i}", "email": f"new{i}@example.com"}) for i in range(3)]
    threads = [threading.Thread(target=send, args=(b,)) for b in (shared, small)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.profile_created for r in outcomes) == 200
    assert _counts(services, caller) == (3200, 3203)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_dead_letters_go_to_an_sqs_queue(
    services: Services, caller: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        sqs = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1")
        queue_url = sqs.create_queue(QueueName="profiles-dlq")["QueueUrl"]
        services.domains.create(caller, "d", 30, {"DeadLetterQueueUrl": queue_url}, None)
        services.object_types.put(caller, "d", "strict", _crm_type(allow=False))
        with pytest.raises(ServiceError):
            services.objects.put(caller, "d", "strict", '{"id": "lost", "email": "l@x.com"}')
        services.dead_letters.flush(30)
        messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=5)["Messages"]
        body = json.loads(messages[0]["Body"])
        _, documented = json_blocks("dead-letters.md")
        assert set(body) == set(documented)
        assert same_shape(documented["CreatedAt"]).fullmatch(body["CreatedAt"])
        assert body["CreatedAt"] == "2026-11-25T12:00:00.000000Z"  # the fixed clock's time
        assert body["DomainName"] == "d" and body["ObjectTypeName"] == "strict"
        assert (
            json.loads(body["Object"])["id"] == "lost" and "AllowProfileCreation" in body["Reason"]
        )
        # a queue that cannot be reached is logged, never raised
        services.domains.update(
            caller, "d", None, {"DeadLetterQueueUrl": f"http://127.0.0.1:{_free_port()}/1/q"}, None
        )
        with pytest.raises(ServiceError):
            services.objects.put(caller, "d", "strict", '{"id": "lost2"}')
        services.dead_letters.flush(60)
        assert len(services.dead_letters.list(caller, "d", None, None)[0]) == 2
    finally:
        services.dead_letters.close()
        server.stop()


def test_clock_fixture_is_utc(clock: FixedClock) -> None:
    assert clock.now() == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
