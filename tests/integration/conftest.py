from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import BACKENDS, require_backend, temporary_database_url
from tests.support.live_server import LiveServer, running_server


@pytest.fixture
def live_server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A server on a fresh, empty database (SQLite or PostgreSQL: see ``database_url``)."""
    with running_server(database_url, tmp_path / "data") as server:
        yield server


@pytest.fixture(scope="module", params=BACKENDS)
def module_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, str]]:
    """One server (and database) per module and backend, for modules whose tests each use
    their own domains: such a module overrides ``live_server`` and ``database_url`` with
    fixtures returning this one's two parts."""
    backend: str = request.param
    require_backend(backend)
    tmp = tmp_path_factory.mktemp(backend)
    with temporary_database_url(backend, tmp) as url, running_server(url, tmp / "data") as srv:
        yield srv, url
