from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import BACKENDS, require_backend, temporary_database_url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each storage-touching test runs once on SQLite and once on PostgreSQL."""
    name: str = request.param
    require_backend(name)
    return name


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    with temporary_database_url(backend, tmp_path) as url:
        yield url
