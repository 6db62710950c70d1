from __future__ import annotations

import pytest

from openprofiles.resolution.normalise import (
    normalise_birth_date,
    normalise_document,
    normalise_first_name,
    normalise_name,
    normalise_phone,
    normalise_postcode,
    normalise_street,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  José-Luis ", "jose luis"),
        ("O'Brien", "obrien"),
        ("MÜLLER", "muller"),
        ("Dvořák", "dvorak"),
        ("van  der   Berg", "van der berg"),
        ("...", None),
    ],
)
def test_names_lose_case_accents_punctuation_and_extra_spaces(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Bob", "robert"), ("BILL", "william"), ("Liz", "elizabeth"), ("bobby jo", "robert jo")],
)
def test_first_names_replace_nicknames_with_the_formal_name(raw: str, expected: str) -> None:
    assert normalise_first_name(raw) == expected


def test_a_name_that_is_not_a_nickname_is_kept() -> None:
    assert normalise_first_name("Zoë") == "zoe"


@pytest.mark.parametrize(
    "raw", ["(206) 555-0100", "206-555-0100", "+1 206 555 0100", "2065550100", "206.555.0100"]
)
def test_phones_become_e164_in_the_default_region(raw: str) -> None:
    assert normalise_phone(raw, "US") == "+12065550100"


def test_phone_region_is_configurable() -> None:
    assert normalise_phone("020 7946 0018", "GB") == "+442079460018"
    assert normalise_phone("030 1234567", "DE") == "+49301234567"


def test_an_unreadable_phone_keeps_its_digits() -> None:
    assert normalise_phone("ext 12", "US") == "12"


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("1980-03-05", "US", "1980-03-05"),
        ("1980/03/05", "US", "1980-03-05"),
        ("19800305", "US", "1980-03-05"),
        ("03/05/1980", "US", "1980-03-05"),
        ("03/05/1980", "GB", "1980-05-03"),
        ("25/12/1980", "US", "1980-12-25"),
        ("05.03.1980", "DE", "1980-03-05"),
        ("March 5, 1980", "US", "1980-03-05"),
        ("5 Mar 1980", "GB", "1980-03-05"),
        ("1980-03-05T00:00:00Z", "US", "1980-03-05"),
        ("1980-02-30", "US", None),
        ("soon", "US", None),
    ],
)
def test_birth_dates_become_iso(raw: str, region: str, expected: str | None) -> None:
    assert normalise_birth_date(raw, region) == expected


def test_addresses_use_the_usual_abbreviations() -> None:
    assert normalise_street("12 North Main Street, Apartment 4") == "12 n main st apt 4"
    assert normalise_street("12 N. MAIN ST APT 4") == "12 n main st apt 4"


def test_postcodes_lose_spaces_and_case() -> None:
    assert normalise_postcode(" SW1A 1AA ") == "sw1a1aa"


def test_a_document_takes_the_first_present_email_phone_and_address() -> None:
    record = normalise_document(
        "p1",
        {
            "FirstName": "Bob",
            "LastName": "Smith",
            "PersonalEmailAddress": " Bob@Example.COM ",
            "MobilePhoneNumber": "(206) 555-0100",
            "BirthDate": "03/05/1980",
            "ShippingAddress": {
                "Address1": "1 Main Street",
                "City": "Seattle",
                "PostalCode": "98101",
            },
        },
        "US",
    )
    assert record.first_name == "robert"
    assert record.email == "bob@example.com"
    assert record.phone == "+12065550100"
    assert record.birth_date == "1980-03-05"
    assert (record.address, record.city, record.postcode) == ("1 main st", "seattle", "98101")


def test_a_document_may_lack_every_field() -> None:
    record = normalise_document("p2", {"Address": {}, "FirstName": "  "}, "US")
    assert record.as_row() == {"unique_id": "p2"} | dict.fromkeys(
        [name for name in record.as_row() if name != "unique_id"]
    )


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("1 (206) 555-0100", "US"),
        ("+1-206-555-0100", "GB"),
        ("(416) 555-0100", "CA"),
        ("+44 20 7946 0018", "US"),
        ("555-0100", "US"),
        ("2065550100", "GB"),
    ],
)
def test_the_north_american_shortcut_agrees_with_phonenumbers(raw: str, region: str) -> None:
    import phonenumbers

    parsed = phonenumbers.parse(raw, region)
    expected = (
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        if phonenumbers.is_possible_number(parsed)
        else "".join(ch for ch in raw if ch.isdigit())
    )
    assert normalise_phone(raw, region) == expected
