"""A compact, cached view of botocore shapes: what parser, validator and serializer need.

botocore builds a fresh ``Shape`` object on every access and keeps constraints in loosely
typed dicts; walking that per request is slow. Each shape is converted once into a
:class:`ShapeInfo` (keyed by service and shape name; recursion-safe) whose members carry their
wire placement (:class:`MemberInfo`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from botocore.model import Shape

from openprofiles.protocol.models import operation_model


@dataclass(eq=False)
class MemberInfo:
    """A reference to a shape from a structure member, list member, map key or map value."""

    name: str
    shape: ShapeInfo
    wire_name: str  # key in a JSON object, header name or prefix, query key, URI label
    location: str | None = None  # uri, querystring, header, headers, statusCode or None (body)
    timestamp_format: str | None = None
    jsonvalue: bool = False


@dataclass(eq=False)
class ShapeInfo:
    name: str
    type: str
    members: dict[str, MemberInfo] = field(default_factory=dict)
    by_wire_name: dict[str, MemberInfo] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    union: bool = False
    payload: str | None = None
    member: MemberInfo | None = None  # list
    key: MemberInfo | None = None  # map
    value: MemberInfo | None = None  # map
    min: float | None = None
    max: float | None = None
    enum: tuple[str, ...] = ()
    enum_set: frozenset[str] = frozenset()
    pattern: str | None = None
    regex: re.Pattern[str] | None = None
    sensitive: bool = False
    timestamp_format: str | None = None


# Java regex constructs with a different spelling in Python's ``re``.
_JAVA_CLASSES = {
    r"\p{Alpha}": "a-zA-Z",
    r"\p{Digit}": "0-9",
    r"\p{Alnum}": "a-zA-Z0-9",
    r"\p{Upper}": "A-Z",
    r"\p{Lower}": "a-z",
    r"\p{Punct}": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    r"\p{Space}": r" \t\n\x0b\f\r",
    r"\p{ASCII}": r"\x00-\x7f",
    r"\p{L}": "a-zA-Z\u00c0-\u024f",
    r"\p{N}": "0-9",
}


def translate_pattern(pattern: str) -> str:
    """Rewrite Java-only regex syntax the models may use into Python syntax."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "p" and pattern.startswith("{", i + 2) and "}" in pattern[i:]:
                close = pattern.index("}", i)
                body = _JAVA_CLASSES.get(pattern[i : close + 1])
                if body is not None:
                    out.append(body if in_class else f"[{body}]")
                    i = close + 1
                    continue
            out.append("\\Z" if nxt == "z" else c + nxt)
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        elif c == "+" and not in_class and out and out[-1] in ("*", "+", "?", "}"):
            i += 1  # possessive quantifier: matches the same strings as the greedy one
            continue
        out.append(c)
        i += 1
    return "".join(out)


@functools.cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a model pattern: Smithy semantics (not anchored), Java's ASCII ``\\w \\d \\s``."""
    return re.compile(translate_pattern(pattern), re.ASCII)


_MEMO: dict[tuple[str, str], ShapeInfo] = {}


def shape_info(service: str, shape: Shape) -> ShapeInfo:
    """The cached :class:`ShapeInfo` for ``shape`` of ``service``'s model."""
    found = _MEMO.get((service, shape.name))
    if found is not None:
        return found
    meta: dict[str, Any] = shape.metadata
    info = ShapeInfo(
        name=shape.name,
        type=shape.type_name,
        min=meta.get("min"),
        max=meta.get("max"),
        sensitive=bool(meta.get("sensitive")),
        union=bool(meta.get("union")),
        timestamp_format=shape.serialization.get("timestampFormat"),
    )
    _MEMO[(service, shape.name)] = info  # before members: recursive shapes find it
    enum = meta.get("enum")
    if enum:
        info.enum = tuple(enum)
        info.enum_set = frozenset(enum)
    if "pattern" in meta:
        info.pattern = meta["pattern"]
        info.regex = compile_pattern(meta["pattern"])
    if shape.type_name == "structure":
        info.required = tuple(meta.get("required", ()))
        info.payload = shape.serialization.get("payload")
        for name, member_shape in shape.members.items():
            member = _member(service, name, member_shape)
            info.members[name] = member
            if member.location is None:
                info.by_wire_name[member.wire_name] = member
    elif shape.type_name == "list":
        info.member = _member(service, "member", shape.member)
    elif shape.type_name == "map":
        info.key = _member(service, "key", shape.key)
        info.value = _member(service, "value", shape.value)
    return info


def _member(service: str, name: str, shape: Shape) -> MemberInfo:
    ser: dict[str, Any] = shape.serialization
    return MemberInfo(
        name=name,
        shape=shape_info(service, shape),
        wire_name=ser.get("name", name),
        location=ser.get("location"),
        timestamp_format=ser.get("timestampFormat"),
        jsonvalue=bool(ser.get("jsonvalue")),
    )


@functools.cache
def input_info(service: str, operation: str) -> ShapeInfo | None:
    shape = operation_model(service, operation).input_shape
    return None if shape is None else shape_info(service, shape)


@functools.cache
def output_info(service: str, operation: str) -> ShapeInfo | None:
    shape = operation_model(service, operation).output_shape
    return None if shape is None else shape_info(service, shape)
