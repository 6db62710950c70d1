"""Profile objects, the look-ups of ingestion (key owners, stored objects, profile states) and
its batched profile writes; a profile's key rows are written through ``profile_keys``.

Everything here works on whole batches (one statement, or a few, per batch rather than per
object) because bulk import runs through it: lookups take lists of values (bound as one
parameter, see ``storage.lists``) and writes use executemany (``storage.batched``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Boolean,
    Connection,
    and_,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from openprofiles.clock import to_utc
from openprofiles.jsontext import compact, parse
from openprofiles.storage.batched import chunks, insert_many, update_many
from openprofiles.storage.lists import list_param, one_of, one_of_sql
from openprofiles.storage.raw import datetime_reader, fetch_all, marker
from openprofiles.storage.repositories.profile_keys import (
    OBJECT,
    AddedKey,
    KeyRow,
    added_key_rows,
    decode_added,
    delete_profile_keys,
    expiry_seconds,
    insert_profile_keys,
    later_expiry,
    seconds_now,
    set_added_keys,
    set_object_key_expiries,
    unexpired_sql,
)
from openprofiles.storage.tables import profile_objects, profiles


class contains_text(FunctionElement[bool]):
    """``haystack`` contains ``needle`` as a substring, compared exactly (SQLite's LIKE ignores
    ASCII case, so LIKE will not do): ``instr`` on SQLite, ``strpos`` on PostgreSQL."""

    type = Boolean()
    inherit_cache = True
    name = "contains_text"


@compiles(contains_text, "sqlite")
def _contains_text_sqlite(element: contains_text, compiler: Any, **kw: Any) -> str:
    return f"(instr({compiler.process(element.clauses, **kw)}) > 0)"


@compiles(contains_text, "postgresql")
def _contains_text_postgresql(element: contains_text, compiler: Any, **kw: Any) -> str:
    return f"(strpos({compiler.process(element.clauses, **kw)}) > 0)"


# --- lookups -----------------------------------------------------------------------------------


def key_owners(
    conn: Connection, domain_id: int, pairs: Iterable[tuple[str, str]], now: datetime
) -> list[tuple[str, str, str, str]]:
    """(key_name, key_value, one owner, another owner) for each of ``pairs`` some profile has
    (through a key that is not only its expired objects' at ``now``).

    Matching only needs to know whether a key value has exactly one owner, so at most two are
    read (the lowest and highest profile id; equal when there is one) however many profiles
    share a value: a company's account id on each of its contacts, a switchboard number.
    """
    sql = (
        f"SELECT key_name, key_value, min(profile_id), max(profile_id) FROM profile_keys"
        f" WHERE domain_id = {marker(conn)} AND key_name = {marker(conn)}"
        f" AND {one_of_sql(conn, 'key_value')} AND {unexpired_sql(conn)}"
        f" GROUP BY key_name, key_value"
    )
    rows = _rows_by_name(conn, sql, domain_id, pairs, seconds_now(now))
    return [row for _, row in rows]


def _rows_by_name(
    conn: Connection, sql: str, domain_id: int, pairs: Iterable[tuple[str, str]], *more: Any
) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """Run ``sql`` (placeholders: the domain id, a name, the list of :func:`one_of_sql`, then
    ``more``) once per name of the (name, value) ``pairs`` and chunk of its values; each row
    with its name."""
    by_name: dict[str, list[str]] = {}
    for name, value in pairs:
        by_name.setdefault(name, []).append(value)
    for name, values in by_name.items():
        for part in chunks(sorted(set(values))):
            for row in fetch_all(conn, sql, (domain_id, name, list_param(conn, part), *more)):
                yield name, row


@dataclass(frozen=True, slots=True)
class StoredObject:
    id: int
    object_type: str
    unique_key: str
    profile_id: str
    expires: int | None  # its expiry as its key rows hold it (expiry_seconds)


def find_objects(
    conn: Connection, domain_id: int, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], StoredObject]:
    """Stored objects by (object_type, unique_key), expired or not."""
    sql = (
        f"SELECT id, unique_key, profile_id, expires_at FROM profile_objects"
        f" WHERE domain_id = {marker(conn)} AND object_type = {marker(conn)}"
        f" AND {one_of_sql(conn, 'unique_key')}"
    )
    read_time = datetime_reader(conn.dialect)
    return {
        (object_type, unique_key): StoredObject(
            object_id,
            object_type,
            unique_key,
            profile_id,
            None if expires_at is None else expiry_seconds(read_time(expires_at)),
        )
        for object_type, (object_id, unique_key, profile_id, expires_at) in _rows_by_name(
            conn, sql, domain_id, keys
        )
    }


def object_documents(conn: Connection, object_ids: Sequence[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for part in chunks(list(object_ids)):
        rows = conn.execute(
            select(profile_objects.c.id, profile_objects.c.document).where(
                one_of(profile_objects.c.id, conn.dialect.name)
            ),
            {"values": list(part)},
        )
        found.update((i, d) for i, d in rows)
    return found


@dataclass(slots=True)
class ProfileState:
    document: dict[str, Any]
    source_updated_at: datetime | None
    added_keys: str = "[]"  # as stored: decode_added reads it
    field_sources: str | None = None  # as stored: services.field_sources reads it

    def added(self) -> list[AddedKey]:
        return decode_added(self.added_keys)


def profile_states(
    conn: Connection, domain_id: int, profile_ids: Iterable[str], *, for_update: bool
) -> dict[str, ProfileState]:
    """Documents, source-updated times, added keys and field sources; ``for_update`` locks
    the rows (PostgreSQL) in profile-id order so that concurrent batches cannot deadlock on
    them."""
    found: dict[str, ProfileState] = {}
    # SQLite has no row locks (its writer holds the whole database) and no FOR UPDATE.
    lock = " FOR UPDATE" if for_update and conn.dialect.name == "postgresql" else ""
    sql = (
        f"SELECT profile_id, document, source_updated_at, added_keys, field_sources"
        f" FROM profiles WHERE domain_id = {marker(conn)} AND {one_of_sql(conn, 'profile_id')}"
        f" ORDER BY profile_id{lock}"
    )
    read_time = datetime_reader(conn.dialect)
    for part in chunks(sorted(set(profile_ids))):
        for pid, document, updated, added, sources in fetch_all(
            conn, sql, (domain_id, list_param(conn, part))
        ):
            found[pid] = ProfileState(
                parse(document),
                read_time(updated) if updated is not None else None,
                added,
                sources,
            )
    return found


# --- batched writes ----------------------------------------------------------------------------


class ProfileRow(NamedTuple):
    """A new row of ``profiles``, its members in column order."""

    domain_id: int
    profile_id: str
    document: str  # JSON text
    size: int
    created_at: datetime
    updated_at: datetime
    source_updated_at: datetime | None
    added_keys: str  # from encode_added
    field_sources: str | None  # from services.field_sources


def insert_profiles(conn: Connection, rows: Sequence[ProfileRow]) -> None:
    insert_many(conn, profiles, ProfileRow._fields, rows)


class ProfileUpdate(NamedTuple):
    """New values for a row of ``profiles`` (:func:`update_profiles`), then the row's key."""

    document: str  # JSON text
    size: int
    updated_at: datetime
    source_updated_at: datetime | None
    added_keys: str  # from encode_added
    field_sources: str | None  # from services.field_sources
    domain_id: int
    profile_id: str


def update_profiles(conn: Connection, rows: Sequence[ProfileUpdate]) -> None:
    update_many(conn, profiles, ProfileUpdate._fields[:6], ProfileUpdate._fields[6:], rows)


class ObjectRow(NamedTuple):
    """A new row of ``profile_objects``, its members in column order."""

    domain_id: int
    object_type: str
    unique_key: str
    profile_id: str
    document: str
    size: int
    source_updated_at: datetime | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    key_values: str  # from encode_keys


def encode_keys(pairs: Iterable[tuple[str, str]]) -> str:
    """An object's keys as stored in ``key_values``: a JSON array of [name, value] pairs,
    each once. One pair's own encoding (:func:`_encoded_pair`) appears in it exactly where the
    pair is an element: JSON escapes every quote inside a string, and both are written by
    :func:`compact` (orjson, which escapes every character as json does without
    ``ensure_ascii``, as rows written before it did)."""
    return compact(list(dict.fromkeys(pairs)))


def _encoded_pair(name: str, value: str) -> str:
    return compact([name, value])


def decode_keys(text: str) -> list[tuple[str, str]]:
    return [(name, value) for name, value in parse(text)]


def insert_objects(conn: Connection, rows: Sequence[ObjectRow]) -> None:
    insert_many(conn, profile_objects, ObjectRow._fields, rows)


class ObjectUpdate(NamedTuple):
    """New values for a row of ``profile_objects`` (:func:`update_objects`), then its id."""

    profile_id: str
    document: str
    size: int
    source_updated_at: datetime | None
    updated_at: datetime
    expires_at: datetime | None
    key_values: str  # from encode_keys
    id: int


def update_objects(conn: Connection, rows: Sequence[ObjectUpdate]) -> None:
    update_many(conn, profile_objects, ObjectUpdate._fields[:-1], ("id",), rows)


def drop_unbacked_object_keys(conn: Connection, domain_id: int, profile_ids: Iterable[str]) -> None:
    """Remove 'object' profile keys of these profiles that no stored object carries any more;
    those that stay get the latest expiry of the objects carrying them (never, when one of
    them never expires)."""
    sync_object_keys(conn, domain_id, profile_ids, add_missing=False)


def sync_object_keys(
    conn: Connection, domain_id: int, profile_ids: Iterable[str], *, add_missing: bool = True
) -> None:
    """Make these profiles' 'object' keys those their stored objects carry, each with the
    latest expiry of the objects carrying it: stale ones removed and, with ``add_missing``,
    the missing ones added (objects that moved between profiles: a merge and its undoing)."""
    for part in chunks(sorted(set(profile_ids))):
        # profile_id -> (key_name, key_value) -> its expiry (expiry_seconds)
        carried: dict[str, dict[tuple[str, str], int | None]] = {}
        objects = conn.execute(
            select(
                profile_objects.c.profile_id,
                profile_objects.c.key_values,
                profile_objects.c.expires_at,
            ).where(
                profile_objects.c.domain_id == domain_id,
                one_of(profile_objects.c.profile_id, conn.dialect.name),
            ),
            {"values": list(part)},
        )
        for profile_id, text, expires_at in objects:
            expires = None if expires_at is None else expiry_seconds(to_utc(expires_at))
            keys = carried.setdefault(profile_id, {})
            for pair in decode_keys(text):
                keys[pair] = later_expiry(keys[pair], expires) if pair in keys else expires
        stale: list[KeyRow] = []
        fresh: list[KeyRow] = []
        kept: dict[str, list[AddedKey]] = {}
        expiries: list[tuple[int | None, int, str, str, str]] = []
        for profile_id, state in profile_states(conn, domain_id, part, for_update=True).items():
            added = state.added()
            keys = carried.get(profile_id, {})
            gone = []
            present: set[tuple[str, str]] = set()
            for name, value, origin in added:
                if origin != OBJECT:
                    continue
                if (name, value) in keys:
                    present.add((name, value))
                    expiries.append((keys[name, value], domain_id, name, value, profile_id))
                else:
                    gone.append((name, value, origin))
            missing = (
                [(n, v, OBJECT) for n, v in keys if (n, v) not in present] if add_missing else []
            )
            if gone or missing:
                stale += added_key_rows(domain_id, profile_id, gone)
                fresh += added_key_rows(domain_id, profile_id, missing)
                expiries += [(keys[n, v], domain_id, n, v, profile_id) for n, v, _ in missing]
                kept[profile_id] = [k for k in added if k not in gone] + missing
        delete_profile_keys(conn, stale)
        insert_profile_keys(conn, fresh)
        set_added_keys(conn, domain_id, kept)
        set_object_key_expiries(conn, expiries)


def objects_of(
    conn: Connection, domain_id: int, profile_ids: Sequence[str]
) -> list[tuple[int, str, str, str]]:
    """(id, object_type, unique_key, profile_id) of every stored object of these profiles,
    expired or not, in id order."""
    found: list[tuple[int, str, str, str]] = []
    for part in chunks(sorted(set(profile_ids))):
        rows = conn.execute(
            select(
                profile_objects.c.id,
                profile_objects.c.object_type,
                profile_objects.c.unique_key,
                profile_objects.c.profile_id,
            ).where(
                profile_objects.c.domain_id == domain_id,
                one_of(profile_objects.c.profile_id, conn.dialect.name),
            ),
            {"values": list(part)},
        )
        found += [(i, t, k, p) for i, t, k, p in rows]
    return sorted(found)


def move_objects(
    conn: Connection, domain_id: int, object_ids: Sequence[int], from_profile: str, to_profile: str
) -> int:
    """Give the objects among ``object_ids`` that are still ``from_profile``'s to
    ``to_profile``; how many moved. Their key rows are the caller's (:func:`sync_object_keys`)."""
    moved = 0
    for part in chunks(sorted(set(object_ids))):
        result = conn.execute(
            update(profile_objects)
            .where(
                profile_objects.c.domain_id == domain_id,
                profile_objects.c.profile_id == from_profile,
                one_of(profile_objects.c.id, conn.dialect.name),
            )
            .values(profile_id=to_profile),
            {"values": list(part)},
        )
        moved += int(result.rowcount)
    return moved


# --- single objects, listing, expiry, statistics ----------------------------------------------


def _visible(now: datetime) -> Any:
    return or_(profile_objects.c.expires_at.is_(None), profile_objects.c.expires_at > now)


def list_query(
    domain_id: int,
    object_type: str,
    profile_id: str,
    now: datetime,
    key_filter: tuple[str, Sequence[str]] | None,
) -> Any:
    query = select(
        profile_objects.c.id,
        profile_objects.c.unique_key,
        profile_objects.c.document,
    ).where(
        profile_objects.c.domain_id == domain_id,
        profile_objects.c.object_type == object_type,
        profile_objects.c.profile_id == profile_id,
        _visible(now),
    )
    if key_filter is not None:
        name, values = key_filter
        column = profile_objects.c.key_values
        query = query.where(or_(*(contains_text(column, _encoded_pair(name, v)) for v in values)))
    return query


def delete_object(
    conn: Connection,
    domain_id: int,
    object_type: str,
    profile_id: str,
    unique_key: str,
    now: datetime,
) -> bool:
    object_id = conn.scalar(
        select(profile_objects.c.id).where(
            profile_objects.c.domain_id == domain_id,
            profile_objects.c.object_type == object_type,
            profile_objects.c.profile_id == profile_id,
            profile_objects.c.unique_key == unique_key,
            _visible(now),
        )
    )
    if object_id is None:
        return False
    conn.execute(delete(profile_objects).where(profile_objects.c.id == object_id))
    drop_unbacked_object_keys(conn, domain_id, [profile_id])
    return True


def delete_profile_objects(conn: Connection, domain_id: int, profile_id: str) -> None:
    """Delete every object of a profile (DeleteProfile removes all data of the profile)."""
    conn.execute(
        delete(profile_objects).where(
            profile_objects.c.domain_id == domain_id, profile_objects.c.profile_id == profile_id
        )
    )


def delete_type_objects(conn: Connection, domain_id: int, object_type: str) -> int:
    """Delete every object of a type with its keys; the number of objects removed."""
    affected = [
        pid
        for (pid,) in conn.execute(
            select(profile_objects.c.profile_id)
            .where(
                profile_objects.c.domain_id == domain_id,
                profile_objects.c.object_type == object_type,
            )
            .distinct()
        )
    ]
    result = conn.execute(
        delete(profile_objects).where(
            profile_objects.c.domain_id == domain_id,
            profile_objects.c.object_type == object_type,
        )
    )
    drop_unbacked_object_keys(conn, domain_id, affected)
    return int(result.rowcount)


def purge_expired(conn: Connection, now: datetime, limit: int = 10_000) -> int:
    """Delete up to ``limit`` objects whose expiry has passed, with their keys."""
    rows = list(
        conn.execute(
            select(profile_objects.c.id, profile_objects.c.domain_id, profile_objects.c.profile_id)
            .where(profile_objects.c.expires_at <= now)
            .limit(limit)
        )
    )
    if not rows:
        return 0
    ids = [r[0] for r in rows]
    for part in chunks(ids):
        condition = one_of(profile_objects.c.id, conn.dialect.name)
        conn.execute(delete(profile_objects).where(condition), {"values": list(part)})
    by_domain: dict[int, set[str]] = {}
    for _, domain_id, profile_id in rows:
        by_domain.setdefault(domain_id, set()).add(profile_id)
    for domain_id, profile_ids in by_domain.items():
        drop_unbacked_object_keys(conn, domain_id, profile_ids)
    return len(rows)


OBJECTS_PER_METERED_PROFILE = 100


def stats(conn: Connection, domain_id: int, now: datetime) -> tuple[int, int, int]:
    """(visible objects, their bytes, extra metered profiles).

    AWS bills a profile with more than 100 objects as two profiles, more than 200 as three, and
    so on: a profile with n objects adds (n - 1) // 100 to MeteringProfileCount.
    """
    visible = and_(profile_objects.c.domain_id == domain_id, _visible(now))
    count, size = conn.execute(
        select(func.count(), func.coalesce(func.sum(profile_objects.c.size), 0)).where(visible)
    ).one()
    per_profile = (
        select(func.count().label("n"))
        .where(visible)
        .group_by(profile_objects.c.profile_id)
        .having(func.count() > OBJECTS_PER_METERED_PROFILE)
        .subquery()
    )
    # Floor division per profile, in SQL: SQLAlchemy compiles ``/`` on integers as true
    # division (a cast to NUMERIC, or + 0.0 on SQLite), and summing fractions before
    # truncating overcounts (3 profiles of 190 objects: 5 extra, not 3).
    extra = conn.scalar(
        select(func.coalesce(func.sum((per_profile.c.n - 1) // OBJECTS_PER_METERED_PROFILE), 0))
    )
    return int(count), int(size), int(extra or 0)


def advisory_lock(conn: Connection, hashes: Sequence[int], *, shared: bool = False) -> None:
    """PostgreSQL: take transaction-level advisory locks on ``hashes`` in ascending order,
    exclusive or ``shared``."""
    if hashes:
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        conn.exec_driver_sql(
            f"SELECT {function}(h) FROM "
            "(SELECT DISTINCT h FROM unnest(%(hashes)s::bigint[]) AS t(h) ORDER BY h) AS s",
            {"hashes": sorted(set(hashes))},
        )


def type_objects_by_profile(
    conn: Connection, domain_id: int, object_type: str
) -> Iterator[tuple[str, str]]:
    """(profile_id, object document) of every object of a type, grouped by profile."""
    rows = conn.execute(
        select(profile_objects.c.profile_id, profile_objects.c.document)
        .where(
            profile_objects.c.domain_id == domain_id,
            profile_objects.c.object_type == object_type,
        )
        .order_by(profile_objects.c.profile_id, profile_objects.c.id)
        .execution_options(yield_per=1000)  # streamed: a type may hold millions of objects
    )
    for row in rows:
        yield row[0], row[1]


def object_counts(
    conn: Connection, domain_id: int, profile_id: str, now: datetime
) -> dict[str, int]:
    """Object type → how many unexpired objects of it the profile has (the console's profile
    page); read through ix_profile_objects_profile."""
    rows = conn.execute(
        select(profile_objects.c.object_type, func.count())
        .where(
            profile_objects.c.domain_id == domain_id,
            profile_objects.c.profile_id == profile_id,
            _visible(now),
        )
        .group_by(profile_objects.c.object_type)
        .order_by(profile_objects.c.object_type)
    )
    return {name: int(count) for name, count in rows}
