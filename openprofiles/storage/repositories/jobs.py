"""Identity resolution jobs: one row each, moved through their states by the job runner."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from openprofiles.clock import to_utc
from openprofiles.storage.paging import PagedQuery, paged
from openprofiles.storage.tables import identity_resolution_jobs as jobs

PENDING = "PENDING"
PREPROCESSING = "PREPROCESSING"
FIND_MATCHING = "FIND_MATCHING"
MERGING = "MERGING"
COMPLETED = "COMPLETED"
PARTIAL_SUCCESS = "PARTIAL_SUCCESS"
FAILED = "FAILED"
RUNNING = (PREPROCESSING, FIND_MATCHING, MERGING)
FINISHED = (COMPLETED, PARTIAL_SUCCESS, FAILED)


@dataclass(frozen=True)
class JobRecord:
    job_id: str
    domain_id: int
    status: str
    origin: str
    scheduled_for: datetime | None
    message: str | None
    started_at: datetime
    ended_at: datetime | None
    updated_at: datetime
    expires_at: datetime
    auto_merging: dict[str, Any] | None
    exporting_config: dict[str, Any] | None
    exporting_location: dict[str, Any] | None
    profiles_reviewed: int
    matches_found: int
    merges_done: int
    matches_at: datetime | None
    runner: str | None
    attempts: int
    heartbeat: int | None


def _time(value: Any) -> datetime | None:
    return None if value is None else to_utc(value)


def _json(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def _record(row: Any) -> JobRecord:
    return JobRecord(
        job_id=row.job_id,
        domain_id=row.domain_id,
        status=row.status,
        origin=row.origin,
        scheduled_for=_time(row.scheduled_for),
        message=row.message,
        started_at=to_utc(row.started_at),
        ended_at=_time(row.ended_at),
        updated_at=to_utc(row.updated_at),
        expires_at=to_utc(row.expires_at),
        auto_merging=_json(row.auto_merging),
        exporting_config=_json(row.exporting_config),
        exporting_location=_json(row.exporting_location),
        profiles_reviewed=row.profiles_reviewed,
        matches_found=row.matches_found,
        merges_done=row.merges_done,
        matches_at=_time(row.matches_at),
        runner=row.runner,
        attempts=row.attempts,
        heartbeat=row.heartbeat,
    )


def create(
    conn: Connection,
    *,
    job_id: str,
    domain_id: int,
    origin: str,
    now: datetime,
    expires_at: datetime,
    auto_merging: dict[str, Any] | None,
    exporting_config: dict[str, Any] | None,
    scheduled_for: datetime | None = None,
) -> bool:
    """Insert a PENDING job; False when the domain already has a job for ``scheduled_for``."""
    try:
        with conn.begin_nested():
            conn.execute(
                insert(jobs).values(
                    job_id=job_id,
                    domain_id=domain_id,
                    status=PENDING,
                    origin=origin,
                    scheduled_for=scheduled_for,
                    started_at=scheduled_for or now,
                    updated_at=now,
                    expires_at=expires_at,
                    auto_merging=None if auto_merging is None else json.dumps(auto_merging),
                    exporting_config=(
                        None if exporting_config is None else json.dumps(exporting_config)
                    ),
                )
            )
    except IntegrityError:
        return False
    return True


def find(conn: Connection, job_id: str, domain_id: int | None = None) -> JobRecord | None:
    query = select(jobs).where(jobs.c.job_id == job_id)
    if domain_id is not None:
        query = query.where(jobs.c.domain_id == domain_id)
    row = conn.execute(query).first()
    return None if row is None else _record(row)


def list_query() -> PagedQuery:
    """A domain's jobs (parameter ``domain_id``), newest JobStartTime first: job ids are
    ordered by their start (ids.new_job_id)."""
    from sqlalchemy import bindparam

    query = select(jobs).where(jobs.c.domain_id == bindparam("domain_id"))
    return paged(query, [jobs.c.job_id], descending=True)


def records(rows: Any) -> list[JobRecord]:
    return [_record(row) for row in rows]


def pending(conn: Connection) -> list[str]:
    """Ids of the PENDING jobs, oldest first."""
    query = select(jobs.c.job_id).where(jobs.c.status == PENDING).order_by(jobs.c.job_id)
    return list(conn.scalars(query))


def running(conn: Connection) -> list[JobRecord]:
    rows = conn.execute(select(jobs).where(jobs.c.status.in_(RUNNING)))
    return records(rows)


def claim(conn: Connection, job_id: str, runner: str, heartbeat: int, now: datetime) -> bool:
    """Take a PENDING job for ``runner`` (it moves to PREPROCESSING); False when another
    runner took it first."""
    result = conn.execute(
        update(jobs)
        .where(jobs.c.job_id == job_id, jobs.c.status == PENDING)
        .values(
            status=PREPROCESSING,
            runner=runner,
            heartbeat=heartbeat,
            updated_at=now,
            attempts=jobs.c.attempts + 1,
        )
    )
    return result.rowcount == 1


def update_job(conn: Connection, job_id: str, now: datetime, **values: Any) -> None:
    """Set columns of a job (``exporting_location`` given as a dict), and LastUpdatedAt."""
    if "exporting_location" in values and values["exporting_location"] is not None:
        values["exporting_location"] = json.dumps(values["exporting_location"])
    conn.execute(update(jobs).where(jobs.c.job_id == job_id).values(updated_at=now, **values))


def release(conn: Connection, job_id: str, holder: str, now: datetime, **values: Any) -> bool:
    """Set columns of a running job only while ``holder`` runs it; False if it does not."""
    result = conn.execute(
        update(jobs)
        .where(jobs.c.job_id == job_id, jobs.c.runner == holder, jobs.c.status.in_(RUNNING))
        .values(updated_at=now, **values)
    )
    return result.rowcount == 1


def forget_attempt() -> Any:
    """The value that takes back a claim's attempt (a job handed back by a stopping server)."""
    return jobs.c.attempts - 1


def beat(conn: Connection, job_ids: list[str], runner: str, heartbeat: int) -> None:
    conn.execute(
        update(jobs)
        .where(jobs.c.job_id.in_(job_ids), jobs.c.runner == runner)
        .values(heartbeat=heartbeat)
    )


def delete_pending(conn: Connection, domain_id: int) -> None:
    """AWS: turning Matching off deletes the domain's PENDING jobs."""
    conn.execute(delete(jobs).where(jobs.c.domain_id == domain_id, jobs.c.status == PENDING))


def latest_read(conn: Connection, domain_id: int) -> datetime | None:
    """When the domain's latest job that is running or has stored matches began reading."""
    from sqlalchemy import func

    value = conn.scalar(
        select(func.max(jobs.c.read_from)).where(
            jobs.c.domain_id == domain_id,
            jobs.c.status.in_((*RUNNING, COMPLETED, PARTIAL_SUCCESS)),
        )
    )
    return None if value is None else to_utc(value)


def has_slot(conn: Connection, domain_id: int, slot: datetime) -> bool:
    query = select(jobs.c.job_id).where(jobs.c.domain_id == domain_id, jobs.c.scheduled_for == slot)
    return conn.execute(query).first() is not None
