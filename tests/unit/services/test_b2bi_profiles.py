"""B2B Data Interchange profiles at the service level, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest

from openprofiles.clock import FixedClock
from openprofiles.context import Caller
from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.services.b2bi_profiles import ProfileDetails, profile_arn
from openprofiles.services.container import Services

DETAILS = ProfileDetails(
    name="b2bipartner",
    phone="5555555555",
    business_name="Example Corp",
    logging="ENABLED",
    email="john@example.com",
)


def _error(fn: Callable[[], Any]) -> ServiceError:
    with pytest.raises(ServiceError) as err:
        fn()
    return err.value


def _ids(services: Services, caller: Caller) -> list[str]:
    records, token = services.b2bi.list(caller, None, None)
    assert token is None
    return [r.profile_id for r in records]


def test_lifecycle(services: Services, caller: Caller, clock: FixedClock) -> None:
    record = services.b2bi.create(caller, DETAILS)
    assert re.fullmatch(r"p-[a-z0-9]{17}", record.profile_id)
    assert profile_arn(record) == f"arn:aws:b2bi:us-east-1:111111111111:profile/{record.profile_id}"
    assert record.log_group_name == f"/aws/vendedlogs/b2bi/profile/{record.profile_id}"
    assert record.created_at == clock.now() and record.modified_at is None
    assert services.b2bi.get(caller, record.profile_id) == record
    assert _ids(services, caller) == [record.profile_id]

    clock.at += timedelta(minutes=5)
    updated = services.b2bi.update(caller, record.profile_id, name="renamed", phone="+1 555 0100")
    assert updated.modified_at == clock.now()
    assert (updated.name, updated.phone) == ("renamed", "+1 555 0100")
    assert (updated.email, updated.business_name) == (DETAILS.email, DETAILS.business_name)
    assert updated.logging == "ENABLED" and updated.created_at == record.created_at
    assert services.b2bi.get(caller, record.profile_id) == updated

    services.b2bi.delete(caller, record.profile_id)
    assert _error(lambda: services.b2bi.get(caller, record.profile_id)).kind is ErrorKind.NOT_FOUND
    assert _ids(services, caller) == []
    for op in (
        lambda: services.b2bi.update(caller, record.profile_id, name="x"),
        lambda: services.b2bi.delete(caller, record.profile_id),
    ):
        assert _error(op).kind is ErrorKind.NOT_FOUND


def test_logging_disabled_has_no_log_group(services: Services, caller: Caller) -> None:
    details = ProfileDetails(name="n", phone="5555555", business_name="b", logging="DISABLED")
    record = services.b2bi.create(caller, details)
    assert record.logging == "DISABLED" and record.log_group_name is None
    assert record.email is None


def test_sixth_profile_exceeds_quota_and_nothing_is_created(
    services: Services, caller: Caller
) -> None:
    first = [services.b2bi.create(caller, DETAILS).profile_id for _ in range(5)]
    err = _error(lambda: services.b2bi.create(caller, DETAILS, tags={"k": "v"}))
    assert err.kind is ErrorKind.QUOTA
    assert err.fields == {
        "resourceId": caller.account,
        "resourceType": "profile",
        "serviceCode": "b2bi",
        "quotaCode": "b2bi_profiles_per_account",
    }
    assert sorted(_ids(services, caller)) == sorted(first)
    # Another account, and another region of the same account, have quotas of their own.
    services.b2bi.create(Caller("222222222222", "us-east-1"), DETAILS)
    services.b2bi.create(Caller(caller.account, "us-west-2"), DETAILS)
    assert len(_ids(services, caller)) == 5
    # Deleting one makes room for one.
    services.b2bi.delete(caller, first[0])
    services.b2bi.create(caller, DETAILS)
    assert _error(lambda: services.b2bi.create(caller, DETAILS)).kind is ErrorKind.QUOTA


def _concurrently(count: int, fn: Callable[[int], Any]) -> list[Any]:
    """Run fn(0..count-1) in threads released together; results or raised ServiceErrors."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fn(i)
        except ServiceError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_quota_holds_under_concurrent_creates(services: Services, caller: Caller) -> None:
    results = _concurrently(12, lambda i: services.b2bi.create(caller, DETAILS))
    created = [r for r in results if not isinstance(r, ServiceError)]
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(created) == 5
    assert len(refused) == 7 and all(e.kind is ErrorKind.QUOTA for e in refused)
    assert sorted(_ids(services, caller)) == sorted(r.profile_id for r in created)


def test_client_token_is_idempotent(services: Services, caller: Caller) -> None:
    tags = {"team": "edi"}
    first = services.b2bi.create(caller, DETAILS, "token-1", tags)
    again = services.b2bi.create(caller, DETAILS, "token-1", dict(tags))
    assert again == first
    assert _ids(services, caller) == [first.profile_id]

    for details, other_tags in (
        (ProfileDetails("other", "5555555555", "Example Corp", "ENABLED"), tags),
        (DETAILS, {"team": "other"}),
        (DETAILS, {}),
    ):
        err = _error(partial(services.b2bi.create, caller, details, "token-1", other_tags))
        assert err.kind is ErrorKind.CONFLICT and first.profile_id in err.message
    assert _ids(services, caller) == [first.profile_id]

    # A replay still answers once the quota is full, and after an update returns the profile
    # as it is now; the same token in another account is a different token.
    for _ in range(4):
        services.b2bi.create(caller, DETAILS)
    services.b2bi.update(caller, first.profile_id, name="renamed")
    replay = services.b2bi.create(caller, DETAILS, "token-1", tags)
    assert replay.profile_id == first.profile_id and replay.name == "renamed"
    other = services.b2bi.create(Caller("222222222222", "us-east-1"), DETAILS, "token-1", tags)
    assert other.profile_id != first.profile_id
    # Tokens have no length limit in the model.
    assert services.b2bi.create(Caller("333333333333", "eu-west-1"), DETAILS, "t" * 5000)


def test_concurrent_replays_create_one_profile(services: Services, caller: Caller) -> None:
    results = _concurrently(8, lambda i: services.b2bi.create(caller, DETAILS, "same-token"))
    assert not any(isinstance(r, ServiceError) for r in results)
    assert len({r.profile_id for r in results}) == 1
    assert len(_ids(services, caller)) == 1


def test_accounts_and_regions_are_isolated(services: Services, caller: Caller) -> None:
    record = services.b2bi.create(caller, DETAILS, tags={"k": "v"})
    arn = profile_arn(record)
    for outsider in (Caller("222222222222", "us-east-1"), Caller(caller.account, "eu-west-1")):
        assert _ids(services, outsider) == []
        for op in (
            lambda o=outsider: services.b2bi.get(o, record.profile_id),
            lambda o=outsider: services.b2bi.update(o, record.profile_id, name="x"),
            lambda o=outsider: services.b2bi.delete(o, record.profile_id),
        ):
            assert _error(op).kind is ErrorKind.NOT_FOUND
    stranger = Caller("222222222222", "us-east-1")
    assert _error(lambda: services.b2bi.list_tags(stranger, arn)).kind is ErrorKind.ACCESS_DENIED
    assert _error(lambda: services.b2bi.tag(stranger, arn, {"a": "b"})).kind is (
        ErrorKind.ACCESS_DENIED
    )
    # The owner, from another region, reads the ARN's own region.
    assert services.b2bi.list_tags(Caller(caller.account, "eu-west-1"), arn) == {"k": "v"}
    assert services.b2bi.get(caller, record.profile_id).name == DETAILS.name


def test_tags(services: Services, caller: Caller) -> None:
    record = services.b2bi.create(caller, DETAILS, tags={"a": "1"})
    arn = profile_arn(record)
    assert services.b2bi.list_tags(caller, arn) == {"a": "1"}
    services.b2bi.tag(caller, arn, {"a": "2", "b": ""})
    assert services.b2bi.list_tags(caller, arn) == {"a": "2", "b": ""}
    services.b2bi.untag(caller, arn, ["a", "missing"])
    assert services.b2bi.list_tags(caller, arn) == {"b": ""}

    # 200 tags per resource (b2bi's limit, not Customer Profiles' 50).
    services.b2bi.tag(caller, arn, {f"k{i}": "v" for i in range(199)})
    err = _error(lambda: services.b2bi.tag(caller, arn, {"one-more": "v"}))
    assert err.kind is ErrorKind.INVALID and "200" in err.message
    assert len(services.b2bi.list_tags(caller, arn)) == 200
    assert _error(lambda: services.b2bi.tag(caller, arn, {"aws:x": "v"})).kind is ErrorKind.INVALID

    missing = arn.rsplit("/", 1)[0] + "/p-doesnotexist00000"
    for op in (
        lambda: services.b2bi.tag(caller, missing, {"a": "b"}),
        lambda: services.b2bi.untag(caller, missing, ["a"]),
        lambda: services.b2bi.list_tags(caller, missing),
    ):
        assert _error(op).kind is ErrorKind.NOT_FOUND
    for bad in ("not-an-arn", "arn:aws:profile:us-east-1:111111111111:domains/d"):
        err = _error(partial(services.b2bi.list_tags, caller, bad))
        assert err.kind is ErrorKind.INVALID and "ResourceARN" in err.message

    services.b2bi.delete(caller, record.profile_id)
    with services.database.read() as conn:  # the deleted profile's tags went with it
        assert services.tags.get_tags(conn, caller, arn) == {}


def test_invalid_tags_on_create_create_nothing(services: Services, caller: Caller) -> None:
    err = _error(lambda: services.b2bi.create(caller, DETAILS, "tok", {"aws:reserved": "v"}))
    assert err.kind is ErrorKind.INVALID
    too_many = {f"k{i}": "v" for i in range(201)}
    assert _error(lambda: services.b2bi.create(caller, DETAILS, None, too_many)).kind is (
        ErrorKind.INVALID
    )
    assert _ids(services, caller) == []
    # The token was not consumed by the failed request.
    assert services.b2bi.create(caller, DETAILS, "tok").profile_id


def test_list_pages(services: Services, caller: Caller) -> None:
    created = sorted(services.b2bi.create(caller, DETAILS).profile_id for _ in range(5))
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        records, token = services.b2bi.list(caller, 2, token)
        seen += [r.profile_id for r in records]
        pages += 1
        if token is None:
            break
    assert seen == created and pages == 3
    _, token = services.b2bi.list(caller, 2, None)
    assert token is not None
    err = _error(lambda: services.b2bi.list(Caller("222222222222", "us-east-1"), 2, token))
    assert err.kind is ErrorKind.INVALID
