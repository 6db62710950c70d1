"""Valid and invalid request values generated from a botocore service model.

Two entry points:

``sample(shape, full=True)`` / ``sample_input(operation_model)`` / ``sample_output(...)``
    A deterministic value for any shape that satisfies every constraint the model states
    (required members, lengths, ranges, list and map sizes, enums, patterns, unions). With
    ``full=True`` every optional member is set too, so a round trip exercises every member.

``violations(operation_model)``
    Starting from the full valid request, yields one :class:`Violation` per constraint it can
    break: ``(member_path, rule, params)`` where ``params`` is the whole request with exactly that
    member made invalid. Meant for bad-input sweeps: send ``params`` with a client whose own
    validation is off (``Config(parameter_validation=False)``) and expect a 400 whose message
    contains ``member_path`` (the dotted path our validator prints: ``Address.City``,
    ``Items.1.Name`` with lists counted from 1, ``Attributes.key``).

    Rules: ``required``, ``min_length``, ``max_length``, ``min_value``, ``max_value``,
    ``min_items``, ``max_items``, ``enum``, ``pattern``, ``type`` (a JSON value of the wrong
    type; only for scalars, the only kind botocore's serializers pass through unchanged),
    ``union`` (two members of a union set) and ``key_<rule>`` for map keys.

    Deliberately not generated: missing or empty URI labels (the path no longer routes: that
    is a 404, not a validation error), members in headers, strings or collections longer than
    :data:`MAX_GENERATED` (the models allow payloads of megabytes), values that a documented
    leniency drops (``EMPTY_STRING_IS_ABSENT``), and patterns every string satisfies (``.*``).
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

from botocore.model import OperationModel, Shape

from openprofiles.protocol.shapes import compile_pattern
from openprofiles.protocol.validator import EMPTY_STRING_IS_ABSENT

MAX_GENERATED = 100_000
SAMPLE_TIME = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
_MAX_DEPTH = 12

# Strings tried, in order, for a patterned shape; the first that can be fitted to the length
# constraints and matches wins. Cheap and deterministic, unlike generating from the regex.
_CANDIDATES = (
    "value",
    "a",
    "abc123",
    "Abc_1",
    "+12065550100",
    "user@example.com",
    "12:30",
    "0123456789abcdef0123456789abcdef",
    "123",
    "$abc",
    "arn:aws:iam::123456789012:role/example",
    "arn:aws:kms:us-east-1:123456789012:key/example",
    "arn:aws:profile:us-east-1:123456789012:domains/example",
    "name/2024-01-02T03-04-05Z",
    "!",
    "a.b-c",
)
# Fillers for a string that matches no part of a pattern.
_MISMATCH_FILLERS = (" ", "!", "~", "#", "\n", "a", "0", "-", ":", "/", "\u00e9")


class Violation(NamedTuple):
    member_path: str
    rule: str
    params: dict[str, Any]


def _bounds(shape: Shape) -> tuple[int, int]:
    meta = shape.metadata
    return int(meta.get("min", 0)), int(meta.get("max", MAX_GENERATED))


def _fits(value: str, shape: Shape) -> bool:
    lo, hi = _bounds(shape)
    if not lo <= len(value) <= hi:
        return False
    pattern = shape.metadata.get("pattern")
    return pattern is None or compile_pattern(pattern).search(value) is not None


def _fitted(candidate: str, lo: int, hi: int) -> Iterator[str]:
    """``candidate`` and variants of it padded or cut to a length in [lo, hi]."""
    yield candidate
    if len(candidate) < lo:
        short = lo - len(candidate)
        yield candidate + candidate[-1] * short
        yield candidate + "a" * short
        yield candidate[0] * short + candidate
        yield "a" * short + candidate
    if len(candidate) > hi:
        yield candidate[:hi]
        yield candidate[-hi:] if hi else ""


_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789!&'()*+,-./:;?=%@[]_{}|<>~^`\"$"


def _valid_strings(lo: int, hi: int, regex: re.Pattern[str] | None, rounds: int) -> Iterator[str]:
    """Valid strings, not necessarily distinct: candidates, suffixed candidates, then one-char
    substitutions of the first valid one."""

    def ok(value: str) -> bool:
        return lo <= len(value) <= hi and (regex is None or regex.search(value) is not None)

    seeds = _CANDIDATES if regex is not None else ("value",)
    first: str | None = None
    for round_ in range(rounds):
        suffix = "" if round_ == 0 else str(round_)
        for seed in seeds:
            for value in _fitted(seed + suffix, max(lo, 1), hi):
                if ok(value):
                    first = first or value
                    yield value
    if first is not None:
        for position in range(len(first)):
            for char in _ALPHABET:
                value = first[:position] + char + first[position + 1 :]
                if ok(value):
                    yield value


@functools.cache
def _string_for(name: str, lo: int, hi: int, pattern: str | None, index: int) -> str:
    """The ``index``-th distinct valid string for these constraints (distinct map keys)."""
    regex = compile_pattern(pattern) if pattern is not None else None
    found: list[str] = []
    for value in _valid_strings(lo, hi, regex, index + 1):
        if value not in found:
            found.append(value)
            if len(found) > index:
                return value
    # hypothesis.from_regex would be the general answer, but it is slow and not a dependency;
    # the candidates cover every pattern of both models (test_model_values checks that).
    raise ValueError(
        f"cannot make {index + 1} distinct strings for {name} ({pattern!r}, length {lo}..{hi}):"
        " add a matching candidate to _CANDIDATES"
    )


def sample_string(shape: Shape, index: int = 0) -> str:
    enum = shape.metadata.get("enum")
    if enum:
        return str(enum[index % len(enum)])
    lo, hi = _bounds(shape)
    return _string_for(shape.name, lo, hi, shape.metadata.get("pattern"), index)


def _number(shape: Shape) -> int | float:
    meta = shape.metadata
    lo, hi = meta.get("min"), meta.get("max")
    preferred: int | float = 1.5 if shape.type_name in ("float", "double") else 1
    if lo is not None and preferred < lo:
        preferred = lo
    if hi is not None and preferred > hi:
        preferred = hi
    return preferred


def sample(shape: Shape, full: bool = True, depth: int = 0, index: int = 0) -> Any:
    """A valid value for ``shape``; ``full`` sets optional members too."""
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("union"):
            name, member = next(iter(shape.members.items()))
            return {name: sample(member, full, depth + 1)}
        required = set(shape.required_members)
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            if name in required or (full and depth < _MAX_DEPTH):
                if member.serialization.get("location") == "statusCode":
                    out[name] = 200
                else:
                    out[name] = sample(member, full, depth + 1)
        return out
    if kind == "list":
        lo, hi = _bounds(shape)
        size = min(max(lo, 1), hi)
        return [sample(shape.member, full, depth + 1, i) for i in range(size)]
    if kind == "map":
        lo, hi = _bounds(shape)
        size = min(max(lo, 1), hi)
        return {
            sample_string(shape.key, i): sample(shape.value, full, depth + 1, i)
            for i in range(size)
        }
    if kind == "string":
        return sample_string(shape, index)
    if kind in ("integer", "long", "short", "byte", "float", "double"):
        return _number(shape)
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return SAMPLE_TIME
    if kind == "blob":
        return b"blob-data"
    return {"key": "value", "list": [1, 2]}  # document


def sample_input(operation: OperationModel, full: bool = True) -> dict[str, Any]:
    shape = operation.input_shape
    return {} if shape is None else dict(sample(shape, full))


def sample_output(operation: OperationModel) -> dict[str, Any]:
    shape = operation.output_shape
    return {} if shape is None else dict(sample(shape, True))


# --- violations -----------------------------------------------------------------------------

_Path = tuple[str | int, ...]


def _display(path: _Path) -> str:
    return ".".join(str(p + 1) if isinstance(p, int) else p for p in path)


def _replace(
    params: dict[str, Any], path: _Path, value: Any, delete: bool = False
) -> dict[str, Any]:
    result = copy.deepcopy(params)
    target: Any = result
    for step in path[:-1]:
        target = target[step]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return result


def _mismatch(shape: Shape, length: int) -> str | None:
    regex = compile_pattern(shape.metadata["pattern"])
    for filler in _MISMATCH_FILLERS:
        candidate = filler * max(length, 1)
        if regex.search(candidate) is None:
            return candidate
    return None


def _string_violations(shape: Shape, value: str, allow_empty: bool) -> Iterator[tuple[str, Any]]:
    meta = shape.metadata
    lo, hi = meta.get("min"), meta.get("max")
    if lo is not None and lo > 0 and (lo - 1 > 0 or allow_empty):
        yield "min_length", value[: lo - 1] if len(value) >= lo - 1 else "a" * (lo - 1)
    if hi is not None and hi + 1 <= MAX_GENERATED:
        pad = value[-1] if value else "a"
        yield "max_length", value + pad * (hi + 1 - len(value))
    if meta.get("enum"):
        yield "enum", "NOT_A_VALID_ENUM_VALUE"[: hi or None]
    if "pattern" in meta:
        bad = _mismatch(shape, min(max(len(value), lo or 1), hi or MAX_GENERATED))
        if bad is not None:
            yield "pattern", bad


def _wrong_type(kind: str) -> Any:
    # botocore checks floats for NaN before serializing them: a boolean gets through.
    wrong = {"string": 12345, "boolean": "not-a-boolean", "float": True, "double": True}
    return wrong.get(kind, "not-a-number")


def violations(operation: OperationModel) -> Iterator[Violation]:
    """One invalid request per constraint of ``operation``'s input (see the module docstring)."""
    shape = operation.input_shape
    if shape is None:
        return
    params = sample_input(operation)
    lenient = (operation.service_model.service_name, operation.name) in EMPTY_STRING_IS_ABSENT
    yield from _walk(params, shape, (), params, None, lenient, 0)


def _walk(
    root: dict[str, Any],
    shape: Shape,
    path: _Path,
    value: Any,
    location: str | None,
    lenient: bool,
    depth: int,
) -> Iterator[Violation]:
    kind = shape.type_name
    shown = _display(path)

    def bad(rule: str, new: Any) -> Violation:
        return Violation(shown, rule, _replace(root, path, new))

    if kind == "structure":
        yield from _structure(root, shape, path, value, lenient, depth)
    elif kind == "string":
        optional_in_struct = bool(path) and isinstance(path[-1], str)
        allow_empty = location != "uri" and not (lenient and optional_in_struct)
        for rule, new in _string_violations(shape, value, allow_empty):
            yield bad(rule, new)
        if location is None:  # in a query string or URI every value is text
            yield bad("type", _wrong_type(kind))
    elif kind in ("integer", "long", "short", "byte", "float", "double"):
        step = 1 if kind not in ("float", "double") else 0.5
        if "min" in shape.metadata:
            yield bad("min_value", shape.metadata["min"] - step)
        if "max" in shape.metadata:
            yield bad("max_value", shape.metadata["max"] + step)
        if location in (None, "querystring", "uri"):
            yield bad("type", _wrong_type(kind))
    elif kind == "boolean" and location in (None, "querystring"):
        yield bad("type", _wrong_type(kind))
    elif kind in ("list", "map"):
        yield from _collection(root, shape, path, value, location, lenient, depth)


def _structure(
    root: dict[str, Any], shape: Shape, path: _Path, value: Any, lenient: bool, depth: int
) -> Iterator[Violation]:
    required = set(shape.required_members)
    if shape.metadata.get("union") and len(shape.members) > 1:
        names = [n for n in shape.members if n not in value]
        if names:
            extra = dict(value)
            extra[names[0]] = sample(shape.members[names[0]])
            yield Violation(_display(path) or shape.name, "union", _replace(root, path, extra))
    for name, member in shape.members.items():
        if name not in value:
            continue
        member_path = (*path, name)
        location = member.serialization.get("location") if not path else None
        if name in required and location != "uri":
            missing = _replace(root, member_path, None, True)
            yield Violation(_display(member_path), "required", missing)
        if depth < _MAX_DEPTH:
            if location in ("header", "headers", "statusCode"):
                continue
            yield from _walk(root, member, member_path, value[name], location, lenient, depth + 1)


def _collection(
    root: dict[str, Any],
    shape: Shape,
    path: _Path,
    value: Any,
    location: str | None,
    lenient: bool,
    depth: int,
) -> Iterator[Violation]:
    shown = _display(path)
    lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
    is_map = shape.type_name == "map"
    items = list(value.items()) if is_map else list(value)
    if lo is not None and lo > 0:
        fewer = items[: lo - 1]
        yield Violation(shown, "min_items", _replace(root, path, dict(fewer) if is_map else fewer))
    if hi is not None and hi + 1 <= 1000:
        more = _grown(shape, items, hi + 1)
        if more is not None:
            yield Violation(shown, "max_items", _replace(root, path, more))
    if not items:
        return
    if is_map:
        key, item = items[0]
        for rule, new_key in _string_violations(shape.key, key, True):
            renamed = {new_key if k == key else k: v for k, v in value.items()}
            yield Violation(shown, f"key_{rule}", _replace(root, path, renamed))
        inner_path: _Path = (*path, key)
        yield from _walk(root, shape.value, inner_path, item, None, lenient, depth + 1)
    else:
        element_location = "querystring" if location == "querystring" else None
        yield from _walk(
            root, shape.member, (*path, 0), items[0], element_location, lenient, depth + 1
        )


def _grown(shape: Shape, items: list[Any], size: int) -> Any:
    if shape.type_name == "list":
        return [items[i % len(items)] if items else sample(shape.member) for i in range(size)]
    out = dict(items)
    index = 0
    while len(out) < size and index < size * 4:
        try:
            key = sample_string(shape.key, index)
        except ValueError:
            return None
        out.setdefault(key, sample(shape.value))
        index += 1
    return out if len(out) >= size else None
