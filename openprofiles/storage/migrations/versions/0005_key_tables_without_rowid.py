"""profile_keys and object_keys keyed by what they are looked up by, without a row id.

Both tables are only ever read through an index, so on SQLite they become WITHOUT ROWID tables
clustered on their primary key: profile_keys on (domain, key name, value, profile, origin), the
former unique constraint; object_keys on (object, key name, value), which also serves what the
by-object index did. Each key row is then one B-tree entry fewer (ingestion writes about eleven
per object), and both tables are smaller. On PostgreSQL the same primary keys replace the
unique constraint and the by-object index.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PROFILE_KEY_COLUMNS = ["domain_id", "key_name", "key_value", "profile_id", "origin"]
BY_PROFILE = ["domain_id", "profile_id", "origin", "key_name", "key_value"]
OBJECT_KEY_PRIMARY = ["object_id", "key_name", "key_value"]
OBJECT_KEY_COLUMNS = ["object_id", "domain_id", "key_name", "key_value"]
LOOKUP = ["domain_id", "key_name", "key_value"]


def _profile_keys_table(name: str, *, without_rowid: bool) -> None:
    key = (
        sa.PrimaryKeyConstraint(*PROFILE_KEY_COLUMNS, name="pk_profile_keys")
        if without_rowid
        else sa.UniqueConstraint(*PROFILE_KEY_COLUMNS, name="uq_profile_keys")
    )
    op.create_table(
        name,
        sa.Column(
            "domain_id", sa.Integer, sa.ForeignKey("domains.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("key_name", sa.String(64), nullable=False),
        sa.Column("key_value", sa.String(1024), nullable=False),
        sa.Column("profile_id", sa.String(32), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        key,
        sqlite_with_rowid=not without_rowid,
    )


def _object_keys_table(name: str, *, without_rowid: bool) -> None:
    extra = (
        [sa.PrimaryKeyConstraint(*OBJECT_KEY_PRIMARY, name="pk_object_keys")]
        if without_rowid
        else []
    )
    op.create_table(
        name,
        sa.Column(
            "object_id",
            sa.Integer,
            sa.ForeignKey("profile_objects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("domain_id", sa.Integer, nullable=False),
        sa.Column("key_name", sa.String(64), nullable=False),
        sa.Column("key_value", sa.String(1024), nullable=False),
        *extra,
        sqlite_with_rowid=not without_rowid,
    )


def _rebuild_sqlite(*, without_rowid: bool) -> None:
    """SQLite cannot change a table's primary key in place: copy each table into a new one."""
    _profile_keys_table("profile_keys_new", without_rowid=without_rowid)
    columns = ", ".join(PROFILE_KEY_COLUMNS)
    op.execute(
        f"INSERT OR IGNORE INTO profile_keys_new ({columns}) SELECT {columns} FROM profile_keys"
    )
    op.drop_table("profile_keys")
    op.rename_table("profile_keys_new", "profile_keys")
    op.create_index("ix_profile_keys_profile", "profile_keys", BY_PROFILE)

    _object_keys_table("object_keys_new", without_rowid=without_rowid)
    columns = ", ".join(OBJECT_KEY_COLUMNS)
    op.execute(
        f"INSERT OR IGNORE INTO object_keys_new ({columns}) SELECT {columns} FROM object_keys"
    )
    op.drop_table("object_keys")
    op.rename_table("object_keys_new", "object_keys")
    op.create_index("ix_object_keys_lookup", "object_keys", LOOKUP)
    if not without_rowid:
        op.create_index("ix_object_keys_object", "object_keys", ["object_id"])


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(without_rowid=True)
        return
    op.drop_constraint("uq_profile_keys", "profile_keys", type_="unique")
    op.create_primary_key("pk_profile_keys", "profile_keys", PROFILE_KEY_COLUMNS)
    # The engine never wrote one key twice for one object; a hand-made duplicate would block
    # the primary key.
    op.execute(
        "DELETE FROM object_keys AS a USING object_keys AS b WHERE a.ctid > b.ctid"
        " AND a.object_id = b.object_id AND a.key_name = b.key_name"
        " AND a.key_value = b.key_value"
    )
    op.drop_index("ix_object_keys_object", "object_keys")
    op.create_primary_key("pk_object_keys", "object_keys", OBJECT_KEY_PRIMARY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(without_rowid=False)
        return
    op.drop_constraint("pk_object_keys", "object_keys", type_="primary")
    op.create_index("ix_object_keys_object", "object_keys", ["object_id"])
    op.drop_constraint("pk_profile_keys", "profile_keys", type_="primary")
    op.create_unique_constraint("uq_profile_keys", "profile_keys", PROFILE_KEY_COLUMNS)
