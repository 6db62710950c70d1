"""Object types, profile objects and their keys, dead letters.

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("profiles") as batch:
        batch.add_column(sa.Column("source_updated_at", TS))
    op.create_table(
        "object_types",
        sa.Column(
            "domain_id",
            sa.Integer,
            sa.ForeignKey("domains.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "profile_objects",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "domain_id",
            sa.Integer,
            sa.ForeignKey("domains.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("object_type", sa.String(255), nullable=False),
        sa.Column("unique_key", sa.String(1024), nullable=False),
        sa.Column("profile_id", sa.String(32), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("source_updated_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("expires_at", TS),
        sa.UniqueConstraint(
            "domain_id", "object_type", "unique_key", name="uq_profile_objects_key"
        ),
    )
    op.create_index(
        "ix_profile_objects_profile",
        "profile_objects",
        ["domain_id", "profile_id", "object_type"],
    )
    op.create_index("ix_profile_objects_expiry", "profile_objects", ["expires_at"])
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
    )
    op.create_index("ix_object_keys_lookup", "object_keys", ["domain_id", "key_name", "key_value"])
    op.create_index("ix_object_keys_object", "object_keys", ["object_id"])
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "domain_id",
            sa.Integer,
            sa.ForeignKey("domains.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("object_type", sa.String(255), nullable=False),
        sa.Column("object", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )


def downgrade() -> None:
    for table in ("dead_letters", "object_keys", "profile_objects", "object_types"):
        op.drop_table(table)
    with op.batch_alter_table("profiles") as batch:
        batch.drop_column("source_updated_at")
