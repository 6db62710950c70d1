"""Merging profiles and undoing merges at the service level (both databases): what moves,
which values win, what the history keeps, and that the key rows stay equal to what each
profile says it has."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text as sql

from openprofiles.clock import FixedClock
from openprofiles.context import Caller
from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.services.container import Services
from openprofiles.services.search import SearchKey
from openprofiles.services.standard_keys import standard_keys
from openprofiles.storage.repositories.profile_keys import decode_added

_ORDERS = {
    "Description": "orders",
    "AllowProfileCreation": False,
    "Fields": {
        "orderId": {"Source": "_source.orderId"},
        "email": {"Source": "_source.email", "ContentType": "EMAIL_ADDRESS"},
    },
    "Keys": {
        "orderId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["orderId"]}],
        "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
    },
}


@pytest.fixture
def domain(services: Services, caller: Caller) -> str:
    services.domains.create(caller, "d", 30, {}, None)
    services.object_types.put(caller, "d", "orders", dict(_ORDERS))
    return "d"


def _profile(services: Services, caller: Caller, profile_id: str) -> dict[str, Any] | None:
    found, _ = services.profiles.batch_get(caller, "d", [profile_id])
    return found[0] if found else None


def _search(services: Services, caller: Caller, key: str, value: str) -> list[str]:
    found, _ = services.search.search(caller, "d", [SearchKey(key, (value,))], True, None, None)
    return sorted(f.profile["ProfileId"] for f in found)


def _objects(services: Services, caller: Caller, profile_id: str) -> list[str]:
    items, _ = services.objects.list(caller, "d", "orders", profile_id, None, None, None)
    return sorted(json.loads(i.document)["orderId"] for i in items)


def _order(services: Services, caller: Caller, order_id: str, email: str) -> str:
    document = json.dumps({"orderId": order_id, "email": email})
    return services.objects.put(caller, "d", "orders", document).profile_id


def _key_rows_match_profiles(services: Services) -> None:
    """Every profile's key rows are exactly its standard keys and its added keys."""
    with services.database.read() as conn:
        rows = {
            tuple(r)
            for r in conn.execute(
                sql("SELECT key_name, key_value, profile_id, origin FROM profile_keys")
            )
        }
        expected = set()
        for pid, document, added in conn.execute(
            sql("SELECT profile_id, document, added_keys FROM profiles")
        ):
            expected |= {
                (n, v, pid, "standard") for n, v in standard_keys(pid, json.loads(document))
            }
            expected |= {(n, v, pid, o) for n, v, o in decode_added(added)}
    assert rows == expected


def _state(services: Services) -> tuple[Any, ...]:
    with services.database.read() as conn:
        return tuple(
            sorted(tuple(r) for r in conn.execute(sql(f"SELECT * FROM {table}")))
            for table in ("profiles", "profile_keys", "profile_objects")
        )


def test_keys_objects_and_fields_move_to_the_main_profile(
    services: Services, caller: Caller, domain: str
) -> None:
    main = services.profiles.create(
        caller, "d", {"FirstName": "Ana", "Attributes": {"tier": "gold"}}
    )
    other = services.profiles.create(
        caller,
        "d",
        {"FirstName": "Anna", "LastName": "Silva", "EmailAddress": "ana@example.com",
         "Address": {"City": "Porto"}, "Attributes": {"tier": "silver", "club": "A"}},
    )  # fmt: skip
    services.profiles.add_key(caller, "d", other, "loyaltyId", ["L-1"])
    assert _order(services, caller, "o-1", "ana@example.com") == other

    merge_id = services.merges.merge(caller, "d", main, [other], None)

    merged = _profile(services, caller, main)
    assert merged is not None
    assert merged["FirstName"] == "Ana"  # the main profile's value wins
    assert merged["LastName"] == "Silva" and merged["Address"] == {"City": "Porto"}  # filled
    assert merged["Attributes"] == {"tier": "gold", "club": "A"}
    assert _profile(services, caller, other) is None
    assert _search(services, caller, "loyaltyId", "L-1") == [main]
    assert _search(services, caller, "_email", "ana@example.com") == [main]
    assert _search(services, caller, "orderId", "o-1") == [main]
    assert _search(services, caller, "_profileId", other) == []
    assert _search(services, caller, "_fullName", "Anna Silva") == [main]  # moved key
    assert _objects(services, caller, main) == ["o-1"] and _objects(services, caller, other) == []
    # a later object of the merged profile's email lands on the main profile
    assert _order(services, caller, "o-2", "ana@example.com") == main
    _key_rows_match_profiles(services)
    [merge] = services.merges.history(caller, "d", other)
    assert (
        merge.id == merge_id and merge.main_profile_id == main and merge.origin == "MergeProfiles"
    )


def test_field_sources_are_honoured_even_when_empty(
    services: Services, caller: Caller, domain: str
) -> None:
    main = services.profiles.create(
        caller, "d", {"FirstName": "Ana", "PartyType": "INDIVIDUAL", "Attributes": {"a": "1"}}
    )
    other = services.profiles.create(
        caller, "d", {"FirstName": "Anna", "PartyTypeString": "Person", "Attributes": {"a": "2"}}
    )
    sources = {"FirstName": other, "PartyType": other, "MiddleName": other,
               "Attributes": {"a": other}}  # fmt: skip
    services.merges.merge(caller, "d", main, [other], sources)
    merged = _profile(services, caller, main)
    assert merged is not None
    assert merged["FirstName"] == "Anna" and merged["Attributes"] == {"a": "2"}
    assert "PartyType" not in merged and merged["PartyTypeString"] == "Person"
    _key_rows_match_profiles(services)


@pytest.mark.parametrize(
    ("case", "kind", "named"),
    [
        ("main-in-list", ErrorKind.INVALID, "ProfileIdsToBeMerged"),
        ("foreign-source", ErrorKind.INVALID, "FieldSourceProfileIds.EmailAddress"),
        ("foreign-attribute", ErrorKind.INVALID, "FieldSourceProfileIds.Attributes.tier"),
        ("unknown-profile", ErrorKind.NOT_FOUND, "0" * 32),
        ("unknown-main", ErrorKind.NOT_FOUND, "f" * 32),
    ],
)
def test_bad_merges_change_nothing(
    services: Services, caller: Caller, domain: str, case: str, kind: ErrorKind, named: str
) -> None:
    main = services.profiles.create(caller, "d", {"FirstName": "Ana"})
    other = services.profiles.create(caller, "d", {"LastName": "Silva"})
    third = services.profiles.create(caller, "d", {"LastName": "Sousa"})
    args: dict[str, tuple[str, list[str], dict[str, Any] | None]] = {
        "main-in-list": (main, [other, main], None),
        "foreign-source": (main, [other], {"EmailAddress": third}),
        "foreign-attribute": (main, [other], {"Attributes": {"tier": third}}),
        "unknown-profile": (main, [other, "0" * 32], None),
        "unknown-main": ("f" * 32, [other], None),
    }
    before = _state(services)
    with pytest.raises(ServiceError) as raised:
        services.merges.merge(caller, "d", *args[case])
    assert raised.value.kind == kind and named in raised.value.message
    assert _state(services) == before
    assert services.merges.listing(caller, "d", None, None, None) == ([], None)


def test_undo_restores_everything_and_keeps_what_came_later(
    services: Services, caller: Caller, domain: str, clock: FixedClock
) -> None:
    main = services.profiles.create(caller, "d", {"FirstName": "Ana", "EmailAddress": "a@x.com"})
    other = services.profiles.create(
        caller, "d", {"FirstName": "Anna", "EmailAddress": "b@x.com", "LastName": "Silva"}
    )
    services.profiles.add_key(caller, "d", other, "loyaltyId", ["L-1"])
    services.profiles.add_key(caller, "d", main, "loyaltyId", ["L-1"])  # the same on both
    _order(services, caller, "o-1", "b@x.com")
    _order(services, caller, "o-0", "a@x.com")
    before = _state(services)

    clock.at += timedelta(minutes=1)
    merge_id = services.merges.merge(caller, "d", main, [other], {"FirstName": other})
    clock.at += timedelta(minutes=1)
    later = _order(services, caller, "o-2", "b@x.com")  # reaches main through the moved key
    assert later == main
    services.profiles.add_key(caller, "d", main, "later", ["k"])

    clock.at += timedelta(minutes=1)
    undone = services.merges.undo(caller, "d", merge_id)
    assert undone.undone_at == clock.now()
    restored = _profile(services, caller, other)
    assert restored == {"ProfileId": other, "FirstName": "Anna", "EmailAddress": "b@x.com",
                        "LastName": "Silva"}  # fmt: skip
    assert _profile(services, caller, main) == {
        "ProfileId": main, "FirstName": "Ana", "EmailAddress": "a@x.com"
    }  # fmt: skip
    assert _objects(services, caller, other) == ["o-1"]
    assert _objects(services, caller, main) == ["o-0", "o-2"]
    assert _search(services, caller, "loyaltyId", "L-1") == sorted([main, other])
    assert _search(services, caller, "later", "k") == [main]
    # o-2 stays on main with its key; the merged profile's own email key went back with it
    assert _search(services, caller, "_email", "b@x.com") == sorted([main, other])
    assert _search(services, caller, "orderId", "o-1") == [other]
    _key_rows_match_profiles(services)

    # without what came later, everything is as before the merge
    services.objects.delete(caller, "d", "orders", main, _unique_key(services, "o-2"))
    services.profiles.delete_key(caller, "d", main, "later", ["k"])
    profiles_before, keys_before, objects_before = before
    profiles_now, keys_now, objects_now = _state(services)
    assert keys_now == keys_before
    assert [r[:4] for r in profiles_now] == [r[:4] for r in profiles_before]
    assert [r[:6] for r in objects_now] == [r[:6] for r in objects_before]

    with pytest.raises(ServiceError) as twice:
        services.merges.undo(caller, "d", merge_id)
    assert twice.value.kind == ErrorKind.CONFLICT and "undone" in twice.value.message
    with pytest.raises(ServiceError) as unknown:
        services.merges.undo(caller, "d", "0" * 32)
    assert unknown.value.kind == ErrorKind.NOT_FOUND


def _unique_key(services: Services, order_id: str) -> str:
    with services.database.read() as conn:
        rows = conn.execute(sql("SELECT unique_key, document FROM profile_objects")).all()
    [key] = [k for k, d in rows if json.loads(d)["orderId"] == order_id]
    return str(key)


def test_undo_of_a_merge_whose_main_was_merged_again_is_refused(
    services: Services, caller: Caller, domain: str
) -> None:
    a, b, c = (services.profiles.create(caller, "d", {"FirstName": n}) for n in "abc")
    first = services.merges.merge(caller, "d", b, [a], None)
    second = services.merges.merge(caller, "d", c, [b], None)
    with pytest.raises(ServiceError) as raised:
        services.merges.undo(caller, "d", first)
    assert raised.value.kind == ErrorKind.CONFLICT and second in raised.value.message
    services.merges.undo(caller, "d", second)
    services.merges.undo(caller, "d", first)
    assert [_profile(services, caller, p) for p in (a, b, c)] == [
        {"ProfileId": p, "FirstName": n} for p, n in zip((a, b, c), "abc", strict=True)
    ]
    _key_rows_match_profiles(services)


def test_undo_keeps_a_key_another_standing_merge_also_moved(
    services: Services, caller: Caller, domain: str
) -> None:
    main = services.profiles.create(caller, "d", {"FirstName": "Ana"})
    one = services.profiles.create(caller, "d", {"EmailAddress": "shared@x.com"})
    two = services.profiles.create(caller, "d", {"EmailAddress": "shared@x.com"})
    first = services.merges.merge(caller, "d", main, [one], None)
    services.merges.merge(caller, "d", main, [two], None)
    services.merges.undo(caller, "d", first)
    assert _search(services, caller, "_email", "shared@x.com") == sorted([main, one])
    _key_rows_match_profiles(services)


def test_listing_pages_and_filters_by_profile(
    services: Services, caller: Caller, domain: str
) -> None:
    ids = [services.profiles.create(caller, "d", {"FirstName": str(i)}) for i in range(5)]
    first = services.merges.merge(caller, "d", ids[0], [ids[1]], None)
    second = services.merges.merge(caller, "d", ids[2], [ids[3], ids[4]], None)
    page, token = services.merges.listing(caller, "d", None, 1, None)
    assert [m.id for m in page] == [first] and token
    page, token = services.merges.listing(caller, "d", None, 1, token)
    assert [m.id for m in page] == [second] and token is None
    involving, _ = services.merges.listing(caller, "d", ids[4], None, None)
    assert [m.id for m in involving] == [second]
    assert [m.id for m in services.merges.history(caller, "d", ids[0])] == [first]


def test_deleting_a_domain_deletes_its_merge_history(
    services: Services, caller: Caller, domain: str
) -> None:
    main, other = (services.profiles.create(caller, "d", {"FirstName": n}) for n in "ab")
    services.merges.merge(caller, "d", main, [other], None)
    services.domains.delete(caller, "d")
    services.domains.create(caller, "d", 30, {}, None)
    assert services.merges.listing(caller, "d", None, None, None) == ([], None)
    assert services.merges.history(caller, "d", main) == []
    with services.database.read() as conn:
        counts = [conn.scalar(sql(f"SELECT count(*) FROM {t}"))
                  for t in ("merge_history", "merge_history_profiles")]  # fmt: skip
    assert counts == [0, 0]


def test_objects_arriving_during_a_merge_never_bring_the_merged_profile_back(
    services: Services, caller: Caller, domain: str
) -> None:
    main = services.profiles.create(caller, "d", {"FirstName": "Ana"})
    other = services.profiles.create(caller, "d", {"EmailAddress": "b@x.com"})
    errors: list[BaseException] = []

    def ingest() -> None:
        try:
            for i in range(40):
                _order(services, caller, f"o-{i}", "b@x.com")
        except BaseException as exc:  # reported below: a thread's failure is not the test's
            errors.append(exc)

    worker = threading.Thread(target=ingest)
    worker.start()
    while not _objects(services, caller, other) and worker.is_alive():
        pass  # merge once some objects are on the profile
    services.merges.merge(caller, "d", main, [other], None)
    worker.join()
    assert errors == []
    assert _profile(services, caller, other) is None
    assert len(_objects(services, caller, main)) == 40
    _key_rows_match_profiles(services)


def test_a_repeated_id_counts_once_and_a_deleted_main_cannot_be_unmerged(
    services: Services, caller: Caller, domain: str
) -> None:
    main = services.profiles.create(caller, "d", {"FirstName": "Ana"})
    other = services.profiles.create(caller, "d", {"LastName": "Silva"})
    merge_id = services.merges.merge(caller, "d", main, [other, other], None)
    assert services.merges.explain(caller, "d", merge_id).merged_profile_ids == [other]
    services.profiles.delete(caller, "d", main)
    with pytest.raises(ServiceError) as raised:
        services.merges.undo(caller, "d", merge_id)
    assert raised.value.kind == ErrorKind.CONFLICT and "deleted" in raised.value.message
    assert _profile(services, caller, other) is None
