from __future__ import annotations

from typing import Any

import pytest

from openprofiles.ingest import ObjectTypeDefinition


def salesforce_contact(**overrides: Any) -> dict[str, Any]:
    """A Salesforce Contact record as the Salesforce REST API returns it."""
    record: dict[str, Any] = {
        "attributes": {"type": "Contact", "url": "/services/data/v58.0/sobjects/Contact/0031"},
        "Id": "0035e00000AbCdEAAV",
        "AccountId": "0015e00000XyZaBAAV",
        "FirstName": "  Jane ",
        "LastName": "Doe",
        "Email": "Jane.Doe@Example.COM",
        "Phone": "(206) 555-0100",
        "MobilePhone": "+44 20 7946 0958",
        "HomePhone": None,
        "MailingStreet": "410 Terry Ave N",
        "MailingCity": "Seattle",
        "MailingState": "WA",
        "MailingPostalCode": "98109",
        "MailingCountry": "USA",
        "Birthdate": "1985-04-12",
        "LastModifiedDate": "2024-03-01T12:30:00.000+0000",
    }
    record.update(overrides)
    return record


@pytest.fixture
def contact_type() -> ObjectTypeDefinition:
    return ObjectTypeDefinition.from_wire(
        "Salesforce-Contact", {"Description": "contacts", "TemplateId": "Salesforce-Contact"}
    )


def custom_type(
    fields: dict[str, dict[str, str]],
    keys: dict[str, list[dict[str, list[str]]]],
    **params: Any,
) -> ObjectTypeDefinition:
    return ObjectTypeDefinition.from_wire(
        "Customer", {"Description": "d", "Fields": fields, "Keys": keys, **params}
    )
