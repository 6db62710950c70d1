"""merge_history: each merge of profiles, so that it can be explained and undone.

``merge_history`` holds the merge (main and merged profile ids, every involved profile's row as
it was before, the keys and objects that moved, the field choices, who merged, when, and when
it was undone); ``merge_history_profiles`` lists the profiles each merge involved, so that a
profile's merges are found by index.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "merge_history",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "domain_id",
            sa.Integer,
            sa.ForeignKey("domains.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("main_profile_id", sa.String(32), nullable=False),
        sa.Column("merged_profile_ids", sa.Text, nullable=False),
        sa.Column("before_images", sa.Text, nullable=False),
        sa.Column("moved", sa.Text, nullable=False),
        sa.Column("field_choices", sa.Text, nullable=False),
        sa.Column("origin", sa.String(255), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("undone_at", TS),
    )
    op.create_index("ix_merge_history_domain", "merge_history", ["domain_id", "id"])
    op.create_table(
        "merge_history_profiles",
        sa.Column("domain_id", sa.Integer, nullable=False),
        sa.Column("profile_id", sa.String(32), nullable=False),
        sa.Column(
            "merge_id",
            sa.String(32),
            sa.ForeignKey("merge_history.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "domain_id", "profile_id", "merge_id", name="pk_merge_history_profiles"
        ),
    )
    op.create_index("ix_merge_history_profiles_merge", "merge_history_profiles", ["merge_id"])


def downgrade() -> None:
    op.drop_index("ix_merge_history_profiles_merge", table_name="merge_history_profiles")
    op.drop_table("merge_history_profiles")
    op.drop_index("ix_merge_history_domain", table_name="merge_history")
    op.drop_table("merge_history")
