"""Parsing details beyond the round trip: conversions, wrong types, bodies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.protocol.http import HttpRequest
from openprofiles.protocol.models import B2BI, CUSTOMER_PROFILES
from openprofiles.protocol.parser import parse_json_request, parse_rest_request
from openprofiles.protocol.router import rest_router
from openprofiles.protocol.timestamps import format_timestamp, parse_timestamp


def _rest(method: str, path: str, body: bytes = b"", query: str = "") -> dict[str, object]:
    name, labels = rest_router(CUSTOMER_PROFILES).match(method, path, query)
    request = HttpRequest(method, path, query, {"content-type": "application/json"}, body)
    return parse_rest_request(CUSTOMER_PROFILES, name, request, labels)


def _invalid(method: str, path: str, body: bytes = b"", query: str = "") -> str:
    with pytest.raises(ServiceError) as caught:
        _rest(method, path, body, query)
    assert caught.value.kind is ErrorKind.INVALID
    return caught.value.message


def test_query_string_conversions() -> None:
    params = _rest("GET", "/domains", query="max-results=5&next-token=abc")
    assert params == {"MaxResults": 5, "NextToken": "abc"}
    assert "'MaxResults'" in _invalid("GET", "/domains", query="max-results=five")


def test_query_string_list_from_repeated_keys() -> None:
    path = "/tags/arn%3Aaws%3Aprofile%3Aus-east-1%3A1%3Adomains%2Fd"
    params = _rest("DELETE", path, query="tagKeys=a&tagKeys=b%20c")
    assert params["tagKeys"] == ["a", "b c"]


def test_query_string_boolean() -> None:
    path = "/domains/d/integrations"
    assert _rest("GET", path, query="include-hidden=true")["IncludeHidden"] is True
    assert _rest("GET", path, query="include-hidden=False")["IncludeHidden"] is False
    assert "'IncludeHidden'" in _invalid("GET", path, query="include-hidden=maybe")


def test_body_timestamps_epoch_and_iso() -> None:
    body = b'{"QueryStartDate": 1700000000, "QueryEndDate": "2024-01-02T03:04:05Z"}'
    params = _rest("POST", "/domains/d/workflows", body)
    assert params["QueryStartDate"] == datetime.fromtimestamp(1700000000, UTC)
    assert params["QueryEndDate"] == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    message = _invalid("POST", "/domains/d/workflows", b'{"QueryStartDate": "yesterday"}')
    assert "'QueryStartDate'" in message


def test_wrong_json_types_name_the_member() -> None:
    message = _invalid("POST", "/domains/d", b'{"DefaultExpirationDays": "ten"}')
    assert "'DefaultExpirationDays'" in message and "integer" in message
    message = _invalid("POST", "/domains/d", b'{"DefaultExpirationDays": 1.5}')
    assert "'DefaultExpirationDays'" in message
    message = _invalid("POST", "/domains/d", b'{"Matching": []}')
    assert "'Matching'" in message and "an object" in message
    message = _invalid("POST", "/domains/d", b'{"Matching": {"Enabled": "yes"}}')
    assert "'Matching.Enabled'" in message
    message = _invalid("POST", "/domains/d/profiles/search", b'{"Values": ["a", 2]}')
    assert "'Values.2'" in message


def test_integral_float_is_an_integer() -> None:
    assert (
        _rest("POST", "/domains/d", b'{"DefaultExpirationDays": 7.0}')["DefaultExpirationDays"] == 7
    )


def test_malformed_json() -> None:
    assert "not valid JSON" in _invalid("POST", "/domains/d", b'{"DefaultExpirationDays": ')
    assert "JSON object" in _invalid("POST", "/domains/d", b"[1, 2]")


def test_empty_body_and_unknown_members() -> None:
    assert _rest("POST", "/domains/d") == {"DomainName": "d"}
    params = _rest("POST", "/domains/d", b'{"Surprise": 1, "DefaultExpirationDays": 3}')
    assert params == {"DomainName": "d", "DefaultExpirationDays": 3}


def test_null_members_are_absent() -> None:
    assert _rest("POST", "/domains/d", b'{"DefaultExpirationDays": null}') == {"DomainName": "d"}


def test_json_10_request() -> None:
    body = b'{"name": "n", "phone": "+1206", "businessName": "b", "logging": "ENABLED"}'
    request = HttpRequest("POST", "/", "", {"x-amz-target": "B2BI.CreateProfile"}, body)
    params = parse_json_request(B2BI, "CreateProfile", request)
    assert params["name"] == "n" and params["logging"] == "ENABLED"
    bad = HttpRequest("POST", "/", "", {}, b'{"name": 5}')
    with pytest.raises(ServiceError) as caught:
        parse_json_request(B2BI, "CreateProfile", bad)
    assert "'name'" in caught.value.message


def test_timestamp_helpers() -> None:
    moment = datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=UTC)
    assert format_timestamp(moment, "unixTimestamp") == 1704164645.25
    assert format_timestamp(moment, "iso8601") == "2024-01-02T03:04:05.250Z"
    assert format_timestamp(moment, "rfc822") == "Tue, 02 Jan 2024 03:04:05 GMT"
    for text in ("1704164645.25", "2024-01-02T03:04:05.250Z", "2024-01-02T04:04:05.25+01:00"):
        assert parse_timestamp(text) == moment
    assert parse_timestamp("Tue, 02 Jan 2024 03:04:05 GMT") == moment.replace(microsecond=0)
    with pytest.raises(ValueError):
        parse_timestamp(True)
