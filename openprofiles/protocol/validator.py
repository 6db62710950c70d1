"""Enforce every constraint the model states on parsed input: required, length, range, size,
enum, pattern, union; recursively through structures, lists and maps.

Messages follow AWS's wording (``1 validation error detected: Value 'x' at 'domainName'
failed to satisfy constraint: Member must ...``) with a dotted member path (``Address.City``,
``Items.1.Name``, ``Attributes.key``; list indices count from 1). Values of sensitive shapes are
never echoed.
"""

from __future__ import annotations

from typing import Any

from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.protocol.models import CUSTOMER_PROFILES
from openprofiles.protocol.shapes import ShapeInfo, input_info

Params = dict[str, Any]

# Operations for which an optional string member sent as "" (with min length >= 1) counts as
# absent, at any depth: AWS itself accepts its documented CreateProfile sample, which sends
# "MiddleName": "" and "Province": "". Every other constraint stays enforced.
EMPTY_STRING_IS_ABSENT: frozenset[tuple[str, str]] = frozenset(
    {(CUSTOMER_PROFILES, "CreateProfile")}
)

_MAX_REPORTED = 10
_MAX_ECHO = 200
_NUMERIC = frozenset({"integer", "long", "short", "byte", "float", "double"})


def validate(service: str, operation: str, params: Params) -> Params:
    """Check ``params`` against the operation's input shape; return them (leniencies applied).

    Raises ``ServiceError(INVALID)`` listing every violation found.
    """
    info = input_info(service, operation)
    if info is None:
        return params
    if (service, operation) in EMPTY_STRING_IS_ABSENT:
        drop_empty_strings(info, params)
    errors = constraint_errors(info, params)
    if errors:
        raise ServiceError(ErrorKind.INVALID, format_errors(errors))
    return params


def constraint_errors(info: ShapeInfo, value: Any, path: str = "") -> list[str]:
    """What :func:`validate` reports of ``value`` against the shape ``info`` at ``path``: one
    message per broken constraint. Types are not checked here: the parser already has."""
    errors: list[str] = []
    _check(info, value, path, False, errors)
    return errors


def format_errors(errors: list[str]) -> str:
    count = len(errors)
    head = f"{count} validation error{'s' if count != 1 else ''} detected: "
    shown = "; ".join(errors[:_MAX_REPORTED])
    if count > _MAX_REPORTED:
        shown += f"; and {count - _MAX_REPORTED} more"
    return head + shown


def drop_empty_strings(info: ShapeInfo, value: Any) -> None:
    """Remove optional ``""`` string members whose shape requires length >= 1, at any depth."""
    if info.type == "structure" and isinstance(value, dict):
        for name in list(value):
            member = info.members.get(name)
            if member is None:
                continue
            shape = member.shape
            if value[name] == "" and shape.type == "string" and (shape.min or 0) >= 1:
                if name not in info.required:
                    del value[name]
            else:
                drop_empty_strings(shape, value[name])
    elif info.type == "list" and isinstance(value, list) and info.member is not None:
        for item in value:
            drop_empty_strings(info.member.shape, item)
    elif info.type == "map" and isinstance(value, dict) and info.value is not None:
        for item in value.values():
            drop_empty_strings(info.value.shape, item)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _num(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _echo(value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list):
        text = "[" + ", ".join(_echo(v) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}={_echo(v)}" for k, v in value.items()) + "}"
    else:
        text = str(value)
    return text if len(text) <= _MAX_ECHO else text[:_MAX_ECHO] + "..."


def _error(value: Any, path: str, hidden: bool, rule: str) -> str:
    if value is None:
        shown = "Value null"
    elif hidden:
        shown = "Value"
    else:
        shown = f"Value '{_echo(value)}'"
    return f"{shown} at '{path}' failed to satisfy constraint: {rule}"


def _check(info: ShapeInfo, value: Any, path: str, hidden: bool, errors: list[str]) -> None:
    hidden = hidden or info.sensitive
    kind = info.type
    if kind == "structure":
        if isinstance(value, dict):
            _check_structure(info, value, path, hidden, errors)
        return
    if kind == "string":
        if isinstance(value, str):
            _check_string(info, value, path, hidden, errors)
        return
    if kind in _NUMERIC:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if info.min is not None and value < info.min:
                rule = f"Member must have value greater than or equal to {_num(info.min)}"
                errors.append(_error(value, path, hidden, rule))
            if info.max is not None and value > info.max:
                rule = f"Member must have value less than or equal to {_num(info.max)}"
                errors.append(_error(value, path, hidden, rule))
        return
    if kind == "list" and isinstance(value, list):
        _check_size(info, value, len(value), path, hidden, errors)
        element = info.member
        if element is not None:
            for index, item in enumerate(value, 1):
                item_path = f"{path}.{index}"
                if item is None:
                    errors.append(_error(None, item_path, hidden, "Member must not be null"))
                else:
                    _check(element.shape, item, item_path, hidden, errors)
    elif kind == "map" and isinstance(value, dict):
        _check_size(info, value, len(value), path, hidden, errors)
        assert info.key is not None and info.value is not None
        key_shape, value_shape = info.key.shape, info.value.shape
        for key, item in value.items():
            if isinstance(key, str):
                key_hidden = hidden or key_shape.sensitive
                for rule in _string_rules(key_shape, key):
                    constraint = f"Map keys must satisfy constraint: [{rule}]"
                    errors.append(_error(key, path, key_hidden, constraint))
            item_path = _join(path, str(key))
            if item is None:
                errors.append(_error(None, item_path, hidden, "Member must not be null"))
            else:
                _check(value_shape, item, item_path, hidden, errors)


def _check_structure(
    info: ShapeInfo, value: Params, path: str, hidden: bool, errors: list[str]
) -> None:
    for name in info.required:
        if value.get(name) is None:
            errors.append(_error(None, _join(path, name), hidden, "Member must not be null"))
    if info.union:
        present = [name for name in info.members if value.get(name) is not None]
        if len(present) != 1:
            rule = f"Member must have exactly one of [{', '.join(info.members)}] set"
            errors.append(f"Value at '{path or info.name}' failed to satisfy constraint: {rule}")
    for name, item in value.items():
        member = info.members.get(name)
        if member is None or item is None:
            continue
        _check(member.shape, item, _join(path, name), hidden, errors)


def _string_rules(info: ShapeInfo, value: str) -> list[str]:
    rules: list[str] = []
    length = len(value)
    if info.min is not None and length < info.min:
        rules.append(f"Member must have length greater than or equal to {_num(info.min)}")
    if info.max is not None and length > info.max:
        rules.append(f"Member must have length less than or equal to {_num(info.max)}")
    if info.enum_set and value not in info.enum_set:
        rules.append(f"Member must satisfy enum value set: [{', '.join(info.enum)}]")
    if info.regex is not None and info.regex.search(value) is None:
        rules.append(f"Member must satisfy regular expression pattern: {info.pattern}")
    return rules


def _check_string(info: ShapeInfo, value: str, path: str, hidden: bool, errors: list[str]) -> None:
    hidden = hidden or info.sensitive
    for rule in _string_rules(info, value):
        errors.append(_error(value, path, hidden, rule))


def _check_size(
    info: ShapeInfo, value: Any, size: int, path: str, hidden: bool, errors: list[str]
) -> None:
    if info.min is not None and size < info.min:
        rule = f"Member must have length greater than or equal to {_num(info.min)}"
        errors.append(_error(value, path, hidden, rule))
    if info.max is not None and size > info.max:
        rule = f"Member must have length less than or equal to {_num(info.max)}"
        errors.append(_error(value, path, hidden, rule))
