"""Field Source expressions: ``_source.a.b`` accessors and ``{{_source.a}} …`` templates.

Supported, as AWS documents them: JSON accessors with nested members, numeric list indexes
(``_source.items.0.sku``) and ``[]`` to fan out over a list (``_source.line_items[].title``);
Handlebars variable interpolation with literal text; and the ``removeExtraSpace`` block helper.
Other Handlebars block helpers (``#if``, ``#each``, ``#unless``, ``#with``) are refused when the
object type is defined, naming the helper, rather than being silently mis-rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeAlias

from openprofiles.errors import invalid
from openprofiles.ingest.normalise import stringify

Path: TypeAlias = tuple[str, ...]
Reader: TypeAlias = Callable[[dict[str, object]], str | list[str] | None]

SOURCE_PREFIX: Final = "_source."
_MUSTACHE = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_SEGMENT = re.compile(r"[^.\[\]{}]+(\[\])?")
_WHITESPACE = re.compile(r"\s+")
_REMOVE_EXTRA_SPACE = "removeExtraSpace"


@dataclass(frozen=True, slots=True)
class CompiledSource:
    """A parsed Source: ``read(obj)`` gives its string value(s) or None when absent."""

    read: Reader
    fans_out: bool  # True when the value is a list (``[]`` in the accessor)
    is_template: bool


def compile_source(expression: str, member: str) -> CompiledSource:
    """Parse a Source expression; ``member`` names it in the error (``Fields.x.Source``)."""
    text = expression.strip()
    if "{{" in text or "}}" in text:
        return _compile_template(text, member)
    path = _parse_path(text, member)
    if any(segment.endswith("[]") for segment in path):
        return CompiledSource(_fan_out_reader(path), fans_out=True, is_template=False)
    return CompiledSource(_path_reader(path), fans_out=False, is_template=False)


def _parse_path(text: str, member: str) -> Path:
    if not text.startswith(SOURCE_PREFIX) or len(text) == len(SOURCE_PREFIX):
        raise invalid(
            f"{member}: {text!r} must be a _source accessor such as '_source.FirstName' or a "
            "template such as '{{_source.FirstName}} {{_source.LastName}}'; only the _source "
            "object is supported"
        )
    segments = tuple(text[len(SOURCE_PREFIX) :].split("."))
    for segment in segments:
        if not _SEGMENT.fullmatch(segment):
            raise invalid(f"{member}: {text!r} has an empty or malformed path segment")
    if sum(segment.endswith("[]") for segment in segments) > 1:
        raise invalid(f"{member}: {text!r} may fan out over at most one list ('[]')")
    return segments


def _step(current: object, segment: str) -> object:
    if isinstance(current, dict):
        return current.get(segment)
    if isinstance(current, list) and segment.isdigit():
        index = int(segment)
        return current[index] if index < len(current) else None
    return None


def _path_reader(path: Path) -> Reader:
    if len(path) == 1:
        (only,) = path

        def read_one(obj: dict[str, object]) -> str | None:
            return stringify(obj.get(only))

        return read_one

    def read(obj: dict[str, object]) -> str | None:
        current: object = obj
        for segment in path:
            current = _step(current, segment)
            if current is None:
                return None
        return stringify(current)

    return read


def _fan_out_reader(path: Path) -> Reader:
    split = next(i for i, segment in enumerate(path) if segment.endswith("[]"))
    head = (*path[:split], path[split][:-2])
    tail = path[split + 1 :]

    def read(obj: dict[str, object]) -> list[str] | None:
        current: object = obj
        for segment in head:
            current = _step(current, segment)
            if current is None:
                return None
        if not isinstance(current, list):
            return None
        values: list[str] = []
        for item in current:
            value: object = item
            for segment in tail:
                value = _step(value, segment)
                if value is None:
                    break
            text = stringify(value)
            values.append("" if text is None else text)
        return values if any(values) else None

    return read


def _compile_template(text: str, member: str) -> CompiledSource:
    # Parts are literal strings or accessor readers; a part list wrapped in removeExtraSpace
    # collapses whitespace. The whole template is trimmed, as AWS does for generated keys.
    parts: list[str | Callable[[dict[str, object]], str | None]] = []
    collapse_from: int | None = None
    collapse_ranges: list[tuple[int, int]] = []
    position = 0
    references = 0
    for match in _MUSTACHE.finditer(text):
        parts.append(text[position : match.start()])
        position = match.end()
        body = match.group(1)
        if body == f"#{_REMOVE_EXTRA_SPACE}":
            if collapse_from is not None:
                raise invalid(f"{member}: nested removeExtraSpace blocks are not supported")
            collapse_from = len(parts)
            continue
        if body == f"/{_REMOVE_EXTRA_SPACE}":
            if collapse_from is None:
                raise invalid(f"{member}: '{{{{/removeExtraSpace}}}}' closes no open block")
            collapse_ranges.append((collapse_from, len(parts)))
            collapse_from = None
            continue
        if body.startswith(("#", "/", "^", "!", ">", "else")):
            raise invalid(
                f"{member}: the Handlebars expression '{{{{{body}}}}}' is not supported; "
                "use _source accessors, literal text and {{#removeExtraSpace}}"
            )
        path = _parse_path(body, member)
        if any(segment.endswith("[]") for segment in path):
            raise invalid(f"{member}: '[]' cannot be used inside a template")
        parts.append(_path_reader(path))  # type: ignore[arg-type]
        references += 1
    parts.append(text[position:])
    if collapse_from is not None:
        raise invalid(f"{member}: '{{{{#removeExtraSpace}}}}' is never closed")
    if "{{" in _MUSTACHE.sub("", text) or "}}" in _MUSTACHE.sub("", text):
        raise invalid(f"{member}: {text!r} has unbalanced '{{{{' / '}}}}'")
    frozen_parts = tuple(parts)
    ranges = tuple(collapse_ranges)

    def read(obj: dict[str, object]) -> str | None:
        found = references == 0  # a constant template always has a value
        rendered: list[str] = []
        for part in frozen_parts:
            if isinstance(part, str):
                rendered.append(part)
                continue
            value = part(obj)
            if value is None:
                rendered.append("")
            else:
                found = True
                rendered.append(value)
        if not found:
            return None
        for start, end in ranges:
            block = _WHITESPACE.sub(" ", "".join(rendered[start:end])).strip()
            rendered[start:end] = [block] + [""] * (end - start - 1)
        result = "".join(rendered).strip()
        return result or None

    return CompiledSource(read, fans_out=False, is_template=True)
