"""The batch loop of ``openprofiles import``: records go to a sink in batches (one write
transaction each, locally); each batch is counted into the :class:`Summary` once the sink says
it stands, and each rejected line goes to the :class:`RejectReport` with its reason.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Protocol, TextIO

from openprofiles.cli._readers import Record
from openprofiles.cli.import_sinks import Sent, Sink

SHOWN_REJECTS = 20
# Objects between two collections of the cyclic garbage collector during an import (see
# quiet_gc): a full collection then goes over the batches alive, a tenth of a second or so.
COLLECT_EVERY = 200_000


@dataclass
class RejectReport:
    """Every rejected line, written as JSON Lines as it comes; the first few kept to print."""

    path: Path
    shown: int = SHOWN_REJECTS
    count: int = 0
    first: list[tuple[int, str]] = field(default_factory=list)
    _file: TextIO | None = None

    def add(self, line: int, reason: str, source: Any) -> None:
        if self._file is None:
            self._file = self.path.open("w", encoding="utf-8")
        entry = {"line": line, "reason": reason, "object": source}
        self._file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.count += 1
        if len(self.first) < self.shown:
            self.first.append((line, reason))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


@dataclass
class Summary:
    read: int = 0
    stored: int = 0
    profiles_created: int = 0
    rejected: int = 0
    elapsed: float = 0.0
    last_line: int = 0  # the last line fully processed

    @property
    def rate(self) -> float:
        return self.read / self.elapsed if self.elapsed > 0 else 0.0


class Progress(Protocol):
    def update(self, n: int) -> Any: ...


def batches(records: Iterable[Record], size: Callable[[], int]) -> Iterator[list[Record]]:
    """Lists of ``size()`` records, asked before each batch (the last may be shorter)."""
    iterator = iter(records)
    while batch := list(islice(iterator, size())):
        yield batch


def run_import(
    records: Iterable[Record],
    sink: Sink,
    batch_size: int,
    report: RejectReport,
    progress: Progress | None = None,
    summary: Summary | None = None,
) -> Summary:
    """Send ``records`` to ``sink`` in batches, reporting each rejected line; fills ``summary``.

    A batch is counted (stored, rejected, progress) once the sink says it stands, which for a
    local import is after the next batch has been read and mapped (see :class:`Sent`).
    """
    summary = summary if summary is not None else Summary()
    started = time.perf_counter()
    previous: tuple[list[Record], Sent | None] | None = None
    collected = 0  # objects read at the last garbage collection

    def settle() -> None:
        nonlocal previous
        if previous is not None:
            batch, sent = previous
            previous = None
            _count(batch, sent, summary, report, progress)

    try:
        for batch in batches(records, lambda: sink.batch_size(batch_size)):
            readable = [r for r in batch if r.text is not None]
            # A readable record's source is its text parsed: the engine need not parse again.
            texts = [r.text for r in readable if r.text is not None]
            parsed = [r.source for r in readable]
            sent = sink.put_many(texts, parsed) if readable else None
            settle()
            previous = (batch, sent)
            if summary.read >= collected + COLLECT_EVERY:
                collected = summary.read
                gc.collect()
        settle()
    except BaseException:
        settle()  # a stop or an interrupt: what was stored before it is counted
        raise
    finally:
        summary.elapsed = time.perf_counter() - started
    return summary


def _count(
    batch: list[Record],
    sent: Sent | None,
    summary: Summary,
    report: RejectReport,
    progress: Progress | None,
) -> None:
    outcomes = iter(sent.outcomes() if sent is not None else [])
    for record in batch:
        error = record.error
        if record.text is not None:
            outcome = next(outcomes)
            error = outcome.error
            if error is None:
                summary.stored += 1
                summary.profiles_created += outcome.profile_created
        if error is not None:
            summary.rejected += 1
            report.add(record.line, error, record.source)
    summary.read += len(batch)
    summary.last_line = batch[-1].line
    if progress is not None:
        progress.update(len(batch))


@contextmanager
def quiet_gc() -> Iterator[None]:
    """Run the block with the cyclic garbage collector off, and never over what was alive
    before it; :func:`run_import` collects once per COLLECT_EVERY objects instead.

    An import allocates millions of objects (parsed objects, rows) that hold no reference
    cycles: reference counting frees them, and the collector's passes over those alive
    (each batch's, until it is written) free next to nothing. At the default thresholds they
    took about 15% of a local import, at thresholds of 100,000 young objects 7 to 10% (see
    docs/import.md). The engine keeps rejections without their tracebacks, which would hold
    a batch's results in a cycle; what cycles remain are freed by the collections between
    batches.
    """
    was_enabled = gc.isenabled()
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()
