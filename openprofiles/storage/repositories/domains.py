"""Domains: one row per (account, region, name)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from openprofiles.storage.raw import datetime_reader, fetch_one, marker
from openprofiles.storage.tables import domains, profiles


@dataclass(frozen=True)
class DomainRecord:
    id: int
    account: str
    region: str
    name: str
    default_expiration_days: int
    config: dict[str, Any]
    created_at: datetime
    updated_at: datetime


_COLUMNS = "id, account, region, name, default_expiration_days, config, created_at, updated_at"


def find(conn: Connection, account: str, region: str, name: str) -> DomainRecord | None:
    """Every request resolves its domain: read on the driver (see ``storage.raw``)."""
    m = marker(conn)
    row = fetch_one(
        conn,
        f"SELECT {_COLUMNS} FROM domains WHERE account = {m} AND region = {m} AND name = {m}",
        (account, region, name),
    )
    if row is None:
        return None
    read_time = datetime_reader(conn.dialect)
    return DomainRecord(
        id=row[0],
        account=row[1],
        region=row[2],
        name=row[3],
        default_expiration_days=row[4],
        config=json.loads(row[5]),
        created_at=read_time(row[6]),
        updated_at=read_time(row[7]),
    )


def count(conn: Connection, account: str, region: str) -> int:
    return int(
        conn.scalar(
            select(func.count())
            .select_from(domains)
            .where(domains.c.account == account, domains.c.region == region)
        )
        or 0
    )


def create(
    conn: Connection,
    account: str,
    region: str,
    name: str,
    default_expiration_days: int,
    config: dict[str, Any],
    now: datetime,
) -> DomainRecord | None:
    """Insert a domain; None when one of that name already exists."""
    try:
        with conn.begin_nested():
            conn.execute(
                insert(domains).values(
                    account=account,
                    region=region,
                    name=name,
                    default_expiration_days=default_expiration_days,
                    config=json.dumps(config),
                    created_at=now,
                    updated_at=now,
                )
            )
    except IntegrityError:
        return None
    return find(conn, account, region, name)


def save(
    conn: Connection,
    domain_id: int,
    default_expiration_days: int,
    config: dict[str, Any],
    now: datetime,
) -> None:
    conn.execute(
        update(domains)
        .where(domains.c.id == domain_id)
        .values(
            default_expiration_days=default_expiration_days,
            config=json.dumps(config),
            updated_at=now,
        )
    )


def remove(conn: Connection, domain_id: int) -> None:
    # Child rows go by ON DELETE CASCADE; deleting the biggest table explicitly first keeps
    # SQLite's cascade from walking it row by row through the foreign key.
    conn.execute(delete(profiles).where(profiles.c.domain_id == domain_id))
    conn.execute(delete(domains).where(domains.c.id == domain_id))


def list_query(account: str, region: str) -> Any:
    return select(domains.c.name, domains.c.created_at, domains.c.updated_at).where(
        domains.c.account == account, domains.c.region == region
    )


def profile_stats(conn: Connection, domain_id: int) -> tuple[int, int]:
    """(number of profiles, total size of their documents in bytes)."""
    row = conn.execute(
        select(func.count(), func.coalesce(func.sum(profiles.c.size), 0)).where(
            profiles.c.domain_id == domain_id
        )
    ).one()
    return int(row[0]), int(row[1])


def with_matching(conn: Connection) -> list[DomainRecord]:
    """Every domain whose configuration mentions Matching (the scheduler reads their
    JobSchedule); few enough to read whole."""
    rows = conn.execute(
        select(domains.c.account, domains.c.region, domains.c.name).where(
            domains.c.config.like('%"Matching"%')
        )
    )
    found = [find(conn, account, region, name) for account, region, name in rows]
    return [record for record in found if record is not None]


def find_by_id(conn: Connection, domain_id: int) -> DomainRecord | None:
    row = conn.execute(
        select(domains.c.account, domains.c.region, domains.c.name).where(domains.c.id == domain_id)
    ).first()
    return None if row is None else find(conn, row.account, row.region, row.name)
