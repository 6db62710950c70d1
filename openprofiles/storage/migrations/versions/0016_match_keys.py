"""Real-time matching: profiles' blocking keys, and each domain's trained model.

``match_keys``: (domain, key, profile) for the profiles of domains with Matching enabled, so a
new or changed profile's candidates are found by index; indexed by profile too, to replace a
profile's keys when it changes. ``resolution_models``: the model the domain's last job scored
with, which the real-time matcher scores with.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "match_keys",
        sa.Column(
            "domain_id",
            sa.Integer,
            sa.ForeignKey("domains.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("match_key", sa.String(512), nullable=False),
        sa.Column("profile_id", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("domain_id", "match_key", "profile_id", name="pk_match_keys"),
    )
    op.create_index("ix_match_keys_profile", "match_keys", ["domain_id", "profile_id"])
    op.create_table(
        "resolution_models",
        sa.Column(
            "domain_id",
            sa.Integer,
            sa.ForeignKey("domains.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("job_id", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("resolution_models")
    op.drop_index("ix_match_keys_profile", "match_keys")
    op.drop_table("match_keys")
