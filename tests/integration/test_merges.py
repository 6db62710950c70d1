"""MergeProfiles through boto3, and the merge-history extensions through signed raw requests,
on a live server (both databases); docs/merging.md's examples as the server answers them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.browser import console_session
from tests.support.docs import json_blocks, same_shape
from tests.support.live_server import LiveServer
from tests.support.raw_client import call, signed_request


@pytest.fixture
def live_server(module_server: tuple[LiveServer, str]) -> LiveServer:
    return module_server[0]


@pytest.fixture
def database_url(module_server: tuple[LiveServer, str]) -> str:
    return module_server[1]


ORDERS: dict[str, Any] = {
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
def cp(live_server: LiveServer) -> Any:
    return live_server.client("customer-profiles")


@pytest.fixture
def domain(cp: Any) -> str:
    name = "m-" + uuid.uuid4().hex[:12]
    cp.create_domain(DomainName=name, DefaultExpirationDays=30)
    cp.put_profile_object_type(DomainName=name, ObjectTypeName="orders", **ORDERS)
    return name


def _extension(
    server: LiveServer, method: str, path: str, query: str = "", body: bytes = b""
) -> tuple[int, Any]:
    status, _, content = signed_request(server.endpoint, method, path, query=query, body=body)
    return status, json.loads(content)


def _merges_path(domain: str) -> str:
    return f"/_openprofiles/domains/{domain}/merges"


def _search(cp: Any, domain: str, key: str, value: str) -> list[str]:
    items = cp.search_profiles(DomainName=domain, KeyName=key, Values=[value])["Items"]
    return sorted(i["ProfileId"] for i in items)


def _profile(cp: Any, domain: str, profile_id: str) -> dict[str, Any] | None:
    found = cp.search_profiles(DomainName=domain, KeyName="_profileId", Values=[profile_id])
    items = found["Items"]
    for item in items:
        item.pop("FoundByItems", None)
    return items[0] if items else None


def _orders(cp: Any, domain: str, profile_id: str) -> list[str]:
    items = cp.list_profile_objects(
        DomainName=domain, ObjectTypeName="orders", ProfileId=profile_id
    )["Items"]
    return sorted(json.loads(i["Object"])["orderId"] for i in items)


def _order(cp: Any, domain: str, order_id: str, email: str) -> None:
    cp.put_profile_object(
        DomainName=domain,
        ObjectTypeName="orders",
        Object=json.dumps({"orderId": order_id, "email": email}),
    )


def _example(cp: Any, domain: str) -> tuple[str, str]:
    """The profiles of docs/merging.md's example: (main, merged)."""
    main = cp.create_profile(
        DomainName=domain,
        FirstName="Ana",
        EmailAddress="ana@example.com",
        Attributes={"tier": "gold"},
    )["ProfileId"]
    other = cp.create_profile(
        DomainName=domain,
        FirstName="Anna",
        LastName="Silva",
        EmailAddress="ana.silva@example.com",
        Attributes={"tier": "silver"},
    )["ProfileId"]
    cp.add_profile_key(DomainName=domain, ProfileId=other, KeyName="loyaltyId", Values=["L-1"])
    _order(cp, domain, "o-1", "ana.silva@example.com")
    return main, other


def _as_documented(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with the real ids replaced by the documented ones."""
    text = json.dumps(value)
    for real, documented in ids.items():
        text = text.replace(real, documented)
    return json.loads(text)


def test_docs_example_merge_explanation_and_listing(
    live_server: LiveServer, cp: Any, domain: str
) -> None:
    request, response, explained, listing = json_blocks("merging.md")[:4]
    main, other = _example(cp, domain)
    ids = {main: request["MainProfileId"], other: request["ProfileIdsToBeMerged"][0]}
    sent = _as_documented(request, {v: k for k, v in ids.items()})
    answer = cp.merge_profiles(DomainName=domain, **sent)
    merge_id = answer["Message"].rsplit(" ", 1)[1].rstrip(").")
    ids[merge_id] = explained["MergeId"]
    assert _as_documented({"Message": answer["Message"]}, ids) == response

    merged = _profile(cp, domain, main)
    assert merged == {
        "ProfileId": main,
        "FirstName": "Ana",
        "LastName": "Silva",
        "EmailAddress": "ana.silva@example.com",
        "Attributes": {"tier": "gold"},
    }
    for key, value in [
        ("loyaltyId", "L-1"),
        ("orderId", "o-1"),
        ("_email", "ana.silva@example.com"),
    ]:
        assert _search(cp, domain, key, value) == [main], key
    # the main profile's own standard keys follow its fields: its old email is gone
    assert _search(cp, domain, "_email", "ana@example.com") == []

    status, got = _extension(live_server, "GET", f"{_merges_path(domain)}/{merge_id}")
    assert status == 200, got
    got = _as_documented(got, ids)
    assert same_shape(explained["CreatedAt"]).fullmatch(got["CreatedAt"]), got["CreatedAt"]
    assert {**got, "CreatedAt": None} == {**explained, "CreatedAt": None}

    status, page = _extension(live_server, "GET", _merges_path(domain))
    assert status == 200, page
    page = _as_documented(page, ids)
    assert [{**i, "CreatedAt": None} for i in page["Items"]] == [
        {**i, "CreatedAt": None} for i in listing["Items"]
    ]


def test_keys_and_objects_move_and_merged_profiles_disappear(cp: Any, domain: str) -> None:
    main = cp.create_profile(DomainName=domain, FirstName="Ana", PhoneNumber="+12065550100")[
        "ProfileId"
    ]
    others = [
        cp.create_profile(DomainName=domain, EmailAddress=f"{n}@x.com", AccountNumber=n)[
            "ProfileId"
        ]
        for n in ("a1", "a2")
    ]
    _order(cp, domain, "o-1", "a1@x.com")
    _order(cp, domain, "o-2", "a2@x.com")
    cp.merge_profiles(DomainName=domain, MainProfileId=main, ProfileIdsToBeMerged=others)
    merged = _profile(cp, domain, main)
    assert merged is not None
    # empty on main: filled from the first merged profile that has a value
    assert merged["EmailAddress"] == "a1@x.com" and merged["AccountNumber"] == "a1"
    assert _orders(cp, domain, main) == ["o-1", "o-2"]
    for other in others:
        assert _profile(cp, domain, other) is None
        assert _orders(cp, domain, other) == []
    assert _search(cp, domain, "_account", "a2") == [main]
    assert _search(cp, domain, "_email", "a2@x.com") == [main]
    found = cp.batch_get_profile(DomainName=domain, ProfileIds=others)
    assert found["Profiles"] == [] and len(found["Errors"]) == 2
    # a new object for a merged profile's key lands on the main profile
    _order(cp, domain, "o-3", "a2@x.com")
    assert _orders(cp, domain, main) == ["o-1", "o-2", "o-3"]


def test_field_sources_are_honoured(cp: Any, domain: str) -> None:
    main = cp.create_profile(
        DomainName=domain, FirstName="Ana", MiddleName="M", Attributes={"tier": "gold"}
    )["ProfileId"]
    other = cp.create_profile(
        DomainName=domain, FirstName="Anna", Attributes={"tier": "silver", "club": "A"}
    )["ProfileId"]
    cp.merge_profiles(
        DomainName=domain,
        MainProfileId=main,
        ProfileIdsToBeMerged=[other],
        FieldSourceProfileIds={"FirstName": other, "MiddleName": other,
                               "Attributes": {"tier": other}},
    )  # fmt: skip
    assert _profile(cp, domain, main) == {
        "ProfileId": main,
        "FirstName": "Anna",
        "Attributes": {"tier": "silver", "club": "A"},
    }  # MiddleName: taken from the named profile, which has none


def _snapshot(cp: Any, live_server: LiveServer, domain: str, ids: list[str]) -> Any:
    _, merges = _extension(live_server, "GET", _merges_path(domain))
    return [_profile(cp, domain, p) for p in ids], [_orders(cp, domain, p) for p in ids], merges


@pytest.mark.parametrize(
    ("case", "status", "code", "named"),
    [
        ("21 ids", 400, "BadRequestException", "ProfileIdsToBeMerged"),
        ("main in list", 400, "BadRequestException", "ProfileIdsToBeMerged"),
        ("foreign source", 400, "BadRequestException", "FieldSourceProfileIds.LastName"),
        ("unknown profile", 404, "ResourceNotFoundException", "0" * 32),
        ("unknown domain", 404, "ResourceNotFoundException", "no-such-domain"),
    ],
)
def test_bad_merges_answer_and_change_nothing(
    live_server: LiveServer,
    cp: Any,
    domain: str,
    case: str,
    status: int,
    code: str,
    named: str,
) -> None:
    main = cp.create_profile(DomainName=domain, FirstName="Ana")["ProfileId"]
    other = cp.create_profile(DomainName=domain, LastName="Silva", EmailAddress="s@x.com")[
        "ProfileId"
    ]
    third = cp.create_profile(DomainName=domain, LastName="Sousa")["ProfileId"]
    _order(cp, domain, "o-1", "s@x.com")
    params: dict[str, Any] = {"DomainName": domain, "MainProfileId": main,
                              "ProfileIdsToBeMerged": [other]}  # fmt: skip
    if case == "21 ids":
        params["ProfileIdsToBeMerged"] = [other] + [uuid.uuid4().hex for _ in range(20)]
    elif case == "main in list":
        params["ProfileIdsToBeMerged"] = [other, main]
    elif case == "foreign source":
        params["FieldSourceProfileIds"] = {"LastName": third}
    elif case == "unknown profile":
        params["ProfileIdsToBeMerged"] = [other, "0" * 32]
    else:
        params["DomainName"] = "no-such-domain"
    before = _snapshot(cp, live_server, domain, [main, other, third])
    got, headers, error = call(live_server.endpoint, "customer-profiles", "MergeProfiles", params)
    assert got == status, error
    assert headers["x-amzn-errortype"].startswith(code)
    assert named in error["Message"]
    assert _snapshot(cp, live_server, domain, [main, other, third]) == before


def test_undo_restores_everything_once(live_server: LiveServer, cp: Any, domain: str) -> None:
    main, other = _example(cp, domain)
    before = [_profile(cp, domain, p) for p in (main, other)]
    answer = cp.merge_profiles(
        DomainName=domain,
        MainProfileId=main,
        ProfileIdsToBeMerged=[other],
        FieldSourceProfileIds={"EmailAddress": other},
    )
    merge_id = answer["Message"].rsplit(" ", 1)[1].rstrip(").")
    _order(cp, domain, "o-2", "ana.silva@example.com")  # after the merge: reaches main
    cp.add_profile_key(DomainName=domain, ProfileId=main, KeyName="later", Values=["k"])

    undo = f"{_merges_path(domain)}/{merge_id}/undo"
    status, undone = _extension(live_server, "POST", undo, body=b"{}")
    assert status == 200, undone
    assert undone["Undone"] is True and undone["MergeId"] == merge_id and "UndoneAt" in undone
    assert [_profile(cp, domain, p) for p in (main, other)] == before
    assert _orders(cp, domain, other) == ["o-1"] and _orders(cp, domain, main) == ["o-2"]
    assert _search(cp, domain, "loyaltyId", "L-1") == [other]
    assert _search(cp, domain, "orderId", "o-1") == [other]
    assert _search(cp, domain, "_email", "ana@example.com") == [main]
    assert _search(cp, domain, "later", "k") == [main]

    status, again = _extension(live_server, "POST", undo, body=b"{}")
    assert status == 400 and "undone" in again["Message"], again
    status, explained = _extension(live_server, "GET", f"{_merges_path(domain)}/{merge_id}")
    assert status == 200 and explained["Undone"] is True
    status, missing = _extension(
        live_server, "POST", f"{_merges_path(domain)}/{'0' * 32}/undo", body=b"{}"
    )
    assert status == 404, missing
    status, missing = _extension(live_server, "GET", f"{_merges_path(domain)}/{'0' * 32}")
    assert status == 404, missing


def test_listing_pages_and_filters_by_profile(
    live_server: LiveServer, cp: Any, domain: str
) -> None:
    ids = [cp.create_profile(DomainName=domain, FirstName=str(i))["ProfileId"] for i in range(4)]
    cp.merge_profiles(DomainName=domain, MainProfileId=ids[0], ProfileIdsToBeMerged=[ids[1]])
    cp.merge_profiles(DomainName=domain, MainProfileId=ids[2], ProfileIdsToBeMerged=[ids[3]])
    status, first = _extension(live_server, "GET", _merges_path(domain), "max-results=1")
    assert status == 200 and len(first["Items"]) == 1 and first["NextToken"]
    query = f"max-results=1&next-token={first['NextToken']}"
    status, second = _extension(live_server, "GET", _merges_path(domain), query)
    assert status == 200 and "NextToken" not in second
    assert [i["MainProfileId"] for i in first["Items"] + second["Items"]] == [ids[0], ids[2]]
    status, involving = _extension(live_server, "GET", _merges_path(domain), f"ProfileId={ids[3]}")
    assert status == 200 and [i["MergedProfileIds"] for i in involving["Items"]] == [[ids[3]]]
    status, bad = _extension(live_server, "GET", _merges_path(domain), "max-results=0")
    assert status == 400 and "max-results" in bad["Message"]
    with pytest.raises(ClientError):
        cp.merge_profiles(DomainName=domain, MainProfileId=ids[0], ProfileIdsToBeMerged=[ids[1]])


def test_the_console_profile_page_lists_the_profiles_merges(
    live_server: LiveServer, cp: Any, domain: str
) -> None:
    main, other = _example(cp, domain)
    answer = cp.merge_profiles(DomainName=domain, MainProfileId=main, ProfileIdsToBeMerged=[other])
    merge_id = answer["Message"].rsplit(" ", 1)[1].rstrip(").")
    client, _ = console_session(live_server.endpoint)
    page = client.get(f"/domains/{domain}/profiles/{main}")
    assert page.status_code == 200, page.text
    assert f"{other} merged into {main} by MergeProfiles (merge {merge_id})" in page.text
    assert "ana.silva@example.com" not in page.text.split('id="history"', 1)[1]  # no images
