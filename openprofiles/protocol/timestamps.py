"""Wire timestamps: parse what clients send, format what they expect back."""

from __future__ import annotations

import calendar
import email.utils
from datetime import UTC, datetime

# Default formats per location (Smithy): bodies use epoch seconds, headers RFC 822 dates,
# query strings and URI labels ISO 8601.
BODY, HEADER, QUERY = "unixTimestamp", "rfc822", "iso8601"


def parse_timestamp(value: object) -> datetime:
    """An aware UTC datetime from epoch seconds (number or numeric text), ISO 8601 or RFC 822.

    Any of the three is accepted wherever a timestamp is expected, whatever format the model
    prefers there; raises ValueError otherwise.
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not a timestamp")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("not a timestamp")
    text = value.strip()
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except (ValueError, OverflowError):
        pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError) as exc:
            raise ValueError(f"{text!r} is not a timestamp") from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_timestamp(value: datetime, fmt: str) -> float | int | str:
    """``value`` in the wire format ``fmt`` (unixTimestamp, iso8601 or rfc822)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if fmt == "iso8601":
        if value.microsecond:
            return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if fmt == "rfc822":
        return email.utils.formatdate(calendar.timegm(value.timetuple()), usegmt=True)
    seconds = value.timestamp()
    return int(seconds) if seconds.is_integer() else round(seconds, 3)
