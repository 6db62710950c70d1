"""Scheduled triggers: ``rate(...)`` and ``cron(...)`` expressions as AppFlow (and EventBridge)
write them, with ScheduleStartTime / ScheduleEndTime, Timezone and ScheduleOffset.

A rate runs every interval from ScheduleStartTime (or, without one, from when the integration
was put). A cron expression has six fields, ``minutes hours day-of-month month day-of-week
year``, with ``?`` for "any" in one of the day fields and days of the week numbered 1 (Sunday)
to 7 or named (MON-FRI); it is evaluated in Timezone (UTC by default) by croniter. ScheduleOffset
(seconds) delays every scheduled time by that much.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

_RATE: Final = re.compile(r"^rate\(\s*(\d+)\s*(minutes?|hours?|days?)\s*\)$", re.I)
_CRON: Final = re.compile(r"^cron\((.*)\)$", re.I)
_UNITS: Final = {"minute": 60, "hour": 3600, "day": 86400}
_MAX_YEARS_AHEAD: Final = 50


@dataclass(frozen=True)
class Expression:
    interval: timedelta | None  # a rate
    cron: str | None  # five croniter fields
    years: str  # the cron's year field ("*": any)
    zone: ZoneInfo


def parse_expression(text: str, timezone: str | None = None) -> Expression:
    """The expression, or ValueError saying what is wrong with it."""
    zone = ZoneInfo(timezone) if timezone else ZoneInfo("UTC")
    text = text.strip()
    rate = _RATE.match(text)
    if rate:
        count = int(rate.group(1))
        if count < 1:
            raise ValueError("a rate must be at least 1")
        unit = rate.group(2).lower().rstrip("s")
        return Expression(timedelta(seconds=count * _UNITS[unit]), None, "*", zone)
    cron = _CRON.match(text)
    if not cron:
        raise ValueError(
            f"{text!r} is neither rate(N minutes|hours|days) nor cron(minutes hours "
            "day-of-month month day-of-week year)"
        )
    fields = cron.group(1).split()
    if len(fields) != 6:
        raise ValueError(
            "a cron expression has six fields: minutes hours day-of-month month day-of-week year"
        )
    minutes, hours, dom, month, dow, years = fields
    if dom != "?" and dow != "?":
        raise ValueError("one of day-of-month and day-of-week must be '?'")
    expression = " ".join(
        [minutes, hours, "*" if dom == "?" else dom, month, "*" if dow == "?" else _dow(dow)]
    )
    from croniter import croniter

    if not croniter.is_valid(expression):
        raise ValueError(f"cron({cron.group(1)}) is not a valid cron expression")
    if years != "*" and not re.fullmatch(r"\d{4}(-\d{4})?(,\d{4}(-\d{4})?)*", years):
        raise ValueError(f"the year field {years!r} must be *, a year, a range or a list")
    return Expression(None, expression, years, zone)


def _dow(field: str) -> str:
    """AWS numbers days of the week 1 (Sunday) to 7; croniter 0 (Sunday) to 6."""
    return re.sub(r"\d+", lambda m: str(int(m.group()) - 1), field)


def _year_ok(years: str, year: int) -> bool:
    if years == "*":
        return True
    for part in years.split(","):
        low, _, high = part.partition("-")
        if int(low) <= year <= int(high or low):
            return True
    return False


@dataclass(frozen=True)
class Schedule:
    expression: Expression
    start: datetime | None
    end: datetime | None
    offset: timedelta
    anchor: datetime  # where a rate counts from without a ScheduleStartTime

    @classmethod
    def of(cls, scheduled: dict[str, Any], anchor: datetime) -> Schedule:
        """The schedule of TriggerProperties.Scheduled (already checked)."""
        return cls(
            parse_expression(scheduled["ScheduleExpression"], scheduled.get("Timezone")),
            _aware(scheduled.get("ScheduleStartTime")),
            _aware(scheduled.get("ScheduleEndTime")),
            timedelta(seconds=int(scheduled.get("ScheduleOffset") or 0)),
            anchor,
        )

    def next_after(self, after: datetime) -> datetime | None:
        """The first scheduled time later than ``after``; None once past ScheduleEndTime."""
        base = after - self.offset
        if self.start is not None and base < self.start:
            base = self.start - timedelta(microseconds=1)
        found = self._next(base)
        if found is None:
            return None
        found += self.offset
        if self.end is not None and found > self.end:
            return None
        return found

    def _next(self, after: datetime) -> datetime | None:
        expression = self.expression
        if expression.interval is not None:
            origin = self.start or self.anchor
            if after < origin:
                return origin
            steps = (after - origin) // expression.interval + 1
            return origin + steps * expression.interval
        from croniter import croniter

        assert expression.cron is not None
        moment = after.astimezone(expression.zone)
        iterator = croniter(expression.cron, moment)
        limit = moment.year + _MAX_YEARS_AHEAD
        while True:
            found: datetime = iterator.get_next(datetime)
            if found.year > limit:
                return None
            if _year_ok(expression.years, found.year):
                return found.astimezone(UTC)


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
