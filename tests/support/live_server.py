"""A real openprofiles server in a subprocess, for integration tests.

``running_server(database_url, data_dir)`` starts ``python -m openprofiles serve`` on a free
port (its own process group; stdout and stderr in ``data_dir/server.log``), waits until
``/_openprofiles/health`` answers 200 (failing with the log's tail after 30 s), and stops it
with SIGTERM afterwards. The server knows two accounts: ``test``/``test`` (000000000000, the
default) and ``second``/``second-secret`` (222222222222); ``env`` adds or overrides
environment variables (``OPENPROFILES_*`` settings).

    with running_server(database_url, tmp_path) as server:
        server.client().create_domain(DomainName="d", DefaultExpirationDays=1)
        server.client("b2bi").list_profiles()
        server.client(access_key="second", secret_key="second-secret").list_domains()
        assert server.stop() == 0

In pytest, prefer the ``live_server`` fixture (tests/integration/conftest.py): a fresh server
on an empty database, once per backend.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

CREDENTIALS = "test:test:000000000000,second:second-secret:222222222222"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def boto3_client(
    endpoint: str,
    service: str = "customer-profiles",
    access_key: str = "test",
    secret_key: str = "test",
    region: str = "us-east-1",
    **config: Any,
) -> Any:
    """A boto3 client for ``service`` at ``endpoint``; retries off, so errors surface."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(retries={"max_attempts": 1}, **config),
    )


@dataclass
class LiveServer:
    """A running server: ``endpoint`` is ``http://127.0.0.1:PORT``."""

    endpoint: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def client(
        self,
        service: str = "customer-profiles",
        access_key: str = "test",
        secret_key: str = "test",
        region: str = "us-east-1",
        **config: Any,
    ) -> Any:
        """A boto3 client for ``service`` on this server; retries off, so errors surface."""
        return boto3_client(self.endpoint, service, access_key, secret_key, region, **config)

    def kill(self) -> None:
        """SIGKILL: no clean shutdown."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> int:
        """SIGTERM and wait; the exit code."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        return int(self.process.returncode)

    def log(self) -> str:
        """Everything the server has written so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_server(
    database_url: str, data_dir: Path, env: dict[str, str] | None = None, timeout: float = 30
) -> LiveServer:
    """Start a server and wait until it is healthy; the caller must ``stop()`` it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = data_dir / "server.log"
    log_file = open(log_path, "ab")  # noqa: SIM115 - handed to the child process
    process = subprocess.Popen(
        [sys.executable, "-m", "openprofiles", "serve", "--port", str(port),
         "--data-dir", str(data_dir), "--database-url", database_url],
        env={**os.environ, "OPENPROFILES_CREDENTIALS": CREDENTIALS, **(env or {})},
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    log_file.close()
    server = LiveServer(f"http://127.0.0.1:{port}", port, process, log_path)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.endpoint}/_openprofiles/health", timeout=1) as r:
                if r.status == 200:
                    return server
        except OSError:
            pass
        time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"server not healthy after {timeout}s:\n{server.log()[-3000:]}")


@contextmanager
def running_server(
    database_url: str, data_dir: Path, env: dict[str, str] | None = None, timeout: float = 30
) -> Iterator[LiveServer]:
    """A healthy server for the ``with`` block; SIGTERM (then SIGKILL if stuck) afterwards."""
    server = start_server(database_url, data_dir, env, timeout)
    try:
        yield server
    finally:
        server.stop()
