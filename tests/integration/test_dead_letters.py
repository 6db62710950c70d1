"""docs/dead-letters.md against a live server (both databases): its listing example as the
server answers it, and its bad query parameters named as the client sent them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.docs import json_blocks, same_shape
from tests.support.live_server import LiveServer
from tests.support.raw_client import signed_request


def _dead_letters(server: LiveServer, domain: str, query: str = "") -> tuple[int, Any]:
    path = f"/_openprofiles/domains/{domain}/dead-letters"
    status, _, body = signed_request(server.endpoint, "GET", path, query=query)
    return status, json.loads(body)


def test_listing_example_is_what_the_server_answers(live_server: LiveServer) -> None:
    listing, _ = json_blocks("dead-letters.md")
    [documented] = listing["Items"]
    cp = live_server.client()
    cp.create_domain(DomainName="shop", DefaultExpirationDays=30)
    cp.put_profile_object_type(
        DomainName="shop",
        ObjectTypeName=documented["ObjectTypeName"],
        Description="orders",
        AllowProfileCreation=False,
        Fields={"orderId": {"Source": "_source.orderId"},
                "email": {"Source": "_source.email", "ContentType": "EMAIL_ADDRESS"}},
        Keys={"orderId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["orderId"]}],
              "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]},
    )  # fmt: skip
    for sent in (documented["Object"], '{"orderId": "o-2", "email": "other@example.com"}'):
        with pytest.raises(ClientError):
            cp.put_profile_object(DomainName="shop", ObjectTypeName="orders", Object=sent)
    status, page = _dead_letters(live_server, "shop", "max-results=1")
    assert status == 200, page
    assert set(page) == set(listing)
    [item] = page["Items"]
    assert {**item, "CreatedAt": None} == {**documented, "CreatedAt": None}
    assert same_shape(documented["CreatedAt"]).fullmatch(item["CreatedAt"]), item["CreatedAt"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("max-results=0", "max-results"),
        ("max-results=101", "max-results"),
        ("max-results=ten", "max-results"),
        ("next-token=bogus", "next-token"),
    ],
)
def test_a_bad_query_parameter_is_named_as_sent(
    live_server: LiveServer, query: str, named: str
) -> None:
    live_server.client().create_domain(DomainName="shop", DefaultExpirationDays=30)
    status, error = _dead_letters(live_server, "shop", query)
    assert status == 400
    assert named in error["Message"]
    assert "MaxResults" not in error["Message"] and "NextToken" not in error["Message"]
