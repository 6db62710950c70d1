"""A small closed-loop HTTP/1.1 load generator over keep-alive connections.

Requests are prepared (and signed) before the clock starts, so the client spends its time on
sockets, not on SigV4. Each of ``concurrency`` connections sends its next request as soon as
the previous answer is read.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass


@dataclass
class LoadResult:
    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, int(q * len(data)))]

    def line(self) -> str:
        return (
            f"{self.name:<34} {self.rps:9.0f} req/s   p50 {self.percentile(0.5):7.2f} ms   "
            f"p99 {self.percentile(0.99):7.2f} ms   errors {self.errors}"
        )


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


async def _worker(
    host: str, port: int, queue: list[bytes], latencies: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while queue:
            raw = queue.pop()
            started = time.perf_counter()
            writer.write(raw)
            status = await _read_response(reader)
            latencies.append((time.perf_counter() - started) * 1000)
            if status >= 400:
                errors.append(status)
    finally:
        writer.close()


def run_load(
    name: str, host: str, port: int, requests: list[bytes], concurrency: int
) -> LoadResult:
    queue = list(reversed(requests))
    latencies: list[float] = []
    errors: list[int] = []

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(
            *(_worker(host, port, queue, latencies, errors) for _ in range(concurrency))
        )
        return time.perf_counter() - started

    seconds = asyncio.run(main())
    return LoadResult(name, len(requests), seconds, latencies, len(errors))


def raw_request(method: str, path: str, headers: dict[str, str], body: bytes, host: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [
        f"{k}: {v}" for k, v in headers.items() if k.lower() not in ("host", "content-length")
    ]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
