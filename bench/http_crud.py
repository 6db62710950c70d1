"""HTTP CRUD benchmark: CreateProfile and SearchProfiles(_profileId) against three floors.

Starts each floor of bench/floor_app.py in turn on the same uvicorn (one JSON parse and one
SQLite insert per request, committed once per request or in groups as the server commits; and
a bare HTTP hello with no database), then an openprofiles server on the embedded SQLite
default, drives each with the same number of concurrent keep-alive clients, and prints 2xx
answers per second, p50, p99, the errors apart, and CreateProfile's ratio to each floor. Then
seeds a domain of ``--big`` profiles straight through the storage layer and measures
SearchProfiles by ``_profileId`` in it.

    .venv/bin/python -m bench.http_crud [--requests 10000] [--clients 32] [--big 1000000]

Targets (issue 3): CreateProfile >= 0.5x the one-commit-per-request floor's throughput;
SearchProfiles by key in a domain of 1,000,000 profiles p50 <= 5 ms. The grouped floor
commits the way the server does, so its ratio is the one that compares like with like; the
hello floor is what uvicorn and ASGI cost before any work.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from bench.load import LoadResult, raw_request, run_load

HOST = "127.0.0.1"
CREDS = Credentials("test", "test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listening on {port}")


def start_openprofiles(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openprofiles",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
        ],
        env={**os.environ, "OPENPROFILES_ACCESS_LOG": "false", "OPENPROFILES_LOG_LEVEL": "warning"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(port, process)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


# (ASGI app in bench/floor_app.py, what the result line calls it)
FLOORS = (
    ("per_request", "floor: one commit per request"),
    ("grouped", "floor: grouped commits"),
    ("hello", "floor: HTTP hello (no database)"),
)


def run_floors(
    method: str, path: str, bodies: list[bytes], clients: int, root: Path
) -> list[LoadResult]:
    """Each of :data:`FLOORS` served by uvicorn in turn, fed ``bodies``; their results."""
    results = []
    for app, name in FLOORS:
        port = free_port()
        floor = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", f"bench.floor_app:{app}", "--host", HOST),
                *("--port", str(port), "--log-level", "warning", "--no-access-log"),
            ],
            env={**os.environ, "FLOOR_DB": str(root / f"floor-{app}.db")},
        )
        try:
            wait_port(port, floor)
            headers = {"Content-Type": "application/json"}
            host = f"{HOST}:{port}"
            requests = [raw_request(method, path, headers, body, host) for body in bodies]
            results.append(run_load(name, HOST, port, requests, clients))
        finally:
            stop(floor)
    return results


def print_ratios(result: LoadResult, floors: list[LoadResult], target: float) -> None:
    """``result``'s throughput over each floor's; ``target`` is set against the first."""
    operation = result.name.removeprefix("openprofiles ")
    for index, floor in enumerate(floors):
        ratio = result.rps / floor.rps if floor.rps else float("nan")
        goal = f" (target >= {target}x)" if index == 0 else ""
        print(f"{operation} throughput / {floor.name}: {ratio:.2f}x{goal}")


def signed(method: str, port: int, path: str, body: dict[str, Any]) -> bytes:
    data = json.dumps(body).encode()
    url = f"http://{HOST}:{port}{path}"
    request = AWSRequest(
        method=method, url=url, data=data, headers={"Content-Type": "application/json"}
    )
    SigV4Auth(CREDS, "profile", "us-east-1").add_auth(request)
    headers = {k: v for k, v in request.headers.items()}
    return raw_request(method, path, headers, data, f"{HOST}:{port}")


def profile_body(i: int) -> dict[str, Any]:
    return {
        "FirstName": f"First{i}",
        "LastName": f"Last{i}",
        "EmailAddress": f"person{i}@example.com",
        "PhoneNumber": f"+1206555{i % 10000:04d}",
        "AccountNumber": f"ACCT{i}",
        "Address": {"City": "Seattle", "Country": "USA", "PostalCode": "98011"},
        "Attributes": {"tier": "gold"},
    }


def api(port: int, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    raw = signed(method, port, path, body)
    with socket.create_connection((HOST, port)) as s:
        s.sendall(raw.replace(b"HTTP/1.1\r\n", b"HTTP/1.1\r\nConnection: close\r\n", 1))
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    head, _, payload = b"".join(chunks).partition(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        raise SystemExit(f"{method} {path} failed: {head!r} {payload!r}")
    answer: dict[str, Any] = json.loads(payload or b"{}")
    return answer


def seed_big_domain(data_dir: Path, count: int) -> list[str]:
    """Insert ``count`` profiles into domain ``big`` through the storage layer, in batches."""
    from openprofiles.services.standard_keys import standard_keys
    from openprofiles.storage.database import Database
    from openprofiles.storage.repositories import domains as domain_repo
    from openprofiles.storage.tables import profile_keys, profiles

    database = Database.open(
        f"sqlite:///{(data_dir / 'openprofiles.db').resolve()}", sqlite_synchronous="OFF"
    )
    now = datetime.now(UTC)
    ids: list[str] = []
    with database.write() as conn:
        record = domain_repo.create(conn, "000000000000", "us-east-1", "big", 365, {}, now)
        assert record is not None
    batch = 20000
    for start in range(0, count, batch):
        profile_rows, key_rows = [], []
        for i in range(start, min(count, start + batch)):
            pid = uuid.uuid4().hex
            ids.append(pid)
            doc = profile_body(i)
            text = json.dumps(doc, separators=(",", ":"))
            profile_rows.append(
                {
                    "domain_id": record.id,
                    "profile_id": pid,
                    "document": text,
                    "size": len(text),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            key_rows += [
                {
                    "domain_id": record.id,
                    "key_name": k,
                    "key_value": v,
                    "profile_id": pid,
                    "origin": "standard",
                }
                for k, v in standard_keys(pid, doc)
            ]
        with database.write() as conn:
            conn.execute(profiles.insert(), profile_rows)
            conn.execute(profile_keys.insert(), key_rows)
    database.close()
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument(
        "--big", type=int, default=1_000_000, help="profiles in the large domain (0: skip)"
    )
    args = parser.parse_args()
    results: list[LoadResult] = []
    with tempfile.TemporaryDirectory(prefix="op-bench-") as tmp:
        root = Path(tmp)
        bodies = [profile_body(i) for i in range(args.requests)]
        encoded = [json.dumps(body).encode() for body in bodies]
        floors = run_floors("POST", "/domains/bench/profiles", encoded, args.clients, root)
        results += floors

        port = free_port()
        server = start_openprofiles(root / "data", port)
        api(port, "POST", "/domains/bench", {"DefaultExpirationDays": 30})
        create = [signed("POST", port, "/domains/bench/profiles", b) for b in bodies]
        create_result = run_load("openprofiles CreateProfile", HOST, port, create, args.clients)
        results.append(create_result)
        found = api(
            port,
            "POST",
            "/domains/bench/profiles/search?max-results=100",
            {"KeyName": "_account", "Values": [f"ACCT{i}" for i in range(100)]},
        )
        known = [item["ProfileId"] for item in found["Items"]]
        search = [
            signed(
                "POST",
                port,
                "/domains/bench/profiles/search",
                {"KeyName": "_profileId", "Values": [random.choice(known)]},
            )
            for _ in range(args.requests)
        ]
        results.append(
            run_load("openprofiles SearchProfiles _profileId", HOST, port, search, args.clients)
        )
        stop(server)

        if args.big:
            started = time.perf_counter()
            ids = seed_big_domain(root / "data", args.big)
            print(f"seeded {len(ids):,} profiles in {time.perf_counter() - started:.0f} s")
            port = free_port()
            server = start_openprofiles(root / "data", port)
            big = [
                signed(
                    "POST",
                    port,
                    "/domains/big/profiles/search",
                    {"KeyName": "_profileId", "Values": [random.choice(ids)]},
                )
                for _ in range(args.requests)
            ]
            results.append(
                run_load(f"SearchProfiles in {args.big:,} profiles", HOST, port, big, args.clients)
            )
            # One client alone: the latency of a single search, without queueing behind others.
            results.append(run_load("  same, 1 client", HOST, port, big[: min(2000, len(big))], 1))
            stop(server)

    print()
    for result in results:
        print(result.line())
    print()
    print_ratios(create_result, floors, 0.5)


if __name__ == "__main__":
    main()
