"""Take the screenshots of docs/console.md from the real console.

Starts a server on a fresh SQLite data directory, loads a small shop (customers and their
orders through PutProfileObject, one order that cannot be placed), signs in to the console in
headless Chromium (Debian's ``/usr/bin/chromium``) and saves each main page as a PNG in
``docs/console/``.

    .venv/bin/python -m docs.console_screenshots
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.support.browser import CONSOLE, chromium, sign_in
from tests.support.live_server import running_server

OUT = Path(__file__).resolve().parent / "console"
DOMAIN = "shop"

CUSTOMER_TYPE: dict[str, Any] = {
    "Description": "Customers of the web shop",
    "AllowProfileCreation": True,
    "Fields": {
        "id": {"Source": "_source.id", "Target": "_profile.AccountNumber"},
        "email": {"Source": "_source.email", "Target": "_profile.EmailAddress",
                  "ContentType": "EMAIL_ADDRESS"},
        "first": {"Source": "_source.first", "Target": "_profile.FirstName", "ContentType": "NAME"},
        "last": {"Source": "_source.last", "Target": "_profile.LastName", "ContentType": "NAME"},
        "phone": {"Source": "_source.phone", "Target": "_profile.PhoneNumber",
                  "ContentType": "PHONE_NUMBER"},
        "city": {"Source": "_source.city", "Target": "_profile.Address.City"},
    },
    "Keys": {
        "customerId": [{"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["id"]}],
        "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
    },
}  # fmt: skip
ORDER_TYPE: dict[str, Any] = {
    "Description": "Orders, placed on their customer by email",
    "AllowProfileCreation": False,
    "Fields": {
        "orderId": {"Source": "_source.orderId", "Target": "Order.orderId"},
        "email": {"Source": "_source.email", "ContentType": "EMAIL_ADDRESS"},
        "total": {"Source": "_source.total", "Target": "Order.total"},
    },
    "Keys": {
        "orderId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["orderId"]}],
        "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
    },
}
CUSTOMERS = [
    ("c-1001", "ana.garcia@example.com", "Ana", "García", "+47 22 12 34 56", "Oslo"),
    ("c-1002", "wei.chen@example.com", "Wei", "Chen", "+1 206 555 0100", "Seattle"),
    ("c-1003", "amara.okafor@example.com", "Amara", "Okafor", "+44 20 7946 0018", "London"),
]


def load(server: Any) -> None:
    client = server.client()
    client.create_domain(DomainName=DOMAIN, DefaultExpirationDays=365)
    client.put_profile_object_type(DomainName=DOMAIN, ObjectTypeName="Customer", **CUSTOMER_TYPE)
    client.put_profile_object_type(DomainName=DOMAIN, ObjectTypeName="Order", **ORDER_TYPE)
    for cid, email, first, last, phone, city in CUSTOMERS:
        customer = {"id": cid, "email": email, "first": first, "last": last, "phone": phone,
                    "city": city}  # fmt: skip
        client.put_profile_object(
            DomainName=DOMAIN, ObjectTypeName="Customer", Object=json.dumps(customer)
        )
    for n in range(14):
        order = {"orderId": f"o-{5000 + n}", "email": CUSTOMERS[n % 2][1],
                 "total": f"{19 + n * 7}.90"}  # fmt: skip
        client.put_profile_object(
            DomainName=DOMAIN, ObjectTypeName="Order", Object=json.dumps(order)
        )
    stray = {"orderId": "o-9999", "email": "nobody@example.com", "total": "5.00"}
    # No customer has that email: the order becomes a dead letter, as intended.
    with contextlib.suppress(client.exceptions.BadRequestException):
        client.put_profile_object(
            DomainName=DOMAIN, ObjectTypeName="Order", Object=json.dumps(stray)
        )


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        with (
            running_server(f"sqlite:///{data / 'openprofiles.db'}", data) as server,
            chromium() as browser,
        ):
            load(server)
            page = browser.new_page(viewport={"width": 1100, "height": 760})
            base = server.endpoint + CONSOLE

            def shot(name: str, full: bool = True) -> None:
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=full)
                print(f"docs/console/{name}.png")

            page.goto(base + "/sign-in")
            shot("sign-in", full=False)
            sign_in(page, server.endpoint)
            page.get_by_role("link", name=DOMAIN, exact=True).click()
            shot("domain")
            page.get_by_role("link", name="Search", exact=True).click()
            page.get_by_label("Key 1").fill("_email")
            page.get_by_label("Value 1").fill("Ana.Garcia@example.com")
            page.get_by_label("Key 2").fill("_phone")
            page.get_by_label("Value 2").fill("(206) 555-0100")
            page.get_by_role("button", name="Search").click()
            shot("search")
            page.get_by_role("table", name="Profiles found").get_by_role("link").first.click()
            page.locator("section.object-type summary").first.click()
            shot("profile")
            page.goto(f"{base}/domains/{DOMAIN}/object-types/Customer")
            sample = {"id": "c-2001", "email": "Li.Na@Example.com", "first": "Li", "last": "Na",
                      "phone": "020 7946 0999", "city": "Leeds"}  # fmt: skip
            page.get_by_label("Object (JSON)").fill(json.dumps(sample, indent=2))
            page.get_by_role("button", name="Preview").click()
            shot("mapping-preview")
            # A second profile of Ana, typed in by hand, to compare and merge.
            ana = server.client().search_profiles(
                DomainName=DOMAIN, KeyName="_email", Values=["ana.garcia@example.com"]
            )["Items"][0]["ProfileId"]
            twin = server.client().create_profile(
                DomainName=DOMAIN, FirstName="Ana María", LastName="García",
                PhoneNumber="+47 22 12 34 56", BusinessName="Fjord Bikes",
            )["ProfileId"]  # fmt: skip
            page.goto(f"{base}/domains/{DOMAIN}/compare?profile={ana}&profile={twin}")
            page.get_by_label("FirstName from profile 2: Ana María").check()
            shot("compare")
            page.get_by_role("button", name="Merge into the main profile").click()
            page.locator("ol.history summary").first.click()
            page.locator("ol.history").scroll_into_view_if_needed()
            shot("merge-history", full=False)
            # Identity resolution: a second Wei Chen, typed in by a call centre.
            server.client().update_domain(DomainName=DOMAIN, Matching={"Enabled": True})
            server.client().create_profile(
                DomainName=DOMAIN, FirstName="Wei", LastName="Chen",
                EmailAddress="Wei.Chen@example.com", PhoneNumber="(206) 555-0100",
                Address={"City": "Seattle"},
            )  # fmt: skip
            page.goto(f"{base}/domains/{DOMAIN}/jobs")
            page.get_by_role("button", name="Run a job now").click()
            for _ in range(180):
                if "COMPLETED" in page.locator("main").inner_text():
                    break
                time.sleep(1)
                page.reload()
            shot("jobs", full=False)
            page.get_by_role("link", name="Review the matches").click()
            shot("match-review", full=False)
            page.goto(f"{base}/domains/{DOMAIN}/dead-letters")
            page.locator("ol.letters summary").first.click()
            shot("dead-letters")
            page.set_viewport_size({"width": 390, "height": 844})
            page.goto(f"{base}/domains/{DOMAIN}/search?key=_email&value=wei.chen%40example.com")
            shot("narrow-search")


if __name__ == "__main__":
    main()
