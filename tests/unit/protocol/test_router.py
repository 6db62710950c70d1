"""Routing by method + path (rest-json) and by X-Amz-Target (json 1.0)."""

from __future__ import annotations

import pytest

from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.protocol import router as router_module
from openprofiles.protocol.models import B2BI, CUSTOMER_PROFILES
from openprofiles.protocol.router import RestRouter, rest_router, target_router


def _match(method: str, path: str, query: str = "") -> tuple[str, dict[str, str]]:
    return rest_router(CUSTOMER_PROFILES).match(method, path, query)


def test_labels() -> None:
    assert _match("GET", "/domains/my-domain") == ("GetDomain", {"DomainName": "my-domain"})
    assert _match("GET", "/domains/d/profile/p1/calculated-attributes/ca") == (
        "GetCalculatedAttributeForProfile",
        {"DomainName": "d", "ProfileId": "p1", "CalculatedAttributeName": "ca"},
    )


def test_encoded_arn_label_is_split_before_decoding() -> None:
    path = "/tags/arn%3Aaws%3Aprofile%3Aus-east-1%3A123456789012%3Adomains%2Fdom"
    name, labels = _match("GET", path)
    assert name == "ListTagsForResource"
    assert labels == {"resourceArn": "arn:aws:profile:us-east-1:123456789012:domains/dom"}


def test_literal_beats_label() -> None:
    # POST /domains/{DomainName}/profiles/keys/delete vs .../profiles/objects/merge etc.
    assert _match("POST", "/domains/d/profiles/keys/delete")[0] == "DeleteProfileKey"
    assert _match("POST", "/domains/d/profiles/delete")[0] == "DeleteProfile"
    assert _match("POST", "/domains/d/integrations/delete")[0] == "DeleteIntegration"
    assert _match("PUT", "/domains/d/recommenders/r/start")[0] == "StartRecommender"


def test_literal_beats_label_when_both_templates_match() -> None:
    router = RestRouter.__new__(RestRouter)
    router.service = "test"
    router._exact = {}
    router._greedy = {}
    for op, uri in (("ByLabel", "/things/{Id}"), ("Special", "/things/special")):
        tpl = router_module._template(op, "GET", uri)
        router._exact.setdefault(("GET", len(tpl.segments)), []).append(tpl)
    for templates in router._exact.values():
        templates.sort(key=lambda t: t.rank)
    router._methods = ["GET"]
    assert router.match("GET", "/things/special") == ("Special", {})
    assert router.match("GET", "/things/other") == ("ByLabel", {"Id": "other"})


def test_greedy_label() -> None:
    router = RestRouter.__new__(RestRouter)
    router.service = "test"
    router._exact = {}
    tpl = router_module._template("GetObject", "GET", "/buckets/{Bucket}/{Key+}")
    router._greedy = {"GET": [tpl]}
    router._methods = ["GET"]
    assert router.match("GET", "/buckets/b/a/b%20c/d.txt") == (
        "GetObject",
        {"Bucket": "b", "Key": "a/b c/d.txt"},
    )
    with pytest.raises(ServiceError):
        router.match("GET", "/buckets/b")


def test_literal_query_in_request_uri() -> None:
    tpl = router_module._template("Tagging", "PUT", "/things/{Id}?tagging")
    assert tpl.match(["things", "x"], "tagging") == {"Id": "x"}
    assert tpl.match(["things", "x"], "") is None


def test_trailing_slash_is_tolerated() -> None:
    assert _match("GET", "/domains/") == ("ListDomains", {})
    assert _match("GET", "/domains/d/") == ("GetDomain", {"DomainName": "d"})


def test_unknown_path() -> None:
    with pytest.raises(ServiceError) as caught:
        _match("GET", "/nothing/here")
    assert caught.value.kind is ErrorKind.UNKNOWN_OPERATION


def test_wrong_method_names_the_allowed_ones() -> None:
    with pytest.raises(ServiceError) as caught:
        _match("PATCH", "/domains/d")
    assert caught.value.kind is ErrorKind.UNKNOWN_OPERATION
    assert "DELETE, GET, POST, PUT" in caught.value.message


def test_empty_label_does_not_match() -> None:
    with pytest.raises(ServiceError):
        _match("GET", "/domains//profiles/objects")


def test_target_routing() -> None:
    assert target_router(B2BI).match("B2BI.CreateProfile") == "CreateProfile"
    with pytest.raises(ServiceError) as caught:
        target_router(B2BI).match("B2BI.Nope")
    assert caught.value.kind is ErrorKind.UNKNOWN_OPERATION
