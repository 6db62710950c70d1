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
from openprofiles.protocol.sigv4 import verify_request

CREDENTIALS = parse_credentials("AKID:secret:123456789012,other:s2:210987654321")
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
        verify_request(request, CREDENTIALS, now or _now())
    return err.value.kind


def test_header_signature_gives_the_caller() -> None:
    caller = verify_request(_signed(), CREDENTIALS, _now())
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
    assert verify_request(request, CREDENTIALS, _now()).account == "123456789012"


def test_presigned_query_form() -> None:
    request = AWSRequest(method="GET", url=ENDPOINT + "/domains", params={"max-results": "3"})
    SigV4QueryAuth(Credentials("AKID", "secret"), "profile", "us-east-1", expires=60).add_auth(
        request
    )
    received = _received(request)
    assert "X-Amz-Signature" in received.query_string
    assert verify_request(received, CREDENTIALS, _now()).region == "us-east-1"
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
    assert verify_request(request, CREDENTIALS, _now() + timedelta(minutes=14)).account
    with pytest.raises(ServiceError) as err:
        verify_request(request, CREDENTIALS, _now() + timedelta(minutes=16))
    assert err.value.kind is ErrorKind.INVALID_SIGNATURE
    assert "Signature expired" in err.value.message
    assert _kind(request, _now() - timedelta(minutes=16)) is ErrorKind.INVALID_SIGNATURE
