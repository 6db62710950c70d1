from __future__ import annotations

import pytest

from openprofiles.ingest.normalise import (
    normalise,
    normalise_email,
    normalise_key,
    normalise_name,
    normalise_number,
    normalise_phone,
    stringify,
)


@pytest.mark.parametrize(
    "raw",
    [
        "(206) 555-0100",
        "206-555-0100",
        "206.555.0100",
        "2065550100",
        "+1 206 555 0100",
        "1 (206) 555-0100",
        "+12065550100",
        " +1-206-555-0100 ",
    ],
)
def test_us_phone_formats_become_e164(raw: str) -> None:
    assert normalise_phone(raw) == "+12065550100"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+44 20 7946 0958", "+442079460958"),
        ("+49 (0)30 901820", "+4930901820"),
        ("+33 1 23 45 67 89", "+33123456789"),
    ],
)
def test_international_phones_become_e164(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["  call me maybe ", "123", "ext. 42"])
def test_unparseable_phones_are_kept_trimmed(raw: str) -> None:
    assert normalise_phone(raw) == raw.strip()


def test_email_is_trimmed_and_lower_cased() -> None:
    assert normalise_email("  John.DOE@ExampleCorp.COM ") == "john.doe@examplecorp.com"


def test_name_is_trimmed_with_inner_whitespace_collapsed() -> None:
    assert normalise_name("  Mary \t Ann   Smith ") == "Mary Ann Smith"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0042", "42"), ("1.50", "1.5"), ("1e3", "1000"), (" -7 ", "-7"), ("12.0", "12"),
     ("abc", "abc")],
)  # fmt: skip
def test_number_is_canonical(raw: str, expected: str) -> None:
    assert normalise_number(raw) == expected


def test_string_is_kept_as_is() -> None:
    assert normalise("STRING", "  Mixed Case ") == "  Mixed Case "
    assert normalise(None, "x") == "x"


def test_key_values_fold_names_to_lower_case() -> None:
    assert normalise_key("NAME", " John  SMITH ") == "john smith"
    assert normalise_key("STRING", "ABC") == "ABC"
    assert normalise_key("PHONE_NUMBER", "206 555 0100") == "+12065550100"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, None), ("s", "s"), (True, "true"), (False, "false"), (12, "12"), (12.5, "12.5"),
     ({"a": [1, 2]}, '{"a":[1,2]}')],
)  # fmt: skip
def test_json_values_stringify_as_in_json_text(raw: object, expected: str | None) -> None:
    assert stringify(raw) == expected
