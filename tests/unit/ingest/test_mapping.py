from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.ingest import ExtractedKey, ObjectTypeDefinition, map_object, parse_object

from .conftest import custom_type, salesforce_contact

CUSTOMER_ID = {"Source": "_source.id"}
UNIQUE_ID = {"customerId": [{"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["id"]}]}


def test_salesforce_contact_maps_through_its_template(contact_type: ObjectTypeDefinition) -> None:
    mapped = map_object(contact_type, salesforce_contact())
    assert mapped.profile == {
        "FirstName": "Jane",
        "LastName": "Doe",
        "EmailAddress": "jane.doe@example.com",
        "PhoneNumber": "+12065550100",
        "MobilePhoneNumber": "+442079460958",
        "BirthDate": "1985-04-12",
        "MailingAddress": {
            "Address1": "410 Terry Ave N",
            "City": "Seattle",
            "State": "WA",
            "PostalCode": "98109",
            "Country": "USA",
        },
        "Attributes": {
            "sfdcContactId": "0035e00000AbCdEAAV",
            "sfdcAccountId": "0015e00000XyZaBAAV",
        },
    }
    assert mapped.keys == [
        ExtractedKey(
            "_salesforceContactId", "0035e00000AbCdEAAV", frozenset({"PROFILE", "UNIQUE"})
        ),
        ExtractedKey("_salesforceAccountId", "0015e00000XyZaBAAV", frozenset()),
    ]
    assert mapped.unique_key == "0035e00000AbCdEAAV"
    assert [k.name for k in mapped.matching_keys] == ["_salesforceContactId"]
    assert mapped.source_last_updated == datetime(2024, 3, 1, 12, 30, tzinfo=UTC)
    assert mapped.inferred_profile == {
        "EmailAddress": "jane.doe@example.com",
        "PhoneNumber": "+12065550100",
    }
    assert mapped.standard_objects == {} and mapped.own_fields == {}


def test_a_missing_source_path_yields_no_value(contact_type: ObjectTypeDefinition) -> None:
    record = salesforce_contact()
    del record["Email"], record["MailingCity"]
    record["Phone"] = None
    mapped = map_object(contact_type, record)
    assert "EmailAddress" not in mapped.profile
    assert "PhoneNumber" not in mapped.profile
    assert "City" not in mapped.profile["MailingAddress"]
    assert "emailAddress" not in mapped.values


def test_nested_sources_and_missing_intermediate_members() -> None:
    definition = custom_type(
        {
            "id": CUSTOMER_ID,
            "city": {"Source": "_source.address.city", "Target": "_profile.Address.City"},
            "zip": {"Source": "_source.address.zip.code", "Target": "_profile.Address.PostalCode"},
            "first_sku": {"Source": "_source.items.0.sku", "Target": "_profile.Attributes.sku"},
        },
        UNIQUE_ID,
    )
    mapped = map_object(
        definition, {"id": 7, "address": {"city": "Paris", "zip": None}, "items": [{"sku": "A1"}]}
    )
    assert mapped.profile == {"Address": {"City": "Paris"}, "Attributes": {"sku": "A1"}}
    assert mapped.unique_key == "7"


def test_templates_join_values_and_trim() -> None:
    definition = custom_type(
        {
            "id": CUSTOMER_ID,
            "fullName": {
                "Source": "{{_source.first}} {{_source.last}}",
                "Target": "_profile.Attributes.fullName",
                "ContentType": "NAME",
            },
            "label": {"Source": "id-{{_source.id}}", "Target": "_profile.AccountNumber"},
            "tidy": {
                "Source": "{{#removeExtraSpace}}{{_source.first}} {{_source.middle}} "
                "{{_source.last}}{{/removeExtraSpace}}",
                "Target": "_profile.Attributes.tidy",
            },
        },
        {**UNIQUE_ID, "_fullName": [{"StandardIdentifiers": [], "FieldNames": ["fullName"]}]},
    )
    mapped = map_object(definition, {"id": "1", "first": "Ann", "last": "LEE"})
    assert mapped.profile["Attributes"] == {"fullName": "Ann LEE", "tidy": "Ann LEE"}
    assert mapped.profile["AccountNumber"] == "id-1"
    assert ExtractedKey("_fullName", "ann lee", frozenset()) in mapped.keys
    only_last = map_object(definition, {"id": "1", "last": " Lee "})
    assert only_last.profile["Attributes"]["fullName"] == "Lee"


def test_a_template_whose_references_are_all_missing_yields_nothing() -> None:
    definition = custom_type(
        {
            "id": CUSTOMER_ID,
            "fullName": {
                "Source": "{{_source.first}} {{_source.last}}",
                "Target": "_profile.FirstName",
            },
        },
        UNIQUE_ID,
    )
    assert map_object(definition, {"id": "1"}).profile == {}


def test_composite_keys_join_their_fields_in_order() -> None:
    definition = custom_type(
        {
            "id": CUSTOMER_ID,
            "store": {"Source": "_source.store"},
            "receipt": {"Source": "_source.receipt", "ContentType": "NUMBER"},
        },
        {
            **UNIQUE_ID,
            "storeReceipt": [{"StandardIdentifiers": [], "FieldNames": ["store", "receipt"]}],
        },
    )
    mapped = map_object(definition, {"id": "1", "store": "S-9", "receipt": "000123"})
    assert ExtractedKey("storeReceipt", "S-9 123", frozenset()) in mapped.keys
    partial = map_object(definition, {"id": "1", "receipt": 5})
    assert ExtractedKey("storeReceipt", "5", frozenset()) in partial.keys
    none = map_object(definition, {"id": "1"})
    assert [k.name for k in none.keys] == ["customerId"]


def test_the_unique_key_is_extracted_and_classified() -> None:
    definition = custom_type(
        {
            "id": CUSTOMER_ID,
            "email": {"Source": "_source.email", "ContentType": "EMAIL_ADDRESS"},
            "phone": {"Source": "_source.phone", "ContentType": "PHONE_NUMBER"},
            "ticket": {"Source": "_source.ticket"},
            "pid": {"Source": "_source.pid"},
        },
        {
            "orderRef": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
            "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
            "_phone": [{"StandardIdentifiers": ["PROFILE", "SECONDARY"], "FieldNames": ["phone"]}],
            "_profileId": [
                {"StandardIdentifiers": ["PROFILE", "LOOKUP_ONLY"], "FieldNames": ["pid"]}
            ],
            "ticketRef": [
                {"StandardIdentifiers": ["PROFILE", "NEW_ONLY"], "FieldNames": ["ticket"]}
            ],
        },
    )
    mapped = map_object(
        definition,
        {"id": "O-1", "email": "A@B.CO", "phone": "206 555 0100", "ticket": "T", "pid": "p"},
    )
    assert mapped.unique_key == "O-1"
    assert [k.name for k in mapped.matching_keys] == ["_email", "_profileId", "ticketRef"]
    assert [k.name for k in mapped.secondary_keys] == ["_phone"]
    stored_existing = [k.name for k in mapped.stored_keys(profile_created=False)]
    assert stored_existing == ["orderRef", "_email", "_phone"]
    stored_new = [k.name for k in mapped.stored_keys(profile_created=True)]
    assert stored_new == ["orderRef", "_email", "_phone", "ticketRef"]


def test_standard_object_targets_and_identifier_keys() -> None:
    definition = ObjectTypeDefinition.from_wire(
        "Registration",
        {
            "Description": "d",
            "Fields": {
                "email": {
                    "Source": "_source.email",
                    "Target": "_profile.PersonalEmailAddress",
                    "ContentType": "EMAIL_ADDRESS",
                },
                "serial": {"Source": "_source.sn", "Target": "_asset.SerialNumber"},
                "price": {
                    "Source": "_source.price",
                    "Target": "_asset.Price",
                    "ContentType": "NUMBER",
                },
                "installer": {"Source": "_source.by", "Target": "_asset.Attributes.Installer"},
                "note": {"Source": "_source.note", "Target": "Registration.note"},
            },
            "Keys": {
                "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
                "serialNo": [
                    {"StandardIdentifiers": ["ASSET", "UNIQUE"], "FieldNames": ["serial"]}
                ],
            },
        },
    )
    mapped = map_object(
        definition, {"email": "J@X.com", "sn": "SN-1", "price": 449.0, "by": "Al", "note": "n"}
    )
    assert mapped.profile == {"PersonalEmailAddress": "j@x.com"}
    assert mapped.standard_objects == {
        "_asset": {"SerialNumber": "SN-1", "Price": "449", "Attributes": {"Installer": "Al"}}
    }
    assert mapped.own_fields == {"note": "n"}
    assert [k.value for k in mapped.keys_with("ASSET")] == ["SN-1"]


def test_fan_out_sources_write_list_items(  # Shopify line_items[] → OrderItems[]
) -> None:
    definition = ObjectTypeDefinition.from_wire(
        "orders", {"Description": "d", "TemplateId": "Shopify-Order"}
    )
    payload = {
        "id": 450789469,
        "customer": {"id": 207119551},
        "email": "Bob@Example.com",
        "total_price": "199.00",
        "billing_address": {"city": "Ottawa", "zip": "K2P 1L4"},
        "line_items": [{"title": "IPod", "price": "199.00", "quantity": 1}, {"title": "Case"}],
        "updated_at": "2024-03-01T07:30:00-05:00",
    }
    mapped = map_object(definition, {"detail": {"event": {"detail": {"payload": payload}}}})
    order = mapped.standard_objects["_order"]
    assert order["OrderItems"] == [
        {"Title": "IPod", "Price": "199", "Quantity": "1"},
        {"Title": "Case"},
    ]
    assert order["TotalPrice"] == "199"
    assert order["CustomerEmail"] == "bob@example.com"
    assert order["BillingAddress"] == {"City": "Ottawa", "PostalCode": "K2P 1L4"}
    assert mapped.unique_key == "450789469"
    assert [k.name for k in mapped.matching_keys] == ["_shopifyCustomerId"]
    assert mapped.source_last_updated == datetime(2024, 3, 1, 12, 30, tzinfo=UTC)
    assert mapped.profile == {}


def test_an_empty_unique_key_rejects_the_object(contact_type: ObjectTypeDefinition) -> None:
    with pytest.raises(ServiceError) as raised:
        map_object(contact_type, salesforce_contact(Id=None))
    assert raised.value.kind is ErrorKind.INVALID
    assert "_salesforceContactId" in raised.value.message


def test_all_profile_keys_empty_rejects_the_object() -> None:
    definition = custom_type(
        {"id": CUSTOMER_ID, "email": {"Source": "_source.email"}},
        {
            "ref": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
            "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
        },
    )
    with pytest.raises(ServiceError) as raised:
        map_object(definition, {"id": "1"})
    assert "_email" in raised.value.message


def test_the_plan_is_compiled_once_per_definition(contact_type: ObjectTypeDefinition) -> None:
    map_object(contact_type, salesforce_contact())
    plan = contact_type._plan
    map_object(contact_type, salesforce_contact(Id="other"))
    assert contact_type._plan is plan is not None


def test_parse_object_accepts_a_json_object() -> None:
    assert parse_object('{"a": 1}') == {"a": 1}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("{not json", "not valid JSON"), ("[1, 2]", "JSON object"), ('"s"', "JSON object"),
     ("{" + '"a":"' + "x" * 256_000 + '"}', "256000")],
)  # fmt: skip
def test_parse_object_rejects_what_is_not_a_small_json_object(text: str, fragment: str) -> None:
    with pytest.raises(ServiceError) as raised:
        parse_object(text)
    assert raised.value.kind is ErrorKind.INVALID
    assert raised.value.message.startswith("Object:") and fragment in raised.value.message


def test_an_object_of_exactly_the_limit_is_accepted() -> None:
    text = '{"a":"' + "x" * (256_000 - 8) + '"}'
    assert len(text) == 256_000
    assert parse_object(text) == json.loads(text)
