"""Identity resolution: jobs are rows, and match groups are kept per job.

``identity_resolution_jobs``: one row per job (GetIdentityResolutionJob's members), with the
process running it and its heartbeat, so that a server restarted during a job resumes it or
fails it instead of leaving it running. ``matches``: each job's match groups in GetMatches'
order; the domain's newest complete job's groups are the ones shown.

Revision ID: 0015
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0017"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "identity_resolution_jobs",
        sa.Column("job_id", sa.String(32), primary_key=True),
        sa.Column(
            "domain_id",
            sa.Integer,
            sa.ForeignKey("domains.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("scheduled_for", _TIME),
        sa.Column("message", sa.Text),
        sa.Column("started_at", _TIME, nullable=False),
        sa.Column("ended_at", _TIME),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("auto_merging", sa.Text),
        sa.Column("exporting_config", sa.Text),
        sa.Column("exporting_location", sa.Text),
        sa.Column("profiles_reviewed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("matches_found", sa.Integer, nullable=False, server_default="0"),
        sa.Column("merges_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("read_from", _TIME),
        sa.Column("matches_at", _TIME),
        sa.Column("runner", sa.String(64)),
        sa.Column("heartbeat", sa.Integer),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("domain_id", "scheduled_for", name="uq_identity_resolution_jobs_slot"),
    )
    op.create_index(
        "ix_identity_resolution_jobs_domain",
        "identity_resolution_jobs",
        ["domain_id", "started_at"],
    )
    op.create_index("ix_identity_resolution_jobs_status", "identity_resolution_jobs", ["status"])
    op.create_table(
        "matches",
        sa.Column(
            "domain_id",
            sa.Integer,
            sa.ForeignKey("domains.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("job_id", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("match_id", sa.String(32), nullable=False),
        sa.Column("profile_ids", sa.Text, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("domain_id", "job_id", "position", name="pk_matches"),
    )


def downgrade() -> None:
    op.drop_table("matches")
    op.drop_index("ix_identity_resolution_jobs_status", "identity_resolution_jobs")
    op.drop_index("ix_identity_resolution_jobs_domain", "identity_resolution_jobs")
    op.drop_table("identity_resolution_jobs")
