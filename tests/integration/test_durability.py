"""A server killed with SIGKILL mid-stream loses no acknowledged CreateProfile (both databases)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.support.live_server import running_server


def test_sigkill_loses_no_acknowledged_write(database_url: str, tmp_path: Path) -> None:
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    with running_server(database_url, tmp_path) as server:
        server.client("customer-profiles").create_domain(DomainName="d", DefaultExpirationDays=1)

        def writer(n: int) -> None:
            cp = server.client("customer-profiles")
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    pid = cp.create_profile(DomainName="d", FirstName=f"w{n}-{i}")["ProfileId"]
                except Exception:
                    return  # the server is gone: this call was never acknowledged
                with lock:
                    acknowledged.append(pid)

        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(writer, n) for n in range(8)]
            deadline = time.time() + 20
            while len(acknowledged) < 200 and time.time() < deadline:
                time.sleep(0.05)
            server.kill()
            stop.set()
            for f in futures:
                f.result()

    assert len(acknowledged) >= 200
    with running_server(database_url, tmp_path) as server:
        cp: Any = server.client("customer-profiles")
        present: set[str] = set()
        for start in range(0, len(acknowledged), 20):
            chunk = acknowledged[start : start + 20]
            present |= {
                p["ProfileId"]
                for p in cp.batch_get_profile(DomainName="d", ProfileIds=chunk)["Profiles"]
            }
        assert present == set(acknowledged)
