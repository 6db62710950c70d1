from __future__ import annotations

import pytest

from openprofiles.context import Caller
from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.services.container import Services
from openprofiles.services.search import SearchKey


def test_domain_lifecycle_and_isolation(services: Services, caller: Caller) -> None:
    record, tags = services.domains.create(
        caller, "d1", 30, {"DeadLetterQueueUrl": "q"}, {"a": "b"}
    )
    assert record.name == "d1" and tags == {"a": "b"}
    with pytest.raises(ServiceError) as err:
        services.domains.create(caller, "d1", 30, {}, None)
    assert err.value.kind is ErrorKind.CONFLICT
    other = Caller(account="222222222222", region="us-east-1")
    services.domains.create(other, "d1", 10, {}, None)  # same name, other account
    got, stats, _ = services.domains.get(caller, "d1")
    assert got.default_expiration_days == 30 and stats.profile_count == 0
    items, token = services.domains.list(caller, None, None)
    assert [r.name for r, _ in items] == ["d1"] and token is None
    services.domains.delete(caller, "d1")
    with pytest.raises(ServiceError) as err:
        services.domains.get(caller, "d1")
    assert err.value.kind is ErrorKind.NOT_FOUND
    assert services.domains.get(other, "d1")[0].default_expiration_days == 10


def test_profile_update_semantics_and_search(services: Services, caller: Caller) -> None:
    services.domains.create(caller, "d", 30, {}, None)
    pid = services.profiles.create(
        caller,
        "d",
        {
            "FirstName": "Ana",
            "LastName": "Lima",
            "EmailAddress": "ana@example.com",
            "Address": {"City": "Lisbon", "Country": "PT"},
            "Attributes": {"tier": "gold", "points": "3"},
        },
    )
    services.profiles.update(
        caller,
        "d",
        pid,
        {"FirstName": "", "MiddleName": "B", "Address": {"City": ""}, "Attributes": {"tier": ""}},
    )
    [doc], missing = services.profiles.batch_get(caller, "d", [pid, "f" * 32])
    assert missing == ["f" * 32]
    assert "FirstName" not in doc and doc["MiddleName"] == "B" and doc["LastName"] == "Lima"
    assert doc["Address"] == {"Country": "PT"} and doc["Attributes"] == {"points": "3"}
    found, _ = services.search.search(
        caller, "d", [SearchKey("_fullName", ("B Lima",))], True, None, None
    )
    assert [f.profile["ProfileId"] for f in found] == [pid]
    services.profiles.add_key(caller, "d", pid, "loyalty", ["L1"])
    found, _ = services.search.search(
        caller,
        "d",
        [SearchKey("loyalty", ("L1",)), SearchKey("_email", ("nobody@example.com",))],
        False,
        None,
        None,
    )
    assert [f.found_by for f in found] == [[SearchKey("loyalty", ("L1",))]]
    found, _ = services.search.search(
        caller,
        "d",
        [SearchKey("loyalty", ("L1",)), SearchKey("_email", ("nobody@example.com",))],
        True,
        None,
        None,
    )
    assert found == []


def test_search_paging_is_stable_and_tokens_are_checked(services: Services, caller: Caller) -> None:
    services.domains.create(caller, "d", 30, {}, None)
    for i in range(7):
        services.profiles.create(caller, "d", {"AccountNumber": "shared", "FirstName": str(i)})
    key = [SearchKey("_account", ("shared",))]
    page1, token = services.search.search(caller, "d", key, True, 3, None)
    assert len(page1) == 3 and token
    services.profiles.create(caller, "d", {"AccountNumber": "shared"})  # inserted mid-listing
    seen = [f.profile["ProfileId"] for f in page1]
    while token:
        page, token = services.search.search(caller, "d", key, True, 3, token)
        seen += [f.profile["ProfileId"] for f in page]
    assert len(seen) == len(set(seen)) >= 7
    with pytest.raises(ServiceError) as err:
        services.search.search(caller, "d", key, True, 3, "forged.token")
    assert err.value.kind is ErrorKind.INVALID and "NextToken" in err.value.message
    _, token = services.search.search(caller, "d", key, True, 3, None)
    with pytest.raises(ServiceError):  # a token used with other parameters
        services.search.search(caller, "d", [SearchKey("_account", ("x",))], True, 3, token)
