"""Time, in one place: an injectable clock (tests move it) and UTC helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stays where it is put; for tests."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def to_utc(value: datetime) -> datetime:
    """Aware UTC datetime from an aware or naive (taken as UTC) one."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso_utc(value: datetime) -> str:
    """ISO 8601 text in UTC to the microsecond, always six digits (``isoformat`` drops them
    when they are zero): ``2026-11-25T12:00:00.000000Z``. openprofiles' own API and its
    dead-letter messages use it; AWS operations format their timestamps as their models say."""
    return to_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
