"""Expiry through boto3 (both databases), on a server whose clock the tests move: an expired
object disappears from every read at once, its keys included, before the purge deletes it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import create_engine, text

from openprofiles.clock import FixedClock
from tests.support.app_server import AppServer, running_app
from tests.support.databases import BACKENDS, require_backend, temporary_database_url

DAY = timedelta(days=1)


def _type(expiration_days: int | None, allow_creation: bool) -> dict[str, Any]:
    """Objects with an id (UNIQUE), an email and a visitor id (PROFILE keys) and a tag."""
    return {
        "Description": "visits",
        "AllowProfileCreation": allow_creation,
        **({"ExpirationDays": expiration_days} if expiration_days else {}),
        "Fields": {
            "id": {"Source": "_source.id"},
            "email": {"Source": "_source.email", "ContentType": "EMAIL_ADDRESS"},
            "visitor": {"Source": "_source.visitor"},
            "tag": {"Source": "_source.tag"},
        },
        "Keys": {
            "objectId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
            "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
            "visitor": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["visitor"]}],
            "tag": [{"StandardIdentifiers": [], "FieldNames": ["tag"]}],
        },
    }


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AppServer, FixedClock, str]]:
    """One server per backend for the module; its clock only ever moves forward."""
    require_backend(request.param)
    tmp: Path = tmp_path_factory.mktemp(request.param)
    clock = FixedClock(datetime.now(UTC))
    with temporary_database_url(request.param, tmp) as url, running_app(url, tmp, clock) as srv:
        yield srv, clock, url


@pytest.fixture
def server(served: tuple[AppServer, FixedClock, str]) -> AppServer:
    return served[0]


@pytest.fixture
def clock(served: tuple[AppServer, FixedClock, str]) -> FixedClock:
    return served[1]


@pytest.fixture
def cp(server: AppServer) -> Any:
    return server.client()


@pytest.fixture
def domain(cp: Any) -> str:
    """A domain whose objects expire after 30 days, with types crm (the domain's expiry),
    visits (1 day) and, neither creating profiles, strict (1 day)."""
    name = "d-" + uuid.uuid4().hex[:12]
    cp.create_domain(DomainName=name, DefaultExpirationDays=30)
    for type_name, days, creates in [("crm", None, True), ("visits", 1, True),
                                     ("strict", 1, False)]:  # fmt: skip
        cp.put_profile_object_type(
            DomainName=name, ObjectTypeName=type_name, **_type(days, creates)
        )
    return name


def _put(cp: Any, domain: str, type_name: str, **obj: str) -> None:
    cp.put_profile_object(DomainName=domain, ObjectTypeName=type_name, Object=json.dumps(obj))


def _found(cp: Any, domain: str, key: str, value: str) -> list[str]:
    items = cp.search_profiles(DomainName=domain, KeyName=key, Values=[value])["Items"]
    return sorted(p["ProfileId"] for p in items)


def _key_rows(database_url: str, domain: str, key: str, value: str) -> list[str]:
    """The profiles ``profile_keys`` holds the key value for, expired or not."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT k.profile_id FROM profile_keys k JOIN domains d ON d.id = k.domain_id"
                    " WHERE d.name = :d AND k.key_name = :k AND k.key_value = :v"
                    " AND k.origin = 'object'"
                ),
                {"d": domain, "k": key, "v": value},
            )
            return sorted(r[0] for r in rows)
    finally:
        engine.dispose()


def test_expired_keys_find_nothing_before_the_purge(
    served: tuple[AppServer, FixedClock, str], cp: Any, domain: str
) -> None:
    server, clock, database_url = served
    _put(cp, domain, "crm", id="c1", email="ana@example.com", tag="t0")
    [profile] = _found(cp, domain, "_email", "ana@example.com")
    _put(cp, domain, "visits", id="v1", email="ana@example.com", visitor="V9", tag="t0")
    assert _found(cp, domain, "visitor", "V9") == [profile]

    clock.at += DAY + timedelta(seconds=1)  # v1 has expired, c1 has not
    assert _found(cp, domain, "visitor", "V9") == []
    assert _found(cp, domain, "objectId", "v1") == []
    assert _found(cp, domain, "tag", "t0") == [profile]  # c1 carries it too
    searched = {"DomainName": domain, "KeyName": "visitor", "Values": ["V9"],
                "AdditionalSearchKeys": [{"KeyName": "tag", "Values": ["t0"]}]}  # fmt: skip
    items = cp.search_profiles(**searched, LogicalOperator="OR")["Items"]
    assert [i["ProfileId"] for i in items] == [profile]
    assert items[0]["FoundByItems"] == [{"KeyName": "tag", "Values": ["t0"]}]
    assert cp.search_profiles(**searched, LogicalOperator="AND")["Items"] == []
    assert _key_rows(database_url, domain, "visitor", "V9") == [profile]  # not purged yet

    assert server.purge_expired() >= 1
    assert _key_rows(database_url, domain, "visitor", "V9") == []
    assert _key_rows(database_url, domain, "objectId", "v1") == []
    assert _key_rows(database_url, domain, "tag", "t0") == [profile]
    assert _found(cp, domain, "tag", "t0") == [profile]


def test_a_key_only_expired_objects_carried_places_no_object(
    served: tuple[AppServer, FixedClock, str], cp: Any, domain: str
) -> None:
    """A new object whose key only an expired object carried does not land on that profile:
    its type creates a profile or keeps a dead letter, as for a key nobody has."""
    server, clock, database_url = served
    _put(cp, domain, "visits", id="v1", email="bo@example.com", visitor="V7")
    [profile] = _found(cp, domain, "visitor", "V7")
    clock.at += DAY + timedelta(seconds=1)

    with pytest.raises(ClientError) as err:
        _put(cp, domain, "strict", id="s1", visitor="V7")
    assert err.value.response["Error"]["Code"] == "BadRequestException"
    assert "AllowProfileCreation" in err.value.response["Error"]["Message"]
    _put(cp, domain, "visits", id="v2", visitor="V7")
    [other] = _found(cp, domain, "visitor", "V7")
    assert other != profile

    # Sent again, the expired object is visible again, and so are its keys.
    _put(cp, domain, "visits", id="v1", email="bo@example.com", visitor="V7")
    assert _found(cp, domain, "visitor", "V7") == sorted([profile, other])
    assert _found(cp, domain, "_email", "bo@example.com") == [profile]
    server.purge_expired()
    assert _key_rows(database_url, domain, "visitor", "V7") == sorted([profile, other])


def test_a_key_expires_with_the_last_object_carrying_it(
    served: tuple[AppServer, FixedClock, str], cp: Any, domain: str
) -> None:
    """Two objects of one profile carry a key: it lasts as long as the later expiry, and
    when that object goes (DeleteProfileObject) the key follows the one left."""
    _, clock, _ = served
    _put(cp, domain, "visits", id="v1", email="cy@example.com", tag="t2")
    [profile] = _found(cp, domain, "_email", "cy@example.com")
    _put(cp, domain, "crm", id="c1", email="cy@example.com", tag="t2")
    clock.at += DAY + timedelta(seconds=1)
    assert _found(cp, domain, "tag", "t2") == [profile]  # c1 expires in 30 days

    cp.delete_profile_object(
        DomainName=domain, ObjectTypeName="crm", ProfileId=profile, ProfileObjectUniqueKey="c1"
    )
    assert _found(cp, domain, "tag", "t2") == []  # only the expired v1 carries it now


def test_an_object_sent_again_with_a_shorter_expiry_takes_its_keys_along(
    served: tuple[AppServer, FixedClock, str], cp: Any, domain: str
) -> None:
    _, clock, _ = served
    cp.put_profile_object_type(DomainName=domain, ObjectTypeName="visits", **_type(10, True))
    _put(cp, domain, "visits", id="v1", visitor="V5")
    [profile] = _found(cp, domain, "visitor", "V5")
    cp.put_profile_object_type(DomainName=domain, ObjectTypeName="visits", **_type(1, True))
    _put(cp, domain, "visits", id="v1", visitor="V5")  # now expires in one day
    clock.at += DAY + timedelta(seconds=1)
    assert _found(cp, domain, "visitor", "V5") == []
    listed = cp.list_profile_objects(DomainName=domain, ObjectTypeName="visits", ProfileId=profile)
    assert listed["Items"] == []
