"""Parse an HTTP request into botocore-style ``params`` for its operation, driven by the model.

rest-json: URI labels, query string, headers and a JSON (or payload) body; json 1.0: the JSON
body. Values are converted to Python types (int, float, bool, aware UTC datetime, bytes); a
value of the wrong JSON type is an INVALID error naming the member path. Unknown members are
ignored. Constraints are the validator's business, not the parser's.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.jsontext import parse
from openprofiles.protocol import timestamps
from openprofiles.protocol.http import HttpRequest
from openprofiles.protocol.shapes import MemberInfo, ShapeInfo, input_info

Params = dict[str, Any]

_JSON_TYPE_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}
_EXPECTED = {
    "structure": "an object",
    "map": "an object",
    "list": "an array",
    "string": "a string",
    "boolean": "a boolean",
    "integer": "an integer",
    "long": "an integer",
    "short": "an integer",
    "byte": "an integer",
    "float": "a number",
    "double": "a number",
    "timestamp": "a timestamp (epoch seconds or ISO 8601)",
    "blob": "a base64-encoded string",
}
_SPECIAL_FLOATS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def _wrong(path: str, info: ShapeInfo, value: object) -> ServiceError:
    got = _JSON_TYPE_NAMES.get(type(value), type(value).__name__)
    expected = _EXPECTED.get(info.type, info.type)
    return ServiceError(
        ErrorKind.INVALID,
        f"1 validation error detected: Value at '{path}' failed to satisfy constraint: "
        f"Member must be {expected}, not {got}",
    )


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def from_json(value: Any, info: ShapeInfo, path: str, ts_format: str | None = None) -> Any:
    """Convert a decoded JSON value to the Python value for ``info`` (None stays None)."""
    if value is None:
        return None
    kind = info.type
    if kind == "structure":
        if not isinstance(value, dict):
            raise _wrong(path, info, value)
        out: Params = {}
        for key, item in value.items():
            member = info.by_wire_name.get(key)
            if member is None or item is None:
                continue
            out[member.name] = from_json(
                item, member.shape, _join(path, member.name), member.timestamp_format
            )
        return out
    if kind == "list":
        if not isinstance(value, list):
            raise _wrong(path, info, value)
        assert info.member is not None
        element = info.member
        return [
            from_json(item, element.shape, f"{path}.{i}", element.timestamp_format)
            for i, item in enumerate(value, 1)
        ]
    if kind == "map":
        if not isinstance(value, dict):
            raise _wrong(path, info, value)
        assert info.value is not None
        entry = info.value
        return {
            key: from_json(item, entry.shape, _join(path, key), entry.timestamp_format)
            for key, item in value.items()
        }
    if kind == "string":
        if not isinstance(value, str):
            raise _wrong(path, info, value)
        return value
    if kind in ("integer", "long", "short", "byte"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _wrong(path, info, value)
        if isinstance(value, float):
            if not value.is_integer():
                raise _wrong(path, info, value)
            return int(value)
        return value
    if kind in ("float", "double"):
        if isinstance(value, str) and value in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[value]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _wrong(path, info, value)
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _wrong(path, info, value)
        return value
    if kind == "timestamp":
        try:
            return timestamps.parse_timestamp(value)
        except (ValueError, OverflowError, OSError):
            raise _wrong(path, info, value) from None
    if kind == "blob":
        if not isinstance(value, str):
            raise _wrong(path, info, value)
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise _wrong(path, info, value) from None
    return value  # document and anything untyped: any JSON


def from_text(text: str, member: MemberInfo, path: str) -> Any:
    """Convert a URI label, query value or header value to the member's Python type."""
    info = member.shape
    kind = info.type
    if kind == "string":
        if member.jsonvalue:
            try:
                return json.loads(base64.b64decode(text))
            except (binascii.Error, ValueError):
                raise _wrong(path, info, text) from None
        return text
    if kind in ("integer", "long", "short", "byte"):
        try:
            return int(text)
        except ValueError:
            raise _wrong(path, info, text) from None
    if kind in ("float", "double"):
        if text in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[text]
        try:
            return float(text)
        except ValueError:
            raise _wrong(path, info, text) from None
    if kind == "boolean":
        lowered = text.lower()
        if lowered not in ("true", "false"):
            raise _wrong(path, info, text)
        return lowered == "true"
    if kind == "timestamp":
        try:
            return timestamps.parse_timestamp(text)
        except (ValueError, OverflowError, OSError):
            raise _wrong(path, info, text) from None
    if kind == "blob":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise _wrong(path, info, text) from None
    if kind == "list" and info.member is not None:
        element = info.member
        return [
            from_text(part.strip(), element, f"{path}.{i}")
            for i, part in enumerate(text.split(","), 1)
        ]
    return text


def decode_body(body: bytes) -> Any:
    """The JSON document in ``body``; an empty body is an empty object."""
    if not body.strip():
        return {}
    try:
        return parse(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ServiceError(
            ErrorKind.INVALID, f"The request body is not valid JSON: {exc}"
        ) from None


@dataclass(frozen=True)
class _Plan:
    """Where each input member of one operation lives on the wire."""

    body: ShapeInfo | None  # the shape whose members make up the JSON body
    payload: MemberInfo | None
    uri: tuple[MemberInfo, ...]
    query: tuple[MemberInfo, ...]
    query_map: MemberInfo | None
    headers: tuple[MemberInfo, ...]
    header_maps: tuple[MemberInfo, ...]


@functools.cache
def _plan(service: str, operation: str) -> _Plan:
    info = input_info(service, operation)
    if info is None:
        return _Plan(None, None, (), (), None, (), ())
    by_location: dict[str | None, list[MemberInfo]] = {}
    for member in info.members.values():
        by_location.setdefault(member.location, []).append(member)
    query = by_location.get("querystring", [])
    query_maps = [m for m in query if m.shape.type == "map"]
    payload = info.members[info.payload] if info.payload else None
    return _Plan(
        body=None if payload else info,
        payload=payload,
        uri=tuple(by_location.get("uri", ())),
        query=tuple(m for m in query if m.shape.type != "map"),
        query_map=query_maps[0] if query_maps else None,
        headers=tuple(by_location.get("header", ())),
        header_maps=tuple(by_location.get("headers", ())),
    )


def parse_json_request(service: str, operation: str, request: HttpRequest) -> Params:
    """Params of a json 1.0/1.1 request: the whole body is the input structure."""
    info = input_info(service, operation)
    document = decode_body(request.body)
    if info is None:
        return {}
    if not isinstance(document, dict):
        raise ServiceError(ErrorKind.INVALID, "The request body must be a JSON object")
    result: Params = from_json(document, info, "")
    return result


def parse_rest_request(
    service: str, operation: str, request: HttpRequest, labels: dict[str, str]
) -> Params:
    """Params of a rest-json request, given the URI labels the router decoded."""
    plan = _plan(service, operation)
    params: Params = {}
    for member in plan.uri:
        if member.wire_name in labels:
            params[member.name] = from_text(labels[member.wire_name], member, member.name)
    if plan.query or plan.query_map:
        _parse_query(plan, request.query_string, params)
    for member in plan.headers:
        value = request.headers.get(member.wire_name.lower())
        if value is not None:
            params[member.name] = _header_value(value, member)
    for member in plan.header_maps:
        prefix = member.wire_name.lower()
        found = {k[len(prefix) :]: v for k, v in request.headers.items() if k.startswith(prefix)}
        if found:
            params[member.name] = found
    if plan.payload is not None:
        _parse_payload(plan.payload, request.body, params)
    elif plan.body is not None and plan.body.by_wire_name:
        document = decode_body(request.body)
        if not isinstance(document, dict):
            raise ServiceError(ErrorKind.INVALID, "The request body must be a JSON object")
        params.update(from_json(document, plan.body, ""))
    return params


def _header_value(value: str, member: MemberInfo) -> Any:
    if member.shape.type == "timestamp":
        try:
            return timestamps.parse_timestamp(value)
        except (ValueError, OverflowError, OSError):
            raise _wrong(member.name, member.shape, value) from None
    return from_text(value, member, member.name)


def _parse_query(plan: _Plan, query_string: str, params: Params) -> None:
    values: dict[str, list[str]] = {}
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        values.setdefault(key, []).append(value)
    claimed = set()
    for member in plan.query:
        found = values.get(member.wire_name)
        claimed.add(member.wire_name)
        if not found:
            continue
        if member.shape.type == "list" and member.shape.member is not None:
            element = member.shape.member
            params[member.name] = [
                from_text(v, element, f"{member.name}.{i}") for i, v in enumerate(found, 1)
            ]
        else:
            params[member.name] = from_text(found[0], member, member.name)
    if plan.query_map is not None:
        params_map = _query_map(plan.query_map, values, claimed)
        if params_map:
            params[plan.query_map.name] = params_map


def _query_map(member: MemberInfo, values: dict[str, list[str]], claimed: set[str]) -> Params:
    assert member.shape.value is not None
    entry = member.shape.value
    as_list = entry.shape.type == "list" and entry.shape.member is not None
    element = entry.shape.member if as_list and entry.shape.member is not None else entry
    out: Params = {}
    for key, found in values.items():
        if key in claimed or key.startswith("X-Amz-"):  # SigV4 query authentication
            continue
        path = f"{member.name}.{key}"
        if as_list:
            out[key] = [from_text(v, element, path) for v in found]
        else:
            out[key] = from_text(found[0], element, path)
    return out


def _parse_payload(member: MemberInfo, body: bytes, params: Params) -> None:
    if member.shape.type == "structure":
        document = decode_body(body)
        if document != {} or body.strip():
            params[member.name] = from_json(document, member.shape, member.name)
    elif body:
        if member.shape.type == "string":
            params[member.name] = body.decode("utf-8", errors="replace")
        else:
            params[member.name] = body
