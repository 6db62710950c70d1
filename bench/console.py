"""Console benchmark: time to first byte of the search page and of a profile page in a big domain.

Loads a domain of ``--profiles`` people with ``--objects-per-profile`` orders each through
``openprofiles import`` (the ingestion engine, as users load data: each person's orders share an
email, a PROFILE key, so they land on one profile), starts a server on it, signs in to the
console, and asks one page at a time over one keep-alive connection, each about a person (or
profile) no earlier request asked about:

- the search page: ``/domains/big/search?key=_email&value=...`` for a random person;
- a profile page: ``/domains/big/profiles/{id}`` of a random profile (its fields, keys and the
  first page of its objects).

Floors, measured in the same run on the same server and connection, their requests taking
turns with the pages' so that all meet the same caches: ``GET
/_openprofiles/health`` (uvicorn and the ASGI app, no work) and SearchProfiles by ``_email``
through the API (SigV4, the same search). A page's ratio to the API search says what rendering
the page costs over the look-up it makes.

    .venv/bin/python -m bench.console [--profiles 1000000] [--objects-per-profile 10]
        [--requests 500] [--data-dir DIR]

``--data-dir``: load into DIR and keep it; a DIR already holding the domain is measured without
loading again. Target (issue 17): p50 <= 50 ms for both pages with 1,000,000 profiles of 10
objects each. Prints figures; no assertions.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from bench.http_crud import HOST, api, free_port, signed, start_openprofiles, stop

DOMAIN = "big"
OBJECT_TYPE = "Order"
ACCOUNT = "000000000000"
REGION = "us-east-1"
CONSOLE = "/_openprofiles/console"
WARM_UP = 30  # requests of each kind before the clock starts
CITIES = ("Oslo", "Lima", "Pune", "Cork", "Kobe", "Graz", "Leeds", "Quito")


def order_type() -> dict[str, Any]:
    return {
        "Description": "Web shop orders (benchmark)",
        "AllowProfileCreation": True,
        "Fields": {
            "id": {"Source": "_source.id", "Target": "Order.id", "ContentType": "STRING"},
            "email": {"Source": "_source.email", "Target": "_profile.EmailAddress",
                      "ContentType": "EMAIL_ADDRESS"},
            "first": {"Source": "_source.first", "Target": "_profile.FirstName",
                      "ContentType": "NAME"},
            "last": {"Source": "_source.last", "Target": "_profile.LastName",
                     "ContentType": "NAME"},
            "city": {"Source": "_source.city", "Target": "_profile.Address.City"},
            "total": {"Source": "_source.total", "Target": "Order.total"},
        },
        "Keys": {
            "orderId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
            "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
        },
    }  # fmt: skip


def email(person: int) -> str:
    return f"person{person}@example.com"


def orders(profiles: int, per_profile: int) -> Iterator[dict[str, Any]]:
    for person in range(profiles):
        for n in range(per_profile):
            yield {
                "id": f"order-{person}-{n}",
                "email": email(person),
                "first": f"First{person}",
                "last": f"Last{person % 9973}",
                "city": CITIES[person % len(CITIES)],
                "total": f"{(person * 31 + n * 7) % 500}.{n}9",
                "items": [{"sku": f"SKU-{(person + n) % 1000}", "quantity": 1 + n % 3}],
            }


def has_domain(data_dir: Path) -> bool:
    from openprofiles.config import load_settings
    from openprofiles.storage.database import Database
    from openprofiles.storage.repositories import domains as domain_repo

    if not (data_dir / "openprofiles.db").exists():
        return False
    database = Database.open(load_settings({"data_dir": data_dir}).effective_database_url)
    try:
        with database.read() as conn:
            return domain_repo.find(conn, ACCOUNT, REGION, DOMAIN) is not None
    finally:
        database.close()


def load(data_dir: Path, profiles: int, per_profile: int) -> None:
    from openprofiles.config import load_settings
    from openprofiles.context import Caller
    from openprofiles.services.container import Services
    from openprofiles.storage.database import Database

    settings = load_settings({"data_dir": data_dir})
    database = Database.open(settings.effective_database_url)
    try:
        services = Services(database, settings)
        caller = Caller(ACCOUNT, REGION)
        services.domains.create(caller, DOMAIN, 365, {}, None)
        services.object_types.put(caller, DOMAIN, OBJECT_TYPE, order_type())
    finally:
        database.close()
    source = data_dir / "orders.jsonl"
    started = time.perf_counter()
    with source.open("w", encoding="utf-8") as out:
        for item in orders(profiles, per_profile):
            out.write(json.dumps(item, separators=(",", ":")) + "\n")
    print(f"generated {profiles * per_profile:,} objects in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "openprofiles", "import", "--domain", DOMAIN,
         "--object-type", OBJECT_TYPE, "--data-dir", str(data_dir), "--no-progress", str(source)],
        check=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    print(f"imported in {seconds:.0f} s ({profiles * per_profile / seconds:,.0f} objects/s)")
    source.unlink()


class Connection:
    """One keep-alive HTTP/1.1 connection; :meth:`ask` times a request to its first byte."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection((HOST, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")

    def ask(self, raw: bytes) -> tuple[float, int, dict[str, str], bytes]:
        """(seconds to the first byte of the answer, status, headers, body)."""
        started = time.perf_counter()
        self.sock.sendall(raw)
        first = self.reader.read(1)
        ttfb = time.perf_counter() - started
        status_line = first + self.reader.readline()
        headers: dict[str, str] = {}
        while (line := self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers.setdefault(name.strip().lower(), value.strip())
        body = self.reader.read(int(headers.get("content-length", "0")))
        return ttfb, int(status_line.split()[1]), headers, body


def get(path: str, port: int, cookie: str = "") -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{port}"]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def post(path: str, port: int, form: dict[str, str], cookie: str) -> bytes:
    body = urlencode(form).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nCookie: {cookie}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def sign_in(connection: Connection, port: int) -> str:
    """The console's session cookie (``name=value``) for test/test."""
    _, _, headers, body = connection.ask(get(f"{CONSOLE}/sign-in", port))
    form_cookie = headers["set-cookie"].split(";", 1)[0]
    token = re.search(rb'name="csrf_token" value="([^"]+)"', body)
    assert token, "the sign-in page has no CSRF token"
    form = {"access_key": "test", "secret_key": "test", "csrf_token": token.group(1).decode()}
    _, status, headers, _ = connection.ask(post(f"{CONSOLE}/sign-in", port, form, form_cookie))
    assert status == 303, f"sign-in answered {status}"
    return headers["set-cookie"].split(";", 1)[0]


def measure(
    connection: Connection, kinds: list[tuple[str, list[bytes], bytes]]
) -> list[dict[str, Any]]:
    """Ask each kind's requests in turn (one of each, then the next of each), so that every
    kind meets the same state of the caches; the first WARM_UP of each are not timed."""
    times: dict[str, list[float]] = {name: [] for name, _, _ in kinds}
    for i in range(len(kinds[0][1])):
        for name, requests, marker in kinds:
            ttfb, status, _, body = connection.ask(requests[i])
            if status != 200 or marker not in body:
                raise SystemExit(f"{name}: answered {status} without {marker!r}: {body[:300]!r}")
            if i >= WARM_UP:
                times[name].append(ttfb * 1000)
    results = []
    for name, found in times.items():
        found.sort()
        results.append(
            {
                "name": name,
                "n": len(found),
                "p50": statistics.median(found),
                "p90": found[int(0.9 * len(found))],
                "p99": found[min(len(found) - 1, int(0.99 * len(found)))],
            }
        )
    return results


def profile_id(port: int, address: str) -> str:
    path = f"/domains/{DOMAIN}/profiles/search"
    found = api(port, "POST", path, {"KeyName": "_email", "Values": [address]})
    return str(found["Items"][0]["ProfileId"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--objects-per-profile", type=int, default=10)
    parser.add_argument("--requests", type=int, default=500, help="timed requests per page")
    parser.add_argument("--data-dir", type=Path, help="load into DIR and keep it (or reuse it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="op-bench-console-") as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        if has_domain(data_dir):
            print(f"measuring the domain already loaded in {data_dir}")
        else:
            load(data_dir, args.profiles, args.objects_per_profile)
        run(data_dir, args.profiles, args.requests)


def run(data_dir: Path, profiles: int, requests: int) -> None:
    port = free_port()
    server = start_openprofiles(data_dir, port)
    try:
        rng = random.Random(17)
        count = WARM_UP + requests
        # Each kind asks about people of its own, so that none reads what another just cached.
        people = rng.sample(range(profiles), 3 * count)
        for_api, for_search, for_profiles = (people[i::3] for i in range(3))
        search_path = f"/domains/{DOMAIN}/profiles/search"
        ids = [profile_id(port, email(p)) for p in for_profiles]
        connection = Connection(port)
        cookie = sign_in(connection, port)
        search_page = [
            get(
                f"{CONSOLE}/domains/{DOMAIN}/search?key=_email&value={quote(email(p))}",
                port,
                cookie,
            )
            for p in for_search
        ]
        profile_page = [get(f"{CONSOLE}/domains/{DOMAIN}/profiles/{i}", port, cookie) for i in ids]
        api_search = [
            signed("POST", port, search_path, {"KeyName": "_email", "Values": [email(p)]})
            for p in for_api
        ]
        health = [get("/_openprofiles/health", port) for _ in range(count)]
        results = measure(
            connection,
            [
                ("floor: GET /_openprofiles/health", health, b"ok"),
                ("floor: SearchProfiles _email (API)", api_search, b"ProfileId"),
                ("console search page", search_page, b"Profiles found"),
                ("console profile page", profile_page, b"Objects"),
            ],
        )
    finally:
        stop(server)
    print(f"\ndomain of {profiles:,} profiles; time to first byte, one request at a time")
    for r in results:
        print(
            f"{r['name']:<40} n={r['n']:<5} p50 {r['p50']:7.2f} ms   p90 {r['p90']:7.2f} ms   "
            f"p99 {r['p99']:7.2f} ms"
        )
    floor_health, floor_api = results[0]["p50"], results[1]["p50"]
    for r in results[2:]:
        verdict = "meets" if r["p50"] <= 50 else "misses"
        print(
            f"{r['name']}: p50 {r['p50']:.2f} ms ({verdict} the 50 ms target); "
            f"{r['p50'] / floor_api:.2f}x the API search, {r['p50'] / floor_health:.2f}x health"
        )


if __name__ == "__main__":
    main()
