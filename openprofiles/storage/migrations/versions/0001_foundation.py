"""Foundation: domains, profiles, profile keys, tags, b2bi profiles.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "server_meta",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "domains",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("default_expiration_days", sa.Integer, nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("account", "region", "name", name="uq_domains_account_region_name"),
    )
    op.create_table(
        "profiles",
        sa.Column(
            "domain_id",
            sa.Integer,
            sa.ForeignKey("domains.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("profile_id", sa.String(32), primary_key=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "profile_keys",
        sa.Column(
            "domain_id",
            sa.Integer,
            sa.ForeignKey("domains.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key_name", sa.String(64), nullable=False),
        sa.Column("key_value", sa.String(1024), nullable=False),
        sa.Column("profile_id", sa.String(32), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.UniqueConstraint(
            "domain_id", "key_name", "key_value", "profile_id", "origin", name="uq_profile_keys"
        ),
    )
    op.create_index("ix_profile_keys_profile", "profile_keys", ["domain_id", "profile_id"])
    op.create_table(
        "tags",
        sa.Column("account", sa.String(12), primary_key=True),
        sa.Column("resource_arn", sa.String(1024), primary_key=True),
        sa.Column("tag_key", sa.String(128), primary_key=True),
        sa.Column("tag_value", sa.String(256), nullable=False),
    )
    op.create_table(
        "b2bi_profiles",
        sa.Column("account", sa.String(12), primary_key=True),
        sa.Column("profile_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(254), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(22), nullable=False),
        sa.Column("business_name", sa.String(254), nullable=False),
        sa.Column("logging", sa.String(16), nullable=False),
        sa.Column("log_group_name", sa.String(512)),
        sa.Column("client_token", sa.String(256)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("modified_at", TS),
    )
    op.create_index("ix_b2bi_profiles_token", "b2bi_profiles", ["account", "client_token"])


def downgrade() -> None:
    for table in ("b2bi_profiles", "tags", "profile_keys", "profiles", "domains", "server_meta"):
        op.drop_table(table)
