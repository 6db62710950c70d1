"""MergeProfiles' choice of each field's value, without storage."""

from __future__ import annotations

import pytest

from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.services.merge_fields import (
    CHOSEN,
    FILLED,
    MAIN,
    FieldChoice,
    check_field_sources,
    merge_documents,
)

M, A, B = "m" * 32, "a" * 32, "b" * 32


def test_main_wins_and_empty_fields_are_filled_in_the_given_order() -> None:
    document, choices = merge_documents(
        (M, {"FirstName": "Ana", "LastName": ""}),
        [(A, {"FirstName": "Anna", "LastName": "Silva"}), (B, {"LastName": "Sousa",
          "BirthDate": "1990-01-01"})],
        {},
    )  # fmt: skip
    assert document == {"FirstName": "Ana", "LastName": "Silva", "BirthDate": "1990-01-01"}
    assert choices == [
        FieldChoice("FirstName", M, MAIN),
        FieldChoice("LastName", A, FILLED),
        FieldChoice("BirthDate", B, FILLED),
    ]


def test_a_named_source_is_taken_even_when_it_has_no_value() -> None:
    document, choices = merge_documents(
        (M, {"FirstName": "Ana", "EmailAddress": "a@x.com"}),
        [(A, {"FirstName": "Anna"})],
        {"FirstName": A, "EmailAddress": A},
    )
    assert document == {"FirstName": "Anna"}
    assert FieldChoice("EmailAddress", A, CHOSEN, empty=True) in choices


def test_addresses_are_taken_whole_and_attributes_one_by_one() -> None:
    document, choices = merge_documents(
        (M, {"Address": {"City": "Lisbon"}, "Attributes": {"tier": "gold", "x": "1"}}),
        [(A, {"Address": {"City": "Porto", "Country": "PT"}, "ShippingAddress": {"City": "Faro"},
              "Attributes": {"tier": "silver", "club": "A", "x": "2"}})],
        {"Attributes": {"x": A}},
    )  # fmt: skip
    assert document == {
        "Address": {"City": "Lisbon"},
        "ShippingAddress": {"City": "Faro"},
        "Attributes": {"tier": "gold", "x": "2", "club": "A"},
    }
    assert FieldChoice("Attributes.x", A, CHOSEN) in choices
    assert FieldChoice("Attributes.club", A, FILLED) in choices
    assert FieldChoice("ShippingAddress", A, FILLED) in choices


def test_party_type_and_gender_decide_their_string_forms_too() -> None:
    document, _ = merge_documents(
        (M, {"PartyType": "INDIVIDUAL", "Gender": "FEMALE"}),
        [(A, {"PartyTypeString": "Person", "GenderString": "woman"})],
        {"PartyType": A},
    )
    assert document == {"PartyTypeString": "Person", "Gender": "FEMALE", "GenderString": "woman"}


@pytest.mark.parametrize(
    ("sources", "named"),
    [
        ({"FirstName": B}, "FieldSourceProfileIds.FirstName"),
        ({"Attributes": {"tier": B}}, "FieldSourceProfileIds.Attributes.tier"),
    ],
)
def test_a_source_outside_the_merge_is_named(sources: dict[str, object], named: str) -> None:
    with pytest.raises(ServiceError) as raised:
        check_field_sources(M, [A], sources)
    assert raised.value.kind == ErrorKind.INVALID
    assert raised.value.message.startswith(named) and B in raised.value.message


def test_sources_naming_main_or_merged_profiles_pass() -> None:
    check_field_sources(M, [A], {"FirstName": M, "LastName": A, "Attributes": {"t": A}})
