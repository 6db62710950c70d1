"""Profiles and their search keys."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, or_, select, update

from openprofiles.storage.tables import profile_keys, profiles

# origin of a key row: see tables.profile_keys
STANDARD = "standard"
CUSTOM = "custom"
OBJECT = "object"

KeyRows = Iterable[tuple[str, str]]  # (key_name, key_value)


def _key_rows(domain_id: int, profile_id: str, keys: KeyRows, origin: str) -> list[dict[str, Any]]:
    seen: set[tuple[str, str]] = set()
    rows = []
    for name, value in keys:
        if (name, value) in seen:
            continue
        seen.add((name, value))
        rows.append(
            {
                "domain_id": domain_id,
                "key_name": name,
                "key_value": value,
                "profile_id": profile_id,
                "origin": origin,
            }
        )
    return rows


def insert_profile(
    conn: Connection,
    domain_id: int,
    profile_id: str,
    document: dict[str, Any],
    standard_keys: KeyRows,
    now: datetime,
) -> None:
    text = json.dumps(document, separators=(",", ":"))
    conn.execute(
        insert(profiles).values(
            domain_id=domain_id,
            profile_id=profile_id,
            document=text,
            size=len(text.encode()),
            created_at=now,
            updated_at=now,
        )
    )
    rows = _key_rows(domain_id, profile_id, standard_keys, STANDARD)
    if rows:
        conn.execute(insert(profile_keys), rows)


def get_documents(
    conn: Connection, domain_id: int, profile_ids: Sequence[str], *, for_update: bool = False
) -> dict[str, dict[str, Any]]:
    if not profile_ids:
        return {}
    query = select(profiles.c.profile_id, profiles.c.document).where(
        profiles.c.domain_id == domain_id, profiles.c.profile_id.in_(list(profile_ids))
    )
    if for_update:
        query = query.with_for_update()
    return {pid: json.loads(doc) for pid, doc in conn.execute(query)}


def replace_document(
    conn: Connection,
    domain_id: int,
    profile_id: str,
    document: dict[str, Any],
    standard_keys: KeyRows,
    now: datetime,
) -> None:
    text = json.dumps(document, separators=(",", ":"))
    conn.execute(
        update(profiles)
        .where(profiles.c.domain_id == domain_id, profiles.c.profile_id == profile_id)
        .values(document=text, size=len(text.encode()), updated_at=now)
    )
    conn.execute(
        delete(profile_keys).where(
            profile_keys.c.domain_id == domain_id,
            profile_keys.c.profile_id == profile_id,
            profile_keys.c.origin == STANDARD,
        )
    )
    rows = _key_rows(domain_id, profile_id, standard_keys, STANDARD)
    if rows:
        conn.execute(insert(profile_keys), rows)


def delete_profile(conn: Connection, domain_id: int, profile_id: str) -> bool:
    result = conn.execute(
        delete(profiles).where(
            profiles.c.domain_id == domain_id, profiles.c.profile_id == profile_id
        )
    )
    conn.execute(
        delete(profile_keys).where(
            profile_keys.c.domain_id == domain_id, profile_keys.c.profile_id == profile_id
        )
    )
    return bool(result.rowcount)


def exists(conn: Connection, domain_id: int, profile_id: str) -> bool:
    return (
        conn.execute(
            select(profiles.c.profile_id).where(
                profiles.c.domain_id == domain_id, profiles.c.profile_id == profile_id
            )
        ).first()
        is not None
    )


def add_keys(
    conn: Connection, domain_id: int, profile_id: str, keys: KeyRows, origin: str = CUSTOM
) -> None:
    rows = _key_rows(domain_id, profile_id, keys, origin)
    if not rows:
        return
    present = {
        (n, v)
        for n, v in conn.execute(
            select(profile_keys.c.key_name, profile_keys.c.key_value).where(
                profile_keys.c.domain_id == domain_id,
                profile_keys.c.profile_id == profile_id,
                profile_keys.c.origin == origin,
            )
        )
    }
    rows = [r for r in rows if (r["key_name"], r["key_value"]) not in present]
    if rows:
        conn.execute(insert(profile_keys), rows)


def remove_keys(
    conn: Connection, domain_id: int, profile_id: str, key_name: str, values: Sequence[str]
) -> int:
    """Remove added (non-standard) key values of a profile; the number of rows removed."""
    result = conn.execute(
        delete(profile_keys).where(
            profile_keys.c.domain_id == domain_id,
            profile_keys.c.profile_id == profile_id,
            profile_keys.c.key_name == key_name,
            profile_keys.c.key_value.in_(list(values)),
            profile_keys.c.origin != STANDARD,
        )
    )
    return int(result.rowcount)


def _condition(domain_id: int, key_name: str, values: Sequence[str]) -> Any:
    return and_(
        profile_keys.c.domain_id == domain_id,
        profile_keys.c.key_name == key_name,
        profile_keys.c.key_value.in_(list(values)),
    )


def search_query(
    domain_id: int, conditions: Sequence[tuple[str, Sequence[str]]], match_all: bool
) -> Any:
    """Profile ids having a value of each key (``match_all``) or of any key."""
    if match_all:
        first, *rest = conditions
        query = select(profile_keys.c.profile_id).where(_condition(domain_id, *first))
        for name, values in rest:
            query = query.where(
                profile_keys.c.profile_id.in_(
                    select(profile_keys.c.profile_id).where(_condition(domain_id, name, values))
                )
            )
    else:
        query = select(profile_keys.c.profile_id).where(
            or_(*(_condition(domain_id, n, v) for n, v in conditions))
        )
    return query.distinct()


def matched_keys(
    conn: Connection,
    domain_id: int,
    profile_ids: Sequence[str],
    conditions: Sequence[tuple[str, Sequence[str]]],
) -> list[tuple[str, str, str]]:
    """(profile_id, key_name, key_value) for each searched key value the profiles have."""
    if not profile_ids:
        return []
    rows = conn.execute(
        select(profile_keys.c.profile_id, profile_keys.c.key_name, profile_keys.c.key_value)
        .where(
            profile_keys.c.profile_id.in_(list(profile_ids)),
            or_(*(_condition(domain_id, n, v) for n, v in conditions)),
        )
        .distinct()
    )
    return [(p, n, v) for p, n, v in rows]
