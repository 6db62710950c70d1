"""Ingestion benchmark: PutProfileObject over HTTP against the floor, and bulk import.

(a) PutProfileObject with a Salesforce-Contact-like object type (the Salesforce-Contact
    template's Fields and Keys plus a PROFILE key on the email), driven by ``--clients``
    concurrent keep-alive clients, against the floors of bench/http_crud.py (bench/floor_app.py:
    one JSON parse and one SQLite insert per request, committed once per request or in groups
    as the server commits; and a bare HTTP hello) fed the same bodies.
(b) ``openprofiles import`` of ``--objects`` generated contacts (JSON Lines) into a fresh SQLite
    data directory, as a subprocess: objects/s, the child's peak resident memory, its CPU time
    and what it wrote to files (the database, its write-ahead log), per object.

Generated contacts are distinct people, except that one in five reuses the email of an earlier
one, so part of the objects land on an existing profile instead of creating one.

    .venv/bin/python -m bench.ingest [--requests 10000] [--clients 32] [--objects 1000000]

Targets (issue 4): PutProfileObject >= 0.4x the one-commit-per-request floor's throughput;
import >= 10,000 objects/s with peak memory <= 1 GiB. Prints figures, and PutProfileObject's
ratio to every floor; no assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.http_crud import (
    HOST,
    api,
    free_port,
    print_ratios,
    run_floors,
    signed,
    start_openprofiles,
    stop,
)
from bench.ingest_mapping import contact
from bench.load import LoadResult, run_load
from openprofiles.cli.importer import DEFAULT_BATCH

DOMAIN = "bench"
OBJECT_TYPE = "Contact"
ACCOUNT = "000000000000"
REGION = "us-east-1"
REPEAT_EVERY = 5  # one object in five reuses an earlier person's email
PUT_OBJECT = f"/domains/{DOMAIN}/profiles/objects"  # PutProfileObject: PUT


def contact_type() -> dict[str, Any]:
    """PutProfileObjectType body: the Salesforce-Contact template plus an email PROFILE key."""
    from openprofiles.ingest import get_template

    template = get_template("Salesforce-Contact")
    assert template is not None, "the Salesforce-Contact template is missing"
    keys = dict(template["Keys"])
    keys["_email"] = [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["emailAddress"]}]
    return {
        "Description": "Salesforce contacts (benchmark)",
        "AllowProfileCreation": template["AllowProfileCreation"],
        "SourceLastUpdatedTimestampFormat": template["SourceLastUpdatedTimestampFormat"],
        "Fields": template["Fields"],
        "Keys": keys,
    }


def contacts(count: int, seed: int = 42) -> Iterator[dict[str, Any]]:
    """Salesforce-Contact-shaped objects; every REPEAT_EVERY-th reuses an earlier email."""
    rng = random.Random(seed)
    for i in range(count):
        item = contact(i, rng)
        person = rng.randrange(i) if i and i % REPEAT_EVERY == 0 else i
        item["Email"] = f"person{person}@Example.com"
        yield item


def bench_http(requests: int, clients: int, root: Path) -> tuple[list[LoadResult], LoadResult]:
    bodies = [
        json.dumps({"ObjectTypeName": OBJECT_TYPE, "Object": json.dumps(item)}).encode()
        for item in contacts(requests)
    ]
    floors = run_floors("PUT", PUT_OBJECT, bodies, clients, root)

    port = free_port()
    server = start_openprofiles(root / "http-data", port)
    try:
        api(port, "POST", f"/domains/{DOMAIN}", {"DefaultExpirationDays": 365})
        api(port, "PUT", f"/domains/{DOMAIN}/object-types/{OBJECT_TYPE}", contact_type())
        # One object first, outside the clock: fails loudly if the route or the type is wrong.
        api(port, "PUT", PUT_OBJECT, json.loads(bodies[0]))
        put = [signed("PUT", port, PUT_OBJECT, json.loads(body)) for body in bodies]
        put_result = run_load("openprofiles PutProfileObject", HOST, port, put, clients)
    finally:
        stop(server)
    return floors, put_result


def prepare_data_dir(data_dir: Path) -> None:
    """A fresh data directory holding the domain and the object type, made through services."""
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
        services.object_types.put(caller, DOMAIN, OBJECT_TYPE, contact_type())
    finally:
        database.close()


def write_objects(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for item in contacts(count):
            out.write(json.dumps(item, separators=(",", ":")) + "\n")


def bench_import(count: int, batch_size: int, root: Path) -> dict[str, Any]:
    data_dir = root / "import-data"
    prepare_data_dir(data_dir)
    source = root / "contacts.jsonl"
    started = time.perf_counter()
    write_objects(source, count)
    print(
        f"generated {count:,} objects ({source.stat().st_size / 2**20:,.0f} MiB) "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    command = [sys.executable, "-m", "openprofiles", "import", "--domain", DOMAIN]
    command += ["--object-type", OBJECT_TYPE, "--data-dir", str(data_dir)]
    command += ["--batch-size", str(batch_size), str(source)]
    summary = root / "import-summary.txt"
    with summary.open("w") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out)
        # wait4 gives this child's own rusage; RUSAGE_CHILDREN would also count other children.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    output = summary.read_text()
    print(output, end="")
    reported = re.search(r"^objects/s\s+([\d,]+)", output, re.M)
    created = re.search(r"^profiles created\s+([\d,]+)", output, re.M)
    return {
        "exit": process.returncode,
        "seconds": seconds,
        "rate": count / seconds,
        "reported_rate": int(reported.group(1).replace(",", "")) if reported else None,
        "profiles_created": created.group(1) if created else "?",
        "peak_mib": usage.ru_maxrss / 1024,  # KiB on Linux
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "written_bytes": usage.ru_oublock * 512,  # blocks of 512 bytes written to files
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=10000, help="PutProfileObject requests")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument(
        "--objects", type=int, default=1_000_000, help="objects to import (0: skip)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=DEFAULT_BATCH, help="the import's default batch size"
    )
    parser.add_argument("--skip-http", action="store_true", help="only the import benchmark")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="op-bench-ingest-") as tmp:
        root = Path(tmp)
        imported = bench_import(args.objects, args.batch_size, root) if args.objects else None
        http = None if args.skip_http else bench_http(args.requests, args.clients, root)

    print()
    if http is not None:
        floors, put_result = http
        for result in (*floors, put_result):
            print(result.line())
        print_ratios(put_result, floors, 0.4)
    if imported is not None:
        print(
            f"import of {args.objects:,} objects: {imported['seconds']:.1f} s wall clock, "
            f"{imported['rate']:,.0f} objects/s (target >= 10,000; the command itself reported "
            f"{imported['reported_rate'] or 0:,} objects/s), "
            f"{imported['profiles_created']} profiles created, exit {imported['exit']}"
        )
        print(f"import peak memory: {imported['peak_mib']:,.0f} MiB (target <= 1,024 MiB)")
        cpu, written = imported["cpu_seconds"], imported["written_bytes"]
        print(
            f"import CPU time: {cpu:,.0f} s, {cpu / args.objects * 1e6:,.0f} us per object, "
            f"{cpu / imported['seconds']:.2f} cores on average; written to files: "
            f"{written / 1e9:,.1f} GB, {written / args.objects / 1e3:,.1f} KB per object"
        )


if __name__ == "__main__":
    main()
