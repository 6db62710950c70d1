"""Object types: one row per (domain, name) holding PutProfileObjectType's members as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from openprofiles.clock import to_utc
from openprofiles.storage.raw import datetime_reader, fetch_one, marker
from openprofiles.storage.tables import object_types


@dataclass(frozen=True)
class ObjectTypeRecord:
    name: str
    definition_text: str
    created_at: datetime
    updated_at: datetime

    @property
    def definition(self) -> dict[str, Any]:
        """The members as given, without DomainName, name and Tags. Parsed on demand: the
        ingestion path only compares the text (built definitions are cached by it)."""
        parsed: dict[str, Any] = json.loads(self.definition_text)
        return parsed


def _record(row: Row[Any]) -> ObjectTypeRecord:
    m = row._mapping
    return ObjectTypeRecord(
        name=m["name"],
        definition_text=m["definition"],
        created_at=to_utc(m["created_at"]),
        updated_at=to_utc(m["updated_at"]),
    )


def find(conn: Connection, domain_id: int, name: str) -> ObjectTypeRecord | None:
    """Every PutProfileObject resolves its type: read on the driver (see ``storage.raw``)."""
    m = marker(conn)
    row = fetch_one(
        conn,
        "SELECT name, definition, created_at, updated_at FROM object_types"
        f" WHERE domain_id = {m} AND name = {m}",
        (domain_id, name),
    )
    if row is None:
        return None
    read_time = datetime_reader(conn.dialect)
    return ObjectTypeRecord(row[0], row[1], read_time(row[2]), read_time(row[3]))


def all_types(conn: Connection, domain_id: int) -> list[ObjectTypeRecord]:
    rows = conn.execute(
        select(object_types)
        .where(object_types.c.domain_id == domain_id)
        .order_by(object_types.c.name)
    )
    return [_record(row) for row in rows]


def count(conn: Connection, domain_id: int) -> int:
    return int(
        conn.scalar(
            select(func.count())
            .select_from(object_types)
            .where(object_types.c.domain_id == domain_id)
        )
        or 0
    )


def save(
    conn: Connection, domain_id: int, name: str, definition: dict[str, Any], now: datetime
) -> ObjectTypeRecord:
    """Create the type or replace its definition (keeping its creation time)."""
    text = json.dumps(definition, separators=(",", ":"), sort_keys=True)
    result = conn.execute(
        update(object_types)
        .where(object_types.c.domain_id == domain_id, object_types.c.name == name)
        .values(definition=text, updated_at=now)
    )
    if not result.rowcount:
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(object_types).values(
                        domain_id=domain_id,
                        name=name,
                        definition=text,
                        created_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError:  # created concurrently (PostgreSQL): replace it instead
            return save(conn, domain_id, name, definition, now)
    record = find(conn, domain_id, name)
    assert record is not None
    return record


def remove(conn: Connection, domain_id: int, name: str) -> bool:
    result = conn.execute(
        delete(object_types).where(
            object_types.c.domain_id == domain_id, object_types.c.name == name
        )
    )
    return bool(result.rowcount)


def list_query(domain_id: int) -> Any:
    return select(
        object_types.c.name,
        object_types.c.definition,
        object_types.c.created_at,
        object_types.c.updated_at,
    ).where(object_types.c.domain_id == domain_id)
