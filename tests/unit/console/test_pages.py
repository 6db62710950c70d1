from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openprofiles.config import Settings
from openprofiles.console import pages
from openprofiles.console.app import PageRequest
from openprofiles.console.sessions import Session
from openprofiles.context import Caller
from openprofiles.services.container import Services
from openprofiles.storage.database import Database

CALLER = Caller("000000000000", "us-east-1", "test")


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    settings = Settings(data_dir=tmp_path)
    database = Database.open(settings.effective_database_url)
    try:
        found = Services(database, settings)
        found.domains.create(CALLER, "d", 30, {}, None)
        for name in ("Ada", "Grace", "Hedy"):
            found.profiles.create(CALLER, "d", {"FirstName": name})
        yield found
    finally:
        database.close()


def _page(services: Services, **query: str) -> PageRequest:
    return PageRequest(
        path={"domain": "d"},
        query={k: [v] for k, v in query.items()},
        form={},
        session=Session("test", CALLER.account, CALLER.region, "token"),
        caller=CALLER,
        services=services,
    )


def test_a_small_domains_page_shows_its_stats(services: Services) -> None:
    view = pages.domain(_page(services))
    assert view.values["stats"].profile_count == 3


def test_a_big_domain_counts_its_objects_only_when_asked(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "STATS_INLINE_UP_TO", 2)  # three profiles are "big" here
    view = pages.domain(_page(services))
    assert view.values["stats"] is None and view.values["profiles"] == 3
    asked = pages.domain(_page(services, stats="all"))
    assert asked.values["stats"].profile_count == 3
