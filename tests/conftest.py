from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import BACKENDS, postgres_available, temporary_database_url

_PG = postgres_available()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each storage-touching test runs once on SQLite and once on PostgreSQL."""
    name: str = request.param
    if name == "postgresql" and not _PG:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable; .ci/run should have started it")
        pytest.skip("PostgreSQL is not reachable")
    return name


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    with temporary_database_url(backend, tmp_path) as url:
        yield url
