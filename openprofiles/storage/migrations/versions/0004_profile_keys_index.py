"""A covering by-profile index on profile_keys.

Without table statistics SQLite preferred the (covering) unique index, matching only its
domain_id prefix, for lookups by profile, scanning every key of the domain: UpdateProfile and
ingestion slowed down as a domain grew. With every column in the by-profile index it is covering
too, and matches more columns, so it is chosen.

Revision ID: 0004
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = ["domain_id", "profile_id", "origin", "key_name", "key_value"]


def upgrade() -> None:
    op.drop_index("ix_profile_keys_profile", "profile_keys")
    op.create_index("ix_profile_keys_profile", "profile_keys", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_profile_keys_profile", "profile_keys")
    op.create_index("ix_profile_keys_profile", "profile_keys", ["domain_id", "profile_id"])
