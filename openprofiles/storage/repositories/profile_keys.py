"""A profile's search keys: the rows of ``profile_keys`` and the profile's own list of its
added keys.

``profile_keys`` is read by key (SearchProfiles, matching an object to a profile) and has no
index by profile (migration 0007). What a profile has is known without one: its standard keys
follow from its document (``services.standard_keys``), and its other keys (AddProfileKey's,
objects') are listed in its row's ``added_keys``, which every writer of such a row keeps equal
to the rows. Rows are deleted by their primary key.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Final

from sqlalchemy import Connection

from openprofiles.jsontext import compact, parse, sorted_object
from openprofiles.storage.batched import insert_many, update_many
from openprofiles.storage.raw import execute_many, marker
from openprofiles.storage.tables import profile_keys, profiles

# origin of a key row: see tables.profile_keys
STANDARD = "standard"
CUSTOM = "custom"
OBJECT = "object"
MERGED = "merged"

KeyRow = tuple[int, str, str, str, str]  # (domain_id, key_name, key_value, profile_id, origin)
AddedKey = tuple[str, str, str]  # (key_name, key_value, origin): an entry of added_keys


def standard_key_changes(
    domain_id: int,
    profile_id: str,
    before: Iterable[tuple[str, str]],
    after: Iterable[tuple[str, str]],
) -> tuple[list[KeyRow], list[KeyRow]]:
    """The standard key rows to delete and to insert when a profile's document goes from one
    set of standard keys (``standard_keys`` of the stored document: those are its rows) to
    another; a change rarely touches more than a name or a phone number."""
    old, new = set(before), set(after)
    return (
        [(domain_id, n, v, profile_id, STANDARD) for n, v in old - new],
        [(domain_id, n, v, profile_id, STANDARD) for n, v in new - old],
    )


def delete_profile_keys(conn: Connection, rows: Sequence[KeyRow]) -> None:
    """Delete (domain_id, key_name, key_value, profile_id, origin) rows, each by its primary key."""
    if not rows:
        return
    m = marker(conn)
    execute_many(
        conn,
        f"DELETE FROM profile_keys WHERE domain_id = {m} AND key_name = {m}"
        f" AND key_value = {m} AND profile_id = {m} AND origin = {m}",
        sorted(set(rows)),
    )


def insert_profile_keys(
    conn: Connection, rows: Sequence[KeyRow], object_expires: int | None = None
) -> None:
    """(domain_id, key_name, key_value, profile_id, origin) rows, deduplicated; 'object' rows
    expire at ``object_expires`` (Unix seconds; None: never), the others never. A row the
    profile already has stays, an 'object' row keeping the later of the two expiries."""
    insert_many(
        conn,
        profile_keys,
        ("domain_id", "key_name", "key_value", "profile_id", "origin", "expires"),
        [
            (*row, object_expires if row[4] == OBJECT else None)
            for row in _in_index_order(dict.fromkeys(rows))
        ],
        on_conflict=_KEEP_LATER_EXPIRY,
    )


def profile_keys_inserter(
    conn: Connection, rows: Iterable[KeyRow], object_expires: int | None = None
) -> Callable[[], None]:
    """:func:`insert_profile_keys` on SQLite as a call to make later, on any thread (see
    ``Database.before_commit``).

    The rows are grouped by domain, key name and origin, and each group becomes one JSON
    object from key value to profile, in value order, that a single INSERT reads with
    json_each: SQLite runs each of these few statements without Python's lock, where an
    executemany takes the lock back after every row. (An object's members need no
    extracting, unlike [value, profile] pairs: about 20% less work per row.) A value that
    more profiles share (a common name) goes on as [value, profile] pairs in one more
    statement. Encoded here, so that the call is all SQLite's."""
    groups: dict[tuple[int, str, str], tuple[dict[str, str], list[tuple[str, str]]]] = {}
    for domain_id, name, value, profile_id, origin in rows:
        group = groups.get((domain_id, name, origin))
        if group is None:
            group = groups[(domain_id, name, origin)] = ({}, [])
        if group[0].setdefault(value, profile_id) != profile_id:
            group[1].append((value, profile_id))
    by_object, by_pairs = [], []
    for (domain_id, name, origin), (first, more) in sorted(groups.items()):
        expires = object_expires if origin == OBJECT else None
        by_object.append((domain_id, name, origin, expires, sorted_object(first)))
        if more:
            more.sort(key=_FIRST)
            by_pairs.append((domain_id, name, origin, expires, compact(more)))

    def insert() -> None:
        execute_many(conn, _INSERT_FROM_OBJECT, by_object)
        if by_pairs:
            execute_many(conn, _INSERT_FROM_PAIRS, by_pairs)

    return insert


# A key row that is there already keeps the later expiry, NULL (never) winning; it is written
# only when that changes.
_KEEP_LATER_EXPIRY: Final = (
    "(domain_id, key_name, key_value, profile_id, origin) DO UPDATE SET expires ="
    " excluded.expires WHERE profile_keys.expires IS NOT NULL AND excluded.expires IS NULL"
    " OR profile_keys.expires < excluded.expires"
)
# "WHERE true": SQLite's grammar needs a WHERE before an upsert clause after SELECT ... FROM.
_INSERT_FROM_OBJECT: Final = (
    "INSERT INTO profile_keys (domain_id, key_name, key_value, profile_id, origin, expires)"
    f" SELECT ?, ?, key, value, ?, ? FROM json_each(?) WHERE true ON CONFLICT {_KEEP_LATER_EXPIRY}"
)
_INSERT_FROM_PAIRS: Final = (
    "INSERT INTO profile_keys (domain_id, key_name, key_value, profile_id, origin, expires)"
    " SELECT ?, ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?, ?"
    f" FROM json_each(?) WHERE true ON CONFLICT {_KEEP_LATER_EXPIRY}"
)


def set_object_key_expiries(
    conn: Connection, rows: Iterable[tuple[int | None, int, str, str, str]]
) -> None:
    """Give 'object' rows, as (expires, domain_id, key_name, key_value, profile_id), their
    expiry (Unix seconds; None: never); a row that has it already is not written."""
    m = marker(conn)
    differs = "IS DISTINCT FROM" if conn.dialect.name == "postgresql" else "IS NOT"
    execute_many(
        conn,
        f"UPDATE profile_keys SET expires = {m} WHERE domain_id = {m} AND key_name = {m}"
        f" AND key_value = {m} AND profile_id = {m} AND origin = '{OBJECT}'"
        f" AND expires {differs} {m}",
        sorted(((*row, row[0]) for row in rows), key=_PRIMARY_KEY),
    )


def unexpired_sql(conn: Connection) -> str:
    """SQL text for ``storage.raw``: the row is not an 'object' row whose objects have all
    expired at the time (:func:`seconds_now`) bound at this placeholder."""
    return f"(origin <> '{OBJECT}' OR expires IS NULL OR expires > {marker(conn)})"


def expiry_seconds(expires_at: datetime | None) -> int | None:
    """An object's expiry as profile_keys.expires holds it: Unix seconds, rounded up (the
    engine gives objects whole-second expiries; older rows may have fractions)."""
    return None if expires_at is None else math.ceil(expires_at.timestamp())


def later_expiry(one: int | None, other: int | None) -> int | None:
    """The later of two expiries (Unix seconds; None, never, is the latest)."""
    return None if one is None or other is None else max(one, other)


def seconds_now(now: datetime) -> int:
    """``now`` in whole Unix seconds, rounded down: a whole-second expiry is past ``now``
    exactly when it is past this."""
    return math.floor(now.timestamp())


def _in_index_order(rows: Iterable[KeyRow]) -> list[KeyRow]:
    """``rows`` by key name, then value: neighbouring inserts then touch the same b-tree
    pages. Sorting whole rows compared their equal leading members again and again (a batch
    has one domain and a few key names), which took twice as long."""
    by_name: dict[str, list[KeyRow]] = {}
    for row in rows:
        by_name.setdefault(row[1], []).append(row)
    ordered: list[KeyRow] = []
    for name in sorted(by_name):
        ordered += sorted(by_name[name], key=_KEY_VALUE)
    return ordered


_KEY_VALUE: Final = itemgetter(2)
_PRIMARY_KEY: Final = itemgetter(1, 2, 3, 4)
_FIRST: Final = itemgetter(0)


# --- a profile's added keys (its row's added_keys) ----------------------------------------------


def encode_added(keys: Iterable[AddedKey]) -> str:
    """``added_keys`` as stored: a JSON array of [key_name, key_value, origin], each once."""
    return compact([list(k) for k in dict.fromkeys(keys)])


def decode_added(text: str) -> list[AddedKey]:
    return [(name, value, origin) for name, value, origin in parse(text)]


def added_key_rows(domain_id: int, profile_id: str, keys: Iterable[AddedKey]) -> list[KeyRow]:
    return [(domain_id, name, value, profile_id, origin) for name, value, origin in keys]


def set_added_keys(
    conn: Connection, domain_id: int, keys: Mapping[str, Iterable[AddedKey]]
) -> None:
    """Write each profile's whole list of added keys (its rows are written separately)."""
    update_many(
        conn,
        profiles,
        ("added_keys",),
        ("domain_id", "profile_id"),
        [(encode_added(added), domain_id, pid) for pid, added in sorted(keys.items())],
    )
