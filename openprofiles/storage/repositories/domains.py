"""Domains: one row per (account, region, name)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from openprofiles.clock import to_utc
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


def _record(row: Row[Any]) -> DomainRecord:
    m = row._mapping
    return DomainRecord(
        id=m["id"],
        account=m["account"],
        region=m["region"],
        name=m["name"],
        default_expiration_days=m["default_expiration_days"],
        config=json.loads(m["config"]),
        created_at=to_utc(m["created_at"]),
        updated_at=to_utc(m["updated_at"]),
    )


# Built once: every request resolves its domain, and building a statement costs more than
# running it.
_FIND = select(domains).where(
    domains.c.account == bindparam("account"),
    domains.c.region == bindparam("region"),
    domains.c.name == bindparam("name"),
)


def find(conn: Connection, account: str, region: str, name: str) -> DomainRecord | None:
    row = conn.execute(_FIND, {"account": account, "region": region, "name": name}).first()
    return _record(row) if row else None


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
