"""Identity resolution at scale: a whole job, and real-time matching, on a generated domain.

For each backend (SQLite under a temp data directory; PostgreSQL on 127.0.0.1:5432 in a database
made for the run and dropped after it), ``--profiles`` generated hard customers
(bench/resolution_customers.py) are bulk-inserted into a fresh domain with Matching enabled.
Then, in a child process (so loading does not count towards its memory), the job runs as
``openprofiles resolve`` runs it (services/jobs.py starts it, worker/resolution_jobs.py's
JobRunner reads the domain, normalises, matches and writes the matches): wall time, CPU time and
the child's peak resident memory. Floor, in the same run: one read of the same profiles from the
database with each document json-parsed, the read no job can skip; printed as job / floor.

Real-time matching: after the job the domain's match keys are stored (as the server does after
a job), then ``--realtime`` new profiles are inserted and each is scored by the server's
RealtimeMatcher.process, one profile per call, timed around that call (candidate look-up,
normalising, scoring, writing its group): p50 / p99 per profile. Floor: a primary-key look-up
of the same candidates' documents on the same database.

    .venv/bin/python -m bench.resolution_scale [--profiles 100000] [--backend both] [--realtime 200]

Targets (issue 15): 100,000 profiles <= 30 s, 1,000,000 <= 3 minutes on 2 cores; peak memory
<= 4 GiB; real-time p99 <= 5 ms per new profile. Prints figures, no assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.resolution_customers import generate

DOMAIN = "bench"
ACCOUNT = "000000000000"
REGION = "us-east-1"
LOAD_BATCH = 20_000
PG_ADMIN_URL = os.environ.get(
    "OPENPROFILES_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
GIB = 2**30


@contextmanager
def database_url(backend: str, root: Path) -> Iterator[str]:
    """A URL to an empty database of ``backend``, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{root / 'openprofiles.db'}"
        return
    from sqlalchemy import create_engine, text

    name = "op_bench_" + uuid.uuid4().hex[:16]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _services(url: str, root: Path) -> Any:
    from openprofiles.config import load_settings
    from openprofiles.services.container import Services
    from openprofiles.storage.database import Database

    settings = load_settings({"data_dir": root, "database_url": url})
    database = Database.open(settings.effective_database_url)
    return database, Services(database, settings)


def load(url: str, root: Path, profiles: int) -> tuple[int, int, float]:
    """A domain with Matching enabled holding about ``profiles`` generated profiles (the
    generator ends on a whole person); (domain id, profiles loaded, seconds)."""
    from openprofiles.context import Caller
    from openprofiles.jsontext import compact
    from openprofiles.storage.batched import insert_many
    from openprofiles.storage.tables import profiles as profiles_table

    database, services = _services(url, root)
    try:
        record, _ = services.domains.create(
            Caller(ACCOUNT, REGION), DOMAIN, 365, {"Matching": {"Enabled": True}}, None
        )
        started = time.perf_counter()
        now = datetime.now(UTC)
        columns = ("domain_id", "profile_id", "document", "size", "created_at", "updated_at")
        rows: list[tuple[Any, ...]] = []
        loaded = 0
        for profile_id, _, document in generate(profiles, seed=15):
            text = compact(document)
            rows.append((record.id, profile_id, text, len(text.encode()), now, now))
            loaded += 1
            if len(rows) == LOAD_BATCH:
                with database.write() as conn:
                    insert_many(conn, profiles_table, columns, rows)
                rows = []
        if rows:
            with database.write() as conn:
                insert_many(conn, profiles_table, columns, rows)
        return int(record.id), loaded, time.perf_counter() - started
    finally:
        database.close()


def read_floor(url: str, root: Path, domain_id: int) -> tuple[int, float]:
    """The job's unavoidable read: every document of the domain, json-parsed; (count, s)."""
    from sqlalchemy import select

    from openprofiles.storage.tables import profiles

    database, _ = _services(url, root)
    try:
        started = time.perf_counter()
        count = 0
        with database.read() as conn:
            result = conn.execution_options(yield_per=5000).execute(
                select(profiles.c.profile_id, profiles.c.document).where(
                    profiles.c.domain_id == domain_id
                )
            )
            for _, document in result:
                json.loads(document)
                count += 1
        return count, time.perf_counter() - started
    finally:
        database.close()


def job_child(url: str, root: str) -> None:
    """Runs in a child process: the job as ``openprofiles resolve`` runs it."""
    from openprofiles.context import Caller
    from openprofiles.services.jobs import FROM_CLI
    from openprofiles.worker.resolution_jobs import JobRunner

    database, services = _services(url, Path(root))
    before = resource.getrusage(resource.RUSAGE_SELF)
    stages: dict[str, float] = {}
    started = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        stages.setdefault(stage, time.perf_counter() - started)

    try:
        job_id = services.jobs.start(Caller(ACCOUNT, REGION), DOMAIN, origin=FROM_CLI)
        job = JobRunner(database, services.clock).run(job_id, progress)
    finally:
        database.close()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    assert job is not None
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
                "peak_mib": after.ru_maxrss / 1024,
                "status": job.status,
                "message": job.message,
                "reviewed": job.profiles_reviewed,
                "matches": job.matches_found,
                "stages": stages,
            }
        )
    )


def run_job(url: str, root: Path) -> dict[str, Any]:
    child = subprocess.run(
        [sys.executable, "-m", "bench.resolution_scale", "--job-child", url, str(root)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def realtime(url: str, root: Path, domain_id: int, count: int) -> dict[str, Any]:
    """Per-profile scoring latency of new profiles, beside a primary-key look-up floor."""
    from openprofiles.jsontext import compact
    from openprofiles.resolution.blocking import match_keys
    from openprofiles.resolution.normalise import normalise_document
    from openprofiles.storage.batched import insert_many
    from openprofiles.storage.repositories import match_keys as key_repo
    from openprofiles.storage.repositories import profiles as profile_repo
    from openprofiles.storage.tables import profiles as profiles_table
    from openprofiles.worker.realtime import CANDIDATES_PER_PROFILE, RealtimeMatcher

    database, services = _services(url, root)
    try:
        matcher = RealtimeMatcher(database, services.clock)
        started = time.perf_counter()
        matcher.index_domain(domain_id)
        indexed = time.perf_counter() - started
        # New people's profiles, from another seed: ids after the domain's, some near its people.
        fresh = [(f"n{pid}", doc) for pid, _, doc in generate(count, seed=16)]
        now = datetime.now(UTC)
        columns = ("domain_id", "profile_id", "document", "size", "created_at", "updated_at")
        with database.write() as conn:
            insert_many(
                conn,
                profiles_table,
                columns,
                [
                    (domain_id, pid, compact(doc), len(compact(doc).encode()), now, now)
                    for pid, doc in fresh
                ],
            )
        scoring: list[float] = []
        floor: list[float] = []
        candidates_seen = 0
        for pid, doc in fresh:
            started = time.perf_counter()
            matcher.process(domain_id, [pid])
            scoring.append(time.perf_counter() - started)
            keys = match_keys(normalise_document(pid, doc, matcher.settings.default_region))
            with database.read() as conn:
                found = key_repo.candidates(conn, domain_id, keys, CANDIDATES_PER_PROFILE)
            candidates_seen += len(found)
            started = time.perf_counter()
            with database.read() as conn:
                profile_repo.get_documents(conn, domain_id, found)
            floor.append(time.perf_counter() - started)
        return {
            "indexed_seconds": indexed,
            "p50_ms": _percentile(scoring, 0.5) * 1000,
            "p99_ms": _percentile(scoring, 0.99) * 1000,
            "floor_p50_ms": _percentile(floor, 0.5) * 1000,
            "floor_p99_ms": _percentile(floor, 0.99) * 1000,
            "candidates": candidates_seen / max(1, len(fresh)),
        }
    finally:
        database.close()


def bench(backend: str, profiles: int, count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="op-bench-scale-") as tmp:
        root = Path(tmp)
        with database_url(backend, root) as url:
            domain_id, loaded, seconds = load(url, root, profiles)
            print(f"{backend}: loaded {loaded:,} profiles in {seconds:.1f} s", flush=True)
            read, floor = read_floor(url, root, domain_id)
            job = run_job(url, root)
            target = 30.0 if profiles <= 100_000 else 180.0
            stages = ", ".join(f"{name} at {at:.1f} s" for name, at in job["stages"].items())
            print(
                f"{backend}: job on {loaded:,} profiles: {job['status']}, "
                f"{job['seconds']:.1f} s (target <= {target:.0f} s; {job['cpu_seconds']:.1f} s "
                f"CPU, load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores), "
                f"{job['reviewed']:,} reviewed, {job['matches']:,} matches; stages: {stages}"
            )
            if job["message"]:
                print(f"{backend}: job message: {job['message']}")
            print(
                f"{backend}: peak memory of the job's process {job['peak_mib']:,.0f} MiB "
                f"(target <= {4 * GIB / 2**20:,.0f} MiB)"
            )
            print(
                f"{backend}: floor (read {read:,} documents and json-parse them) {floor:.2f} s; "
                f"job / floor {job['seconds'] / floor:.1f}x",
                flush=True,
            )
            if count:
                rt = realtime(url, root, domain_id, count)
                print(
                    f"{backend}: real-time, {count} new profiles in a {loaded:,}-profile domain "
                    f"(keys of the domain stored first in {rt['indexed_seconds']:.1f} s): "
                    f"per profile p50 {rt['p50_ms']:.2f} ms, p99 {rt['p99_ms']:.2f} ms "
                    f"(target p99 <= 5 ms); floor (primary-key look-up of its "
                    f"{rt['candidates']:.1f} candidates on average) p50 {rt['floor_p50_ms']:.2f} "
                    f"ms, p99 {rt['floor_p99_ms']:.2f} ms; p99 / floor p99 "
                    f"{rt['p99_ms'] / rt['floor_p99_ms']:.1f}x",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--realtime", type=int, default=200, help="new profiles scored (0: skip)")
    parser.add_argument("--job-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job_child:
        job_child(*args.job_child)
        return
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        bench(backend, args.profiles, args.realtime)


if __name__ == "__main__":
    main()
