"""AWS Signature Version 4 verification, header and presigned-query forms.

The canonical request is rebuilt from the request as received, the way AWS does for every
service but S3: the (already percent-encoded) path has its dot segments and empty segments
removed and is encoded once more (botocore's ``SigV4Auth``); query parameters are decoded
(``+`` is a space: botocore's presigner sends form-encoded values), re-encoded and sorted; the
signed headers' values are trimmed with inner whitespace collapsed; the payload hash is the
SHA-256 of the body (an ``x-amz-content-sha256`` header must equal it). A header-signed request
must be within 15 minutes of the server's clock; a presigned one must not be from more than 15
minutes in the future nor used after its ``X-Amz-Expires``. Before any of that, the credential
scope must name the operation's service and a known region (:mod:`openprofiles.protocol.scope`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import quote, unquote_plus, unquote_to_bytes

from openprofiles.config import Credential
from openprofiles.context import Caller
from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.protocol.http import HttpRequest
from openprofiles.protocol.scope import CredentialScope

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = timedelta(minutes=15)
MAX_PRESIGN_EXPIRES = 604800  # seconds: a week, as AWS allows
_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


def _error(kind: ErrorKind, message: str) -> ServiceError:
    return ServiceError(kind, message)


def _invalid_signature(message: str = _MISMATCH) -> ServiceError:
    return _error(ErrorKind.INVALID_SIGNATURE, message)


def _query_pairs(query_string: str) -> list[tuple[str, str]]:
    """Decoded (name, value) pairs; "+" is a space, a literal plus arrives as %2B."""
    pairs = []
    for part in query_string.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((unquote_plus(key), unquote_plus(value)))
    return pairs


def _canonical_query(query_string: str, skip: str = "") -> str:
    """Sorted, uniformly re-encoded query; ``skip`` names a parameter to leave out."""
    encoded = []
    for part in query_string.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        # Bytes, not str, so a value that is not UTF-8 is re-encoded exactly as it was signed.
        name = quote(unquote_to_bytes(key.replace("+", " ")), safe="-_.~")
        if name != skip:
            encoded.append((name, quote(unquote_to_bytes(value.replace("+", " ")), safe="-_.~")))
    encoded.sort()
    return "&".join(f"{k}={v}" for k, v in encoded)


def _canonical_path(raw_path: str) -> str:
    segments = [s for s in raw_path.split("/") if s and s != "."]
    output: list[str] = []
    for segment in segments:
        if segment == "..":
            if output:
                output.pop()
        else:
            output.append(segment)
    path = "/" + "/".join(output)
    if raw_path.endswith("/") and output:
        path += "/"
    # The path was decoded from the wire as latin-1: back to its bytes before encoding.
    return quote(path.encode("latin-1", "replace"), safe="/~")


@lru_cache(maxsize=256)
def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _parse_authorization(header: str) -> tuple[str, list[str], str]:
    """(credential, signed header names, signature) from an Authorization header."""
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise _error(
            ErrorKind.INVALID_SIGNATURE,
            f"Unsupported authorization type {algorithm!r}; use {ALGORITHM}.",
        )
    fields: dict[str, str] = {}
    for item in rest.split(","):
        name, _, value = item.strip().partition("=")
        fields[name] = value
    try:
        return fields["Credential"], fields["SignedHeaders"].split(";"), fields["Signature"]
    except KeyError as missing:
        raise _error(
            ErrorKind.INVALID_SIGNATURE,
            f"Authorization header requires a {missing.args[0]} parameter.",
        ) from None


def verify_request(
    request: HttpRequest,
    credentials: Mapping[str, Credential],
    expected: CredentialScope,
    now: datetime,
) -> Caller:
    """The caller a correctly signed request comes from; ServiceError (403) otherwise.

    ``expected``: the service the request must be signed for and the regions it may name.
    """
    headers = request.headers
    authorization = headers.get("authorization")
    # The query is only decoded for the presigned form; the header form is the hot path.
    query = {} if authorization is not None else dict(_query_pairs(request.query_string))
    presigned = "X-Amz-Signature" in query
    if authorization is None and not presigned:
        raise _error(ErrorKind.MISSING_AUTH, "Missing Authentication Token")

    if presigned:
        if query.get("X-Amz-Algorithm") != ALGORITHM:
            raise _invalid_signature(f"X-Amz-Algorithm must be {ALGORITHM}.")
        credential = query.get("X-Amz-Credential", "")
        signed_names = query.get("X-Amz-SignedHeaders", "").split(";")
        signature = query["X-Amz-Signature"]
        amz_date = query.get("X-Amz-Date", "")
    else:
        assert authorization is not None
        credential, signed_names, signature = _parse_authorization(authorization)
        amz_date = headers.get("x-amz-date") or headers.get("date", "")

    scope = credential.split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise _invalid_signature(
            "Credential should be scoped to a valid region, service and aws4_request."
        )
    access_key, date, region, service, _ = scope
    if service != expected.service:
        raise _invalid_signature(
            f"Credential should be scoped to correct service: '{expected.service}'."
        )
    if region not in expected.regions:
        raise _invalid_signature(
            f"Credential should be scoped to a valid region. {region!r} is not one this server "
            f"knows: sign for {expected.regions_text}."
        )
    known = credentials.get(access_key)
    if known is None:
        raise _error(
            ErrorKind.UNRECOGNIZED_CLIENT,
            "The security token included in the request is invalid.",
        )
    _check_time(amz_date, date, now, query.get("X-Amz-Expires") if presigned else None)

    body_hash = hashlib.sha256(request.body).hexdigest()
    declared = headers.get("x-amz-content-sha256")
    if declared is not None and declared != body_hash:
        raise _invalid_signature(
            "The provided x-amz-content-sha256 header does not match the SHA-256 of the body."
        )
    # A presigned URL may have been signed over the body's hash or, as some SDKs' presigners
    # do, over UNSIGNED-PAYLOAD.
    payload_hashes = [body_hash]
    if presigned and declared is None:
        payload_hashes.append("UNSIGNED-PAYLOAD")

    canonical_headers = []
    for name in signed_names:
        value = headers.get(name.lower())
        if value is None:
            raise _invalid_signature(f"Signed header {name!r} is missing from the request.")
        canonical_headers.append(f"{name.lower()}:{' '.join(value.split())}\n")
    head = "\n".join(
        [
            request.method.upper(),
            _canonical_path(request.path),
            _canonical_query(request.query_string, "X-Amz-Signature" if presigned else ""),
            "".join(canonical_headers),
            ";".join(signed_names),
        ]
    )
    key = _signing_key(known.secret_key, date, region, service)
    prefix = f"{ALGORITHM}\n{amz_date}\n{date}/{region}/{service}/aws4_request\n"
    for payload_hash in payload_hashes:
        canonical_request = f"{head}\n{payload_hash}"
        string_to_sign = prefix + hashlib.sha256(canonical_request.encode()).hexdigest()
        computed = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(computed.encode(), signature.encode()):
            return Caller(account=known.account, region=region, access_key=access_key)
    raise _invalid_signature()


def _parse_amz_date(value: str) -> datetime:
    # By hand: strptime is a third of the cost of verifying a request.
    try:
        if len(value) != 16 or value[8] != "T" or value[15] != "Z":
            raise ValueError(value)
        return datetime(
            int(value[0:4]), int(value[4:6]), int(value[6:8]),
            int(value[9:11]), int(value[11:13]), int(value[13:15]), tzinfo=UTC,
        )  # fmt: skip
    except ValueError:
        raise _invalid_signature(
            "The request must carry X-Amz-Date in the form YYYYMMDD'T'HHMMSS'Z'."
        ) from None


def _check_time(amz_date: str, scope_date: str, now: datetime, expires: str | None) -> None:
    """Refuse a request signed too far from ``now`` or, presigned, used after it expired.

    ``expires`` is the presigned form's X-Amz-Expires (None for a header-signed request).
    """
    signed_at = _parse_amz_date(amz_date)
    if not amz_date.startswith(scope_date):
        raise _invalid_signature("The credential scope date does not match X-Amz-Date.")
    stamp = now.strftime(_TIME_FORMAT)
    if signed_at > now + MAX_SKEW:
        latest = (now + MAX_SKEW).strftime(_TIME_FORMAT)
        raise _invalid_signature(
            f"Signature not yet current: {amz_date} is still later than {latest} "
            f"({stamp} + 15 min.)"
        )
    if expires is None:
        if signed_at < now - MAX_SKEW:
            earliest = (now - MAX_SKEW).strftime(_TIME_FORMAT)
            raise _invalid_signature(
                f"Signature expired: {amz_date} is now earlier than {earliest} ({stamp} - 15 min.)"
            )
        return
    if not expires.isdigit() or not 0 < int(expires) <= MAX_PRESIGN_EXPIRES:
        raise _invalid_signature(
            f"X-Amz-Expires must be a number of seconds from 1 to {MAX_PRESIGN_EXPIRES}."
        )
    if now > signed_at + timedelta(seconds=int(expires)):
        raise _invalid_signature(
            f"Signature expired: {amz_date} + {expires} seconds is now earlier than {stamp}."
        )
