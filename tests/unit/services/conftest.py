from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from openprofiles.clock import FixedClock
from openprofiles.config import Settings
from openprofiles.context import Caller
from openprofiles.services.container import Services
from openprofiles.storage.database import Database


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))


@pytest.fixture
def services(database_url: str, clock: FixedClock) -> Iterator[Services]:
    database = Database.open(database_url)
    yield Services(database, Settings(), clock)
    database.close()


@pytest.fixture
def caller() -> Caller:
    return Caller(account="111111111111", region="us-east-1", access_key="AKID")
