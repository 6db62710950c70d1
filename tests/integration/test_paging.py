"""NextTokens of every paged operation through boto3 on a live server (both databases).

The rule, the same for each: a token continues its listing when only the page size changes
between pages (no item repeated or skipped), and is a 400 naming NextToken when any other
parameter of the request changes.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.live_server import LiveServer


@pytest.fixture
def live_server(module_server: tuple[LiveServer, str]) -> LiveServer:
    """One server per backend for the module: each listing works in domains of its own."""
    return module_server[0]


@dataclass
class Listing:
    """A paged operation with at least four items to list, and how to read its pages."""

    call: Callable[..., dict[str, Any]]
    params: dict[str, Any]
    items: str
    item_id: Callable[[dict[str, Any]], str]
    # The same operation with a parameter other than the page size changed: (call, params).
    other: tuple[Callable[..., dict[str, Any]], dict[str, Any]] | None = None
    size: str = "MaxResults"
    token: str = "NextToken"
    error_code: str = "BadRequestException"

    def page(self, size: int | None, token: str | None) -> tuple[list[str], str | None]:
        kwargs = dict(self.params)
        if size is not None:
            kwargs[self.size] = size
        if token is not None:
            kwargs[self.token] = token
        response = self.call(**kwargs)
        return [self.item_id(i) for i in response[self.items]], response.get(self.token)


def _name() -> str:
    return "pg-" + uuid.uuid4().hex[:12]


def _domains(server: LiveServer) -> Listing:
    cp = server.client()
    for _ in range(4):
        cp.create_domain(DomainName=_name(), DefaultExpirationDays=1)
    other_region = server.client(region="us-west-2")
    return Listing(cp.list_domains, {}, "Items", lambda d: d["DomainName"],
                   other=(other_region.list_domains, {}))  # fmt: skip


def _object_types(server: LiveServer) -> Listing:
    cp = server.client()
    domain, other = _name(), _name()
    for name in (domain, other):
        cp.create_domain(DomainName=name, DefaultExpirationDays=1)
    for i in range(4):
        cp.put_profile_object_type(DomainName=domain, ObjectTypeName=f"t{i}", Description="t",
                                   TemplateId="Salesforce-Contact")  # fmt: skip
    return Listing(cp.list_profile_object_types, {"DomainName": domain}, "Items",
                   lambda t: t["ObjectTypeName"],
                   other=(cp.list_profile_object_types, {"DomainName": other}))  # fmt: skip


def _templates(server: LiveServer) -> Listing:
    cp = server.client()
    return Listing(cp.list_profile_object_type_templates, {}, "Items", lambda t: t["TemplateId"])


def _search(server: LiveServer) -> Listing:
    cp = server.client()
    domain = _name()
    cp.create_domain(DomainName=domain, DefaultExpirationDays=1)
    for _ in range(5):
        cp.create_profile(DomainName=domain, AccountNumber="group", FirstName="x")
    search = {"DomainName": domain, "KeyName": "_account", "Values": ["group"]}
    another = {**search, "Values": ["group", "other"]}
    return Listing(cp.search_profiles, search, "Items", lambda p: p["ProfileId"],
                   other=(cp.search_profiles, another))  # fmt: skip


def _objects(server: LiveServer) -> Listing:
    cp = server.client()
    domain = _name()
    cp.create_domain(DomainName=domain, DefaultExpirationDays=1)
    cp.put_profile_object_type(
        DomainName=domain,
        ObjectTypeName="orders",
        Description="orders",
        AllowProfileCreation=True,
        Fields={"id": {"Source": "_source.id"}, "customer": {"Source": "_source.customer"}},
        Keys={
            "orderId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
            "customerId": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["customer"]}],
        },
    )
    for i in range(5):
        object_text = json.dumps({"id": f"o{i}", "customer": "c1"})
        cp.put_profile_object(DomainName=domain, ObjectTypeName="orders", Object=object_text)
    [owner] = cp.search_profiles(DomainName=domain, KeyName="customerId", Values=["c1"])["Items"]
    listed = {"DomainName": domain, "ObjectTypeName": "orders", "ProfileId": owner["ProfileId"]}
    filtered = {**listed, "ObjectFilter": {"KeyName": "customerId", "Values": ["c1"]}}
    return Listing(cp.list_profile_objects, listed, "Items",
                   lambda o: o["ProfileObjectUniqueKey"],
                   other=(cp.list_profile_objects, filtered))  # fmt: skip


def _b2bi_profiles(server: LiveServer) -> Listing:
    b2bi = server.client("b2bi", region="eu-west-1")
    # Four profiles in all: the module's server keeps them, and its quota is five a region.
    for i in range(len(b2bi.list_profiles()["profiles"]), 4):
        b2bi.create_profile(name=f"partner{i}", phone="5555555555", businessName="Example",
                            logging="DISABLED")  # fmt: skip
    other_region = server.client("b2bi", region="eu-central-1")
    return Listing(b2bi.list_profiles, {}, "profiles", lambda p: p["profileId"],
                   other=(other_region.list_profiles, {}), size="maxResults",
                   token="nextToken", error_code="ValidationException")  # fmt: skip


LISTINGS = {
    "ListDomains": _domains,
    "ListProfileObjectTypes": _object_types,
    "ListProfileObjectTypeTemplates": _templates,
    "SearchProfiles": _search,
    "ListProfileObjects": _objects,
    "b2bi ListProfiles": _b2bi_profiles,
}


@pytest.mark.parametrize("operation", LISTINGS)
def test_a_token_continues_when_only_the_page_size_changes(
    live_server: LiveServer, operation: str
) -> None:
    listing = LISTINGS[operation](live_server)
    everything, token = listing.page(None, None)
    assert token is None and len(everything) >= 4
    seen: list[str] = []
    sizes, used = itertools.cycle([1, 3, 2]), []
    while True:
        used.append(next(sizes))
        page, token = listing.page(used[-1], token)
        seen += page
        if token is None:
            break
    assert seen == everything  # in order, none repeated or skipped
    assert len(set(used)) > 1


# ListProfileObjectTypeTemplates has no parameter but the page size and the token.
@pytest.mark.parametrize(
    "operation", [n for n in LISTINGS if n != "ListProfileObjectTypeTemplates"]
)
def test_a_token_used_with_another_parameter_is_refused(
    live_server: LiveServer, operation: str
) -> None:
    listing = LISTINGS[operation](live_server)
    assert listing.other is not None
    _, token = listing.page(1, None)
    assert token is not None
    call, params = listing.other
    with pytest.raises(ClientError) as err:
        call(**params, **{listing.size: 1, listing.token: token})
    error = err.value.response["Error"]
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Code"] == listing.error_code
    assert "NextToken" in error["Message"] and "different request" in error["Message"]
