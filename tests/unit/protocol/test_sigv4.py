"""SigV4 verification against requests signed by botocore."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from openprofiles.config import parse_credentials
from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.protocol.http import HttpRequest
from openprofiles.protocol.models import B2BI, CUSTOMER_PROFILES
from openprofiles.protocol.scope import CredentialScope, credential_scope, partition_regions
from openprofiles.protocol.sigv4 import verify_request

CREDENTIALS = parse_credentials("AKID:secret:123456789012,other:s2:210987654321")
PROFILE = credential_scope(CUSTOMER_PROFILES)
ENDPOINT = "http://127.0.0.1:4599"


def _received(request: AWSRequest) -> HttpRequest:
    """What the server sees of a request botocore prepared and signed."""
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    headers = {k.lower(): v for k, v in prepared.headers.items()}
    headers.setdefault("host", parts.netloc)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    return HttpRequest(prepared.method, parts.path, parts.query, headers, body)


def _signed(
    method: str = "POST",
    path: str = "/domains/d/profiles",
    body: bytes = b'{"FirstName":"A"}',
    secret: str = "secret",
    key: str = "AKID",
    params: dict[str, str] | None = None,
) -> HttpRequest:
    request = AWSRequest(
        method=method, url=ENDPOINT + path, data=body, params=params or {},
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    SigV4Auth(Credentials(key, secret), "profile", "eu-west-1").add_auth(request)
    return _received(request)


def _now() -> datetime:
    return datetime.now(UTC)


def _kind(request: HttpRequest, now: datetime | None = None) -> ErrorKind:
    with pytest.raises(ServiceError) as err:
        verify_request(request, CREDENTIALS, PROFILE, now or _now())
    return err.value.kind


def test_header_signature_gives_the_caller() -> None:
    caller = verify_request(_signed(), CREDENTIALS, PROFILE, _now())
    assert (caller.account, caller.region, caller.access_key) == (
        "123456789012",
        "eu-west-1",
        "AKID",
    )


def test_get_with_query_and_encoded_arn_label() -> None:
    arn = "arn%3Aaws%3Aprofile%3Aus-east-1%3A123456789012%3Adomains%2Fd"
    request = _signed(
        "GET", f"/tags/{arn}", b"", params={"max-results": "5", "next-token": "a b/c"}
    )
    assert verify_request(request, CREDENTIALS, PROFILE, _now()).account == "123456789012"


def test_presigned_query_form() -> None:
    request = AWSRequest(method="GET", url=ENDPOINT + "/domains", params={"max-results": "3"})
    SigV4QueryAuth(Credentials("AKID", "secret"), "profile", "us-east-1", expires=60).add_auth(
        request
    )
    received = _received(request)
    assert "X-Amz-Signature" in received.query_string
    assert verify_request(received, CREDENTIALS, PROFILE, _now()).region == "us-east-1"
    assert _kind(received, _now() + timedelta(minutes=2)) is ErrorKind.INVALID_SIGNATURE


def test_unsigned_unknown_key_and_wrong_secret() -> None:
    plain = HttpRequest("GET", "/domains", "", {"host": "127.0.0.1:4599"}, b"")
    assert _kind(plain) is ErrorKind.MISSING_AUTH
    assert _kind(_signed(key="nobody")) is ErrorKind.UNRECOGNIZED_CLIENT
    assert _kind(_signed(secret="wrong")) is ErrorKind.INVALID_SIGNATURE


def test_tampering_is_detected() -> None:
    good = _signed()
    tampered_body = HttpRequest(
        good.method, good.path, good.query_string, good.headers, b'{"FirstName":"B"}'
    )
    assert _kind(tampered_body) is ErrorKind.INVALID_SIGNATURE
    headers = {**good.headers, "content-type": "text/plain"}
    tampered_header = HttpRequest(good.method, good.path, good.query_string, headers, good.body)
    assert _kind(tampered_header) is ErrorKind.INVALID_SIGNATURE
    tampered_path = HttpRequest(good.method, "/domains/e/profiles", "", good.headers, good.body)
    assert _kind(tampered_path) is ErrorKind.INVALID_SIGNATURE


def test_declared_payload_hash_must_match_the_body() -> None:
    request = AWSRequest(
        method="POST", url=ENDPOINT + "/domains/d", data=b"{}",
        headers={"X-Amz-Content-SHA256": hashlib.sha256(b"other").hexdigest()},
    )  # fmt: skip
    SigV4Auth(Credentials("AKID", "secret"), "profile", "us-east-1").add_auth(request)
    assert _kind(_received(request)) is ErrorKind.INVALID_SIGNATURE


def test_clock_skew_of_more_than_15_minutes_is_refused() -> None:
    request = _signed()
    assert verify_request(request, CREDENTIALS, PROFILE, _now() + timedelta(minutes=14)).account
    with pytest.raises(ServiceError) as err:
        verify_request(request, CREDENTIALS, PROFILE, _now() + timedelta(minutes=16))
    assert err.value.kind is ErrorKind.INVALID_SIGNATURE
    assert "Signature expired" in err.value.message
    assert _kind(request, _now() - timedelta(minutes=16)) is ErrorKind.INVALID_SIGNATURE


def _signed_at(request: HttpRequest) -> datetime:
    stamp = request.headers.get("x-amz-date") or dict(
        p.split("=", 1) for p in request.query_string.split("&")
    ).get("X-Amz-Date", "")
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def test_skew_messages_name_both_times() -> None:
    request = _signed()
    at = _signed_at(request)
    stamp = at.strftime("%Y%m%dT%H%M%SZ")
    with pytest.raises(ServiceError) as late:
        verify_request(request, CREDENTIALS, PROFILE, at + timedelta(minutes=20))
    earliest = (at + timedelta(minutes=5)).strftime("%Y%m%dT%H%M%SZ")
    now = (at + timedelta(minutes=20)).strftime("%Y%m%dT%H%M%SZ")
    assert late.value.message == (
        f"Signature expired: {stamp} is now earlier than {earliest} ({now} - 15 min.)"
    )
    with pytest.raises(ServiceError) as early:
        verify_request(request, CREDENTIALS, PROFILE, at - timedelta(minutes=20))
    assert early.value.message.startswith(f"Signature not yet current: {stamp} is still later")


def test_b2bi_json_request_signed_for_b2bi() -> None:
    request = AWSRequest(
        method="POST", url=ENDPOINT + "/", data=b'{"profileId":"p-1"}',
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "B2BI.GetProfile"},
    )  # fmt: skip
    SigV4Auth(Credentials("other", "s2"), "b2bi", "us-west-2").add_auth(request)
    caller = verify_request(_received(request), CREDENTIALS, credential_scope(B2BI), _now())
    assert (caller.account, caller.region) == ("210987654321", "us-west-2")


def test_unnormalised_path_is_signed_normalised() -> None:
    request = _signed("GET", "/domains//d/./profiles/../objects", b"")
    assert request.path == "/domains//d/./profiles/../objects"  # sent as written
    assert verify_request(request, CREDENTIALS, PROFILE, _now()).access_key == "AKID"


def test_header_whitespace_is_collapsed() -> None:
    request = AWSRequest(
        method="GET", url=ENDPOINT + "/domains", headers={"X-Custom": "  a   b  c "}
    )
    SigV4Auth(Credentials("AKID", "secret"), "profile", "us-east-1").add_auth(request)
    received = _received(request)
    assert received.headers["x-custom"] == "  a   b  c "
    assert "x-custom" in received.headers["authorization"]
    assert verify_request(received, CREDENTIALS, PROFILE, _now()).account == "123456789012"


def test_non_ascii_and_reserved_query_values() -> None:
    params = {"q": "é ü+&=/", "b": "", "a": "~x"}
    caller = verify_request(
        _signed("GET", "/domains", b"", params=params), CREDENTIALS, PROFILE, _now()
    )
    assert (caller.account, caller.region) == ("123456789012", "eu-west-1")


def test_matching_declared_payload_hash_is_accepted() -> None:
    body = b'{"DomainName":"d"}'
    request = AWSRequest(
        method="POST", url=ENDPOINT + "/domains/d", data=body,
        headers={"X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()},
    )  # fmt: skip
    SigV4Auth(Credentials("AKID", "secret"), "profile", "us-east-1").add_auth(request)
    assert (
        verify_request(_received(request), CREDENTIALS, PROFILE, _now()).account == "123456789012"
    )


def _presigned(expires: int = 3600, **params: str) -> HttpRequest:
    request = AWSRequest(method="GET", url=ENDPOINT + "/domains/d", params=params)
    SigV4QueryAuth(Credentials("AKID", "secret"), "profile", "us-east-1", expires=expires).add_auth(
        request
    )
    return _received(request)


def test_presigned_is_valid_until_it_expires_not_only_15_minutes() -> None:
    request = _presigned(3600)
    at = _signed_at(request)
    assert verify_request(request, CREDENTIALS, PROFILE, at + timedelta(minutes=59)).account
    with pytest.raises(ServiceError) as err:
        verify_request(request, CREDENTIALS, PROFILE, at + timedelta(minutes=61))
    assert err.value.kind is ErrorKind.INVALID_SIGNATURE
    assert "Signature expired" in err.value.message
    assert _kind(request, at - timedelta(minutes=16)) is ErrorKind.INVALID_SIGNATURE


def test_presigned_tampering_and_limits() -> None:
    request = _presigned(60, **{"max-results": "3"})
    tampered = HttpRequest(
        request.method,
        request.path,
        request.query_string.replace("max-results=3", "max-results=4"),
        request.headers,
        b"",
    )
    assert _kind(tampered) is ErrorKind.INVALID_SIGNATURE
    assert _kind(_presigned(604801)) is ErrorKind.INVALID_SIGNATURE


def test_unsupported_or_malformed_authorization() -> None:
    base = {"host": "127.0.0.1:4599", "x-amz-date": "20261125T101500Z"}
    for value in ("AWS AKID:sig", "AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1"):
        request = HttpRequest("GET", "/domains", "", {**base, "authorization": value}, b"")
        assert _kind(request) is ErrorKind.INVALID_SIGNATURE


def test_signing_keys_are_cached() -> None:
    from openprofiles.protocol.sigv4 import _signing_key

    verify_request(_signed(), CREDENTIALS, PROFILE, _now())
    hits = _signing_key.cache_info().hits
    verify_request(_signed(), CREDENTIALS, PROFILE, _now())
    assert _signing_key.cache_info().hits == hits + 1


def _signed_for(service: str, region: str, secret: str = "secret") -> HttpRequest:
    request = AWSRequest(method="GET", url=ENDPOINT + "/domains")
    SigV4Auth(Credentials("AKID", secret), service, region).add_auth(request)
    return _received(request)


def _refusal(request: HttpRequest, expected: CredentialScope = PROFILE) -> str:
    with pytest.raises(ServiceError) as err:
        verify_request(request, CREDENTIALS, expected, _now())
    assert err.value.kind is ErrorKind.INVALID_SIGNATURE
    return err.value.message


def test_the_scope_must_name_the_operations_service() -> None:
    assert _refusal(_signed_for("s3", "us-east-1")) == (
        "Credential should be scoped to correct service: 'profile'."
    )
    b2bi = credential_scope(B2BI)
    assert _refusal(_signed_for("profile", "us-east-1"), b2bi) == (
        "Credential should be scoped to correct service: 'b2bi'."
    )
    # before the signature is computed: a wrong secret is not what the answer is about
    assert "correct service" in _refusal(_signed_for("s3", "us-east-1", secret="wrong"))


def test_the_scope_must_name_a_region_of_the_aws_partition() -> None:
    message = _refusal(_signed_for("profile", "mars-north-9"))
    assert message.startswith("Credential should be scoped to a valid region. 'mars-north-9'")
    assert "aws partition" in message and "OPENPROFILES_REGIONS" in message
    assert "valid region" in _refusal(_signed_for("profile", "cn-north-1"))  # arn:aws-cn:
    for region in ("us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"):
        assert verify_request(_signed_for("profile", region), CREDENTIALS, PROFILE, _now())


def test_a_configured_region_list_replaces_the_partitions() -> None:
    configured = credential_scope(CUSTOMER_PROFILES, ["eu-west-1", "mars-north-9"])
    caller = verify_request(_signed_for("profile", "mars-north-9"), CREDENTIALS, configured, _now())
    assert caller.region == "mars-north-9"
    message = _refusal(_signed_for("profile", "us-east-1"), configured)
    assert "one of eu-west-1, mars-north-9" in message


def test_the_partitions_regions_come_from_botocores_endpoint_data() -> None:
    regions = partition_regions()
    assert {"us-east-1", "eu-west-1", "ap-northeast-1", "ca-central-1"} <= regions
    assert not regions & {"cn-north-1", "us-gov-west-1", "mars-north-9"}
