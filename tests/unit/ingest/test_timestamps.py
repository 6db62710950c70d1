from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.ingest.timestamps import compile_timestamp_format, java_to_strptime

EXPECTED = datetime(2024, 3, 1, 12, 30, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("pattern", "value"),
    [
        ("EpochMilli", "1709296200000"),
        ("EpochSecond", "1709296200"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2024-03-01T12:30:00.000+0000"),
        ("yyyy-MM-dd'T'HH:mm:ssX", "2024-03-01T12:30:00Z"),
        ("yyyy-MM-dd'T'HH:mm:ssXXX", "2024-03-01T14:30:00+02:00"),
        ("yyyy-MM-dd HH:mm:ss", "2024-03-01 12:30:00"),
        ("dd/MM/yyyy HH:mm", "01/03/2024 12:30"),
        ("MMM d, yyyy h:mm a", "Mar 1, 2024 12:30 PM"),
    ],
)
def test_patterns_parse_to_utc(pattern: str, value: str) -> None:
    assert compile_timestamp_format(pattern, "F")(value) == EXPECTED


def test_a_mismatching_value_falls_back_to_iso8601() -> None:
    parse = compile_timestamp_format("yyyy-MM-dd HH:mm:ss", "F")
    assert parse("2024-03-01T12:30:00Z") == EXPECTED
    assert parse("not a time") is None


def test_quoted_literals_translate() -> None:
    assert java_to_strptime("yyyy-MM-dd'T'HH:mm:ss'Z'") == "%Y-%m-%dT%H:%M:%SZ"
    assert java_to_strptime("hh 'o''clock' a") == "%I o'clock %p"


def test_an_unknown_pattern_letter_is_invalid_naming_the_member() -> None:
    with pytest.raises(ServiceError) as raised:
        compile_timestamp_format("yyyy-MM-dd QQ", "SourceLastUpdatedTimestampFormat")
    assert raised.value.kind is ErrorKind.INVALID
    assert "SourceLastUpdatedTimestampFormat" in raised.value.message
