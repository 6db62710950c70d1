"""The weekly JobSchedule: which slot is due, and queueing each enabled domain's job once.

The scheduler remembers when it last looked (``server_meta``), so a slot that passed while no
server was running is caught up at the next start, once; a domain whose job for a slot exists
(unique per domain and slot) is not given a second one by another server on the database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from openprofiles.clock import Clock, to_utc
from openprofiles.services.jobs import ON_SCHEDULE, create_job
from openprofiles.services.matching import Schedule, schedule_of
from openprofiles.storage.database import Database
from openprofiles.storage.repositories import domains as domain_repo
from openprofiles.storage.tables import server_meta

_LAST_LOOK = "identity_resolution_scheduler_last_look"


def latest_slot(schedule: Schedule, now: datetime) -> datetime:
    """The latest weekly slot of ``schedule`` at or before ``now`` (UTC)."""
    now = to_utc(now)
    day = now.replace(hour=schedule.hour, minute=schedule.minute, second=0, microsecond=0)
    slot = day - timedelta(days=(now.weekday() - schedule.weekday) % 7)
    return slot if slot <= now else slot - timedelta(days=7)


def next_slot(schedule: Schedule, now: datetime) -> datetime:
    """The first weekly slot of ``schedule`` after ``now``."""
    return latest_slot(schedule, now) + timedelta(days=7)


def _last_look(database: Database) -> datetime | None:
    with database.read() as conn:
        value = conn.scalar(select(server_meta.c.value).where(server_meta.c.name == _LAST_LOOK))
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def _remember(database: Database, now: datetime) -> None:
    text = to_utc(now).isoformat()
    with database.write() as conn:
        done = conn.execute(
            update(server_meta).where(server_meta.c.name == _LAST_LOOK).values(value=text)
        )
        if done.rowcount == 0:
            try:
                with conn.begin_nested():
                    conn.execute(insert(server_meta).values(name=_LAST_LOOK, value=text))
            except IntegrityError:
                pass  # another server on the database looked at the same moment


def queue_due_jobs(database: Database, clock: Clock) -> list[str]:
    """Queue the job of each domain with Matching enabled whose slot came since the last look;
    the ids of the jobs queued. The first look ever only remembers the time."""
    now = clock.now()
    last = _last_look(database)
    queued: list[str] = []
    if last is not None and last < now:
        with database.write() as conn:
            for domain in domain_repo.with_matching(conn):
                matching = domain.config.get("Matching") or {}
                if not matching.get("Enabled"):
                    continue
                slot = latest_slot(schedule_of(matching), now)
                if last < slot <= now:
                    job_id = create_job(conn, domain, ON_SCHEDULE, now, scheduled_for=slot)
                    if job_id is not None:
                        queued.append(job_id)
    _remember(database, now)
    return queued
