"""Profiles and their search keys."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, delete, insert, or_, select, update

from openprofiles.jsontext import compact, parse
from openprofiles.storage.lists import one_of
from openprofiles.storage.paging import PagedQuery, paged
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
    text = compact(document)
    conn.execute(
        _INSERT_PROFILE,
        {
            "domain_id": domain_id,
            "profile_id": profile_id,
            "document": text,
            "size": len(text.encode()),
            "created_at": now,
            "updated_at": now,
        },
    )
    rows = _key_rows(domain_id, profile_id, standard_keys, STANDARD)
    if rows:
        conn.execute(_INSERT_KEY, rows)


# The statements of the request path are built once: building one costs more than running it.
_INSERT_PROFILE = insert(profiles)
_INSERT_KEY = insert(profile_keys)


@cache
def _get_documents_query(dialect: str, for_update: bool) -> Select[Any]:
    query = select(profiles.c.profile_id, profiles.c.document).where(
        profiles.c.domain_id == bindparam("domain_id"),
        one_of(profiles.c.profile_id, dialect, "profile_ids"),
    )
    return query.with_for_update() if for_update else query


def get_documents(
    conn: Connection, domain_id: int, profile_ids: Sequence[str], *, for_update: bool = False
) -> dict[str, dict[str, Any]]:
    if not profile_ids:
        return {}
    query = _get_documents_query(conn.dialect.name, for_update)
    rows = conn.execute(query, {"domain_id": domain_id, "profile_ids": list(profile_ids)})
    return {pid: parse(doc) for pid, doc in rows}


def replace_document(
    conn: Connection,
    domain_id: int,
    profile_id: str,
    document: dict[str, Any],
    standard_keys: KeyRows,
    now: datetime,
) -> None:
    text = compact(document)
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


Conditions = Sequence[tuple[str, Sequence[str]]]


def _condition(i: int) -> Any:
    # An IN list, not one_of: SearchProfiles' lists are short, and with the values behind
    # json_each SQLite's planner cannot tell, and read a whole domain's keys in profile order
    # to save sorting a page (0.2 s a search at 300,000 objects).
    return and_(
        profile_keys.c.domain_id == bindparam("domain_id"),
        profile_keys.c.key_name == bindparam(f"key_{i}"),
        profile_keys.c.key_value.in_(bindparam(f"values_{i}", expanding=True)),
    )


def search_params(domain_id: int, conditions: Conditions) -> dict[str, Any]:
    """The parameters of :func:`search_query` and :func:`matched_keys` for ``conditions``."""
    params: dict[str, Any] = {"domain_id": domain_id}
    for i, (name, values) in enumerate(conditions):
        params[f"key_{i}"] = name
        params[f"values_{i}"] = list(values)
    return params


@lru_cache(maxsize=32)
def search_query(count: int, match_all: bool) -> PagedQuery:
    """Profile ids having a value of each of ``count`` keys (``match_all``) or of any; paged
    by profile id. Parameters from :func:`search_params`."""
    if match_all:
        query = select(profile_keys.c.profile_id).where(_condition(0))
        for i in range(1, count):
            query = query.where(
                profile_keys.c.profile_id.in_(
                    select(profile_keys.c.profile_id).where(_condition(i))
                )
            )
    else:
        query = select(profile_keys.c.profile_id).where(or_(*(_condition(i) for i in range(count))))
    query = query.distinct()
    return paged(query, [query.selected_columns.profile_id])


@lru_cache(maxsize=32)
def _matched_keys_query(count: int) -> Any:
    return (
        select(profile_keys.c.profile_id, profile_keys.c.key_name, profile_keys.c.key_value)
        .where(
            profile_keys.c.profile_id.in_(bindparam("profile_ids", expanding=True)),
            or_(*(_condition(i) for i in range(count))),
        )
        .distinct()
    )


def matched_keys(
    conn: Connection, domain_id: int, profile_ids: Sequence[str], conditions: Conditions
) -> list[tuple[str, str, str]]:
    """(profile_id, key_name, key_value) for each searched key value the profiles have."""
    if not profile_ids:
        return []
    params = {**search_params(domain_id, conditions), "profile_ids": list(profile_ids)}
    rows = conn.execute(_matched_keys_query(len(conditions)), params)
    return [(p, n, v) for p, n, v in rows]
