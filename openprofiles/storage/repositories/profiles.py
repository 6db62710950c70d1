"""Profiles and their search keys."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, delete, func, or_, select, update

from openprofiles.clock import to_utc
from openprofiles.jsontext import compact, parse
from openprofiles.storage.batched import insert_many
from openprofiles.storage.lists import one_of
from openprofiles.storage.paging import PagedQuery, paged
from openprofiles.storage.repositories import profile_keys as keys_repo
from openprofiles.storage.tables import profile_keys, profiles

KeyRows = Iterable[tuple[str, str]]  # (key_name, key_value)


def insert_profile(
    conn: Connection,
    domain_id: int,
    profile_id: str,
    document: dict[str, Any],
    standard_keys: KeyRows,
    now: datetime,
    field_sources: str | None,
) -> None:
    text = compact(document)
    insert_many(
        conn,
        profiles,
        ("domain_id", "profile_id", "document", "size", "created_at", "updated_at",
         "field_sources"),
        [(domain_id, profile_id, text, len(text.encode()), now, now, field_sources)],
    )  # fmt: skip
    keys_repo.insert_profile_keys(
        conn, [(domain_id, n, v, profile_id, keys_repo.STANDARD) for n, v in standard_keys]
    )


@cache
def _get_documents_query(dialect: str) -> Select[Any]:
    return select(profiles.c.profile_id, profiles.c.document).where(
        profiles.c.domain_id == bindparam("domain_id"),
        one_of(profiles.c.profile_id, dialect, "profile_ids"),
    )


def get_documents(
    conn: Connection, domain_id: int, profile_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    if not profile_ids:
        return {}
    query = _get_documents_query(conn.dialect.name)
    rows = conn.execute(query, {"domain_id": domain_id, "profile_ids": list(profile_ids)})
    return {pid: parse(doc) for pid, doc in rows}


def replace_document(
    conn: Connection,
    domain_id: int,
    profile_id: str,
    document: dict[str, Any],
    standard_before: KeyRows,
    standard_after: KeyRows,
    now: datetime,
    field_sources: str | None,
) -> None:
    """Store a profile's new document and field sources; its standard key rows go from
    ``standard_before`` (those of the stored document) to ``standard_after``."""
    text = compact(document)
    conn.execute(
        update(profiles)
        .where(profiles.c.domain_id == domain_id, profiles.c.profile_id == profile_id)
        .values(document=text, size=len(text.encode()), updated_at=now, field_sources=field_sources)
    )
    stale, added = keys_repo.standard_key_changes(
        domain_id, profile_id, standard_before, standard_after
    )
    keys_repo.delete_profile_keys(conn, stale)
    keys_repo.insert_profile_keys(conn, added)


def delete_profile(
    conn: Connection,
    domain_id: int,
    profile_id: str,
    standard_keys: KeyRows,
    added: Iterable[keys_repo.AddedKey],
) -> None:
    """Delete a profile and its key rows: ``standard_keys`` and ``added`` (those of its stored
    document and row)."""
    conn.execute(
        delete(profiles).where(
            profiles.c.domain_id == domain_id, profiles.c.profile_id == profile_id
        )
    )
    rows = keys_repo.added_key_rows(domain_id, profile_id, added)
    rows += [(domain_id, n, v, profile_id, keys_repo.STANDARD) for n, v in standard_keys]
    keys_repo.delete_profile_keys(conn, rows)


def add_keys(
    conn: Connection,
    domain_id: int,
    profile_id: str,
    added: list[keys_repo.AddedKey],
    pairs: KeyRows,
    origin: str = keys_repo.CUSTOM,
) -> None:
    """Give a profile, whose added keys are ``added``, key values (AddProfileKey); those it has
    with this origin stay as they are."""
    present = set(added)
    fresh = [k for k in dict.fromkeys((n, v, origin) for n, v in pairs) if k not in present]
    if fresh:
        keys_repo.insert_profile_keys(conn, keys_repo.added_key_rows(domain_id, profile_id, fresh))
        keys_repo.set_added_keys(conn, domain_id, {profile_id: [*added, *fresh]})


def remove_keys(
    conn: Connection,
    domain_id: int,
    profile_id: str,
    added: list[keys_repo.AddedKey],
    key_name: str,
    values: Sequence[str],
) -> int:
    """Remove values of one of a profile's ``added`` (non-standard) keys; the number of rows
    removed."""
    wanted = set(values)
    gone = [k for k in added if k[0] == key_name and k[1] in wanted]
    if gone:
        keys_repo.delete_profile_keys(conn, keys_repo.added_key_rows(domain_id, profile_id, gone))
        keys_repo.set_added_keys(conn, domain_id, {profile_id: [k for k in added if k not in gone]})
    return len(gone)


Conditions = Sequence[tuple[str, Sequence[str]]]


def _condition(i: int) -> Any:
    # An IN list, not one_of: SearchProfiles' lists are short, and with the values behind
    # json_each SQLite's planner cannot tell their number (when profile_keys had an index by
    # profile, it read a whole domain's keys in profile order to save sorting a page: 0.2 s a
    # search at 300,000 objects).
    return and_(
        profile_keys.c.domain_id == bindparam("domain_id"),
        profile_keys.c.key_name == bindparam(f"key_{i}"),
        profile_keys.c.key_value.in_(bindparam(f"values_{i}", expanding=True)),
        # Not a key only expired objects carry (they are gone from every read at once).
        or_(
            profile_keys.c.origin != keys_repo.OBJECT,
            profile_keys.c.expires.is_(None),
            profile_keys.c.expires > bindparam("now"),
        ),
    )


def search_params(domain_id: int, conditions: Conditions, now: datetime) -> dict[str, Any]:
    """The parameters of :func:`search_query` and :func:`matched_keys` for ``conditions``,
    searched at ``now``."""
    params: dict[str, Any] = {"domain_id": domain_id, "now": keys_repo.seconds_now(now)}
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
    conn: Connection,
    domain_id: int,
    profile_ids: Sequence[str],
    conditions: Conditions,
    now: datetime,
) -> list[tuple[str, str, str]]:
    """(profile_id, key_name, key_value) for each searched key value the profiles have."""
    if not profile_ids:
        return []
    params = {**search_params(domain_id, conditions, now), "profile_ids": list(profile_ids)}
    rows = conn.execute(_matched_keys_query(len(conditions)), params)
    return [(p, n, v) for p, n, v in rows]


def count_profiles(conn: Connection, domain_id: int) -> int:
    """How many profiles the domain has: read from the primary key alone, so fast where the
    sizes' sum (``domains.profile_stats``) reads every row."""
    return int(conn.scalar(select(func.count()).where(profiles.c.domain_id == domain_id)) or 0)


def profile_times(
    conn: Connection, domain_id: int, profile_ids: Sequence[str]
) -> dict[str, tuple[datetime, datetime]]:
    """(created_at, updated_at) of each of these profiles that exists."""
    if not profile_ids:
        return {}
    rows = conn.execute(
        select(profiles.c.profile_id, profiles.c.created_at, profiles.c.updated_at).where(
            profiles.c.domain_id == domain_id,
            one_of(profiles.c.profile_id, conn.dialect.name, "profile_ids"),
        ),
        {"profile_ids": list(profile_ids)},
    )
    return {pid: (to_utc(created), to_utc(updated)) for pid, created, updated in rows}
