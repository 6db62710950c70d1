"""Input readers for ``openprofiles import``: JSON Lines and CSV, streamed one record at a time.

A reader never loads the file whole and never stops at a bad line: a line that is not valid
UTF-8, JSON or CSV becomes a :class:`Record` carrying the reason, so the import reports it and
goes on.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from openprofiles.jsontext import parse

FORMATS = ("jsonl", "csv")
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}
_CHUNK = 1 << 20
# A cell may hold a whole object's worth of text; the engine, not the reader, enforces the
# 256,000-character limit (csv's default cell limit is 131,072).
_CSV_CELL_LIMIT = 1 << 24


class InputError(Exception):
    """The input as a whole cannot be read (no CSV header, duplicate columns)."""


@dataclass(frozen=True, slots=True)
class Record:
    """One object read from the input, or the reason its line could not be read.

    ``line`` is the 1-based line the record starts on; ``text`` is the JSON object text to store
    (None when ``error`` is set); ``source`` is what a reject report shows: the parsed object
    when there is one, else the raw line.
    """

    line: int
    text: str | None
    source: Any
    error: str | None = None


def format_for(path: str) -> str | None:
    """The format a file name implies (``.jsonl``/``.ndjson``/``.json``, ``.csv``), or None."""
    return _EXTENSIONS.get(os.path.splitext(path)[1].lower())


def count_lines(path: str) -> int:
    """Lines in a file (a last line without a newline counts), read in 1 MiB chunks."""
    count = 0
    last = b"\n"
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def read_records(stream: IO[bytes], file_format: str) -> Iterator[Record]:
    if file_format == "jsonl":
        return read_jsonl(stream)
    if file_format == "csv":
        return read_csv(stream)
    raise ValueError(f"unknown format {file_format!r}: use one of {', '.join(FORMATS)}")


def _decode(raw: bytes, number: int) -> tuple[str, str | None]:
    """The line as text and, when it is not valid UTF-8, why (the text then has U+FFFD)."""
    if number == 1 and raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        reason = f"not valid UTF-8: {exc.reason} at byte {exc.start + 1} of the line"
        return raw.decode("utf-8", "replace"), reason


def read_jsonl(stream: IO[bytes]) -> Iterator[Record]:
    """One JSON object per line; blank lines are skipped."""
    for number, raw in enumerate(stream, 1):
        line, bad_encoding = _decode(raw, number)
        stripped = line.strip()
        if not stripped:
            continue
        if bad_encoding:
            yield Record(number, None, stripped, bad_encoding)
            continue
        try:
            value = parse(stripped)
        except json.JSONDecodeError as exc:
            reason = f"not valid JSON: {exc.msg} at column {exc.colno}"
            yield Record(number, None, stripped, reason)
            continue
        if not isinstance(value, dict):
            reason = f"not a JSON object: the line holds a JSON {_json_type(value)}"
            yield Record(number, None, value, reason)
            continue
        yield Record(number, stripped, value)


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


class _Lines:
    """Decoded lines for the csv module, remembering which were not valid UTF-8."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.number = 0
        self.last = ""
        self.bad: dict[int, str] = {}

    def __iter__(self) -> Iterator[str]:
        for raw in self._stream:
            self.number += 1
            text, reason = _decode(raw, self.number)
            if reason:
                self.bad[self.number] = reason
            self.last = text
            yield text

    def bad_between(self, first: int, last: int) -> str | None:
        """The encoding problem of a line in ``first..last``; forgets lines up to ``last``."""
        found = None
        for number in [n for n in self.bad if n <= last]:
            reason = self.bad.pop(number)
            if number >= first and found is None:
                found = f"line {number} is {reason}"
        return found


def read_csv(stream: IO[bytes]) -> Iterator[Record]:
    """A header row, then one object of strings per row (empty cells omitted).

    Columns with an empty header are ignored; blank rows are skipped. A row spanning several
    lines (a quoted newline) is reported by the line it starts on.
    """
    if csv.field_size_limit() < _CSV_CELL_LIMIT:
        csv.field_size_limit(_CSV_CELL_LIMIT)
    lines = _Lines(stream)
    reader = csv.reader(iter(lines), strict=True)
    header: list[str] | None = None
    start = 1
    while True:
        first = start
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            start = lines.number + 1
            lines.bad_between(first, lines.number)
            # The csv module resumes on the next physical line after an error.
            yield Record(first, None, lines.last.rstrip("\r\n"), f"not valid CSV: {exc}")
            continue
        start = lines.number + 1
        bad_encoding = lines.bad_between(first, lines.number)
        if header is None:
            if bad_encoding:
                raise InputError(f"the CSV header is not valid UTF-8 ({bad_encoding})")
            header = _check_header(row)
            continue
        if not any(row):
            continue
        if bad_encoding:
            yield Record(first, None, row, bad_encoding)
        elif len(row) != len(header):
            reason = f"the row has {len(row)} cells but the header has {len(header)} columns"
            yield Record(first, None, row, reason)
        else:
            value = {name: cell for name, cell in zip(header, row, strict=True) if name and cell}
            yield Record(first, json.dumps(value, ensure_ascii=False), value)
    if header is None:
        raise InputError("the CSV input is empty: it needs a header row naming the columns")


def _check_header(row: list[str]) -> list[str]:
    names = [name.strip() for name in row]
    if not any(names):
        raise InputError("the CSV header row is empty: it must name the columns")
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise InputError(f"the CSV header names column {name!r} twice")
        seen.add(name)
    return names
