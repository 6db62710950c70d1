"""SourceLastUpdatedTimestampFormat: ``EpochMilli`` or a Java ``SimpleDateFormat`` pattern.

AWS documents the literal ``EpochMilli`` and SimpleDateFormat patterns; ``EpochSecond`` is also
accepted. Patterns are translated once into ``strptime`` formats. A value that does not match its
pattern falls back to ISO 8601; a value that still cannot be read gives no timestamp (the object
is ingested, it just does not take part in newer-wins ordering). Times without a zone are UTC.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final, TypeAlias

from openprofiles.errors import invalid

Parser: TypeAlias = Callable[[str], datetime | None]

_EPOCH_FORMATS: Final = {"epochmilli": 1000.0, "epochmillis": 1000.0, "epochsecond": 1.0,
                         "epochseconds": 1.0}  # fmt: skip
# SimpleDateFormat letter runs → strptime directives (strptime accepts unpadded numbers).
_LETTERS: Final[dict[str, Callable[[int], str]]] = {
    "y": lambda n: "%y" if n == 2 else "%Y",
    "u": lambda n: "%Y",
    "M": lambda n: {1: "%m", 2: "%m", 3: "%b"}.get(n, "%B"),
    "L": lambda n: {1: "%m", 2: "%m", 3: "%b"}.get(n, "%B"),
    "d": lambda n: "%d",
    "D": lambda n: "%j",
    "H": lambda n: "%H",
    "k": lambda n: "%H",
    "h": lambda n: "%I",
    "K": lambda n: "%I",
    "m": lambda n: "%M",
    "s": lambda n: "%S",
    "S": lambda n: "%f",
    "a": lambda n: "%p",
    "E": lambda n: "%a" if n <= 3 else "%A",
    "Z": lambda n: "%z",
    "X": lambda n: "%z",
    "x": lambda n: "%z",
    "z": lambda n: "%Z",
}
_TOKEN = re.compile(r"'((?:[^']|'')*)'|([A-Za-z])\2*|(.)", re.S)


def java_to_strptime(pattern: str) -> str:
    """Translate a SimpleDateFormat pattern; raises ValueError on letters it cannot map."""
    out: list[str] = []
    for match in _TOKEN.finditer(pattern):
        quoted, letter, other = match.group(1), match.group(2), match.group(3)
        if quoted is not None:
            out.append((quoted.replace("''", "'") or "'").replace("%", "%%"))
        elif letter is not None:
            if letter not in _LETTERS:
                raise ValueError(f"unsupported pattern letter {letter!r}")
            out.append(_LETTERS[letter](len(match.group(0))))
        else:
            out.append("%%" if other == "%" else other)
    return "".join(out)


def compile_timestamp_format(timestamp_format: str, member: str) -> Parser:
    """A parser for ``timestamp_format``; an unreadable one raises ``invalid`` naming ``member``."""
    scale = _EPOCH_FORMATS.get(timestamp_format.strip().lower())
    if scale is not None:
        return _epoch_parser(scale)
    try:
        directive = java_to_strptime(timestamp_format)
    except ValueError as error:
        raise invalid(
            f"{member}: {timestamp_format!r} is not a supported timestamp format ({error}); use "
            "'EpochMilli' or a SimpleDateFormat pattern such as \"yyyy-MM-dd'T'HH:mm:ss.SSSX\""
        ) from None

    # ISO-shaped patterns are read by fromisoformat first: same result, several times faster.
    iso_first = directive.startswith("%Y-%m-%d")

    def parse(value: str) -> datetime | None:
        text = value.strip()
        if iso_first and (parsed_iso := parse_iso8601(text)) is not None:
            return parsed_iso
        try:
            parsed = datetime.strptime(text, directive)
        except ValueError:
            return parse_iso8601(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    return parse


def _epoch_parser(scale: float) -> Parser:
    def parse(value: str) -> datetime | None:
        try:
            return datetime.fromtimestamp(float(value.strip()) / scale, tz=UTC)
        except (ValueError, OverflowError, OSError):
            return parse_iso8601(value)

    return parse


def parse_iso8601(value: str) -> datetime | None:
    """An ISO 8601 timestamp (``Z`` or an offset; UTC when it has none), or None."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
