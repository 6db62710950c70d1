"""The web console in a real browser (headless Chromium) against a live server, on SQLite and
PostgreSQL: sign-in, search, a profile's page, the mapping preview, sign-out, and what the
console refuses (no session, no CSRF token, another account's domain)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from playwright.sync_api import expect

from tests.integration.test_integration_flows import KMS, make_domain, run
from tests.support.browser import (
    CONSOLE,
    chromium,
    console_session,
    require_chromium,
    sign_in,
)
from tests.support.databases import BACKENDS, require_backend, temporary_database_url
from tests.support.live_server import LiveServer, running_server
from tests.support.s3 import moto_s3, s3_client

DOMAIN = "console-shop"
OTHER_DOMAIN = "second-accounts-domain"
ORDERS = 25  # more than one page of a profile's objects of one type

ORDER_TYPE: dict[str, Any] = {
    "Description": "Web shop orders",
    "AllowProfileCreation": True,
    "Fields": {
        "id": {"Source": "_source.id", "Target": "Order.id", "ContentType": "STRING"},
        "email": {
            "Source": "_source.email",
            "Target": "_profile.EmailAddress",
            "ContentType": "EMAIL_ADDRESS",
        },
        "first": {"Source": "_source.first", "Target": "_profile.FirstName"},
        "city": {"Source": "_source.city", "Target": "_profile.Address.City"},
    },
    "Keys": {
        "orderId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
        "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
    },
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_chromium()
    with chromium() as found:
        yield found


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_s3() as endpoint:
        yield endpoint


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str
) -> Iterator[LiveServer]:
    """One server per backend, reading S3 (for integrations) from moto's server."""
    backend: str = request.param
    require_backend(backend)
    tmp = tmp_path_factory.mktemp(backend)
    env = {"OPENPROFILES_S3_ENDPOINT_URL": s3_endpoint}
    with temporary_database_url(backend, tmp) as url, running_server(url, tmp / "data", env) as srv:
        yield srv


@pytest.fixture(scope="module")
def server(live: LiveServer) -> LiveServer:
    """The module's server with a domain of two profiles (one from 25 orders) for ``test``
    and a domain of the second account."""
    client = live.client()
    client.create_domain(DomainName=DOMAIN, DefaultExpirationDays=30)
    client.put_profile_object_type(DomainName=DOMAIN, ObjectTypeName="Order", **ORDER_TYPE)
    for i in range(ORDERS):
        order = {
            "id": f"order-{i:02}",
            "email": "ada@example.com",
            "first": "Ada",
            "city": "London",
        }
        client.put_profile_object(
            DomainName=DOMAIN, ObjectTypeName="Order", Object=json.dumps(order)
        )
    client.create_profile(
        DomainName=DOMAIN,
        FirstName="Grace",
        LastName="Hopper",
        EmailAddress="grace@example.com",
        PhoneNumber="+12065550100",
    )
    second = live.client(access_key="second", secret_key="second-secret")
    second.create_domain(DomainName=OTHER_DOMAIN, DefaultExpirationDays=30)
    return live


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    found = context.new_page()
    found.set_default_timeout(10_000)
    yield found
    context.close()


def _search(page: Any, key: str, value: str) -> None:
    page.get_by_label("Key 1").fill(key)
    page.get_by_label("Value 1").fill(value)
    page.get_by_role("button", name="Search").click()


def test_sign_in_search_open_a_profile_preview_a_mapping_and_sign_out(
    server: LiveServer, page: Any
) -> None:
    page.goto(f"{server.endpoint}{CONSOLE}/domains")
    assert "/sign-in" in page.url  # no session yet
    sign_in(page, server.endpoint)
    assert page.url.endswith(f"{CONSOLE}/domains")
    page.get_by_role("link", name=DOMAIN).click()
    expect(page.get_by_role("heading", name=f"Domain {DOMAIN}")).to_be_visible()
    assert page.locator(".stats").inner_text().count("2") >= 1  # two profiles

    page.get_by_role("link", name="Search", exact=True).click()
    _search(page, "_email", "ADA@example.com")  # normalised as SearchProfiles does
    results = page.get_by_role("table", name="Profiles found")
    assert results.locator("tbody tr").count() == 1
    assert "ada@example.com" in results.inner_text()
    results.locator("tbody a").first.click()

    expect(page.get_by_role("heading", name="Profile of Ada")).to_be_visible()
    fields = page.get_by_role("table", name="The profile's fields").inner_text()
    assert "Address.City" in fields and "London" in fields and "Ada" in fields
    keys = page.get_by_role("table", name="Search keys").inner_text()
    assert "orderId" in keys and "order-00" in keys
    orders = page.locator("section.object-type", has_text="Order")
    assert f"({ORDERS})" in orders.inner_text()
    assert orders.locator("li").count() == 10  # the first page
    orders.locator("summary").first.click()
    assert '"email": "ada@example.com"' in orders.locator("pre").first.inner_text()
    page.get_by_role("link", name="More Order objects").click()
    assert page.locator("section.object-type li").count() == 10  # the second page
    assert "order-10" in page.locator("section.object-type").inner_text()

    page.get_by_role("link", name="Object types").click()
    page.get_by_role("link", name="Order", exact=True).click()
    sample = {"id": "order-new", "email": "Bob@Example.COM", "first": "Bob", "city": "Paris"}
    page.get_by_label("Object (JSON)").fill(json.dumps(sample))
    page.get_by_role("button", name="Preview").click()
    fields = page.get_by_role("table", name="Fields the object would set").inner_text()
    # EMAIL_ADDRESS fields are normalised as ingestion stores them.
    assert "EmailAddress\tbob@example.com" in fields and "Address.City\tParis" in fields
    keys = page.get_by_role("table", name="Keys the object would carry").inner_text()
    assert "orderId\torder-new\tUNIQUE" in keys and "_email\tbob@example.com\tPROFILE" in keys
    # Nothing was stored: no profile has that email.
    found = server.client().search_profiles(
        DomainName=DOMAIN, KeyName="_email", Values=["bob@example.com"]
    )
    assert found["Items"] == []

    page.get_by_role("button", name="Sign out").click()
    assert "/sign-in" in page.url
    page.goto(f"{server.endpoint}{CONSOLE}/domains/{DOMAIN}")
    assert "/sign-in" in page.url  # the session is gone


def test_a_preview_of_an_invalid_object_says_why_and_stores_nothing(
    server: LiveServer, page: Any
) -> None:
    sign_in(page, server.endpoint)
    page.goto(f"{server.endpoint}{CONSOLE}/domains/{DOMAIN}/object-types/Order")
    page.get_by_label("Object (JSON)").fill('{"id": ')
    page.get_by_role("button", name="Preview").click()
    assert "not valid JSON" in page.get_by_role("alert").inner_text()


def test_search_with_or_and_and(server: LiveServer, page: Any) -> None:
    sign_in(page, server.endpoint)
    page.goto(f"{server.endpoint}{CONSOLE}/domains/{DOMAIN}/search")
    page.get_by_label("Key 1").fill("_email")
    page.get_by_label("Value 1").fill("ada@example.com")
    page.get_by_label("Key 2").fill("_phone")
    page.get_by_label("Value 2").fill("(206) 555-0100")
    page.get_by_role("button", name="Search").click()
    rows = page.get_by_role("table", name="Profiles found").locator("tbody tr")
    assert rows.count() == 2  # OR, the default
    page.get_by_label("every key (AND)").check()
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No profile has those keys.")).to_be_visible()
    # An object type's key is searchable too.
    page.goto(f"{server.endpoint}{CONSOLE}/domains/{DOMAIN}/search")
    _search(page, "orderId", "order-07")
    assert "ada@example.com" in page.get_by_role("table", name="Profiles found").inner_text()


def test_a_request_without_a_session_is_sent_to_sign_in_and_back(
    server: LiveServer, page: Any
) -> None:
    target = f"{CONSOLE}/domains/{DOMAIN}/search?key=_email&value=grace%40example.com"
    answer = httpx.get(server.endpoint + target, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith(f"{CONSOLE}/sign-in?next=")
    page.goto(server.endpoint + target)
    page.get_by_label("Access key").fill("test")
    page.get_by_label("Secret key").fill("test")
    page.get_by_role("button", name="Sign in").click()
    assert "Hopper" in page.get_by_role("table", name="Profiles found").inner_text()


def test_a_wrong_secret_is_refused(server: LiveServer, page: Any) -> None:
    sign_in(page, server.endpoint, secret_key="not-the-secret")
    assert "do not match" in page.get_by_role("alert").inner_text()
    page.goto(f"{server.endpoint}{CONSOLE}/domains")
    assert "/sign-in" in page.url


def test_a_form_posted_without_its_csrf_token_is_refused(server: LiveServer, page: Any) -> None:
    sign_in(page, server.endpoint)
    page.goto(f"{server.endpoint}{CONSOLE}/domains/{DOMAIN}")
    page.locator("form[action$='/domains/console-shop'] input[name=csrf_token]").evaluate(
        "input => input.remove()"
    )
    page.get_by_label("Default expiration days").fill("99")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Save settings").click()
    assert posted.value.status == 403
    expect(page.get_by_role("heading", name="Refused")).to_be_visible()
    domain = server.client().get_domain(DomainName=DOMAIN)
    assert domain["DefaultExpirationDays"] == 30  # unchanged

    # The same form with its token is accepted.
    page.goto(f"{server.endpoint}{CONSOLE}/domains/{DOMAIN}")
    page.get_by_label("Default expiration days").fill("45")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    assert server.client().get_domain(DomainName=DOMAIN)["DefaultExpirationDays"] == 45
    server.client().update_domain(DomainName=DOMAIN, DefaultExpirationDays=30)


def test_posts_need_the_sessions_own_token(server: LiveServer) -> None:
    client, token = console_session(server.endpoint)
    other, other_token = console_session(server.endpoint)
    path = f"/domains/{DOMAIN}/object-types/Order/preview"
    sample = json.dumps({"id": "x", "email": "x@example.com"})
    assert client.post(path, data={"object": sample}).status_code == 403
    assert client.post(path, data={"object": sample, "csrf_token": other_token}).status_code == 403
    assert client.post(path, data={"object": sample, "csrf_token": token}).status_code == 200
    assert other.post("/sign-out", data={}).status_code == 403
    # Sign-in itself needs the token of its form's cookie.
    fresh = httpx.Client(base_url=server.endpoint + CONSOLE)
    refused = fresh.post("/sign-in", data={"access_key": "test", "secret_key": "test"})
    assert refused.status_code == 403


def test_another_accounts_domain_is_not_shown(server: LiveServer, page: Any) -> None:
    sign_in(page, server.endpoint)
    listing = page.get_by_role("table", name="Domains of account").inner_text()
    assert DOMAIN in listing and OTHER_DOMAIN not in listing
    for path in ("", "/search?key=_email&value=a%40b.c", "/object-types", "/dead-letters"):
        with page.expect_response(re.compile(re.escape(OTHER_DOMAIN))) as answer:
            page.goto(f"{server.endpoint}{CONSOLE}/domains/{OTHER_DOMAIN}{path}")
        assert answer.value.status == 404, path
    # Its own account sees it, and not the first account's.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, server.endpoint, "second", "second-secret")
    listing = page.get_by_role("table", name="Domains of account").inner_text()
    assert OTHER_DOMAIN in listing and DOMAIN not in listing


def test_dead_letters_are_listed(server: LiveServer, page: Any) -> None:
    client = server.client()
    name = "console-dead"
    client.create_domain(DomainName=name, DefaultExpirationDays=30)
    client.put_profile_object_type(
        DomainName=name,
        ObjectTypeName="Lookup",
        Description="Finds profiles, never creates them",
        AllowProfileCreation=False,
        Fields={"id": {"Source": "_source.id"},
                "email": {"Source": "_source.email", "ContentType": "EMAIL_ADDRESS"}},
        Keys={"id": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
              "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]},
    )  # fmt: skip
    with pytest.raises(ClientError):
        client.put_profile_object(
            DomainName=name, ObjectTypeName="Lookup", Object='{"id": "1", "email": "nobody@x.org"}'
        )
    sign_in(page, server.endpoint)
    page.goto(f"{server.endpoint}{CONSOLE}/domains/{name}/dead-letters")
    letters = page.locator("ol.letters").inner_text()
    assert "Lookup" in letters
    page.locator("ol.letters summary").first.click()
    assert "nobody@x.org" in page.locator("ol.letters pre").first.inner_text()


def test_keyboard_alone_signs_in_and_reaches_a_profile(server: LiveServer, page: Any) -> None:
    page.goto(f"{server.endpoint}{CONSOLE}/sign-in")
    expect(page.get_by_label("Access key")).to_be_focused()
    page.keyboard.type("test")
    page.keyboard.press("Tab")
    page.keyboard.type("test")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{CONSOLE}/domains")
    # The first Tab reaches the skip link, which is visible once focused.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("link => link === document.activeElement")
    expect(skip).to_be_visible()
    outline = skip.evaluate("link => getComputedStyle(link).outlineStyle")
    assert outline != "none"  # focus is visible
    page.goto(f"{server.endpoint}{CONSOLE}/domains/{DOMAIN}/search")
    expect(page.get_by_label("Value 1")).to_be_focused()
    page.keyboard.type("grace@example.com")
    page.keyboard.press("Enter")
    page.wait_for_url("**value=grace%40example.com**")
    link = page.get_by_role("table", name="Profiles found").get_by_role("link").first
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/profiles/**")
    expect(page.get_by_role("heading", name="Profile of Grace Hopper")).to_be_visible()


def test_pages_fit_a_narrow_screen(server: LiveServer, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        sign_in(page, server.endpoint)
        search = f"/domains/{DOMAIN}/search?key=_email&value=ada%40example.com"
        for path in (f"/domains/{DOMAIN}", search, f"/domains/{DOMAIN}/object-types/Order"):
            page.goto(f"{server.endpoint}{CONSOLE}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"{path} is {width} px wide"
    finally:
        context.close()


def test_a_region_is_part_of_the_session(server: LiveServer, page: Any) -> None:
    page.goto(f"{server.endpoint}{CONSOLE}/sign-in")
    page.get_by_label("Access key").fill("test")
    page.get_by_label("Secret key").fill("test")
    page.get_by_label("Region").fill("eu-west-1")
    page.get_by_role("button", name="Sign in").click()
    # Domains belong to a region: the us-east-1 domain is not listed in eu-west-1.
    expect(page.get_by_text("no domains in eu-west-1")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Access key").fill("test")
    page.get_by_label("Secret key").fill("test")
    page.get_by_label("Region").fill("not a region")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not a region this server serves")


def test_long_lists_page(server: LiveServer, page: Any) -> None:
    client = server.client()
    name = "console-many"
    client.create_domain(DomainName=name, DefaultExpirationDays=30)
    for i in range(23):
        client.create_profile(DomainName=name, FirstName=f"P{i:02}", AccountNumber="ACME")
    sign_in(page, server.endpoint)
    page.goto(f"{server.endpoint}{CONSOLE}/domains/{name}/search?key=_account&value=ACME")
    results = page.get_by_role("table", name="Profiles found")
    assert results.locator("tbody tr").count() == 20
    first_page = set(results.locator("tbody tr td:nth-child(2)").all_inner_texts())
    page.get_by_role("link", name="Next page").click()
    page.wait_for_url("**next=**")
    rest = set(page.get_by_role("table", name="Profiles found").locator("tbody tr td:nth-child(2)")
               .all_inner_texts())  # fmt: skip
    assert len(rest) == 3 and not rest & first_page
    assert first_page | rest == {f"P{i:02}" for i in range(23)}
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)
    page.get_by_role("link", name="First page").click()
    expect(page.get_by_role("table", name="Profiles found").locator("tbody tr")).to_have_count(20)


def test_compare_merge_with_a_chosen_value_and_undo(server: LiveServer, page: Any) -> None:
    client = server.client()
    name = "console-merge"
    client.create_domain(DomainName=name, DefaultExpirationDays=30)
    kate = client.create_profile(
        DomainName=name, FirstName="Kate", LastName="Bell", EmailAddress="kate@example.com"
    )["ProfileId"]
    katherine = client.create_profile(
        DomainName=name, FirstName="Katherine", LastName="Bell", PhoneNumber="+12065550199"
    )["ProfileId"]
    sign_in(page, server.endpoint)
    page.goto(f"{server.endpoint}{CONSOLE}/domains/{name}/profiles/{kate}")
    expect(page.get_by_text("This profile has not been merged with another.")).to_be_visible()
    page.get_by_label("Compare with profile id").fill(katherine)
    page.get_by_role("button", name="Compare").click()

    table = page.get_by_role("table", name="The profiles side by side")
    expect(table.locator("tr.agrees", has_text="LastName")).to_have_count(1)
    expect(table.locator("tr.fills", has_text="PhoneNumber")).to_have_count(1)
    expect(table.locator("tr.differs", has_text="FirstName")).to_have_count(1)
    page.get_by_label("FirstName from profile 2: Katherine").check()
    page.get_by_role("button", name="Merge into the main profile").click()

    page.wait_for_url(f"**/profiles/{kate}?merged=*")
    fields = page.get_by_role("table", name="The profile's fields").inner_text()
    assert "Katherine" in fields and "+12065550199" in fields and "kate@example.com" in fields
    history = page.locator("ol.history").inner_text()
    assert "MergeProfiles" in history and katherine in history
    found = client.search_profiles(DomainName=name, KeyName="_phone", Values=["+12065550199"])
    assert [p["ProfileId"] for p in found["Items"]] == [kate]
    with page.expect_response(re.compile(katherine)) as gone:
        page.goto(f"{server.endpoint}{CONSOLE}/domains/{name}/profiles/{katherine}")
    assert gone.value.status == 404
    page.get_by_role("link", name=kate).click()  # "was merged into" the main profile
    page.wait_for_url(f"**/profiles/{kate}**")

    page.goto(f"{server.endpoint}{CONSOLE}/domains/{name}/profiles/{kate}")
    page.get_by_role("button", name="Undo this merge").click()
    expect(page.get_by_text("undone")).to_have_count(2)  # the notice and the entry
    fields = page.get_by_role("table", name="The profile's fields").inner_text()
    assert "Kate" in fields and "Katherine" not in fields
    back = client.search_profiles(DomainName=name, KeyName="_phone", Values=["+12065550199"])
    assert [p["ProfileId"] for p in back["Items"]] == [katherine]


def test_integration_runs_are_listed(server: LiveServer, s3_endpoint: str, page: Any) -> None:
    cp = server.client()
    name = make_domain(cp)
    s3 = s3_client(s3_endpoint)
    bucket = "console-" + name.lower()
    s3.create_bucket(Bucket=bucket)
    lines = [{"id": "1", "email": "ann@example.com"}, {"id": "2", "email": "bo@example.com"}, {}]
    body = "".join(json.dumps(r) + "\n" for r in lines).encode()
    s3.put_object(Bucket=bucket, Key="in/contacts.jsonl", Body=body)
    uri = cp.put_integration(
        DomainName=name,
        ObjectTypeName="contacts",
        FlowDefinition={
            "FlowName": "contacts-from-s3",
            "KmsArn": KMS,
            "SourceFlowConfig": {"ConnectorType": "S3", "SourceConnectorProperties": {
                "S3": {"BucketName": bucket, "BucketPrefix": "in/"}}},
            "Tasks": [{"TaskType": "Filter", "SourceFields": ["id", "email"],
                       "ConnectorOperator": {"S3": "PROJECTION"}}],
            "TriggerConfig": {"TriggerType": "OnDemand"},
        },
    )["Uri"]  # fmt: skip
    answered = run(server, name, uri)
    # moto keeps buckets per process, for every later test: leave none behind.
    s3.delete_object(Bucket=bucket, Key="in/contacts.jsonl")
    s3.delete_bucket(Bucket=bucket)
    sign_in(page, server.endpoint)
    page.goto(f"{server.endpoint}{CONSOLE}/domains/{name}/integrations")
    expect(page.get_by_role("table", name="Integrations")).to_contain_text(uri)
    row = page.get_by_role("table", name="Runs, newest first").locator("tbody tr").first
    expect(row).to_contain_text(answered["Status"])
    cells = row.locator("td").all_inner_texts()
    assert cells[6:8] == [str(answered["RecordsRead"]), str(answered["RecordsIngested"])]
    assert cells[8].split()[0] == str(answered["RecordsRejected"])


def test_review_a_match_merge_it_and_dismiss_another(server: LiveServer, page: Any) -> None:
    cp = server.client()
    name = "console-review"
    cp.create_domain(DomainName=name, DefaultExpirationDays=30, Matching={"Enabled": True})
    people = [
        ("Jon", "Smith", "jon.smith@example.com", "+12065550111", "12 Pine St"),
        ("Jonathan", "Smith", "jon.smith@example.com", "+12065550111", "12 Pine St"),
        ("Mia", "Wong", "mia.wong@example.com", "+12065550122", "3 Oak Ave"),
        ("Mia", "Wong", "mia.wong@example.com", "+12065550122", "3 Oak Ave"),
    ]
    ids = [
        cp.create_profile(DomainName=name, FirstName=first, LastName=last, EmailAddress=email,
                          PhoneNumber=phone, Address={"Address1": street, "City": "Seattle"})
        ["ProfileId"]
        for first, last, email, phone, street in people
    ]  # fmt: skip
    sign_in(page, server.endpoint)
    page.goto(f"{server.endpoint}{CONSOLE}/domains/{name}/jobs")
    page.get_by_role("button", name="Run a job now").click()
    expect(page.get_by_role("status")).to_contain_text("queued")
    deadline = time.time() + 180
    while "COMPLETED" not in page.get_by_role("table", name="Jobs, newest first").inner_text():
        assert time.time() < deadline, "the job did not complete"
        time.sleep(1)
        page.reload()
    page.get_by_role("link", name="Review the matches").click()
    groups = page.locator("ol.groups > li")
    expect(groups).to_have_count(2)
    jon = groups.filter(has_text="Jonathan")
    assert "Confidence" in jon.inner_text()
    jon.get_by_role("link", name="Review side by side").click()
    table = page.get_by_role("table", name="The profiles side by side")
    expect(table.locator("tr.differs", has_text="FirstName")).to_have_count(1)
    expect(table.locator("tr.agrees", has_text="EmailAddress")).to_have_count(1)
    why = page.get_by_role("table", name="Why these profiles matched")
    email = why.get_by_role("row").filter(has=page.get_by_role("rowheader", name="email"))
    cells = email.get_by_role("cell").all_inner_texts()
    assert cells[0] == "exact match" and cells[2] == "for a match", cells
    assert re.fullmatch(r"\+\d+\.\d\d", cells[1]) and float(cells[1]) > 0, cells
    page.get_by_label("FirstName from profile 2: Jonathan").check()
    page.get_by_role("button", name="Merge into the main profile").click()
    page.wait_for_url("**merged=**")
    assert "Jonathan" in page.get_by_role("table", name="The profile's fields").inner_text()
    found = cp.search_profiles(DomainName=name, KeyName="_email", Values=["jon.smith@example.com"])
    assert len(found["Items"]) == 1  # the two are one profile now

    page.goto(f"{server.endpoint}{CONSOLE}/domains/{name}/matches")
    expect(page.locator("ol.groups > li", has_text="resolved")).to_have_count(1)
    mia = page.locator("ol.groups > li", has_text="Mia")
    mia.get_by_role("button", name=re.compile("^Dismiss")).click()
    expect(page.get_by_role("status")).to_contain_text("dismissed")
    expect(page.locator("ol.groups > li", has_text="Mia")).to_have_count(0)
    listed = cp.get_matches(DomainName=name)["Matches"]
    assert all(ids[2] not in m["ProfileIds"] for m in listed)
