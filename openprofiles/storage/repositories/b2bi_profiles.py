"""B2B Data Interchange profiles: one row per (account, profile id), in the caller's region."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, delete, func, insert, select, update

from openprofiles.clock import to_utc
from openprofiles.storage.tables import b2bi_profiles as table


@dataclass(frozen=True)
class B2biProfileRecord:
    account: str
    region: str
    profile_id: str
    name: str
    email: str | None
    phone: str
    business_name: str
    logging: str
    log_group_name: str | None
    created_at: datetime
    modified_at: datetime | None


def _record(row: Row[Any]) -> B2biProfileRecord:
    m = row._mapping
    return B2biProfileRecord(
        account=m["account"],
        region=m["region"],
        profile_id=m["profile_id"],
        name=m["name"],
        email=m["email"],
        phone=m["phone"],
        business_name=m["business_name"],
        logging=m["logging"],
        log_group_name=m["log_group_name"],
        created_at=to_utc(m["created_at"]),
        modified_at=to_utc(m["modified_at"]) if m["modified_at"] is not None else None,
    )


def lock_creates(conn: Connection, account: str, region: str) -> None:
    """Serialise profile creation in one account and region until the transaction ends.

    SQLite write transactions are serialised already (one writer, BEGIN IMMEDIATE); on
    PostgreSQL a transaction-scoped advisory lock per (account, region) makes the quota count
    and the clientToken lookup that follow it hold against concurrent creates.
    """
    if conn.dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"b2bi-profiles:{account}:{region}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({key})")


def count(conn: Connection, account: str, region: str) -> int:
    return int(
        conn.scalar(
            select(func.count())
            .select_from(table)
            .where(table.c.account == account, table.c.region == region)
        )
        or 0
    )


def find(conn: Connection, account: str, region: str, profile_id: str) -> B2biProfileRecord | None:
    row = conn.execute(
        select(table).where(
            table.c.account == account,
            table.c.region == region,
            table.c.profile_id == profile_id,
        )
    ).first()
    return _record(row) if row else None


def find_by_token(
    conn: Connection, account: str, region: str, token_digest: str
) -> tuple[B2biProfileRecord, str | None] | None:
    """The profile created with that clientToken (digest) and its request fingerprint."""
    row = conn.execute(
        select(table)
        .where(
            table.c.account == account,
            table.c.region == region,
            table.c.client_token == token_digest,
        )
        .limit(1)
    ).first()
    return (_record(row), row._mapping["request_hash"]) if row else None


def create(
    conn: Connection,
    record: B2biProfileRecord,
    token_digest: str | None,
    request_hash: str | None,
) -> None:
    conn.execute(
        insert(table).values(
            account=record.account,
            region=record.region,
            profile_id=record.profile_id,
            name=record.name,
            email=record.email,
            phone=record.phone,
            business_name=record.business_name,
            logging=record.logging,
            log_group_name=record.log_group_name,
            client_token=token_digest,
            request_hash=request_hash,
            created_at=record.created_at,
            modified_at=record.modified_at,
        )
    )


def save(conn: Connection, record: B2biProfileRecord) -> None:
    """Write the updatable fields (name, email, phone, business name) and modifiedAt."""
    conn.execute(
        update(table)
        .where(
            table.c.account == record.account,
            table.c.region == record.region,
            table.c.profile_id == record.profile_id,
        )
        .values(
            name=record.name,
            email=record.email,
            phone=record.phone,
            business_name=record.business_name,
            modified_at=record.modified_at,
        )
    )


def remove(conn: Connection, account: str, region: str, profile_id: str) -> bool:
    """Delete a profile; False when there was none."""
    result = conn.execute(
        delete(table).where(
            table.c.account == account,
            table.c.region == region,
            table.c.profile_id == profile_id,
        )
    )
    return result.rowcount > 0


def list_query(account: str, region: str) -> Select[Any]:
    """Every profile of an account in a region; page it by ``table.c.profile_id``."""
    return select(table).where(table.c.account == account, table.c.region == region)


def records(rows: list[Row[Any]]) -> list[B2biProfileRecord]:
    return [_record(row) for row in rows]


order_key = table.c.profile_id
