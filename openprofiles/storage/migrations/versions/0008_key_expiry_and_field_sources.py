"""Object key rows expire with their objects; profiles remember which source set each field.

``profile_keys.expires`` (Unix seconds; NULL: never): on an 'object' row, the latest expiry of
the profile's objects carrying the key, NULL when one of them never expires. Reads by key
(SearchProfiles, matching an object to a profile) skip a row whose objects have all expired,
without waiting for the purge to delete it. Existing rows get it from their objects.

``profiles.field_sources``: JSON, field -> [priority, time] of the source that set it, so that
an object type's SourcePriority decides which value a field keeps
(openprofiles/services/field_sources.py). Existing profiles keep NULL, which reads as the rule
before priorities: every field of the lowest priority at the profile's newest source time.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Profiles whose key rows are written per step: memory stays bounded however many there are.
_PROFILES_PER_STEP = 10_000

_objects = sa.table(
    "profile_objects",
    sa.column("domain_id", sa.Integer),
    sa.column("profile_id", sa.String),
    sa.column("key_values", sa.Text),
    sa.column("expires_at", sa.DateTime(timezone=True)),
)

Expiries = dict[tuple[int, str, str, str], int | None]  # (domain, profile, name, value) -> when


def upgrade() -> None:
    conn = op.get_bind()
    op.add_column("profiles", sa.Column("field_sources", sa.Text))
    op.add_column("profile_keys", sa.Column("expires", sa.Integer))
    # Streamed in profile order (ix_profile_objects_profile): a profile's objects arrive
    # together, and a step's rows are written before the next step's objects are read.
    rows = conn.execute(
        sa.select(_objects.c.domain_id, _objects.c.profile_id, _objects.c.key_values,
                  _objects.c.expires_at)
        .order_by(_objects.c.domain_id, _objects.c.profile_id)
        .execution_options(yield_per=_PROFILES_PER_STEP)
    )  # fmt: skip
    step: Expiries = {}
    profiles: set[tuple[int, str]] = set()
    for domain_id, profile_id, text, expires_at in rows:
        owner = (domain_id, profile_id)
        if owner not in profiles and len(profiles) >= _PROFILES_PER_STEP:
            _write_step(conn, step)
            step, profiles = {}, set()
        profiles.add(owner)
        expires = None if expires_at is None else _seconds(expires_at)
        for name, value in json.loads(text):
            key = (domain_id, profile_id, name, value)
            step[key] = _later_of(step[key], expires) if key in step else expires
    _write_step(conn, step)


def _later_of(one: int | None, other: int | None) -> int | None:
    # As openprofiles.storage.repositories.profile_keys.later_expiry: NULL (never) wins.
    return None if one is None or other is None else max(one, other)


def _seconds(moment: datetime) -> int:
    # As openprofiles.storage.repositories.profile_keys.expiry_seconds: rounded up.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return math.ceil(moment.timestamp())


def _write_step(conn: sa.Connection, step: Expiries) -> None:
    # Rows that never expire keep their NULL; a pair no 'object' row has updates nothing.
    expiring = [
        {"did": d, "pid": p, "name": n, "value": v, "expires": e}
        for (d, p, n, v), e in sorted(step.items())
        if e is not None
    ]
    if expiring:
        conn.execute(
            sa.text(
                "UPDATE profile_keys SET expires = :expires WHERE domain_id = :did"
                " AND key_name = :name AND key_value = :value AND profile_id = :pid"
                " AND origin = 'object'"
            ),
            expiring,
        )


def downgrade() -> None:
    # SQLite drops a column in place (since 3.35), keeping profile_keys WITHOUT ROWID; a
    # batch operation would rebuild the table without it.
    op.execute("ALTER TABLE profile_keys DROP COLUMN expires")
    op.execute("ALTER TABLE profiles DROP COLUMN field_sources")
