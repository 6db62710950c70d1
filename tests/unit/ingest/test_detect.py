from __future__ import annotations

import json

import pytest

from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.ingest import ObjectTypeDefinition, detect_object_type, map_object

SAMPLE = {
    "customerId": "C-100",
    "Email": "Ann.Lee@Example.com",
    "mobile_phone": "(206) 555-0100",
    "first_name": "Ann",
    "last_name": "Lee",
    "age": 41,
    "shipping": {"street": "1 Main St", "city": "Seattle", "zip": "98101"},
    "tags": ["a", "b"],
    "lastModified": "2024-03-01T12:30:00Z",
}


def detected(*objects: dict[str, object]) -> dict[str, object]:
    response = detect_object_type([json.dumps(o) for o in objects])
    (only,) = response["DetectedProfileObjectTypes"]
    assert isinstance(only, dict)
    return only


def test_detects_content_types_targets_keys_and_timestamp() -> None:
    result = detected(SAMPLE)
    fields = result["Fields"]
    assert isinstance(fields, dict)
    assert fields["Email"] == {
        "Source": "_source.Email", "Target": "_profile.EmailAddress", "ContentType": "EMAIL_ADDRESS"
    }  # fmt: skip
    assert fields["mobile_phone"]["ContentType"] == "PHONE_NUMBER"
    assert fields["mobile_phone"]["Target"] == "_profile.MobilePhoneNumber"
    assert fields["first_name"] == {
        "Source": "_source.first_name", "Target": "_profile.FirstName", "ContentType": "NAME"
    }  # fmt: skip
    assert fields["last_name"]["Target"] == "_profile.LastName"
    assert fields["age"]["ContentType"] == "NUMBER"
    assert fields["shipping_city"]["Target"] == "_profile.ShippingAddress.City"
    assert fields["shipping_zip"]["Target"] == "_profile.ShippingAddress.PostalCode"
    assert "tags" not in fields
    assert result["Keys"] == {
        "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["Email"]}],
        "_phone": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["mobile_phone"]}],
        "customerId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["customerId"]}],
    }
    assert result["SourceLastUpdatedTimestampFormat"] == "yyyy-MM-dd'T'HH:mm:ssX"
    assert fields["lastModified"]["Target"] == "_profile.SourceLastUpdatedTimestamp"


def test_the_detected_type_is_valid_and_maps_the_sample() -> None:
    definition = ObjectTypeDefinition.from_wire("Detected", detected(SAMPLE))
    mapped = map_object(definition, SAMPLE)
    assert mapped.profile["EmailAddress"] == "ann.lee@example.com"
    assert mapped.profile["MobilePhoneNumber"] == "+12065550100"
    assert mapped.unique_key == "C-100"


def test_an_id_becomes_profile_and_unique_when_nothing_else_identifies() -> None:
    result = detected({"id": 17, "colour": "blue"}, {"id": 18, "colour": "red"})
    assert result["Keys"] == {
        "id": [{"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["id"]}]
    }
    assert "SourceLastUpdatedTimestampFormat" not in result


def test_epoch_millis_are_detected() -> None:
    result = detected({"id": "x", "updated_at": 1709296200000})
    assert result["SourceLastUpdatedTimestampFormat"] == "EpochMilli"


@pytest.mark.parametrize("objects", [["{oops"], ["[1]"], []])
def test_bad_samples_are_invalid(objects: list[str]) -> None:
    with pytest.raises(ServiceError) as raised:
        detect_object_type(objects)
    assert raised.value.kind is ErrorKind.INVALID
    assert "Objects" in raised.value.message
