"""An object's keys move from the object_keys table into a column of the object's row.

ListProfileObjects' ObjectFilter is the only reader of an object's keys, and it always looks
among one profile's objects of one type, which ix_profile_objects_profile finds; so the keys
need no index of their own. As a JSON array of [name, value] pairs in ``key_values`` they cost
ingestion no B-tree entries at all, where object_keys cost two per key (about 6 of the 28
entries an object wrote), and the database gets smaller.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Objects whose keys are carried over per step: memory stays bounded however large the table.
_OBJECTS_PER_STEP = 10_000


def _encode(pairs: list[list[str]]) -> str:
    # The format of openprofiles.storage.repositories.profile_objects.encode_keys.
    return json.dumps(pairs, ensure_ascii=False, separators=(",", ":"))


def upgrade() -> None:
    conn = op.get_bind()
    # A plain ADD COLUMN on both databases (SQLite does not copy the table for it, which would
    # cascade to object_keys when the old table is dropped).
    op.add_column(
        "profile_objects", sa.Column("key_values", sa.Text, nullable=False, server_default="[]")
    )
    low, high = conn.execute(
        sa.text("SELECT min(object_id), max(object_id) FROM object_keys")
    ).one()
    if low is not None:
        step = sa.text(
            "SELECT object_id, key_name, key_value FROM object_keys"
            " WHERE object_id >= :first AND object_id < :end ORDER BY 1, 2, 3"
        )
        for first in range(low, high + 1, _OBJECTS_PER_STEP):
            keys: dict[int, list[list[str]]] = {}
            rows = conn.execute(step, {"first": first, "end": first + _OBJECTS_PER_STEP})
            for object_id, name, value in rows:
                keys.setdefault(object_id, []).append([name, value])
            if keys:
                conn.execute(
                    sa.text("UPDATE profile_objects SET key_values = :keys WHERE id = :id"),
                    [{"id": i, "keys": _encode(pairs)} for i, pairs in keys.items()],
                )
    op.drop_table("object_keys")


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, domain_id, key_values FROM profile_objects WHERE key_values <> '[]'")
    ).all()
    # Dropping the column first: on SQLite that copies profile_objects into a new table, and
    # dropping the old one would cascade to the rows of an object_keys table made before.
    with op.batch_alter_table("profile_objects") as batch:
        batch.drop_column("key_values")
    op.create_table(
        "object_keys",
        sa.Column(
            "object_id",
            sa.Integer,
            sa.ForeignKey("profile_objects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("domain_id", sa.Integer, nullable=False),
        sa.Column("key_name", sa.String(64), nullable=False),
        sa.Column("key_value", sa.String(1024), nullable=False),
        sa.PrimaryKeyConstraint("object_id", "key_name", "key_value", name="pk_object_keys"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_object_keys_lookup", "object_keys", ["domain_id", "key_name", "key_value"])
    keys = [
        {"object_id": object_id, "domain_id": domain_id, "name": name, "value": value}
        for object_id, domain_id, text in rows
        for name, value in dict.fromkeys((n, v) for n, v in json.loads(text))
    ]
    if keys:
        conn.execute(
            sa.text(
                "INSERT INTO object_keys (object_id, domain_id, key_name, key_value)"
                " VALUES (:object_id, :domain_id, :name, :value)"
            ),
            keys,
        )
