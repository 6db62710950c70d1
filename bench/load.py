"""A small closed-loop HTTP/1.1 load generator over keep-alive connections.

Requests are prepared (and signed) before the clock starts, so the client spends its time on
sockets, not on SigV4. Each of ``concurrency`` connections sends its next request as soon as
the previous answer is read.

Throughput and latencies count only the requests answered 2xx. Anything else (an error
status, a connection closed or refused) is an error, counted apart with the first few seen,
so a server that fails fast cannot look fast.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field

SHOWN_ERRORS = 3  # how many distinct errors a result line quotes


@dataclass
class LoadResult:
    name: str
    requests: int  # sent, answered or not
    seconds: float
    latencies_ms: list[float]  # of the 2xx answers only
    errors: list[str] = field(default_factory=list)  # one per failed request

    @property
    def succeeded(self) -> int:
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        """2xx answers per second."""
        return self.succeeded / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, int(q * len(data)))]

    def line(self) -> str:
        text = (
            f"{self.name:<40} {self.rps:9.0f} req/s   p50 {self.percentile(0.5):7.2f} ms   "
            f"p99 {self.percentile(0.99):7.2f} ms   errors {len(self.errors)}"
        )
        if self.errors:
            first = list(dict.fromkeys(self.errors))[:SHOWN_ERRORS]
            text += "\n    first errors: " + "; ".join(first)
        return text


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, whether the server keeps the connection open)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, status_text = lines[0].split(" ", 2)[:2]
    length = 0
    connection = ""
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "connection":
            connection = value.strip().lower()
    body = await reader.readexactly(length) if length else b""
    # HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 closes it unless told.
    keep_alive = connection == "keep-alive" if version == "HTTP/1.0" else connection != "close"
    return int(status_text), body, keep_alive


def _error(status: int, body: bytes) -> str:
    return f"{status} {' '.join(body[:120].decode('utf-8', 'replace').split())}"


async def _worker(
    host: str, port: int, queue: list[bytes], latencies: list[float], errors: list[str]
) -> None:
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    try:
        while queue:
            raw = queue.pop()
            started = time.perf_counter()
            try:
                if connection is None:
                    connection = await asyncio.open_connection(host, port)
                reader, writer = connection
                writer.write(raw)
                status, body, keep_alive = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                if connection is not None:
                    connection[1].close()
                connection = None
                continue
            if 200 <= status < 300:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors.append(_error(status, body))
            if not keep_alive:
                writer.close()
                connection = None
    finally:
        if connection is not None:
            connection[1].close()


def run_load(
    name: str, host: str, port: int, requests: list[bytes], concurrency: int
) -> LoadResult:
    queue = list(reversed(requests))
    latencies: list[float] = []
    errors: list[str] = []

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(
            *(_worker(host, port, queue, latencies, errors) for _ in range(concurrency))
        )
        return time.perf_counter() - started

    seconds = asyncio.run(main())
    return LoadResult(name, len(requests), seconds, latencies, errors)


def raw_request(method: str, path: str, headers: dict[str, str], body: bytes, host: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [
        f"{k}: {v}" for k, v in headers.items() if k.lower() not in ("host", "content-length")
    ]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
