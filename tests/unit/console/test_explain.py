"""The compare page explains each pair: the comparisons that drove the engine's score."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from openprofiles.config import Settings
from openprofiles.console import merge_pages
from openprofiles.console.app import PageRequest
from openprofiles.console.render import render
from openprofiles.console.sessions import Session
from openprofiles.context import Caller
from openprofiles.services.container import Services
from openprofiles.storage.database import Database

CALLER = Caller("000000000000", "us-east-1", "test")
ADA = {"FirstName": "Ada", "LastName": "Lovelace", "EmailAddress": "ada@example.com"}


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    settings = Settings(data_dir=tmp_path)
    database = Database.open(settings.effective_database_url)
    try:
        found = Services(database, settings)
        found.domains.create(CALLER, "d", 30, {}, None)
        yield found
    finally:
        database.close()


def _compare(services: Services, ids: list[str]) -> str:
    page = PageRequest(
        path={"domain": "d"},
        query={"profile": ids},
        form={},
        session=Session("test", CALLER.account, CALLER.region, "token"),
        caller=CALLER,
        services=services,
    )
    view = merge_pages.compare(page)
    return render(view, session=page.session, domain="d", csrf_token="t")


def test_before_any_job_the_shipped_model_explains_each_pair(services: Services) -> None:
    ids = [
        services.profiles.create(CALLER, "d", doc)
        for doc in (ADA, {**ADA, "FirstName": "Adah"}, {"FirstName": "Bo"})
    ]
    explained = services.matches.explain(CALLER, "d", ids)
    assert [(p.left_id, p.right_id) for p in explained] == [
        (ids[0], ids[1]),
        (ids[0], ids[2]),
        (ids[1], ids[2]),
    ]
    first = explained[0].explanation
    email = next(o for o in first.outcomes if o.name == "email")
    assert email.level == "exact match" and email.weight > 0
    assert next(o for o in first.outcomes if o.name == "birth date").level == "no data"
    p = first.probability
    assert first.weight == pytest.approx(math.log2(p / (1 - p)))


def test_the_compare_page_shows_the_table(services: Services) -> None:
    ids = [services.profiles.create(CALLER, "d", doc) for doc in (ADA, ADA)]
    html = _compare(services, ids)
    assert "<caption>Why these profiles matched</caption>" in html
    row = re.search(r'<tr class="for"><th scope="row">email</th>(.*?)</tr>', html)
    assert row is not None
    assert "<td>exact match</td>" in row.group(1)
    assert re.search(r'<td class="num">\+\d+\.\d\d</td>', row.group(1))


def test_a_profile_gone_since_is_left_out(services: Services) -> None:
    ids = [services.profiles.create(CALLER, "d", doc) for doc in (ADA, ADA)]
    assert services.matches.explain(CALLER, "d", [*ids, "gone"])[0].right_id == ids[1]
    assert len(services.matches.explain(CALLER, "d", [ids[0], "gone"])) == 0
