"""A server in the test's own process, on a clock the test moves: for behaviour that takes
days, such as expiry.

``running_app(database_url, data_dir, clock)`` serves openprofiles' ASGI app with uvicorn on a
thread (a free port, the default ``test``/``test`` account), with ``clock`` as the server's
clock. Expired objects are purged only when the test calls ``purge_expired()``, and the
identity resolution worker looks for due schedules only at start, when a job is started, and
when the test calls ``app.job_worker.step()``. Inside the
block, boto3 signs its requests at ``clock``'s time too: the server refuses a signature more
than 15 minutes off its clock.

    clock = FixedClock(datetime.now(UTC))
    with running_app(database_url, tmp_path, clock) as server:
        server.client().put_profile_object(...)
        clock.at += timedelta(days=2)
        server.client().search_profiles(...)  # the object has expired; nothing purged yet
        server.purge_expired()
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest.mock import patch

import uvicorn

from openprofiles.clock import FixedClock
from openprofiles.config import Settings
from openprofiles.server.app import App
from tests.support.live_server import boto3_client, free_port

_NEVER = 10 * 365 * 86400.0  # seconds between the app's own purges: not during a test


@dataclass
class AppServer:
    """The app serving on ``endpoint``."""

    app: App
    endpoint: str

    def client(self, service: str = "customer-profiles", **kw: Any) -> Any:
        return boto3_client(self.endpoint, service, **kw)

    def purge_expired(self) -> int:
        """Run the purge of expired objects now (as the server does every minute)."""
        assert self.app.gateway is not None
        purged: int = self.app.gateway.services.objects.purge_expired()
        return purged


@contextmanager
def running_app(database_url: str, data_dir: Path, clock: FixedClock) -> Iterator[AppServer]:
    settings = Settings(data_dir=data_dir, database_url=database_url)
    app = App(settings, clock, purge_every=_NEVER, jobs_every=_NEVER)
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="test-app-server", daemon=True)

    def signing_time(remove_tzinfo: bool = True) -> datetime:
        now = clock.now()
        return now.replace(tzinfo=None) if remove_tzinfo else now

    with patch("botocore.auth.get_current_datetime", signing_time):
        thread.start()
        try:
            deadline = time.monotonic() + 30
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError("the in-process server did not start")
                time.sleep(0.05)
            yield AppServer(app, f"http://127.0.0.1:{port}")
        finally:
            server.should_exit = True
            thread.join(30)
