"""Serialize handler output and errors the way botocore's parsers expect, driven by the model.

rest-json: header members to headers, ``statusCode`` to the status, a payload member as the
body, the rest as a JSON object. json 1.0: a JSON object. Timestamps are epoch seconds unless
the model says otherwise; blobs base64; unset members omitted; members the model does not know
are dropped.
"""

from __future__ import annotations

import base64
import functools
import json
import math
from datetime import datetime
from typing import Any

from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.protocol import timestamps
from openprofiles.protocol.http import HttpResponse
from openprofiles.protocol.models import B2BI, load_service_model, operation_model
from openprofiles.protocol.shapes import MemberInfo, ShapeInfo, output_info

Params = dict[str, Any]

REST_JSON_CONTENT_TYPE = "application/json"
JSON_10_CONTENT_TYPE = "application/x-amz-json-1.0"

# Errors whose code and status are the same for every service.
_COMMON_ERRORS: dict[ErrorKind, tuple[str, int]] = {
    ErrorKind.NOT_IMPLEMENTED: ("NotImplementedException", 501),
    ErrorKind.UNKNOWN_OPERATION: ("UnknownOperationException", 404),
    ErrorKind.MISSING_AUTH: ("MissingAuthenticationTokenException", 403),
    ErrorKind.UNRECOGNIZED_CLIENT: ("UnrecognizedClientException", 403),
    ErrorKind.INVALID_SIGNATURE: ("InvalidSignatureException", 403),
}
_SERVICE_ERRORS: dict[str, dict[ErrorKind, tuple[str, int]]] = {
    "customer-profiles": {
        ErrorKind.INVALID: ("BadRequestException", 400),
        ErrorKind.CONFLICT: ("BadRequestException", 400),
        ErrorKind.QUOTA: ("BadRequestException", 400),
        ErrorKind.NOT_FOUND: ("ResourceNotFoundException", 404),
        ErrorKind.ACCESS_DENIED: ("AccessDeniedException", 403),
        ErrorKind.THROTTLED: ("ThrottlingException", 429),
        ErrorKind.INTERNAL: ("InternalServerException", 500),
    },
    # b2bi's error shapes declare no HTTP status: botocore expects 400 for all but 500s.
    "b2bi": {
        ErrorKind.INVALID: ("ValidationException", 400),
        ErrorKind.NOT_FOUND: ("ResourceNotFoundException", 400),
        ErrorKind.CONFLICT: ("ConflictException", 400),
        ErrorKind.QUOTA: ("ServiceQuotaExceededException", 400),
        ErrorKind.ACCESS_DENIED: ("AccessDeniedException", 400),
        ErrorKind.THROTTLED: ("ThrottlingException", 400),
        ErrorKind.INTERNAL: ("InternalServerException", 500),
    },
}


def error_code(service: str, kind: ErrorKind) -> tuple[str, int]:
    """(error code, HTTP status) of ``kind`` for ``service``."""
    found = _COMMON_ERRORS.get(kind) or _SERVICE_ERRORS[service].get(kind)
    return found if found is not None else ("InternalServerException", 500)


def dumps(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def to_json(value: Any, info: ShapeInfo, ts_format: str | None = None) -> Any:
    """The JSON-ready form of ``value`` for ``info`` (None members dropped)."""
    kind = info.type
    if kind == "structure":
        out: Params = {}
        for name, item in value.items():
            member = info.members.get(name)
            if member is None or item is None:
                continue
            out[member.wire_name] = to_json(item, member.shape, member.timestamp_format)
        return out
    if kind == "list":
        assert info.member is not None
        element = info.member
        return [to_json(v, element.shape, element.timestamp_format) for v in value]
    if kind == "map":
        assert info.value is not None
        entry = info.value
        return {
            str(k): to_json(v, entry.shape, entry.timestamp_format)
            for k, v in value.items()
            if v is not None
        }
    if kind == "timestamp" and isinstance(value, datetime):
        return timestamps.format_timestamp(
            value, ts_format or info.timestamp_format or timestamps.BODY
        )
    if kind == "blob":
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode("ascii")
    if kind in ("float", "double") and isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def _header_value(value: Any, member: MemberInfo) -> str:
    kind = member.shape.type
    if kind == "timestamp" and isinstance(value, datetime):
        fmt = member.timestamp_format or member.shape.timestamp_format or timestamps.HEADER
        return str(timestamps.format_timestamp(value, fmt))
    if member.jsonvalue:
        return base64.b64encode(dumps(value)).decode("ascii")
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "list":
        return ",".join(str(v) for v in value)
    if kind == "blob":
        return base64.b64encode(value).decode("ascii")
    return str(value)


@functools.cache
def _success_status(service: str, operation: str) -> int:
    status: int = operation_model(service, operation).http.get("responseCode", 200)
    return status


def serialize_output(
    service: str, operation: str, output: Params | None, request_id: str
) -> HttpResponse:
    """The HTTP response of a successful call of ``operation``."""
    info = output_info(service, operation)
    output = output or {}
    if service == B2BI:
        body = dumps(to_json(output, info) if info is not None else {})
        return HttpResponse(200, _headers(JSON_10_CONTENT_TYPE, request_id), body)
    status = _success_status(service, operation)
    headers = _headers(REST_JSON_CONTENT_TYPE, request_id)
    if info is None:
        return HttpResponse(status, headers, b"{}")
    body_values: Params = {}
    payload: bytes | None = None
    for name, value in output.items():
        member = info.members.get(name)
        if member is None or value is None:
            continue
        location = member.location
        if name == info.payload:
            payload = _payload(value, member)
        elif location is None:
            body_values[name] = value
        elif location == "statusCode":
            status = int(value)
        elif location == "header":
            headers[member.wire_name] = _header_value(value, member)
        elif location == "headers":
            for key, item in value.items():
                headers[member.wire_name + key] = str(item)
    if payload is None:
        payload = dumps(to_json(body_values, info))
    return HttpResponse(status, headers, payload)


def _payload(value: Any, member: MemberInfo) -> bytes:
    if member.shape.type == "structure":
        return dumps(to_json(value, member.shape))
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)


def _headers(content_type: str, request_id: str) -> dict[str, str]:
    return {"Content-Type": content_type, "x-amzn-RequestId": request_id}


@functools.cache
def _message_member(service: str, code: str) -> str:
    """How the service's error shape ``code`` spells its message member."""
    for shape in load_service_model(service).error_shapes:
        if shape.name == code:
            for name in shape.members:
                if name.lower() == "message":
                    return str(name)
    return "Message" if service != B2BI else "message"


def serialize_error(service: str, error: ServiceError, request_id: str) -> HttpResponse:
    """The AWS-shaped error response for ``error``."""
    code, status = error_code(service, error.kind)
    headers = _headers(
        JSON_10_CONTENT_TYPE if service == B2BI else REST_JSON_CONTENT_TYPE, request_id
    )
    headers["x-amzn-ErrorType"] = code
    document: Params
    if service == B2BI:
        document = {"__type": code, _message_member(service, code): error.message}
        for key, value in error.fields.items():
            document.setdefault(key, value)
    else:
        document = {"Message": error.message}
    return HttpResponse(status, headers, json.dumps(document, default=str).encode("utf-8"))
