"""Match groups, kept per job: a job writes its groups, makes them the domain's (its
``matches_at``), then the older jobs' groups are deleted. The real-time matcher's groups are
kept under the job id :data:`REALTIME`, after every job's in GetMatches' order (positions
from :data:`REALTIME_BASE`), one per profile it scored (its match id derives from the
profile's); a job's groups replace those made before the job started."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select

from openprofiles.clock import to_utc
from openprofiles.storage.batched import insert_many
from openprofiles.storage.paging import PagedQuery, paged
from openprofiles.storage.tables import identity_resolution_jobs as jobs
from openprofiles.storage.tables import matches

REALTIME = "realtime"
REALTIME_BASE = 1_000_000_000  # no job stores this many groups
_COLUMNS = (
    "domain_id",
    "job_id",
    "position",
    "match_id",
    "profile_ids",
    "confidence",
    "created_at",
)


@dataclass(frozen=True)
class MatchRow:
    position: int
    match_id: str
    profile_ids: tuple[str, ...]
    confidence: float


@dataclass(frozen=True)
class CurrentMatches:
    """The job whose groups GetMatches shows, when they were made and how many there are."""

    job_id: str
    generated_at: datetime
    count: int


def insert(
    conn: Connection,
    domain_id: int,
    job_id: str,
    rows: Sequence[MatchRow],
    now: datetime,
) -> None:
    values = [
        (domain_id, job_id, r.position, r.match_id, json.dumps(list(r.profile_ids)),
         r.confidence, now)
        for r in rows
    ]  # fmt: skip
    if values:
        insert_many(conn, matches, _COLUMNS, values)


def current(conn: Connection, domain_id: int) -> CurrentMatches | None:
    """The job whose groups are the domain's (:func:`make_current`)."""
    row = conn.execute(
        select(jobs.c.job_id, jobs.c.matches_at, jobs.c.matches_found)
        .where(jobs.c.domain_id == domain_id, jobs.c.matches_at.is_not(None))
        .order_by(jobs.c.matches_at.desc(), jobs.c.job_id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return CurrentMatches(row.job_id, to_utc(row.matches_at), int(row.matches_found))


@dataclass(frozen=True)
class Shown:
    """What GetMatches shows: the current job's groups (``job_id``; "" before any job) and
    the real-time ones; how many, and when the newest of them was made."""

    job_id: str
    generated_at: datetime | None
    count: int


def shown(conn: Connection, domain_id: int) -> Shown:
    job = current(conn, domain_id)
    realtime = conn.execute(
        select(func.count(), func.max(matches.c.created_at)).where(
            matches.c.domain_id == domain_id, matches.c.job_id == REALTIME
        )
    ).one()
    times = [t for t in (job and job.generated_at, realtime[1] and to_utc(realtime[1])) if t]
    return Shown(
        job.job_id if job else "",
        max(times) if times else None,
        (job.count if job else 0) + int(realtime[0]),
    )


def upsert_realtime(
    conn: Connection,
    domain_id: int,
    match_id: str,
    profile_ids: Sequence[str],
    confidence: float,
    now: datetime,
) -> None:
    """The real-time group ``match_id`` (of one scored profile) is now ``profile_ids``; none
    when fewer than two."""
    conn.execute(
        delete(matches).where(
            matches.c.domain_id == domain_id,
            matches.c.job_id == REALTIME,
            matches.c.match_id == match_id,
        )
    )
    if len(profile_ids) < 2:
        return
    last = conn.scalar(
        select(func.max(matches.c.position)).where(
            matches.c.domain_id == domain_id, matches.c.job_id == REALTIME
        )
    )
    position = REALTIME_BASE if last is None else int(last) + 1
    insert(conn, domain_id, REALTIME, [MatchRow(position, match_id, tuple(profile_ids),
                                                 confidence)], now)  # fmt: skip


def drop_realtime_before(conn: Connection, domain_id: int, before: datetime) -> None:
    """Real-time groups made before ``before`` (a job that started then has seen them)."""
    conn.execute(
        delete(matches).where(
            matches.c.domain_id == domain_id,
            matches.c.job_id == REALTIME,
            matches.c.created_at < before,
        )
    )


def make_current(conn: Connection, domain_id: int, job_id: str) -> None:
    """Only ``job_id``'s groups are the domain's now (the job's matches_at is set by the
    caller in the same transaction)."""
    from sqlalchemy import update

    conn.execute(
        update(jobs)
        .where(
            jobs.c.domain_id == domain_id, jobs.c.job_id != job_id, jobs.c.matches_at.is_not(None)
        )
        .values(matches_at=None)
    )


def page_query() -> PagedQuery:
    """A job's groups and the real-time ones (parameters ``domain_id``, ``job_id``), in
    position order."""
    query = select(
        matches.c.position, matches.c.match_id, matches.c.profile_ids, matches.c.confidence
    ).where(
        matches.c.domain_id == bindparam("domain_id"),
        matches.c.job_id.in_([bindparam("job_id"), REALTIME]),
    )
    return paged(query, [matches.c.position])


def as_rows(rows: Any) -> list[MatchRow]:
    return [
        MatchRow(r.position, r.match_id, tuple(json.loads(r.profile_ids)), float(r.confidence))
        for r in rows
    ]


def read_batches(
    conn: Connection, domain_id: int, job_id: str, size: int = 1000, *, realtime: bool = False
) -> Iterator[list[MatchRow]]:
    """Every group of a job (and with ``realtime`` the real-time ones), ``size`` at a time,
    in position order."""
    job_ids = [job_id, REALTIME] if realtime else [job_id]
    after = -1
    while True:
        rows = conn.execute(
            select(
                matches.c.position, matches.c.match_id, matches.c.profile_ids, matches.c.confidence
            )
            .where(
                matches.c.domain_id == domain_id,
                matches.c.job_id.in_(job_ids),
                matches.c.position > after,
            )
            .order_by(matches.c.position)
            .limit(size)
        )
        batch = as_rows(rows)
        if not batch:
            return
        yield batch
        after = batch[-1].position


def count(conn: Connection, domain_id: int, job_id: str) -> int:
    return int(
        conn.scalar(
            select(func.count())
            .select_from(matches)
            .where(matches.c.domain_id == domain_id, matches.c.job_id == job_id)
        )
        or 0
    )


def delete_job(conn: Connection, domain_id: int, job_id: str) -> None:
    conn.execute(
        delete(matches).where(matches.c.domain_id == domain_id, matches.c.job_id == job_id)
    )


def older_jobs(conn: Connection, domain_id: int, keep: str) -> list[str]:
    """Jobs other than ``keep`` that still have groups stored (not the real-time groups)."""
    query = (
        select(matches.c.job_id)
        .where(
            matches.c.domain_id == domain_id,
            matches.c.job_id != keep,
            matches.c.job_id != REALTIME,
        )
        .distinct()
    )
    return list(conn.scalars(query))


@dataclass(frozen=True)
class ProfileFacts:
    """What auto-merging weighs of a profile: its document, when it changed, and the object
    types of the objects it holds."""

    profile_id: str
    document: dict[str, Any]
    updated_at: datetime
    object_types: frozenset[str]


def profile_facts(
    conn: Connection, domain_id: int, profile_ids: Sequence[str]
) -> dict[str, ProfileFacts]:
    """The facts of those of ``profile_ids`` that exist."""
    from openprofiles.jsontext import parse
    from openprofiles.storage.tables import profile_objects, profiles

    if not profile_ids:
        return {}
    ids = list(dict.fromkeys(profile_ids))
    rows = conn.execute(
        select(profiles.c.profile_id, profiles.c.document, profiles.c.updated_at).where(
            profiles.c.domain_id == domain_id, profiles.c.profile_id.in_(ids)
        )
    )
    found = {pid: (parse(doc), to_utc(at)) for pid, doc, at in rows}
    types: dict[str, set[str]] = {}
    for pid, object_type in conn.execute(
        select(profile_objects.c.profile_id, profile_objects.c.object_type)
        .where(profile_objects.c.domain_id == domain_id, profile_objects.c.profile_id.in_(ids))
        .distinct()
    ):
        types.setdefault(pid, set()).add(object_type)
    return {
        pid: ProfileFacts(pid, doc, at, frozenset(types.get(pid, ())))
        for pid, (doc, at) in found.items()
    }


def profile_page(
    conn: Connection, domain_id: int, after: str, size: int
) -> list[tuple[str, dict[str, Any]]]:
    """Up to ``size`` of a domain's profiles (id, document) with ids after ``after``, in id
    order: a job reads a domain this way, one short read at a time."""
    from openprofiles.jsontext import parse
    from openprofiles.storage.tables import profiles

    rows = conn.execute(
        select(profiles.c.profile_id, profiles.c.document)
        .where(profiles.c.domain_id == domain_id, profiles.c.profile_id > after)
        .order_by(profiles.c.profile_id)
        .limit(size)
    )
    return [(pid, parse(doc)) for pid, doc in rows]


def realtime_members(
    conn: Connection, domain_id: int, match_ids: Sequence[str]
) -> dict[str, set[str]]:
    """The profiles of those of the real-time groups ``match_ids`` that exist."""
    if not match_ids:
        return {}
    rows = conn.execute(
        select(matches.c.match_id, matches.c.profile_ids).where(
            matches.c.domain_id == domain_id,
            matches.c.job_id == REALTIME,
            matches.c.match_id.in_(list(match_ids)),
        )
    )
    return {mid: set(json.loads(ids)) for mid, ids in rows}


def remove_group(conn: Connection, domain_id: int, match_id: str) -> int:
    """Delete one match group of the domain (the console's dismiss); how many rows went."""
    result = conn.execute(
        delete(matches).where(matches.c.domain_id == domain_id, matches.c.match_id == match_id)
    )
    return int(result.rowcount or 0)
