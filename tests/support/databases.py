"""Throw-away databases for tests: a SQLite file in a temp dir, or a fresh PostgreSQL database
created on the local server and dropped afterwards, so runs never see each other's data."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

PG_ADMIN_URL = os.environ.get(
    "OPENPROFILES_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

BACKENDS = ["sqlite", "postgresql"]


def postgres_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


_available: dict[str, bool] = {}


def require_backend(name: str) -> None:
    """Skip the test when ``name`` is unreachable here; fail instead under CI, where .ci/run
    starts PostgreSQL."""
    import pytest

    if name != "postgresql":
        return
    if name not in _available:
        _available[name] = postgres_available()
    if not _available[name]:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable; .ci/run should have started it")
        pytest.skip("PostgreSQL is not reachable")


@contextmanager
def temporary_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """Yield a URL to an empty database of ``backend``; drop it afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'openprofiles.db'}"
        return
    name = "op_test_" + uuid.uuid4().hex[:16]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
