"""b2bi profiles: the region they live in and the fingerprint of their CreateProfile request.

Revision ID: 0002
Revises: 0003

Revision 0003 was applied on top of 0001 first; chaining this one after it keeps a single
head, which ``upgrade(..., "head")`` requires. Nothing wrote ``b2bi_profiles`` before this
revision, so the backfill of ``region`` only guards hand-made rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("b2bi_profiles") as batch:
        batch.add_column(sa.Column("region", sa.String(32)))
        batch.add_column(sa.Column("request_hash", sa.String(64)))
        batch.drop_index("ix_b2bi_profiles_token")
    op.execute("UPDATE b2bi_profiles SET region = 'us-east-1' WHERE region IS NULL")
    with op.batch_alter_table("b2bi_profiles") as batch:
        batch.alter_column("region", existing_type=sa.String(32), nullable=False)
        batch.create_index("ix_b2bi_profiles_token", ["account", "region", "client_token"])


def downgrade() -> None:
    with op.batch_alter_table("b2bi_profiles") as batch:
        batch.drop_index("ix_b2bi_profiles_token")
        batch.drop_column("request_hash")
        batch.drop_column("region")
        batch.create_index("ix_b2bi_profiles_token", ["account", "client_token"])
