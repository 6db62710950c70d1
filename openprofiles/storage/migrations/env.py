"""Alembic environment: always run against the connection openprofiles hands over."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from alembic import context
from alembic.migration import MigrationContext, MigrationInfo

from openprofiles.storage.tables import metadata

connection = context.config.attributes["connection"]
# openprofiles migrate tells of each migration as it is applied (migrate.upgrade's on_step).
on_step: Callable[[str, str], None] | None = context.config.attributes.get("on_step")


def _applied(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    doc = str(getattr(step.up_revision, "doc", None) or "").strip()
    if on_step is not None:
        on_step(str(step.up_revision_id), doc.splitlines()[0] if doc else "")


context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    on_version_apply=_applied if on_step is not None else None,
)
with context.begin_transaction():
    context.run_migrations()
