"""``openprofiles import``: readers, batching, the reject report and exit codes.

The command's wiring to the real object service is tested in tests/integration/test_import.py;
here a fake with ObjectService.put_many's contract stands in, so these run in milliseconds.
"""

from __future__ import annotations

import gc
import io
import json
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from openprofiles.cli import import_run, importer
from openprofiles.cli._readers import (
    InputError,
    Record,
    count_lines,
    format_for,
    read_csv,
    read_jsonl,
)
from openprofiles.cli.import_run import RejectReport, Summary, run_import
from openprofiles.cli.import_sinks import SHARED_BATCH, ImportStopped, LocalSink, Outcome, Sent
from openprofiles.cli.importer import import_command
from openprofiles.context import Caller
from openprofiles.errors import ServiceError, invalid, not_found
from openprofiles.storage.database import Committer


def _jsonl(data: bytes) -> list[Record]:
    return list(read_jsonl(io.BytesIO(data)))


def _csv(data: bytes) -> list[Record]:
    return list(read_csv(io.BytesIO(data)))


# --- readers ------------------------------------------------------------------------------------
def test_jsonl_reads_objects_with_line_numbers_and_skips_blank_lines() -> None:
    records = _jsonl(b'{"a": 1}\n\n  \n{"b": "x"}\r\n{"c": []}')
    assert [(r.line, r.text, r.error) for r in records] == [
        (1, '{"a": 1}', None),
        (4, '{"b": "x"}', None),
        (5, '{"c": []}', None),
    ]
    assert records[1].source == {"b": "x"}


def test_jsonl_rejects_bad_lines_with_reasons_and_goes_on() -> None:
    records = _jsonl(b'{"a": 1}\n{"a": \n[1, 2]\n"text"\nnull\n\xff\xfe{}\n{"ok": true}\n')
    assert [r.line for r in records] == [1, 2, 3, 4, 5, 6, 7]
    reasons = [r.error for r in records]
    assert reasons[0] is None and reasons[6] is None
    assert reasons[1] is not None and reasons[1].startswith("not valid JSON: Expecting value")
    assert reasons[2] == "not a JSON object: the line holds a JSON array"
    assert reasons[3] == "not a JSON object: the line holds a JSON string"
    assert reasons[4] == "not a JSON object: the line holds a JSON null"
    assert reasons[5] is not None and reasons[5].startswith("not valid UTF-8")
    assert records[1].source == '{"a":' and records[2].source == [1, 2]
    assert all(r.text is None for r in records[1:6])


def test_jsonl_ignores_a_byte_order_mark() -> None:
    (record,) = _jsonl(b'\xef\xbb\xbf{"a": 1}\n')
    assert record.text == '{"a": 1}'


def test_csv_rows_become_objects_of_strings_without_empty_cells() -> None:
    records = _csv(
        b'\xef\xbb\xbfId,Email,City\n1,a@example.com,\n2,,Oslo\n\n3,"x, y","M\xc3\xbcnchen"\n'
    )
    assert [(r.line, r.source) for r in records] == [
        (2, {"Id": "1", "Email": "a@example.com"}),
        (3, {"Id": "2", "City": "Oslo"}),
        (5, {"Id": "3", "Email": "x, y", "City": "München"}),
    ]
    assert json.loads(records[2].text or "") == {"Id": "3", "Email": "x, y", "City": "München"}


def test_csv_bad_rows_are_rejected_by_the_line_they_start_on() -> None:
    data = (
        b"Id,Note\n"
        b'1,"two\nlines"\n'  # lines 2-3: fine
        b"2,too,many\n"  # line 4
        b'3,"bad"quote\n'  # line 5
        b"4,\xff\n"  # line 6
        b"5,fine\n"  # line 7
    )
    records = _csv(data)
    assert [r.line for r in records] == [2, 4, 5, 6, 7]
    assert records[0].source == {"Id": "1", "Note": "two\nlines"}
    assert records[1].error == "the row has 3 cells but the header has 2 columns"
    assert records[1].source == ["2", "too", "many"]
    assert records[2].error is not None and records[2].error.startswith("not valid CSV")
    assert records[2].source == '3,"bad"quote'
    assert records[3].error is not None and "line 6 is not valid UTF-8" in records[3].error
    assert records[4].error is None and records[4].source == {"Id": "5", "Note": "fine"}


def test_csv_ignores_unnamed_columns() -> None:
    (record,) = _csv(b"Id,,Name\n1,,Ann\n")
    assert record.source == {"Id": "1", "Name": "Ann"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"Id,Id\n1,2\n", "twice"),
        (b",,\n1,2,3\n", "header row is empty"),
    ],
)
def test_csv_without_a_usable_header_is_an_input_error(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        _csv(data)


def test_count_lines_and_format_for(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"a\nb\nc")
    assert count_lines(str(path)) == 3
    path.write_bytes(b"a\nb\n")
    assert count_lines(str(path)) == 2
    path.write_bytes(b"")
    assert count_lines(str(path)) == 0
    assert format_for("people.JSONL") == "jsonl" and format_for("p.ndjson") == "jsonl"
    assert format_for("data/people.csv") == "csv" and format_for("people.txt") is None


# --- batching and the reject report -------------------------------------------------------------
@dataclass
class FakeResult:
    unique_key: str
    profile_id: str
    profile_created: bool


@dataclass
class FakeObjects:
    """ObjectService.put_many's contract: one element per text, a result or its ServiceError.

    Objects with an ``email`` already seen land on that profile; ``{"bad": ...}`` is rejected.
    """

    batches: list[int] = field(default_factory=list)
    profiles: dict[str, str] = field(default_factory=dict)
    missing_type: bool = False

    def put_many(
        self,
        caller: Caller,
        domain: str,
        object_type: str,
        texts: Sequence[str],
        parsed: Sequence[dict[str, Any]] | None = None,
        *,
        commit: Committer | None = None,
    ) -> list[FakeResult | ServiceError]:
        assert parsed is None or list(parsed) == [json.loads(t) for t in texts]
        if self.missing_type:
            raise not_found(f"Object type {object_type} does not exist in domain {domain}.")
        self.batches.append(len(texts))
        if commit is not None:
            commit(lambda: None)
        out: list[FakeResult | ServiceError] = []
        for text in texts:
            value = json.loads(text)
            if "bad" in value:
                out.append(invalid(f"Object: {value['bad']}"))
                continue
            email = str(value.get("email", text))
            created = email not in self.profiles
            profile = self.profiles.setdefault(email, f"p{len(self.profiles)}")
            out.append(FakeResult(f"k{text}", profile, created))
        return out


class FakeTypes:
    def __init__(self, known: set[tuple[str, str]]) -> None:
        self.known = known

    def get(self, caller: Caller, domain: str, name: str) -> Any:
        if (domain, name) not in self.known:
            raise not_found(f"Domain {domain} or object type {name} does not exist.")
        return object()


CALLER = Caller("000000000000", "us-east-1")


def _sink(objects: FakeObjects) -> LocalSink:
    return LocalSink(objects, FakeTypes({("d", "t")}), CALLER, "d", "t")


def _records(*sources: Any) -> list[Record]:
    out = []
    for i, source in enumerate(sources, 1):
        if isinstance(source, str):
            out.append(Record(i, None, source, "not valid JSON"))
        else:
            out.append(Record(i, json.dumps(source), source))
    return out


def test_run_import_batches_and_counts(tmp_path: Path) -> None:
    objects = FakeObjects()
    records = _records(*({"email": f"e{i % 7}"} for i in range(25)))
    report = RejectReport(tmp_path / "rejects.jsonl")
    summary = run_import(records, _sink(objects), 10, report)
    assert objects.batches == [10, 10, 5]
    assert (summary.read, summary.stored, summary.profiles_created, summary.rejected) == (
        25,
        25,
        7,
        0,
    )
    assert summary.last_line == 25
    report.close()
    assert not report.path.exists()  # no rejects, no report file


def test_reject_report_keeps_line_order_and_every_reject(tmp_path: Path) -> None:
    objects = FakeObjects()
    sources: list[Any] = [{"email": "a"}, "{broken", {"bad": "too long"}, {"email": "a"}]
    sources += [{"bad": f"n{i}"} for i in range(30)]
    report = RejectReport(tmp_path / "rejects.jsonl")
    summary = run_import(_records(*sources), _sink(objects), 3, report)
    report.close()
    assert (summary.read, summary.stored, summary.profiles_created, summary.rejected) == (
        34,
        2,
        1,
        32,
    )
    lines = [json.loads(line) for line in report.path.read_text().splitlines()]
    assert len(lines) == 32
    assert lines[0] == {"line": 2, "reason": "not valid JSON", "object": "{broken"}
    assert lines[1] == {"line": 3, "reason": "Object: too long", "object": {"bad": "too long"}}
    assert [entry["line"] for entry in lines] == [2, 3, *range(5, 35)]
    assert len(report.first) == 20 and report.first[0] == (2, "not valid JSON")


def test_a_batch_of_only_bad_lines_is_not_sent(tmp_path: Path) -> None:
    objects = FakeObjects()
    report = RejectReport(tmp_path / "r.jsonl")
    run_import(_records("x", "y", {"email": "a"}), _sink(objects), 2, report)
    assert objects.batches == [1]


def test_outcomes_from_service_errors() -> None:
    sink = _sink(FakeObjects())
    assert sink.put_many(['{"email": "a"}', '{"bad": "why"}', '{"email": "a"}']).outcomes() == [
        Outcome(profile_created=True),
        Outcome(error="Object: why"),
        Outcome(profile_created=False),
    ]


class FakeCommits:
    """The bulk load's background commits: each finish runs when the test says, or fails."""

    others_writing = False  # whether another connection writes to the database too

    def batch_written(self) -> None:
        pass

    def __init__(self, failing: int | None = None) -> None:
        self.futures: list[Future[None]] = []
        self.failing = failing  # the batch (counting from 0) whose commit fails

    def commit_later(self, finish: Callable[[], None]) -> Future[None]:
        future: Future[None] = Future()
        if len(self.futures) == self.failing:
            future.set_exception(OSError("disk full"))
        else:
            future.set_result(None)
        self.futures.append(future)
        return future


def test_a_batch_counts_once_its_handed_on_commit_has_run(tmp_path: Path) -> None:
    commits = FakeCommits()
    sink = LocalSink(FakeObjects(), FakeTypes({("d", "t")}), CALLER, "d", "t", commits)
    records = _records(*({"email": f"e{i}"} for i in range(5)))
    summary = run_import(records, sink, 2, RejectReport(tmp_path / "r"))
    assert len(commits.futures) == 3  # one commit per batch, each handed on
    assert (summary.read, summary.stored, summary.last_line) == (5, 5, 5)


def test_the_sink_is_told_after_each_batch(tmp_path: Path) -> None:
    written: list[int] = []
    objects = FakeObjects()

    class Told(FakeCommits):
        def batch_written(self) -> None:
            written.append(len(objects.batches))

    sink = LocalSink(objects, FakeTypes({("d", "t")}), CALLER, "d", "t", Told())
    run_import(
        _records(*({"email": f"e{i}"} for i in range(5))), sink, 2, RejectReport(tmp_path / "r")
    )
    assert written == [1, 2, 3]


def test_batches_get_smaller_while_another_connection_writes(tmp_path: Path) -> None:
    objects = FakeObjects()

    class SharedCommits(FakeCommits):
        @property
        def others_writing(self) -> bool:  # type: ignore[override]
            return len(objects.batches) in (1, 2)  # a server writes during batches 2 and 3

    sink = LocalSink(objects, FakeTypes({("d", "t")}), CALLER, "d", "t", SharedCommits())
    records = _records(*({"email": f"e{i}"} for i in range(SHARED_BATCH * 6 + 10)))
    summary = run_import(records, sink, SHARED_BATCH * 2, RejectReport(tmp_path / "r"))
    big, small = SHARED_BATCH * 2, SHARED_BATCH
    assert objects.batches == [big, small, small, big, 10]
    assert summary.stored == SHARED_BATCH * 6 + 10


def test_a_failed_commit_stops_the_import_without_counting_that_batch(tmp_path: Path) -> None:
    sink = LocalSink(FakeObjects(), FakeTypes({("d", "t")}), CALLER, "d", "t", FakeCommits(1))
    summary = Summary()
    records = _records(*({"email": f"e{i}"} for i in range(7)))
    with pytest.raises(ImportStopped, match="a batch could not be stored: disk full"):
        run_import(records, sink, 2, RejectReport(tmp_path / "r"), summary=summary)
    assert (summary.read, summary.stored, summary.last_line) == (2, 2, 2)


# --- the command --------------------------------------------------------------------------------
@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeObjects:
    objects = FakeObjects()

    def local_sink(stack: Any, data_dir: Any, url: Any, caller: Caller, domain: str, t: str) -> Any:
        return LocalSink(objects, FakeTypes({("d", "t")}), caller, domain, t)

    monkeypatch.setattr(importer, "_local_sink", local_sink)
    return objects


def _run(args: list[str], stdin: bytes | None = None) -> Any:
    return CliRunner().invoke(import_command, args, input=stdin, catch_exceptions=False)


def test_all_stored_exits_0_with_a_summary(fake: FakeObjects, tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    path.write_text("".join(json.dumps({"email": f"e{i % 3}"}) + "\n" for i in range(5)))
    result = _run(["--domain", "d", "--object-type", "t", "--batch-size", "2", str(path)])
    assert result.exit_code == 0, result.output
    assert fake.batches == [2, 2, 1]
    out = result.stdout
    for row in ("objects read      5", "stored            5", "profiles created  3"):
        assert row in out
    assert "rejected          0" in out and "objects/s" in out and "elapsed" in out
    assert "objects" in result.stderr  # the progress bar
    assert not (tmp_path / "people.jsonl.rejects.jsonl").exists()


def test_the_garbage_collector_is_back_as_it_was_after_an_import(
    fake: FakeObjects, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import turns automatic collection off and collects between batches itself; the
    process (a test run, a program calling the command) gets the collector back after."""
    monkeypatch.setattr(import_run, "COLLECT_EVERY", 2)
    collections: list[bool] = []
    monkeypatch.setattr(import_run.gc, "collect", lambda: collections.append(gc.isenabled()) or 0)
    path = tmp_path / "people.jsonl"
    path.write_text("".join(json.dumps({"email": f"e{i}"}) + "\n" for i in range(5)))
    assert gc.isenabled()
    result = _run(["--domain", "d", "--object-type", "t", "--batch-size", "1", str(path)])
    assert result.exit_code == 0, result.output
    # The first collection comes before the import turns the collector off.
    assert collections[0] and len(collections) >= 3 and not any(collections[1:])
    assert gc.isenabled() and gc.get_freeze_count() == 0


@pytest.mark.parametrize(
    ("args", "sizes"), [([], [1000, 1000, 500]), (["--batch-size", "2000"], [2000, 500])]
)
def test_imports_through_a_server_dispatch_smaller_batches(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str], sizes: list[int]
) -> None:
    sent: list[int] = []

    class Remote:
        counts_profiles = False

        def __init__(self, *given: Any) -> None:
            pass

        def check(self) -> None:
            pass

        def batch_size(self, preferred: int) -> int:
            return preferred

        def put_many(self, texts: Sequence[str], parsed: Any = None) -> Sent:
            sent.append(len(texts))
            return Sent([Outcome() for _ in texts])

        def close(self) -> None:
            pass

    monkeypatch.setattr(importer, "RemoteSink", Remote)
    path = tmp_path / "people.jsonl"
    path.write_text("".join(json.dumps({"email": f"e{i}"}) + "\n" for i in range(2500)))
    result = _run([*DT, "--endpoint-url", "http://h", "--no-progress", *args, str(path)])
    assert result.exit_code == 0, result.output
    assert sent == sizes


def test_rejects_exit_1_and_are_reported(fake: FakeObjects, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("email,bad\na,\nb,nope\nc,\n")
    result = _run(["--domain", "d", "--object-type", "t", str(path)])
    assert result.exit_code == 1
    assert "rejected          1" in result.stdout
    assert "line 3: Object: nope" in result.stdout
    report = tmp_path / "people.csv.rejects.jsonl"
    assert str(report) in result.stdout
    assert json.loads(report.read_text()) == {
        "line": 3,
        "reason": "Object: nope",
        "object": {"email": "b", "bad": "nope"},
    }


def test_stdin_with_rejects_file(fake: FakeObjects, tmp_path: Path) -> None:
    rejects = tmp_path / "out" / "r.jsonl"
    rejects.parent.mkdir()
    args = ["--domain", "d", "--object-type", "t", "--rejects", str(rejects), "--no-progress", "-"]
    result = _run(args, stdin=b'{"email": "a"}\nnot json\n')
    assert result.exit_code == 1
    assert result.stderr == ""
    assert "line 2: not valid JSON: Expecting value at column 1" in result.stdout
    assert json.loads(rejects.read_text())["object"] == "not json"


def test_stdin_csv_needs_format(fake: FakeObjects) -> None:
    result = _run(["--domain", "d", "--object-type", "t", "--format", "csv", "-"], b"email\na\n")
    assert result.exit_code == 0 and "stored            1" in result.stdout


DT = ["--domain", "d", "--object-type", "t"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--object-type", "t", "f.jsonl"], "Missing option '--domain'"),
        (["--domain", "d", "f.jsonl"], "Missing option '--object-type'"),
        (DT, "Missing argument 'FILE'"),
        ([*DT, "f.txt"], "give --format jsonl|csv"),
        ([*DT, "missing.jsonl"], "cannot open missing.jsonl"),
        (["--domain", "nope", "--object-type", "t", "-"], "Domain nope or object type t"),
        ([*DT, "--account", "12", "-"], "must be 12 digits"),
        ([*DT, "--data-dir", "x", "--database-url", "y", "-"], "not both"),
        ([*DT, "--endpoint-url", "http://h", "--data-dir", "x", "-"], "--data-dir is for local"),
        ([*DT, "--endpoint-url", "http://h", "--account", "1" * 12, "-"], "--account is for local"),
        ([*DT, "--format", "csv", "-"], "CSV input is empty"),
        ([*DT, "--batch-size", "0", "-"], "--batch-size"),
    ],
)
def test_usage_errors_exit_2(
    fake: FakeObjects,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("f.txt").write_text("{}\n")
    result = CliRunner().invoke(import_command, args, input=b"")
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert fake.batches == []


def test_a_type_deleted_mid_import_stops_with_exit_1(fake: FakeObjects, tmp_path: Path) -> None:
    fake.missing_type = True
    path = tmp_path / "p.jsonl"
    path.write_text('{"email": "a"}\n')
    result = _run(["--domain", "d", "--object-type", "t", str(path)])
    assert result.exit_code == 1
    assert "import stopped after line 0: Object type t does not exist" in result.stderr
    assert "objects read      0" in result.stdout


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@localhost/x", "unsupported database 'mysql'"),
        ("postgresql+psycopg://nobody@127.0.0.1:1/x", "cannot open the database"),
    ],
)
def test_an_unusable_database_url_is_a_usage_error(url: str, message: str) -> None:
    result = CliRunner().invoke(import_command, [*DT, "--database-url", url, "-"], input=b"")
    assert result.exit_code == 2, result.output
    assert message in result.stderr
