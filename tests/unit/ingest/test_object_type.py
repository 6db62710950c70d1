from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from openprofiles import quotas
from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.ingest import (
    ObjectTypeDefinition,
    TemplateCatalogue,
    get_template,
    map_object,
)

EMAIL = {
    "Source": "_source.email",
    "Target": "_profile.EmailAddress",
    "ContentType": "EMAIL_ADDRESS",
}
ID = {"Source": "_source.id"}
KEYS = {
    "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
    "customerId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
}


def params(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"Description": "d", "Fields": {"email": EMAIL, "id": ID}, "Keys": KEYS}
    base.update(overrides)
    return base


def rejected(name: str, wire: dict[str, Any], kind: ErrorKind = ErrorKind.INVALID) -> str:
    with pytest.raises(ServiceError) as raised:
        ObjectTypeDefinition.from_wire(name, wire)
    assert raised.value.kind is kind
    return raised.value.message


def test_round_trips_to_the_get_profile_object_type_members() -> None:
    wire = params(
        AllowProfileCreation=True,
        ExpirationDays=30,
        EncryptionKey="arn:aws:kms:us-east-1:000000000000:key/k",
        MaxProfileObjectCount=5,
        SourcePriority=2,
    )
    definition = ObjectTypeDefinition.from_wire("Customer", wire)
    assert definition.to_wire() == {"ObjectTypeName": "Customer", **wire}
    assert definition.unique_key is not None and definition.unique_key.name == "customerId"
    assert definition.option("ExpirationDays") == 30


def test_allow_profile_creation_defaults_to_false() -> None:
    definition = ObjectTypeDefinition.from_wire("Customer", params())
    assert definition.allow_profile_creation is False
    assert definition.to_wire()["AllowProfileCreation"] is False


def test_a_template_supplies_fields_and_keys() -> None:
    definition = ObjectTypeDefinition.from_wire(
        "contacts", {"Description": "d", "TemplateId": "Salesforce-Contact"}
    )
    template = get_template("Salesforce-Contact")
    assert template is not None
    wire = definition.to_wire()
    assert wire["TemplateId"] == "Salesforce-Contact"
    assert wire["Fields"] == template["Fields"]
    assert wire["Keys"] == template["Keys"]
    assert definition.allow_profile_creation is template["AllowProfileCreation"]


def test_a_custom_catalogue_can_be_passed() -> None:
    catalogue = TemplateCatalogue(
        {"Mine": {"TemplateId": "Mine", "SourceName": "S", "SourceObject": "O", **params()}}
    )
    definition = ObjectTypeDefinition.from_wire("T", {"TemplateId": "Mine"}, catalogue)
    assert [f.name for f in definition.fields] == ["email", "id"]


@pytest.mark.parametrize("member", ["Fields", "Keys"])
def test_template_id_with_fields_or_keys_is_invalid(member: str) -> None:
    wire = {"Description": "d", "TemplateId": "Salesforce-Contact", member: params()[member]}
    message = rejected("contacts", wire)
    assert "TemplateId" in message and member in message


def test_template_id_with_a_conflicting_allow_profile_creation_is_invalid() -> None:
    wire = {"TemplateId": "CTR-AutoAssociateOnly", "AllowProfileCreation": True}
    assert "AllowProfileCreation" in rejected("CTR", wire)


def test_an_unknown_template_id_is_invalid() -> None:
    message = rejected("x", {"Description": "d", "TemplateId": "Nope-Nothing"})
    assert "TemplateId" in message and "Nope-Nothing" in message


def test_an_underscore_custom_name_is_invalid() -> None:
    message = rejected("_customer", params())
    assert "ObjectTypeName" in message and "_customer" in message


@pytest.mark.parametrize("name", ["_asset", "_case", "_order", "_loyalty", "_webAnalytics"])
def test_standard_object_type_names_may_start_with_underscore(name: str) -> None:
    definition = ObjectTypeDefinition.from_wire(name, params())
    assert definition.to_wire() == {
        "ObjectTypeName": name,
        "AllowProfileCreation": False,
        **params(),
    }


@pytest.mark.parametrize(
    "target",
    [
        "_profile.Nickname",
        "_profile.Address.Street",
        "_profile.ProfileId",
        "_profile.Attributes",
        "_asset.AssetId",
        "_case.Colour",
        "profile.FirstName",
        "Other.thing",
        "_profile.",
    ],
)
def test_a_bad_target_is_invalid_naming_the_field(target: str) -> None:
    fields = {"email": {**EMAIL, "Target": target}, "id": ID}
    message = rejected("Customer", params(Fields=fields))
    assert "Fields.email.Target" in message and target in message


@pytest.mark.parametrize(
    ("target", "written"),
    [
        ("_profile.FirstName", {"profile": {"FirstName": "1700000000000"}}),
        ("_profile.PartyTypeString", {"profile": {"PartyTypeString": "1700000000000"}}),
        (
            "_profile.BillingAddress.PostalCode",
            {"profile": {"BillingAddress": {"PostalCode": "1700000000000"}}},
        ),
        (
            "_profile.MailingAddress.County",
            {"profile": {"MailingAddress": {"County": "1700000000000"}}},
        ),
        (
            "_profile.Attributes.loyaltyTier",
            {"profile": {"Attributes": {"loyaltyTier": "1700000000000"}}},
        ),
        (
            "_profile.SourceLastUpdatedTimestamp",
            {"source_last_updated": datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)},
        ),
        ("Customer.anything", {"own_fields": {"anything": "1700000000000"}}),
    ],
)
def test_good_targets_are_accepted(target: str, written: dict[str, Any]) -> None:
    """The type keeps the Target as given, and an object's value lands where it names."""
    fields = {"email": {**EMAIL, "Target": target}, "id": ID}
    wire = params(Fields=fields, SourceLastUpdatedTimestampFormat="EpochMilli")
    definition = ObjectTypeDefinition.from_wire("Customer", wire)
    assert definition.to_wire()["Fields"]["email"]["Target"] == target
    mapped = map_object(definition, {"email": "1700000000000", "id": "c1"})
    nowhere: dict[str, Any] = {"profile": {}, "own_fields": {}, "source_last_updated": None}
    seen = {part: getattr(mapped, part) for part in nowhere}
    assert seen == {**nowhere, **written}


def test_a_standard_object_target_needs_a_key_with_its_identifier() -> None:
    fields = {
        "email": EMAIL,
        "id": ID,
        "serial": {"Source": "_source.sn", "Target": "_asset.SerialNumber"},
    }
    message = rejected("Customer", params(Fields=fields))
    assert "Fields.serial.Target" in message and "ASSET" in message
    keys = {**KEYS, "serial": [{"StandardIdentifiers": ["ASSET"], "FieldNames": ["serial"]}]}
    definition = ObjectTypeDefinition.from_wire("Customer", params(Fields=fields, Keys=keys))
    mapped = map_object(definition, {"email": "a@example.com", "id": "c1", "sn": "SN-1"})
    assert mapped.standard_objects == {"_asset": {"SerialNumber": "SN-1"}}


def test_a_key_naming_an_undefined_field_is_invalid() -> None:
    keys = {**KEYS, "_phone": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["phone"]}]}
    message = rejected("Customer", params(Keys=keys))
    assert "Keys._phone.FieldNames" in message and "'phone'" in message


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("email", "_source"),
        ("_profile.email", "_source"),
        ("{{email}}", "_source"),
        ("{{#if _source.a}}x{{/if}}", "not supported"),
        ("{{_source.a}", "unbalanced"),
        ("_source.a..b", "malformed"),
    ],
)
def test_a_bad_source_is_invalid_naming_the_field(source: str, fragment: str) -> None:
    fields = {"email": {**EMAIL, "Source": source}, "id": ID}
    message = rejected("Customer", params(Fields=fields))
    assert "Fields.email.Source" in message and fragment in message


def test_an_unknown_content_type_is_invalid() -> None:
    fields = {"email": {**EMAIL, "ContentType": "DATE"}, "id": ID}
    assert "Fields.email.ContentType" in rejected("Customer", params(Fields=fields))


def _fields(count: int) -> dict[str, Any]:
    return {f"f{i}": {"Source": f"_source.f{i}"} for i in range(count)}


def _keys(count: int) -> dict[str, Any]:
    return {f"k{i}": [{"StandardIdentifiers": [], "FieldNames": [f"f{i}"]}] for i in range(count)}


def test_eleven_keys_exceed_the_quota() -> None:
    message = rejected("Customer", params(Fields=_fields(11), Keys=_keys(11)), ErrorKind.QUOTA)
    assert "Keys" in message and "10" in message


def test_ten_keys_are_within_the_quota() -> None:
    definition = ObjectTypeDefinition.from_wire(
        "Customer", params(Fields=_fields(10), Keys=_keys(10))
    )
    assert definition.to_wire()["Keys"] == _keys(10)
    mapped = map_object(definition, {f"f{i}": f"v{i}" for i in range(10)})
    assert [(key.name, key.value) for key in mapped.keys] == [(f"k{i}", f"v{i}") for i in range(10)]


@pytest.mark.parametrize(
    ("name", "member", "over_limit"),
    [
        ("keys_per_object_type", "Keys", {"Keys": _keys(4)}),
        ("fields_per_object_type", "Fields", {"Fields": _fields(4), "Keys": {}}),
    ],
)
def test_object_type_limits_are_read_from_quotas_json(
    monkeypatch: pytest.MonkeyPatch, name: str, member: str, over_limit: dict[str, Any]
) -> None:
    """quotas.json is the one source of the limits: a changed file changes what is refused."""
    monkeypatch.setitem(quotas._quotas(), name, 3)
    message = rejected("Customer", {"Description": "d", "Fields": _fields(4), **over_limit},
                       ErrorKind.QUOTA)  # fmt: skip
    assert message.startswith(f"{member}: 4 ") and "quota of 3 " in message


def test_two_unique_keys_are_invalid() -> None:
    keys = {
        **KEYS,
        "_email": [{"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["email"]}],
    }
    assert "UNIQUE" in rejected("Customer", params(Keys=keys))


@pytest.mark.parametrize(
    ("key", "identifiers", "fragment"),
    [
        ("customerId", ["UNIQUE", "LOOKUP_ONLY"], "UNIQUE cannot be combined"),
        ("customerId", ["UNIQUE", "NEW_ONLY"], "UNIQUE cannot be combined"),
        ("other", ["SECONDARY"], "SECONDARY must be used with PROFILE"),
        ("_profileId", ["PROFILE"], "LOOKUP_ONLY"),
    ],
)
def test_identifier_combination_rules(key: str, identifiers: list[str], fragment: str) -> None:
    keys = {**KEYS, key: [{"StandardIdentifiers": identifiers, "FieldNames": ["id"]}]}
    message = rejected("Customer", params(Keys=keys))
    assert f"Keys.{key}" in message and fragment in message


def test_source_last_updated_target_needs_a_format() -> None:
    fields = {
        "email": EMAIL,
        "id": ID,
        "at": {"Source": "_source.at", "Target": "_profile.SourceLastUpdatedTimestamp"},
    }
    assert "SourceLastUpdatedTimestampFormat" in rejected("Customer", params(Fields=fields))


def test_tags_is_not_a_field_name() -> None:
    fields = {"email": EMAIL, "id": ID, "Tags": {"Source": "_source.tags"}}
    assert "Fields.Tags" in rejected("Customer", params(Fields=fields))


def test_fan_out_source_needs_a_fan_out_target() -> None:
    fields = {
        "email": EMAIL,
        "id": ID,
        "t": {"Source": "_source.items[].t", "Target": "_profile.FirstName"},
    }
    assert "Fields.t" in rejected("Customer", params(Fields=fields))
