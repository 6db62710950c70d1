"""A server killed with SIGKILL mid-stream loses no acknowledged CreateProfile (both databases)."""

from __future__ import annotations

from pathlib import Path

from tests.support.live_server import running_server
from tests.support.profile_writers import ProfileWriters, assert_stored_whole


def test_sigkill_loses_no_acknowledged_write(database_url: str, tmp_path: Path) -> None:
    with running_server(database_url, tmp_path) as server:
        server.client().create_domain(DomainName="d", DefaultExpirationDays=1)
        with ProfileWriters(server, "d") as writers:
            writers.wait_for(200)
            server.kill()

    with running_server(database_url, tmp_path) as server:
        assert_stored_whole(server.client(), writers)
