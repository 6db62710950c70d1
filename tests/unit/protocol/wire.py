"""Helpers for protocol tests: botocore as the client on either side of our code."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import HeadersDict, create_request_object, prepare_request_dict
from botocore.model import OperationModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from openprofiles.protocol.http import HttpRequest, HttpResponse

ENDPOINT = "https://openprofiles.example.com"


def botocore_request(operation: OperationModel, params: dict[str, Any]) -> HttpRequest:
    """What a botocore client would put on the wire for ``params``, as our HttpRequest."""
    protocol = operation.service_model.protocol
    serializer = create_serializer(protocol, include_validation=False)
    request_dict = serializer.serialize_to_request(params, operation)
    prepare_request_dict(request_dict, endpoint_url=ENDPOINT)
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {
        k.lower(): v if isinstance(v, str) else v.decode() for k, v in prepared.headers.items()
    }
    return HttpRequest(prepared.method, url.path, url.query, headers, body)


def botocore_parse(operation: OperationModel, response: HttpResponse) -> dict[str, Any]:
    """What a botocore client makes of our response (ResponseMetadata dropped)."""
    parser = create_parser(operation.service_model.protocol)
    headers = HeadersDict(response.headers)
    parsed: dict[str, Any] = parser.parse(
        {"status_code": response.status, "headers": headers, "body": response.body},
        operation.output_shape,
    )
    parsed.pop("ResponseMetadata", None)
    return parsed


def normalise(value: Any) -> Any:
    """Comparable form: datetimes as epoch seconds (millisecond precision), NaN as a marker."""
    if isinstance(value, datetime):
        return round(value.timestamp(), 3)
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value
