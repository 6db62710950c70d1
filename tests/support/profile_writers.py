"""Clients that create profiles until the server goes away, and the check that what they were
told is stored is stored whole; for the tests that stop a server under load.

    with running_server(database_url, tmp_path) as server:
        server.client().create_domain(DomainName="d", DefaultExpirationDays=1)
        with ProfileWriters(server, "d") as writers:
            writers.wait_for(100)  # acknowledged creates
            server.kill()          # or server.stop()
    with running_server(database_url, tmp_path) as server:
        assert_stored_whole(server.client(), writers)

A writer stops at the first error that means "the server is gone" (:data:`SERVER_GONE`);
any other error, an AWS error response included (a 500, a 503), fails the test when the
``with`` block ends.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any

from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from tests.support.live_server import LiveServer

# What a client sees of a server that went away: the connection refused or timed out, closed
# or reset mid-request, or no answer at all. Nothing the server answered is among them.
SERVER_GONE = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ConnectionClosedError,
    ReadTimeoutError,
)


def sent(name: str) -> dict[str, Any]:
    """The CreateProfile members a writer sends for the profile ``name``."""
    return {
        "FirstName": name,
        "EmailAddress": f"{name}@example.com",
        "Attributes": {"writer": name.partition("-")[0]},
    }


class ProfileWriters:
    """``count`` threads, each with its own keep-alive client, creating profiles in ``domain``
    one after another until the server is gone."""

    def __init__(self, server: LiveServer, domain: str, count: int = 8) -> None:
        self.server = server
        self.domain = domain
        self.count = count
        self.acknowledged: dict[str, str] = {}  # ProfileId -> the name it was created with
        self.unanswered: list[str] = []  # names sent whose answer never came
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._running = 0
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(count)
        self._futures: list[Future[None]] = []

    def __enter__(self) -> ProfileWriters:
        self._running = self.count
        self._futures = [self._pool.submit(self._write, n) for n in range(self.count)]
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._pool.shutdown(wait=True)
        for future in self._futures:
            future.result()  # a writer's unexpected error fails the test here

    def wait_for(self, acknowledged: int) -> None:
        """Block until ``acknowledged`` creates were answered; fails if the writers all stop
        first."""
        with self._changed:
            self._changed.wait_for(
                lambda: len(self.acknowledged) >= acknowledged or self._running == 0
            )
        assert len(self.acknowledged) >= acknowledged, "the writers stopped early"

    def _write(self, n: int) -> None:
        client = self.server.client()
        try:
            i = 0
            while not self._stop.is_set():
                i += 1
                name = f"w{n}-{i}"
                try:
                    created = client.create_profile(DomainName=self.domain, **sent(name))
                except SERVER_GONE:
                    with self._lock:
                        self.unanswered.append(name)
                    return
                with self._changed:
                    self.acknowledged[created["ProfileId"]] = name
                    self._changed.notify_all()
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()


def _whole(profile: dict[str, Any], name: str) -> bool:
    return {member: profile.get(member) for member in sent(name)} == sent(name)


def assert_stored_whole(client: Any, writers: ProfileWriters) -> None:
    """Every acknowledged profile is stored with every member it was sent, and is found by its
    email key; a create whose answer never came is stored whole or not at all."""
    ids = sorted(writers.acknowledged)
    for start in range(0, len(ids), 20):
        chunk = ids[start : start + 20]
        stored = {
            p["ProfileId"]: p
            for p in client.batch_get_profile(DomainName=writers.domain, ProfileIds=chunk)[
                "Profiles"
            ]
        }
        assert set(stored) == set(chunk)
        for pid in chunk:
            assert _whole(stored[pid], writers.acknowledged[pid]), stored[pid]
        found = client.search_profiles(
            DomainName=writers.domain,
            KeyName="_email",
            Values=[sent(writers.acknowledged[pid])["EmailAddress"] for pid in chunk],
            MaxResults=100,
        )
        assert {p["ProfileId"] for p in found["Items"]} == set(chunk)
    for name in writers.unanswered:
        found = client.search_profiles(
            DomainName=writers.domain, KeyName="_email", Values=[sent(name)["EmailAddress"]]
        )
        assert len(found["Items"]) <= 1
        assert all(_whole(p, name) for p in found["Items"]), found["Items"]
