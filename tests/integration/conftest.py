from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer, running_server


@pytest.fixture
def live_server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A server on a fresh, empty database (SQLite or PostgreSQL: see ``database_url``)."""
    with running_server(database_url, tmp_path / "data") as server:
        yield server
