"""Integrations (PutIntegration & co.), their flow runs and what the runs took from a source.

Revision ID: 0017
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0014"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "integrations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "domain_id",
            sa.Integer,
            sa.ForeignKey("domains.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("uri", sa.String(255), nullable=False),
        sa.Column("object_type_name", sa.String(255)),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("hidden", sa.Integer, nullable=False, server_default="0"),
        sa.Column("state", sa.Text, nullable=False, server_default="{}"),
        sa.Column("next_run_at", _TIME),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.UniqueConstraint("domain_id", "uri", name="uq_integrations_domain_uri"),
    )
    op.create_index("ix_integrations_uri", "integrations", ["uri"])
    op.create_index("ix_integrations_next_run", "integrations", ["next_run_at"])
    op.create_table(
        "integration_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "domain_id",
            sa.Integer,
            sa.ForeignKey("domains.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "integration_id",
            sa.Integer,
            sa.ForeignKey("integrations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("uri", sa.String(255), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.Text),
        sa.Column("records_read", sa.Integer, nullable=False, server_default="0"),
        sa.Column("records_ingested", sa.Integer, nullable=False, server_default="0"),
        sa.Column("records_rejected", sa.Integer, nullable=False, server_default="0"),
        sa.Column("records_filtered", sa.Integer, nullable=False, server_default="0"),
        sa.Column("rejections", sa.Text, nullable=False, server_default="[]"),
        sa.Column("started_at", _TIME, nullable=False),
        sa.Column("ended_at", _TIME),
    )
    op.create_index("ix_integration_runs_domain", "integration_runs", ["domain_id", "id"])
    op.create_index("ix_integration_runs_status", "integration_runs", ["status"])
    op.create_table(
        "integration_items",
        sa.Column(
            "integration_id",
            sa.Integer,
            sa.ForeignKey("integrations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("item", sa.String(1024), primary_key=True),
        sa.Column("version", sa.String(256), primary_key=True),
        sa.Column("done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("complete", sa.Integer, nullable=False, server_default="0"),
        sa.Column("run_id", sa.Integer),
        sa.Column("updated_at", _TIME, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("integration_items")
    op.drop_table("integration_runs")
    op.drop_index("ix_integrations_next_run", "integrations")
    op.drop_index("ix_integrations_uri", "integrations")
    op.drop_table("integrations")
